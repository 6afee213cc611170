/* nn_backend_cuda.cu: the CUDA backend's table, start-up and own kernels.
 *
 * This file holds the global state (device, stream, cuBLAS and cuDNN
 * handles, the shared workspace), init, memory (alloc, upload, hold,
 * ...), and the ops of our own kernels: elementwise ops, pooling, the
 * softmax cross-entropy loss, the optimiser steps and the Philox fill.
 * gemm and convolution live in nn_cuda_dnn.cu, batch norm in
 * nn_cuda_bn.cu, the data ops and the tally in nn_cuda_data.cu, the
 * reductions (dot, sqnorm, axpy_norm, lars_scale) in nn_cuda_reduce.cu
 * (see nn_cuda.h).
 *
 * Every result is deterministic: no float atomics, and each reduction
 * adds in an order fixed by the sizes alone. Elementwise ops and the
 * optimiser steps round each operation as the CPU backend does
 * (explicit __fmul_rn/__fadd_rn, so nothing is fused into an FMA), and
 * so give the CPU's bits; so do sum_rows, the pooling ops, fill_normal
 * and the reductions. The loss uses the device's exp/log/pow, which may differ
 * from glibc's in the last bit. */
#include "nn_cuda.h"
#include "nn_cuda_graph.h"
#include "nn_maxpool.h"
#include "cli.h"
#include "philox.h"
#include "util.h"

#include <math.h>
#include <stdio.h>

imb_cuda_state imb_cuda = { .ordinal = -1, .stream = NULL, .blas = NULL, .dnn = NULL,
                            .sms = 0, .ws = NULL, .ws_bytes = 0 };

#define THREADS IMB_CUDA_THREADS     /* threads per block, a power of 2 */
#define BLAS_WS ((size_t)32 << 20)    /* cuBLAS's workspace */
#define LAUNCH IMB_CUDA_LAUNCH
#define GRID_LOOP IMB_GRID_LOOP
#define grid imb_cuda_grid

unsigned imb_cuda_grid(size_t n)
{
	size_t b = (n + THREADS - 1) / THREADS, cap = 8 * (size_t)(imb_cuda.sms > 0 ? imb_cuda.sms : 1);
	return (unsigned)(b == 0 ? 1 : b < cap ? b : cap);
}

/* ---------------------------------------------------------------- */
/* state, errors, workspace */

void imb_cuda_fail(const char *what, const char *msg)
{
	imb_die(1, "cuda: %s: %s", what, msg);
}

static void *dev_alloc(size_t bytes)
{
	void *p = NULL;
	cudaError_t e = cudaMalloc(&p, bytes ? bytes : 1);
	if (e != cudaSuccess) {
		char m[160];
		snprintf(m, sizeof m, "%s (%.3f GiB)", cudaGetErrorString(e),
		         bytes / (1024.0 * 1024.0 * 1024.0));
		imb_cuda_fail("cudaMalloc", m);
	}
	return p;
}

void *imb_cuda_workspace(size_t bytes)
{
	if (bytes <= imb_cuda.ws_bytes)
		return imb_cuda.ws;
	/* the graphs hold the workspace's address */
	if (imb_cuda_graph_mode == IMB_CUDA_CAPTURE)
		imb_cuda_fail("a recorded step", "the workspace grew while the step was captured "
		              "(IMB_CUDA_GRAPHS=0 runs without graphs)");
	imb_cuda_graphs_forget();
	if (imb_cuda.ws) {
		IMB_CUDA_CHECK(cudaStreamSynchronize(imb_cuda.stream));
		IMB_CUDA_CHECK(cudaFree(imb_cuda.ws));
		imb_cuda.ws = NULL;
		imb_cuda.ws_bytes = 0;
	}
	imb_cuda.ws = dev_alloc(bytes);
	imb_cuda.ws_bytes = bytes;
	return imb_cuda.ws;
}

/* ---------------------------------------------------------------- */
/* start-up */

