/* svm.c: LIBLINEAR (linear SVMs) and LIBSVM (kernel SVMs) behind one
 * adapter (svm.h). The two libraries take the same sparse rows, the
 * same per-class weights, save and load their models only through named
 * files, and give decision values a probability is made of; one path
 * below does all of that, and a small table per library (svm_lib) holds
 * what differs: parameters, problem, training, model checks, scores. */
#include "svm.h"
#include "model_frame.h"
#include "modelfile.h"
#include "util.h"

#include <linear.h>
#include <libsvm/svm.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_stderr(const char *s) { fputs(s, stderr); }
static void print_none(const char *s) { (void)s; }

/* Route the libraries' printing away from stdout (it carries frames). */
static void quiet(int verbose)
{
	set_print_string_function(verbose ? print_stderr : print_none);
	svm_set_print_string_function(verbose ? print_stderr : print_none);
}

/* ---- parameters ---- */

static const char *const linsvm_keys[] = {"C", "eps", "solver", "bias"};
static const char *const svm_keys[] = {"C", "eps", "kernel", "gamma", "degree", "coef0",
                                       "probability", "shrinking", "cache_size"};

static int solver_parse(const char *s)
{
	static const struct { const char *name; int id; } t[] = {
		{"primal", L2R_L2LOSS_SVC}, {"l2r_l2loss_svc", L2R_L2LOSS_SVC},
		{"dual", L2R_L2LOSS_SVC_DUAL}, {"l2r_l2loss_svc_dual", L2R_L2LOSS_SVC_DUAL},
		{"l1loss-dual", L2R_L1LOSS_SVC_DUAL}, {"l2r_l1loss_svc_dual", L2R_L1LOSS_SVC_DUAL},
		{"crammer-singer", MCSVM_CS}, {"mcsvm_cs", MCSVM_CS},
		{"l1r", L1R_L2LOSS_SVC}, {"l1r_l2loss_svc", L1R_L2LOSS_SVC},
	};
	for (size_t i = 0; i < IMB_LEN(t); i++)
		if (strcmp(s, t[i].name) == 0)
			return t[i].id;
	return -1;
}

static const char *solver_name(int id)
{
	switch (id) {
	case L2R_L2LOSS_SVC: return "l2r_l2loss_svc";
	case L2R_L2LOSS_SVC_DUAL: return "l2r_l2loss_svc_dual";
	case L2R_L1LOSS_SVC_DUAL: return "l2r_l1loss_svc_dual";
	case MCSVM_CS: return "mcsvm_cs";
	case L1R_L2LOSS_SVC: return "l1r_l2loss_svc";
	}
	return "?";
}

static int kernel_parse(const char *s)
{
	if (!strcmp(s, "rbf")) return RBF;
	if (!strcmp(s, "linear")) return LINEAR;
	if (!strcmp(s, "poly")) return POLY;
	if (!strcmp(s, "sigmoid")) return SIGMOID;
	return -1;
}

static const char *kernel_name(int k)
{
	switch (k) {
	case RBF: return "rbf";
	case LINEAR: return "linear";
	case POLY: return "poly";
	case SIGMOID: return "sigmoid";
	}
	return "?";
}

static int in_list(const char *k, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(k, list[i]) == 0)
			return 1;
	return 0;
}

/* ---- sparse rows: both libraries take the same nodes ---- */

typedef struct { int index; double value; } node;
_Static_assert(sizeof(node) == sizeof(struct feature_node), "feature_node layout");
_Static_assert(sizeof(node) == sizeof(struct svm_node), "svm_node layout");

/* Row r (d features) as LIBLINEAR/LIBSVM nodes at p: the non-zeros,
 * the bias feature when bias >= 0, then the -1 terminator. Returns the
 * node after the terminator. */
static node *fill_row(const float *r, size_t d, double bias, node *p)
{
	for (size_t j = 0; j < d; j++)
		if (r[j] != 0) {
			p->index = (int)j + 1;
			p->value = r[j];
			p++;
		}
	if (bias >= 0) {
		p->index = (int)d + 1;
		p->value = bias;
		p++;
	}
	p->index = -1;
	p->value = 0;
	return p + 1;
}

/* Rows of x (n,d) as sparse node lists (zeros dropped, 1-based indices),
 * each with an optional bias node (index d+1) and the -1 terminator.
 * rows[i] points into *store. -1 for NaN/Inf. */
static int sparse_rows(const float *x, size_t n, size_t d, double bias, const char *lb,
                       node ***rows_out, node **store_out)
{
	size_t nnz = 0;
	for (size_t k = 0; k < n * d; k++) {
		if (!isfinite(x[k]))
			return imb_seterr("%s: tensor x: row %zu column %zu is %s; SVMs take no missing values",
			                  lb, k / d, k % d, isnan(x[k]) ? "NaN" : "infinite");
		nnz += x[k] != 0;
	}
	node *store = imb_xmalloc((nnz + n * 2) * sizeof *store);
	node **rows = imb_xmalloc((n ? n : 1) * sizeof *rows);
	node *p = store;
	for (size_t i = 0; i < n; i++) {
		rows[i] = p;
		p = fill_row(x + i * d, d, bias, p);
	}
	*rows_out = rows;
	*store_out = store;
	return 0;
}

/* one row into buf (d+2 nodes) */
static const node *dense_row(const float *r, size_t d, double bias, node *buf)
{
	fill_row(r, d, bias, buf);
	return buf;
}

static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

/* Per-class C multipliers as both libraries take them: labels wl and
 * weights wv (each of K) for the classes present; returns the count (0
 * without class weights). */
