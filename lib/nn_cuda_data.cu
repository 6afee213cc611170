/* nn_cuda_data.cu: the CUDA backend's data ops (nn_cuda.h): a batch
 * gathered from the dataset the backend holds (hold), u8 to float,
 * cropped, flipped, resized-cropped, colour-jittered, grayed and
 * normalised there from the draws the host made; and the epoch's tally
 * kept on the device. The CPU's are in nn_cpu_data.c. */
#include "nn_color.h"
#include "nn_cuda.h"

#include <math.h>
#include <stdint.h>

#define THREADS IMB_CUDA_THREADS
#define LAUNCH IMB_CUDA_LAUNCH
#define GRID_LOOP IMB_GRID_LOOP
#define grid imb_cuda_grid

static __global__ void k_gather(float *out, const void *src, int u8, const int64_t *idx, size_t total,
                         size_t D)
{
	GRID_LOOP(e, total) {
		size_t i = e / D, d = e % D, at = (size_t)idx[i] * D + d;
		out[e] = u8 ? (float)((const uint8_t *)src)[at] : ((const float *)src)[at];
	}
}

/* out[i,c,y,x] = inp[i,c,y+dy-pad,x+dx-pad], 0 outside */
static __global__ void k_crop(float *out, const float *inp, const float *draw, size_t total, int C,
                       int H, int W, int pad)
{
	GRID_LOOP(e, total) {
		int x = (int)(e % W), y = (int)(e / W % H);
		size_t plane = e / ((size_t)H * W), i = plane / C;
		int sy = y + (int)draw[2 * i] - pad, sx = x + (int)draw[2 * i + 1] - pad;
		out[e] = sy >= 0 && sy < H && sx >= 0 && sx < W ?
		         inp[(plane * H + sy) * W + sx] : 0.0f;
	}
}

static __global__ void k_flip(float *out, const float *inp, const float *draw, size_t total, int CHW,
                       int W)
{
	GRID_LOOP(e, total) {
		int x = (int)(e % W);
		size_t row = e - x;
		out[e] = draw[e / CHW] != 0 ? inp[row + (W - 1 - x)] : inp[e];
	}
}

static __global__ void k_normalize(float *out, const float *inp, const float *mean, const float *std,
                            float scale, size_t total, int C, int HW)
{
	GRID_LOOP(e, total) {
		int c = (int)(e / HW % C);
		float is = __fdiv_rn(1.0f, std[c]);
		out[e] = __fmul_rn(__fsub_rn(__fmul_rn(inp[e], scale), mean[c]), is);
	}
}

void imb_nn_cuda_gather(float *out, const void *src, int u8, const int64_t *idx, int n, size_t D)
{
	size_t total = (size_t)(n > 0 ? n : 0) * D;
	if (total)
		LAUNCH(k_gather, grid(total), THREADS, out, src, u8, idx, total, D);
}

void imb_nn_cuda_crop(float *out, const float *inp, const float *draw, int n, int C, int H,
                      int W, int pad)
{
	size_t total = (size_t)(n > 0 ? n : 0) * C * H * W;
	if (total)
		LAUNCH(k_crop, grid(total), THREADS, out, inp, draw, total, C, H, W, pad);
}

void imb_nn_cuda_flip(float *out, const float *inp, const float *draw, int n, int C, int H,
                      int W)
{
	size_t total = (size_t)(n > 0 ? n : 0) * C * H * W;
	if (total)
		LAUNCH(k_flip, grid(total), THREADS, out, inp, draw, total, C * H * W, W);
}

void imb_nn_cuda_normalize(float *out, const float *inp, const float *mean, const float *std,
                           float scale, int n, int C, int HW)
{
	size_t total = (size_t)(n > 0 ? n : 0) * C * HW;
	if (total)
		LAUNCH(k_normalize, grid(total), THREADS, out, inp, mean, std, scale, total, C, HW);
}


