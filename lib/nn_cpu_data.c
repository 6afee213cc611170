/* nn_cpu_data.c: the CPU backend's data ops: hold and release (a dataset
 * kept with the backend: on the CPU the host memory itself), gather
 * (rows of a u8 or float dataset into a float batch), the augmentations
 * over a batch (crop, flip, normalize, and SimCLR's resized_crop,
 * color_jitter, grayscale) and the epoch tally.
 *
 * gather and the augmentations split a batch by samples over the pool
 * when it is large enough to pay (EW_GRAIN elements); each sample is
 * written by one task with the same loops, so the bits do not depend on
 * the thread count. The colour ops work in float, the contrast's mean
 * summed in double in pixel order. normalize does exactly the float operations of
 * the per-image augmentation it replaces, (x * scale - mean) * (1 /
 * std), with no fused multiply-add (contraction off here), so batches
 * are the same bits as before. tally is serial, in sample order. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "fp-contract=off")
#endif
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

#include "nn_color.h"
#include "nn_cpu.h"

#include <math.h>

/* ---------------------------------------------------------------- */
/* hold, release: the CPU's backend memory is host memory */

const void *imb_nn_cpu_hold(const void *host, size_t bytes)
{
	(void)bytes;
	return host;
}

void imb_nn_cpu_release(const void *p)
{
	(void)p;
}

/* ---------------------------------------------------------------- */
/* per-sample ops, split by samples */

enum { DA_GATHER, DA_CROP, DA_FLIP, DA_NORMALIZE, DA_RCROP, DA_JITTER, DA_GRAY };

typedef struct {
	int op, T, n;
	float *out;
	const float *inp;
	/* gather */
	const void *src;
	int u8;
	const int64_t *idx;
	size_t D;
	/* crop, flip, normalize, resized_crop, color_jitter, grayscale */
	const float *draw, *mean, *std;
	float scale, bound;
	int C, H, W, HW, pad;
} da_ctx;

static void gather_one(const da_ctx *c, int i)
{
	size_t D = c->D, r = (size_t)c->idx[i];
	float *restrict o = c->out + (size_t)i * D;
	if (c->u8) {
		const uint8_t *restrict s = (const uint8_t *)c->src + r * D;
		for (size_t j = 0; j < D; j++)
			o[j] = s[j];
	} else if (D) {
		memcpy(o, (const float *)c->src + r * D, D * sizeof(float));
	}
}

/* out[c,i,j] = inp[c, i+dy-pad, j+dx-pad], 0 outside */
static void crop_one(const da_ctx *c, int n)
{
	int C = c->C, H = c->H, W = c->W, pad = c->pad;
	int dy = (int)c->draw[2 * (size_t)n], dx = (int)c->draw[2 * (size_t)n + 1];
	size_t plane = (size_t)H * W;
	const float *inp = c->inp + (size_t)n * C * plane;
	float *out = c->out + (size_t)n * C * plane;
	/* the columns [j0, j1) that read inside the row, the same for all */
	int sh = dx - pad, j0 = sh < 0 ? -sh : 0, j1 = W - (sh > 0 ? sh : 0);
	if (j0 > W)
		j0 = W;
	if (j1 < j0)
		j1 = j0;
	for (int ch = 0; ch < C; ch++) {
		const float *src = inp + ch * plane;
		float *dst = out + ch * plane;
		for (int i = 0; i < H; i++) {
			int si = i + dy - pad;
			float *o = dst + (size_t)i * W;
			if (si < 0 || si >= H) {
				memset(o, 0, (size_t)W * sizeof *o);
				continue;
			}
			const float *s = src + (size_t)si * W;
			memset(o, 0, (size_t)j0 * sizeof *o);
			memcpy(o + j0, s + j0 + sh, (size_t)(j1 - j0) * sizeof *o);
			memset(o + j1, 0, (size_t)(W - j1) * sizeof *o);
		}
	}
}

static void flip_one(const da_ctx *c, int n)
{
	size_t W = (size_t)c->W, rows = (size_t)c->C * c->H, at = (size_t)n * rows * W;
	const float *inp = c->inp + at;
	float *out = c->out + at;
	if (c->draw[n] == 0) {
		memcpy(out, inp, rows * W * sizeof *out);
		return;
	}
	for (size_t r = 0; r < rows; r++) {
		const float *restrict s = inp + r * W;
		float *restrict o = out + r * W;
		for (size_t j = 0; j < W; j++)
			o[j] = s[W - 1 - j];
	}
}

