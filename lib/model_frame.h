/* model_frame.h: what every model frame (kind "model", name "model";
 * docs/stream-format.md) holds besides its payload, written in one
 * place for every model kind: tabular models (tabular.c) and networks.
 *
 * attrs, in this order:
 *   model       the kind ("xgboost", "linear-svm", "svm"; a network's
 *               architecture, "resnet18", "mlp:64,64")
 *   ...         the kind's own attrs (extra), in their order
 *   n_features  features per sample
 *   n_classes   K
 *   classes     the train frame's attrs.classes when it is an array of K
 *               names, else "0".."K-1"
 *   features    the train frame's attrs.features (its column names) when
 *               it is an array of n_features strings; left out without
 *   params      every effective hyper-parameter
 *   train       {source, split (the train frame's, nil when absent),
 *               n (the sum of counts), counts (K; left out without),
 *               oversample (the train frame's attrs.oversample, the
 *               settings imb-oversample used; left out without)}
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

/* 1 if v is an array of d strings (column names fit for attrs.features). */
int imb_model_feature_names(const imb_val *v, size_t d);

/* The feature guard every tool that applies a model to data runs: when
 * the model frame's attrs mattrs and the dataset frame ds both carry
 * attrs.features (arrays of strings), they must be equal, name by name
 * and in order. 0 when they are (or either lacks them), else -1 with
 * imb_error() naming the dataset frame, the model (mlabel, the model
 * frame's imb_frame_label), the first position that
 * differs (from 1) and both names there ("none" past the end of the
 * shorter list). */
int imb_model_features_check(const imb_val *mattrs, const char *mlabel, const imb_frame *ds);

#ifdef __cplusplus
}
#endif

#endif
