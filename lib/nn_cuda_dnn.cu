/* nn_cuda_dnn.cu: the CUDA backend's library-backed ops.
 *
 *   gemm                      cuBLAS (cublasGemmEx), row-major through the
 *                             column-major trick
 *   conv2d_forward/backward   cuDNN's convolution (NCHW, cross-correlation);
 *                             the bias and its gradient with own kernels
 *                             (the gradient: nn_cuda_bn.cu's channel sums)
 *
 * Precision (imb_cuda_precision, read at every op):
 *   0  fp32 strict (default): cuBLAS CUBLAS_COMPUTE_32F_PEDANTIC, cuDNN
 *      CUDNN_FMA_MATH; no TF32, no tensor cores.
 *   1  TF32: cuBLAS CUBLAS_COMPUTE_32F_FAST_TF32, cuDNN
 *      CUDNN_TENSOR_OP_MATH on float tensors (inputs of products rounded
 *      to TF32, sums in fp32).
 *   2  bf16: cuBLAS CUBLAS_COMPUTE_32F_FAST_16BF on float operands (cuBLAS
 *      rounds A and B to bf16, or to TF32 where it chooses, sums in fp32).
 *      Convolutions run on bf16 tensors (cuDNN's PSEUDO_BFLOAT16 config,
 *      fp32 accumulation): inp, w and dout are rounded to bf16 (round to
 *      nearest even) into the workspace; the conv's result (out, or the
 *      dinp / dw increment) comes back as bf16 and is widened to float
 *      before the bias is added or the gradient accumulated. The bias and
 *      db stay fp32 (db sums the fp32 dout).
 * Batch norm (nn_cuda_bn.cu) is fp32 in every mode.
 *
 * Algorithms: chosen once per (shape, precision, direction) from cuDNN's
 * heuristics (cudnnGet*_v7), not from timed runs, so that the choice, and
 * with it the bits, is the same from run to run on one device and
 * library version: the first result, in cuDNN's order of expected speed,
 * that succeeds, is CUDNN_DETERMINISTIC, fits CONV_WS_MAX and, in strict
 * mode, does not use tensor cores (it then runs with CUDNN_FMA_MATH).
 * Should none be deterministic the first usable one is taken and a
 * warning printed once. Descriptors and choices live in a small cache
 * (CONV_CACHE entries, reused round-robin).
 *
 * The convolution and batch-norm calls are cuDNN 9's legacy API, all of
 * it marked deprecated there; cuDNN only says so when CUDNN_WARN_DEPRECATED
 * is defined, which the build does not do.
 *
 * No op waits for the stream. */
#include "nn_cuda.h"

#include <cuda_bf16.h>
#include <stdio.h>
#include <string.h>

/* The precision mode above: 0 fp32 strict, 1 TF32, 2 bf16. Set by the
 * tool before training; read by gemm and the convolutions at every call
 * (the descriptor cache keys on it). */
int imb_cuda_precision = IMB_NN_FP32;

#define CONV_CACHE 64
#define CONV_WS_MAX ((size_t)1 << 30)  /* largest workspace an algorithm may ask */
#define THREADS IMB_CUDA_THREADS       /* block size of every kernel here */
#define GRID_LOOP IMB_GRID_LOOP
#define blocks_for imb_cuda_grid

static int precision(void)
{
	int p = imb_cuda_precision;
	return p == 1 || p == 2 ? p : 0;
}

/* workspace pieces start on 256-byte boundaries */
static size_t up256(size_t b)
{
	return (b + 255) & ~(size_t)255;
}

/* ------------------------------------------------------------ kernels */

__global__ void k_to_bf16(__nv_bfloat16 *d, const float *s, size_t n)
{
	GRID_LOOP(i, n)
		d[i] = __float2bfloat16_rn(s[i]);
}

/* out (N,C,plane) = y widened + b[c] (b may be NULL); acc: out += that */
__global__ void k_from_bf16(float *out, const __nv_bfloat16 *y, const float *b, int C,
                            size_t plane, size_t n, int acc)
{
	GRID_LOOP(i, n) {
		float v = __bfloat162float(y[i]);
		if (b)
			v += b[(i / plane) % C];
		out[i] = acc ? out[i] + v : v;
	}
}