/* (x * scale - m) * is with is = 1 / std[c] in float, out may be inp */
static void normalize_one(const da_ctx *c, int n)
{
	int C = c->C;
	size_t HW = (size_t)c->HW;
	float scale = c->scale;
	for (int ch = 0; ch < C; ch++) {
		float m = c->mean[ch], is = 1 / c->std[ch];
		size_t at = ((size_t)n * C + ch) * HW;
		const float *x = c->inp + at;
		float *o = c->out + at;
		for (size_t i = 0; i < HW; i++)
			o[i] = (x[i] * scale - m) * is;
	}
}

/* One axis of the resized crop: output o of O reads box rows (or
 * columns) i0, i1 with weights l0, l1 (PyTorch's bilinear,
 * align_corners=False); the source position in double, so that the
 * taps are the reference's to the bit (a float position is off by up
 * to about o * 2^-24 of a pixel). */
typedef struct { int i0, i1; float l0, l1; } rc_tap;

static void rc_taps(rc_tap *t, int O, int len)
{
	double sc = (double)len / O;
	for (int o = 0; o < O; o++) {
		double src = (o + 0.5) * sc - 0.5;
		if (src < 0)
			src = 0;
		int i0 = (int)src;      /* floor: src >= 0 */
		float l = (float)(src - i0);
		t[o] = (rc_tap){ i0, i0 < len - 1 ? i0 + 1 : i0, 1 - l, l };
	}
}

static void rcrop_one(const da_ctx *c, int n)
{
	int C = c->C, H = c->H, W = c->W;
	const float *d = c->draw + 4 * (size_t)n;
	int top = (int)d[0], left = (int)d[1], h = (int)d[2], w = (int)d[3];
	size_t plane = (size_t)H * W;
	rc_tap *ty = imb_xmalloc(((size_t)H + W) * sizeof *ty), *tx = ty + H;
	rc_taps(ty, H, h);
	rc_taps(tx, W, w);
	for (int ch = 0; ch < C; ch++) {
		const float *src = c->inp + ((size_t)n * C + ch) * plane + (size_t)top * W + left;
		float *dst = c->out + ((size_t)n * C + ch) * plane;
		for (int i = 0; i < H; i++) {
			const float *r0 = src + (size_t)ty[i].i0 * W, *r1 = src + (size_t)ty[i].i1 * W;
			float a = ty[i].l0, b = ty[i].l1, *o = dst + (size_t)i * W;
			for (int j = 0; j < W; j++) {
				rc_tap x = tx[j];
				o[j] = a * (x.l0 * r0[x.i0] + x.l1 * r0[x.i1]) +
				       b * (x.l0 * r1[x.i0] + x.l1 * r1[x.i1]);
			}
		}
	}
	free(ty);
}

static void jitter_one(const da_ctx *c, int n)
{
	size_t HW = (size_t)c->H * c->W;
	const float *d = c->draw + 6 * (size_t)n;
	const float *in = c->inp + (size_t)n * 3 * HW;
	float *R = c->out + (size_t)n * 3 * HW, *G = R + HW, *B = G + HW, bound = c->bound;
	memcpy(R, in, 3 * HW * sizeof *R);
	if (d[0] == 0)
		return;
	int ord[4];
	imb_nn_jitter_order((int)d[1], ord);
	for (int k = 0; k < 4; k++) {
		float f = d[2 + ord[k]], g = 1 - f;
		if (ord[k] == 0) {
			for (size_t i = 0; i < 3 * HW; i++)
				R[i] = imb_nn_clampf(f * R[i], bound);
		} else if (ord[k] == 1) {
			double sum = 0;
			for (size_t i = 0; i < HW; i++)
				sum += imb_nn_gray(R[i], G[i], B[i]);
			float m = (float)(sum / (double)HW), gm = g * m;
			for (size_t i = 0; i < 3 * HW; i++)
				R[i] = imb_nn_clampf(f * R[i] + gm, bound);
		} else if (ord[k] == 2) {
			for (size_t i = 0; i < HW; i++) {
				float gm = g * imb_nn_gray(R[i], G[i], B[i]);
				R[i] = imb_nn_clampf(f * R[i] + gm, bound);
				G[i] = imb_nn_clampf(f * G[i] + gm, bound);
				B[i] = imb_nn_clampf(f * B[i] + gm, bound);
			}
		} else {
			for (size_t i = 0; i < HW; i++) {
				float px[3] = { R[i] / bound, G[i] / bound, B[i] / bound };
				imb_nn_hue_px(px, f);
				R[i] = px[0] * bound;
				G[i] = px[1] * bound;
				B[i] = px[2] * bound;
			}
		}
	}
}

static void gray_one(const da_ctx *c, int n)
{
	size_t HW = (size_t)c->H * c->W;
	const float *R = c->inp + (size_t)n * 3 * HW, *G = R + HW, *B = G + HW;
	float *o = c->out + (size_t)n * 3 * HW;
	if (c->draw[n] == 0) {
		memcpy(o, R, 3 * HW * sizeof *o);
		return;
	}
	for (size_t i = 0; i < HW; i++)
		o[i] = o[HW + i] = o[2 * HW + i] = imb_nn_gray(R[i], G[i], B[i]);
}

