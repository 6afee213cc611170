/* dataset.h: dataset frames.
 *
 * A dataset frame has kind "dataset", a name ("train", "test", "val"),
 * tensor "x" (N,...) of u8/f32/f64/i32 and tensor "y" (N) of i32 class
 * indices in [0, K). attrs.classes holds the K class names; attrs.counts,
 * attrs.n and attrs.imbalance_ratio (rarest / most frequent) are kept in
 * step with y by imb_dataset_update_counts. */
#ifndef IMB_DATASET_H
#define IMB_DATASET_H

#include "stream.h"

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int imb_is_dataset(const imb_frame *f);
/* Validate a dataset frame: x and y present, y is i32 of shape (N),
 * x's first dimension N, labels in [0, K), attrs.classes (when there)
 * an array of distinct strings. 0, or -1 with imb_error()
 * naming the frame and field. */
int imb_dataset_check(const imb_frame *f);
/* K: the length of attrs.classes, else max(y)+1. */
int imb_dataset_nclasses(const imb_frame *f);
uint64_t imb_dataset_n(const imb_frame *f);
/* Features per sample: the product of x's shape after the first. */
uint64_t imb_dataset_dim(const imb_frame *f);
/* Classes are matched by name, never by index. Map the classes of
 * dataset frame f onto a reference list ref (K names: a model's or the
 * train set's attrs.classes; ref_label names its owner in messages).
 * 0 with *map NULL when f's labels are the reference's indices already
 * (the same names in the same order; or f names no classes and its
 * labels are below K; or ref is NULL and f has at most K classes), else
 * *map a new array of f's K entries, map[k] = the reference index of
 * f's class k (caller frees). f may list a subset of the reference's
 * classes, in any order (a test set without a rare class). -1 with
 * imb_error() naming both lists when f names a class the reference does
 * not know, when either list names a class twice or holds a non-string,
 * or when f names classes but the reference does not and they are more
 * than K. */
int imb_dataset_class_map(const imb_frame *f, const imb_val *ref, int K, const char *ref_label,
                          int32_t **map);
/* Put dataset frame f in the reference's class order, in place: its
 * labels mapped by name (imb_dataset_class_map) and attrs.classes made a
 * copy of ref's K names (or "0".."K-1" without ref). For a tool that has
 * forwarded f and keeps it for its own reading. 0, or -1 with
 * imb_error() as imb_dataset_class_map gives it. */
int imb_dataset_relabel(imb_frame *f, const imb_val *ref, int K, const char *ref_label);
/* Relabel a copy of labels y (n) through map (NULL: a plain copy);
 * caller frees. */
int32_t *imb_labels_map(const int32_t *y, size_t n, const int32_t *map);
/* Class name k (attrs.classes[k], or NULL). */
const char *imb_dataset_class_name(const imb_frame *f, int k);
/* counts[k] for k < K; caller frees. */
int64_t *imb_dataset_counts(const imb_frame *f);
/* Imbalance ratio of counts c (k): rarest / most frequent; 0 when all
 * are 0. */
double imb_counts_ratio(const int64_t *c, int k);
/* Recompute attrs.counts, attrs.n, attrs.imbalance_ratio from y. */
void imb_dataset_update_counts(imb_frame *f);
/* Features as an (N, D) float matrix, caller frees. u8 is scaled to
 * [0, 1] (x/255); other dtypes convert as they are. */
float *imb_dataset_features(const imb_frame *f);
/* Features x (n,d) of frame f (named by attrs.features) that a model
 * can train on: finite, or NaN too when nan_ok (XGBoost's missing
 * value). 0, or -1 with imb_error() naming the frame, the feature, how
 * many rows hold such values and the first, and pointing to imb-import
 * csv --impute; model names the model in the message. */
int imb_dataset_check_finite(const imb_frame *f, const float *x, size_t n, size_t d, int nan_ok,
                             const char *model);
/* A frame's row ids (tensor "id"): integers (n) i64 or i32, or text
 * (n, W) u8, each id NUL-padded to W bytes. imb_id_ok: 1 if id is one of
 * those forms with n rows. imb_id_write: row i's id as a cell of a table
 * with separator sep (CSV quoting for ',', the TSV escape else). */
int imb_id_ok(const imb_tensor *id, uint64_t n);
void imb_id_write(FILE *fp, char sep, const imb_tensor *id, size_t i);
/* New dataset frame holding rows idx[0..n) of src (in that order), with
 * src's attrs copied (counts refreshed) and the given name. */
imb_frame *imb_dataset_take(const imb_frame *src, const size_t *idx, size_t n,
                            const char *name);
/* Row indices of each class: byclass[k] has counts[k] entries in stream
 * order. Caller frees with imb_dataset_free_byclass. */
size_t **imb_dataset_byclass(const imb_frame *f, int64_t **counts);
void imb_dataset_free_byclass(size_t **byclass, int k);

#ifdef __cplusplus
}
#endif

#endif
