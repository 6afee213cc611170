/* svm.c: LIBLINEAR (linear SVMs) and LIBSVM (kernel SVMs) behind one
 * adapter (svm.h). The two libraries take the same sparse rows, the
 * same per-class weights, save and load their models only through named
 * files, and give decision values a probability is made of; one path
 * below does all of that, and a small table per library (svm_lib) holds
 * what differs: parameters, problem, training, model checks, scores. */
#include "svm.h"
#include "model_frame.h"
#include "modelfile.h"
#include "scale.h"
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
	double *center, *scale;  /* (d) the train set's scaling (scale.h), or NULL */
	float *xs;          /* (d) a row scaled */
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
	imb_svm_lin_text_check, lin_load, lin_check, lin_scores,
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
	imb_svm_ksvm_text_check, ksvm_load, ksvm_check, ksvm_scores,
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
	imb_tabular_cw_set(*params, o, t);
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
	free(m->center);
	free(m->scale);
	free(m->xs);
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
	if (imb_scale_get(f, d, &m->center, &m->scale) < 0)
		goto fail;
	if (m->center)
		m->xs = imb_xmalloc(d * sizeof *m->xs);
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
		if (m->center) {   /* as the train set was */
			imb_scale_apply(r, 1, d, m->center, m->scale, m->xs);
			r = m->xs;
		}
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