/* resized crop: one thread per output value; an axis' source rows (or
 * columns) and weights as PyTorch's bilinear, align_corners=False, the
 * position in double without FMA (the CPU's and the reference's taps) */
static __device__ void rc_tap(int o, int O, int len, int *i0, int *i1, float *l)
{
	double src = __dsub_rn(__dmul_rn(o + 0.5, __ddiv_rn((double)len, (double)O)), 0.5);
	if (src < 0)
		src = 0;
	*i0 = (int)src;
	*i1 = *i0 < len - 1 ? *i0 + 1 : *i0;
	*l = (float)(src - *i0);
}

static __global__ void k_resized_crop(float *out, const float *inp, const float *draw,
                                      size_t total, int C, int H, int W)
{
	GRID_LOOP(e, total) {
		int x = (int)(e % W), y = (int)(e / W % H);
		size_t plane = e / ((size_t)H * W), i = plane / C;
		const float *d = draw + 4 * i;
		int y0, y1, x0, x1;
		float ly, lx;
		rc_tap(y, H, (int)d[2], &y0, &y1, &ly);
		rc_tap(x, W, (int)d[3], &x0, &x1, &lx);
		const float *p = inp + plane * H * W + (size_t)d[0] * W + (size_t)d[1];
		const float *r0 = p + (size_t)y0 * W, *r1 = p + (size_t)y1 * W;
		out[e] = (1 - ly) * ((1 - lx) * r0[x0] + lx * r0[x1]) +
		         ly * ((1 - lx) * r1[x0] + lx * r1[x1]);
	}
}

/* colour jitter: one block (THREADS threads) per image; thread t owns
 * pixels t, t + THREADS, ... (their three values) through every step,
 * so only the contrast's mean (one step of the four) needs the block:
 * each thread sums its pixels' gray in order, in double, then a tree in
 * a fixed order (deterministic) */
static __global__ void k_color_jitter(float *out, const float *inp, const float *draw, int HW,
                                      float bound)
{
	__shared__ double red[THREADS];
	__shared__ float mean;
	size_t at = (size_t)blockIdx.x * 3 * HW;
	const float *d = draw + 6 * (size_t)blockIdx.x, *in = inp + at;
	float *R = out + at, *G = R + HW, *B = G + HW;
	int tid = threadIdx.x;
	for (int i = tid; i < HW; i += THREADS) {
		R[i] = in[i];
		G[i] = in[HW + i];
		B[i] = in[2 * HW + i];
	}
	if (d[0] == 0)
		return;
	int ord[4];
	imb_nn_jitter_order((int)d[1], ord);
	for (int j = 0; j < 4; j++) {
		float f = d[2 + ord[j]], g = 1 - f;
		if (ord[j] == 0) {
			for (int i = tid; i < HW; i += THREADS) {
				R[i] = imb_nn_clampf(f * R[i], bound);
				G[i] = imb_nn_clampf(f * G[i], bound);
				B[i] = imb_nn_clampf(f * B[i], bound);
			}
		} else if (ord[j] == 1) {
			double s = 0;
			for (int i = tid; i < HW; i += THREADS)
				s += (double)imb_nn_gray(R[i], G[i], B[i]);
			red[tid] = s;
			__syncthreads();
			for (int w = THREADS / 2; w > 0; w /= 2) {
				if (tid < w)
					red[tid] += red[tid + w];
				__syncthreads();
			}
			if (tid == 0)
				mean = (float)(red[0] / (double)HW);
			__syncthreads();
			float gm = g * mean;
			for (int i = tid; i < HW; i += THREADS) {
				R[i] = imb_nn_clampf(f * R[i] + gm, bound);
				G[i] = imb_nn_clampf(f * G[i] + gm, bound);
				B[i] = imb_nn_clampf(f * B[i] + gm, bound);
			}
		} else if (ord[j] == 2) {
			for (int i = tid; i < HW; i += THREADS) {
				float gm = g * imb_nn_gray(R[i], G[i], B[i]);
				R[i] = imb_nn_clampf(f * R[i] + gm, bound);
				G[i] = imb_nn_clampf(f * G[i] + gm, bound);
				B[i] = imb_nn_clampf(f * B[i] + gm, bound);
			}
		} else {
			for (int i = tid; i < HW; i += THREADS) {
				float px[3] = { R[i] / bound, G[i] / bound, B[i] / bound };
				imb_nn_hue_px(px, f);
				R[i] = px[0] * bound;
				G[i] = px[1] * bound;
				B[i] = px[2] * bound;
			}
		}
	}
}

