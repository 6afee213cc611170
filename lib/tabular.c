/* tabular.c: XGBoost, LIBLINEAR and LIBSVM training, serialisation and
 * prediction behind tabular.h. */
#include "tabular.h"
#include "dataset.h"
#include "util.h"

#include <xgboost/c_api.h>
#include <linear.h>
#include <libsvm/svm.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- shared helpers ---- */

static void print_stderr(const char *s) { fputs(s, stderr); }
static void print_none(const char *s) { (void)s; }
static void xgb_log(const char *s) { fprintf(stderr, "xgboost: %s\n", s); }

/* Route the libraries' printing away from stdout (it carries frames). */
static void quiet_libs(int verbose)
{
	set_print_string_function(verbose ? print_stderr : print_none);
	svm_set_print_string_function(verbose ? print_stderr : print_none);
	XGBRegisterLogCallback(xgb_log);
}

/* LIBLINEAR's and LIBSVM's model loaders write their complaints about a
 * damaged file ("ERROR: fscanf failed to read the model", "unknown text
 * in model file") straight to stderr, past the print hooks above; ours,
 * naming the tensor, follows. So stderr goes to /dev/null for the load:
 * stderr_mute returns the saved descriptor (or -1: left as it was). */
static int stderr_mute(void)
{
	fflush(stderr);
	int saved = dup(2);
	int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved < 0 || nul < 0 || dup2(nul, 2) < 0) {
		if (saved >= 0)
			close(saved);
		if (nul >= 0)
			close(nul);
		return -1;
	}
	close(nul);
	return saved;
}

static void stderr_unmute(int saved)
{
	if (saved < 0)
		return;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
}

void imb_tabular_opts_init(imb_tabular_opts *o)
{
	memset(o, 0, sizeof *o);
	o->model = "xgboost";
	o->rounds = 100;
	o->cw = IMB_CW_NONE;
}

/* a parameter value as a number when the whole string is one, else text */
static void set_param(imb_val *params, const char *k, const char *v)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (*v && !*end && !errno && isfinite(d)) {
		if (d == floor(d) && fabs(d) < 9e15 && !strpbrk(v, ".eE"))
			imb_val_set_int(params, k, (int64_t)d);
		else
			imb_val_set_float(params, k, d);
	} else {
		imb_val_set_str(params, k, v);
	}
}

static int parse_num(const char *s, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

static char errbuf[512];

/* temp file directory: $TMPDIR or /tmp */
static int tmp_open(char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, size, "%s/imb-model-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		imb_seterr("cannot create a temporary file in %s: %s", dir, strerror(errno));
	return fd;
}

/* Read a whole file into a new aligned buffer. */
static int slurp(const char *path, void **out, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return imb_seterr("%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return imb_seterr("%s: %s", path, strerror(errno));
	}
	size_t n = (size_t)st.st_size;
	char *buf = imb_xmalloc_aligned(n ? n : 1);
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0) {
			free(buf);
			close(fd);
			return imb_seterr("%s: short read", path);
		}
		got += (size_t)r;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
}

/* Write bytes to a new temp file; its name goes to path. */
static int spill(const void *p, size_t n, char *path, size_t size)
{
	int fd = tmp_open(path, size);
	if (fd < 0)
		return -1;
	const char *c = p;
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, c + done, n - done);
		if (w <= 0) {
			int e = errno;
			close(fd);
			unlink(path);
			return imb_seterr("%s: %s", path, strerror(e));
		}
		done += (size_t)w;
	}
	if (close(fd) < 0) {
		unlink(path);
		return imb_seterr("%s: %s", path, strerror(errno));
	}
	return 0;
}

/* A library that can only save its model to a named file: save through
 * a temp file and read the bytes back. save returns 0 on success. */
static int save_bytes(int (*save)(const char *path, const void *model), const void *model,
                      const char *lib, void **bytes, size_t *len)
{
	char path[4096];
	if (spill("", 0, path, sizeof path) < 0)
		return -1;
	if (save(path, model) != 0) {
		unlink(path);
		return imb_seterr("%s: cannot save the model to %s", lib, path);
	}
	int r = slurp(path, bytes, len);
	unlink(path);
	return r;
}

static int save_linear(const char *path, const void *m) { return save_model(path, m); }
static int save_svm(const char *path, const void *m) { return svm_save_model(path, m); }

/* The model frame's "bytes" tensor: (B) u8. */
static int model_bytes(const imb_frame *f, const void **p, size_t *n)
{
	imb_tensor *t = imb_frame_tensor(f, "bytes");
	if (!t)
		return imb_seterr("tensor 'bytes' is missing");
	if (t->dtype != IMB_U8 || t->ndim != 1)
		return imb_seterr("tensor 'bytes' must be (B) u8, not %s with %d dimensions",
		                  imb_dtype_name(t->dtype), t->ndim);
	if (t->nbytes == 0)
		return imb_seterr("tensor 'bytes' is empty");
	*p = t->data;
	*n = t->nbytes;
	return 0;
}

/* Per-class weights (K): NULL for none. Balanced is sklearn's
 * n / (K_present * n_k). -2 with imb_error() for a list of the wrong
 * length. */
static int class_weights(const imb_tabular_opts *o, const int64_t *counts, int K, uint64_t n,
                         const char *lb, double **out)
{
	*out = NULL;
	if (o->cw == IMB_CW_NONE)
		return 0;
	double *w = imb_xcalloc((size_t)K, sizeof *w);
	if (o->cw == IMB_CW_LIST) {
		if (o->cw_n != (size_t)K) {
			free(w);
			imb_seterr("--class-weight: %zu weights given, but %s has %d classes", o->cw_n, lb, K);
			return -2;
		}
		for (int k = 0; k < K; k++)
			w[k] = o->cw_list[k];
	} else {
		int present = 0;
		for (int k = 0; k < K; k++)
			present += counts[k] > 0;
		for (int k = 0; k < K; k++)
			w[k] = counts[k] > 0 ? (double)n / ((double)present * (double)counts[k]) : 0;
	}
	*out = w;
	return 0;
}

static imb_val *cw_val(const imb_tabular_opts *o, const double *w, int K)
{
	if (!w)
		return imb_val_str("none");
	imb_val *m = imb_val_map();
	imb_val_set_str(m, "mode", o->cw == IMB_CW_BALANCED ? "balanced" : "list");
	imb_val_set(m, "weights", imb_val_float_array(w, (size_t)K));
	return m;
}

/* ---- checking options ---- */

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

/* objectives whose predictions are class probabilities (hinge: 0 or 1) */
static int xgb_objective_ok(const char *s)
{
	return !strcmp(s, "binary:logistic") || !strcmp(s, "binary:hinge") ||
	       !strcmp(s, "multi:softprob");
}

