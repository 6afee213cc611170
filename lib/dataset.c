/* dataset.c: dataset frame helpers. */
#include "dataset.h"
#include "util.h"

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

int imb_dataset_check(const imb_frame *f)
{
	char lbl[300];
	imb_frame_label(f, lbl, sizeof lbl);
	imb_tensor *x = imb_frame_tensor(f, "x"), *y = imb_frame_tensor(f, "y");
	if (!x)
		return imb_seterr("%s: missing tensor 'x'", lbl);
	if (!y)
		return imb_seterr("%s: missing tensor 'y'", lbl);
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
	if (c && c->t == IMB_V_ARR)
		for (size_t j = 0; j < c->n; j++)
			if (c->items[j]->t != IMB_V_STR)
				return imb_seterr("%s: attrs.classes[%zu] is not a string", lbl, j);
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