/* grayscale: one thread per pixel */
static __global__ void k_grayscale(float *out, const float *inp, const float *draw, size_t total,
                                   int HW)
{
	GRID_LOOP(e, total) {
		size_t i = e / HW, at = i * 3 * HW + e % HW;
		float r = inp[at], g = inp[at + HW], b = inp[at + 2 * (size_t)HW];
		if (draw[i] != 0)
			r = g = b = imb_nn_gray(r, g, b);
		out[at] = r;
		out[at + HW] = g;
		out[at + 2 * (size_t)HW] = b;
	}
}

void imb_nn_cuda_resized_crop(float *out, const float *inp, const float *draw, int n, int C,
                              int H, int W)
{
	size_t total = (size_t)(n > 0 ? n : 0) * C * H * W;
	if (total)
		LAUNCH(k_resized_crop, grid(total), THREADS, out, inp, draw, total, C, H, W);
}

void imb_nn_cuda_color_jitter(float *out, const float *inp, const float *draw, int n, int C,
                              int H, int W, float bound)
{
	if (n > 0 && H * W > 0)
		LAUNCH(k_color_jitter, (unsigned)n, THREADS, out, inp, draw, H * W, bound);
}

void imb_nn_cuda_grayscale(float *out, const float *inp, const float *draw, int n, int C, int H,
                           int W)
{
	size_t total = (size_t)(n > 0 ? n : 0) * H * W;
	if (total)
		LAUNCH(k_grayscale, grid(total), THREADS, out, inp, draw, total, H * W);
}


/* the epoch tally: one block; thread 0 the totals, thread k (strided)
 * class k's samples in order */

static __global__ void k_tally(double *acc, const float *loss, const float *losses,
                        const float *logits, const int32_t *y, int n, int K)
{
	double l0 = loss ? (double)loss[0] : 0.0;
	if (threadIdx.x == 0) {
		double s = 0;
		if (losses)
			for (int i = 0; i < n; i++)
				s = __dadd_rn(s, (double)losses[i]);
		else
			s = __dmul_rn((double)n, l0);
		acc[0] = __dadd_rn(acc[0], s);
		if (loss && !isfinite(loss[0]))
			acc[1] = __dadd_rn(acc[1], 1.0);
		acc[2] = __dadd_rn(acc[2], (double)n);
	}
	if (!logits || !y)
		return;
	for (int k = threadIdx.x; k < K; k += blockDim.x) {
		double hit = acc[3 + k], sum = acc[3 + K + k], cnt = acc[3 + 2 * K + k];
		for (int i = 0; i < n; i++) {
			if (y[i] != k)
				continue;
			const float *z = logits + (size_t)i * K;
			int best = 0;
			for (int j = 1; j < K; j++)
				if (z[j] > z[best])
					best = j;
			hit = __dadd_rn(hit, best == k ? 1.0 : 0.0);
			sum = __dadd_rn(sum, losses ? (double)losses[i] : l0);
			cnt = __dadd_rn(cnt, 1.0);
		}
		acc[3 + k] = hit;
		acc[3 + K + k] = sum;
		acc[3 + 2 * K + k] = cnt;
	}
}

void imb_nn_cuda_tally(double *acc, const float *loss, const float *losses,
                       const float *logits, const int32_t *y, int n, int K)
{
	LAUNCH(k_tally, 1, THREADS, acc, loss, losses, logits, y, n > 0 ? n : 0, K);
}
