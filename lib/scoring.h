/* scoring.h: a model's predictions for every row of a dataset frame, as
 * imb-predict exports them: class probabilities, the predicted class
 * (argmax, or for two classes a threshold on the positive class's
 * probability, chosen by hand or on a validation frame), a predictions
 * frame or TSV/CSV rows.
 *
 * A predictions frame (kind "predictions", name: the dataset's name):
 *   tensors  "probs" (n,K) f32 class probabilities (predict.h), "pred"
 *            (n) i32 the predicted class, "id" (n) i32/i64 or (n, W) u8
 *            (string ids, NUL-padded) copied from the
 *            dataset's tensor "id" when it has one
 *   attrs    classes (the model's K names), model (its kind, a network's
 *            architecture: imb_model_name), threshold
 *            and positive (two classes with a threshold), threshold_for
 *            {metric, value, frame} when it was chosen on a frame,
 *            source, history (the model's, with the tool's entry)
 * Text: one row per sample, columns id (when the dataset has one), pred
 * (the class name), p_<class name> for each class; with several frames
 * a first column set (the frame's name). Probabilities as %.9g. */
#ifndef IMB_SCORING_H
#define IMB_SCORING_H

#include "predict.h"
#include "stream.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* what a threshold is chosen for */
typedef enum {
	IMB_THR_BALANCED_ACCURACY,  /* (TPR + TNR) / 2 */
	IMB_THR_F1,                 /* 2 TP / (2 TP + FP + FN), of the positive class */
	IMB_THR_GMEAN               /* sqrt(TPR TNR) */
} imb_thr_metric;

/* "balanced_accuracy", "f1", "gmean" (also "g-mean", "gm"); 0 or -1. */
int imb_thr_metric_parse(const char *s, imb_thr_metric *m);
const char *imb_thr_metric_name(imb_thr_metric m);

/* The threshold t on score (n) that maximises metric m over the rows
 * flagged pos (n: 1 positive, 0 negative) when a row is predicted
 * positive iff its score >= t: the candidates are the distinct scores
 * (and one above the largest: nothing positive); the first best in
 * descending order (the highest such threshold) wins. *value gets the
 * metric there. -1 with imb_error() when a class has no rows. */
int imb_threshold_best(const float *score, const unsigned char *pos, size_t n,
                       imb_thr_metric m, double *t, double *value);

/* Class probabilities (n,K) of predictor p for every row of dataset
 * frame ds (its labels are not needed): a new array, *n its rows. NULL
 * with imb_error() naming the frame (no x, another feature count). */
float *imb_score_probs(imb_predictor *p, const imb_frame *ds, size_t *n);

/* pred (n): the argmax of each row of probs (n,K) (first maximum on
 * ties), or with thr >= 0 and K = 2 the class positive when its
 * probability is >= thr, else the other. */
void imb_score_pred(int32_t *pred, const float *probs, size_t n, int K, int positive,
                    double thr);

/* The predictions frame of ds (see above); probs and pred are copied.
 * model gives classes, kind and history. thr < 0: none. */
imb_frame *imb_predictions_frame(const imb_frame *model, const imb_frame *ds, const float *probs,
                                 const int32_t *pred, size_t n, int K, int positive, double thr);

/* What imb-predict does with the model frame and the dataset frames of
 * a stream (in stream order). */
typedef struct {
	const char *frame;         /* predict this frame only (NULL: every one) */
	double threshold;          /* two classes: the positive class's threshold (< 0: argmax) */
	int by_metric;             /* choose the threshold on val_frame for metric */
	imb_thr_metric metric;
	const char *val_frame;     /* the labelled frame the threshold is chosen on */
	int positive;              /* the positive class (default 1) */
} imb_score_opts;

/* The predictions frames (into *out, *nout of them, the caller's) of
 * the frames o selects, with the threshold o asks for (chosen first on
 * the validation frame, whose labels are matched to the model's classes
 * by name: attrs.threshold_for records metric, value and frame). 0, or
 * -1 with imb_error() (no such frame, a threshold for more than two
 * classes, a positive class out of range, a frame that does not load). */
int imb_score_frames(const imb_frame *model, imb_frame *const *ds, size_t nds,
                     const imb_score_opts *o, imb_frame ***out, size_t *nout);

/* Text rows of predictions frames f (nf of them) to fp: sep '\t' (TSV:
 * tabs and newlines in names escaped as imb_write_tsv does) or ','
 * (CSV, RFC 4180 quoting), a header first. */
void imb_predictions_write(FILE *fp, char sep, imb_frame *const *f, size_t nf);

#ifdef __cplusplus
}
#endif

#endif