const char *imb_tabular_check(const imb_tabular_opts *o)
{
	int xgb = !strcmp(o->model, "xgboost"), lin = !strcmp(o->model, "linear-svm"),
	    svm = !strcmp(o->model, "svm");
	if (!xgb && !lin && !svm) {
		snprintf(errbuf, sizeof errbuf,
		         "--model: unknown model '%s' (known: xgboost, linear-svm, svm)", o->model);
		return errbuf;
	}
	if (o->cw == IMB_CW_LIST)
		for (size_t k = 0; k < o->cw_n; k++)
			if (!(o->cw_list[k] >= 0) || !isfinite(o->cw_list[k])) {
				snprintf(errbuf, sizeof errbuf,
				         "--class-weight: weight %zu is not a finite number >= 0", k);
				return errbuf;
			}
	for (size_t i = 0; i < o->nparams; i++) {
		const char *k = o->keys[i], *v = o->vals[i];
		double d;
		if (!*k) {
			snprintf(errbuf, sizeof errbuf, "--param: empty parameter name");
			return errbuf;
		}
		if (xgb) {
			if (!strcmp(k, "objective") && !xgb_objective_ok(v)) {
				snprintf(errbuf, sizeof errbuf, "--param objective=%s: imb-train needs class "
				         "probabilities: binary:logistic, binary:hinge or multi:softprob", v);
				return errbuf;
			}
			if (!strcmp(k, "num_boost_round") &&
			    (parse_num(v, &d) < 0 || d < 1 || d > 1e7 || d != floor(d))) {
				snprintf(errbuf, sizeof errbuf,
				         "--param num_boost_round=%s: not a positive integer", v);
				return errbuf;
			}
			continue;
		}
		const char *const *keys = lin ? linsvm_keys : svm_keys;
		size_t nk = lin ? IMB_LEN(linsvm_keys) : IMB_LEN(svm_keys);
		if (!in_list(k, keys, nk)) {
			char known[256] = "";
			for (size_t j = 0; j < nk; j++) {
				strncat(known, j ? ", " : "", sizeof known - strlen(known) - 1);
				strncat(known, keys[j], sizeof known - strlen(known) - 1);
			}
			snprintf(errbuf, sizeof errbuf, "--param: unknown %s parameter '%s' (known: %s)",
			         o->model, k, known);
			return errbuf;
		}
		const char *bad = NULL;
		if (!strcmp(k, "solver")) {
			if (solver_parse(v) < 0)
				bad = "primal, dual, l1loss-dual, crammer-singer or l1r";
		} else if (!strcmp(k, "kernel")) {
			if (kernel_parse(v) < 0)
				bad = "rbf, linear, poly or sigmoid";
		} else if (!strcmp(k, "gamma")) {
			if (strcmp(v, "scale") && strcmp(v, "auto") && (parse_num(v, &d) < 0 || d <= 0))
				bad = "a number > 0, scale or auto";
		} else if (!strcmp(k, "probability") || !strcmp(k, "shrinking")) {
			if (strcmp(v, "0") && strcmp(v, "1"))
				bad = "0 or 1";
		} else if (!strcmp(k, "degree")) {
			if (parse_num(v, &d) < 0 || d < 1 || d > 100 || d != floor(d))
				bad = "an integer >= 1";
		} else if (!strcmp(k, "coef0") || !strcmp(k, "bias")) {
			if (parse_num(v, &d) < 0)
				bad = "a number";
		} else { /* C, eps, cache_size */
			if (parse_num(v, &d) < 0 || d <= 0)
				bad = "a number > 0";
		}
		if (bad) {
			snprintf(errbuf, sizeof errbuf, "--param %s=%s: %s must be %s", k, v, k, bad);
			return errbuf;
		}
	}
	return NULL;
}

/* ---- shared training set-up ---- */

typedef struct {
	const imb_frame *f;
	char lb[128];
	uint64_t n, d;
	int K;
	float *x;          /* (n, d) */
	const int32_t *y;  /* (n) */
	int64_t *counts;   /* (K) */
	double *w;         /* (K) class weights or NULL */
} tdata;

static void tdata_free(tdata *t)
{
	free(t->x);
	free(t->counts);
	free(t->w);
}

static int tdata_init(tdata *t, const imb_frame *f, const imb_tabular_opts *o)
{
	memset(t, 0, sizeof *t);
	t->f = f;
	imb_frame_label(f, t->lb, sizeof t->lb);
	if (imb_dataset_check(f) < 0)
		return -1;
	t->n = imb_dataset_n(f);
	t->d = imb_dataset_dim(f);
	t->K = imb_dataset_nclasses(f);
	if (t->n == 0)
		return imb_seterr("%s: no samples to train on", t->lb);
	if (t->d == 0 || t->d > 0x7ffffffe)
		return imb_seterr("%s: tensor x: %llu features per sample is not trainable", t->lb,
		                  (unsigned long long)t->d);
	if (t->n > 0x7fffffff)
		return imb_seterr("%s: %llu samples is more than these libraries take", t->lb,
		                  (unsigned long long)t->n);
	if (t->K < 2)
		return imb_seterr("%s: attrs.classes: %d class; a classifier needs at least 2", t->lb, t->K);
	t->counts = imb_dataset_counts(f);
	int present = 0;
	for (int k = 0; k < t->K; k++)
		present += t->counts[k] > 0;
	if (present < 2)
		return imb_seterr("%s: tensor y: only one class occurs; a classifier needs two", t->lb);
	int r = class_weights(o, t->counts, t->K, t->n, t->lb, &t->w);
	if (r < 0)
		return r;
	t->x = imb_dataset_features(f);
	t->y = imb_frame_tensor(f, "y")->data;
	return 0;
}

/* the model frame's common attrs */
static imb_frame *model_frame(const tdata *t, const char *model, imb_val *params,
                              void *bytes, size_t nbytes)
{
	imb_frame *m = imb_frame_new("model", "model");
	imb_val_set_str(m->attrs, "model", model);
	imb_val_set_int(m->attrs, "n_features", (int64_t)t->d);
	imb_val_set_int(m->attrs, "n_classes", t->K);
	imb_val *cl = imb_val_get(t->f->attrs, "classes");
	if (cl)
		imb_val_set(m->attrs, "classes", imb_val_copy(cl));
	else {
		imb_val *a = imb_val_arr();
		for (int k = 0; k < t->K; k++) {
			char b[32];
			snprintf(b, sizeof b, "%d", k);
			imb_val_push(a, imb_val_str(b));
		}
		imb_val_set(m->attrs, "classes", a);
	}
	imb_val_set(m->attrs, "params", params);
	imb_val *tr = imb_val_map();
	imb_val *src = imb_val_get(t->f->attrs, "source");
	imb_val_set(tr, "source", src ? imb_val_copy(src) : imb_val_nil());
	imb_val *split = imb_val_get(t->f->attrs, "split");
	imb_val_set(tr, "split", split ? imb_val_copy(split) : imb_val_nil());
	imb_val_set_int(tr, "n", (int64_t)t->n);
	imb_val_set(tr, "counts", imb_val_int_array(t->counts, (size_t)t->K));
	imb_val_set(m->attrs, "train", tr);
	imb_val *h = imb_val_get(t->f->attrs, "history");
	if (h && h->t == IMB_V_ARR)
		imb_val_set(m->attrs, "history", imb_val_copy(h));
	uint64_t shape[1] = {nbytes};
	imb_frame_put_tensor(m, "bytes", IMB_U8, 1, shape, bytes);
	return m;
}

