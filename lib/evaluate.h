/* evaluate.h: apply a model frame to dataset frames and build metrics
 * frames (evaluate.c); write them as TSV or JSON (eval_text.c).
 * Aggregating many metrics frames is eval_agg.h.
 *
 * A metrics frame (kind "metrics", name = the dataset's name) holds in
 * attrs (see docs/stream-format.md and man/imb-eval.1):
 *   metrics    accuracy, balanced_accuracy, macro_f1, gmean,
 *              minority_error, majority_error, log_loss (the NLL),
 *              auroc, auprc, brier, ece (metrics.h defines them; nil
 *              when undefined)
 *   per_class  [{class, support, recall, precision, f1}] in class order
 *   confusion  K arrays of K counts, row = true class (effective,
 *              fractional counts when the set is re-weighted)
 *   config     the experiment's settings, flattened (below)
 *   model, classes, n, majority (indices of the majority classes),
 *   positive (K = 2), weights (per class, when re-weighted), history
 *   (the model frame's, to which the tool appends its own entry).
 *
 * Majority classes: those with the largest training count, taken from
 * the first of the model's attrs.train.split.train_counts (the split's
 * imbalance, before any resampling), the dataset's
 * attrs.split.train_counts, the model's attrs.train.counts, that holds
 * K counts not all equal. Otherwise (unknown or balanced) class 0. The
 * other classes are the minority classes.
 *
 * config keys: set (the dataset frame's name), dataset (attrs.source),
 * model (imb_model_name: the kind, a network's architecture),
 * model_index (the model frame's place among the stream's model frames,
 * from 1: imb_eval_opts.model_index), every scalar of the model's
 * attrs.train.split then of the dataset's attrs.split (the latter wins;
 * arrays of scalars become comma-joined strings: classes "0,6"; so
 * train_ratio, test_ratio, seed, profile, n_train, ...), oversample (the
 * model's attrs.train.oversample.method; else the --method of the last
 * imb-oversample run in the model's history, smote when not given; else
 * "none"), oversample_ratio (likewise), oversample_k and oversample_seed
 * (from attrs.train.oversample), param.NAME for each scalar of the
 * model's attrs.params (a map flattens to param.NAME.KEY, and its
 * "mode", when it has one, is param.NAME: class weights), and
 * target_ratio when the set is re-weighted. */
#ifndef IMB_EVALUATE_H
#define IMB_EVALUATE_H

#include "stream.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	int positive;          /* positive class for auroc/auprc (K = 2); default 1 */
	const double *ratios;  /* (nratios) target minority/majority ratios, or NULL */
	size_t nratios;
	/* 0: every minority class gets ratio times a majority class's weight;
	 * 1 + imb_profile: class c's weight follows imb-split's profile at
	 * each ratio (imb_split_weights, by class index) */
	int profile;
	size_t model_index;    /* config.model_index: the model's place among the
	                        * stream's model frames, from 1 (0: left out) */
	int curves;            /* also a curves frame per set (curves.h) */
} imb_eval_opts;

typedef struct imb_evaluator imb_evaluator;

/* Load the model frame once (the frame is copied; the caller keeps its
 * own). NULL with imb_error() naming the frame and field. */
imb_evaluator *imb_evaluator_new(const imb_frame *model, const imb_eval_opts *o);
void imb_evaluator_free(imb_evaluator *e);
/* Apply the model to the dataset frame ds and append one metrics frame
 * (one per target ratio when ratios are given; with o->curves first a
 * curves frame, curves.h) to the growing array *out of *nout frames
 * (caller frees them). 0, or -1 with imb_error()
 * naming the frame and field (features, labels, classes, ratios). */
int imb_evaluate(imb_evaluator *e, const imb_frame *ds, imb_frame ***out, size_t *nout);

/* ---- every model on every set (eval_run.c) ---- */

/* A stream's model frames and the dataset frames to evaluate, in any
 * order: each model meets every set, as soon as both have been read. */
typedef struct imb_eval_run imb_eval_run;
/* o (copied; NULL: defaults) for every model, its model_index aside. */
imb_eval_run *imb_eval_run_new(const imb_eval_opts *o);
/* NULL-safe; frees the sets it took and any result not handed out. */
void imb_eval_run_free(imb_eval_run *r);
/* A model frame (copied, as imb_evaluator_new), the index-th of its
 * stream (config.model_index), evaluated on every set so far. 0, or -1
 * with imb_error(). */
int imb_eval_run_model(imb_eval_run *r, const imb_frame *model, size_t index);
/* A dataset frame to evaluate (taken), evaluated with every model so
 * far. 0, or -1 with imb_error(). */
int imb_eval_run_set(imb_eval_run *r, imb_frame *ds);
/* The models added so far. */
size_t imb_eval_run_models(const imb_eval_run *r);
/* The frames made (metrics and curves frames, as imb_evaluate makes
 * them), ordered by model (index), then set (stream order): a new array
 * of frames, the caller's; their number. */
size_t imb_eval_run_finish(imb_eval_run *r, imb_frame ***out);

/* ---- text forms (eval_text.c) ---- */

/* Text forms of metrics frames. TSV: a header row, then one row per
 * frame: set, model, [model_index,] n, [target_ratio,] accuracy,
 * balanced_accuracy, macro_f1, gmean, minority_error, majority_error,
 * auroc, auprc, nll (attrs.metrics.log_loss), brier, ece,
 * recall_<class>...; "NA" where undefined; numbers %.6g. The
 * target_ratio column is there when any frame has config.target_ratio,
 * model_index when the frames' config.model_index differ.
 * JSON: one object per frame, {"set": name} followed by its attrs
 * without history. */
void imb_eval_write_tsv(FILE *fp, imb_frame *const *m, size_t n);
/* The same table with sep '\t' (TSV) or ',' (CSV, RFC 4180 quoting);
 * flags IMB_EVAL_EXACT: floats as the shortest text that reads back to
 * the same double (imb_fmt_double) instead of %.6g; IMB_EVAL_CONFIG: then
 * one column per key of attrs.config (every frame's keys, first seen
 * first; set, model and target_ratio, already columns, left out; NA
 * where a frame lacks one). imb_eval_write_tsv is flags 0, sep '\t'. */
enum { IMB_EVAL_EXACT = 1, IMB_EVAL_CONFIG = 2 };
void imb_eval_write_table(FILE *fp, char sep, int flags, imb_frame *const *m, size_t n);
imb_val *imb_eval_json(imb_frame *const *m, size_t n);
/* One TSV cell: v as plain text (imb_val_write_text), "NA" when v is
 * NULL, nil or a float that is not finite. */
void imb_eval_write_cell(FILE *fp, const imb_val *v);

#ifdef __cplusplus
}
#endif

#endif
