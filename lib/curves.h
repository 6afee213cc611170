/* curves.h: the curves behind imb-eval's ranking and calibration
 * metrics, for one model on one labelled set: ROC points, precision-
 * recall points and reliability-diagram bins (imb-eval --curves FILE).
 *
 * - roc, per class c (two classes: the positive class only; more: each
 *   class against the rest), score p_c: a first point (0, 0) at
 *   threshold inf, then one point per distinct score t, descending:
 *   x = FPR, y = TPR of "positive when p_c >= t" (sklearn's roc_curve
 *   with drop_intermediate=False). The trapezoidal area under them is
 *   imb_auroc (ties count one half).
 * - pr, per class as roc: a first point (recall 0, precision 1) at
 *   threshold inf, then one per distinct score, descending: x = recall,
 *   y = precision (sklearn 1.2's precision_recall_curve, reversed).
 *   sum (x_i - x_{i-1}) y_i over the points is imb_average_precision
 *   (auprc).
 * - reliability, over the rows' top-label confidences (the largest
 *   probability), in the ECE's bins (metrics.h, imb_ece_bin): one point
 *   per non-empty bin, x = mean confidence, y = accuracy (fraction whose
 *   prediction is the label), threshold = the bin's upper edge
 *   (sklearn's calibration_curve(correct, confidence, n_bins=15)).
 *   sum_b n_b |y_b - x_b| / n is the ECE.
 * A class with no positive or no negative row has no roc or pr points.
 * The rows are unweighted: the set as it is, not re-weighted to a
 * target ratio.
 *
 * The curves of one evaluation travel as a frame of kind "curves" (name:
 * the set's) that imb-eval writes as TSV rather than into the stream:
 * attrs set, model, model_index, classes (K names); tensors "curve"
 * (m) i32 (0 roc, 1 pr, 2 reliability), "class" (m) i32 (-1 for
 * reliability), "x", "y", "threshold" (m) f64, "n" (m) i64 (rows with
 * score >= threshold; a bin's rows). */
#ifndef IMB_CURVES_H
#define IMB_CURVES_H

#include "stream.h"

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The curves frame of labels y (n, in [0, K)) and probabilities probs
 * (n, K); names (K) the class names (copied), positive the positive
 * class when K = 2; set, model and model_index go to attrs. */
imb_frame *imb_curves_frame(const char *set, const char *model, size_t model_index,
                            const int32_t *y, const float *probs, size_t n, int K,
                            char *const *names, int positive);

/* TSV of curves frames f (nf): a header, then a row per point: set,
 * model, model_index, curve (roc, pr, reliability), class (its name; NA
 * for reliability), x, y, threshold (inf for the first point of a
 * curve), n; numbers %.17g. */
void imb_curves_write_tsv(FILE *fp, imb_frame *const *f, size_t nf);

#ifdef __cplusplus
}
#endif

#endif
