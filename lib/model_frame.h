/* model_frame.h: what every model frame (kind "model", name "model";
 * docs/stream-format.md) holds besides its payload, written in one
 * place for every model kind: tabular models (tabular.c) and networks.
 *
 * attrs, in this order:
 *   model       the kind ("xgboost", "linear-svm", "svm", "nn")
 *   ...         the kind's own attrs (extra), in their order
 *   n_features  features per sample
 *   n_classes   K
 *   classes     the train frame's attrs.classes when it is an array of K
 *               names, else "0".."K-1"
 *   params      every effective hyper-parameter
 *   train       {source, split (the train frame's, nil when absent),
 *               n (the sum of counts), counts (K; left out without)}
 *   history     the train frame's attrs.history, copied when it is an
 *               array (the tool then appends its own entry) */
#ifndef IMB_MODEL_FRAME_H
#define IMB_MODEL_FRAME_H

#include "stream.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A new model frame with the attrs above and no tensors. extra (taken;
 * NULL for none) is a map of the kind's own attrs, placed after "model";
 * params (taken; NULL: an empty map); train (may be NULL: no provenance,
 * classes by number); counts (K, may be NULL) the train set's class
 * counts. A kind adds to attrs.train after this (a network's
 * epochs_done) with imb_val_set on imb_val_get(f->attrs, "train"). */
imb_frame *imb_model_frame_new(const char *model, imb_val *extra, size_t n_features, int K,
                               const imb_frame *train, const int64_t *counts, imb_val *params);

/* The payload of a library's model: tensor "bytes", (B) u8 with B > 0.
 * 0 with *p and *n set, or -1 with imb_error() naming the tensor. */
int imb_model_frame_bytes(const imb_frame *f, const void **p, size_t *n);

#ifdef __cplusplus
}
#endif

#endif
