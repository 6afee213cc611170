/* nn_cuda_reduce.cu: the CUDA backend's reductions (nn_cuda.h): dot and
 * sqnorm, which hand their sum to the host and so wait for the stream,
 * and axpy_norm and lars_scale, which keep their sums of squares in
 * device memory and scale their update from there, so that nothing
 * waits. The sums add in the CPU backend's order (nn_backend_cpu.c) and
 * give its bits; the scalars worked out of them are the host's bits
 * (correctly rounded double operations in the host's order). */
#include "nn_cuda.h"

#include <stdint.h>

#define THREADS IMB_CUDA_THREADS
#define FULL_MASK 0xffffffffu
#define LAUNCH IMB_CUDA_LAUNCH
#define GRID_LOOP IMB_GRID_LOOP
#define grid imb_cuda_grid

/* dot and sqnorm: the CPU's order. Blocks of RED_BLOCK elements; four
 * consecutive threads are the CPU's four lanes of one block (lane j sums
 * the products of elements j mod 4 in order), combined as (l0 + l1) +
 * (l2 + l3), then the block's last n mod 4 elements in order; the block
 * sums are added in block order by one thread. */
#define RED_BLOCK 4096

static __global__ void k_dot_blocks(double *part, const float *a, const float *b, size_t n, size_t nb)
{
	size_t g = blockIdx.x * (size_t)blockDim.x + threadIdx.x, k = g / 4;
	int lane = (int)(g % 4);
	size_t i0 = k * RED_BLOCK, m = 0, m4 = 0;
	double l = 0;
	if (k < nb) {
		m = n - i0 < RED_BLOCK ? n - i0 : RED_BLOCK;
		m4 = m & ~(size_t)3;
		for (size_t i = i0 + lane; i < i0 + m4; i += 4)
			l = __dadd_rn(l, __dmul_rn((double)a[i], (double)b[i]));
	}
	/* every lane of the warp takes part in the shuffles */
	double l1 = __shfl_sync(FULL_MASK, l, 1, 4);
	double l2 = __shfl_sync(FULL_MASK, l, 2, 4);
	double l3 = __shfl_sync(FULL_MASK, l, 3, 4);
	if (k >= nb || lane)
		return;
	double s = __dadd_rn(__dadd_rn(l, l1), __dadd_rn(l2, l3));
	for (size_t i = i0 + m4; i < i0 + m; i++)
		s = __dadd_rn(s, __dmul_rn((double)a[i], (double)b[i]));
	part[k] = s;
}

static __global__ void k_dot_total(double *out, const double *part, size_t nb)
{
	double s = 0;
	for (size_t k = 0; k < nb; k++)
		s = __dadd_rn(s, part[k]);
	out[0] = s;
}

static size_t red_blocks(size_t n)
{
	return (n + RED_BLOCK - 1) / RED_BLOCK;
}

/* the sum of a_i b_i over n > 0 into *out (device memory), queued on the
 * stream; the block sums go to part (red_blocks(n) doubles) */
static void dot_into(double *out, double *part, const float *a, const float *b, size_t n)
{
	size_t nb = red_blocks(n);
	LAUNCH(k_dot_blocks, (unsigned)((4 * nb + THREADS - 1) / THREADS), THREADS, part, a, b, n, nb);
	LAUNCH(k_dot_total, 1, 1, out, part, nb);
}

/* the sum into the workspace's first double (the block sums after it);
 * returns its address */
static double *dot_queued(const float *a, const float *b, size_t n)
{
	double *ws = (double *)imb_cuda_workspace((1 + red_blocks(n)) * sizeof(double));
	dot_into(ws, ws + 1, a, b, n);
	return ws;
}

double imb_nn_cuda_dot(const float *a, const float *b, size_t n)
{
	double s = 0;
	if (n)
		imb_nn_cuda_download(&s, dot_queued(a, b, n), sizeof s);
	return s;
}

double imb_nn_cuda_sqnorm(const float *x, size_t n)
{
	return imb_nn_cuda_dot(x, x, n);
}

/* y += alpha x, every thread working alpha out of the device sum *s as
 * the host would (double sqrt, sum and quotient, each correctly rounded,
 * then to float), and y as axpy rounds it (f_axpy) */
static __global__ void k_axpy_norm(float *y, const float *x, const double *s, size_t n, double rho,
                                   double eps)
{
	float alpha = __double2float_rn(__ddiv_rn(rho, __dadd_rn(__dsqrt_rn(*s), eps)));
	GRID_LOOP(i, n)
		y[i] = __fadd_rn(y[i], __fmul_rn(alpha, x[i]));
}

void imb_nn_cuda_axpy_norm(float *y, const float *x, const float *v, size_t n, double rho,
                           double eps)
{
	if (!n)
		return;
	const double *s = dot_queued(v, v, n);
	LAUNCH(k_axpy_norm, grid(n), THREADS, y, x, s, n, rho, eps);
}

/* g = (g + wd p) trust (lars_scale), every thread working trust out of
 * the device sums s[0] (param's) and s[1] (grad's) as the host would,
 * lr from *lr_at where it was staged (imb_cuda_staged); g as axpy
 * (f_axpy) and then scale (f_scale) round it */
static __global__ void k_lars_scale(float *g, const float *p, const double *s, size_t n, float wd,
                                    float eta, float lr, const float *lr_at, int clip)
{
	double pn = __dsqrt_rn(s[0]), gn = __dsqrt_rn(s[1]);
	if (pn == 0 || gn == 0)
		return;
	double den = __dadd_rn(__dadd_rn(gn, __dmul_rn(pn, (double)wd)), 1e-8);
	double trust = __dmul_rn(__ddiv_rn(pn, den), (double)eta);
	if (clip) {
		float r = lr_at ? *lr_at : lr;
		double q = __ddiv_rn(trust, (double)r);
		trust = r > 0 && q < 1 ? q : 1;
	}
	float t = __double2float_rn(trust);
	GRID_LOOP(i, n) {
		float v = g[i];
		if (wd != 0)
			v = __fadd_rn(v, __fmul_rn(wd, p[i]));
		g[i] = __fmul_rn(v, t);
	}
}

void imb_nn_cuda_lars_scale(float *g, const float *param, const float *grad, size_t n, float wd,
                            float eta, float lr, int clip)
{
	/* lr moves with the step (a schedule): staged in a recorded one */
	const float *at = (const float *)imb_cuda_staged(&lr, sizeof lr);
	if (imb_cuda_graph_mode == IMB_CUDA_REPLAY || !n)
		return;
	/* the two sums at the workspace's start, the block sums (each sum's
	 * in turn, in stream order) after them */
	double *ws = (double *)imb_cuda_workspace((2 + red_blocks(n)) * sizeof(double));
	dot_into(ws, ws + 2, param, param, n);
	dot_into(ws + 1, ws + 2, grad, grad, n);
	LAUNCH(k_lars_scale, grid(n), THREADS, g, param, ws, n, wd, eta, lr, at, clip);
}
