/* dataset.c: dataset frame helpers. */
#include "dataset.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int imb_is_dataset(const imb_frame *f) { return strcmp(f->kind, "dataset") == 0; }

uint64_t imb_dataset_n(const imb_frame *f)
{
	imb_tensor *y = imb_frame_tensor(f, "y");
	return y && y->ndim == 1 ? y->shape[0] : 0;
}

uint64_t imb_dataset_dim(const imb_frame *f)
{
	imb_tensor *x = imb_frame_tensor(f, "x");
	if (!x || x->ndim < 1)
		return 0;
	uint64_t d = 1;
	for (int k = 1; k < x->ndim; k++)
		d *= x->shape[k];
	return d;
}

int imb_dataset_nclasses(const imb_frame *f)
{
	imb_val *c = imb_val_get(f->attrs, "classes");
	if (c && c->t == IMB_V_ARR && c->n)
		return (int)c->n;
	imb_tensor *y = imb_frame_tensor(f, "y");
	if (!y || y->dtype != IMB_I32)
		return 0;
	int32_t mx = -1;
	const int32_t *yy = y->data;
	for (uint64_t k = 0; k < imb_tensor_count(y); k++)
		if (yy[k] > mx)
			mx = yy[k];
	return mx + 1;
}

const char *imb_dataset_class_name(const imb_frame *f, int k)
{
	imb_val *c = imb_val_get(f->attrs, "classes");
	if (!c || c->t != IMB_V_ARR || k < 0 || (size_t)k >= c->n)
		return NULL;
	return imb_val_as_str(c->items[k], NULL);
}

/* "[a, b, c]", cut with "..." to fit size */
static const char *name_list(const imb_val *a, char *buf, size_t size)
{
	size_t at = 0;
	int full = 0;
	buf[at++] = '[';
	for (size_t j = 0; a && a->t == IMB_V_ARR && j < a->n && !full; j++) {
		const char *s = imb_val_as_str(a->items[j], "?");
		size_t len = strlen(s);
		if (at + len + 8 > size) {
			if (at + 4 < size)
				at += (size_t)snprintf(buf + at, size - at, "%s...", j ? ", " : "");
			full = 1;
			break;
		}
		at += (size_t)snprintf(buf + at, size - at, "%s%s", j ? ", " : "", s);
	}
	snprintf(buf + at, size - at, "]");
	return buf;
}

typedef struct {
	const char *s;
	size_t at;
} named;

