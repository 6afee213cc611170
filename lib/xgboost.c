/* xgboost.c: XGBoost through libxgboost's C API: training, the UBJSON
 * model's checks, loading and prediction (xgboost.h). */
#include "xgboost.h"
#include "cli.h"
#include "model_frame.h"
#include "ubjson.h"
#include "util.h"

#include <xgboost/c_api.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first meaningful line of a libxgboost message: no "[12:49:47] "
 * time, no "./src/learner.cc:767: " place, no "Stack trace:" and frames
 * after it; the lines of a multi-line message joined by "; " up to the
 * stack trace. Into a static buffer. */
static const char *xgb_line(const char *s)
{
	static char buf[512];
	size_t o = 0;
	buf[0] = 0;
	while (s && *s) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		const char *l = s, *le = s + len;
		s = e ? e + 1 : s + len;
		if (le - l >= 11 && !strncmp(l, "Stack trace", 11))
			break;
		if (*l == '[') { /* the time */
			const char *c = memchr(l, ']', (size_t)(le - l));
			if (c)
				l = c + 1;
		}
		while (l < le && *l == ' ')
			l++;
		if (le - l > 8 && !strncmp(l, "WARNING:", 8))
			l += 8;
		while (l < le && *l == ' ')
			l++;
		/* a source place: a word with '/' or '.' and ":NUMBER:" */
		const char *c = l < le ? memchr(l, ':', (size_t)(le - l)) : NULL;
		if (c && c > l && memchr(l, '.', (size_t)(c - l)) && !memchr(l, ' ', (size_t)(c - l))) {
			const char *q = c + 1;
			while (q < le && *q >= '0' && *q <= '9')
				q++;
			if (q > c + 1 && q < le && *q == ':')
				l = q + 1;
			else if (q > c + 1 && q == le)
				l = le;
		}
		while (l < le && *l == ' ')
			l++;
		while (le > l && (le[-1] == ' ' || le[-1] == '\r'))
			le--;
		if (l == le)
			continue;
		if (o && o + 2 < sizeof buf) {
			memcpy(buf + o, "; ", 2);
			o += 2;
		}
		size_t n = (size_t)(le - l) < sizeof buf - 1 - o ? (size_t)(le - l) : sizeof buf - 1 - o;
		memcpy(buf + o, l, n);
		o += n;
		buf[o] = 0;
		if (o >= sizeof buf - 1)
			break;
	}
	return o ? buf : "(no message)";
}

static const char *xgb_last(void) { return xgb_line(XGBGetLastError()); }

static void xgb_log(const char *s)
{
	imb_progress_break();
	fprintf(stderr, "xgboost: %s\n", xgb_line(s));
}

/* XGBoost's log goes to stderr, one line a message: stdout carries frames */
static void quiet(void) { XGBRegisterLogCallback(xgb_log); }

/* a parameter value as a number when the whole string is one, else text */
static void set_param(imb_val *params, const char *k, const char *v)
{
	double d;
	if (imb_tabular_parse_num(v, &d) == 0) {
		if (d == floor(d) && fabs(d) < 9e15 && !strpbrk(v, ".eE"))
			imb_val_set_int(params, k, (int64_t)d);
		else
			imb_val_set_float(params, k, d);
	} else {
		imb_val_set_str(params, k, v);
	}
}

