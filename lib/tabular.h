/* tabular.h: tabular models on the libraries that already do them well:
 * XGBoost (libxgboost's C API), linear SVMs (LIBLINEAR) and kernel SVMs
 * (LIBSVM). Training turns a dataset frame into a model frame (kind
 * "model", name "model", docs/stream-format.md) whose tensor "bytes"
 * (B) u8 holds the library's own serialisation: XGBoost's UBJSON model,
 * LIBLINEAR's and LIBSVM's model files. This file holds the options,
 * their check and the dispatch (tabular.c); the libraries' adapters are
 * xgboost.h and svm.h, the model frame's common attrs model_frame.h.
 *
 * Features are x as float32 (imb_dataset_features: u8 scaled to [0,1]).
 * NaN is a missing value for XGBoost; for the SVMs it is an error.
 *
 * Probabilities. XGBoost gives real class probabilities (binary:logistic,
 * multi:softprob). LIBLINEAR gives decision values only: two classes map
 * through the logistic sigmoid, more through a softmax over the one-vs-rest
 * values. LIBSVM without probability=1 gives sigmoid(decision) for two
 * classes and one-vs-one vote fractions for more; with probability=1 it
 * runs its own Platt scaling. Only XGBoost's and Platt's are calibrated;
 * the others are scores that rank well and sum to 1.
 *
 * The libraries print on stdout, which carries frames here, so every
 * entry point below routes their printing to stderr (LIBLINEAR, LIBSVM
 * silenced unless verbose; XGBoost's log to stderr). */
#ifndef IMB_TABULAR_H
#define IMB_TABULAR_H

#include "stream.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { IMB_CW_NONE, IMB_CW_BALANCED, IMB_CW_LIST } imb_cw_mode;

typedef struct {
	const char *model;        /* "xgboost", "linear-svm", "svm" */
	int rounds;               /* XGBoost boosting rounds; <= 0: 100 */
	size_t nparams;           /* --param k=v, in order; later ones win */
	const char **keys, **vals;
	imb_cw_mode cw;           /* class weights */
	const double *cw_list;    /* IMB_CW_LIST: cw_n weights, one per class */
	size_t cw_n;
	uint64_t seed;
	int threads;              /* 0: all cores */
	int verbose;              /* let LIBLINEAR/LIBSVM print (to stderr) */
	const char *scale;        /* SVMs: "standard", "minmax", or NULL (none) */
	/* validation and early stopping (XGBoost) */
	const char *val_frame;    /* the validation frame's name, or NULL */
	const imb_frame *val;     /* that frame, found by the caller */
	int early_stopping;       /* > 0: stop after this many rounds without
	                             improvement, keep the best round's trees */
	const char *early_metric; /* "logloss" (default) or "balanced_accuracy" */
} imb_tabular_opts;

/* Defaults: xgboost, 100 rounds, no params, no class weights, seed 0,
 * no scaling, no validation. */
void imb_tabular_opts_init(imb_tabular_opts *o);

/* Validate the options before any data is read: a known model, and for
 * LIBLINEAR/LIBSVM known parameter names with valid values. NULL when
 * fine, else a message naming the parameter (static storage). XGBoost
 * parameters pass through unchecked here; XGBoost itself rejects bad
 * values when training starts. */
const char *imb_tabular_check(const imb_tabular_opts *o);

/* Train on a dataset frame (x (N,...) any dtype, y (N) i32). On success
 * *out is a new model frame: attrs model, n_features, n_classes, classes,
 * params (every effective parameter, defaults included), train {source,
 * split} copied from the train frame, history copied from it (the caller
 * appends its own entry); tensor bytes (B) u8. A one-line summary of what
 * ran ("xgboost: 100 trees, tree_method hist, 2 threads, 0.65 s") goes to
 * summary. Returns 0; -1 with imb_error() for bad data or a library
 * failure; -2 with imb_error() for a parameter the library rejected or a
 * class-weight list that does not match the classes (a usage error). */
int imb_tabular_train(const imb_frame *train, const imb_tabular_opts *o, imb_frame **out,
                      char *summary, size_t summary_size);

/* predict.c's entries, one triple per kind, are in xgboost.h and svm.h.
 * load: reads the model frame's "bytes", checks it against d features
 * and K classes; NULL with imb_error() when the bytes do not load or
 * disagree. predict: probs (n,K) from x (n,d) row-major, rows summing to
 * 1; 0 or -1 with imb_error(). free(NULL) is a no-op. */

/* ---- for the libraries' adapters (xgboost.c, svm.c) ---- */

/* A checked training set, as imb_tabular_train hands it to an adapter:
 * at least one sample and feature, K >= 2 classes of which two occur. */
typedef struct {
	char lb[128];      /* the train frame, for messages */
	uint64_t n, d;
	int K;
	float *x;          /* (n, d) features (imb_dataset_features) */
	const int32_t *y;  /* (n) labels in [0, K) */
	int64_t *counts;   /* (K) samples per class */
	double *w;         /* (K) class weights (balanced: n / (K_present n_k)), or NULL */
	/* the validation frame (o->val), its labels as the train set's classes */
	uint64_t vn;
	float *vx;         /* (vn, d), or NULL without o->val */
	int32_t *vy;       /* (vn) */
	char vlb[128];
	imb_val *extra;    /* an empty map the adapter may fill with its own attrs
	                    * for the model frame (attrs.early_stopping) */
} imb_tabular_data;

/* The class weights of a model trained on t into params, as scalars
 * that imb-eval's config (param.*) groups by: class_weight "none",
 * "balanced" or the list as given ("1,9"), and with weights
 * class_weights [K], the weights applied. */
void imb_tabular_cw_set(imb_val *params, const imb_tabular_opts *o, const imb_tabular_data *t);
/* A --param value that must be a number: the whole string, finite. 0
 * with *out set, or -1. */
int imb_tabular_parse_num(const char *s, double *out);

#ifdef __cplusplus
}
#endif

#endif
