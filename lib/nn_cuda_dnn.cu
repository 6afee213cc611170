/* nn_cuda_dnn.cu: the CUDA backend's library-backed ops, and its image
 * layout.
 *
 *   images_in/out             the backend's image layout is NHWC: images
 *                             enter it from NCHW and leave it by our tiled
 *                             transpose (k_transpose), which in bf16 also
 *                             rounds them going in and widens them coming
 *                             out (images hold bf16 then: nn_cuda.h)
 *   gemm                      cuBLAS (cublasGemmEx), row-major through the
 *                             column-major trick
 *   conv2d_forward/backward   cuDNN's convolution (cross-correlation):
 *                             strict fp32 on NCHW copies of the tensors
 *                             with the filters as they are (KCRS), TF32
 *                             and bf16 on the NHWC tensors with KRSC
 *                             copies of the filters (see Precision); the
 *                             bias and its gradient with own kernels (the
 *                             gradient: nn_cuda_bn.cu's channel sums)
 *
 * Precision (imb_cuda_precision, read at every op):
 *   0  fp32 strict (default): cuBLAS CUBLAS_COMPUTE_32F_PEDANTIC, cuDNN
 *      CUDNN_FMA_MATH; no TF32, no tensor cores. Convolutions run on
 *      NCHW copies made in the workspace (k_transpose), because cuDNN's
 *      NHWC kernels without tensor cores are slow: on an H200, resnet8
 *      batch 128 trained at 21,000 img/s on NHWC and 42,400 on NCHW,
 *      resnet18 batch 512 at 6,120 and 7,050.
 *   1  TF32: cuBLAS CUBLAS_COMPUTE_32F_FAST_TF32, cuDNN
 *      CUDNN_TENSOR_OP_MATH on the NHWC float tensors themselves (inputs
 *      of products rounded to TF32, sums in fp32).
 *   2  bf16: cuBLAS CUBLAS_COMPUTE_32F_FAST_16BF on float operands (cuBLAS
 *      rounds A and B to bf16, or to TF32 where it chooses, sums in fp32).
 *      Convolutions run on bf16 tensors (cuDNN's PSEUDO_BFLOAT16 config,
 *      fp32 accumulation): the images inp and out are bf16 already (the
 *      layout of this mode), the bias is added to out and rounded again;
 *      w and the float gradient dout are rounded to bf16 (nearest even)
 *      into copies in the workspace, and the dinp / dw increments come
 *      back as bf16 and are widened to float before they are
 *      accumulated. db stays fp32 (it sums the fp32 dout).
 * Batch norm (nn_cuda_bn.cu) computes in fp32 in every mode, reading and
 * writing images as they are held.
 *
 * Algorithms: chosen once per (shape, precision, direction) from cuDNN's
 * heuristics (cudnnGet*_v7), not from timed runs, so that the choice, and
 * with it the bits, is the same from run to run on one device and
 * library version: the first result, in cuDNN's order of expected speed,
 * that succeeds, is CUDNN_DETERMINISTIC, fits CONV_WS_MAX and, in strict
 * mode, does not use tensor cores (it then runs with CUDNN_FMA_MATH); in
 * TF32 and bf16, the first such on tensor cores if there is one. Should
 * none be deterministic the first usable one is taken and a warning
 * printed once. Descriptors and choices live in a small cache
 * (CONV_CACHE entries, reused round-robin).
 *
 * The convolution and batch-norm calls are cuDNN 9's legacy API, all of
 * it marked deprecated there; cuDNN only says so when CUDNN_WARN_DEPRECATED
 * is defined, which the build does not do.
 *
 * No op waits for the stream. */
#include "nn_cuda.h"

#include <cuda_bf16.h>
#include <stdint.h>
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

/* out (n) = in widened from bf16 (out += that when acc) */
__global__ void k_widen(float *out, const __nv_bfloat16 *in, int acc, size_t n)
{
	GRID_LOOP(i, n) {
		float t = widen(in[i]);
		out[i] = acc ? out[i] + t : t;
	}
}

/* k_widen four at a time, n4 groups of four: out 16-byte aligned, in 8 */
__global__ void k_widen4(float *out, const __nv_bfloat16 *in, int acc, size_t n4)
{
	GRID_LOOP(i, n4) {
		float t[4], o[4];
		ldv<4>(t, in, i);
		if (acc) {
			ldv<4>(o, out, i);
			for (int k = 0; k < 4; k++)
				t[k] = o[k] + t[k];
		}
		stv<4>(out, i, t);
	}
}