static int cuda_init(int ordinal)
{
	if (imb_cuda.ordinal >= 0) {
		if (ordinal == imb_cuda.ordinal)
			return 0;
		return imb_seterr("device cuda:%d: the CUDA backend already runs on cuda:%d",
		                  ordinal, imb_cuda.ordinal);
	}
	int count = 0;
	cudaError_t e = cudaGetDeviceCount(&count);
	if (e != cudaSuccess || count == 0) {
		cudaGetLastError();
		const char *why = e == cudaSuccess || e == cudaErrorNoDevice ? "no CUDA device found" :
		                  e == cudaErrorInsufficientDriver ?
		                  "the NVIDIA driver is missing or older than this CUDA runtime" :
		                  cudaGetErrorString(e);
		return imb_seterr("device cuda: no usable GPU (%s)", why);
	}
	if (ordinal < 0 || ordinal >= count)
		return imb_seterr("device cuda:%d: this machine has %d GPU%s", ordinal, count,
		                  count == 1 ? "" : "s");
	cudaStream_t stream = NULL;
	cublasHandle_t blas = NULL;
	cudnnHandle_t dnn = NULL;
	int sms = 0;
	cublasStatus_t be;
	cudnnStatus_t de;
	if ((e = cudaSetDevice(ordinal)) != cudaSuccess ||
	    (e = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking)) != cudaSuccess ||
	    (e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, ordinal)) != cudaSuccess) {
		cudaGetLastError();
		if (stream)
			cudaStreamDestroy(stream);
		return imb_seterr("device cuda:%d: no usable GPU (%s)", ordinal, cudaGetErrorString(e));
	}
	if ((be = cublasCreate(&blas)) != CUBLAS_STATUS_SUCCESS ||
	    (be = cublasSetStream(blas, stream)) != CUBLAS_STATUS_SUCCESS) {
		if (blas)
			cublasDestroy(blas);
		cudaStreamDestroy(stream);
		return imb_seterr("device cuda:%d: cuBLAS (libcublas) did not start: %s", ordinal,
		                  cublasGetStatusString(be));
	}
	if ((de = cudnnCreate(&dnn)) != CUDNN_STATUS_SUCCESS ||
	    (de = cudnnSetStream(dnn, stream)) != CUDNN_STATUS_SUCCESS) {
		if (dnn)
			cudnnDestroy(dnn);
		cublasDestroy(blas);
		cudaStreamDestroy(stream);
		return imb_seterr("device cuda:%d: cuDNN (libcudnn) did not start: %s", ordinal,
		                  cudnnGetErrorString(de));
	}
	/* cuBLAS's workspace, fixed (its size is cuBLAS's own default on
	 * Hopper): a graph holds its address, and cuBLAS never allocates one
	 * while a step is captured */
	void *bws = NULL;
	if (cudaMalloc(&bws, BLAS_WS) != cudaSuccess ||
	    cublasSetWorkspace(blas, bws, BLAS_WS) != CUBLAS_STATUS_SUCCESS) {
		cudaGetLastError();
		if (bws)
			cudaFree(bws);
		cudnnDestroy(dnn);
		cublasDestroy(blas);
		cudaStreamDestroy(stream);
		return imb_seterr("device cuda:%d: cuBLAS's workspace (%d MiB) could not be set",
		                  ordinal, (int)(BLAS_WS >> 20));
	}
	imb_cuda.stream = stream;
	imb_cuda.blas = blas;
	imb_cuda.dnn = dnn;
	imb_cuda.sms = sms;
	imb_cuda.ordinal = ordinal;
	return 0;
}

/* the GPU needs no host threads */
static int cuda_set_precision(int p)
{
	if (p != imb_cuda_precision)
		imb_cuda_graphs_forget();   /* recorded in the other arithmetic */
	imb_cuda_precision = p;
	return 0;
}

static void cuda_set_threads(int n)
{
	(void)n;
}

/* ---------------------------------------------------------------- */
/* memory */

void *imb_nn_cuda_alloc(size_t bytes)
{
	return dev_alloc(bytes);
}

void imb_nn_cuda_free(void *p)
{
	if (p)
		IMB_CUDA_CHECK(cudaFree(p));
}

/* upload: nn_cuda_graph.cu, where a recorded step stages its bytes */

void imb_nn_cuda_download(void *dst, const void *src, size_t bytes)
{
	if (!bytes)
		return;
	IMB_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, imb_cuda.stream));
	IMB_CUDA_CHECK(cudaStreamSynchronize(imb_cuda.stream));
}

