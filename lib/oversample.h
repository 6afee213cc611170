/* oversample.h: re-sampling a dataset frame to a class ratio: random
 * oversampling, random undersampling, SMOTE and its variants (ADASYN,
 * Borderline-SMOTE 1 and 2, SMOTE-NC), each as imbalanced-learn 0.10
 * defines it.
 *
 * Targets (ratio r in (0, 1], rarest / most frequent count afterwards):
 *   random, smote, ...: every class below floor(r * max_count) is raised
 *                       to it (ADASYN and Borderline may land a few off:
 *                       see below);
 *   under:              every class above floor(min_count / r) is cut to it.
 * (floor with a 1e-9 slack, as imblearn's int() of the same product.)
 * Classes with no samples stay empty; a class already past its target is
 * left alone.
 *
 * Output order: the over-samplers keep every source row in order and
 * append the new rows class by class (imblearn does the same); under keeps
 * the chosen rows in their source order.
 *
 * SMOTE (Chawla et al. 2002, as imblearn implements it): for each new
 * sample of class c, pick a random sample x of c and one of its k nearest
 * neighbours nn within c (itself excluded; squared Euclidean distance),
 * and write x + u * (nn - x) with u uniform in [0, 1). Distances
 * (|a|^2 + |b|^2 - 2 a.b) are found a tile at a time (128 query rows by
 * about 1 MiB of rows), one thread per core: rows of 63 features or fewer
 * by a direct AVX-512 kernel, u8 rows (SMOTE) in exact integers by
 * AVX-512 VNNI, the others (or on CPUs without those) by OpenBLAS sgemm
 * on the rows less their column means, the k + 3 nearest then ranked by
 * distances in double; memory stays small whatever the class size. Only
 * the samples drawn as bases get their neighbours computed (all pairs and
 * steps are drawn first, in imblearn's order), which saves most of the
 * distance work when a large class needs few new samples. f32 and f64
 * data are interpolated in their own precision; u8 and i32 data in
 * floating point, then rounded to the nearest integer (halves up for u8).
 * Other per-sample tensors of a new row are copied from x's row. A class with
 * fewer than k+1 samples uses k = n_c - 1 (with a warning); one with a
 * single sample cannot be oversampled by SMOTE (an error).
 *
 * ADASYN (He et al. 2008): sample i of class c gets
 * g_i = rint(r_i / sum_j r_j * need) new samples, r_i the share of its k
 * nearest neighbours among all rows that are of another class; each is
 * x_i + u (nn - x_i) with nn one of x_i's k nearest in c. The class gets
 * sum g_i new samples (imblearn's rounding), not exactly need.
 *
 * Borderline-SMOTE (Han et al. 2005): the seeds of class c are its
 * "danger" samples: m/2 <= (neighbours of another class among its m
 * nearest of all rows) < m. Borderline-1 interpolates from a seed to one
 * of its k nearest in c, like SMOTE. Borderline-2 draws f ~ Beta(10, 10)
 * and makes int(f (need + 1)) samples that way and int((1 - f) need)
 * towards one of the seed's k nearest samples of the other classes, with
 * u in [0, 0.5).
 *
 * SMOTE-NC (imblearn's SMOTENC): the one-hot groups named by
 * attrs.categorical are categorical features. Distances use the numeric
 * columns as they are and each group's one-hot column times half the
 * median of the numeric columns' standard deviations in the rarest class;
 * numeric columns are interpolated as SMOTE does, and each group takes the
 * category most frequent among the seed's k neighbours (ties drawn at
 * random). The interpolating methods other than SMOTE-NC refuse a frame
 * with one-hot groups unless blend_categorical is set. */
#ifndef IMB_OVERSAMPLE_H
#define IMB_OVERSAMPLE_H

#include "stream.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One entry per method, in the order of the method table (oversample.c):
 * a new method adds its name here and one line there. */
