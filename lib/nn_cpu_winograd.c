/* nn_cpu_winograd.c: Winograd F(2x2,3x3) for the CPU backend's 3x3
 * stride-1 convolutions (called from nn_cpu_conv.c). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "nn_cpu.h"

#include <cblas.h>

/* ---------------------------------------------------------------- */
/* Winograd F(2x2,3x3) for 3x3 stride-1 convolutions (Lavin and Gray
 * 2016): each 2x2 block of outputs ("tile") comes from the 4x4 input
 * patch d around it as Y = A^T [ (G g G^T) .* (B^T d B) ] A, summed over
 * input channels, so a convolution becomes 16 GEMMs in the transform
 * domain, M[k] (OC, P) = U[k] (OC, C) @ V[k] (C, P), over P tiles, with
 * 16 multiplies per tile instead of 36. Tiles are taken over groups of
 * whole images (at least WINO_TILES per group, the group's buffers at
 * most WINO_BYTES), one group per task, so each output element is
 * computed by one thread in a fixed order: the bits do not depend on
 * the thread count. The input gradient is the same convolution with the
 * flipped, transposed kernel (pad 2 - pad), accumulated into dinp; the
 * weight gradient is dU[k] (OC, C) += dM[k] (OC, P) @ V[k]^T with
 * dM = A dY A^T, then dw += G^T dU G, per thread and summed in thread
 * order like the im2col path. Outputs agree with im2col to about 1e-6
 * relative. IMB_NN_WINOGRAD=0 in the environment turns the path off, =2
 * forces it for any channel count (tests). By default it serves layers
 * with at least WINO_MIN_C input and output channels, and those with
 * more than WINO_MAX_CC channel pairs only from batch 32 (the kernel
 * transform, 16 MB for 512x512, is then paid for). Measured per layer on
 * this 2-core box (one thread, loaded: read the pairs), Winograd ran at
 * 1.2-2.5x im2col's GFLOP/s (direct-convolution FLOPs) from 16 to 512
 * channels at batch 128, but below it for 512 channels at batch 16. */

#define WINO_TILES 256
#define WINO_BYTES (3 << 20)
#define WINO_MIN_TILES 128
#define WINO_MIN_C 16
#define WINO_MAX_CC (256 * 256)
#define WINO_MAX_IMG ((size_t)24 << 20)

static int wino_mode(void)
{
	return env_mode("IMB_NN_WINOGRAD", 1);
}

int imb_nn_cpu_wino_ok(const imb_nn_conv2d_shape *s)
{
	if (s->KH != 3 || s->KW != 3 || s->stride != 1 || s->pad > 2)
		return 0;
	/* a group holds at least one whole image: large maps (the transform
	 * buffers of one image over WINO_MAX_IMG bytes) stay on im2col,
	 * whose bands bound its memory */
	size_t tiles = (size_t)((s->OH + 1) / 2) * ((s->OW + 1) / 2);
	if ((size_t)16 * (s->C + s->OC) * tiles * sizeof(float) > WINO_MAX_IMG)
		return 0;
	int m = wino_mode();
	return m == 2 || (m == 1 && s->C >= WINO_MIN_C && s->OC >= WINO_MIN_C &&
	                  ((size_t)s->C * s->OC <= WINO_MAX_CC || s->N >= 32));
}

/* images per tile group */
static int wino_group(const imb_nn_conv2d_shape *s)
{
	int tiles = ((s->OH + 1) / 2) * ((s->OW + 1) / 2);
	int g = (WINO_TILES + tiles - 1) / tiles;
	int cmax = s->C > s->OC ? s->C : s->OC;
	size_t per = (size_t)16 * 2 * cmax * tiles * sizeof(float);
	int gm = (int)(WINO_BYTES / per);
	/* but wide layers (U of 512x512 is 16 MB) need enough tiles per
	 * group to pay for streaming U once per group */
	int gmin = (WINO_MIN_TILES + tiles - 1) / tiles;
	if (gm < gmin)
		gm = gmin;
	if (g > gm)
		g = gm;
	if (g < 1)
		g = 1;
	return g > s->N ? s->N : g;
}