void imb_nn_cuda_copy(void *dst, const void *src, size_t bytes)
{
	if (bytes)
		IMB_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, imb_cuda.stream));
}

void imb_nn_cuda_zero(float *x, size_t n)
{
	if (n)
		IMB_CUDA_CHECK(cudaMemsetAsync(x, 0, n * sizeof(float), imb_cuda.stream));
}

const void *imb_nn_cuda_hold(const void *host, size_t bytes)
{
	void *p = dev_alloc(bytes);
	/* on the op stream, which does not wait for the legacy default one:
	 * a plain cudaMemcpy from pageable memory may return before its DMA
	 * lands, and a kernel (or a download) on the op stream then read
	 * stale bytes */
	if (bytes) {
		IMB_CUDA_CHECK(cudaMemcpyAsync(p, host, bytes, cudaMemcpyHostToDevice,
		                               imb_cuda.stream));
		IMB_CUDA_CHECK(cudaStreamSynchronize(imb_cuda.stream));
	}
	return p;
}

void imb_nn_cuda_release(const void *p)
{
	if (p) {
		/* ops on the stream may still read it */
		IMB_CUDA_CHECK(cudaStreamSynchronize(imb_cuda.stream));
		IMB_CUDA_CHECK(cudaFree((void *)p));
	}
}

/* ---------------------------------------------------------------- */
/* elementwise ops, each rounded as the CPU rounds it: y[i] = f(y[i], a[i],
 * b[i]) over n, y read only where the op reads it (RY), b only where it
 * has one (RB). Where every pointer is 16-byte aligned, four at a time
 * (float4 loads and stores), the last n % 4 one by one. out may alias a
 * or b: each element is read and written by one thread. */
template <bool RY, bool RB, typename F>
static __global__ void k_ew(float *y, const float *a, const float *b, size_t n, int vec, F f)
{
	size_t n4 = vec ? n / 4 : 0;
	GRID_LOOP(i, n4) {
		float4 va = ((const float4 *)a)[i], vb = va, vy = va;
		if (RB)
			vb = ((const float4 *)b)[i];
		if (RY)
			vy = ((const float4 *)y)[i];
		vy.x = f(vy.x, va.x, vb.x);
		vy.y = f(vy.y, va.y, vb.y);
		vy.z = f(vy.z, va.z, vb.z);
		vy.w = f(vy.w, va.w, vb.w);
		((float4 *)y)[i] = vy;
	}
	for (size_t i = 4 * n4 + blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	     i += (size_t)gridDim.x * blockDim.x)
		y[i] = f(RY ? y[i] : 0.0f, a[i], RB ? b[i] : 0.0f);
}

template <bool RY, bool RB, typename F>
static void ew(float *y, const float *a, const float *b, size_t n, F f)
{
	if (!n)
		return;
	int vec = !(((uintptr_t)y | (uintptr_t)a | (uintptr_t)b) & 15);
	LAUNCH((k_ew<RY, RB, F>), grid(vec ? (n + 3) / 4 : n), THREADS, y, a, b, n, vec, f);
}

struct f_relu { __device__ float operator()(float, float a, float) const { return a > 0 ? a : 0.0f; } };
/* dinp += dout * (out > 0): y dinp, a dout, b out */
struct f_relu_back {
	__device__ float operator()(float y, float a, float b) const { return __fadd_rn(y, b > 0 ? a : 0.0f); }
};
struct f_add { __device__ float operator()(float, float a, float b) const { return __fadd_rn(a, b); } };
struct f_mul { __device__ float operator()(float, float a, float b) const { return __fmul_rn(a, b); } };
struct f_mul_acc {
	__device__ float operator()(float y, float a, float b) const { return __fadd_rn(y, __fmul_rn(a, b)); }
};
/* alpha, or *at where the value was staged (imb_cuda_staged) */
struct f_axpy {
	float alpha;
	const float *at;
	__device__ float operator()(float y, float a, float) const
	{
		return __fadd_rn(y, __fmul_rn(at ? *at : alpha, a));
	}
};
struct f_scale {
	float alpha;
	__device__ float operator()(float, float a, float) const { return __fmul_rn(a, alpha); }
};

