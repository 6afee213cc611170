/* nn_cuda_bn.cu: the CUDA backend's batch norm (nn_cuda.h), our own
 * kernels over NCHW float32, and the per-channel sums that conv's bias
 * gradient shares.
 *
 * cuDNN's NCHW batch norm runs one block per channel: 64 blocks on a
 * 132-multiprocessor H200 for resnet18's first stage, a quarter of a
 * TF32 training step. Here a channel's N*HW values are cut into S
 * pieces (S fixed by the shape alone: about 1024 blocks in all), each
 * piece summed by one block in double (each thread a fixed stride, then
 * a fixed tree), and the S partial sums of a channel added in order by
 * one thread: no atomics, the same bits every run, and the whole chip
 * busy. Then one elementwise pass applies the result. Both read float4
 * where HW % 4 == 0 and the pointers are 16-byte aligned (vec4).
 *
 *   forward (train)  sums of x and x^2 -> mean, biased var, rstd; running
 *                    statistics with the unbiased var; out = (x - mean)
 *                    rstd gamma + beta
 *   backward         sums of dout and dout xhat -> dgamma, dbeta += them;
 *                    dinp += gamma rstd (dout - (sum dout + xhat sum dout
 *                    xhat) / M), M = N HW
 *   forward (eval)   out = (x - run_mean) / sqrt(run_var + eps) gamma + beta
 *   backward (eval)  dinp += gamma / sqrt(run_var + eps) dout; dgamma,
 *                    dbeta += sums of dout xhat and dout
 * gamma, beta NULL mean 1 and 0; other NULL outputs are not written. */
#include "nn_cuda.h"

#include <math.h>
#include <stdint.h>
#include <type_traits>

#define THREADS IMB_CUDA_THREADS
#define GRID_LOOP IMB_GRID_LOOP
#define blocks_for imb_cuda_grid

/* blocks per channel for (N,C,HW): about 1024 blocks in all, at most one
 * per sample, by the shape alone */
static int pieces(int N, int C)
{
	int s = (1024 + C - 1) / C;
	return s < 1 ? 1 : s > N ? N : s;
}

/* Partial sums of channel c = blockIdx.x over piece s = blockIdx.y of
 * its N*HW values (samples [s*R, (s+1)*R), R = ceil(N/S)):
 *   part[(c*S + s)*2]     = sum a
 *   part[(c*S + s)*2 + 1] = sum a^2                        (b NULL)
 *                           sum a (b - mean[c]) rstd[c]    (b given)
 * in double. V values a step (V = 4: float4 loads, when HW % 4 == 0 and
 * a, b are 16-byte aligned; each thread adds its four in order). */
template <int V>
__global__ void __launch_bounds__(THREADS)
k_part(double *part, const float *a, const float *b, const float *mean, const float *rstd,
       int N, int C, int HW, int R)
{
	__shared__ double s1[THREADS], s2[THREADS];
	int c = blockIdx.x, s = blockIdx.y, S = gridDim.y, t = threadIdx.x;
	int n0 = s * R, n1 = n0 + R < N ? n0 + R : N, HWv = HW / V;
	double u = 0, v = 0, m = b ? mean[c] : 0, r = b ? rstd[c] : 0;
	/* step k of the piece is (sample n0 + k / HWv, position k % HWv);
	 * each thread steps k by THREADS, its (n, j) advanced without
	 * division */
	int n = n0 + t / HWv, j = t % HWv, dn = THREADS / HWv, dj = THREADS % HWv;
	while (n < n1) {
		size_t at = ((size_t)n * C + c) * HWv + j;
		float x[V], y[V] = {0};
		if (V == 4) {
			float4 q = ((const float4 *)a)[at];
			x[0] = q.x, x[1] = q.y, x[2] = q.z, x[3] = q.w;
			if (b) {
				q = ((const float4 *)b)[at];
				y[0] = q.x, y[1] = q.y, y[2] = q.z, y[3] = q.w;
			}
		} else {
			x[0] = a[at];
			if (b)
				y[0] = b[at];
		}
#pragma unroll
		for (int k = 0; k < V; k++) {
			double d = x[k];
			u += d;
			v += b ? d * ((y[k] - m) * r) : d * d;
		}
		n += dn;
		j += dj;
		if (j >= HWv) {
			j -= HWv;
			n++;
		}
	}
	s1[t] = u;
	s2[t] = v;
	__syncthreads();
	for (int h = THREADS / 2; h > 0; h >>= 1) {
		if (t < h) {
			s1[t] += s1[t + h];
			s2[t] += s2[t + h];
		}
		__syncthreads();
	}
	if (t == 0) {
		part[((size_t)c * S + s) * 2] = s1[0];
		part[((size_t)c * S + s) * 2 + 1] = s2[0];
	}
}

/* float4 steps for (N,C,HW) where HW % 4 == 0 and the pointers are
 * 16-byte aligned (NULL ones are) */
static int vec4(int HW, const void *a, const void *b = NULL, const void *c = NULL,
                const void *d = NULL)
{
	return HW % 4 == 0 && !(((uintptr_t)a | (uintptr_t)b | (uintptr_t)c | (uintptr_t)d) & 15);
}

/* tot (2C) = each channel's S partial pairs added in order */
__global__ void k_total(double *tot, const double *part, int C, int S)
{
	GRID_LOOP(c, (size_t)C) {
		double u = 0, v = 0;
		for (int s = 0; s < S; s++) {
			u += part[(c * S + s) * 2];
			v += part[(c * S + s) * 2 + 1];
		}
		tot[2 * c] = u;
		tot[2 * c + 1] = v;
	}
}

/* workspace bytes chan_sums needs after its room */
static size_t sums_bytes(int N, int C)
{
	return ((size_t)C * pieces(N, C) * 2 + (size_t)C * 2) * sizeof(double);
}

/* Per-channel sums of a (N,C,HW), and of a^2 or a xhat (b, mean, rstd
 * given): tot (2C) doubles, in the workspace after room bytes (valid
 * until the next op; the caller's first room bytes survive only if it
 * asked for room + sums_bytes before writing them). */
static double *chan_sums(size_t room, const float *a, const float *b, const float *mean,
                         const float *rstd, int N, int C, int HW)
{
	int S = pieces(N, C), R = (N + S - 1) / S;
	size_t np = (size_t)C * S * 2;
	char *ws = (char *)imb_cuda_workspace(room + sums_bytes(N, C));
	double *part = (double *)(ws + room), *tot = part + np;
	if (vec4(HW, a, b))
		k_part<4><<<dim3((unsigned)C, (unsigned)S), THREADS, 0, imb_cuda.stream>>>(
			part, a, b, mean, rstd, N, C, HW, R);
	else
		k_part<1><<<dim3((unsigned)C, (unsigned)S), THREADS, 0, imb_cuda.stream>>>(
			part, a, b, mean, rstd, N, C, HW, R);
	IMB_CUDA_LAUNCHED();
	k_total<<<blocks_for((size_t)C), THREADS, 0, imb_cuda.stream>>>(tot, part, C, S);
	IMB_CUDA_LAUNCHED();
	return tot;
}

/* db (C) += sum over (N,HW) of dout: conv2d_backward's bias gradient */
__global__ void k_add_sums(float *db, const double *tot, int C)
{
	GRID_LOOP(c, (size_t)C)
		db[c] = (float)(db[c] + tot[2 * c]);
}

void imb_cuda_channel_sums(float *db, const float *dout, int N, int C, int HW)
{
	const double *tot = chan_sums(0, dout, NULL, NULL, NULL, N, C, HW);
	k_add_sums<<<blocks_for((size_t)C), THREADS, 0, imb_cuda.stream>>>(db, tot, C);
	IMB_CUDA_LAUNCHED();
}

/* ------------------------------------------------------------ forward */

/* the batch's statistics from the sums; running ones updated */
__global__ void k_stats(float *mean, float *rstd, float *run_mean, float *run_var,
                        const double *tot, int C, double M, float momentum, float eps)
{
	GRID_LOOP(c, (size_t)C) {
		double mu = tot[2 * c] / M, var = tot[2 * c + 1] / M - mu * mu;
		if (var < 0)
			var = 0;
		double r = 1 / sqrt(var + eps);
		mean[c] = (float)mu;
		rstd[c] = (float)r;
		if (run_mean)
			run_mean[c] = (float)((1 - (double)momentum) * run_mean[c] + momentum * mu);
		if (run_var)
			run_var[c] = (float)((1 - (double)momentum) * run_var[c] +
			                     momentum * (M > 1 ? var * M / (M - 1) : 0));
	}
}

/* The elementwise passes: a grid-stride loop over n items (32-bit
 * indices where n fits, for the channel's division), V floats an item
 * (4: float4, where vec4 allows), the item's channel (i / HWv) % C. */