/* U (16, OC, C) = G w G^T for w (OC, C, 3, 3) */
static void wino_kernel(float *U, const float *w, int OC, int C)
{
	size_t st = (size_t)OC * C;
	for (int o = 0; o < OC; o++)
		for (int c = 0; c < C; c++) {
			const float *g = w + ((size_t)o * C + c) * 9;
			float t[4][3], u[4][4];
			for (int j = 0; j < 3; j++) {
				t[0][j] = g[j];
				t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
				t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
				t[3][j] = g[6 + j];
			}
			for (int i = 0; i < 4; i++) {
				u[i][0] = t[i][0];
				u[i][1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
				u[i][2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
				u[i][3] = t[i][2];
			}
			for (int k = 0; k < 16; k++)
				U[k * st + (size_t)o * C + c] = u[k / 4][k % 4];
		}
}

/* dw (OC, C, 3, 3) += G^T dU G for dU (16, OC, C) */
static void wino_kernel_grad(float *dw, const float *dU, int OC, int C)
{
	size_t st = (size_t)OC * C;
	for (int o = 0; o < OC; o++)
		for (int c = 0; c < C; c++) {
			float u[4][4], q[3][4];
			for (int k = 0; k < 16; k++)
				u[k / 4][k % 4] = dU[k * st + (size_t)o * C + c];
			for (int j = 0; j < 4; j++) {
				q[0][j] = u[0][j] + 0.5f * (u[1][j] + u[2][j]);
				q[1][j] = 0.5f * (u[1][j] - u[2][j]);
				q[2][j] = 0.5f * (u[1][j] + u[2][j]) + u[3][j];
			}
			float *g = dw + ((size_t)o * C + c) * 9;
			for (int i = 0; i < 3; i++) {
				g[i * 3 + 0] += q[i][0] + 0.5f * (q[i][1] + q[i][2]);
				g[i * 3 + 1] += 0.5f * (q[i][1] - q[i][2]);
				g[i * 3 + 2] += 0.5f * (q[i][1] + q[i][2]) + q[i][3];
			}
		}
}

/* The transforms run one row of tiles at a time through a zero-padded
 * row buffer, with the tiles of the row as the inner loop, so that the
 * compiler vectorises them (an AVX2 clone is picked at run time where
 * the CPU has it). */

/* B^T d B of one 4x4 patch (four tiles at a time, or one) */
#define WINO_IN(T, d, out) do { \
	T t_[4][4]; \
	for (int j_ = 0; j_ < 4; j_++) { \
		t_[0][j_] = d[0][j_] - d[2][j_]; \
		t_[1][j_] = d[1][j_] + d[2][j_]; \
		t_[2][j_] = d[2][j_] - d[1][j_]; \
		t_[3][j_] = d[1][j_] - d[3][j_]; \
	} \
	for (int i_ = 0; i_ < 4; i_++) { \
		out[4 * i_ + 0] = t_[i_][0] - t_[i_][2]; \
		out[4 * i_ + 1] = t_[i_][1] + t_[i_][2]; \
		out[4 * i_ + 2] = t_[i_][2] - t_[i_][1]; \
		out[4 * i_ + 3] = t_[i_][1] - t_[i_][3]; \
	} \
} while (0)

/* one row of TW tiles: v[k*st + q] = (B^T d B)[k] of the 4x4 patch at
 * columns 2q .. 2q+3 of the rows r[0..3] (padded, 2*TW+2 long) */
AVX2_CLONES
static void wino_input_row(float *restrict v, size_t st, const float *const r[4], int TW)
{
	const v4i ev = { 0, 2, 4, 6 }, od = { 1, 3, 5, 7 };
	int q = 0;
	for (; q + 4 <= TW; q += 4) {
		v4f d[4][4], o[16];
		for (int i = 0; i < 4; i++) {
			const float *x = r[i] + 2 * q;
			v4f a = ld4(x), b = ld4(x + 4), c = ld4(x + 2), e = ld4(x + 6);
			d[i][0] = __builtin_shuffle(a, b, ev);
			d[i][1] = __builtin_shuffle(a, b, od);
			d[i][2] = __builtin_shuffle(c, e, ev);
			d[i][3] = __builtin_shuffle(c, e, od);
		}
		WINO_IN(v4f, d, o);
		for (int k = 0; k < 16; k++)
			st4(v + k * st + q, o[k]);
	}
	for (; q < TW; q++) {
		float d[4][4], o[16];
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++)
				d[i][j] = r[i][2 * q + j];
		WINO_IN(float, d, o);
		for (int k = 0; k < 16; k++)
			v[k * st + q] = o[k];
	}
}