static __global__ void k_add_bias(float *out, const float *inp, const float *b, size_t n, int Cn)
{
	GRID_LOOP(i, n) {
		float bj = b[i % Cn];
		out[i] = inp ? __fadd_rn(inp[i], bj) : bj;
	}
}

/* column j: blocks of 8 rows summed in float in row order, each block
 * added into a double (the CPU's order) */
static __global__ void k_sum_rows(float *db, const float *dout, int R, int Cn)
{
	GRID_LOOP(j, (size_t)Cn) {
		double s = 0;
		for (int r0 = 0; r0 < R; r0 += 8) {
			int r1 = R - r0 < 8 ? R : r0 + 8;
			float f = dout[(size_t)r0 * Cn + j];
			for (int r = r0 + 1; r < r1; r++)
				f = __fadd_rn(f, dout[(size_t)r * Cn + j]);
			s = __dadd_rn(s, (double)f);
		}
		db[j] = __fadd_rn(db[j], (float)s);
	}
}

void imb_nn_cuda_relu_forward(float *out, const float *inp, size_t n)
{
	ew<false, false>(out, inp, NULL, n, f_relu());
}

void imb_nn_cuda_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
	ew<true, true>(dinp, dout, out, n, f_relu_back());
}

void imb_nn_cuda_add(float *out, const float *a, const float *b, size_t n)
{
	ew<false, true>(out, a, b, n, f_add());
}

void imb_nn_cuda_axpy(float *y, float alpha, const float *x, size_t n)
{
	/* alpha moves with the step in SGHMC: staged in a recorded one */
	const float *at = (const float *)imb_cuda_staged(&alpha, sizeof alpha);
	if (imb_cuda_graph_mode != IMB_CUDA_REPLAY)
		ew<true, false>(y, x, NULL, n, f_axpy{alpha, at});
}

void imb_nn_cuda_mul(float *out, const float *a, const float *b, size_t n)
{
	ew<false, true>(out, a, b, n, f_mul());
}

void imb_nn_cuda_mul_acc(float *y, const float *a, const float *b, size_t n)
{
	ew<true, true>(y, a, b, n, f_mul_acc());
}

void imb_nn_cuda_scale(float *x, float alpha, size_t n)
{
	ew<false, false>(x, x, NULL, n, f_scale{alpha});
}

void imb_nn_cuda_add_bias(float *out, const float *inp, const float *b, int R, int Cn)
{
	size_t n = (size_t)R * Cn;
	if (n)
		LAUNCH(k_add_bias, grid(n), THREADS, out, inp, b, n, Cn);
}

void imb_nn_cuda_sum_rows(float *db, const float *dout, int R, int Cn)
{
	if (Cn > 0)
		LAUNCH(k_sum_rows, grid((size_t)Cn), THREADS, db, dout, R, Cn);
}

/* ---------------------------------------------------------------- */
/* pooling */

/* Images are NHWC here (nn_cuda_dnn.cu's images_in): element (n, c, h,
 * w) at ((n H + h) W + w) C + c; of type I, float or (in bf16) bf16
 * (nn_cuda.h); their gradients float. */

/* one thread per output (n, oh, ow, c), NHWC order; the first largest
 * value wins, a NaN at once */
template <typename I>
static __global__ void k_maxpool(I *out, int32_t *argmax, const I *inp, int C, int H, int W,
                                 int K, int stride, int pad, int OH, int OW, size_t n)
{
	GRID_LOOP(o, n) {
		int c = (int)(o % C);
		size_t pix = o / C;
		int ow = (int)(pix % OW), oh = (int)(pix / OW % OH);
		const I *x = inp + pix / ((size_t)OH * OW) * H * W * C + c;
		int32_t at;
		float best = imb_nn_maxpool_window(x, H, W, K, stride, pad, oh, ow, C, &at);
		put(out + o, best);
		argmax[o] = at;
	}
}

/* one thread per (n,c) plane, its outputs in order: windows may overlap,
 * and then the sums into an input element keep the CPU's order */
static __global__ void k_maxpool_back(float *dinp, const float *dout, const int32_t *argmax,
                                      int C, size_t planes, int HW, int OHW)
{
	GRID_LOOP(p, planes) {
		size_t n = p / C, c = p % C;
		float *d = dinp + n * HW * C + c;
		const float *g = dout + n * OHW * C + c;
		const int32_t *a = argmax + n * OHW * C + c;
		for (int i = 0; i < OHW; i++) {
			int32_t at = a[(size_t)i * C];
			if (at >= 0)
				d[(size_t)at * C] = __fadd_rn(d[(size_t)at * C], g[(size_t)i * C]);
		}
	}
}

/* one thread per (n,c): its HW values in order, in double */
template <typename I>
static __global__ void k_avgpool(float *out, const I *inp, int C, int HW, size_t NC)
{
	GRID_LOOP(p, NC) {
		const I *x = inp + p / C * HW * C + p % C;
		double s = 0;
		for (int i = 0; i < HW; i++)
			s = __dadd_rn(s, (double)widen(x[(size_t)i * C]));
		out[p] = (float)__ddiv_rn(s, (double)HW);
	}
}

static __global__ void k_avgpool_back(float *dinp, const float *dout, int C, int HW, size_t n)
{
	GRID_LOOP(i, n)
		dinp[i] = __fadd_rn(dinp[i], __fdiv_rn(dout[i / ((size_t)HW * C) * C + i % C],
		                                      (float)HW));
}

void imb_nn_cuda_maxpool_forward(float *out, int32_t *argmax, const float *inp, int N, int C,
                                 int H, int W, int K, int stride, int pad)
{
	int OH = (H + 2 * pad - K) / stride + 1, OW = (W + 2 * pad - K) / stride + 1;
	size_t n = (size_t)N * C * OH * OW;
	if (n)
		IMB_CUDA_BY_IMAGES(I, LAUNCH(k_maxpool<I>, grid(n), THREADS, (I *)out, argmax,
		                             (const I *)inp, C, H, W, K, stride, pad, OH, OW, n));
}

void imb_nn_cuda_maxpool_backward(float *dinp, const float *dout, const int32_t *argmax,
                                  int N, int C, int H, int W, int OH, int OW)
{
	size_t planes = (size_t)N * C;
	if (planes && OH > 0 && OW > 0)
		LAUNCH(k_maxpool_back, grid(planes), THREADS, dinp, dout, argmax, C, planes, H * W,
		       OH * OW);
}

void imb_nn_cuda_avgpool_forward(float *out, const float *inp, int N, int C, int HW)
{
	size_t nc = (size_t)N * C;
	if (nc && HW > 0)
		IMB_CUDA_BY_IMAGES(I, LAUNCH(k_avgpool<I>, grid(nc), THREADS, out, (const I *)inp, C,
		                             HW, nc));
}

void imb_nn_cuda_avgpool_backward(float *dinp, const float *dout, int N, int C, int HW)
{
	size_t n = (size_t)N * C * HW;
	if (n)
		LAUNCH(k_avgpool_back, grid(n), THREADS, dinp, dout, C, HW, n);
}

/* ---------------------------------------------------------------- */
/* fixed-order sums in one block */

/* the block's values summed by a fixed tree (blockDim.x == THREADS);
 * every thread gets the sum */
static __device__ double block_sum(double v)
{
	__shared__ double sh[THREADS];
	sh[threadIdx.x] = v;
	__syncthreads();
	for (int s = THREADS / 2; s > 0; s >>= 1) {
		if ((int)threadIdx.x < s)
			sh[threadIdx.x] = __dadd_rn(sh[threadIdx.x], sh[threadIdx.x + s]);
		__syncthreads();
	}
	double r = sh[0];
	__syncthreads();
	return r;
}

/* ---------------------------------------------------------------- */
/* rows to unit length: one block a row, sums by block_sum */

static __global__ void k_l2norm(float *out, float *norm, const float *inp, int R, int Cn)
{
	for (int r = blockIdx.x; r < R; r += gridDim.x) {
		const float *x = inp + (size_t)r * Cn;
		double s = 0;
		for (int j = threadIdx.x; j < Cn; j += blockDim.x)
			s = __dadd_rn(s, __dmul_rn((double)x[j], (double)x[j]));
		double n = sqrt(block_sum(s));
		if (n < 1e-12)
			n = 1e-12;
		if (threadIdx.x == 0)
			norm[r] = (float)n;
		float *o = out + (size_t)r * Cn;
		for (int j = threadIdx.x; j < Cn; j += blockDim.x)
			o[j] = (float)__ddiv_rn((double)x[j], n);
	}
}

