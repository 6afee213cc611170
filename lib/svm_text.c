/* svm_text.c: LIBLINEAR and LIBSVM model text, checked whole before a
 * library reads it (svm_text.h). */
#include "svm_text.h"
#include "util.h"

#include <linear.h>
#include <libsvm/svm.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
/* nr_class or label, in either library's header: nr_class in [2, K]
 * once; label once, after it, nr distinct labels in [0, K) */
static int class_key(mtext *t, const char *k, size_t len, int K, long long *nr, int *have_label)
{
	if (tok_is(k, len, "nr_class")) {
		if (*nr >= 0)
			return mt_err(t, "nr_class given twice");
		return mt_int1(t, "nr_class", 2, K, nr);
	}
	if (*nr < 0)
		return mt_err(t, "label before nr_class");
	if ((*have_label)++)
		return mt_err(t, "label given twice");
	return mt_labels(t, *nr, K);
}

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
int imb_svm_lin_text_check(const char *p, size_t n, size_t d, int K)
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
		} else if (tok_is(k, len, "nr_class") || tok_is(k, len, "label")) {
			if (class_key(&t, k, len, K, &nr, &have_label) < 0)
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
int imb_svm_ksvm_text_check(const char *p, size_t n, size_t d, int K)
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
		} else if (tok_is(k, len, "nr_class") || tok_is(k, len, "label")) {
			if (class_key(&t, k, len, K, &nr, &have_label) < 0)
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
