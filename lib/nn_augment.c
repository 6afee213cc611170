/* nn_augment.c: crop, flip, normalise. One generic body per element type
 * through a macro, so u8 and f32 can never drift apart. */
#include "nn_augment.h"

#include <math.h>
#include <string.h>

#define CROP_FLIP(T)                                                              \
	size_t plane = (size_t)H * W;                                             \
	for (int n = 0; n < N; n++) {                                             \
		int dy = pad, dx = pad, f = 0;                                    \
		if (pad > 0) {                                                    \
			dy = (int)imb_rng_below(r, 2 * (uint64_t)pad + 1);        \
			dx = (int)imb_rng_below(r, 2 * (uint64_t)pad + 1);        \
		}                                                                 \
		if (flip)                                                         \
			f = imb_rng_uniform(r) < 0.5;                             \
		for (int c = 0; c < C; c++) {                                     \
			const T *src = inp + ((size_t)n * C + c) * plane;         \
			T *dst = out + ((size_t)n * C + c) * plane;               \
			for (int i = 0; i < H; i++) {                             \
				int si = i + dy - pad;                            \
				T *o = dst + (size_t)i * W;                       \
				if (si < 0 || si >= H) {                          \
					memset(o, 0, W * sizeof(T));              \
					continue;                                 \
				}                                                 \
				const T *s = src + (size_t)si * W;                \
				for (int j = 0; j < W; j++) {                     \
					int sj = (f ? W - 1 - j : j) + dx - pad;  \
					o[j] = sj >= 0 && sj < W ? s[sj] : 0;     \
				}                                                 \
			}                                                         \
		}                                                                 \
	}

void imb_nn_aug_crop_flip_u8(uint8_t *out, const uint8_t *inp, int N, int C, int H,
                             int W, int pad, int flip, imb_rng *r)
{
	CROP_FLIP(uint8_t)
}

void imb_nn_aug_crop_flip_f32(float *out, const float *inp, int N, int C, int H, int W,
                              int pad, int flip, imb_rng *r)
{
	CROP_FLIP(float)
}

#define NORMALIZE(SCALE)                                                          \
	for (int n = 0; n < N; n++)                                               \
		for (int c = 0; c < C; c++) {                                     \
			float m = mean ? mean[c] : 0, is = std ? 1 / std[c] : 1;  \
			size_t at = ((size_t)n * C + c) * HW;                     \
			for (int i = 0; i < HW; i++)                              \
				out[at + i] = (inp[at + i] * (SCALE) - m) * is;   \
		}

void imb_nn_aug_normalize_u8(float *out, const uint8_t *inp, int N, int C, int HW,
                             const float *mean, const float *std)
{
	NORMALIZE(1.0f / 255)
}

void imb_nn_aug_normalize_f32(float *out, const float *inp, int N, int C, int HW,
                              const float *mean, const float *std)
{
	NORMALIZE(1.0f)
}

void imb_nn_aug_channel_stats_u8(float *mean, float *std, const uint8_t *inp, int N,
                                 int C, int HW)
{
	for (int c = 0; c < C; c++) {
		/* integer sums are exact */
		uint64_t s = 0, q = 0;
		for (int n = 0; n < N; n++) {
			const uint8_t *x = inp + ((size_t)n * C + c) * HW;
			for (int i = 0; i < HW; i++) {
				s += x[i];
				q += (uint64_t)x[i] * x[i];
			}
		}
		double M = (double)N * HW, mu = M > 0 ? s / M : 0;
		double var = M > 0 ? q / M - mu * mu : 0;
		mean[c] = (float)(mu / 255);
		std[c] = (float)(sqrt(var > 0 ? var : 0) / 255);
	}
}