static __global__ void k_l2norm_back(float *dinp, const float *dout, const float *out,
                                     const float *norm, int R, int Cn)
{
	for (int r = blockIdx.x; r < R; r += gridDim.x) {
		const float *g = dout + (size_t)r * Cn, *y = out + (size_t)r * Cn;
		double s = 0;
		for (int j = threadIdx.x; j < Cn; j += blockDim.x)
			s = __dadd_rn(s, __dmul_rn((double)y[j], (double)g[j]));
		s = block_sum(s);
		double in = 1.0 / (double)norm[r];
		float *d = dinp + (size_t)r * Cn;
		for (int j = threadIdx.x; j < Cn; j += blockDim.x)
			d[j] = (float)((double)d[j] + ((double)g[j] - (double)y[j] * s) * in);
	}
}

void imb_nn_cuda_l2norm_rows(float *out, float *norm, const float *inp, int R, int Cn)
{
	if (R > 0 && Cn > 0)
		LAUNCH(k_l2norm, R < 65535 ? R : 65535, THREADS, out, norm, inp, R, Cn);
}

void imb_nn_cuda_l2norm_rows_backward(float *dinp, const float *dout, const float *out,
                                      const float *norm, int R, int Cn)
{
	if (R > 0 && Cn > 0)
		LAUNCH(k_l2norm_back, R < 65535 ? R : 65535, THREADS, dinp, dout, out, norm, R, Cn);
}

/* ---------------------------------------------------------------- */
/* softmax cross-entropy family: one thread per sample, in double, the
 * CPU's formulas and order (see imb_nn_cpu_xent) */

/* z'_j = scale (z_j + adjust_j - [j == t] margin_t) */
static __device__ double xent_z(const float *z, int j, int t, const imb_nn_xent &c)
{
	double v = (double)z[j];
	if (c.adjust)
		v = __dadd_rn(v, (double)c.adjust[j]);
	if (c.margin && j == t)
		v = __dadd_rn(v, -(double)c.margin[t]);
	return __dmul_rn((double)c.scale, v);
}

/* norm[0] = 1 / sum_i weight_{y_i} (0 when that is not positive) */
static __global__ void k_xent_norm(double *norm, const int32_t *y, int N, const float *weight)
{
	double s = 0;
	for (int i = threadIdx.x; i < N; i += THREADS)
		s = __dadd_rn(s, weight ? (double)weight[y[i]] : 1.0);
	s = block_sum(s);
	if (threadIdx.x == 0)
		norm[0] = s > 0 ? __ddiv_rn(1.0, s) : 0.0;
}

/* wl[i] = weight_y l_i (for the batch loss); dlogits and losses when asked */
static __global__ void k_xent(float *dlogits, float *losses, double *wl, const double *norm,
                       const float *logits, const int32_t *y, int N, imb_nn_xent c)
{
	int K = c.K;
	double gamma = c.gamma, scale = c.scale;
	GRID_LOOP(i, (size_t)N) {
		const float *z = logits + i * K;
		int t = y[i];
		double zmax = -INFINITY;
		for (int j = 0; j < K; j++) {
			double v = xent_z(z, j, t, c);
			if (v > zmax)
				zmax = v;
		}
		double s = 0;
		for (int j = 0; j < K; j++)
			s = __dadd_rn(s, exp(__dadd_rn(xent_z(z, j, t, c), -zmax)));
		double zt = __dadd_rn(xent_z(z, t, t, c), -zmax);
		double logp = __dadd_rn(zt, -log(s));
		double w = c.weight ? (double)c.weight[t] : 1.0;
		double l = __dmul_rn(-logp, gamma != 0 ? pow(__dadd_rn(1.0, -exp(logp)), gamma) : 1.0);
		if (losses)
			losses[i] = (float)l;
		if (wl)
			wl[i] = __dmul_rn(w, l);
		if (!dlogits)
			continue;
		double pt = __ddiv_rn(exp(zt), s), cc = 1;
		if (gamma != 0) {
			double q = __dadd_rn(1.0, -pt);
			cc = pow(q, gamma);
			if (q > 0)
				cc = __dadd_rn(cc, -__dmul_rn(__dmul_rn(__dmul_rn(gamma, pow(q, gamma - 1)),
				                                        pt), log(pt)));
		}
		double k = __dmul_rn(__dmul_rn(__dmul_rn(w, norm[0]), scale), cc);
		float *dz = dlogits + i * K;
		for (int j = 0; j < K; j++) {
			double p = __ddiv_rn(exp(__dadd_rn(xent_z(z, j, t, c), -zmax)), s);
			dz[j] = (float)__dmul_rn(k, j == t ? __dadd_rn(p, -1.0) : p);
		}
	}
}