/* The 16 transform-domain matrices of a group lie WINO_SKEW floats
 * further apart than their size: the transforms read or write all 16 at
 * once, and with a stride that is a multiple of 4 KiB they would fall
 * into the same L1 sets. */
#define WINO_SKEW 32

static size_t wino_kst(int ch, size_t ld)
{
	return (size_t)ch * ld + WINO_SKEW;
}

/* V (16, C, ld), matrix k at V + k * wino_kst(C, ld): columns
 * [0, g*TH*TW) get B^T d B of the tiles of images
 * inp (g, C, H, W), tile (ty, tx) reading rows 2ty-pad .. 2ty-pad+3 and
 * columns 2tx-pad .. 2tx-pad+3 (zero outside) */
static void wino_input(float *V, size_t ld, const float *inp, int g,
                       const imb_nn_conv2d_shape *s, float *rowbuf)
{
	int H = s->H, W = s->W, P = s->pad, TH = (s->OH + 1) / 2, TW = (s->OW + 1) / 2;
	int RW = 2 * TW + 2;        /* padded row length */
	size_t st = wino_kst(s->C, ld);
	float *zero = rowbuf + (size_t)(H + 4) * RW;  /* a row of zeros */
	memset(zero, 0, RW * sizeof(float));
	for (int c = 0; c < s->C; c++) {
		float *v = V + (size_t)c * ld;
		for (int n = 0; n < g; n++) {
			const float *img = inp + ((size_t)n * s->C + c) * H * W;
			/* the plane, padded: row y of the buffer is input row y,
			 * columns shifted by P, zero beyond W */
			for (int y = 0; y < H; y++) {
				float *rb = rowbuf + (size_t)y * RW;
				int w = W < RW - P ? W : RW - P;
				for (int x = 0; x < P; x++)
					rb[x] = 0;
				memcpy(rb + P, img + (size_t)y * W, w * sizeof(float));
				for (int x = P + w; x < RW; x++)
					rb[x] = 0;
			}
			size_t p = (size_t)n * TH * TW;
			for (int ty = 0; ty < TH; ty++, p += TW) {
				const float *r[4];
				for (int i = 0; i < 4; i++) {
					int y = 2 * ty - P + i;
					r[i] = y >= 0 && y < H ? rowbuf + (size_t)y * RW : zero;
				}
				wino_input_row(v + p, st, r, TW);
			}
		}
	}
}

/* A^T m A of one tile (four at a time, or one): y00 y01 / y10 y11 */
#define WINO_OUT(r, bv, y00, y01, y10, y11) do { \
	__typeof__(r[0]) a_[4], b_[4]; \
	for (int j_ = 0; j_ < 4; j_++) { \
		a_[j_] = r[j_] + r[4 + j_] + r[8 + j_]; \
		b_[j_] = r[4 + j_] - r[8 + j_] - r[12 + j_]; \
	} \
	y00 = a_[0] + a_[1] + a_[2] + bv; \
	y01 = a_[1] - a_[2] - a_[3] + bv; \
	y10 = b_[0] + b_[1] + b_[2] + bv; \
	y11 = b_[1] - b_[2] - b_[3] + bv; \
} while (0)