/* out (N,C,plane) += b[c] */
__global__ void k_bias_add(float *out, const float *b, int C, size_t plane, size_t n)
{
	GRID_LOOP(i, n)
		out[i] += b[(i / plane) % C];
}

static void to_bf16(__nv_bfloat16 *d, const float *s, size_t n)
{
	k_to_bf16<<<blocks_for(n), THREADS, 0, imb_cuda.stream>>>(d, s, n);
	IMB_CUDA_LAUNCHED();
}

static void from_bf16(float *out, const __nv_bfloat16 *y, const float *b, int C, size_t plane,
                      size_t n, int acc)
{
	k_from_bf16<<<blocks_for(n), THREADS, 0, imb_cuda.stream>>>(out, y, b, C, plane, n, acc);
	IMB_CUDA_LAUNCHED();
}

/* ------------------------------------------------------------ gemm */

/* Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: a
 * row-major matrix read column-major is its transpose, so cuBLAS gets B
 * first, then A, with m = N, n = M. */
extern "C" void imb_nn_cuda_gemm(int ta, int tb, int M, int N, int K, float alpha,
                                 const float *A, int lda, const float *B, int ldb,
                                 float beta, float *C, int ldc)
{
	static const cublasComputeType_t compute[3] = {
		CUBLAS_COMPUTE_32F_PEDANTIC, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_COMPUTE_32F_FAST_16BF
	};
	if (M <= 0 || N <= 0)
		return;
	if (K <= 0) {
		/* C = beta C (cuBLAS reads neither A nor B, but checks their
		 * leading dimensions) */
		K = 0;
		lda = lda > M ? lda : M > 1 ? M : 1;
		ldb = ldb > N ? ldb : N > 1 ? N : 1;
	}
	IMB_CUBLAS_CHECK(cublasGemmEx(imb_cuda.blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
	                              ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha,
	                              B, CUDA_R_32F, ldb, A, CUDA_R_32F, lda, &beta,
	                              C, CUDA_R_32F, ldc, compute[precision()],
	                              CUBLAS_GEMM_DEFAULT));
}

/* ------------------------------------------------------------ convolution */

enum { FWD = 1, BWD_DATA = 2, BWD_FILTER = 4 };

typedef struct {
	imb_nn_conv2d_shape s;
	int prec;
	int chosen;                      /* FWD | BWD_DATA | BWD_FILTER picked */
	cudnnTensorDescriptor_t x, y;
	cudnnFilterDescriptor_t w;
	cudnnConvolutionDescriptor_t conv;
	cudnnConvolutionFwdAlgo_t fwd;
	cudnnConvolutionBwdDataAlgo_t bwd_data;
	cudnnConvolutionBwdFilterAlgo_t bwd_filter;
	cudnnMathType_t fwd_math, data_math, filter_math;
	size_t fwd_ws, data_ws, filter_ws;
} conv_entry;

static conv_entry conv_cache[CONV_CACHE];
static int conv_used, conv_next;

static int same_shape(const imb_nn_conv2d_shape *a, const imb_nn_conv2d_shape *b)
{
	return a->N == b->N && a->C == b->C && a->H == b->H && a->W == b->W &&
	       a->OC == b->OC && a->KH == b->KH && a->KW == b->KW &&
	       a->stride == b->stride && a->pad == b->pad;
}

/* The cache entry for shape s at the current precision, its descriptors
 * set (algorithms are picked by the callers, once per direction). */