/* loss[0] = sum_i wl[i] * norm, the sum in a fixed order */
static __global__ void k_xent_loss(float *loss, const double *wl, const double *norm, int N)
{
	double s = 0;
	for (int i = threadIdx.x; i < N; i += THREADS)
		s = __dadd_rn(s, wl[i]);
	s = block_sum(s);
	if (threadIdx.x == 0)
		loss[0] = (float)__dmul_rn(s, norm[0]);
}

void imb_nn_cuda_xent(float *dlogits, float *losses, float *loss, const float *logits,
                      const int32_t *y, int N, const imb_nn_xent *cfg)
{
	if (!dlogits && !losses && !loss)
		return;
	/* workspace: the normaliser, then N weighted losses */
	double *norm = (double *)imb_cuda_workspace((1 + (size_t)(N > 0 ? N : 0)) * sizeof(double));
	double *wl = loss ? norm + 1 : NULL;
	if (dlogits || loss)
		LAUNCH(k_xent_norm, 1, THREADS, norm, y, N, cfg->weight);
	if (N > 0)
		LAUNCH(k_xent, grid((size_t)N), THREADS, dlogits, losses, wl, norm, logits, y, N, *cfg);
	if (loss)
		LAUNCH(k_xent_loss, 1, THREADS, loss, wl, norm, N);
}

/* ---------------------------------------------------------------- */
/* ---------------------------------------------------------------- */
/* optimiser steps: the CPU's float arithmetic, operation by operation */

/* The per-step values: as arguments (kv), or, in a step recorded as a
 * graph, from where imb_cuda_staged put them (kp), so that each replay
 * takes its own step's lr */
typedef struct { float lr, mom, omd, wd; } sgd_k;
typedef struct { float decay, b1, omb1, b2, omb2, bc2_sqrt, step_size, eps; } adamw_k;

/* mode 0: no momentum, 1: first step (buf = g), 2: buf = mom buf + (1 - damp) g */
static __global__ void k_sgd(float *p, float *buf, const float *grad, size_t n, sgd_k kv,
                             const sgd_k *kp, int has_wd, int mode, int nest)
{
	sgd_k k = kp ? *kp : kv;
	float lr = k.lr, mom = k.mom, omd = k.omd, wd = k.wd;
	GRID_LOOP(i, n) {
		float g = grad[i], pi = p[i];
		if (has_wd)
			g = __fadd_rn(g, __fmul_rn(wd, pi));
		if (mode) {
			float b = mode == 1 ? g : __fadd_rn(__fmul_rn(mom, buf[i]), __fmul_rn(omd, g));
			buf[i] = b;
			g = nest ? __fadd_rn(g, __fmul_rn(mom, b)) : b;
		}
		p[i] = __fsub_rn(pi, __fmul_rn(lr, g));
	}
}

static __global__ void k_adamw(float *p, float *m, float *v, const float *grad, size_t n,
                               adamw_k kv, const adamw_k *kp)
{
	adamw_k k = kp ? *kp : kv;
	float decay = k.decay, b1 = k.b1, omb1 = k.omb1, b2 = k.b2, omb2 = k.omb2;
	float bc2_sqrt = k.bc2_sqrt, step_size = k.step_size, eps = k.eps;
	GRID_LOOP(i, n) {
		float g = grad[i];
		float pi = __fmul_rn(p[i], decay);
		float mi = __fadd_rn(__fmul_rn(b1, m[i]), __fmul_rn(omb1, g));
		float vi = __fadd_rn(__fmul_rn(b2, v[i]), __fmul_rn(__fmul_rn(omb2, g), g));
		m[i] = mi;
		v[i] = vi;
		float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2_sqrt), eps);
		p[i] = __fsub_rn(pi, __fdiv_rn(__fmul_rn(step_size, mi), denom));
	}
}