static int nthreads(int t)
{
	if (t > 0)
		return t;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* objectives whose predictions are class probabilities (hinge: 0 or 1) */
static int xgb_objective_ok(const char *s)
{
	return !strcmp(s, "binary:logistic") || !strcmp(s, "binary:hinge") ||
	       !strcmp(s, "multi:softprob");
}

/* The parameters imb-train passes to XGBoost: numbers finite and in
 * the range libxgboost 1.7 takes, words from the lists it takes that
 * make a CPU gbtree model (what imb checks, loads and predicts with). */
typedef struct {
	const char *key;
	double lo, hi;   /* numbers: [lo, hi]; lo_open: (lo, hi] */
	int lo_open, integer;
	const char *words; /* words: the values allowed, "|" between */
	const char *why;   /* a word outside them: why */
} xgb_param;

static const xgb_param xgb_params[] = {
	{"eta", 0, 1, 1, 0, NULL, NULL},
	{"learning_rate", 0, 1, 1, 0, NULL, NULL},
	{"gamma", 0, 1e30, 0, 0, NULL, NULL},
	{"min_split_loss", 0, 1e30, 0, 0, NULL, NULL},
	{"max_depth", 0, 64, 0, 1, NULL, NULL},
	{"min_child_weight", 0, 1e30, 0, 0, NULL, NULL},
	{"max_delta_step", 0, 1e30, 0, 0, NULL, NULL},
	{"subsample", 0, 1, 1, 0, NULL, NULL},
	{"colsample_bytree", 0, 1, 1, 0, NULL, NULL},
	{"colsample_bylevel", 0, 1, 1, 0, NULL, NULL},
	{"colsample_bynode", 0, 1, 1, 0, NULL, NULL},
	{"lambda", 0, 1e30, 0, 0, NULL, NULL},
	{"reg_lambda", 0, 1e30, 0, 0, NULL, NULL},
	{"alpha", 0, 1e30, 0, 0, NULL, NULL},
	{"reg_alpha", 0, 1e30, 0, 0, NULL, NULL},
	{"scale_pos_weight", 0, 1e6, 1, 0, NULL, NULL},
	{"max_leaves", 0, 1 << 30, 0, 1, NULL, NULL},
	{"max_bin", 2, 65536, 0, 1, NULL, NULL},
	{"num_parallel_tree", 1, 1000, 0, 1, NULL, NULL},
	{"base_score", 1e-6, 1 - 1e-6, 0, 0, NULL, NULL},
	{"seed", 0, 2147483647, 0, 1, NULL, NULL},
	{"random_state", 0, 2147483647, 0, 1, NULL, NULL},
	{"nthread", 1, 4096, 0, 1, NULL, NULL},
	{"verbosity", 0, 3, 0, 1, NULL, NULL},
	{"num_class", 2, 1000000, 0, 1, NULL, NULL},
	{"num_boost_round", 1, 1e7, 0, 1, NULL, NULL},
	{"objective", 0, 0, 0, 0, "binary:logistic|binary:hinge|multi:softprob",
	 "imb-train needs class probabilities"},
	{"booster", 0, 0, 0, 0, "gbtree", "imb reads and checks tree models only (no gblinear, no dart)"},
	{"tree_method", 0, 0, 0, 0, "hist|approx|exact|auto",
	 "this libxgboost has no GPU support (gpu_hist)"},
	{"device", 0, 0, 0, 0, "cpu", "this libxgboost has no GPU support"},
	{"grow_policy", 0, 0, 0, 0, "depthwise|lossguide", NULL},
	{"sampling_method", 0, 0, 0, 0, "uniform", "gradient_based needs a GPU"},
};

static int word_in(const char *v, const char *words)
{
	size_t n = strlen(v);
	for (const char *w = words; *w;) {
		const char *e = strchr(w, '|');
		size_t len = e ? (size_t)(e - w) : strlen(w);
		if (len == n && !strncmp(w, v, n))
			return 1;
		w += len + (e != NULL);
	}
	return 0;
}

const char *imb_xgboost_check_param(const char *k, const char *v)
{
	static char msg[1024];
	const xgb_param *p = NULL;
	for (size_t i = 0; i < IMB_LEN(xgb_params); i++)
		if (!strcmp(k, xgb_params[i].key))
			p = &xgb_params[i];
	if (!p) {
		char known[640] = "";
		for (size_t j = 0; j < IMB_LEN(xgb_params); j++) {
			strncat(known, j ? ", " : "", sizeof known - strlen(known) - 1);
			strncat(known, xgb_params[j].key, sizeof known - strlen(known) - 1);
		}
		snprintf(msg, sizeof msg, "--param: unknown xgboost parameter '%s' (known: %s)", k, known);
		return msg;
	}
	if (p->words) {
		if (word_in(v, p->words))
			return NULL;
		char alt[128];
		snprintf(alt, sizeof alt, "%s", p->words);
		for (char *c = alt; *c; c++)
			if (*c == '|')
				*c = ',';
		snprintf(msg, sizeof msg, "--param %s=%s: %s must be %s%s%s%s", k, v, k,
		         strchr(alt, ',') ? "one of " : "", alt, p->why ? "; " : "", p->why ? p->why : "");
		return msg;
	}
	double d;
	if (imb_tabular_parse_num(v, &d) < 0 || d < p->lo || (p->lo_open && d == p->lo) ||
	    d > p->hi || (p->integer && d != floor(d))) {
		snprintf(msg, sizeof msg, "--param %s=%s: %s must be %s %s%g, %g]", k, v, k,
		         p->integer ? "an integer in" : "a number in", p->lo_open ? "(" : "[", p->lo,
		         p->hi);
		return msg;
	}
	return NULL;
}

#define XGB_MAX_CLASSES 4096

static int xgb_err(const char *what)
{
	return imb_seterr("xgboost: %s: %s", what, xgb_last());
}

/* A DMatrix of n rows of x (n, d) with labels y and per-sample weights
 * w[y] (w NULL: none). 0, or -1 with imb_error(). */
static int xgb_matrix(const float *x, uint64_t n, uint64_t d, const int32_t *y, const double *w,
                      int threads, DMatrixHandle *out)
{
	*out = NULL;
	if (XGDMatrixCreateFromMat_omp(x, n, d, NAN, out, threads) < 0)
		return xgb_err("making the matrix");
	float *lab = imb_xmalloc(n * sizeof *lab);
	for (uint64_t i = 0; i < n; i++)
		lab[i] = (float)y[i];
	int e = XGDMatrixSetFloatInfo(*out, "label", lab, n);
	if (!e && w) {
		for (uint64_t i = 0; i < n; i++)
			lab[i] = (float)w[y[i]];
		e = XGDMatrixSetFloatInfo(*out, "weight", lab, n);
	}
	free(lab);
	return e < 0 ? xgb_err("setting labels") : 0;
}

/* The validation score after round it: libxgboost's own log loss (its
 * default metric for the objective, logloss or mlogloss, as its
 * evaluation text gives it: what python-xgboost's early stopping reads),
 * or the balanced accuracy of its predictions (the mean recall over the
 * classes the frame holds; imb-eval's argmax). 0, or -1 with imb_error(). */
static int xgb_val_score(BoosterHandle b, int it, DMatrixHandle dv, const imb_tabular_data *t,
                         int balanced, double *score)
{
	if (!balanced) {
		const char *name = "val", *res;
		if (XGBoosterEvalOneIter(b, it, &dv, &name, 1, &res) < 0)
			return xgb_err("evaluating the validation frame");
		const char *c = strrchr(res, ':');
		if (!c)
			return imb_seterr("xgboost: no metric in '%s'", res);
		*score = strtod(c + 1, NULL);
		return 0;
	}
	bst_ulong len;
	const float *p;
	if (XGBoosterPredict(b, dv, 0, 0, 0, &len, &p) < 0)
		return xgb_err("predicting the validation frame");
	int K = t->K;
	double *hit = imb_xcalloc(2 * (size_t)K, sizeof *hit), *cnt = hit + K;
	for (uint64_t i = 0; i < t->vn; i++) {
		int best = 0;
		if (len == t->vn) {
			best = p[i] > 1 - p[i];
		} else {
			for (int k = 1; k < K; k++)
				if (p[i * (size_t)K + (size_t)k] > p[i * (size_t)K + (size_t)best])
					best = k;
		}
		cnt[t->vy[i]]++;
		hit[t->vy[i]] += best == t->vy[i];
	}
	double sum = 0;
	int present = 0;
	for (int k = 0; k < K; k++)
		if (cnt[k] > 0) {
			sum += hit[k] / cnt[k];
			present++;
		}
	free(hit);
	*score = sum / present;
	return 0;
}

int imb_xgboost_train(const imb_tabular_data *t, const imb_tabular_opts *o, imb_val **params_out,
                      void **bytes_out, size_t *nbytes, char *summary, size_t ssize)
{
	quiet();
	double t0 = imb_now();
	int threads = nthreads(o->threads);
	int rounds = o->rounds > 0 ? o->rounds : 100;
	DMatrixHandle dm = NULL, dv = NULL;
	BoosterHandle b = NULL, sliced = NULL;
	int trained = 0, best = -1;   /* rounds trained; the best round (0-based) */
	double best_score = NAN;
	imb_val *params = imb_val_map();
	int r = -1;
	/* XGBoost grows one tree per class each round, for every class the
	 * frame declares, samples or not: a few bytes of attrs.classes would
	 * buy hours. At most one class per training sample, and at most
	 * XGB_MAX_CLASSES */
	if ((uint64_t)t->K > t->n || t->K > XGB_MAX_CLASSES) {
		imb_seterr("%s: attrs.classes: %d classes for %llu samples; XGBoost grows a tree per "
		           "class each round and takes at most one class per training sample, and at "
		           "most %d", t->lb, t->K, (unsigned long long)t->n, XGB_MAX_CLASSES);
		goto done;
	}
	/* NaN is XGBoost's missing value; infinity is refused by libxgboost
	 * with a stack trace, so name it here instead */
	for (uint64_t k = 0; k < t->n * t->d; k++)
		if (isinf(t->x[k])) {
			imb_seterr("%s: tensor x: row %llu column %llu is infinite; XGBoost takes NaN as "
			           "missing but no infinity", t->lb, (unsigned long long)(k / t->d),
			           (unsigned long long)(k % t->d));
			goto done;
		}
	if (xgb_matrix(t->x, t->n, t->d, t->y, t->w, threads, &dm) < 0) {
		imb_preferr("%s: ", t->lb);
		goto done;
	}
	int es = o->early_stopping > 0 && t->vx;
	if (es) {
		for (uint64_t k = 0; k < t->vn * t->d; k++)
			if (isinf(t->vx[k])) {
				imb_seterr("--val-frame: %s: tensor x: row %llu column %llu is infinite",
				           t->vlb, (unsigned long long)(k / t->d),
				           (unsigned long long)(k % t->d));
				goto done;
			}
		if (xgb_matrix(t->vx, t->vn, t->d, t->vy, NULL, threads, &dv) < 0) {
			imb_preferr("--val-frame: %s: ", t->vlb);
			goto done;
		}
	}
	/* the validation matrix in the booster's cache too: its predictions
	 * grow round by round (as python-xgboost's evals) */
	DMatrixHandle cache[2] = {dm, dv};
	if (XGBoosterCreate(cache, es ? 2 : 1, &b) < 0) {
		xgb_err("creating the booster");
		goto done;
	}
	/* the paper's defaults, then the user's --param in order */
	char buf[64];
	imb_val_set_str(params, "objective", t->K == 2 ? "binary:logistic" : "multi:softprob");
	if (t->K > 2)
		imb_val_set_int(params, "num_class", t->K);
	imb_val_set_float(params, "eta", 0.3);
	imb_val_set_int(params, "max_depth", 6);
	imb_val_set_float(params, "subsample", 0.5);
	imb_val_set_str(params, "tree_method", "hist");
	imb_val_set_int(params, "seed", (int64_t)o->seed);
	imb_val_set_int(params, "nthread", threads);
	imb_val_set_int(params, "validate_parameters", 1);
	for (size_t i = 0; i < o->nparams; i++) {
		const char *k = o->keys[i], *v = o->vals[i];
		if (!strcmp(k, "num_boost_round")) {
			rounds = atoi(v);
		} else if (!strcmp(k, "num_class") && (t->K == 2 || atoi(v) != t->K)) {
			imb_seterr("--param num_class=%s: %s has %d classes%s", v, t->lb, t->K,
			           t->K == 2 ? " (binary: no num_class)" : "");
			r = -2;
			goto done;
		} else if (!strcmp(k, "objective") && !strcmp(v, "multi:softprob") != (t->K > 2)) {
			imb_seterr("--param objective=%s: %s has %d classes, so the objective is %s", v,
			           t->lb, t->K, t->K > 2 ? "multi:softprob" : "binary:logistic or binary:hinge");
			r = -2;
			goto done;
		} else if (strcmp(k, "device")) { /* device=cpu: libxgboost 1.7 has no such key */
			set_param(params, k, v);
		}
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
			imb_seterr("--param %s=%s: %s", params->keys[i], s, xgb_last());
			r = -2;
			goto done;
		}
	}
	imb_val_set_int(params, "num_boost_round", rounds);
	imb_tabular_cw_set(params, o, t);
	if (es) {
		imb_val_set_int(params, "early_stopping", o->early_stopping);
		imb_val_set_str(params, "early_metric", o->early_metric);
	}
	/* configure now, so that a bad parameter is a usage error */
	bst_ulong clen;
	const char *cfg;
	if (XGBoosterSaveJsonConfig(b, &clen, &cfg) < 0) {
		imb_seterr("xgboost rejected the parameters: %s", xgb_last());
		r = -2;
		goto done;
	}
	int balanced = es && !strcmp(o->early_metric, "balanced_accuracy");
	trained = 0;
	best = -1;
	best_score = NAN;
	char note[64] = "";
	for (int it = 0; it < rounds; it++) {
		if (XGBoosterUpdateOneIter(b, it, dm) < 0) {
			if (it == 0) {
				imb_seterr("xgboost rejected the parameters: %s", xgb_last());
				r = -2;
			} else {
				xgb_err("training");
			}
			goto done;
		}
		trained = it + 1;
		if (es) {
			/* python-xgboost's rule: a round is better when its score is
			 * strictly better; stop once `early_stopping` rounds were not */
			double v = NAN;
			if (xgb_val_score(b, it, dv, t, balanced, &v) < 0)
				goto done;
			if (best < 0 || (balanced ? v > best_score : v < best_score)) {
				best = it;
				best_score = v;
			}
			snprintf(note, sizeof note, "val %s %.4f best round %d",
			         balanced ? "balanced" : "logloss", v, best + 1);
		}
		imb_progress_note("boosting", (uint64_t)it + 1, (uint64_t)rounds, note[0] ? note : NULL);
		if (es && it - best >= o->early_stopping)
			break;
	}
	imb_progress_done();
	if (es) {
		imb_val *rep = imb_val_map();
		imb_val_set_int(rep, "patience", o->early_stopping);
		imb_val_set_str(rep, "metric", o->early_metric);
		imb_val_set_int(rep, "best_round", best + 1);
		imb_val_set_float(rep, "best_score", best_score);
		imb_val_set_int(rep, "stopped_at", trained);
		imb_val_set_int(rep, "stopped", trained < rounds);
		imb_val_set(t->extra, "early_stopping", rep);
		/* keep the best round's trees */
		if (best + 1 < trained) {
			if (XGBoosterSlice(b, 0, best + 1, 1, &sliced) < 0) {
				xgb_err("keeping the best round's trees");
				goto done;
			}
		}
	}
	bst_ulong len;
	const char *raw;
	if (XGBoosterSaveModelToBuffer(sliced ? sliced : b, "{\"format\": \"ubj\"}", &len, &raw) < 0) {
		xgb_err("saving the model");
		goto done;
	}
	void *bytes = imb_xmalloc_aligned(len);
	memcpy(bytes, raw, len);
	const char *tm = imb_val_as_str(imb_val_get(params, "tree_method"), "?");
	threads = (int)imb_val_as_int(imb_val_get(params, "nthread"), threads); /* --param nthread */
	int kept = es ? best + 1 : rounds;
	char stop[96] = "";
	if (es)
		snprintf(stop, sizeof stop, " kept of %d trained (early stopping: best round %d)", trained,
		         best + 1);
	snprintf(summary, ssize, "xgboost: %d rounds%s (%d trees), tree_method %s, %d threads, %.2f s",
	         kept, stop, kept * (t->K > 2 ? t->K : 1), tm, threads, imb_now() - t0);
	*params_out = params;
	*bytes_out = bytes;
	*nbytes = len;
	params = NULL;
	r = 0;
done:
	if (sliced)
		XGBoosterFree(sliced);
	if (b)
		XGBoosterFree(b);
	if (dm)
		XGDMatrixFree(dm);
	if (dv)
		XGDMatrixFree(dv);
	imb_val_free(params);
	return r;
}