static void widen_bf16(float *out, const __nv_bfloat16 *in, int acc, size_t n)
{
	if (!n)
		return;
	if (n % 4 == 0 && !((uintptr_t)out & 15) && !((uintptr_t)in & 7))
		k_widen4<<<blocks_for(n / 4), THREADS, 0, imb_cuda.stream>>>(out, in, acc, n / 4);
	else
		k_widen<<<blocks_for(n), THREADS, 0, imb_cuda.stream>>>(out, in, acc, n);
	IMB_CUDA_LAUNCHED();
}

/* out (n) = in rounded to bf16 (nearest even), four at a time where
 * n % 4 == 0 and in is 16-byte aligned */
__global__ void k_round4(__nv_bfloat162 *out, const float4 *in, size_t n4)
{
	GRID_LOOP(i, n4) {
		float4 v = in[i];
		out[2 * i] = __floats2bfloat162_rn(v.x, v.y);
		out[2 * i + 1] = __floats2bfloat162_rn(v.z, v.w);
	}
}

__global__ void k_round(__nv_bfloat16 *out, const float *in, size_t n)
{
	GRID_LOOP(i, n)
		out[i] = __float2bfloat16_rn(in[i]);
}

static void round_bf16(__nv_bfloat16 *out, const float *in, size_t n)
{
	if (!n)
		return;
	if (n % 4 == 0 && !((uintptr_t)in & 15))
		k_round4<<<blocks_for(n / 4), THREADS, 0, imb_cuda.stream>>>(
			(__nv_bfloat162 *)out, (const float4 *)in, n / 4);
	else
		k_round<<<blocks_for(n), THREADS, 0, imb_cuda.stream>>>(out, in, n);
	IMB_CUDA_LAUNCHED();
}

/* The layout changes, each a batch of B matrix transposes: in (B,R,Q) ->
 * out (B,Q,R), out[b][q][r] = in[b][r][q] (out += that when acc),
 * converted from Tin to Tout (float -> bf16 rounds to nearest even). A
 * 32x32 tile a block, through shared memory, so that reads and writes
 * are both coalesced. NCHW -> NHWC (images_in, strict fp32's conv
 * results) is R = C, Q = HW; NHWC -> NCHW (images_out, strict fp32's
 * conv inputs) is R = HW, Q = C; KCRS -> KRSC (the filters) is R = C,
 * Q = KH KW. */
#define TILE 32

template <typename Tin, typename Tout>
__global__ void __launch_bounds__(TILE * 8)
k_transpose(Tout *out, const Tin *in, int B, int R, int Q, int acc)
{
	__shared__ float tile[TILE][TILE + 1];
	int q0 = blockIdx.x * TILE, r0 = blockIdx.y * TILE, tx = threadIdx.x, ty = threadIdx.y;
	for (int b = blockIdx.z; b < B; b += gridDim.z) {
		const Tin *x = in + (size_t)b * R * Q;
		Tout *y = out + (size_t)b * R * Q;
		/* each thread's four loads issued before any use */
		float v[TILE / 8];
#pragma unroll
		for (int k = 0; k < TILE / 8; k++) {
			int r = r0 + ty + 8 * k, q = q0 + tx;
			v[k] = r < R && q < Q ? widen(x[(size_t)r * Q + q]) : 0.0f;
		}
#pragma unroll
		for (int k = 0; k < TILE / 8; k++)
			tile[ty + 8 * k][tx] = v[k];
		__syncthreads();
		int r = r0 + tx;
		if (acc) {
#pragma unroll
			for (int k = 0; k < TILE / 8; k++) {
				int q = q0 + ty + 8 * k;
				v[k] = r < R && q < Q ? widen(y[(size_t)q * R + r]) : 0.0f;
			}
		}
#pragma unroll
		for (int k = 0; k < TILE / 8; k++) {
			int q = q0 + ty + 8 * k;
			if (r < R && q < Q) {
				float t = tile[tx][ty + 8 * k];
				put(y + (size_t)q * R + r, acc ? v[k] + t : t);
			}
		}
		__syncthreads();
	}
}

