/* undersample.h: the cleaning and prototype under-samplers and the
 * combined samplers of imb-oversample, after imbalanced-learn:
 *
 *   tomek       Tomek links: a pair of rows of different classes, each
 *               the other's nearest neighbour (over all rows). The row of
 *               each link that is not of the minority class is removed.
 *   enn         edited nearest neighbours: a row of a class other than
 *               the minority is removed unless all of its k nearest
 *               neighbours (over all rows, itself excluded) share its
 *               class (imblearn's kind_sel "all"; k default 3).
 *   nearmiss1   keep, of each class cut to its target, the rows with the
 *               smallest mean distance to their k nearest minority rows;
 *   nearmiss2   ... to their k farthest minority rows;
 *   nearmiss3   the rows among the 3 nearest of some minority row, those
 *               with the largest mean distance to their k nearest
 *               minority rows first (fewer than the target when that
 *               neighbourhood is smaller, with a warning).
 *   cluster-centroids
 *               each class cut to its target is replaced by the centroids
 *               of a k-means into that many clusters (k-means++ seeding,
 *               greedy as scikit-learn's, then Lloyd's iterations until no
 *               row changes cluster).
 *   smote-tomek, smote-enn
 *               SMOTE to the ratio, then Tomek links or ENN (k 3) on the
 *               result with every class cleaned (both rows of a link
 *               removed), as imblearn's SMOTETomek and SMOTEENN.
 *
 * Targets of nearmiss and cluster-centroids: as random undersampling,
 * every class above floor(smallest count / ratio) is cut to it. The
 * cleaners take no ratio. The minority class (left alone) is the one of
 * the smallest count, of classes tied at it the lowest; NearMiss measures
 * distances to the rows of the class of the smallest count whose first
 * row comes first (both as imblearn).
 * Distances are Euclidean on x as stored (u8 as 0..255). Neighbour ties go
 * to the lower row index; rows with equal NearMiss scores keep their
 * source order. Kept rows stay in source order; cluster-centroids appends
 * the centroids class by class after the rows of the classes it does not
 * cut (a centroid's other per-sample tensors are those of the row of its
 * cluster nearest to it; u8 and i32 centroids are rounded). */
#ifndef IMB_UNDERSAMPLE_H
#define IMB_UNDERSAMPLE_H

#include "oversample.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether method m is one of the above (imb_resample hands it here). */
int imb_rs_is_under(imb_rs_method m);
/* Whether m takes a ratio (the cleaners tomek and enn do not). */
int imb_rs_takes_ratio(imb_rs_method m);
/* m's default --k where it differs from SMOTE's 5 (enn, nearmiss: 3),
 * else 0. */
int imb_rs_default_k(imb_rs_method m);

/* imb_resample for the methods above: a new frame, attrs.oversample =
 * {method, ratio (when it applies), k (when it applies), seed (when it
 * is random), counts_before}. NULL with imb_error() set on bad data. */
imb_frame *imb_undersample(const imb_frame *f, imb_rs_method m, double ratio, int k,
                           uint64_t seed);

/* Element i of x (any dtype) as a double. */
double imb_x_at(const imb_tensor *x, size_t i);

/* Cluster centroids (cluster_centroids.c): f's classes with tgt[c] below
 * cnt[c] replaced by tgt[c] k-means centroids; by and cnt as
 * imb_dataset_byclass gives them. A new frame (counts refreshed, no
 * attrs.oversample), or NULL with imb_error() set. */
imb_frame *imb_cluster_centroids(const imb_frame *f, size_t *const *by, const int64_t *cnt,
                                 const int64_t *tgt, int nk, uint64_t seed);

/* nn (n, k): the k rows of x (n, d) nearest to each row, itself
 * excluded, ascending by (squared Euclidean distance in float, index), for
 * all rows at once (nn1.c); threads 0: one per core. The result does not
 * depend on the threads. Needs 0 < k < n. */
void imb_knn_all(int32_t *nn, const float *x, size_t n, size_t d, int k, int threads);

/* k-means of x (n, d) into kc clusters: cent (kc, d), label (n); greedy
 * k-means++ seeding from r, Lloyd's iterations until no label changes
 * (at most max_iter). Returns the inertia (sum of squared distances to
 * the assigned centroid). Needs 0 < kc <= n. */
double imb_kmeans(double *cent, int32_t *label, const double *x, size_t n, size_t d, int kc,
                  int max_iter, imb_rng *r);

#ifdef __cplusplus
}
#endif

#endif
