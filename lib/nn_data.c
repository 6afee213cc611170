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
		if (imb_dataset_check_finite(f, d->xf, d->N, d->D, 0, "a network"))
			return -1;
	}
	d->be = imb_nn_be();
	d->dev = d->xu8 ? d->be->hold(d->xu8, d->N * d->D)
	                : d->be->hold(d->xf, d->N * d->D * sizeof *d->xf);
	return 0;
}

void imb_nn_data_free(imb_nn_data *d)
{
	if (!d)
		return;
	if (d->dev)
		d->be->release(d->dev);
	d->dev = NULL;
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

static void crop_draw(const imb_nn_aug_op *op, float *d, imb_rng *r, int H, int W)
{
	int pad = (int)op->arg[0];
	d[0] = d[1] = (float)pad;
	if (pad > 0) {
		d[0] = (float)imb_rng_below(r, 2 * (uint64_t)pad + 1);
		d[1] = (float)imb_rng_below(r, 2 * (uint64_t)pad + 1);
	}
}

static void crop_run(const imb_nn_aug_op *op, const imb_nn_backend *be, float *out,
                     const float *inp, const float *draw, const float *cst, int n, int C,
                     int H, int W)
{
	be->crop(out, inp, draw, n, C, H, W, (int)op->arg[0]);
}

static void flip_draw(const imb_nn_aug_op *op, float *d, imb_rng *r, int H, int W)
{
	d[0] = imb_rng_uniform(r) < 0.5;
}

static void flip_run(const imb_nn_aug_op *op, const imb_nn_backend *be, float *out,
                     const float *inp, const float *draw, const float *cst, int n, int C,
                     int H, int W)
{
	be->flip(out, inp, draw, n, C, H, W);
}

/* RandomResizedCrop.get_params (nn_data.h); rint is Python's round
 * (half to even) in the default rounding mode */
static void resized_crop_draw(const imb_nn_aug_op *op, float *d, imb_rng *r, int H, int W)
{
	double area = (double)H * W, slo = op->arg[0], shi = op->arg[1];
	double rlo = fmin(op->arg[2], op->arg[3]), rhi = fmax(op->arg[2], op->arg[3]);
	double llo = log(op->arg[2]), lhi = log(op->arg[3]);
	long h, w, top, left;
	for (int t = 0; t < 10; t++) {
		double target = area * (slo + (shi - slo) * imb_rng_uniform(r));
		double aspect = exp(llo + (lhi - llo) * imb_rng_uniform(r));
		w = lrint(sqrt(target * aspect));
		h = lrint(sqrt(target / aspect));
		if (w > 0 && w <= W && h > 0 && h <= H) {
			top = (long)imb_rng_below(r, (uint64_t)(H - h + 1));
			left = (long)imb_rng_below(r, (uint64_t)(W - w + 1));
			goto done;
		}
	}
	w = W;
	h = H;
	if ((double)W / H < rlo)
		h = lrint(W / rlo);
	else if ((double)W / H > rhi)
		w = lrint(H * rhi);
	h = h < 1 ? 1 : h > H ? H : h;
	w = w < 1 ? 1 : w > W ? W : w;
	top = (H - h) / 2;
	left = (W - w) / 2;
done:
	d[0] = (float)top;
	d[1] = (float)left;
	d[2] = (float)h;
	d[3] = (float)w;
}

static void resized_crop_run(const imb_nn_aug_op *op, const imb_nn_backend *be, float *out,
                             const float *inp, const float *draw, const float *cst, int n,
                             int C, int H, int W)
{
	be->resized_crop(out, inp, draw, n, C, H, W);
}

/* lo + (hi - lo) u */
static float uniform_in(imb_rng *r, double lo, double hi)
{
	return (float)(lo + (hi - lo) * imb_rng_uniform(r));
}

static void color_jitter_draw(const imb_nn_aug_op *op, float *d, imb_rng *r, int H, int W)
{
	d[0] = imb_rng_uniform(r) < op->arg[4];
	d[1] = (float)imb_rng_below(r, 24);
	for (int k = 0; k < 3; k++)
		d[2 + k] = uniform_in(r, fmax(0, 1 - (double)op->arg[k]), 1 + (double)op->arg[k]);
	d[5] = uniform_in(r, -(double)op->arg[3], op->arg[3]);
}

/* the batch as it is: an op for RGB images met with other channels */
static void pass_through(const imb_nn_backend *be, float *out, const float *inp, int n, int C,
                         int H, int W)
{
	be->copy(out, inp, (size_t)n * C * H * W * sizeof *out);
}

static void color_jitter_run(const imb_nn_aug_op *op, const imb_nn_backend *be, float *out,
                             const float *inp, const float *draw, const float *cst, int n,
                             int C, int H, int W)
{
	if (C == 3)
		be->color_jitter(out, inp, draw, n, C, H, W, op->arg[5]);
	else
		pass_through(be, out, inp, n, C, H, W);
}

static void grayscale_draw(const imb_nn_aug_op *op, float *d, imb_rng *r, int H, int W)
{
	d[0] = imb_rng_uniform(r) < op->arg[0];
}

static void grayscale_run(const imb_nn_aug_op *op, const imb_nn_backend *be, float *out,
                          const float *inp, const float *draw, const float *cst, int n, int C,
                          int H, int W)
{
	if (C == 3)
		be->grayscale(out, inp, draw, n, C, H, W);
	else
		pass_through(be, out, inp, n, C, H, W);
}

static void normalize_run(const imb_nn_aug_op *op, const imb_nn_backend *be, float *out,
                          const float *inp, const float *draw, const float *cst, int n,
                          int C, int H, int W)
{
	/* nn_augment.c's NORMALIZE: the same float operations */
	be->normalize(out, inp, cst, cst + C, op->arg[0], n, C, H * W);
}

imb_nn_aug_op imb_nn_aug_crop(int pad)
{
	return (imb_nn_aug_op){ .name = "crop", .ndraw = 2, .draw = crop_draw, .run = crop_run,
	                        .arg = {(float)pad} };
}

imb_nn_aug_op imb_nn_aug_flip(void)
{
	return (imb_nn_aug_op){ .name = "flip", .ndraw = 1, .draw = flip_draw, .run = flip_run };
}

imb_nn_aug_op imb_nn_aug_resized_crop(float scale_lo, float scale_hi, float ratio_lo,
                                      float ratio_hi)
{
	return (imb_nn_aug_op){ .name = "resized_crop", .ndraw = 4, .draw = resized_crop_draw,
	                        .run = resized_crop_run,
	                        .arg = {scale_lo, scale_hi, ratio_lo, ratio_hi} };
}

imb_nn_aug_op imb_nn_aug_color_jitter(float b, float c, float s, float h, float p, float bound)
{
	return (imb_nn_aug_op){ .name = "color_jitter", .ndraw = 6, .draw = color_jitter_draw,
	                        .run = color_jitter_run, .arg = {b, c, s, h, p, bound} };
}

imb_nn_aug_op imb_nn_aug_grayscale(float p)
{
	return (imb_nn_aug_op){ .name = "grayscale", .ndraw = 1, .draw = grayscale_draw,
	                        .run = grayscale_run, .arg = {p} };
}

imb_nn_aug_op imb_nn_aug_normalize(const float *mean, const float *std, float scale)
{
	return (imb_nn_aug_op){ .name = "normalize", .consts = 1, .run = normalize_run, .arg = {scale},
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
	b->C = d->C;
	b->x = be->alloc(cap * d->D * sizeof *b->x);
	b->t = be->alloc(cap * d->D * sizeof *b->t);
	if (d->y) {
		b->y = be->alloc(cap * sizeof *b->y);
		b->yh = imb_xmalloc(cap * sizeof *b->yh);
	}
	b->idx = imb_xmalloc(cap * sizeof *b->idx);
	b->ih = imb_xmalloc(cap * sizeof *b->ih);
	b->id = be->alloc(cap * sizeof *b->id);
	size_t nd = cap * IMB_NN_AUG_MAX * IMB_NN_AUG_DRAWS, nc = IMB_NN_AUG_MAX * 2 * (size_t)d->C;
	b->dh = imb_xmalloc(nd * sizeof *b->dh);
	b->dd = be->alloc(nd * sizeof *b->dd);
	b->csth = imb_xcalloc(nc, sizeof *b->csth);
	b->cst = be->alloc(nc * sizeof *b->cst);
}

void imb_nn_batch_free(imb_nn_batch *b)
{
	if (!b)
		return;
	const imb_nn_backend *be = imb_nn_be();
	void *dev[] = { b->x, b->t, b->y, b->id, b->dd, b->cst };
	for (size_t k = 0; k < IMB_LEN(dev); k++)
		if (dev[k])
			be->free(dev[k]);
	free(b->yh);
	free(b->idx);
	free(b->ih);
	free(b->dh);
	free(b->csth);
	memset(b, 0, sizeof *b);
}

void imb_nn_data_gather_views(const imb_nn_data *d, imb_nn_batch *b, const size_t *idx,
                              size_t n, int views, const imb_nn_aug_op *ops, int nops,
                              imb_rng *r)
{
	const imb_nn_backend *be = imb_nn_be();
	size_t rows = n * (size_t)views, at[IMB_NN_AUG_MAX + 1] = {0};
	if (nops > IMB_NN_AUG_MAX)
		nops = IMB_NN_AUG_MAX;    /* the callers' lists are shorter */
	/* op k's draws: (rows, ndraw) at dh + at[k] */
	for (int k = 0; k < nops; k++)
		at[k + 1] = at[k] + rows * (size_t)ops[k].ndraw;
	for (int v = 0; v < views; v++)
		for (size_t i = 0; i < n; i++) {
			size_t row = (size_t)v * n + i;
			for (int k = 0; k < nops; k++)
				if (ops[k].draw)
					ops[k].draw(&ops[k], b->dh + at[k] + row * (size_t)ops[k].ndraw, r, d->H,
					            d->W);
		}
	/* indices and labels: idx may be b->idx itself, so fill backwards */
	for (int v = views - 1; v >= 0; v--)
		for (size_t i = n; i-- > 0;) {
			size_t row = (size_t)v * n + i;
			b->ih[row] = (int64_t)idx[i];
			if (b->yh)
				b->yh[row] = d->y[idx[i]];
		}
	for (size_t row = 0; row < rows; row++)
		b->idx[row] = (size_t)b->ih[row];
	b->n = (int)rows;
	be->upload(b->id, b->ih, rows * sizeof *b->ih);
	if (at[nops])
		be->upload(b->dd, b->dh, at[nops] * sizeof *b->dh);
	if (b->y)
		be->upload(b->y, b->yh, rows * sizeof *b->yh);
	/* the list ping-pongs between t and x, ending in x */
	float *cur = nops % 2 ? b->t : b->x;
	be->gather(cur, d->dev, d->xu8 != NULL, b->id, (int)rows, d->D);
	for (int k = 0; k < nops; k++) {
		float *out = cur == b->x ? b->t : b->x, *cst = NULL;
		if (ops[k].consts) {
			/* uploaded once, and again only if the op's numbers change */
			float *h = b->csth + (size_t)k * 2 * b->C;
			int changed = !(b->cst_up >> k & 1);
			for (int c = 0; c < b->C; c++) {
				float m = ops[k].mean ? ops[k].mean[c] : 0, s = ops[k].std ? ops[k].std[c] : 1;
				changed |= h[c] != m || h[b->C + c] != s;
				h[c] = m;
				h[b->C + c] = s;
			}
			cst = b->cst + (size_t)k * 2 * b->C;
			if (changed)
				be->upload(cst, h, 2 * (size_t)b->C * sizeof *h);
			b->cst_up |= 1u << k;
		}
		ops[k].run(&ops[k], be, out, cur, b->dd + at[k], cst, (int)rows, d->C, d->H, d->W);
		cur = out;
	}
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