template <typename Tin, typename Tout>
static void transpose(Tout *out, const Tin *in, int B, int R, int Q, int acc)
{
	if (B <= 0 || R <= 0 || Q <= 0)
		return;
	dim3 grid((unsigned)((Q + TILE - 1) / TILE), (unsigned)((R + TILE - 1) / TILE),
	          (unsigned)(B < 65535 ? B : 65535));
	k_transpose<Tin, Tout><<<grid, dim3(TILE, 8), 0, imb_cuda.stream>>>(out, in, B, R, Q,
	                                                                     acc);
	IMB_CUDA_LAUNCHED();
}

/* ------------------------------------------------------------ layout */

/* NCHW <-> NHWC; in bf16 the images' values rounded going in, widened
 * coming out (nn_cuda.h) */
extern "C" void imb_nn_cuda_images_in(float *out, const float *inp, int N, int C, int HW)
{
	IMB_CUDA_BY_IMAGES(I, transpose((I *)out, inp, N, C, HW, 0));
}

extern "C" void imb_nn_cuda_images_out(float *out, const float *inp, int N, int C, int HW)
{
	IMB_CUDA_BY_IMAGES(I, transpose(out, (const I *)inp, N, HW, C, 0));
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
	/* strict fp32: NCHW tensors (copies in the workspace) and KCRS
	 * filters (the weights themselves); TF32, bf16: NHWC tensors (the
	 * backend's layout) and KRSC filters (copies), see conv_fwd */
	cudnnTensorFormat_t f = prec == 0 ? CUDNN_TENSOR_NCHW : CUDNN_TENSOR_NHWC;
	IMB_CUDNN_CHECK(cudnnSetTensor4dDescriptor(e->x, f, t, s->N, s->C, s->H, s->W));
	IMB_CUDNN_CHECK(cudnnSetTensor4dDescriptor(e->y, f, t, s->N, s->OC, s->OH, s->OW));
	IMB_CUDNN_CHECK(cudnnSetFilter4dDescriptor(e->w, t, f, s->OC, s->C, s->KH, s->KW));
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
	/* passes: 0 deterministic and, in the tensor-core modes, on tensor
	 * cores (cuDNN's heuristics may rank a slow direct kernel first:
	 * bf16's strided dgrad took a fifth of a resnet18 step); 1
	 * deterministic; 2 any, with a warning */
	for (int pass = prec == 0; pass < 3; pass++)
		for (int i = 0; i < n; i++) {
			if (p[i].status != CUDNN_STATUS_SUCCESS || p[i].memory > CONV_WS_MAX)
				continue;
			if (prec == 0 && p[i].mathType != CUDNN_FMA_MATH &&
			    p[i].mathType != CUDNN_DEFAULT_MATH)
				continue;
			if (pass == 0 && p[i].mathType != CUDNN_TENSOR_OP_MATH &&
			    p[i].mathType != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)
				continue;
			if (pass < 2 && p[i].determinism != CUDNN_DETERMINISTIC)
				continue;
			if (pass == 2 && !warned) {
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

/* The three ways cuDNN is given the tensors (conv_get's descriptors):
 *   strict fp32 (nchw, T = float): NCHW copies of the NHWC tensors, made
 *     and put back by k_transpose, and the filter itself (KCRS); dw
 *     accumulates through cuDNN's beta = 1;
 *   TF32 (T = float): the NHWC tensors themselves and a KRSC copy of the
 *     filter; dinp accumulates through cuDNN's beta = 1;
 *   bf16 (T = __nv_bfloat16): the NHWC bf16 images themselves (inp, out:
 *     nn_cuda.h), a KRSC bf16 copy of the filter, and a bf16 copy of the
 *     float gradient dout; dinp comes back as bf16 and is widened into
 *     the floats.
 * TF32 and bf16 compute dw into the KRSC copy, and k_transpose adds it
 * back into dw. Each copy is a workspace piece of its own. */

/* The KRSC filter copies a TF32 forward makes, kept for its backward
 * (IMB_NN_SAME_W: w unchanged since): one device buffer per (w, filter
 * shape), made at a forward outside stream capture,
 * written by every forward given that w, never freed (the graphs hold
 * their addresses), at most FILTER_BYTES in all (a process that builds
 * model after model stops keeping copies there: resnet34's take 85 MB).
 * A backward that finds none, or is not told w is unchanged, makes its
 * own copy in the workspace, as bf16 does always (keeping bf16's copies
 * too ran no faster on an H200). */
#define FILTERS 1024
#define FILTER_BYTES ((size_t)512 << 20)
typedef struct {
	const float *w;
	int OC, C, K2;              /* K2 = KH KW */
	float *krsc;
} filter_copy;
static filter_copy filters[FILTERS];
static int nfilters;
static size_t filter_bytes;

static filter_copy *filter_find(const float *w, const imb_nn_conv2d_shape *s)
{
	for (int i = 0; i < nfilters; i++) {
		filter_copy *f = &filters[i];
		if (f->w == w && f->OC == s->OC && f->C == s->C && f->K2 == s->KH * s->KW)
			return f;
	}
	return NULL;
}

/* the forward's room for w's copy: kept, made now, or NULL (the
 * workspace's then) */
static float *filter_keep(const float *w, const imb_nn_conv2d_shape *s)
{
	filter_copy *f = filter_find(w, s);
	if (f)
		return f->krsc;
	size_t bytes = conv_nw(s) * sizeof(float);
	if (nfilters == FILTERS || filter_bytes + bytes > FILTER_BYTES ||
	    imb_cuda_graph_mode == IMB_CUDA_CAPTURE)
		return NULL;
	f = &filters[nfilters];
	*f = (filter_copy){ w, s->OC, s->C, s->KH * s->KW, NULL };
	if (cudaMalloc((void **)&f->krsc, bytes) != cudaSuccess) {
		cudaGetLastError();
		return NULL;            /* no room: copies in the workspace */
	}
	nfilters++;
	filter_bytes += bytes;
	return f->krsc;
}

/* image (N, C, H, W) x as cuDNN reads it: transposed to NCHW into room
 * (nchw), or x itself (NHWC, float or bf16 as images are) */
template <typename T>
static const T *dnn_image(T *room, const float *x, int N, int HW, int C, int nchw)
{
	if (!nchw)
		return (const T *)x;
	transpose(room, x, N, HW, C, 0);
	return room;
}

/* NHWC float gradient g (N images of HW x C) as cuDNN reads it: rounded
 * to bf16 into room, transposed to NCHW into room (nchw), or g itself */
template <typename T>
static const T *dnn_grad(T *room, const float *g, int N, int HW, int C, int nchw)
{
	if (sizeof(T) == 2)
		round_bf16((__nv_bfloat16 *)room, g, (size_t)N * HW * C);
	else if (nchw)
		transpose(room, g, N, HW, C, 0);
	else
		return (const T *)g;
	return room;
}

/* image out (n values, C channels) += b[c], in place, as images hold them */
template <typename T>
__global__ void k_bias(T *out, const float *b, int C, size_t n)
{
	GRID_LOOP(i, n)
		put(out + i, widen(out[i]) + b[i % C]);
}

template <typename T>
static void conv_fwd(conv_entry *e, float *out, const float *inp, const float *w,
                     const float *b, const imb_nn_conv2d_shape *s)
{
	static const float one = 1, zero = 0;
	const int nchw = e->prec == 0;
	size_t nx = conv_nx(s), nw = conv_nw(s), ny = conv_ny(s);
	/* [KRSC w (TF32, bf16) | x | y (strict) | cuDNN's workspace] */
	size_t ox = nchw ? 0 : up256(nw * sizeof(T));
	size_t oy = ox + (nchw ? up256(nx * sizeof(T)) : 0);
	size_t ows = oy + (nchw ? up256(ny * sizeof(T)) : 0);
	char *base = (char *)imb_cuda_workspace(ows + e->fwd_ws);
	const T *wt = (const T *)w;
	T *yt = nchw ? (T *)(base + oy) : (T *)out;
	if (!nchw) {
		T *keep = e->prec == 1 ? (T *)filter_keep(w, s) : NULL;
		wt = keep ? keep : (T *)base;
		transpose((T *)wt, w, s->OC, s->C, s->KH * s->KW, 0);
	}
	const T *xt = dnn_image((T *)(base + ox), inp, s->N, s->H * s->W, s->C, nchw);
	IMB_CUDNN_CHECK(cudnnConvolutionForward(imb_cuda.dnn, &one, e->x, xt, e->w, wt, e->conv,
	                                        e->fwd, base + ows, e->fwd_ws, &zero, e->y, yt));
	if (nchw)
		transpose(out, (const float *)yt, s->N, s->OC, s->OH * s->OW, 0);
	if (b && ny) {
		k_bias<T><<<blocks_for(ny), THREADS, 0, imb_cuda.stream>>>((T *)out, b, s->OC, ny);
		IMB_CUDA_LAUNCHED();
	}
}

template <typename T>
static void conv_bwd(conv_entry *e, float *dinp, float *dw, const float *dout,
                     const float *inp, const float *w, const imb_nn_conv2d_shape *s,
                     size_t need, int set, int same_w)
{
	static const float one = 1, zero = 0;
	const int nchw = e->prec == 0, copies = sizeof(T) == 2 || nchw;
	size_t nx = conv_nx(s), nw = conv_nw(s), ny = conv_ny(s);
	/* [KRSC w or dw (TF32, bf16) | dy | dx (bf16, strict), then x (strict)
	 * | cuDNN's workspace]: dout copied once for both products; dx is put
	 * back before x is copied into its place */
	size_t oy = nchw ? 0 : up256(nw * sizeof(T));
	size_t ox = oy + (copies ? up256(ny * sizeof(T)) : 0);
	size_t ows = ox + (copies ? up256(nx * sizeof(T)) : 0);
	char *base = (char *)imb_cuda_workspace(ows + need);
	T *wt = nchw ? (T *)dw : (T *)base, *xs = (T *)(base + ox);
	const T *dyt = dnn_grad((T *)(base + oy), dout, s->N, s->OH * s->OW, s->OC, nchw);
	if (dinp) {
		const T *wd = nchw ? (const T *)w : wt;
		filter_copy *kept = same_w && e->prec == 1 ? filter_find(w, s) : NULL;
		if (kept)
			wd = (const T *)kept->krsc;
		else if (!nchw)
			transpose(wt, w, s->OC, s->C, s->KH * s->KW, 0);
		IMB_CUDNN_CHECK(cudnnSetConvolutionMathType(e->conv, e->data_math));
		IMB_CUDNN_CHECK(cudnnConvolutionBackwardData(
			imb_cuda.dnn, &one, e->w, wd, e->y, dyt, e->conv,
			e->bwd_data, base + ows, e->data_ws, copies || set ? &zero : &one, e->x,
			copies ? xs : (T *)dinp));
		if (sizeof(T) == 2)
			widen_bf16(dinp, (const __nv_bfloat16 *)xs, !set, nx);
		else if (nchw)
			transpose(dinp, (const float *)xs, s->N, s->C, s->H * s->W, !set);
	}
	if (dw) {
		const T *xt = dnn_image(xs, inp, s->N, s->H * s->W, s->C, nchw);
		IMB_CUDNN_CHECK(cudnnSetConvolutionMathType(e->conv, e->filter_math));
		IMB_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
			imb_cuda.dnn, &one, e->x, xt, e->y, dyt, e->conv, e->bwd_filter, base + ows,
			e->filter_ws, nchw ? &one : &zero, e->w, wt));
		if (!nchw)
			transpose(dw, wt, s->OC, s->KH * s->KW, s->C, 1);
	}
}

extern "C" void imb_nn_cuda_conv2d_forward(float *out, const float *inp, const float *w,
                                           const float *b, const imb_nn_conv2d_shape *s)
{
	conv_entry *e = conv_get(s);
	choose_fwd(e);
	IMB_CUDNN_CHECK(cudnnSetConvolutionMathType(e->conv, e->fwd_math));
	if (e->prec == 2)
		conv_fwd<__nv_bfloat16>(e, out, inp, w, b, s);
	else
		conv_fwd<float>(e, out, inp, w, b, s);
}

extern "C" void imb_nn_cuda_conv2d_backward(float *dinp, float *dw, float *db,
                                            const float *dout, const float *inp,
                                            const float *w, const imb_nn_conv2d_shape *s,
                                            int set)
{
	int same_w = set & IMB_NN_SAME_W;
	set &= IMB_NN_SET_DINP;
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
	if (e->prec == 2)
		conv_bwd<__nv_bfloat16>(e, dinp, dw, dout, inp, w, s, need, set, same_w);
	else
		conv_bwd<float>(e, dinp, dw, dout, inp, w, s, need, set, same_w);
}

/* ------------------------------------------------------------ batch norm */