typedef struct {
	BoosterHandle b;
} xgb_model;

/* XGBoost 1.7 trusts the trees it loads: child indices, split features
 * and array lengths index memory unchecked at load and at prediction.
 * So check every tree of a model (UBJSON that imb_ubj_ok accepted):
 * arrays of num_nodes entries, children after their parent (no cycles),
 * split features below d, numerical splits only; tree_info in [0,
 * classes). 0, or -1 with imb_error(). */
static int xgb_trees_ok(const void *p, size_t n, size_t d, int K)
{
	const unsigned char *b = p, *end = b + n;
	const unsigned char *lp = imb_ubj_path(b, end, "learner", "learner_model_param", NULL);
	int64_t nf, nc, ntrees;
	if (imb_ubj_strint(imb_ubj_get(lp, end, "num_feature"), end, &nf) < 0 ||
	    imb_ubj_strint(imb_ubj_get(lp, end, "num_class"), end, &nc) < 0)
		return imb_seterr("tensor 'bytes': no learner_model_param in the XGBoost model");
	if (nf != (int64_t)d)
		return imb_seterr("tensor 'bytes' holds an XGBoost model of %lld features, "
		                  "attrs.n_features says %zu", (long long)nf, d);
	if (nc > 1 ? nc != K : K != 2)
		return imb_seterr("tensor 'bytes': the XGBoost model has %lld classes, "
		                  "attrs.n_classes says %d", (long long)(nc > 1 ? nc : 2), K);
	const unsigned char *mp = imb_ubj_path(b, end, "learner", "gradient_booster", "model", NULL);
	const unsigned char *trees = imb_ubj_get(mp, end, "trees");
	int64_t *info = NULL, ninfo;
	if (!trees ||
	    imb_ubj_strint(imb_ubj_path(mp, end, "gbtree_model_param", "num_trees", NULL), end,
	                   &ntrees) < 0 ||
	    imb_ubj_array(imb_ubj_get(mp, end, "tree_info"), end, &ninfo, &info) < 0 ||
	    ninfo != ntrees) {
		free(info);
		return imb_seterr("tensor 'bytes': the XGBoost model's tree list is malformed");
	}
	for (int64_t i = 0; i < ninfo; i++)
		if (info[i] < 0 || info[i] >= (nc > 1 ? nc : 1)) {
			long long cls = (long long)info[i];
			free(info);
			return imb_seterr("tensor 'bytes': XGBoost tree %lld is for class %lld",
			                  (long long)i, cls);
		}
	free(info);
	/* walk the trees array: '[' then tree objects until ']' */
	imb_ubj u = {trees + 1, end};
	int64_t count = -1; /* XGBoost writes [#count then the trees */
	if (u.p < end && *u.p == '#') {
		u.p++;
		if (imb_ubj_len(&u, &count) < 0)
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
		if (*u.p++ != '{' || imb_ubj_value(&u, '{', 0) < 0 ||
		    imb_ubj_strint(imb_ubj_path(tree, end, "tree_param", "num_nodes", NULL), end,
		                   &nn) < 0 ||
		    imb_ubj_strint(imb_ubj_path(tree, end, "tree_param", "num_feature", NULL), end,
		                   &tnf) < 0 ||
		    nn < 1 || nn > (int64_t)1 << 30 || tnf != nf)
			return imb_seterr("tensor 'bytes': XGBoost tree %lld is malformed", (long long)t);
		int64_t *v[IMB_LEN(ints)] = {0};
		int bad = 0;
		for (size_t k = 0; k < IMB_LEN(ints); k++)
			bad |= imb_ubj_array(imb_ubj_get(tree, end, ints[k]), end, &cnt, &v[k]) < 0 ||
			       cnt != nn;
		for (size_t k = 0; k < IMB_LEN(nums); k++)
			bad |= imb_ubj_array(imb_ubj_get(tree, end, nums[k]), end, &cnt, NULL) < 0 || cnt != nn;
		const char *cat[] = {"categories", "categories_nodes", "categories_segments",
		                     "categories_sizes"};
		for (size_t k = 0; k < IMB_LEN(cat); k++) {
			const unsigned char *c = imb_ubj_get(tree, end, cat[k]);
			bad |= c && (imb_ubj_array(c, end, &cnt, NULL) < 0 || cnt != 0);
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
	quiet();
	const void *p;
	size_t n;
	if (imb_model_frame_bytes(f, &p, &n) < 0)
		return NULL;
	if (!imb_ubj_ok(p, n)) {
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
		imb_seterr("tensor 'bytes' is not an XGBoost model: %s", xgb_last());
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
		imb_seterr("tensor 'bytes': the XGBoost model has no config: %s", xgb_last());
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
	/* NaN is XGBoost's missing value; libxgboost refuses infinity */
	for (size_t k = 0; k < n * d; k++)
		if (isinf(x[k]))
			return imb_seterr("row %zu column %zu is infinite; XGBoost takes NaN as missing "
			                  "but no infinity", k / d, k % d);
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