static int weight_lists(const imb_tabular_data *t, int *wl, double *wv)
{
	int n = 0;
	if (t->w)
		for (int k = 0; k < t->K; k++)
			if (t->counts[k] > 0) {
				wl[n] = k;
				wv[n++] = t->w[k];
			}
	return n;
}

/* map a loaded model's labels to class indices in [0, K) */
static int *map_labels(const int *label, int nr, int K)
{
	int *cls = imb_xmalloc((size_t)(nr > 0 ? nr : 1) * sizeof *cls);
	for (int j = 0; j < nr; j++) {
		if (label[j] < 0 || label[j] >= K) {
			imb_seterr("tensor 'bytes': the model's class label %d is not in [0, %d)", label[j], K);
			free(cls);
			return NULL;
		}
		cls[j] = label[j];
	}
	return cls;
}

/* ---- the model text, checked whole before a library reads it ----
 *
 * LIBLINEAR's load_model and LIBSVM's svm_load_model trust their input:
 * counts they read size their arrays (an int product that overflows, an
 * unchecked malloc), the SV section is indexed by the nr_sv counts, and
 * a precomputed kernel reads features as row numbers. So every line of
 * the text is checked here first, against the bytes present and the
 * frame's attrs (d features, K classes): every keyword known and given
 * once, every count consistent, every number whole and finite. Only
 * what imb writes is taken: C-SVC with a linear, polynomial, RBF or
 * sigmoid kernel; the five LIBLINEAR solvers of solver_parse. A text
 * that passes is read by the library without a complaint. */

typedef struct {
	const char *p, *end;  /* the text left */
	const char *file;     /* "LIBSVM" */
	size_t line;          /* the line number of the last line taken */
	const char *l, *le;   /* that line, less its newline */
} mtext;

/* the next line into t->l..t->le; 0 at the end of the text */
static int mt_line(mtext *t)
{
	if (t->p >= t->end)
		return 0;
	const char *e = memchr(t->p, '\n', (size_t)(t->end - t->p));
	t->l = t->p;
	t->le = e; /* every line ends in a newline: checked before */
	t->p = e + 1;
	t->line++;
	return 1;
}

/* the next token of the line (spaces and tabs between), length in *len;
 * NULL at the line's end */
static const char *mt_tok(mtext *t, size_t *len)
{
	while (t->l < t->le && (*t->l == ' ' || *t->l == '\t'))
		t->l++;
	if (t->l == t->le)
		return NULL;
	const char *s = t->l;
	while (t->l < t->le && *t->l != ' ' && *t->l != '\t')
		t->l++;
	*len = (size_t)(t->l - s);
	return s;
}

