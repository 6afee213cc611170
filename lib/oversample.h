/* oversample.h: re-sampling a dataset frame to a class ratio: random
 * oversampling, random undersampling, and SMOTE.
 *
 * Targets (ratio r in (0, 1], rarest / most frequent count afterwards):
 *   random, smote: every class below floor(r * max_count) is raised to it;
 *   under:         every class above floor(min_count / r) is cut to it.
 * (floor with a 1e-9 slack, as imblearn's int() of the same product.)
 * Classes with no samples stay empty; a class already past its target is
 * left alone.
 *
 * Output order: random and smote keep every source row in order and
 * append the new rows class by class (imblearn does the same); under keeps
 * the chosen rows in their source order.
 *
 * SMOTE (Chawla et al. 2002, as imblearn implements it): for each new
 * sample of class c, pick a random sample x of c and one of its k nearest
 * neighbours nn within c (itself excluded; squared Euclidean distance),
 * and write x + u * (nn - x) with u uniform in [0, 1). Distances come from
 * OpenBLAS sgemm (|a|^2 + |b|^2 - 2 a.b) a block of rows (about 4 MiB of
 * distances) at a time, one thread per OpenBLAS thread, each running a
 * one-thread sgemm, so memory stays small whatever the class size. Only
 * the samples drawn as bases get their neighbours computed (all pairs and
 * steps are drawn first, in imblearn's order), which saves most of the
 * distance work when a large class needs few new samples. f32 and f64
 * data are interpolated in their own precision; u8 and i32 data in
 * floating point, then rounded to the nearest integer (halves up for u8).
 * Other per-sample tensors of a new row are copied from x's row. A class with
 * fewer than k+1 samples uses k = n_c - 1 (with a warning); one with a
 * single sample cannot be oversampled by SMOTE (an error). */
#ifndef IMB_OVERSAMPLE_H
#define IMB_OVERSAMPLE_H

#include "stream.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	IMB_RS_RANDOM, IMB_RS_UNDER, IMB_RS_SMOTE,
	/* under-samplers and combined samplers: undersample.h */
	IMB_RS_TOMEK, IMB_RS_ENN, IMB_RS_NEARMISS1, IMB_RS_NEARMISS2, IMB_RS_NEARMISS3,
	IMB_RS_CLUSTER_CENTROIDS, IMB_RS_SMOTE_TOMEK, IMB_RS_SMOTE_ENN
} imb_rs_method;

const char *imb_rs_method_name(imb_rs_method m);
/* 0, or -1 for an unknown name ("random", "under", "smote", "tomek",
 * "enn", "nearmiss1".."nearmiss3", "cluster-centroids", "smote-tomek",
 * "smote-enn") */
int imb_rs_method_parse(const char *s, imb_rs_method *out);

/* target is (k): per-class counts after re-sampling counts (k). */
void imb_resample_targets(int64_t *target, const int64_t *counts, int k, imb_rs_method m,
                          double ratio);

/* nn is (n, k): for each row of x, the indices of its k nearest other
 * rows (ascending distance, ties to the lower index); x is (n, d).
 * Needs 0 < k < n. */
void imb_knn(int32_t *nn, const float *x, size_t n, size_t d, int k);
/* The same for the query rows rows[0..nq) only: nn is (nq, k), row q
 * holding the neighbours of row rows[q] among all n rows (itself
 * excluded). rows NULL: all rows, as imb_knn. */
void imb_knn_rows(int32_t *nn, const float *x, size_t n, size_t d, int k, const size_t *rows,
                  size_t nq);
/* Threads for the kNN above (0, the default: one per online core). The
 * result does not depend on it: each block of query rows is computed
 * the same way whichever thread takes it. */
void imb_knn_set_threads(int n);
/* The setting above (0: one per core). */
int imb_knn_threads(void);

/* A new frame: f re-sampled (f is not changed), with attrs.counts
 * updated and attrs.oversample = {method, ratio, k (smote), seed,
 * counts_before}; history is the caller's. NULL with imb_error() set on
 * bad data (naming the frame and field or class). */
imb_frame *imb_resample(const imb_frame *f, imb_rs_method m, double ratio, int k,
                        uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif
