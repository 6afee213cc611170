/* nn_data.c: the data part of the training loop (nn_data.h). */
#include "nn_data.h"
#include "dataset.h"
#include "nn_augment.h"
#include "nn_backend.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int imb_nn_data_init(imb_nn_data *d, const imb_frame *f, int labels)
{
	memset(d, 0, sizeof *d);
	d->f = f;
	imb_frame_label(f, d->lb, sizeof d->lb);
	int has_y = imb_frame_tensor(f, "y") != NULL;
	if (labels || has_y) {
		if (imb_dataset_check(f) < 0)
			return -1;
	} else if (!imb_frame_tensor(f, "x")) {
		return imb_seterr("%s: tensor 'x' is missing", d->lb);
	}
	imb_tensor *x = imb_frame_tensor(f, "x");
	d->N = x->ndim ? x->shape[0] : 0;
	d->D = d->N ? imb_tensor_count(x) / d->N : 0;
	if (d->N < 2)
		return imb_seterr("%s: %zu sample%s; training needs at least 2", d->lb, d->N,
		                  d->N == 1 ? "" : "s");
	if (d->N > 0x7fffffff || d->D == 0 || d->D > 0x7fffffff)
		return imb_seterr("%s: tensor x: shape not trainable", d->lb);
	if (has_y || labels) {
		d->K = imb_dataset_nclasses(f);
		if (labels && d->K < 2)
			return imb_seterr("%s: attrs.classes: %d class; a classifier needs at least 2",
			                  d->lb, d->K);
	}
	if (x->ndim == 4) {
		d->C = (int)x->shape[1];
		d->H = (int)x->shape[2];
		d->W = (int)x->shape[3];
	} else if (x->ndim == 3) {
		d->C = 1;
		d->H = (int)x->shape[1];
		d->W = (int)x->shape[2];
	} else if (x->ndim == 2) {
		d->C = (int)d->D;
		d->H = d->W = 1;
	} else {
		return imb_seterr("%s: tensor x: %d dimensions; networks take (N,C,H,W), (N,H,W) "
		                  "images or (N,D) feature vectors", d->lb, x->ndim);
	}
	if (d->K > 0) {
		d->y = imb_frame_tensor(f, "y")->data;
		d->counts = imb_dataset_counts(f);
	}
	if (x->dtype == IMB_U8 && x->ndim >= 3) {
		d->xu8 = x->data;
	} else {
		d->xf = imb_dataset_features(f);
		for (size_t i = 0; i < d->N * d->D; i++)
			if (!isfinite(d->xf[i]))
				return imb_seterr("%s: tensor x: sample %zu feature %zu is not a finite number",
				                  d->lb, i / d->D, i % d->D);
	}
	return 0;
}

void imb_nn_data_free(imb_nn_data *d)
{
	if (!d)
		return;
	free(d->xf);
	free(d->counts);
	d->xf = NULL;
	d->counts = NULL;
}

void imb_nn_data_stats(const imb_nn_data *d, float *mean, float *std)
{
	int HW = d->H * d->W;
	if (d->xu8) {
		imb_nn_aug_channel_stats_u8(mean, std, d->xu8, (int)d->N, d->C, HW);
	} else {
		for (int c = 0; c < d->C; c++) {
			double s = 0, s2 = 0;
			for (size_t i = 0; i < d->N; i++) {
				const float *p = d->xf + i * d->D + (size_t)c * HW;
				for (int j = 0; j < HW; j++) {
					s += p[j];
					s2 += (double)p[j] * p[j];
				}
			}
			double cnt = (double)d->N * HW, mu = s / cnt, var = s2 / cnt - mu * mu;
			mean[c] = (float)mu;
			std[c] = (float)sqrt(var > 0 ? var : 0);
		}
	}
	for (int c = 0; c < d->C; c++)
		if (!(std[c] > 1e-6f))
			std[c] = 1;    /* a constant channel: centre it only */
}

uint64_t imb_nn_data_fingerprint(const imb_frame *f)
{
	uint64_t h = 1469598103934665603ull;
	const char *keys[] = {"x", "y"};
	for (int k = 0; k < 2; k++) {
		const imb_tensor *t = imb_frame_tensor(f, keys[k]);
		if (!t)
			continue;
		const unsigned char *p = t->data;
		for (size_t i = 0; i < t->nbytes; i++)
			h = (h ^ p[i]) * 1099511628211ull;
		h = (h ^ (uint64_t)t->dtype) * 1099511628211ull;
	}
	return h;
}

/* ---- augmentation ---- */

static void crop(const imb_nn_aug_op *op, float *out, const float *inp, int C, int H, int W,
                 imb_rng *r)
{
	int pad = (int)op->arg[0], dy = pad, dx = pad;
	if (pad > 0) {
		dy = (int)imb_rng_below(r, 2 * (uint64_t)pad + 1);
		dx = (int)imb_rng_below(r, 2 * (uint64_t)pad + 1);
	}
	size_t plane = (size_t)H * W;
	for (int c = 0; c < C; c++) {
		const float *src = inp + c * plane;
		float *dst = out + c * plane;
		for (int i = 0; i < H; i++) {
			int si = i + dy - pad;
			float *o = dst + (size_t)i * W;
			if (si < 0 || si >= H) {
				memset(o, 0, (size_t)W * sizeof *o);
				continue;
			}
			/* o[j] = s[j + dx - pad] where that is inside, else 0 */
			const float *s = src + (size_t)si * W;
			int sh = dx - pad, j0 = sh < 0 ? -sh : 0, j1 = W - (sh > 0 ? sh : 0);
			if (j0 > W)
				j0 = W;
			if (j1 < j0)
				j1 = j0;
			memset(o, 0, (size_t)j0 * sizeof *o);
			memcpy(o + j0, s + j0 + sh, (size_t)(j1 - j0) * sizeof *o);
			memset(o + j1, 0, (size_t)(W - j1) * sizeof *o);
		}
	}
}

static void flip(const imb_nn_aug_op *op, float *out, const float *inp, int C, int H, int W,
                 imb_rng *r)
{
	size_t n = (size_t)C * H * W;
	if (!(imb_rng_uniform(r) < 0.5)) {
		memcpy(out, inp, n * sizeof *out);
		return;
	}
	for (size_t row = 0; row < (size_t)C * H; row++) {
		const float *s = inp + row * W;
		float *o = out + row * W;
		for (int j = 0; j < W; j++)
			o[j] = s[W - 1 - j];
	}
}

static void normalize(const imb_nn_aug_op *op, float *out, const float *inp, int C, int H,
                      int W, imb_rng *r)
{
	/* nn_augment.c's NORMALIZE, one image: the same float operations */
	float scale = op->arg[0];
	int HW = H * W;
	for (int c = 0; c < C; c++) {
		float m = op->mean ? op->mean[c] : 0, is = op->std ? 1 / op->std[c] : 1;
		size_t at = (size_t)c * HW;
		for (int i = 0; i < HW; i++)
			out[at + i] = (inp[at + i] * scale - m) * is;
	}
}

imb_nn_aug_op imb_nn_aug_crop(int pad)
{
	return (imb_nn_aug_op){ .name = "crop", .apply = crop, .arg = {(float)pad} };
}

imb_nn_aug_op imb_nn_aug_flip(void)
{
	return (imb_nn_aug_op){ .name = "flip", .apply = flip };
}

imb_nn_aug_op imb_nn_aug_normalize(const float *mean, const float *std, float scale)
{
	return (imb_nn_aug_op){ .name = "normalize", .apply = normalize, .arg = {scale},
	                        .mean = mean, .std = std };
}

float imb_nn_data_scale(const imb_nn_data *d)
{
	return d->xu8 ? 1.0f / 255 : 1.0f;
}

/* ---- batches ---- */

void imb_nn_batch_init(imb_nn_batch *b, const imb_nn_data *d, size_t cap)
{
	const imb_nn_backend *be = imb_nn_be();
	memset(b, 0, sizeof *b);
	b->cap = cap;
	b->D = d->D;
	b->x = be->alloc(cap * d->D * sizeof *b->x);
	if (d->y) {
		b->y = be->alloc(cap * sizeof *b->y);
		b->yh = imb_xmalloc(cap * sizeof *b->yh);
	}
	b->idx = imb_xmalloc(cap * sizeof *b->idx);
	b->xh = imb_xmalloc(cap * d->D * sizeof *b->xh);
	b->t1 = imb_xmalloc(d->D * sizeof *b->t1);
	b->t2 = imb_xmalloc(d->D * sizeof *b->t2);
}

void imb_nn_batch_free(imb_nn_batch *b)
{
	if (!b)
		return;
	const imb_nn_backend *be = imb_nn_be();
	if (b->x)
		be->free(b->x);
	if (b->y)
		be->free(b->y);
	free(b->yh);
	free(b->idx);
	free(b->xh);
	free(b->t1);
	free(b->t2);
	memset(b, 0, sizeof *b);
}