static int mt_err(const mtext *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int mt_err(const mtext *t, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return imb_seterr("tensor 'bytes': %s model text, line %zu: %s", t->file, t->line, what);
}

/* a whole token as a finite number */
static int num_tok(const char *s, size_t len, double *out)
{
	char buf[64];
	if (!s || len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	if (*end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* a whole token as a decimal integer in [lo, hi] */
static int int_tok(const char *s, size_t len, long long lo, long long hi, long long *out)
{
	char buf[32];
	if (!s || len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	char *end;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (*end || errno || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int tok_is(const char *s, size_t len, const char *w)
{
	return s && len == strlen(w) && !memcmp(s, w, len);
}

/* the rest of the line: exactly n finite numbers */
static int mt_nums(mtext *t, const char *key, long long n)
{
	size_t len;
	const char *s;
	long long got = 0;
	double v;
	while ((s = mt_tok(t, &len))) {
		if (num_tok(s, len, &v) < 0)
			return mt_err(t, "%s: '%.*s' is not a finite number", key, (int)(len < 40 ? len : 40), s);
		got++;
	}
	if (got != n)
		return mt_err(t, "%s: %lld value%s, but nr_class %s %lld", key, got, got == 1 ? "" : "s",
		              n == 1 ? "asks for" : "makes", n);
	return 0;
}

/* the rest of the line: one integer in [lo, hi] */
static int mt_int1(mtext *t, const char *key, long long lo, long long hi, long long *out)
{
	size_t len, l2;
	const char *s = mt_tok(t, &len);
	if (int_tok(s, len, lo, hi, out) < 0 || mt_tok(t, &l2))
		return mt_err(t, "%s must be one integer in [%lld, %lld]", key, lo, hi);
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* the rest of the line: nr labels, distinct, each in [0, K) */
static int mt_labels(mtext *t, long long nr, int K)
{
	long long *v = imb_xmalloc((size_t)nr * sizeof *v);
	long long got = 0;
	size_t len;
	const char *s;
	int r = 0;
	while ((s = mt_tok(t, &len))) {
		long long x;
		if (got == nr) {
			got++;
			break;
		}
		if (int_tok(s, len, 0, K - 1, &x) < 0) {
			r = mt_err(t, "label: '%.*s' is not a class index in [0, %d) (attrs.n_classes)",
			           (int)(len < 40 ? len : 40), s, K);
			goto out;
		}
		v[got++] = x;
	}
	if (got != nr) {
		r = mt_err(t, "label: %s labels than nr_class %lld", got < nr ? "fewer" : "more", nr);
		goto out;
	}
	qsort(v, (size_t)nr, sizeof *v, cmp_ll);
	for (long long i = 1; i < nr; i++)
		if (v[i] == v[i - 1]) {
			r = mt_err(t, "label: class %lld is listed twice", v[i]);
			goto out;
		}
out:
	free(v);
	return r;
}

/* the text as a whole: no NUL byte, every line ends in a newline */
static int text_whole(const char *p, size_t n, const char *file)
{
	if (memchr(p, 0, n))
		return imb_seterr("tensor 'bytes' is not a %s model file (it holds a NUL byte)", file);
	if (n == 0 || p[n - 1] != '\n')
		return imb_seterr("tensor 'bytes' is not a %s model file (truncated: no newline at "
		                  "the end)", file);
	return 0;
}

/* LIBLINEAR's keywords: solver_type, nr_class, label, nr_feature, bias, w */
static int lin_text_check(const char *p, size_t n, size_t d, int K)
{
	if (text_whole(p, n, "LIBLINEAR") < 0)
		return -1;
	mtext t = {p, p + n, "LIBLINEAR", 0, NULL, NULL};
	long long nr = -1, nf = -1;
	int solver = -1, have_label = 0, have_bias = 0, have_w = 0;
	double bias = -1;
	size_t len;
	while (!have_w && mt_line(&t)) {
		const char *k = mt_tok(&t, &len);
		if (tok_is(k, len, "solver_type")) {
			static const struct { const char *name; int id; } s[] = {
				{"L2R_L2LOSS_SVC", L2R_L2LOSS_SVC}, {"L2R_L2LOSS_SVC_DUAL", L2R_L2LOSS_SVC_DUAL},
				{"L2R_L1LOSS_SVC_DUAL", L2R_L1LOSS_SVC_DUAL}, {"MCSVM_CS", MCSVM_CS},
				{"L1R_L2LOSS_SVC", L1R_L2LOSS_SVC},
			};
			const char *v = mt_tok(&t, &len);
			size_t l2;
			if (solver >= 0)
				return mt_err(&t, "solver_type given twice");
			for (size_t i = 0; i < IMB_LEN(s); i++)
				if (tok_is(v, len, s[i].name))
					solver = s[i].id;
			if (solver < 0 || mt_tok(&t, &l2))
				return mt_err(&t, "solver_type must be one of the SVM solvers imb trains "
				              "(L2R_L2LOSS_SVC, L2R_L2LOSS_SVC_DUAL, L2R_L1LOSS_SVC_DUAL, "
				              "MCSVM_CS, L1R_L2LOSS_SVC)");
		} else if (tok_is(k, len, "nr_class")) {
			if (nr >= 0)
				return mt_err(&t, "nr_class given twice");
			if (mt_int1(&t, "nr_class", 2, K, &nr) < 0)
				return -1;
		} else if (tok_is(k, len, "label")) {
			if (nr < 0)
				return mt_err(&t, "label before nr_class");
			if (have_label++)
				return mt_err(&t, "label given twice");
			if (mt_labels(&t, nr, K) < 0)
				return -1;
		} else if (tok_is(k, len, "nr_feature")) {
			if (nf >= 0)
				return mt_err(&t, "nr_feature given twice");
			if (mt_int1(&t, "nr_feature", 1, 0x7ffffffe, &nf) < 0)
				return -1;
			if ((size_t)nf != d)
				return mt_err(&t, "nr_feature %lld, but attrs.n_features says %zu", nf, d);
		} else if (tok_is(k, len, "bias")) {
			const char *v = mt_tok(&t, &len);
			size_t l2;
			if (have_bias++)
				return mt_err(&t, "bias given twice");
			if (num_tok(v, len, &bias) < 0 || mt_tok(&t, &l2))
				return mt_err(&t, "bias must be one finite number");
		} else if (tok_is(k, len, "w")) {
			if (mt_tok(&t, &len))
				return mt_err(&t, "text after 'w'");
			have_w = 1;
		} else {
			return mt_err(&t, "unknown keyword '%.*s'", k ? (int)(len < 40 ? len : 40) : 0,
			              k ? k : "");
		}
	}
	if (!have_w || solver < 0 || nr < 0 || !have_label || nf < 0 || !have_bias)
		return imb_seterr("tensor 'bytes': LIBLINEAR model text: the header lacks %s",
		                  solver < 0 ? "solver_type" : nr < 0 ? "nr_class" : !have_label ? "label"
		                  : nf < 0 ? "nr_feature" : !have_bias ? "bias" : "the line 'w'");
	/* the weights: one line per feature (and the bias), nr_w numbers each */
	long long nr_w = nr == 2 && solver != MCSVM_CS ? 1 : nr;
	size_t rows = d + (bias >= 0), got = 0;
	while (mt_line(&t)) {
		if (got == rows)
			return mt_err(&t, "more weight lines than nr_feature%s (%zu)",
			              bias >= 0 ? " + 1 for the bias" : "", rows);
		if (mt_nums(&t, "w", nr_w) < 0)
			return -1;
		got++;
	}
	if (got != rows)
		return imb_seterr("tensor 'bytes': LIBLINEAR model text: %zu weight lines, but "
		                  "nr_feature%s makes %zu (truncated?)", got,
		                  bias >= 0 ? " + 1 for the bias" : "", rows);
	return 0;
}

/* LIBSVM's header keywords before "SV", then total_sv lines of nr_class-1
 * coefficients and increasing index:value pairs */
static int ksvm_text_check(const char *p, size_t n, size_t d, int K)
{
	if (text_whole(p, n, "LIBSVM") < 0)
		return -1;
	mtext t = {p, p + n, "LIBSVM", 0, NULL, NULL};
	long long nr = -1, tsv = -1, degree = -1, sum = 0;
	int kernel = -1, type = 0, have_sv = 0, have_gamma = 0, have_coef0 = 0, have_rho = 0,
	    have_label = 0, have_a = 0, have_b = 0, have_nsv = 0;
	size_t len, l2;
	double v;
	while (!have_sv && mt_line(&t)) {
		const char *k = mt_tok(&t, &len);
		const char *val;
		if (tok_is(k, len, "svm_type")) {
			val = mt_tok(&t, &len);
			if (type++)
				return mt_err(&t, "svm_type given twice");
			if (!tok_is(val, len, "c_svc") || mt_tok(&t, &l2))
				return mt_err(&t, "svm_type must be c_svc, the classifier imb trains");
		} else if (tok_is(k, len, "kernel_type")) {
			static const struct { const char *name; int id; } s[] = {
				{"linear", LINEAR}, {"polynomial", POLY}, {"rbf", RBF}, {"sigmoid", SIGMOID},
			};
			val = mt_tok(&t, &len);
			if (kernel >= 0)
				return mt_err(&t, "kernel_type given twice");
			for (size_t i = 0; i < IMB_LEN(s); i++)
				if (tok_is(val, len, s[i].name))
					kernel = s[i].id;
			if (kernel < 0 || mt_tok(&t, &l2))
				return mt_err(&t, "kernel_type must be linear, polynomial, rbf or sigmoid");
		} else if (tok_is(k, len, "degree")) {
			if (degree >= 0)
				return mt_err(&t, "degree given twice");
			if (mt_int1(&t, "degree", 1, 100, &degree) < 0)
				return -1;
		} else if (tok_is(k, len, "gamma") || tok_is(k, len, "coef0")) {
			int *have = *k == 'g' ? &have_gamma : &have_coef0;
			const char *key = *k == 'g' ? "gamma" : "coef0";
			if ((*have)++)
				return mt_err(&t, "%s given twice", key);
			val = mt_tok(&t, &len);
			if (num_tok(val, len, &v) < 0 || mt_tok(&t, &l2))
				return mt_err(&t, "%s must be one finite number", key);
		} else if (tok_is(k, len, "nr_class")) {
			if (nr >= 0)
				return mt_err(&t, "nr_class given twice");
			if (mt_int1(&t, "nr_class", 2, K, &nr) < 0)
				return -1;
		} else if (tok_is(k, len, "total_sv")) {
			if (tsv >= 0)
				return mt_err(&t, "total_sv given twice");
			if (mt_int1(&t, "total_sv", 1, 0x7fffffff, &tsv) < 0)
				return -1;
		} else if (tok_is(k, len, "rho") || tok_is(k, len, "probA") ||
		           tok_is(k, len, "probB")) {
			int *have = k[0] == 'r' ? &have_rho : k[4] == 'A' ? &have_a : &have_b;
			const char *key = k[0] == 'r' ? "rho" : k[4] == 'A' ? "probA" : "probB";
			if (nr < 0)
				return mt_err(&t, "%s before nr_class", key);
			if ((*have)++)
				return mt_err(&t, "%s given twice", key);
			if (mt_nums(&t, key, nr * (nr - 1) / 2) < 0)
				return -1;
		} else if (tok_is(k, len, "label")) {
			if (nr < 0)
				return mt_err(&t, "label before nr_class");
			if (have_label++)
				return mt_err(&t, "label given twice");
			if (mt_labels(&t, nr, K) < 0)
				return -1;
		} else if (tok_is(k, len, "nr_sv")) {
			if (nr < 0)
				return mt_err(&t, "nr_sv before nr_class");
			if (have_nsv++)
				return mt_err(&t, "nr_sv given twice");
			long long got = 0, c;
			while ((val = mt_tok(&t, &len))) {
				if (int_tok(val, len, 0, 0x7fffffff, &c) < 0)
					return mt_err(&t, "nr_sv: '%.*s' is not a count", (int)(len < 40 ? len : 40),
					              val);
				sum += c;
				got++;
			}
			if (got != nr)
				return mt_err(&t, "nr_sv: %lld counts for nr_class %lld", got, nr);
		} else if (tok_is(k, len, "SV")) {
			if (mt_tok(&t, &len))
				return mt_err(&t, "text after 'SV'");
			have_sv = 1;
		} else {
			return mt_err(&t, "unknown keyword '%.*s'", k ? (int)(len < 40 ? len : 40) : 0,
			              k ? k : "");
		}
	}
	const char *lack = !type ? "svm_type" : kernel < 0 ? "kernel_type" : nr < 0 ? "nr_class"
	                 : tsv < 0 ? "total_sv" : !have_rho ? "rho" : !have_label ? "label"
	                 : !have_nsv ? "nr_sv" : !have_sv ? "the line 'SV'"
	                 : kernel != LINEAR && !have_gamma ? "gamma"
	                 : kernel == POLY && degree < 0 ? "degree"
	                 : (kernel == POLY || kernel == SIGMOID) && !have_coef0 ? "coef0"
	                 : have_a != have_b ? (have_a ? "probB" : "probA") : NULL;
	if (lack)
		return imb_seterr("tensor 'bytes': LIBSVM model text: the header lacks %s", lack);
	if (sum != tsv)
		return imb_seterr("tensor 'bytes': LIBSVM model text: nr_sv adds up to %lld, "
		                  "total_sv says %lld", sum, tsv);
	long long got = 0;
	while (mt_line(&t)) {
		if (got == tsv)
			return mt_err(&t, "more support vectors than total_sv %lld", tsv);
		got++;
		const char *s;
		for (long long c = 0; c < nr - 1; c++) {
			s = mt_tok(&t, &len);
			if (num_tok(s, len, &v) < 0)
				return mt_err(&t, "a support vector needs nr_class - 1 = %lld finite "
				              "coefficients before its features", nr - 1);
		}
		long long last = 0;
		while ((s = mt_tok(&t, &len))) {
			const char *colon = memchr(s, ':', len);
			long long idx;
			if (!colon || int_tok(s, (size_t)(colon - s), 1, 0x7fffffff, &idx) < 0 ||
			    num_tok(colon + 1, len - (size_t)(colon + 1 - s), &v) < 0)
				return mt_err(&t, "'%.*s' is not index:value with a finite value",
				              (int)(len < 40 ? len : 40), s);
			if (idx <= last)
				return mt_err(&t, "feature index %lld after %lld: indices must increase", idx,
				              last);
			if ((unsigned long long)idx > d)
				return mt_err(&t, "feature index %lld, but attrs.n_features says %zu", idx, d);
			last = idx;
		}
	}
	if (got != tsv)
		return imb_seterr("tensor 'bytes': LIBSVM model text: %lld support vectors, total_sv "
		                  "says %lld (truncated?)", got, tsv);
	return 0;
}

/* ---- what differs between the libraries ---- */

/* One training run: the parameters and problem of the library that
 * runs it, and what both share. */
typedef struct {
	struct parameter lin;        /* LIBLINEAR */
	struct svm_parameter svm;    /* LIBSVM */
	struct problem lprob;
	struct svm_problem sprob;
	double bias;                 /* the bias feature's value; < 0: none (LIBSVM) */
	const char *gamma;           /* LIBSVM's gamma as given: a number, scale or auto */
	int nw, *wl;                 /* per-class weights: labels wl, weights wv (nw) */
	double *wv;
	void *model;                 /* the trained model */
} svm_run;

/* A loaded model, ready to predict. */
typedef struct svm_loaded svm_loaded;

/* How a library's scores for one row become class probabilities. */
typedef enum {
	OUT_BINARY,  /* two classes: sigmoid(dec[0]) for the first */
	OUT_SOFTMAX, /* a softmax over the one-vs-rest values dec[0..nr) */
	OUT_VOTES,   /* one-vs-one values dec[0..nr(nr-1)/2): vote fractions */
	OUT_PROBS,   /* the library's own probabilities pe[0..nr) */
} svm_out;

typedef struct {
	const char *model;           /* attrs.model */
	const char *lib;             /* in messages: "liblinear" */
	const char *file;            /* in messages: "LIBLINEAR" (model file) */
	const char *const *keys;     /* its --param names */
	size_t nkeys;
	/* training: defaults, then o's parameters and r's weights into r */
	void (*setup)(svm_run *r, const imb_tabular_opts *o, const imb_tabular_data *t);
	/* the problem over rows and y into r; the library's parameter check
	 * (NULL when fine) */
	const char *(*problem)(svm_run *r, node **rows, double *y, const imb_tabular_data *t);
	void *(*train)(svm_run *r);
	int (*save)(const char *path, const void *model);
	void (*destroy)(void *model);
	/* the effective parameters into params, and the summary line */
	void (*describe)(const svm_run *r, imb_val *params);
	void (*summary)(const svm_run *r, const imb_tabular_data *t, double secs, char *buf,
	                size_t size);
	/* loading: the whole text's check against d and K before the
	 * library reads it (0, or -1 with imb_error()); the loader; the
	 * loaded model's checks against d and K, filling nr, label, bias
	 * and prob (0, or -1 with imb_error()) */
	int (*text_check)(const char *p, size_t n, size_t d, int K);
	void *(*load)(const char *path);
	int (*check)(svm_loaded *m, size_t d, int K);
	/* the scores of one row (nr >= 2) into dec or pe */
	svm_out (*scores)(svm_loaded *m, const node *row);
} svm_lib;

struct svm_loaded {
	const svm_lib *lib;
	void *m;            /* the library's model */
	int nr;             /* classes in the model */
	const int *label;   /* (nr) the model's labels */
	int *cls;           /* (nr) model class j -> our class index */
	double bias;        /* the bias feature's value; < 0: none */
	int prob;           /* LIBSVM: the model has Platt probabilities */
	node *row;          /* d+2 */
	double *dec, *pe;   /* decision values (nr(nr-1)/2 + 1), probabilities (nr) */
};

/* ---- LIBLINEAR ---- */

static void lin_setup(svm_run *r, const imb_tabular_opts *o, const imb_tabular_data *t)
{
	struct parameter *par = &r->lin;
	par->solver_type = L2R_L2LOSS_SVC;
	par->C = 1;
	par->eps = -1;
	par->p = 0.1;
	r->bias = 1;
	for (size_t i = 0; i < o->nparams; i++) {
		const char *k = o->keys[i], *v = o->vals[i];
		if (!strcmp(k, "C")) par->C = atof(v);
		else if (!strcmp(k, "eps")) par->eps = atof(v);
		else if (!strcmp(k, "solver")) par->solver_type = solver_parse(v);
		else if (!strcmp(k, "bias")) r->bias = atof(v);
	}
	if (par->eps <= 0) /* LIBLINEAR's own defaults, by solver */
		par->eps = par->solver_type == L2R_L2LOSS_SVC || par->solver_type == L1R_L2LOSS_SVC ? 0.01 : 0.1;
	par->nr_weight = r->nw;
	par->weight_label = r->wl;
	par->weight = r->wv;
}

static const char *lin_problem(svm_run *r, node **rows, double *y, const imb_tabular_data *t)
{
	r->lprob = (struct problem){.l = (int)t->n, .n = (int)t->d + (r->bias >= 0), .y = y,
	                            .x = (struct feature_node **)rows, .bias = r->bias};
	return check_parameter(&r->lprob, &r->lin);
}

static void *lin_train(svm_run *r) { return train(&r->lprob, &r->lin); }
static int lin_save(const char *path, const void *m) { return save_model(path, m); }

static void lin_destroy(void *m)
{
	struct model *p = m;
	free_and_destroy_model(&p);
}

static void lin_describe(const svm_run *r, imb_val *params)
{
	imb_val_set_str(params, "solver", solver_name(r->lin.solver_type));
	imb_val_set_float(params, "C", r->lin.C);
	imb_val_set_float(params, "eps", r->lin.eps);
	imb_val_set_float(params, "bias", r->bias);
}

static void lin_summary(const svm_run *r, const imb_tabular_data *t, double secs, char *buf,
                        size_t size)
{
	snprintf(buf, size, "linear-svm: liblinear %s, C %g, %llu samples, %llu features, %.2f s",
	         solver_name(r->lin.solver_type), r->lin.C, (unsigned long long)t->n,
	         (unsigned long long)t->d, secs);
}

static void *lin_load(const char *path) { return load_model(path); }

static int lin_check(svm_loaded *m, size_t d, int K)
{
	struct model *lm = m->m;
	if (check_regression_model(lm))
		return imb_seterr("tensor 'bytes' holds a LIBLINEAR regression model, not a classifier");
	if (lm->nr_class < 1 || lm->nr_class > K)
		return imb_seterr("tensor 'bytes': the LIBLINEAR model has %d classes, attrs.n_classes says %d",
		                  lm->nr_class, K);
	if ((size_t)get_nr_feature(lm) != d)
		return imb_seterr("tensor 'bytes': the LIBLINEAR model has %d features, attrs.n_features says %zu",
		                  get_nr_feature(lm), d);
	m->nr = lm->nr_class;
	m->label = lm->label;
	m->bias = lm->bias;
	return 0;
}

static svm_out lin_scores(svm_loaded *m, const node *row)
{
	struct model *lm = m->m;
	predict_values(lm, (const struct feature_node *)row, m->dec);
	return m->nr == 2 && lm->param.solver_type != MCSVM_CS ? OUT_BINARY : OUT_SOFTMAX;
}

static const svm_lib liblinear = {
	"linear-svm", "liblinear", "LIBLINEAR", linsvm_keys, IMB_LEN(linsvm_keys),
	lin_setup, lin_problem, lin_train, lin_save, lin_destroy, lin_describe, lin_summary,
	lin_text_check, lin_load, lin_check, lin_scores,
};

/* ---- LIBSVM ---- */

static void ksvm_setup(svm_run *r, const imb_tabular_opts *o, const imb_tabular_data *t)
{
	struct svm_parameter *par = &r->svm;
	par->svm_type = C_SVC;
	par->kernel_type = RBF;
	par->degree = 3;
	par->coef0 = 0;
	par->cache_size = 200;
	par->eps = 1e-3;
	par->C = 1;
	par->nu = 0.5;
	par->p = 0.1;
	par->shrinking = 1;
	par->probability = 0;
	r->bias = -1;
	r->gamma = "scale";
	for (size_t i = 0; i < o->nparams; i++) {
		const char *k = o->keys[i], *v = o->vals[i];
		if (!strcmp(k, "C")) par->C = atof(v);
		else if (!strcmp(k, "eps")) par->eps = atof(v);
		else if (!strcmp(k, "kernel")) par->kernel_type = kernel_parse(v);
		else if (!strcmp(k, "gamma")) r->gamma = v;
		else if (!strcmp(k, "degree")) par->degree = atoi(v);
		else if (!strcmp(k, "coef0")) par->coef0 = atof(v);
		else if (!strcmp(k, "probability")) par->probability = atoi(v);
		else if (!strcmp(k, "shrinking")) par->shrinking = atoi(v);
		else if (!strcmp(k, "cache_size")) par->cache_size = atof(v);
	}
	if (!strcmp(r->gamma, "scale")) { /* scikit-learn's: 1 / (D var(X)) */
		double s = 0, s2 = 0, cnt = (double)t->n * (double)t->d;
		for (size_t k = 0; k < t->n * t->d; k++) {
			s += t->x[k];
			s2 += (double)t->x[k] * t->x[k];
		}
		double var = s2 / cnt - (s / cnt) * (s / cnt);
		par->gamma = var > 0 ? 1 / ((double)t->d * var) : 1;
	} else if (!strcmp(r->gamma, "auto")) {
		par->gamma = 1 / (double)t->d;
	} else {
		par->gamma = atof(r->gamma);
	}
	par->nr_weight = r->nw;
	par->weight_label = r->wl;
	par->weight = r->wv;
}

static const char *ksvm_problem(svm_run *r, node **rows, double *y, const imb_tabular_data *t)
{
	r->sprob = (struct svm_problem){.l = (int)t->n, .y = y, .x = (struct svm_node **)rows};
	return svm_check_parameter(&r->sprob, &r->svm);
}

static void *ksvm_train(svm_run *r) { return svm_train(&r->sprob, &r->svm); }
static int ksvm_save(const char *path, const void *m) { return svm_save_model(path, m); }

static void ksvm_destroy(void *m)
{
	struct svm_model *p = m;
	svm_free_and_destroy_model(&p);
}

static void ksvm_describe(const svm_run *r, imb_val *params)
{
	const struct svm_parameter *par = &r->svm;
	imb_val_set_str(params, "kernel", kernel_name(par->kernel_type));
	imb_val_set_float(params, "C", par->C);
	imb_val_set_float(params, "gamma", par->gamma);
	if (par->kernel_type == RBF || par->kernel_type == POLY || par->kernel_type == SIGMOID)
		imb_val_set_str(params, "gamma_rule", strcmp(r->gamma, "scale") && strcmp(r->gamma, "auto")
		                                      ? "given" : r->gamma);
	imb_val_set_int(params, "degree", par->degree);
	imb_val_set_float(params, "coef0", par->coef0);
	imb_val_set_float(params, "eps", par->eps);
	imb_val_set_int(params, "probability", par->probability);
	imb_val_set_int(params, "shrinking", par->shrinking);
	imb_val_set_float(params, "cache_size", par->cache_size);
}

static void ksvm_summary(const svm_run *r, const imb_tabular_data *t, double secs, char *buf,
                         size_t size)
{
	snprintf(buf, size, "svm: libsvm C-SVC, %s kernel, C %g, gamma %g, %d support vectors, "
	         "%llu samples, %.2f s", kernel_name(r->svm.kernel_type), r->svm.C, r->svm.gamma,
	         svm_get_nr_sv(r->model), (unsigned long long)t->n, secs);
}

static void *ksvm_load(const char *path) { return svm_load_model(path); }

static int ksvm_check(svm_loaded *m, size_t d, int K)
{
	struct svm_model *sm = m->m;
	int type = svm_get_svm_type(sm);
	if (type != C_SVC && type != NU_SVC)
		return imb_seterr("tensor 'bytes' holds a LIBSVM model that is not a classifier");
	int nr = sm->nr_class;
	if (nr < 1 || nr > K || !sm->label)
		return imb_seterr("tensor 'bytes': the LIBSVM model has %d classes, attrs.n_classes says %d",
		                  nr, K);
	for (int i = 0; i < sm->l; i++)
		for (const struct svm_node *q = sm->SV[i]; q->index != -1; q++)
			if (q->index < 1 || (size_t)q->index > d)
				return imb_seterr("tensor 'bytes': a LIBSVM support vector uses feature %d, "
				                  "attrs.n_features says %zu", q->index, d);
	m->nr = nr;
	m->label = sm->label;
	m->bias = -1;
	m->prob = svm_check_probability_model(sm);
	return 0;
}

static svm_out ksvm_scores(svm_loaded *m, const node *row)
{
	const struct svm_node *r = (const struct svm_node *)row;
	if (m->prob) {
		svm_predict_probability(m->m, r, m->pe);
		return OUT_PROBS;
	}
	svm_predict_values(m->m, r, m->dec);
	return m->nr == 2 ? OUT_BINARY : OUT_VOTES;
}

static const svm_lib libsvm = {
	"svm", "libsvm", "LIBSVM", svm_keys, IMB_LEN(svm_keys),
	ksvm_setup, ksvm_problem, ksvm_train, ksvm_save, ksvm_destroy, ksvm_describe, ksvm_summary,
	ksvm_text_check, ksvm_load, ksvm_check, ksvm_scores,
};

static const svm_lib *lib_of(const char *model)
{
	return !strcmp(model, liblinear.model) ? &liblinear : &libsvm;
}

/* ---- one path for both ---- */

const char *imb_svm_check_param(const char *model, const char *k, const char *v)
{
	static char msg[512];
	const svm_lib *lib = lib_of(model);
	double d;
	if (!in_list(k, lib->keys, lib->nkeys)) {
		char known[256] = "";
		for (size_t j = 0; j < lib->nkeys; j++) {
			strncat(known, j ? ", " : "", sizeof known - strlen(known) - 1);
			strncat(known, lib->keys[j], sizeof known - strlen(known) - 1);
		}
		snprintf(msg, sizeof msg, "--param: unknown %s parameter '%s' (known: %s)", model, k,
		         known);
		return msg;
	}
	const char *bad = NULL;
	/* numbers: finite and in a range the libraries take (LIBLINEAR's
	 * primal solver never ends at C = 1e308; C times a class weight,
	 * both at most 1e6, is at most 1e12) */
	static const struct { const char *key, *want; double lo, hi; int lo_open; } nums[] = {
		{"C", "a number in (0, 1e6]", 0, 1e6, 1},
		{"eps", "a number in [1e-12, 10]", 1e-12, 10, 0},
		{"cache_size", "a number of MB in [1, 65536]", 1, 65536, 0},
		{"coef0", "a number in [-1e6, 1e6]", -1e6, 1e6, 0},
		{"bias", "a number <= 1e6 (< 0: no bias feature)", -1e300, 1e6, 0},
	};
	if (!strcmp(k, "solver")) {
		if (solver_parse(v) < 0)
			bad = "primal, dual, l1loss-dual, crammer-singer or l1r";
	} else if (!strcmp(k, "kernel")) {
		if (kernel_parse(v) < 0)
			bad = "rbf, linear, poly or sigmoid";
	} else if (!strcmp(k, "gamma")) {
		if (strcmp(v, "scale") && strcmp(v, "auto") &&
		    (imb_tabular_parse_num(v, &d) < 0 || d <= 0 || d > 1e6))
			bad = "a number in (0, 1e6], scale or auto";
	} else if (!strcmp(k, "probability") || !strcmp(k, "shrinking")) {
		if (strcmp(v, "0") && strcmp(v, "1"))
			bad = "0 or 1";
	} else if (!strcmp(k, "degree")) {
		if (imb_tabular_parse_num(v, &d) < 0 || d < 1 || d > 100 || d != floor(d))
			bad = "an integer in [1, 100]";
	} else {
		for (size_t j = 0; j < IMB_LEN(nums); j++)
			if (!strcmp(k, nums[j].key) &&
			    (imb_tabular_parse_num(v, &d) < 0 || d < nums[j].lo ||
			     (nums[j].lo_open && d == nums[j].lo) || d > nums[j].hi))
				bad = nums[j].want;
	}
	if (bad) {
		snprintf(msg, sizeof msg, "--param %s=%s: %s must be %s", k, v, k, bad);
		return msg;
	}
	return NULL;
}

int imb_svm_train(const imb_tabular_data *t, const imb_tabular_opts *o, imb_val **params,
                  void **bytes, size_t *nbytes, char *summary, size_t summary_size)
{
	const svm_lib *lib = lib_of(o->model);
	double t0 = imb_now();
	svm_run r = {0};
	int wl[t->K];
	double wv[t->K];
	r.nw = weight_lists(t, wl, wv);
	r.wl = wl;
	r.wv = wv;
	lib->setup(&r, o, t);
	node **rows = NULL, *store = NULL;
	double *y = NULL;
	int rc = sparse_rows(t->x, t->n, t->d, r.bias, t->lb, &rows, &store);
	if (rc < 0)
		goto done;
	y = imb_xmalloc(t->n * sizeof *y);
	for (uint64_t i = 0; i < t->n; i++)
		y[i] = t->y[i];
	const char *msg = lib->problem(&r, rows, y, t);
	if (msg) {
		imb_seterr("%s rejected the parameters: %s", lib->lib, msg);
		rc = -2;
		goto done;
	}
	quiet(o->verbose);
	srand((unsigned)o->seed);
	r.model = lib->train(&r);
	rc = imb_modelfile_save(lib->save, r.model, lib->lib, bytes, nbytes);
	if (rc < 0)
		goto done;
	*params = imb_val_map();
	lib->describe(&r, *params);
	imb_val_set(*params, "class_weight", imb_tabular_cw_val(o, t));
	imb_val_set_int(*params, "seed", (int64_t)o->seed);
	lib->summary(&r, t, imb_now() - t0, summary, summary_size);
	rc = 0;
done:
	if (r.model)
		lib->destroy(r.model);
	free(y);
	free(rows);
	free(store);
	return rc;
}

void imb_svm_free(void *vm)
{
	svm_loaded *m = vm;
	if (!m)
		return;
	if (m->m)
		m->lib->destroy(m->m);
	free(m->cls);
	free(m->row);
	free(m->dec);
	free(m->pe);
	free(m);
}

static void *load(const svm_lib *lib, const imb_frame *f, size_t d, int K)
{
	quiet(0);
	const void *p;
	size_t n;
	if (imb_model_frame_bytes(f, &p, &n) < 0)
		return NULL;
	if (lib->text_check(p, n, d, K) < 0)
		return NULL;
	void *loaded;
	if (imb_modelfile_load(p, n, lib->load, &loaded) < 0)
		return NULL;
	svm_loaded *m = imb_xcalloc(1, sizeof *m);
	m->lib = lib;
	m->m = loaded;
	if (!m->m) {
		imb_seterr("tensor 'bytes' is not a %s model file", lib->file);
		goto fail;
	}
	if (lib->check(m, d, K) < 0 || !(m->cls = map_labels(m->label, m->nr, K)))
		goto fail;
	m->dec = imb_xmalloc((size_t)(m->nr * (m->nr - 1) / 2 + 1) * sizeof *m->dec);
	m->pe = imb_xmalloc((size_t)m->nr * sizeof *m->pe);
	return m;
fail:
	imb_svm_free(m);
	return NULL;
}

void *imb_linsvm_load(const imb_frame *f, size_t d, int K) { return load(&liblinear, f, d, K); }
void *imb_svm_load(const imb_frame *f, size_t d, int K) { return load(&libsvm, f, d, K); }

int imb_svm_predict(void *vm, const float *x, size_t n, size_t d, int K, float *probs)
{
	svm_loaded *m = vm;
	int nr = m->nr;
	if (!m->row) /* d + 2 nodes: a row, the bias, the terminator */
		m->row = imb_xmalloc((d + 2) * sizeof *m->row);
	for (size_t i = 0; i < n; i++) {
		const float *r = x + i * d;
		float *pr = probs + i * (size_t)K;
		for (size_t j = 0; j < d; j++)
			if (!isfinite(r[j]))
				return imb_seterr("row %zu column %zu is not a finite number", i, j);
		memset(pr, 0, (size_t)K * sizeof *pr);
		if (nr == 1) {
			pr[m->cls[0]] = 1;
			continue;
		}
		switch (m->lib->scores(m, dense_row(r, d, m->bias, m->row))) {
		case OUT_BINARY: {
			double p0 = sigmoid(m->dec[0]);
			pr[m->cls[0]] = (float)p0;
			pr[m->cls[1]] = (float)(1 - p0);
			break;
		}
		case OUT_SOFTMAX: {
			double mx = m->dec[0], s = 0;
			for (int j = 1; j < nr; j++)
				mx = fmax(mx, m->dec[j]);
			for (int j = 0; j < nr; j++)
				s += exp(m->dec[j] - mx);
			for (int j = 0; j < nr; j++)
				pr[m->cls[j]] = (float)(exp(m->dec[j] - mx) / s);
			break;
		}
		case OUT_VOTES: {
			int pairs = nr * (nr - 1) / 2, q = 0;
			for (int a = 0; a < nr; a++)
				for (int b = a + 1; b < nr; b++, q++)
					pr[m->cls[m->dec[q] > 0 ? a : b]] += 1.0f / (float)pairs;
			break;
		}
		case OUT_PROBS:
			for (int j = 0; j < nr; j++)
				pr[m->cls[j]] = (float)m->pe[j];
			break;
		}
	}
	return 0;
}