static conv_entry *conv_get(const imb_nn_conv2d_shape *s)
{
	int prec = precision();
	for (int i = 0; i < conv_used; i++)
		if (conv_cache[i].prec == prec && same_shape(&conv_cache[i].s, s))
			return &conv_cache[i];
	conv_entry *e;
	if (conv_used < CONV_CACHE) {
		e = &conv_cache[conv_used++];
		IMB_CUDNN_CHECK(cudnnCreateTensorDescriptor(&e->x));
		IMB_CUDNN_CHECK(cudnnCreateTensorDescriptor(&e->y));
		IMB_CUDNN_CHECK(cudnnCreateFilterDescriptor(&e->w));
		IMB_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&e->conv));
	} else {                         /* full: reuse the oldest's descriptors */
		e = &conv_cache[conv_next];
		conv_next = (conv_next + 1) % CONV_CACHE;
	}
	e->s = *s;
	e->prec = prec;
	e->chosen = 0;
	cudnnDataType_t t = prec == 2 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
	IMB_CUDNN_CHECK(cudnnSetTensor4dDescriptor(e->x, CUDNN_TENSOR_NCHW, t, s->N, s->C,
	                                           s->H, s->W));
	IMB_CUDNN_CHECK(cudnnSetTensor4dDescriptor(e->y, CUDNN_TENSOR_NCHW, t, s->N, s->OC,
	                                           s->OH, s->OW));
	IMB_CUDNN_CHECK(cudnnSetFilter4dDescriptor(e->w, t, CUDNN_TENSOR_NCHW, s->OC, s->C,
	                                           s->KH, s->KW));
	/* products summed in fp32 in every mode */
	IMB_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(e->conv, s->pad, s->pad, s->stride,
	                                                s->stride, 1, 1,
	                                                CUDNN_CROSS_CORRELATION,
	                                                CUDNN_DATA_FLOAT));
	IMB_CUDNN_CHECK(cudnnSetConvolutionMathType(e->conv, prec == 0 ? CUDNN_FMA_MATH
	                                                               : CUDNN_TENSOR_OP_MATH));
	int n, c, h, w;
	IMB_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(e->conv, e->x, e->w, &n, &c, &h, &w));
	if (n != s->N || c != s->OC || h != s->OH || w != s->OW)
		imb_cuda_fail("conv2d", "cuDNN's output shape differs from imb_nn_conv2d_shape");
	return e;
}

/* index of the result to use in p[0 .. n) (cuDNN's order: fastest
 * expected first), see the top of the file */
/* the math type to run a picked result with: strict mode always
 * CUDNN_FMA_MATH (CUDNN_DEFAULT_MATH would allow TF32 on float data) */
static cudnnMathType_t conv_math(int prec, cudnnMathType_t m)
{
	return prec == 0 ? CUDNN_FMA_MATH : m;
}

/* IMB_CUDNN_FIND=1: algorithms chosen by timing them (cudnnFind*), the
 * fastest deterministic one; a choice that may differ between runs */
static int timed(void)
{
	static int t = -1;
	if (t < 0) {
		const char *v = getenv("IMB_CUDNN_FIND");
		t = v && *v && strcmp(v, "0");
	}
	return t;
}

template <typename Perf>
static int pick(const Perf *p, int n, int prec, const char *what)
{
	static int warned;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			if (p[i].status != CUDNN_STATUS_SUCCESS || p[i].memory > CONV_WS_MAX)
				continue;
			if (prec == 0 && p[i].mathType != CUDNN_FMA_MATH &&
			    p[i].mathType != CUDNN_DEFAULT_MATH)
				continue;
			if (pass == 0 && p[i].determinism != CUDNN_DETERMINISTIC)
				continue;
			if (pass == 1 && !warned) {
				warned = 1;
				fprintf(stderr, "imb: cuda: no deterministic cuDNN algorithm for a "
				        "convolution's %s; results may vary from run to run\n", what);
			}
			return i;
		}
	imb_cuda_fail(what, "cuDNN offers no usable convolution algorithm");
	return 0;
}

static void choose_fwd(conv_entry *e)
{
	if (e->chosen & FWD)
		return;
	cudnnConvolutionFwdAlgoPerf_t p[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
	int n = 0;
	if (timed())
		IMB_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(imb_cuda.dnn, e->x, e->w, e->conv, e->y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, p));
	else
		IMB_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
			imb_cuda.dnn, e->x, e->w, e->conv, e->y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, p));
	int i = pick(p, n, e->prec, "forward");
	e->fwd = p[i].algo;
	e->fwd_math = conv_math(e->prec, p[i].mathType);
	IMB_CUDNN_CHECK(cudnnSetConvolutionMathType(e->conv, e->fwd_math));
	IMB_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(imb_cuda.dnn, e->x, e->w,
	                                                        e->conv, e->y, e->fwd, &e->fwd_ws));
	e->chosen |= FWD;
}