void imb_nn_data_gather_views(const imb_nn_data *d, imb_nn_batch *b, const size_t *idx,
                              size_t n, int views, const imb_nn_aug_op *ops, int nops,
                              imb_rng *r)
{
	size_t D = d->D;
	for (int v = 0; v < views; v++)
		for (size_t i = 0; i < n; i++) {
			size_t s = idx[i], row = (size_t)v * n + i;
			float *dst = b->xh + row * D, *cur = b->t1;
			if (d->xu8) {
				const uint8_t *p = d->xu8 + s * D;
				for (size_t j = 0; j < D; j++)
					cur[j] = p[j];
			} else {
				memcpy(cur, d->xf + s * D, D * sizeof *cur);
			}
			for (int k = 0; k < nops; k++) {
				float *out = k == nops - 1 ? dst : cur == b->t1 ? b->t2 : b->t1;
				ops[k].apply(&ops[k], out, cur, d->C, d->H, d->W, r);
				cur = out;
			}
			if (!nops)
				memcpy(dst, cur, D * sizeof *dst);
		}
	/* indices and labels last: idx may be b->idx itself */
	for (int v = views - 1; v >= 0; v--)
		for (size_t i = n; i-- > 0;) {
			size_t row = (size_t)v * n + i;
			b->idx[row] = idx[i];
			if (b->yh)
				b->yh[row] = d->y[idx[i]];
		}
	size_t rows = n * (size_t)views;
	b->n = (int)rows;
	const imb_nn_backend *be = imb_nn_be();
	be->upload(b->x, b->xh, rows * D * sizeof *b->xh);
	if (b->y)
		be->upload(b->y, b->yh, rows * sizeof *b->yh);
}

void imb_nn_data_gather(const imb_nn_data *d, imb_nn_batch *b, const size_t *idx, size_t n,
                        const imb_nn_aug_op *ops, int nops, imb_rng *r)
{
	imb_nn_data_gather_views(d, b, idx, n, 1, ops, nops, r);
}

void imb_nn_data_range(const imb_nn_data *d, imb_nn_batch *b, size_t at, size_t n,
                       const imb_nn_aug_op *ops, int nops, imb_rng *r)
{
	for (size_t i = 0; i < n; i++)
		b->idx[i] = at + i;
	imb_nn_data_gather(d, b, b->idx, n, ops, nops, r);
}

/* ---- samplers ---- */

static size_t plain_order(const imb_nn_sampler *s, size_t *order, const imb_nn_data *d,
                          imb_rng *r)
{
	for (size_t i = 0; i < d->N; i++)
		order[i] = i;
	imb_rng_shuffle(r, order, d->N);
	return d->N;
}

static size_t balanced_order(const imb_nn_sampler *s, size_t *order, const imb_nn_data *d,
                             imb_rng *r)
{
	imb_nn_balanced_order(order, d->y, d->N, d->K, r);
	return d->N;
}

const imb_nn_sampler imb_nn_sampler_plain = { "plain", plain_order, NULL };
const imb_nn_sampler imb_nn_sampler_balanced = { "balanced", balanced_order, NULL };

void imb_nn_balanced_order(size_t *order, const int32_t *y, size_t n, int K, imb_rng *r)
{
	size_t *cnt = imb_xcalloc((size_t)K, sizeof *cnt);
	for (size_t i = 0; i < n; i++)
		cnt[y[i]]++;
	size_t **members = imb_xcalloc((size_t)K, sizeof *members), *fill = imb_xcalloc((size_t)K, sizeof *fill);
	int *present = imb_xmalloc((size_t)K * sizeof *present), Kp = 0;
	for (int k = 0; k < K; k++) {
		members[k] = imb_xmalloc((cnt[k] ? cnt[k] : 1) * sizeof **members);
		if (cnt[k])
			present[Kp++] = k;
	}
	for (size_t i = 0; i < n; i++)
		members[y[i]][fill[y[i]]++] = i;
	/* quotas: n / Kp each, one more for n % Kp classes drawn at random */
	size_t *quota = imb_xcalloc((size_t)K, sizeof *quota), rem = n % (size_t)Kp;
	for (int j = 0; j < Kp; j++)
		quota[present[j]] = n / (size_t)Kp;
	size_t *pick = imb_xmalloc((size_t)Kp * sizeof *pick);
	for (int j = 0; j < Kp; j++)
		pick[j] = (size_t)present[j];
	imb_rng_shuffle(r, pick, (size_t)Kp);
	for (size_t j = 0; j < rem; j++)
		quota[pick[j]]++;
	size_t at = 0;
	for (int j = 0; j < Kp; j++) {
		int k = present[j];
		size_t q = quota[k];
		while (q > 0) {  /* shuffled passes over the class */
			imb_rng_shuffle(r, members[k], cnt[k]);
			size_t take = q < cnt[k] ? q : cnt[k];
			memcpy(order + at, members[k], take * sizeof *order);
			at += take;
			q -= take;
		}
	}
	imb_rng_shuffle(r, order, n);
	for (int k = 0; k < K; k++)
		free(members[k]);
	free(members);
	free(fill);
	free(present);
	free(quota);
	free(pick);
	free(cnt);
}
