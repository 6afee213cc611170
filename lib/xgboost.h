/* xgboost.h: XGBoost through libxgboost's C API, the adapter behind
 * tabular.h for --model xgboost. The model frame's "bytes" is XGBoost's
 * UBJSON model; it is checked (ubjson.h and the trees' indices) before
 * libxgboost reads it, as libxgboost 1.7 trusts what it loads. NaN is a
 * missing value; infinity is an error. XGBoost's log goes to stderr. */
#ifndef IMB_XGBOOST_H
#define IMB_XGBOOST_H

#include "tabular.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A --param for XGBoost: NULL when fine, else a message (static
 * storage). Only objective (one that gives class probabilities) and
 * num_boost_round (a positive integer) are checked; XGBoost checks the
 * rest when training starts. */
const char *imb_xgboost_check_param(const char *key, const char *val);

/* Train on t as imb_tabular_train describes: defaults (the paper's:
 * eta 0.3, max_depth 6, subsample 0.5, hist), then o's parameters.
 * On success *params (every effective parameter), *bytes and *nbytes
 * (the UBJSON model, aligned malloc) are the caller's. 0, -1 or -2 with
 * imb_error() as imb_tabular_train. */
int imb_xgboost_train(const imb_tabular_data *t, const imb_tabular_opts *o, imb_val **params,
                      void **bytes, size_t *nbytes, char *summary, size_t summary_size);

/* predict.c's entries (see tabular.h). */
void *imb_xgboost_load(const imb_frame *f, size_t d, int K);
int imb_xgboost_predict(void *m, const float *x, size_t n, size_t d, int K, float *probs);
void imb_xgboost_free(void *m);

#ifdef __cplusplus
}
#endif

#endif
