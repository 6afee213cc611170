/* nn_maxpool.h: max pooling's window, one definition for the CPU backend
 * and a CUDA kernel (header only; under nvcc __host__ __device__). */
#ifndef IMB_NN_MAXPOOL_H
#define IMB_NN_MAXPOOL_H

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define IMB_MAXPOOL_FN static inline __host__ __device__
#else
#define IMB_MAXPOOL_FN static inline
#endif

/* The window of output (oh, ow) over plane x (H,W), K x K at stride,
 * padding counting as -inf: its value, and in *at the flat index ih * W
 * + iw of the first largest element (a NaN wins at once; -1 for a window
 * wholly in the padding). The plane's element (ih, iw) is x[(ih * W + iw)
 * * step]: step 1 in NCHW, C in NHWC. */
#ifdef __CUDACC__
/* on the GPU, planes of floats or of bf16 (images in bf16: nn_cuda.h) */
template <typename T>
IMB_MAXPOOL_FN float imb_nn_maxpool_window(const T *x, int H, int W, int K, int stride,
                                           int pad, int oh, int ow, int step, int32_t *at)
#else
IMB_MAXPOOL_FN float imb_nn_maxpool_window(const float *x, int H, int W, int K, int stride,
                                           int pad, int oh, int ow, int step, int32_t *at)
#endif
{
	float best = -INFINITY;
	*at = -1;
	for (int kh = 0; kh < K; kh++) {
		int ih = oh * stride - pad + kh;
		if (ih < 0 || ih >= H)
			continue;
		for (int kw = 0; kw < K; kw++) {
			int iw = ow * stride - pad + kw;
			if (iw < 0 || iw >= W)
				continue;
			float v = (float)x[(size_t)(ih * W + iw) * step];
			if (*at < 0 || v > best || isnan(v)) {
				best = v;
				*at = ih * W + iw;
				if (isnan(v))
					return best;
			}
		}
	}
	return best;
}

#endif