#define BN_LOOP(I, n, ...) do { \
	if ((n) <= 0xffffffffu) { \
		for (unsigned I = blockIdx.x * blockDim.x + threadIdx.x; I < (unsigned)(n); \
		     I += gridDim.x * blockDim.x) __VA_ARGS__ \
	} else { \
		GRID_LOOP(I, n) __VA_ARGS__ \
	} } while (0)

/* out = (x - mean[c]) rstd[c] gamma[c] + beta[c] */
template <int V>
__global__ void k_norm(float *out, const float *inp, const float *mean, const float *rstd,
                       const float *gamma, const float *beta, int C, size_t HWv, size_t n)
{
	typedef typename std::conditional<V == 4, float4, float>::type T;
	BN_LOOP(i, n, {
		int c = (int)((i / HWv) % C);
		float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f, m = mean[c], r = rstd[c];
		T x = ((const T *)inp)[i];
		float *e = (float *)&x;
#pragma unroll
		for (int k = 0; k < V; k++)
			e[k] = (e[k] - m) * r * g + b;
		((T *)out)[i] = x;
	});
}

extern "C" void imb_nn_cuda_batchnorm_forward_train(float *out, float *mean, float *rstd,
                                                    float *run_mean, float *run_var,
                                                    const float *inp, const float *gamma,
                                                    const float *beta, int N, int C, int HW,
                                                    float momentum, float eps)
{
	if (N <= 0 || C <= 0 || HW <= 0)
		return;
	/* mean and rstd: the caller's, or scratch ahead of the sums */
	size_t room = 2 * (((size_t)C * sizeof(float) + 255) & ~(size_t)255);
	const double *tot = chan_sums(room, inp, NULL, NULL, NULL, N, C, HW);
	float *ws = (float *)imb_cuda_workspace(0);
	float *m = mean ? mean : ws, *r = rstd ? rstd : ws + room / 2 / sizeof(float);
	k_stats<<<blocks_for((size_t)C), THREADS, 0, imb_cuda.stream>>>(
		m, r, run_mean, run_var, tot, C, (double)N * HW, momentum, eps);
	IMB_CUDA_LAUNCHED();
	size_t n = (size_t)N * C * HW;
	if (vec4(HW, out, inp))
		k_norm<4><<<blocks_for(n / 4), THREADS, 0, imb_cuda.stream>>>(
			out, inp, m, r, gamma, beta, C, (size_t)HW / 4, n / 4);
	else
		k_norm<1><<<blocks_for(n), THREADS, 0, imb_cuda.stream>>>(
			out, inp, m, r, gamma, beta, C, (size_t)HW, n);
	IMB_CUDA_LAUNCHED();
}

/* eval: rstd from the running variance, per element */
__global__ void k_norm_eval(float *out, const float *inp, const float *rm, const float *rv,
                            const float *gamma, const float *beta, float eps, int C,
                            size_t HW, size_t n)
{
	GRID_LOOP(i, n) {
		int c = (int)((i / HW) % C);
		double g = gamma ? gamma[c] : 1.0, b = beta ? beta[c] : 0.0;
		out[i] = (float)((inp[i] - (double)rm[c]) / sqrt((double)rv[c] + eps) * g + b);
	}
}

extern "C" void imb_nn_cuda_batchnorm_forward_eval(float *out, const float *inp,
                                                   const float *gamma, const float *beta,
                                                   const float *run_mean,
                                                   const float *run_var, int N, int C,
                                                   int HW, float eps)
{
	size_t n = (size_t)(N > 0 ? N : 0) * (C > 0 ? C : 0) * (HW > 0 ? HW : 0);
	if (!n)
		return;
	k_norm_eval<<<blocks_for(n), THREADS, 0, imb_cuda.stream>>>(
		out, inp, run_mean, run_var, gamma, beta, eps, C, (size_t)HW, n);
	IMB_CUDA_LAUNCHED();
}

/* ------------------------------------------------------------ backward */

/* dgamma += sum dout xhat, dbeta += sum dout */
__global__ void k_dparams(float *dgamma, float *dbeta, const double *tot, int C)
{
	GRID_LOOP(c, (size_t)C) {
		if (dgamma)
			dgamma[c] = (float)(dgamma[c] + tot[2 * c + 1]);
		if (dbeta)
			dbeta[c] = (float)(dbeta[c] + tot[2 * c]);
	}
}

