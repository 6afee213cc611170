/* nn_cuda_reduce.cu: the CUDA backend's reductions (nn_cuda.h): dot and
 * sqnorm, which hand their sum to the host and so wait for the stream,
 * and axpy_norm, which keeps the sum of squares in device memory and
 * scales its update from there, so that nothing waits. The sums add in
 * the CPU backend's order (nn_backend_cpu.c) and give its bits. */
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

/* the sum of a_i b_i over n > 0 into device memory (the workspace, after
 * the block sums), queued on the stream; returns its address */
static double *dot_queued(const float *a, const float *b, size_t n)
{
	size_t nb = (n + RED_BLOCK - 1) / RED_BLOCK;
	double *part = (double *)imb_cuda_workspace((nb + 1) * sizeof(double));
	LAUNCH(k_dot_blocks, (unsigned)((4 * nb + THREADS - 1) / THREADS), THREADS, part, a, b, n, nb);
	LAUNCH(k_dot_total, 1, 1, part + nb, part, nb);
	return part + nb;
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
