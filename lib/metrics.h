/* metrics.h: classification and calibration metrics from labels and
 * class probabilities, with optional class weights; AUROC and average
 * precision; mean and standard error.
 *
 * Definitions follow scikit-learn 1.2 (the test oracle), with a sample's
 * weight w_i = class_w[y_i] (1 when class_w is NULL):
 * - prediction: argmax of the probability row (first maximum on ties);
 * - confusion (K,K): summed weights, row = true class, column = predicted;
 * - recall_k = C[k][k] / support_k, precision_k = C[k][k] / predicted_k,
 *   f1_k = 2 C[k][k] / (support_k + predicted_k); a zero denominator
 *   gives 0 (sklearn's zero_division=0);
 * - accuracy = trace / total weight;
 * - balanced_accuracy: mean recall over the classes with support > 0
 *   (balanced_accuracy_score);
 * - macro_f1: mean f1 over the classes that occur among the true labels
 *   or the predictions (f1_score(average="macro"), default labels);
 * - gmean: geometric mean of the recalls of the classes with support > 0
 *   (0 when one of them is 0);
 * - majority_error / minority_error: 1 - (summed diagonal / summed
 *   support) over the majority classes / over the other (minority)
 *   classes; the caller says which classes are majority (NULL: class 0);
 *   NaN when that group has no support;
 * - log_loss: the negative log-likelihood (NLL) of the true class:
 *   weighted mean of -log(p_true), each row clipped to [eps, 1-eps]
 *   (eps = DBL_EPSILON) and renormalised (sklearn 1.2's log_loss);
 * - brier: the multi-class Brier score (Brier 1950): weighted mean of
 *   sum_k (p_k - [y == k])^2 over the rows as given (no clipping), in
 *   [0, 2] for rows that sum to 1; it equals sum_k of sklearn's
 *   brier_score_loss(y == k, p_k), so for K = 2 (rows summing to 1) it
 *   is twice brier_score_loss of the positive class (of either class);
 * - ece: expected calibration error over IMB_ECE_BINS equal-width
 *   confidence bins (Guo et al. 2017): a row's confidence is its largest
 *   probability, correct when the prediction is the label; bin b holds
 *   the confidences in (e_b, e_{b+1}], e_b = b/IMB_ECE_BINS rounded to
 *   float (the probabilities' precision, so a probability that is the
 *   float nearest b/15 lies on the edge: 2/15 is in bin 1); bin 0 also
 *   holds 0 and below, the last bin anything above 1. With W_b the
 *   summed weight of the rows of bin b, A_b that of its correct rows,
 *   C_b its weighted sum of confidences and W the total weight,
 *   ece = sum_b (W_b / W) |A_b / W_b - C_b / W_b| = sum_b |A_b - C_b| / W,
 *   in [0, 1];
 * - auroc, auprc: only for K = 2, with class `positive` as the positive
 *   class and its probability as the score: roc_auc_score (ties count
 *   one half) and average_precision_score (sum over distinct thresholds,
 *   descending, of (R_n - R_{n-1}) P_n). NaN when K != 2 or the test set
 *   holds a single class.
 * Undefined values are NaN. */
#ifndef IMB_METRICS_H
#define IMB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IMB_ECE_BINS 15

typedef struct {
	int k;               /* classes */
	size_t n;            /* samples (unweighted) */
	double total;        /* summed weights */
	double *confusion;   /* (k,k) summed weights, row = true class */
	double *support;     /* (k) summed weights of each true class */
	double *predicted;   /* (k) summed weights of each predicted class */
	size_t *count;       /* (k) samples of each true class (unweighted) */
	double *recall, *precision, *f1;   /* (k) */
	double accuracy, balanced_accuracy, macro_f1, gmean;
	double minority_error, majority_error;
	double log_loss;     /* the NLL */
	double brier, ece;
	double auroc, auprc; /* NaN unless k == 2 and both classes occur */
} imb_metrics;

/* Metrics of n samples. y is (n) in [0, k); probs is (n, k) rows of
 * class probabilities; class_w is (k) non-negative weights or NULL;
 * majority is (k) flags (1 = majority class) or NULL for class 0 alone;
 * positive is the positive class for auroc/auprc (used when k == 2).
 * NULL with imb_error() set when a label is out of range, k < 1, a
 * weight is negative or not finite, or positive is not a class. The
 * caller frees the result with imb_metrics_free. */
imb_metrics *imb_metrics_compute(const int32_t *y, const float *probs, size_t n, int k,
                                 const double *class_w, const unsigned char *majority,
                                 int positive);
void imb_metrics_free(imb_metrics *m);

/* The ECE's confidence bins (above): edge b of 0..IMB_ECE_BINS, b/15
 * rounded to float; the bin of a confidence, 0..IMB_ECE_BINS-1 (bin b
 * holds (edge b, edge b+1]; 0 and below, and NaN, in bin 0; above 1 in
 * the last). Reliability diagrams (curves.h) use the same bins. */
float imb_ece_edge(int b);
int imb_ece_bin(float conf);

/* Binary ranking metrics. score is (n), pos is (n) flags (1 = positive),
 * w is (n) weights or NULL. NaN when positives or negatives have no
 * weight. */
double imb_auroc(const double *score, const unsigned char *pos, const double *w, size_t n);
double imb_average_precision(const double *score, const unsigned char *pos, const double *w,
                             size_t n);

/* Class weights that re-weight a test set with true-class sample counts
 * count (k) so that every minority class (majority[c] == 0) carries
 * `ratio` times the weight of every majority class, and the weights sum
 * over the samples to the sample count (so the weighted confusion matrix
 * holds effective counts). Classes with no samples get weight 0. Writes
 * w (k); -1 with imb_error() when ratio is not positive and finite or
 * no class has samples. majority NULL: class 0 alone. */
/* The same for given class shares: class c carries share[c] (>= 0) of
 * the weight, relative to the other classes; share and w may alias. */
int imb_metrics_share_weights(const size_t *count, const double *share, int k, double *w);
int imb_metrics_target_weights(const size_t *count, const unsigned char *majority, int k,
                               double ratio, double *w);

/* Mean and one standard error (sample std with n-1, over sqrt(n)) of the
 * finite values among x (n); *m receives how many were finite. mean is
 * NaN when none is, se when fewer than two are. */
void imb_mean_se(const double *x, size_t n, double *mean, double *se, size_t *m);

#ifdef __cplusplus
}
#endif

#endif