/* train: dinp += gamma rstd (dout - (sdy + xhat sdyx) / M) */
template <int V>
__global__ void k_dx(float *dinp, const float *dout, const float *inp, const float *gamma,
                     const float *mean, const float *rstd, const double *tot, float invM,
                     int C, size_t HWv, size_t n)
{
	typedef typename std::conditional<V == 4, float4, float>::type T;
	BN_LOOP(i, n, {
		int c = (int)((i / HWv) % C);
		float r = rstd[c], g = gamma ? gamma[c] : 1.0f, m = mean[c];
		float sdy = (float)tot[2 * c], sdyx = (float)tot[2 * c + 1];
		T d = ((T *)dinp)[i], dy = ((const T *)dout)[i], x = ((const T *)inp)[i];
		float *de = (float *)&d, *dye = (float *)&dy, *xe = (float *)&x;
#pragma unroll
		for (int k = 0; k < V; k++) {
			float xh = (xe[k] - m) * r;
			de[k] += g * r * (dye[k] - (sdy + xh * sdyx) * invM);
		}
		((T *)dinp)[i] = d;
	});
}

extern "C" void imb_nn_cuda_batchnorm_backward(float *dinp, float *dgamma, float *dbeta,
                                               const float *dout, const float *inp,
                                               const float *gamma, const float *mean,
                                               const float *rstd, int N, int C, int HW)
{
	if (N <= 0 || C <= 0 || HW <= 0 || (!dinp && !dgamma && !dbeta))
		return;
	const double *tot = chan_sums(0, dout, inp, mean, rstd, N, C, HW);
	if (dgamma || dbeta) {
		k_dparams<<<blocks_for((size_t)C), THREADS, 0, imb_cuda.stream>>>(dgamma, dbeta, tot, C);
		IMB_CUDA_LAUNCHED();
	}
	if (dinp) {
		size_t n = (size_t)N * C * HW;
		float invM = 1.0f / ((float)N * HW);
		if (vec4(HW, dinp, dout, inp))
			k_dx<4><<<blocks_for(n / 4), THREADS, 0, imb_cuda.stream>>>(
				dinp, dout, inp, gamma, mean, rstd, tot, invM, C, (size_t)HW / 4, n / 4);
		else
			k_dx<1><<<blocks_for(n), THREADS, 0, imb_cuda.stream>>>(
				dinp, dout, inp, gamma, mean, rstd, tot, invM, C, (size_t)HW, n);
		IMB_CUDA_LAUNCHED();
	}
}

/* eval: rstd[c] = 1 / sqrt(run_var + eps) into r (C) */
__global__ void k_rstd(float *r, const float *rv, float eps, int C)
{
	GRID_LOOP(c, (size_t)C)
		r[c] = (float)(1 / sqrt((double)rv[c] + eps));
}

/* eval: dinp += gamma rstd dout */
__global__ void k_dx_eval(float *dinp, const float *dout, const float *gamma, const float *r,
                          int C, size_t HW, size_t n)
{
	GRID_LOOP(i, n) {
		int c = (int)((i / HW) % C);
		dinp[i] += (gamma ? gamma[c] : 1.0f) * r[c] * dout[i];
	}
}

extern "C" void imb_nn_cuda_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta,
                                                    const float *dout, const float *inp,
                                                    const float *gamma, const float *run_mean,
                                                    const float *run_var, int N, int C,
                                                    int HW, float eps)
{
	if (N <= 0 || C <= 0 || HW <= 0 || (!dinp && !dgamma && !dbeta))
		return;
	size_t room = ((size_t)C * sizeof(float) + 255) & ~(size_t)255;
	float *r = (float *)imb_cuda_workspace(room + sums_bytes(N, C));   /* no growth below */
	k_rstd<<<blocks_for((size_t)C), THREADS, 0, imb_cuda.stream>>>(r, run_var, eps, C);
	IMB_CUDA_LAUNCHED();
	if (dgamma || dbeta) {
		const double *tot = chan_sums(room, dout, inp, run_mean, r, N, C, HW);
		k_dparams<<<blocks_for((size_t)C), THREADS, 0, imb_cuda.stream>>>(dgamma, dbeta, tot, C);
		IMB_CUDA_LAUNCHED();
	}
	if (dinp) {
		size_t n = (size_t)N * C * HW;
		k_dx_eval<<<blocks_for(n), THREADS, 0, imb_cuda.stream>>>(dinp, dout, gamma, r, C,
		                                                         (size_t)HW, n);
		IMB_CUDA_LAUNCHED();
	}
}