void imb_nn_cuda_sgd_step(float *param, float *buf, const float *grad, size_t P,
                          const imb_nn_sgd_hp *hp, int first)
{
	if (!P)
		return;
	float mom = hp->momentum, wd = hp->weight_decay;
	float omd = 1.0f - hp->dampening;
	int mode = mom == 0 ? 0 : first ? 1 : 2;
	sgd_k k = { hp->lr, mom, omd, wd };
	const sgd_k *dk = (const sgd_k *)imb_cuda_staged(&k, sizeof k);
	if (imb_cuda_graph_mode == IMB_CUDA_REPLAY)
		return;   /* staged for the step's graph, which runs the kernel */
	LAUNCH(k_sgd, grid(P), THREADS, param, buf, grad, P, k, dk, wd != 0, mode,
	       hp->nesterov != 0);
}

void imb_nn_cuda_adamw_step(float *param, float *m, float *v, const float *grad, size_t P,
                            const imb_nn_adamw_hp *hp)
{
	if (!P)
		return;
	/* the host side as the CPU computes it */
	double bc1 = 1 - pow(hp->beta1, (double)hp->step);
	double bc2 = 1 - pow(hp->beta2, (double)hp->step);
	float step_size = (float)(hp->lr / bc1);
	float bc2_sqrt = (float)sqrt(bc2);
	float lrwd = hp->lr * hp->weight_decay;
	float decay = 1 - lrwd;
	adamw_k k = { decay, hp->beta1, 1 - hp->beta1, hp->beta2, 1 - hp->beta2, bc2_sqrt,
	              step_size, hp->eps };
	const adamw_k *dk = (const adamw_k *)imb_cuda_staged(&k, sizeof k);
	if (imb_cuda_graph_mode == IMB_CUDA_REPLAY)
		return;
	LAUNCH(k_adamw, grid(P), THREADS, param, m, v, grad, P, k, dk);
}

/* ---------------------------------------------------------------- */
/* Philox normal fill: one thread per pair of elements (one Philox block) */

/* the draw: as arguments, or staged (SGHMC's moves with the step) */
typedef struct { double mean, std; uint64_t seed, counter; } draw_k;

static __global__ void k_fill_normal(float *x, size_t n, draw_k kv, const draw_k *kp)
{
	draw_k k = kp ? *kp : kv;
	GRID_LOOP(b, (n + 1) / 2) {
		double z[2];
		imb_philox_normal2(z, k.seed, k.counter, b);
		x[2 * b] = imb_philox_affine(k.mean, k.std, z[0]);
		if (2 * b + 1 < n)
			x[2 * b + 1] = imb_philox_affine(k.mean, k.std, z[1]);
	}
}

void imb_nn_cuda_fill_normal(float *x, size_t n, float mean, float std, uint64_t seed,
                             uint64_t counter)
{
	if (!n)
		return;
	draw_k k = { (double)mean, (double)std, seed, counter };
	const draw_k *dk = (const draw_k *)imb_cuda_staged(&k, sizeof k);
	if (imb_cuda_graph_mode != IMB_CUDA_REPLAY)
		LAUNCH(k_fill_normal, grid((n + 1) / 2), THREADS, x, n, k, dk);
}

/* ---------------------------------------------------------------- */
/* the table */

/* each op through the recorder of steps (nn_cuda_graph.h) */
#define CUDA_OP_(name, ret, args) \
	.name = imb_cuda_recorded<IMB_NN_OP_##name, decltype(imb_nn_cuda_##name), \
	                          imb_nn_cuda_##name>::call,
extern "C" const imb_nn_backend imb_nn_backend_cuda = {
	.name = "cuda",
	.init = cuda_init,
	.set_threads = cuda_set_threads,
	.set_precision = cuda_set_precision,
	.mark_step = imb_cuda_mark_step,
	IMB_NN_OPS(CUDA_OP_)
};