static int nthreads(int t)
{
	if (t > 0)
		return t;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* ---- XGBoost ---- */

static int xgb_err(const char *what)
{
	return imb_seterr("xgboost: %s: %s", what, XGBGetLastError());
}

static int xgb_train(const imb_frame *f, const imb_tabular_opts *o, imb_frame **out,
                     char *summary, size_t ssize)
{
	tdata t;
	int r = tdata_init(&t, f, o);
	if (r < 0) {
		tdata_free(&t);
		return r;
	}
	double t0 = imb_now();
	int threads = nthreads(o->threads);
	int rounds = o->rounds > 0 ? o->rounds : 100;
	DMatrixHandle dm = NULL;
	BoosterHandle b = NULL;
	imb_val *params = imb_val_map();
	r = -1;
	/* NaN is XGBoost's missing value; infinity is refused by libxgboost
	 * with a stack trace, so name it here instead */
	for (uint64_t k = 0; k < t.n * t.d; k++)
		if (isinf(t.x[k])) {
			imb_seterr("%s: tensor x: row %llu column %llu is infinite; XGBoost takes NaN as "
			           "missing but no infinity", t.lb, (unsigned long long)(k / t.d),
			           (unsigned long long)(k % t.d));
			goto done;
		}
	if (XGDMatrixCreateFromMat_omp(t.x, t.n, t.d, NAN, &dm, threads) < 0) {
		xgb_err("making the training matrix");
		goto done;
	}
	float *lab = imb_xmalloc(t.n * sizeof *lab);
	for (uint64_t i = 0; i < t.n; i++)
		lab[i] = (float)t.y[i];
	int e = XGDMatrixSetFloatInfo(dm, "label", lab, t.n);
	if (!e && t.w) {
		for (uint64_t i = 0; i < t.n; i++)
			lab[i] = (float)t.w[t.y[i]];
		e = XGDMatrixSetFloatInfo(dm, "weight", lab, t.n);
	}
	free(lab);
	if (e < 0) {
		xgb_err("setting labels");
		goto done;
	}
	if (XGBoosterCreate(&dm, 1, &b) < 0) {
		xgb_err("creating the booster");
		goto done;
	}
	/* the paper's defaults, then the user's --param in order */
	char buf[64];
	imb_val_set_str(params, "objective", t.K == 2 ? "binary:logistic" : "multi:softprob");
	if (t.K > 2)
		imb_val_set_int(params, "num_class", t.K);
	imb_val_set_float(params, "eta", 0.3);
	imb_val_set_int(params, "max_depth", 6);
	imb_val_set_float(params, "subsample", 0.5);
	imb_val_set_str(params, "tree_method", "hist");
	imb_val_set_int(params, "seed", (int64_t)o->seed);
	imb_val_set_int(params, "nthread", threads);
	imb_val_set_int(params, "validate_parameters", 1);
	for (size_t i = 0; i < o->nparams; i++) {
		if (!strcmp(o->keys[i], "num_boost_round"))
			rounds = atoi(o->vals[i]);
		else
			set_param(params, o->keys[i], o->vals[i]);
	}
	for (size_t i = 0; i < params->n; i++) {
		const imb_val *v = params->items[i];
		const char *s = buf;
		if (v->t == IMB_V_STR)
			s = v->s;
		else if (v->t == IMB_V_INT)
			snprintf(buf, sizeof buf, "%lld", (long long)v->i);
		else
			imb_fmt_double(buf, sizeof buf, v->f);
		if (XGBoosterSetParam(b, params->keys[i], s) < 0) {
			imb_seterr("--param %s=%s: %s", params->keys[i], s, XGBGetLastError());
			r = -2;
			goto done;
		}
	}
	imb_val_set_int(params, "num_boost_round", rounds);
	imb_val_set(params, "class_weight", cw_val(o, t.w, t.K));
	/* configure now, so that a bad parameter is a usage error */
	bst_ulong clen;
	const char *cfg;
	if (XGBoosterSaveJsonConfig(b, &clen, &cfg) < 0) {
		imb_seterr("xgboost rejected the parameters: %s", XGBGetLastError());
		r = -2;
		goto done;
	}
	for (int it = 0; it < rounds; it++) {
		if (XGBoosterUpdateOneIter(b, it, dm) < 0) {
			if (it == 0) {
				imb_seterr("xgboost rejected the parameters: %s", XGBGetLastError());
				r = -2;
			} else {
				xgb_err("training");
			}
			goto done;
		}
	}
	bst_ulong len;
	const char *raw;
	if (XGBoosterSaveModelToBuffer(b, "{\"format\": \"ubj\"}", &len, &raw) < 0) {
		xgb_err("saving the model");
		goto done;
	}
	void *bytes = imb_xmalloc_aligned(len);
	memcpy(bytes, raw, len);
	const char *tm = imb_val_as_str(imb_val_get(params, "tree_method"), "?");
	threads = (int)imb_val_as_int(imb_val_get(params, "nthread"), threads); /* --param nthread */
	snprintf(summary, ssize, "xgboost: %d rounds (%d trees), tree_method %s, %d threads, %.2f s",
	         rounds, rounds * (t.K > 2 ? t.K : 1), tm, threads, imb_now() - t0);
	*out = model_frame(&t, "xgboost", params, bytes, len);
	params = NULL;
	r = 0;
done:
	if (b)
		XGBoosterFree(b);
	if (dm)
		XGDMatrixFree(dm);
	imb_val_free(params);
	tdata_free(&t);
	return r;
}

typedef struct {
	BoosterHandle b;
} xgb_model;

/* XGBoost 1.7's UBJSON reader trusts lengths and reads past the end of
 * a truncated buffer, so check the structure first: one complete value
 * that ends exactly at the end of the bytes. */
typedef struct { const unsigned char *p, *end; } ubj;

static int ubj_int(ubj *u, int marker, int64_t *out)
{
	static const char mk[] = "iUIlL";
	static const int sz[] = {1, 1, 2, 4, 8};
	const char *q = marker ? strchr(mk, marker) : NULL;
	if (!q)
		return -1;
	int n = sz[q - mk];
	if (u->end - u->p < n)
		return -1;
	uint64_t v = 0;
	for (int k = 0; k < n; k++)
		v = v << 8 | u->p[k];
	u->p += n;
	if (marker == 'i')
		*out = (int8_t)v;
	else if (marker == 'I')
		*out = (int16_t)v;
	else if (marker == 'l')
		*out = (int32_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

static int ubj_len(ubj *u, int64_t *n)
{
	if (u->p >= u->end)
		return -1;
	int m = *u->p++;
	/* every length or count is at most the bytes left (packed arrays
	 * check their own byte count) */
	return ubj_int(u, m, n) < 0 || *n < 0 || *n > ((int64_t)1 << 40) ? -1 : 0;
}

static int ubj_value(ubj *u, int marker, int depth);

/* the size of a fixed-size scalar marker, else -1 */
static int ubj_fixed(int m)
{
	switch (m) {
	case 'Z': case 'N': case 'T': case 'F': return 0;
	case 'i': case 'U': case 'C': return 1;
	case 'I': return 2;
	case 'l': case 'd': return 4;
	case 'L': case 'D': return 8;
	}
	return -1;
}

static int ubj_container(ubj *u, int obj, int depth)
{
	int type = 0;
	int64_t count = -1;
	if (u->p < u->end && *u->p == '$') {
		if (u->end - u->p < 2)
			return -1;
		type = u->p[1];
		u->p += 2;
		if (u->p >= u->end || *u->p != '#')
			return -1;
	}
	if (u->p < u->end && *u->p == '#') {
		u->p++;
		if (ubj_len(u, &count) < 0)
			return -1;
	}
	if (type && !obj && ubj_fixed(type) > 0) { /* a packed array: skip it whole */
		int64_t need = count * ubj_fixed(type);
		if (need > u->end - u->p)
			return -1;
		u->p += need;
		return 0;
	}
	if (count > u->end - u->p) /* other items take a byte at least */
		return -1;
	for (int64_t i = 0; count < 0 || i < count; i++) {
		if (u->p >= u->end)
			return -1;
		if (count < 0 && *u->p == (obj ? '}' : ']')) {
			u->p++;
			return 0;
		}
		if (obj) {
			int64_t kl;
			if (ubj_len(u, &kl) < 0 || kl > u->end - u->p)
				return -1;
			u->p += kl;
		}
		int m = type;
		if (!m) {
			if (u->p >= u->end)
				return -1;
			m = *u->p++;
		}
		if (ubj_value(u, m, depth + 1) < 0)
			return -1;
	}
	return 0;
}

static int ubj_value(ubj *u, int m, int depth)
{
	if (depth > 64)
		return -1;
	int fixed = ubj_fixed(m);
	if (fixed >= 0) {
		if (u->end - u->p < fixed)
			return -1;
		u->p += fixed;
		return 0;
	}
	if (m == 'S' || m == 'H') {
		int64_t n;
		if (ubj_len(u, &n) < 0 || n > u->end - u->p)
			return -1;
		u->p += n;
		return 0;
	}
	if (m == '[' || m == '{')
		return ubj_container(u, m == '{', depth);
	return -1;
}

static int ubj_ok(const void *p, size_t n)
{
	ubj u = {p, (const unsigned char *)p + n};
	if (n < 2 || *u.p != '{')
		return 0;
	u.p++;
	return ubj_value(&u, '{', 0) == 0 && u.p == u.end;
}

/* XGBoost 1.7 also trusts the trees it loads: child indices, split
 * features and array lengths index memory unchecked at load and at
 * prediction. Check them on the (already structurally valid) UBJSON.
 * Positions below point at a value's type marker. */
static const unsigned char *ubj_get(const unsigned char *obj, const unsigned char *end,
                                    const char *key)
{
	if (!obj || obj >= end || *obj != '{')
		return NULL;
	ubj u = {obj + 1, end};
	if (u.p < end && (*u.p == '$' || *u.p == '#'))
		return NULL; /* XGBoost writes plain objects */
	size_t kl = strlen(key);
	while (u.p < end && *u.p != '}') {
		int64_t n;
		if (ubj_len(&u, &n) < 0 || n > u.end - u.p)
			return NULL;
		int hit = (size_t)n == kl && !memcmp(u.p, key, kl);
		u.p += n;
		if (hit)
			return u.p;
		if (u.p >= end)
			return NULL;
		int m = *u.p++;
		if (ubj_value(&u, m, 0) < 0)
			return NULL;
	}
	return NULL;
}

/* a path of keys: "learner", "gradient_booster", ... (NULL-terminated) */
static const unsigned char *ubj_path(const unsigned char *v, const unsigned char *end, ...)
{
	va_list ap;
	va_start(ap, end);
	for (const char *k; v && (k = va_arg(ap, const char *));)
		v = ubj_get(v, end, k);
	va_end(ap);
	return v;
}

/* a string value holding an integer ("5"), as XGBoost keeps parameters */
static int ubj_strint(const unsigned char *v, const unsigned char *end, int64_t *out)
{
	if (!v || v >= end || *v != 'S')
		return -1;
	ubj u = {v + 1, end};
	int64_t n;
	if (ubj_len(&u, &n) < 0 || n < 1 || n > 20 || n > u.end - u.p)
		return -1;
	char b[24];
	memcpy(b, u.p, (size_t)n);
	b[n] = 0;
	char *e;
	errno = 0;
	long long x = strtoll(b, &e, 10);
	if (*e || errno)
		return -1;
	*out = x;
	return 0;
}

/* An array of integers or numbers: its count, and with vals its integer
 * values (malloc'd; NULL for float arrays). -1 if not an array. */
static int ubj_array(const unsigned char *v, const unsigned char *end, int64_t *count,
                     int64_t **vals)
{
	if (vals)
		*vals = NULL;
	if (!v || v >= end || *v != '[')
		return -1;
	ubj u = {v + 1, end};
	int type = 0;
	int64_t n = -1;
	if (u.p < end && *u.p == '$') {
		type = u.p[1];
		u.p += 2;
	}
	if (u.p < end && *u.p == '#') {
		u.p++;
		if (ubj_len(&u, &n) < 0)
			return -1;
	}
	int64_t cap = n >= 0 ? n : 16, k = 0;
	int64_t *x = vals ? imb_xmalloc((size_t)(cap ? cap : 1) * sizeof *x) : NULL;
	while (n < 0 ? u.p < end && *u.p != ']' : k < n) {
		int m = type ? type : *u.p++;
		int64_t iv = 0;
		if (m == 'd' || m == 'D') {
			int sz = m == 'd' ? 4 : 8;
			if (end - u.p < sz)
				goto bad;
			u.p += sz;
		} else if (ubj_int(&u, m, &iv) < 0) {
			goto bad;
		}
		if (x) {
			if (k == cap)
				x = imb_xrealloc(x, (size_t)(cap *= 2) * sizeof *x);
			x[k] = iv;
		}
		k++;
	}
	*count = k;
	if (vals)
		*vals = x;
	return 0;
bad:
	free(x);
	return -1;
}

/* Check every tree of a model: arrays of num_nodes entries, children
 * after their parent (no cycles), split features below d, numerical
 * splits only; tree_info in [0, classes). 0, or -1 with imb_error(). */
static int xgb_trees_ok(const void *p, size_t n, size_t d, int K)
{
	const unsigned char *b = p, *end = b + n;
	const unsigned char *lp = ubj_path(b, end, "learner", "learner_model_param", NULL);
	int64_t nf, nc, ntrees;
	if (ubj_strint(ubj_get(lp, end, "num_feature"), end, &nf) < 0 ||
	    ubj_strint(ubj_get(lp, end, "num_class"), end, &nc) < 0)
		return imb_seterr("tensor 'bytes': no learner_model_param in the XGBoost model");
	if (nf != (int64_t)d)
		return imb_seterr("tensor 'bytes' holds an XGBoost model of %lld features, "
		                  "attrs.n_features says %zu", (long long)nf, d);
	if (nc > 1 ? nc != K : K != 2)
		return imb_seterr("tensor 'bytes': the XGBoost model has %lld classes, "
		                  "attrs.n_classes says %d", (long long)(nc > 1 ? nc : 2), K);
	const unsigned char *mp = ubj_path(b, end, "learner", "gradient_booster", "model", NULL);
	const unsigned char *trees = ubj_get(mp, end, "trees");
	int64_t *info = NULL, ninfo;
	if (!trees || ubj_strint(ubj_path(mp, end, "gbtree_model_param", "num_trees", NULL), end,
	                         &ntrees) < 0 ||
	    ubj_array(ubj_get(mp, end, "tree_info"), end, &ninfo, &info) < 0 || ninfo != ntrees) {
		free(info);
		return imb_seterr("tensor 'bytes': the XGBoost model's tree list is malformed");
	}
	for (int64_t i = 0; i < ninfo; i++)
		if (info[i] < 0 || info[i] >= (nc > 1 ? nc : 1)) {
			free(info);
			return imb_seterr("tensor 'bytes': XGBoost tree %lld is for class %lld",
			                  (long long)i, (long long)info[i]);
		}
	free(info);
	/* walk the trees array: '[' then tree objects until ']' */
	ubj u = {trees + 1, end};
	int64_t count = -1; /* XGBoost writes [#count then the trees */
	if (u.p < end && *u.p == '#') {
		u.p++;
		if (ubj_len(&u, &count) < 0)
			return imb_seterr("tensor 'bytes': the XGBoost model's tree list is malformed");
	}
	if (u.p < end && *u.p == '$')
		return imb_seterr("tensor 'bytes': the XGBoost model's tree list is malformed");
	int64_t t = 0;
	static const char *const ints[] = {"left_children", "right_children", "parents",
	                                   "split_indices", "split_type", "default_left"};
	static const char *const nums[] = {"split_conditions", "base_weights", "loss_changes",
	                                   "sum_hessian"};
	while (u.p < end && (count < 0 ? *u.p != ']' : t < count)) {
		const unsigned char *tree = u.p;
		int64_t nn, tnf, cnt;
		if (*u.p++ != '{' || ubj_value(&u, '{', 0) < 0 ||
		    ubj_strint(ubj_path(tree, end, "tree_param", "num_nodes", NULL), end, &nn) < 0 ||
		    ubj_strint(ubj_path(tree, end, "tree_param", "num_feature", NULL), end, &tnf) < 0 ||
		    nn < 1 || nn > (int64_t)1 << 30 || tnf != nf)
			return imb_seterr("tensor 'bytes': XGBoost tree %lld is malformed", (long long)t);
		int64_t *v[IMB_LEN(ints)] = {0};
		int bad = 0;
		for (size_t k = 0; k < IMB_LEN(ints); k++)
			bad |= ubj_array(ubj_get(tree, end, ints[k]), end, &cnt, &v[k]) < 0 || cnt != nn;
		for (size_t k = 0; k < IMB_LEN(nums); k++)
			bad |= ubj_array(ubj_get(tree, end, nums[k]), end, &cnt, NULL) < 0 || cnt != nn;
		const char *cat[] = {"categories", "categories_nodes", "categories_segments",
		                     "categories_sizes"};
		for (size_t k = 0; k < IMB_LEN(cat); k++) {
			const unsigned char *c = ubj_get(tree, end, cat[k]);
			bad |= c && (ubj_array(c, end, &cnt, NULL) < 0 || cnt != 0);
		}
		/* the root has no parent (0x7fffffff); every other node's parent
		 * comes before it (nodes pruned away keep theirs) */
		bad |= !bad && v[2][0] != 0x7fffffff && v[2][0] != -1;
		for (int64_t i = 1; !bad && i < nn; i++)
			bad |= v[2][i] < 0 || v[2][i] >= i;
		for (int64_t i = 0; !bad && i < nn; i++) {
			int64_t l = v[0][i], r = v[1][i];
			if (l == -1 && r == -1)
				continue; /* a leaf */
			bad |= l <= i || r <= i || l >= nn || r >= nn || v[3][i] < 0 || v[3][i] >= nf ||
			       v[4][i] != 0;
		}
		for (size_t k = 0; k < IMB_LEN(ints); k++)
			free(v[k]);
		if (bad)
			return imb_seterr("tensor 'bytes': XGBoost tree %lld is malformed", (long long)t);
		t++;
	}
	if (t != ntrees)
		return imb_seterr("tensor 'bytes': the XGBoost model lists %lld trees, holds %lld",
		                  (long long)ntrees, (long long)t);
	return 0;
}

void *imb_xgboost_load(const imb_frame *f, size_t d, int K)
{
	quiet_libs(0);
	const void *p;
	size_t n;
	if (model_bytes(f, &p, &n) < 0)
		return NULL;
	if (!ubj_ok(p, n)) {
		imb_seterr("tensor 'bytes' is not an XGBoost UBJSON model (truncated or malformed)");
		return NULL;
	}
	if (xgb_trees_ok(p, n, d, K) < 0)
		return NULL;
	BoosterHandle b;
	if (XGBoosterCreate(NULL, 0, &b) < 0) {
		xgb_err("creating a booster");
		return NULL;
	}
	if (XGBoosterLoadModelFromBuffer(b, p, n) < 0) {
		imb_seterr("tensor 'bytes' is not an XGBoost model: %s", XGBGetLastError());
		XGBoosterFree(b);
		return NULL;
	}
	bst_ulong nf = 0;
	if (XGBoosterGetNumFeature(b, &nf) < 0 || nf != d) {
		imb_seterr("tensor 'bytes' holds an XGBoost model of %llu features, attrs.n_features says %zu",
		           (unsigned long long)nf, d);
		XGBoosterFree(b);
		return NULL;
	}
	/* the objective and the class count, from XGBoost's own config */
	bst_ulong clen;
	const char *cfg;
	if (XGBoosterSaveJsonConfig(b, &clen, &cfg) < 0) {
		imb_seterr("tensor 'bytes': the XGBoost model has no config: %s", XGBGetLastError());
		XGBoosterFree(b);
		return NULL;
	}
	const char *obj = strstr(cfg, "\"objective\":{\"name\":\"");
	const char *ncp = strstr(cfg, "\"num_class\":\"");
	char oname[64] = "?";
	if (obj)
		sscanf(obj + 21, "%63[^\"]", oname);
	long nc = ncp ? strtol(ncp + 13, NULL, 10) : -1;
	if (!xgb_objective_ok(oname)) {
		imb_seterr("tensor 'bytes': the XGBoost model's objective %s gives no class probabilities",
		           oname);
		XGBoosterFree(b);
		return NULL;
	}
	if (nc > 1 ? nc != K : K != 2) {
		imb_seterr("tensor 'bytes': the XGBoost model has %ld classes, attrs.n_classes says %d",
		           nc > 1 ? nc : 2, K);
		XGBoosterFree(b);
		return NULL;
	}
	xgb_model *m = imb_xmalloc(sizeof *m);
	m->b = b;
	return m;
}

int imb_xgboost_predict(void *vm, const float *x, size_t n, size_t d, int K, float *probs)
{
	xgb_model *m = vm;
	DMatrixHandle dm;
	if (XGDMatrixCreateFromMat(x, n, d, NAN, &dm) < 0)
		return xgb_err("making the matrix");
	bst_ulong len;
	const float *res;
	if (XGBoosterPredict(m->b, dm, 0, 0, 0, &len, &res) < 0) {
		XGDMatrixFree(dm);
		return xgb_err("predicting");
	}
	int r = 0;
	if (len == n && K == 2) {
		for (size_t i = 0; i < n; i++) {
			probs[2 * i] = 1 - res[i];
			probs[2 * i + 1] = res[i];
		}
	} else if (len == n * (size_t)K) {
		memcpy(probs, res, n * (size_t)K * sizeof *probs);
	} else {
		r = imb_seterr("xgboost: %llu outputs for %zu rows of %d classes: the objective "
		               "does not give class probabilities", (unsigned long long)len, n, K);
	}
	XGDMatrixFree(dm);
	return r;
}

void imb_xgboost_free(void *vm)
{
	xgb_model *m = vm;
	if (!m)
		return;
	XGBoosterFree(m->b);
	free(m);
}

/* ---- sparse rows for LIBLINEAR / LIBSVM (same node layout) ---- */

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

/* ---- LIBLINEAR ---- */

/* Per-class C multipliers as LIBLINEAR and LIBSVM take them: labels wl
 * and weights wv (each of K) for the classes present; returns the count
 * (0 without class weights). */
static int weight_lists(const tdata *t, int *wl, double *wv)
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

static int linsvm_train(const imb_frame *f, const imb_tabular_opts *o, imb_frame **out,
                        char *summary, size_t ssize)
{
	tdata t;
	int r = tdata_init(&t, f, o);
	if (r < 0) {
		tdata_free(&t);
		return r;
	}
	double t0 = imb_now();
	struct parameter par = {0};
	par.solver_type = L2R_L2LOSS_SVC;
	par.C = 1;
	par.eps = -1;
	par.p = 0.1;
	double bias = 1;
	for (size_t i = 0; i < o->nparams; i++) {
		const char *k = o->keys[i], *v = o->vals[i];
		if (!strcmp(k, "C")) par.C = atof(v);
		else if (!strcmp(k, "eps")) par.eps = atof(v);
		else if (!strcmp(k, "solver")) par.solver_type = solver_parse(v);
		else if (!strcmp(k, "bias")) bias = atof(v);
	}
	if (par.eps <= 0) /* LIBLINEAR's own defaults, by solver */
		par.eps = par.solver_type == L2R_L2LOSS_SVC || par.solver_type == L1R_L2LOSS_SVC ? 0.01 : 0.1;
	int wl[t.K];
	double wv[t.K];
	par.nr_weight = weight_lists(&t, wl, wv);
	par.weight_label = wl;
	par.weight = wv;
	node **rows = NULL, *store = NULL;
	struct model *m = NULL;
	imb_val *params = NULL;
	r = sparse_rows(t.x, t.n, t.d, bias, t.lb, &rows, &store);
	if (r < 0)
		goto done;
	double *y = imb_xmalloc(t.n * sizeof *y);
	for (uint64_t i = 0; i < t.n; i++)
		y[i] = t.y[i];
	struct problem prob = {.l = (int)t.n, .n = (int)t.d + (bias >= 0), .y = y,
	                       .x = (struct feature_node **)rows, .bias = bias};
	const char *msg = check_parameter(&prob, &par);
	if (msg) {
		free(y);
		imb_seterr("liblinear rejected the parameters: %s", msg);
		r = -2;
		goto done;
	}
	quiet_libs(o->verbose);
	srand((unsigned)o->seed);
	m = train(&prob, &par);
	free(y);
	void *bytes;
	size_t len;
	r = save_bytes(save_linear, m, "liblinear", &bytes, &len);
	if (r < 0)
		goto done;
	params = imb_val_map();
	imb_val_set_str(params, "solver", solver_name(par.solver_type));
	imb_val_set_float(params, "C", par.C);
	imb_val_set_float(params, "eps", par.eps);
	imb_val_set_float(params, "bias", bias);
	imb_val_set(params, "class_weight", cw_val(o, t.w, t.K));
	imb_val_set_int(params, "seed", (int64_t)o->seed);
	snprintf(summary, ssize, "linear-svm: liblinear %s, C %g, %llu samples, %llu features, %.2f s",
	         solver_name(par.solver_type), par.C, (unsigned long long)t.n,
	         (unsigned long long)t.d, imb_now() - t0);
	*out = model_frame(&t, "linear-svm", params, bytes, len);
	r = 0;
done:
	if (m)
		free_and_destroy_model(&m);
	free(rows);
	free(store);
	tdata_free(&t);
	return r;
}

typedef struct {
	struct model *m;
	int *cls;  /* model class j -> our class index */
	node *row; /* d+2 */
	double *dec;
} lin_model;

void imb_linsvm_free(void *vm)
{
	lin_model *m = vm;
	if (!m)
		return;
	if (m->m)
		free_and_destroy_model(&m->m);
	free(m->cls);
	free(m->row);
	free(m->dec);
	free(m);
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

static void *lin_loader(const char *path) { return load_model(path); }
static void *svm_loader(const char *path) { return svm_load_model(path); }

/* The model text (p, n) through a temp file into the library's loader,
 * with its own stderr complaints muted; *out is NULL when it refuses the
 * text. -1 (error set) when the temp file cannot be written. */
static int load_spilled(const void *p, size_t n, void *(*load)(const char *path), void **out)
{
	char path[4096];
	if (spill(p, n, path, sizeof path) < 0)
		return -1;
	int saved = stderr_mute();
	*out = load(path);
	stderr_unmute(saved);
	unlink(path);
	return 0;
}

void *imb_linsvm_load(const imb_frame *f, size_t d, int K)
{
	quiet_libs(0);
	const void *p;
	size_t n;
	if (model_bytes(f, &p, &n) < 0)
		return NULL;
	/* LIBLINEAR ends every weight row with " \n": a file cut inside
	 * its last number would otherwise read as a shorter number */
	const char *c = p;
	if (n < 2 || memchr(p, 0, n) || c[n - 2] != ' ' || c[n - 1] != '\n') {
		imb_seterr("tensor 'bytes' is not a LIBLINEAR model file (truncated or malformed)");
		return NULL;
	}
	void *loaded;
	if (load_spilled(p, n, lin_loader, &loaded) < 0)
		return NULL;
	lin_model *m = imb_xcalloc(1, sizeof *m);
	m->m = loaded;
	if (!m->m) {
		imb_seterr("tensor 'bytes' is not a LIBLINEAR model file");
		goto fail;
	}
	if (check_regression_model(m->m)) {
		imb_seterr("tensor 'bytes' holds a LIBLINEAR regression model, not a classifier");
		goto fail;
	}
	if (m->m->nr_class < 1 || m->m->nr_class > K) {
		imb_seterr("tensor 'bytes': the LIBLINEAR model has %d classes, attrs.n_classes says %d",
		           m->m->nr_class, K);
		goto fail;
	}
	if ((size_t)get_nr_feature(m->m) != d) {
		imb_seterr("tensor 'bytes': the LIBLINEAR model has %d features, attrs.n_features says %zu",
		           get_nr_feature(m->m), d);
		goto fail;
	}
	if (!(m->cls = map_labels(m->m->label, m->m->nr_class, K)))
		goto fail;
	m->row = imb_xmalloc((d + 2) * sizeof *m->row);
	m->dec = imb_xmalloc((size_t)m->m->nr_class * sizeof *m->dec);
	return m;
fail:
	imb_linsvm_free(m);
	return NULL;
}

int imb_linsvm_predict(void *vm, const float *x, size_t n, size_t d, int K, float *probs)
{
	lin_model *m = vm;
	int nr = m->m->nr_class;
	int nv = nr == 2 && m->m->param.solver_type != MCSVM_CS ? 1 : nr;
	for (size_t i = 0; i < n; i++) {
		const float *r = x + i * d;
		float *pr = probs + i * (size_t)K;
		for (size_t j = 0; j < d; j++)
			if (!isfinite(r[j]))
				return imb_seterr("row %zu column %zu is not a finite number", i, j);
		predict_values(m->m, (const struct feature_node *)dense_row(r, d, m->m->bias, m->row), m->dec);
		memset(pr, 0, (size_t)K * sizeof *pr);
		if (nr == 1) {
			pr[m->cls[0]] = 1;
		} else if (nv == 1) {
			double p0 = sigmoid(m->dec[0]);
			pr[m->cls[0]] = (float)p0;
			pr[m->cls[1]] = (float)(1 - p0);
		} else {
			double mx = m->dec[0], s = 0;
			for (int j = 1; j < nr; j++)
				mx = fmax(mx, m->dec[j]);
			for (int j = 0; j < nr; j++)
				s += exp(m->dec[j] - mx);
			for (int j = 0; j < nr; j++)
				pr[m->cls[j]] = (float)(exp(m->dec[j] - mx) / s);
		}
	}
	return 0;
}

/* ---- LIBSVM ---- */

static int svm_train_frame(const imb_frame *f, const imb_tabular_opts *o, imb_frame **out,
                           char *summary, size_t ssize)
{
	tdata t;
	int r = tdata_init(&t, f, o);
	if (r < 0) {
		tdata_free(&t);
		return r;
	}
	double t0 = imb_now();
	struct svm_parameter par = {0};
	par.svm_type = C_SVC;
	par.kernel_type = RBF;
	par.degree = 3;
	par.coef0 = 0;
	par.cache_size = 200;
	par.eps = 1e-3;
	par.C = 1;
	par.nu = 0.5;
	par.p = 0.1;
	par.shrinking = 1;
	par.probability = 0;
	const char *gamma = "scale";
	for (size_t i = 0; i < o->nparams; i++) {
		const char *k = o->keys[i], *v = o->vals[i];
		if (!strcmp(k, "C")) par.C = atof(v);
		else if (!strcmp(k, "eps")) par.eps = atof(v);
		else if (!strcmp(k, "kernel")) par.kernel_type = kernel_parse(v);
		else if (!strcmp(k, "gamma")) gamma = v;
		else if (!strcmp(k, "degree")) par.degree = atoi(v);
		else if (!strcmp(k, "coef0")) par.coef0 = atof(v);
		else if (!strcmp(k, "probability")) par.probability = atoi(v);
		else if (!strcmp(k, "shrinking")) par.shrinking = atoi(v);
		else if (!strcmp(k, "cache_size")) par.cache_size = atof(v);
	}
	if (!strcmp(gamma, "scale")) { /* scikit-learn's: 1 / (D var(X)) */
		double s = 0, s2 = 0, cnt = (double)t.n * (double)t.d;
		for (size_t k = 0; k < t.n * t.d; k++) {
			s += t.x[k];
			s2 += (double)t.x[k] * t.x[k];
		}
		double var = s2 / cnt - (s / cnt) * (s / cnt);
		par.gamma = var > 0 ? 1 / ((double)t.d * var) : 1;
	} else if (!strcmp(gamma, "auto")) {
		par.gamma = 1 / (double)t.d;
	} else {
		par.gamma = atof(gamma);
	}
	int wl[t.K];
	double wv[t.K];
	par.nr_weight = weight_lists(&t, wl, wv);
	par.weight_label = wl;
	par.weight = wv;
	node **rows = NULL, *store = NULL;
	struct svm_model *m = NULL;
	double *y = NULL;
	r = sparse_rows(t.x, t.n, t.d, -1, t.lb, &rows, &store);
	if (r < 0)
		goto done;
	y = imb_xmalloc(t.n * sizeof *y);
	for (uint64_t i = 0; i < t.n; i++)
		y[i] = t.y[i];
	struct svm_problem prob = {.l = (int)t.n, .y = y, .x = (struct svm_node **)rows};
	const char *msg = svm_check_parameter(&prob, &par);
	if (msg) {
		imb_seterr("libsvm rejected the parameters: %s", msg);
		r = -2;
		goto done;
	}
	quiet_libs(o->verbose);
	srand((unsigned)o->seed);
	m = svm_train(&prob, &par);
	void *bytes;
	size_t len;
	r = save_bytes(save_svm, m, "libsvm", &bytes, &len);
	if (r < 0)
		goto done;
	imb_val *params = imb_val_map();
	imb_val_set_str(params, "kernel", kernel_name(par.kernel_type));
	imb_val_set_float(params, "C", par.C);
	imb_val_set_float(params, "gamma", par.gamma);
	if (par.kernel_type == RBF || par.kernel_type == POLY || par.kernel_type == SIGMOID)
		imb_val_set_str(params, "gamma_rule", strcmp(gamma, "scale") && strcmp(gamma, "auto")
		                                      ? "given" : gamma);
	imb_val_set_int(params, "degree", par.degree);
	imb_val_set_float(params, "coef0", par.coef0);
	imb_val_set_float(params, "eps", par.eps);
	imb_val_set_int(params, "probability", par.probability);
	imb_val_set_int(params, "shrinking", par.shrinking);
	imb_val_set_float(params, "cache_size", par.cache_size);
	imb_val_set(params, "class_weight", cw_val(o, t.w, t.K));
	imb_val_set_int(params, "seed", (int64_t)o->seed);
	snprintf(summary, ssize, "svm: libsvm C-SVC, %s kernel, C %g, gamma %g, %d support vectors, "
	         "%llu samples, %.2f s", kernel_name(par.kernel_type), par.C, par.gamma,
	         svm_get_nr_sv(m), (unsigned long long)t.n, imb_now() - t0);
	*out = model_frame(&t, "svm", params, bytes, len);
	r = 0;
done:
	if (m)
		svm_free_and_destroy_model(&m);
	free(y);
	free(rows);
	free(store);
	tdata_free(&t);
	return r;
}

typedef struct {
	struct svm_model *m;
	int *cls;
	node *row;
	double *dec, *pe;
	int prob;
} svm_model_s;

void imb_svm_free(void *vm)
{
	svm_model_s *m = vm;
	if (!m)
		return;
	if (m->m)
		svm_free_and_destroy_model(&m->m);
	free(m->cls);
	free(m->row);
	free(m->dec);
	free(m->pe);
	free(m);
}

/* LIBSVM's reader trusts its input past the header: check that the SV
 * section holds total_sv non-empty lines before handing it over. */
static int svm_text_ok(const char *p, size_t n)
{
	if (memchr(p, 0, n))
		return 0;
	const char *tsv = NULL, *sv = NULL;
	for (const char *l = p; l < p + n;) {
		const char *e = memchr(l, '\n', (size_t)(p + n - l));
		if (!e)
			return 0; /* every line ends in a newline */
		if ((size_t)(e - l) >= 9 && !strncmp(l, "total_sv ", 9))
			tsv = l + 9;
		if (e - l == 2 && !strncmp(l, "SV", 2)) {
			sv = e + 1;
			break;
		}
		l = e + 1;
	}
	if (!tsv || !sv)
		return 0;
	long want = strtol(tsv, NULL, 10);
	long got = 0;
	for (const char *l = sv; l < p + n;) {
		const char *e = memchr(l, '\n', (size_t)(p + n - l));
		if (!e || e == l)
			return 0; /* a truncated last line, or an empty one */
		got++;
		l = e + 1;
	}
	return want >= 1 && got == want;
}

void *imb_svm_load(const imb_frame *f, size_t d, int K)
{
	quiet_libs(0);
	const void *p;
	size_t n;
	if (model_bytes(f, &p, &n) < 0)
		return NULL;
	if (!svm_text_ok(p, n)) {
		imb_seterr("tensor 'bytes' is not a LIBSVM model file (bad header or SV section)");
		return NULL;
	}
	void *loaded;
	if (load_spilled(p, n, svm_loader, &loaded) < 0)
		return NULL;
	svm_model_s *m = imb_xcalloc(1, sizeof *m);
	m->m = loaded;
	if (!m->m) {
		imb_seterr("tensor 'bytes' is not a LIBSVM model file");
		goto fail;
	}
	int type = svm_get_svm_type(m->m);
	if (type != C_SVC && type != NU_SVC) {
		imb_seterr("tensor 'bytes' holds a LIBSVM model that is not a classifier");
		goto fail;
	}
	int nr = m->m->nr_class;
	if (nr < 1 || nr > K || !m->m->label) {
		imb_seterr("tensor 'bytes': the LIBSVM model has %d classes, attrs.n_classes says %d", nr, K);
		goto fail;
	}
	for (int i = 0; i < m->m->l; i++)
		for (const struct svm_node *q = m->m->SV[i]; q->index != -1; q++)
			if (q->index < 1 || (size_t)q->index > d) {
				imb_seterr("tensor 'bytes': a LIBSVM support vector uses feature %d, "
				           "attrs.n_features says %zu", q->index, d);
				goto fail;
			}
	if (!(m->cls = map_labels(m->m->label, nr, K)))
		goto fail;
	m->prob = svm_check_probability_model(m->m);
	m->row = imb_xmalloc((d + 2) * sizeof *m->row);
	m->dec = imb_xmalloc((size_t)(nr * (nr - 1) / 2 + 1) * sizeof *m->dec);
	m->pe = imb_xmalloc((size_t)nr * sizeof *m->pe);
	return m;
fail:
	imb_svm_free(m);
	return NULL;
}

int imb_svm_predict(void *vm, const float *x, size_t n, size_t d, int K, float *probs)
{
	svm_model_s *m = vm;
	int nr = m->m->nr_class;
	for (size_t i = 0; i < n; i++) {
		const float *r = x + i * d;
		float *pr = probs + i * (size_t)K;
		for (size_t j = 0; j < d; j++)
			if (!isfinite(r[j]))
				return imb_seterr("row %zu column %zu is not a finite number", i, j);
		const struct svm_node *row = (const struct svm_node *)dense_row(r, d, -1, m->row);
		memset(pr, 0, (size_t)K * sizeof *pr);
		if (nr == 1) {
			pr[m->cls[0]] = 1;
		} else if (m->prob) {
			svm_predict_probability(m->m, row, m->pe);
			for (int j = 0; j < nr; j++)
				pr[m->cls[j]] = (float)m->pe[j];
		} else if (nr == 2) {
			svm_predict_values(m->m, row, m->dec);
			double p0 = sigmoid(m->dec[0]);
			pr[m->cls[0]] = (float)p0;
			pr[m->cls[1]] = (float)(1 - p0);
		} else {
			svm_predict_values(m->m, row, m->dec);
			int pairs = nr * (nr - 1) / 2, q = 0;
			for (int a = 0; a < nr; a++)
				for (int b = a + 1; b < nr; b++, q++)
					pr[m->cls[m->dec[q] > 0 ? a : b]] += 1.0f / (float)pairs;
		}
	}
	return 0;
}

/* ---- dispatch ---- */

int imb_tabular_train(const imb_frame *train, const imb_tabular_opts *o, imb_frame **out,
                      char *summary, size_t summary_size)
{
	const char *msg = imb_tabular_check(o);
	if (msg) {
		imb_seterr("%s", msg);
		return -2;
	}
	quiet_libs(o->verbose);
	*out = NULL;
	if (!strcmp(o->model, "xgboost"))
		return xgb_train(train, o, out, summary, summary_size);
	if (!strcmp(o->model, "linear-svm"))
		return linsvm_train(train, o, out, summary, summary_size);
	return svm_train_frame(train, o, out, summary, summary_size);
}
