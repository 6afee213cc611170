/* nn_cuda_data.cu: the CUDA backend's data ops (nn_cuda.h): a batch
 * gathered from the dataset the backend holds (hold), u8 to float,
 * cropped, flipped and normalised there from the draws the host made;
 * and the epoch's tally kept on the device. The CPU's are in
 * nn_cpu_data.c. */
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