/* one row of TW tiles: y0, y1 (2*TW) = (A^T m A) rows 0 and 1 (+ bv) */
AVX2_CLONES
static void wino_output_row(float *restrict y0, float *restrict y1,
                            const float *restrict m, size_t st, int TW, float bv)
{
	const v4i lo = { 0, 4, 1, 5 }, hi = { 2, 6, 3, 7 };
	int q = 0;
	for (; q + 4 <= TW; q += 4) {
		v4f r[16], a, b, c, d;
		for (int k = 0; k < 16; k++)
			r[k] = ld4(m + k * st + q);
		WINO_OUT(r, bv, a, b, c, d);
		st4(y0 + 2 * q, __builtin_shuffle(a, b, lo));
		st4(y0 + 2 * q + 4, __builtin_shuffle(a, b, hi));
		st4(y1 + 2 * q, __builtin_shuffle(c, d, lo));
		st4(y1 + 2 * q + 4, __builtin_shuffle(c, d, hi));
	}
	for (; q < TW; q++) {
		float r[16];
		for (int k = 0; k < 16; k++)
			r[k] = m[k * st + q];
		WINO_OUT(r, bv, y0[2 * q], y0[2 * q + 1], y1[2 * q], y1[2 * q + 1]);
	}
}

/* out (g, OC, OH, OW) = (acc ? out : 0) + A^T M A (+ b) for M (16, OC, ld)
 * (matrix k at M + k * wino_kst(OC, ld)) */
static void wino_output(float *out, const float *M, size_t ld, const float *b, int acc,
                        int g, const imb_nn_conv2d_shape *s, float *rowbuf)
{
	int OH = s->OH, OW = s->OW, TH = (OH + 1) / 2, TW = (OW + 1) / 2;
	size_t st = wino_kst(s->OC, ld);
	float *y0 = rowbuf, *y1 = rowbuf + 2 * TW;
	for (int o = 0; o < s->OC; o++) {
		const float *m = M + (size_t)o * ld;
		float bv = b ? b[o] : 0;
		for (int n = 0; n < g; n++) {
			float *img = out + ((size_t)n * s->OC + o) * OH * OW;
			size_t p = (size_t)n * TH * TW;
			for (int ty = 0; ty < TH; ty++, p += TW) {
				wino_output_row(y0, y1, m + p, st, TW, bv);
				for (int i = 0; i < 2 && 2 * ty + i < OH; i++) {
					float *dst = img + (size_t)(2 * ty + i) * OW;
					const float *src = i ? y1 : y0;
					if (acc)
						for (int x = 0; x < OW; x++)
							dst[x] += src[x];
					else
						memcpy(dst, src, OW * sizeof(float));
				}
			}
		}
	}
}

/* A dY A^T of one 2x2 block y (four at a time, or one) */
#define WINO_DOUT(y, out) do { \
	__typeof__(y[0][0]) z_[4][2]; \
	for (int j_ = 0; j_ < 2; j_++) { \
		z_[0][j_] = y[0][j_]; \
		z_[1][j_] = y[0][j_] + y[1][j_]; \
		z_[2][j_] = y[0][j_] - y[1][j_]; \
		z_[3][j_] = -y[1][j_]; \
	} \
	for (int i_ = 0; i_ < 4; i_++) { \
		out[4 * i_ + 0] = z_[i_][0]; \
		out[4 * i_ + 1] = z_[i_][0] + z_[i_][1]; \
		out[4 * i_ + 2] = z_[i_][0] - z_[i_][1]; \
		out[4 * i_ + 3] = -z_[i_][1]; \
	} \
} while (0)

/* one row of TW tiles: dm[k*st + q] = (A dY A^T)[k] of the 2x2 block at
 * columns 2q, 2q+1 of rows a, b (2*TW long) */
