/* scale.h: per-feature scaling of tabular features, scikit-learn's
 * StandardScaler and MinMaxScaler: statistics from the train set, kept
 * in the model frame, applied again at prediction.
 *
 *   standard   (x - mean) / std, std over the n samples (ddof 0)
 *   minmax     (x - min) / (max - min): the train set into [0, 1]
 *
 * A constant feature (std or range below 10 x DBL_EPSILON) is divided by
 * 1, as scikit-learn does. Statistics are doubles; scaled values float
 * (the features' type). The model frame holds them as attrs.params.scale
 * ("standard" or "minmax") and tensors scale_center and scale_scale (d)
 * f64: x' = (x - center) / scale. */
#ifndef IMB_SCALE_H
#define IMB_SCALE_H

#include "stream.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 for "standard" or "minmax", else 0. */
int imb_scale_known(const char *kind);
/* center and scale (d each, the caller's) of x (n, d) for kind. */
void imb_scale_fit(const char *kind, const float *x, size_t n, size_t d, double *center,
                   double *scale);
/* x (n, d) scaled into out (may be x). */
void imb_scale_apply(const float *x, size_t n, size_t d, const double *center,
                     const double *scale, float *out);
/* The statistics into model frame f: tensors scale_center, scale_scale. */
void imb_scale_put(imb_frame *f, const double *center, const double *scale, size_t d);
/* A model frame's statistics for d features: 0 with *center and *scale
 * NULL when attrs.params.scale is absent or "none"; 0 with both malloc'd
 * (d each); -1 with imb_error() for an unknown kind or tensors missing,
 * of the wrong shape or type, or a scale that is not finite and > 0. */
int imb_scale_get(const imb_frame *f, size_t d, double **center, double **scale);

#ifdef __cplusplus
}
#endif

#endif