static void choose_bwd_data(conv_entry *e)
{
	if (e->chosen & BWD_DATA)
		return;
	cudnnConvolutionBwdDataAlgoPerf_t p[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
	int n = 0;
	if (timed())
		IMB_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(imb_cuda.dnn, e->w, e->y, e->conv, e->x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n, p));
	else
		IMB_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
			imb_cuda.dnn, e->w, e->y, e->conv, e->x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
			&n, p));
	int i = pick(p, n, e->prec, "backward data");
	e->bwd_data = p[i].algo;
	e->data_math = conv_math(e->prec, p[i].mathType);
	IMB_CUDNN_CHECK(cudnnSetConvolutionMathType(e->conv, e->data_math));
	IMB_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
		imb_cuda.dnn, e->w, e->y, e->conv, e->x, e->bwd_data, &e->data_ws));
	e->chosen |= BWD_DATA;
}

static void choose_bwd_filter(conv_entry *e)
{
	if (e->chosen & BWD_FILTER)
		return;
	cudnnConvolutionBwdFilterAlgoPerf_t p[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
	int n = 0;
	if (timed())
		IMB_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(imb_cuda.dnn, e->x, e->y, e->conv, e->w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &n, p));
	else
		IMB_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
			imb_cuda.dnn, e->x, e->y, e->conv, e->w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
			&n, p));
	int i = pick(p, n, e->prec, "backward filter");
	e->bwd_filter = p[i].algo;
	e->filter_math = conv_math(e->prec, p[i].mathType);
	IMB_CUDNN_CHECK(cudnnSetConvolutionMathType(e->conv, e->filter_math));
	IMB_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(
		imb_cuda.dnn, e->x, e->y, e->conv, e->w, e->bwd_filter, &e->filter_ws));
	e->chosen |= BWD_FILTER;
}

static size_t conv_nx(const imb_nn_conv2d_shape *s)
{
	return (size_t)s->N * s->C * s->H * s->W;
}

static size_t conv_nw(const imb_nn_conv2d_shape *s)
{
	return (size_t)s->OC * s->C * s->KH * s->KW;
}

static size_t conv_ny(const imb_nn_conv2d_shape *s)
{
	return (size_t)s->N * s->OC * s->OH * s->OW;
}

extern "C" void imb_nn_cuda_conv2d_forward(float *out, const float *inp, const float *w,
                                           const float *b, const imb_nn_conv2d_shape *s)
{
	static const float one = 1, zero = 0;
	conv_entry *e = conv_get(s);
	choose_fwd(e);
	size_t ny = conv_ny(s), plane = (size_t)s->OH * s->OW;
	IMB_CUDNN_CHECK(cudnnSetConvolutionMathType(e->conv, e->fwd_math));
	if (e->prec != 2) {
		void *ws = imb_cuda_workspace(e->fwd_ws);
		IMB_CUDNN_CHECK(cudnnConvolutionForward(imb_cuda.dnn, &one, e->x, inp, e->w, w,
		                                        e->conv, e->fwd, ws, e->fwd_ws, &zero,
		                                        e->y, out));
		if (b) {
			k_bias_add<<<blocks_for(ny), THREADS, 0, imb_cuda.stream>>>(out, b, s->OC,
			                                                            plane, ny);
			IMB_CUDA_LAUNCHED();
		}
		return;
	}
	/* bf16: [x | w | y | cuDNN's workspace] */
	size_t nx = conv_nx(s), nw = conv_nw(s);
	size_t ox = 0, ow = ox + up256(nx * 2), oy = ow + up256(nw * 2), ows = oy + up256(ny * 2);
	char *base = (char *)imb_cuda_workspace(ows + e->fwd_ws);
	__nv_bfloat16 *xb = (__nv_bfloat16 *)(base + ox), *wb = (__nv_bfloat16 *)(base + ow);
	__nv_bfloat16 *yb = (__nv_bfloat16 *)(base + oy);
	to_bf16(xb, inp, nx);
	to_bf16(wb, w, nw);
	IMB_CUDNN_CHECK(cudnnConvolutionForward(imb_cuda.dnn, &one, e->x, xb, e->w, wb, e->conv,
	                                        e->fwd, base + ows, e->fwd_ws, &zero, e->y, yb));
	from_bf16(out, yb, b, s->OC, plane, ny, 0);
}

extern "C" void imb_nn_cuda_conv2d_backward(float *dinp, float *dw, float *db,
                                            const float *dout, const float *inp,
                                            const float *w, const imb_nn_conv2d_shape *s)
{
	static const float one = 1, zero = 0;
	if (db)
		imb_cuda_channel_sums(db, dout, s->N, s->OC, s->OH * s->OW);
	if (!dinp && !dw)
		return;
	conv_entry *e = conv_get(s);
	if (dinp)
		choose_bwd_data(e);
	if (dw)
		choose_bwd_filter(e);
	size_t need = 0;
	if (dinp && e->data_ws > need)
		need = e->data_ws;
	if (dw && e->filter_ws > need)
		need = e->filter_ws;
	if (e->prec != 2) {
		/* cuDNN accumulates itself: beta = 1 */
		void *ws = imb_cuda_workspace(need);
		if (dinp) {
			IMB_CUDNN_CHECK(cudnnSetConvolutionMathType(e->conv, e->data_math));
			IMB_CUDNN_CHECK(cudnnConvolutionBackwardData(
				imb_cuda.dnn, &one, e->w, w, e->y, dout, e->conv, e->bwd_data, ws,
				e->data_ws, &one, e->x, dinp));
		}
		if (dw) {
			IMB_CUDNN_CHECK(cudnnSetConvolutionMathType(e->conv, e->filter_math));
			IMB_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
				imb_cuda.dnn, &one, e->x, inp, e->y, dout, e->conv, e->bwd_filter, ws,
				e->filter_ws, &one, e->w, dw));
		}
		return;
	}
	/* bf16: [dy | x or dx | w or dw | cuDNN's workspace]; the bf16 result
	 * goes to a scratch and is widened into the fp32 gradient */
	size_t nx = conv_nx(s), nw = conv_nw(s), ny = conv_ny(s);
	size_t ox = up256(ny * 2), ow = ox + up256(nx * 2), ows = ow + up256(nw * 2);
	char *base = (char *)imb_cuda_workspace(ows + need);
	__nv_bfloat16 *dyb = (__nv_bfloat16 *)base, *xb = (__nv_bfloat16 *)(base + ox);
	__nv_bfloat16 *wb = (__nv_bfloat16 *)(base + ow);
	to_bf16(dyb, dout, ny);
	if (dinp) {
		to_bf16(wb, w, nw);        /* dx lands in the x slot */
		IMB_CUDNN_CHECK(cudnnSetConvolutionMathType(e->conv, e->data_math));
		IMB_CUDNN_CHECK(cudnnConvolutionBackwardData(
			imb_cuda.dnn, &one, e->w, wb, e->y, dyb, e->conv, e->bwd_data, base + ows,
			e->data_ws, &zero, e->x, xb));
		from_bf16(dinp, xb, NULL, 1, 1, nx, 1);
	}
	if (dw) {
		to_bf16(xb, inp, nx);      /* dw lands in the w slot */
		IMB_CUDNN_CHECK(cudnnSetConvolutionMathType(e->conv, e->filter_math));
		IMB_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
			imb_cuda.dnn, &one, e->x, xb, e->y, dyb, e->conv, e->bwd_filter, base + ows,
			e->filter_ws, &zero, e->w, wb));
		from_bf16(dw, wb, NULL, 1, 1, nw, 1);
	}
}

/* ------------------------------------------------------------ batch norm */
