/* split.h: train/test/validation sets with controlled class imbalance.
 *
 * Classes. The chosen source classes (all of them by default) are
 * relabelled 0..K-1 in the order given; the first is the majority. A
 * profile turns an imbalance ratio r (rarest / most frequent count, in
 * (0, 1]) into per-class weights w_k (w_0 = 1):
 *   exp:  w_k = r^(k/(K-1))                  (CIFAR-10-LT "long tail")
 *   step: w_k = 1 for k < K/2 (rounded down), r for the rest
 * For K = 2 both give (1, r); for K = 1 the weight is 1.
 *
 * Sizes. Per-class counts follow the weights under one anchor:
 *   total N     counts sum to exactly N (largest remainder rounding);
 *   majority M  n_k = round(M * w_k): the majority class gets M;
 *   maximum     the largest counts the source allows at those weights:
 *               n_k = floor(m * w_k) with m = min_k avail_k / w_k.
 * A split with `fixed minority` (the paper's section 3.2) keeps the
 * minority count and adds majority samples: the ratio becomes
 * n_minority / n_majority.
 *
 * Pools. With a source train and a source test frame, train (and val)
 * samples come from the train frame and test samples from the test frame,
 * so an official test set stays the test set. With one source frame, all
 * sets come from it without overlap.
 *
 * Which samples. Each class's source rows are shuffled once with the
 * seed; train takes the first n of that order, test (one pool) the last,
 * val the ones just before the test rows (from the end of the train pool).
 * So a larger --n-train keeps every sample a smaller one drew. Each output
 * set is then shuffled with the seed. Same source and options, same
 * bytes. */
#ifndef IMB_SPLIT_H
#define IMB_SPLIT_H

#include "stream.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { IMB_PROFILE_EXP, IMB_PROFILE_STEP } imb_profile;
typedef enum { IMB_FIXED_TOTAL, IMB_FIXED_MINORITY } imb_fixed;

typedef struct {
	const long *classes;     /* source class indices; NULL: all */
	int nclasses;            /* entries in classes */
	imb_profile profile;
	imb_fixed fixed;
	double train_ratio;      /* (0, 1]; default 1; unused with fixed minority
	                          * when n_majority is set */
	double test_ratio;       /* (0, 1]; default 1 */
	double val_ratio;        /* (0, 1]; < 0: the train ratio */
	int64_t n_train;         /* total; < 0: maximum feasible */
	int64_t n_test;          /* total; < 0: maximum feasible */
	int64_t n_val;           /* total; <= 0: no val set */
	int64_t n_minority;      /* fixed minority: the minority count (> 0) */
	int64_t n_majority;      /* fixed minority: majority count; < 0: from train_ratio */
	int has_train_ratio;     /* train_ratio was given (fixed minority needs it
	                          * or n_majority) */
	uint64_t seed;
} imb_split_opts;

/* Defaults: all classes, exp profile, fixed total, ratios 1, sizes
 * maximum, no val, seed 0. */
void imb_split_opts_init(imb_split_opts *o);
const char *imb_profile_name(imb_profile p);
/* 0 or -1 for an unknown name */
int imb_profile_parse(const char *s, imb_profile *out);

/* w is (k): the per-class weights of a profile at ratio r. */
void imb_split_weights(double *w, int k, double r, imb_profile p);
/* out is (k): counts summing to total, proportional to w (largest
 * remainder; ties go to the lower class index). */
void imb_split_counts_total(int64_t *out, const double *w, int k, int64_t total);
/* out is (k): round(m * w_k). */
void imb_split_counts_major(int64_t *out, const double *w, int k, int64_t m);
/* out is (k): the largest counts at weights w within avail (k). */
void imb_split_counts_max(int64_t *out, const double *w, int k, const int64_t *avail);

/* Make the sets. train_src is the source train frame (or the only source
 * frame), test_src the source test frame or NULL for one pool; test_src's
 * classes are matched to train_src's by name (another order is
 * relabelled, a subset is allowed, a name train_src lacks is an error:
 * imb_dataset_class_map). On success
 * returns 0 and new frames in *train, *test and *val (NULL without a val
 * set), each with attrs.split, counts, and classes set; history is the
 * caller's. On bad data or an impossible split returns -1 with
 * imb_error() naming the frame, class and counts. */
int imb_split_make(const imb_split_opts *o, const imb_frame *train_src,
                   const imb_frame *test_src, imb_frame **train, imb_frame **test,
                   imb_frame **val);

#ifdef __cplusplus
}
#endif

#endif