typedef enum {
	IMB_RS_RANDOM, IMB_RS_UNDER, IMB_RS_SMOTE, IMB_RS_ADASYN, IMB_RS_BORDERLINE1,
	IMB_RS_BORDERLINE2, IMB_RS_SMOTE_NC,
	/* under-samplers and combined samplers: undersample.h */
	IMB_RS_TOMEK, IMB_RS_ENN, IMB_RS_NEARMISS1, IMB_RS_NEARMISS2, IMB_RS_NEARMISS3,
	IMB_RS_CLUSTER_CENTROIDS, IMB_RS_SMOTE_TOMEK, IMB_RS_SMOTE_ENN,
	IMB_RS_NMETHODS
} imb_rs_method;

/* the parameters a method reads (imb_rs_method_params) */
enum { IMB_RS_P_K = 1, IMB_RS_P_M = 2 };

/* What imb_resample_opts does. */
typedef struct {
	imb_rs_method method;
	double ratio;         /* in (0, 1] */
	int k;                /* SMOTE's k_neighbors, ADASYN's n_neighbors (5) */
	int m;                /* Borderline's m_neighbors (10) */
	uint64_t seed;
	int blend_categorical; /* interpolate one-hot groups as plain numbers */
} imb_rs_opts;

/* 0, or -1 with imb_error() naming the row and column of f's first NaN
 * or infinite feature (lbl: f's label; what: the method; hint: more
 * advice, appended after "impute missing values first"). */
int imb_rs_check_finite(const imb_frame *f, const char *lbl, const char *what,
                        const char *hint);

/* rows[0..n) of x (N, d) (all rows when rows is NULL) as floats, (n, d),
 * u8 as 0..255; the caller frees. */
float *imb_x_rows_float(const imb_tensor *x, const size_t *rows, size_t n, size_t d);

/* the defaults above, for method m */
imb_rs_opts imb_rs_defaults(imb_rs_method m);

const char *imb_rs_method_name(imb_rs_method m);
/* 0, or -1 for an unknown name */
int imb_rs_method_parse(const char *s, imb_rs_method *out);
/* IMB_RS_P_* bits of the parameters method m reads */
unsigned imb_rs_method_params(imb_rs_method m);
/* the method names joined by sep ("random|under|smote|..."), static */
const char *imb_rs_method_list(const char *sep);

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
/* The k nearest rows of x (n, d) to each of the nq points q (nq, d), none
 * excluded: nn is (nq, k). Needs 0 < k <= n. */
void imb_knn_query(int32_t *nn, const float *q, size_t nq, const float *x, size_t n, size_t d,
                   int k);
/* Whether imb_knn_rows_u8 runs on this machine (x86-64 with AVX-512
 * VNNI, d <= 8192). */
int imb_knn_u8_ok(size_t d);
/* imb_knn_rows for u8 rows x (n, d), in exact integer distances (ties to
 * the lower index); only where imb_knn_u8_ok(d). */
void imb_knn_rows_u8(int32_t *nn, const uint8_t *x, size_t n, size_t d, int k, const size_t *rows,
                     size_t nq);
/* Insert (v, j) into the k smallest held in bd/bi (*have of them,
 * ascending): v must be below bd[k - 1] once k are held; of equal values
 * the one inserted first stays first. */
static inline void imb_topk_insert(float *bd, int32_t *bi, int *have, int k, float v, int32_t j)
{
	int p = *have < k ? (*have)++ : k - 1;
	while (p > 0 && bd[p - 1] > v) {
		bd[p] = bd[p - 1];
		bi[p] = bi[p - 1];
		p--;
	}
	bd[p] = v;
	bi[p] = j;
}

/* Threads for the kNN above (0, the default: one per online core). The
 * result does not depend on it: each block of query rows is computed
 * the same way whichever thread takes it. */
void imb_knn_set_threads(int n);
/* The setting above (0: one per core). */
int imb_knn_threads(void);

/* A new frame: f re-sampled (f is not changed), with attrs.counts
 * updated and attrs.oversample = {method, ratio, k and m where the method
 * takes them, seed, counts_before, and the method's own figures};
 * history is the caller's. NULL with imb_error() set on bad data (naming
 * the frame and field or class). */
imb_frame *imb_resample_opts(const imb_frame *f, const imb_rs_opts *o);
/* the same with the defaults of method m but for ratio, k and seed */
imb_frame *imb_resample(const imb_frame *f, imb_rs_method m, double ratio, int k,
                        uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif
