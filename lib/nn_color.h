/* nn_color.h: the per-pixel colour arithmetic of SimCLR's augmentation
 * ops (torchvision's), one definition for the CPU backend and the CUDA
 * kernels (header only; under nvcc __host__ __device__). */
#ifndef IMB_NN_COLOR_H
#define IMB_NN_COLOR_H

#include <math.h>

#ifdef __CUDACC__
#define IMB_COLOR_FN static inline __host__ __device__
#else
#define IMB_COLOR_FN static inline
#endif

/* x clamped to [0, hi] */
IMB_COLOR_FN float imb_nn_clampf(float x, float hi)
{
	return x < 0 ? 0 : x > hi ? hi : x;
}

/* torchvision's rgb_to_grayscale weights */
IMB_COLOR_FN float imb_nn_gray(float r, float g, float b)
{
	return 0.2989f * r + 0.587f * g + 0.114f * b;
}

/* torchvision's _rgb2hsv, hue shifted by shift (mod 1), _hsv2rgb, on one
 * pixel px (3) of values in [0, 1], in place */
IMB_COLOR_FN void imb_nn_hue_px(float *px, float shift)
{
	float r = px[0], g = px[1], b = px[2];
	float mx = fmaxf(r, fmaxf(g, b)), mn = fminf(r, fminf(g, b));
	int eq = mx == mn;
	float cr = mx - mn, s = cr / (eq ? 1.0f : mx), dv = eq ? 1.0f : cr;
	float rc = (mx - r) / dv, gc = (mx - g) / dv, bc = (mx - b) / dv, h;
	if (mx == r)
		h = bc - gc;
	else if (mx == g)
		h = 2.0f + rc - bc;
	else
		h = 4.0f + gc - rc;
	h = fmodf(h / 6.0f + 1.0f, 1.0f);
	h = fmodf(h + shift, 1.0f);
	if (h < 0)
		h += 1.0f;
	float h6 = h * 6.0f, fi = floorf(h6), f = h6 - fi, v = mx;
	float p = imb_nn_clampf(v * (1.0f - s), 1), q = imb_nn_clampf(v * (1.0f - s * f), 1),
	      t = imb_nn_clampf(v * (1.0f - s * (1.0f - f)), 1);
	switch ((int)fi % 6) {
	case 0: px[0] = v; px[1] = t; px[2] = p; break;
	case 1: px[0] = q; px[1] = v; px[2] = p; break;
	case 2: px[0] = p; px[1] = v; px[2] = t; break;
	case 3: px[0] = p; px[1] = q; px[2] = v; break;
	case 4: px[0] = t; px[1] = p; px[2] = v; break;
	default: px[0] = v; px[1] = p; px[2] = q; break;
	}
}

/* p (4) = the k-th permutation of 0..3 in lexicographic order
 * (nn_backend.h's color_jitter; k outside 0..23 is 0) */
IMB_COLOR_FN void imb_nn_jitter_order(int k, int *p)
{
	int rest[4] = { 0, 1, 2, 3 }, f[4] = { 6, 2, 1, 1 };
	if (k < 0 || k > 23)
		k = 0;
	for (int j = 0, left = 4; j < 4; j++, left--) {
		int at = k / f[j];
		k %= f[j];
		p[j] = rest[at];
		for (int m = at; m < left - 1; m++)
			rest[m] = rest[m + 1];
	}
}

#endif