AVX2_CLONES
static void wino_dout_row(float *restrict dm, size_t st, const float *restrict a,
                          const float *restrict b, int TW)
{
	const v4i ev = { 0, 2, 4, 6 }, od = { 1, 3, 5, 7 };
	int q = 0;
	for (; q + 4 <= TW; q += 4) {
		v4f y[2][2], o[16];
		v4f a0 = ld4(a + 2 * q), a1 = ld4(a + 2 * q + 4);
		v4f b0 = ld4(b + 2 * q), b1 = ld4(b + 2 * q + 4);
		y[0][0] = __builtin_shuffle(a0, a1, ev);
		y[0][1] = __builtin_shuffle(a0, a1, od);
		y[1][0] = __builtin_shuffle(b0, b1, ev);
		y[1][1] = __builtin_shuffle(b0, b1, od);
		WINO_DOUT(y, o);
		for (int k = 0; k < 16; k++)
			st4(dm + k * st + q, o[k]);
	}
	for (; q < TW; q++) {
		float y[2][2] = { { a[2 * q], a[2 * q + 1] }, { b[2 * q], b[2 * q + 1] } }, o[16];
		WINO_DOUT(y, o);
		for (int k = 0; k < 16; k++)
			dm[k * st + q] = o[k];
	}
}

/* dM (16, OC, ld) (matrix k at dM + k * wino_kst(OC, ld)) = A dY A^T of
 * the 2x2 tiles of dout (g, OC, OH, OW) */
static void wino_dout(float *dM, size_t ld, const float *dout, int g,
                      const imb_nn_conv2d_shape *s, float *rowbuf)
{
	int OH = s->OH, OW = s->OW, TH = (OH + 1) / 2, TW = (OW + 1) / 2;
	size_t st = wino_kst(s->OC, ld);
	float *ra = rowbuf, *rb = rowbuf + 2 * TW;
	ra[2 * TW - 1] = rb[2 * TW - 1] = 0;    /* odd OW: the last column */
	for (int o = 0; o < s->OC; o++) {
		float *m = dM + (size_t)o * ld;
		for (int n = 0; n < g; n++) {
			const float *img = dout + ((size_t)n * s->OC + o) * OH * OW;
			size_t p = (size_t)n * TH * TW;
			for (int ty = 0; ty < TH; ty++, p += TW) {
				memcpy(ra, img + (size_t)2 * ty * OW, OW * sizeof(float));
				if (2 * ty + 1 < OH)
					memcpy(rb, img + (size_t)(2 * ty + 1) * OW, OW * sizeof(float));
				else
					memset(rb, 0, 2 * TW * sizeof(float));
				wino_dout_row(m + p, st, ra, rb, TW);
			}
		}
	}
}

/* floats of row buffer the transforms need */
static size_t wino_rowbuf(const imb_nn_conv2d_shape *s)
{
	size_t in = (size_t)(s->H + 5) * (2 * ((s->OW + 1) / 2) + 2);
	size_t out = (size_t)4 * ((s->OW + 1) / 2);
	return in > out ? in : out;
}

typedef struct {
	const imb_nn_conv2d_shape *s;
	float *out;                 /* forward: (N, OC, OH, OW) */
	const float *inp, *U, *b, *dout;
	int acc, G, T;
	float **dU_part;            /* weight gradient: per task (16, OC, C) */
} wino_ctx;

/* forward of tile group t (images [t*G, t*G+G)) */
static void wino_forward_task(void *vc, int t)
{
	wino_ctx *w = vc;
	const imb_nn_conv2d_shape *s = w->s;
	int n0 = t * w->G, g = s->N - n0 < w->G ? s->N - n0 : w->G;
	size_t ld = (size_t)g * ((s->OH + 1) / 2) * ((s->OW + 1) / 2);
	size_t vst = wino_kst(s->C, ld), mst = wino_kst(s->OC, ld);
	float *V = scratch(16 * (vst + mst) + wino_rowbuf(s));
	float *M = V + 16 * vst, *rb = M + 16 * mst;
	wino_input(V, ld, w->inp + (size_t)n0 * s->C * s->H * s->W, g, s, rb);
	for (int k = 0; k < 16; k++)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->OC, (int)ld, s->C,
		            1, w->U + (size_t)k * s->OC * s->C, s->C,
		            V + k * vst, (int)ld, 0, M + k * mst, (int)ld);
	wino_output(w->out + (size_t)n0 * s->OC * s->OH * s->OW, M, ld, w->b, w->acc, g, s,
	            rb);
}

