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
 * bytes.
 *
 * Stratified modes (split_strat.c) keep the data's own class ratio and
 * use every row of the chosen classes:
 *   stratified  one source frame: a test size (a fraction F or a count,
 *               default 0.25) is split over the classes as scikit-learn's
 *               StratifiedShuffleSplit does: n_test = ceil(F * n) (or the
 *               count), n_train = n - n_test; train's per-class counts are
 *               floor(c_k / n * n_train) plus one for the classes of the
 *               largest remainders (ties: the lower class index, where
 *               scikit-learn picks at random), test takes the rest of each
 *               class. A class left with no row in a set then takes one
 *               from the class furthest above its exact share, so every
 *               class of 2 or more rows is in both sets; a class of one
 *               row is an error. With a source train and test frame the
 *               two are kept as they are (rows in source order, only the
 *               chosen classes), and a test size is an error.
 *   folds       stratified k-fold (scikit-learn's StratifiedKFold): the
 *               rows sorted by class are dealt to folds 0..K-1 round
 *               robin, which fixes fold f's count of each class (they
 *               differ by at most one per class, and fold sizes by at
 *               most one); each class's rows, shuffled once with the seed,
 *               fill the folds in order. Fold I is the test set and the
 *               other folds the train set; with a source train and test
 *               frame, the folds are made from the train frame, fold I is
 *               the val set and the test frame is kept as it is. Every
 *               class needs at least K rows. The folds do not depend on I,
 *               so the K test (or val) sets partition the rows.
 * A val size carves a stratified val set (the same rounding) from the
 * train set: the rows of each class just before the test rows. Each
 * drawn set is shuffled with a generator of its own. */
#ifndef IMB_SPLIT_H
#define IMB_SPLIT_H

#include "stream.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { IMB_PROFILE_EXP, IMB_PROFILE_STEP } imb_profile;
typedef enum { IMB_FIXED_TOTAL, IMB_FIXED_MINORITY } imb_fixed;
typedef enum { IMB_SPLIT_RATIO, IMB_SPLIT_STRATIFIED, IMB_SPLIT_FOLDS } imb_split_mode;

/* A set's size: a fraction of the rows (frac in (0, 1), count 0) or a
 * row count (count >= 1, frac 0); both 0: not given. */
typedef struct {
	double frac;
	int64_t count;
} imb_split_size;

typedef struct {
	imb_split_mode mode;     /* default ratio: the fields below up to seed */
	const long *classes;     /* source class indices; NULL: all */
	int nclasses;            /* entries in classes */
	const char *class_list;  /* when set, the classes as a comma list of
	                          * names or indices, resolved against the
	                          * source by imb_split_classes (overrides
	                          * classes) */
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
	/* stratified and folds modes */
	imb_split_size test_size; /* stratified, one source frame (default 0.25) */
	imb_split_size val_size;  /* a val set carved from train; not given: none */
	int folds;                /* folds: K >= 2 */
	int fold;                 /* folds: the test (or val) fold, 1..K */
} imb_split_opts;

/* Defaults: ratio mode, all classes, exp profile, fixed total, ratios 1,
 * sizes maximum, no val, seed 0; sizes of the stratified modes not given. */
void imb_split_opts_init(imb_split_opts *o);
const char *imb_profile_name(imb_profile p);
/* 0 or -1 for an unknown name */
int imb_profile_parse(const char *s, imb_profile *out);

/* w is (k): the per-class weights of a profile at ratio r. */
void imb_split_weights(double *w, int k, double r, imb_profile p);
/* out is (k): counts summing to total, proportional to w (largest
 * remainder; ties go to the lower class index). */
/* The names of the source classes cls (k) in src, the index as text
 * where src names none; one allocation: free() it. */
const char **imb_split_class_names(const imb_frame *src, const long *cls, int k);
void imb_split_counts_total(int64_t *out, const double *w, int k, int64_t total);
/* out is (k): round(m * w_k). */
void imb_split_counts_major(int64_t *out, const double *w, int k, int64_t m);
/* out is (k): the largest counts at weights w within avail (k). */
void imb_split_counts_max(int64_t *out, const double *w, int k, const int64_t *avail);

/* Parse a size: "0.2" is a fraction (strictly between 0 and 1), "300" a
 * count (digits only, >= 1). 0, or -1 for anything else ("1.5", "1.0",
 * "0", "-3", "x"). */
int imb_split_size_parse(const char *s, imb_split_size *out);
/* The rows a size asks for out of n: the count, or ceil(frac * n) as
 * scikit-learn rounds a test size. */
int64_t imb_split_size_rows(const imb_split_size *s, int64_t n);

/* Resolve a comma list of classes against dataset frame src: each token
 * is, in this order, an index when it is an integer (an optional '-' and
 * digits) that is not exactly one of the class names; a class name,
 * matched exactly; a class name matched ignoring case (an error when
 * this matches two). On success *cls is a new array (caller frees) of
 * *k source indices, in the order listed. -1 with imb_error() for an
 * empty token, an index out of range, a name that is not there (the
 * message lists the names), or a class listed twice. Names cannot
 * hold a comma. */
int imb_split_classes(const imb_frame *src, const char *list, long **cls, int *k);

/* test (k): per-class test counts for a stratified split of counts (k)
 * with n_test test rows in all (the rounding above; every count must be
 * >= 2). 0, or -1 with imb_error() when n_test or n - n_test is below k
 * or n_test is not below n. */
int imb_split_counts_stratified(int64_t *test, const int64_t *counts, int k, int64_t n_test);
/* alloc is (folds, k): alloc[f * k + j] rows of class j in fold f, the
 * rows sorted by class dealt round robin (StratifiedKFold). */
void imb_split_counts_folds(int64_t *alloc, const int64_t *counts, int k, int folds);

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
/* The stratified and folds modes of imb_split_make, which calls it once
 * the sources are checked, o->classes holds source indices (or NULL) and
 * test_src's classes are in train_src's order. */
int imb_split_strat_make(const imb_split_opts *o, const imb_frame *train_src,
                         const imb_frame *test_src, imb_frame **train, imb_frame **test,
                         imb_frame **val);

#ifdef __cplusplus
}
#endif

#endif