AVX2_CLONES
static void da_task(void *vc, int t)
{
	const da_ctx *c = vc;
	size_t lo, hi;
	split((size_t)c->n, c->T, t, &lo, &hi);
	for (size_t i = lo; i < hi; i++)
		switch (c->op) {
		case DA_GATHER: gather_one(c, (int)i); break;
		case DA_CROP: crop_one(c, (int)i); break;
		case DA_FLIP: flip_one(c, (int)i); break;
		case DA_RCROP: rcrop_one(c, (int)i); break;
		case DA_JITTER: jitter_one(c, (int)i); break;
		case DA_GRAY: gray_one(c, (int)i); break;
		default: normalize_one(c, (int)i); break;
		}
}

/* per: the elements of one sample */
static void da_run(da_ctx *c, size_t per)
{
	if (c->n <= 0)
		return;
	c->T = 1;
	if ((size_t)c->n * per >= EW_GRAIN) {
		c->T = imb_nn_pool_threads();
		if (c->T > c->n)
			c->T = c->n;
	}
	if (c->T > 1)
		imb_nn_parallel(c->T, da_task, c);
	else
		da_task(c, 0);
}

void imb_nn_cpu_gather(float *out, const void *src, int u8, const int64_t *idx, int n,
                       size_t D)
{
	da_run(&(da_ctx){ .op = DA_GATHER, .n = n, .out = out, .src = src, .u8 = u8, .idx = idx,
	                  .D = D }, D);
}

void imb_nn_cpu_crop(float *out, const float *inp, const float *draw, int n, int C, int H,
                     int W, int pad)
{
	da_run(&(da_ctx){ .op = DA_CROP, .n = n, .out = out, .inp = inp, .draw = draw, .C = C,
	                  .H = H, .W = W, .pad = pad }, (size_t)C * H * W);
}

void imb_nn_cpu_flip(float *out, const float *inp, const float *draw, int n, int C, int H,
                     int W)
{
	da_run(&(da_ctx){ .op = DA_FLIP, .n = n, .out = out, .inp = inp, .draw = draw, .C = C,
	                  .H = H, .W = W }, (size_t)C * H * W);
}

void imb_nn_cpu_normalize(float *out, const float *inp, const float *mean, const float *std,
                          float scale, int n, int C, int HW)
{
	da_run(&(da_ctx){ .op = DA_NORMALIZE, .n = n, .out = out, .inp = inp, .mean = mean,
	                  .std = std, .scale = scale, .C = C, .HW = HW },
	       (size_t)C * HW);
}

void imb_nn_cpu_resized_crop(float *out, const float *inp, const float *draw, int n, int C,
                             int H, int W)
{
	da_run(&(da_ctx){ .op = DA_RCROP, .n = n, .out = out, .inp = inp, .draw = draw, .C = C,
	                  .H = H, .W = W }, (size_t)C * H * W);
}

void imb_nn_cpu_color_jitter(float *out, const float *inp, const float *draw, int n, int C,
                             int H, int W, float bound)
{
	da_run(&(da_ctx){ .op = DA_JITTER, .n = n, .out = out, .inp = inp, .draw = draw, .C = C,
	                  .H = H, .W = W, .bound = bound }, (size_t)C * H * W);
}

void imb_nn_cpu_grayscale(float *out, const float *inp, const float *draw, int n, int C,
                          int H, int W)
{
	da_run(&(da_ctx){ .op = DA_GRAY, .n = n, .out = out, .inp = inp, .draw = draw, .C = C,
	                  .H = H, .W = W }, (size_t)C * H * W);
}

/* ---------------------------------------------------------------- */
/* the epoch tally: serial, each sum added into acc in sample order */

void imb_nn_cpu_tally(double *acc, const float *loss, const float *losses,
                      const float *logits, const int32_t *y, int n, int K)
{
	double l0 = loss[0];
	if (losses)
		for (int i = 0; i < n; i++)
			acc[0] += losses[i];
	else
		acc[0] += n * l0;
	acc[1] += !isfinite(l0);
	acc[2] += n;
	if (!logits || !y)
		return;
	double *hit = acc + 3, *lsum = acc + 3 + K, *cnt = acc + 3 + 2 * (size_t)K;
	for (int i = 0; i < n; i++) {
		const float *z = logits + (size_t)i * K;
		int k = y[i], b = 0;
		for (int j = 1; j < K; j++)
			if (z[j] > z[b])
				b = j;
		hit[k] += b == k;
		lsum[k] += losses ? losses[i] : l0;
		cnt[k] += 1;
	}
}
