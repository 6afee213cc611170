/* eval_agg.h: aggregation of metrics frames (evaluate.h) over runs:
 * group them by settings in attrs.config, then the mean and one
 * standard error of each metric per group, as TSV or JSON. */
#ifndef IMB_EVAL_AGG_H
#define IMB_EVAL_AGG_H

#include "stream.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct imb_agg imb_agg;
/* Group by the attrs.config keys by[0..nby) (copied). */
imb_agg *imb_agg_new(char *const *by, size_t nby);
void imb_agg_free(imb_agg *a);
/* Add one metrics frame (a run): its attrs.metrics numbers and its
 * per_class recalls (as recall_<class>). -1 with imb_error() naming the
 * frame and key when a group key or attrs.metrics is missing. */
int imb_agg_add(imb_agg *a, const imb_frame *f);
size_t imb_agg_ngroups(const imb_agg *a);
/* Let the runs of a group differ in the config keys keys[0..n) (copied):
 * pooling over them is intended (--allow-pool). */
void imb_agg_allow(imb_agg *a, char *const *keys, size_t n);
/* Honest pooling: the runs of each group must agree on every
 * attrs.config key (a key missing from a run differs from any value)
 * but the group keys, the allowed ones and the replicate keys (seeds:
 * seed, param.seed, oversample_seed; fold; model_index; the class
 * counts the split drew: train_counts, test_counts, val_counts). 0, or
 * -1 with imb_error() listing every key that differs and its values. */
int imb_agg_check(const imb_agg *a);
/* The replicate keys above (a static array of *n names). */
const char *const *imb_agg_replicate_keys(size_t *n);
/* Groups sorted by their key values (numbers numerically, before
 * strings). For each metric (in order of first appearance): the mean
 * over the group's runs where it is defined, and one standard error
 * (sample std with n-1 over sqrt(n); NA with fewer than two values).
 * TSV: columns BY..., n, then NAME_mean, NAME_se per metric. JSON: an
 * array of {BY..., "n", "metrics": {NAME: {"mean", "se", "n"}}}. */
void imb_agg_write_tsv(FILE *fp, const imb_agg *a);
imb_val *imb_agg_json(const imb_agg *a);

#ifdef __cplusplus
}
#endif

#endif