/* Per running thread: the transformed kernel. */
static tl_buf wino_U_tb;

static float *wino_U(size_t n)
{
	return tl_get(&wino_U_tb, n);
}

/* out = (acc ? out : 0) + conv(inp, w) + b for a shape imb_nn_cpu_wino_ok accepts */
void imb_nn_cpu_wino_conv(float *out, const float *inp, const float *w, const float *b,
                      int acc, const imb_nn_conv2d_shape *s)
{
	float *U = wino_U((size_t)16 * s->OC * s->C);
	wino_kernel(U, w, s->OC, s->C);
	wino_ctx c = { .s = s, .out = out, .inp = inp, .U = U, .b = b, .acc = acc };
	c.G = wino_group(s);
	imb_nn_parallel((s->N + c.G - 1) / c.G, wino_forward_task, &c);
}

/* weight gradient: task t covers tile groups [lo, hi) of T parts */
static void wino_dw_task(void *vc, int t)
{
	wino_ctx *w = vc;
	const imb_nn_conv2d_shape *s = w->s;
	int ngroups = (s->N + w->G - 1) / w->G;
	size_t lo, hi;
	split((size_t)ngroups, w->T, t, &lo, &hi);
	float *dU = w->dU_part[t];
	memset(dU, 0, (size_t)16 * s->OC * s->C * sizeof(float));
	for (size_t q = lo; q < hi; q++) {
		int n0 = (int)q * w->G, g = s->N - n0 < w->G ? s->N - n0 : w->G;
		size_t ld = (size_t)g * ((s->OH + 1) / 2) * ((s->OW + 1) / 2);
		size_t vst = wino_kst(s->C, ld), mst = wino_kst(s->OC, ld);
		float *V = scratch(16 * (vst + mst) + wino_rowbuf(s));
		float *M = V + 16 * vst, *rb = M + 16 * mst;
		wino_input(V, ld, w->inp + (size_t)n0 * s->C * s->H * s->W, g, s, rb);
		wino_dout(M, ld, w->dout + (size_t)n0 * s->OC * s->OH * s->OW, g, s, rb);
		for (int k = 0; k < 16; k++)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->OC, s->C, (int)ld,
			            1, M + k * mst, (int)ld, V + k * vst, (int)ld, 1,
			            dU + (size_t)k * s->OC * s->C, s->C);
	}
}

/* dw += the weight gradient for a shape imb_nn_cpu_wino_ok accepts */
void imb_nn_cpu_wino_dw(float *dw, const float *dout, const float *inp,
                    const imb_nn_conv2d_shape *s)
{
	static tl_buf part, nested;
	wino_ctx c = { .s = s, .inp = inp, .dout = dout };
	c.G = wino_group(s);
	int ngroups = (s->N + c.G - 1) / c.G;
	c.T = imb_nn_pool_threads();
	if (c.T > ngroups)
		c.T = ngroups;
	size_t n = (size_t)16 * s->OC * s->C;
	/* one buffer per task; a nested call (inside a task) runs serially
	 * with T = 1 and uses a buffer of the running thread */
	float **slot = part.p;
	float *own[1];
	if (imb_nn_in_task()) {
		own[0] = tl_get(&nested, n);
		slot = own;
	} else
		for (int t = 0; t < c.T; t++)
			buf_at(&part, t, n);
	c.dU_part = slot;
	imb_nn_parallel(c.T, wino_dw_task, &c);
	for (int t = 1; t < c.T; t++)
		for (size_t i = 0; i < n; i++)
			slot[0][i] += slot[t][i];
	wino_kernel_grad(dw, slot[0], s->OC, s->C);
}