static int named_cmp(const void *a, const void *b)
{
	const named *x = a, *y = b;
	int c = strcmp(x->s, y->s);
	return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* the names of class list a (strings, checked by the caller) sorted; a
 * name listed twice: -1 with imb_error() "WHO: attrs.classes names
 * class 'c' twice (at 0 and 3)" */
static named *sorted_names(const imb_val *a, const char *who)
{
	named *v = imb_xmalloc((a->n ? a->n : 1) * sizeof *v);
	for (size_t j = 0; j < a->n; j++) {
		v[j].s = imb_val_as_str(a->items[j], "");
		v[j].at = j;
	}
	qsort(v, a->n, sizeof *v, named_cmp);
	for (size_t j = 1; j < a->n; j++)
		if (!strcmp(v[j - 1].s, v[j].s)) {
			imb_seterr("%s: attrs.classes names class '%s' twice (at %zu and %zu)", who, v[j].s,
			           v[j - 1].at, v[j].at);
			free(v);
			return NULL;
		}
	return v;
}

static int str_items(const imb_val *a, const char *who)
{
	for (size_t j = 0; j < a->n; j++)
		if (a->items[j]->t != IMB_V_STR)
			return imb_seterr("%s: attrs.classes[%zu] is not a string", who, j);
	return 0;
}

int imb_dataset_relabel(imb_frame *f, const imb_val *ref, int K, const char *ref_label)
{
	int32_t *map;
	if (imb_dataset_class_map(f, ref, K, ref_label, &map) < 0)
		return -1;
	imb_tensor *t = imb_frame_tensor(f, "y");
	if (map && t) {
		int32_t *y = t->data;
		for (size_t i = 0; i < imb_tensor_count(t); i++)
			y[i] = map[y[i]];
	}
	free(map);
	if (ref && ref->t == IMB_V_ARR && ref->n == (size_t)K) {
		imb_val_set(f->attrs, "classes", imb_val_copy(ref));
	} else {
		imb_val *a = imb_val_arr();
		for (int k = 0; k < K; k++) {
			char num[16];
			snprintf(num, sizeof num, "%d", k);
			imb_val_push(a, imb_val_str(num));
		}
		imb_val_set(f->attrs, "classes", a);
	}
	return 0;
}

int32_t *imb_labels_map(const int32_t *y, size_t n, const int32_t *map)
{
	int32_t *r = imb_xmalloc((n ? n : 1) * sizeof *r);
	for (size_t i = 0; i < n; i++)
		r[i] = map ? map[y[i]] : y[i];
	return r;
}

int imb_dataset_class_map(const imb_frame *f, const imb_val *ref, int K, const char *ref_label,
                          int32_t **map)
{
	*map = NULL;
	char lb[300], l1[400], l2[400];
	imb_frame_label(f, lb, sizeof lb);
	const imb_val *fc = imb_val_get(f->attrs, "classes");
	if (fc && (fc->t != IMB_V_ARR || !fc->n))
		fc = NULL;
	if (ref && ref->t != IMB_V_ARR)
		return imb_seterr("%s: attrs.classes is not an array of class names", ref_label);
	if (ref && ref->n != (size_t)K)
		return imb_seterr("%s: attrs.classes lists %zu names but it has %d classes", ref_label,
		                  ref->n, K);
	if (ref && str_items(ref, ref_label))
		return -1;
	int kf = imb_dataset_nclasses(f);
	if (!fc || !ref) {
		/* one side names no classes: the labels are all there is */
		if (kf <= K)
			return 0;
		if (fc)
			return imb_seterr("%s: attrs.classes: %d classes %s, but %s has %d", lb, kf,
			                  name_list(fc, l1, sizeof l1), ref_label, K);
		imb_tensor *y = imb_frame_tensor(f, "y");
		const int32_t *yy = y->data;
		size_t i = 0;
		while (i + 1 < imb_tensor_count(y) && yy[i] < K)
			i++;
		return imb_seterr("%s: tensor 'y': label %d of sample %zu is not a class of %s (it has "
		                  "%d%s%s)", lb, (int)yy[i], i, ref_label, K, ref ? ": " : "",
		                  ref ? name_list(ref, l2, sizeof l2) : "");
	}
	if (str_items(fc, lb))
		return -1;
	named *rs = sorted_names(ref, ref_label);
	if (!rs)
		return -1;
	named *fs = sorted_names(fc, lb);
	if (!fs) {
		free(rs);
		return -1;
	}
	free(fs);
	int32_t *m = imb_xmalloc(fc->n * sizeof *m);
	int same = 1;
	for (size_t j = 0; j < fc->n; j++) {
		named key = { imb_val_as_str(fc->items[j], ""), 0 };
		size_t lo = 0, hi = ref->n;
		while (lo < hi) {  /* first entry not below key's name */
			size_t mid = lo + (hi - lo) / 2;
			if (strcmp(rs[mid].s, key.s) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == ref->n || strcmp(rs[lo].s, key.s)) {
			imb_seterr("%s: attrs.classes: class '%s' is not a class of %s %s (this set lists "
			           "%s)", lb, key.s, ref_label, name_list(ref, l1, sizeof l1),
			           name_list(fc, l2, sizeof l2));
			free(rs);
			free(m);
			return -1;
		}
		m[j] = (int32_t)rs[lo].at;
		if (m[j] != (int32_t)j)
			same = 0;
	}
	free(rs);
	if (same)
		free(m);
	else
		*map = m;
	return 0;
}

int imb_dataset_check(const imb_frame *f)
{
	char lbl[300];
	imb_frame_label(f, lbl, sizeof lbl);
	imb_tensor *x = imb_frame_tensor(f, "x"), *y = imb_frame_tensor(f, "y");
	if (!x)
		return imb_seterr("%s: missing tensor 'x'", lbl);
	if (!y)
		return imb_seterr("%s: missing tensor 'y': the frame has no labels (imb-import csv "
		                  "without --label makes such a frame, for imb-predict to score); this "
		                  "needs labelled data", lbl);
	if (y->dtype != IMB_I32 || y->ndim != 1)
		return imb_seterr("%s: tensor 'y' must be i32 of shape (N), got %s with %d dimensions",
		                  lbl, imb_dtype_name(y->dtype), y->ndim);
	if (x->ndim < 1 || x->shape[0] != y->shape[0])
		return imb_seterr("%s: tensor 'x' has %llu rows but 'y' has %llu labels", lbl,
		                  x->ndim ? (unsigned long long)x->shape[0] : 0ull,
		                  (unsigned long long)y->shape[0]);
	if (x->dtype == IMB_I64)
		return imb_seterr("%s: tensor 'x' has dtype i64; use u8, i32, f32 or f64", lbl);
	int k = imb_dataset_nclasses(f);
	imb_val *c = imb_val_get(f->attrs, "classes");
	if (c && c->t == IMB_V_ARR) {
		if (str_items(c, lbl))
			return -1;
		named *v = sorted_names(c, lbl);  /* classes are matched by name: no twins */
		if (!v)
			return -1;
		free(v);
	}
	const int32_t *yy = y->data;
	for (uint64_t j = 0; j < y->shape[0]; j++)
		if (yy[j] < 0 || yy[j] >= k)
			return imb_seterr("%s: tensor 'y': label %d at row %llu is outside [0, %d)",
			                  lbl, yy[j], (unsigned long long)j, k);
	return 0;
}

int64_t *imb_dataset_counts(const imb_frame *f)
{
	int k = imb_dataset_nclasses(f);
	int64_t *c = imb_xcalloc(k > 0 ? k : 1, sizeof *c);
	imb_tensor *y = imb_frame_tensor(f, "y");
	const int32_t *yy = y->data;
	for (uint64_t j = 0; j < imb_tensor_count(y); j++)
		if (yy[j] >= 0 && yy[j] < k)
			c[yy[j]]++;
	return c;
}

double imb_counts_ratio(const int64_t *c, int k)
{
	int64_t mn = -1, mx = 0;
	for (int j = 0; j < k; j++) {
		if (mn < 0 || c[j] < mn)
			mn = c[j];
		if (c[j] > mx)
			mx = c[j];
	}
	return mx > 0 ? (double)mn / (double)mx : 0.0;
}

void imb_dataset_update_counts(imb_frame *f)
{
	int k = imb_dataset_nclasses(f);
	int64_t *c = imb_dataset_counts(f);
	imb_val_set(f->attrs, "counts", imb_val_int_array(c, k));
	imb_val_set_int(f->attrs, "n", (int64_t)imb_dataset_n(f));
	imb_val_set_float(f->attrs, "imbalance_ratio", imb_counts_ratio(c, k));
	free(c);
}

float *imb_dataset_features(const imb_frame *f)
{
	imb_tensor *x = imb_frame_tensor(f, "x");
	uint64_t total = imb_tensor_count(x);
	float *out = imb_xmalloc_aligned(total * sizeof *out);
	switch (x->dtype) {
	case IMB_U8: {
		const uint8_t *p = x->data;
		for (uint64_t k = 0; k < total; k++)
			out[k] = p[k] * (1.0f / 255.0f);
		break;
	}
	case IMB_F32:
		memcpy(out, x->data, total * sizeof *out);
		break;
	case IMB_F64: {
		const double *p = x->data;
		for (uint64_t k = 0; k < total; k++)
			out[k] = (float)p[k];
		break;
	}
	case IMB_I32: {
		const int32_t *p = x->data;
		for (uint64_t k = 0; k < total; k++)
			out[k] = (float)p[k];
		break;
	}
	case IMB_I64: {
		const int64_t *p = x->data;
		for (uint64_t k = 0; k < total; k++)
			out[k] = (float)p[k];
		break;
	}
	default:
		break;
	}
	return out;
}

imb_frame *imb_dataset_take(const imb_frame *src, const size_t *idx, size_t n, const char *name)
{
	imb_frame *f = imb_frame_new(src->kind, name);
	imb_val_free(f->attrs);
	f->attrs = imb_val_copy(src->attrs);
	for (size_t t = 0; t < src->ntensors; t++) {
		const imb_tensor *st = &src->tensors[t];
		if (st->ndim < 1 || st->shape[0] != imb_dataset_n(src)) {
			/* not per-sample: copy whole */
			void *d = imb_xmalloc_aligned(st->nbytes);
			memcpy(d, st->data, st->nbytes);
			imb_frame_put_tensor(f, st->key, st->dtype, st->ndim, st->shape, d);
			continue;
		}
		uint64_t shape[IMB_MAXDIM];
		memcpy(shape, st->shape, sizeof shape);
		shape[0] = n;
		imb_tensor *dt = imb_frame_add_tensor(f, st->key, st->dtype, st->ndim, shape);
		size_t row = st->shape[0] ? st->nbytes / st->shape[0] : 0;
		for (size_t k = 0; k < n; k++)
			memcpy((char *)dt->data + k * row, (const char *)st->data + idx[k] * row, row);
	}
	imb_dataset_update_counts(f);
	return f;
}

size_t **imb_dataset_byclass(const imb_frame *f, int64_t **counts)
{
	int k = imb_dataset_nclasses(f);
	int64_t *c = imb_dataset_counts(f);
	size_t **by = imb_xcalloc(k > 0 ? k : 1, sizeof *by);
	int64_t *fillc = imb_xcalloc(k > 0 ? k : 1, sizeof *fillc);
	for (int j = 0; j < k; j++)
		by[j] = imb_xmalloc((c[j] ? c[j] : 1) * sizeof **by);
	imb_tensor *y = imb_frame_tensor(f, "y");
	const int32_t *yy = y->data;
	for (uint64_t j = 0; j < imb_tensor_count(y); j++)
		if (yy[j] >= 0 && yy[j] < k)
			by[yy[j]][fillc[yy[j]]++] = j;
	free(fillc);
	*counts = c;
	return by;
}

void imb_dataset_free_byclass(size_t **byclass, int k)
{
	if (!byclass)
		return;
	for (int j = 0; j < k; j++)
		free(byclass[j]);
	free(byclass);
}

int imb_dataset_check_finite(const imb_frame *f, const float *x, size_t n, size_t d, int nan_ok,
                             const char *model)
{
	size_t k = 0, nd = n * d;
	while (k < nd && (isfinite(x[k]) || (nan_ok && isnan(x[k]))))
		k++;
	if (k == nd)
		return 0;
	size_t j = k % d, bad = 0;
	int nan = isnan(x[k]);
	for (size_t i = 0; i < n; i++)
		bad += nan ? isnan(x[i * d + j]) != 0 : isinf(x[i * d + j]) != 0;
	char lbl[300], fname[300] = "";
	imb_frame_label(f, lbl, sizeof lbl);
	const imb_val *fv = imb_val_get(f->attrs, "features");
	const char *name = fv && fv->t == IMB_V_ARR && j < fv->n ? imb_val_as_str(fv->items[j], NULL)
	                                                         : NULL;
	if (name)
		snprintf(fname, sizeof fname, " of feature '%s'", name);
	if (nan)
		return imb_seterr("%s: tensor x: row %zu column %zu is NaN (a missing value%s, not a "
		                  "finite number; %zu row%s like it); %s takes no missing values: fill "
		                  "them at import (imb-import csv --impute mean|median|most-frequent), "
		                  "or train xgboost, which takes NaN as missing", lbl, k / d, j, fname,
		                  bad, bad == 1 ? "" : "s", model);
	return imb_seterr("%s: tensor x: row %zu column %zu is infinite (%s%s, not a finite number; "
	                  "%zu row%s like it); %s takes no infinity: imb-import csv --missing with "
	                  "the markers inf,-inf reads them as missing values, which --impute fills",
	                  lbl, k / d, j, x[k] > 0 ? "inf" : "-inf", fname, bad, bad == 1 ? "" : "s",
	                  model);
}

int imb_id_ok(const imb_tensor *id, uint64_t n)
{
	if (!id || id->ndim < 1 || id->shape[0] != n)
		return 0;
	if (id->ndim == 1)
		return id->dtype == IMB_I64 || id->dtype == IMB_I32;
	return id->ndim == 2 && id->dtype == IMB_U8;
}

void imb_id_write(FILE *fp, char sep, const imb_tensor *id, size_t i)
{
	if (id->dtype == IMB_U8) {
		size_t w = (size_t)id->shape[1];
		char *s = imb_xmalloc(w + 1);
		memcpy(s, (const char *)id->data + i * w, w);
		s[w] = 0;
		imb_write_field(fp, sep, s);
		free(s);
		return;
	}
	long long v = id->dtype == IMB_I64 ? ((const int64_t *)id->data)[i]
	                                   : ((const int32_t *)id->data)[i];
	fprintf(fp, "%lld", v);
}
