/* nn_cuda.h: what the CUDA backend's files share (private to the .cu files of lib).
 *
 * The backend is six files:
 *   nn_backend_cuda.cu  the table, start-up (device, stream, handles),
 *                       memory, and the project's own kernels: elementwise
 *                       ops, pooling, the loss, optimiser steps, the
 *                       Philox fill
 *   nn_cuda_reduce.cu   the reductions: dot, sqnorm, axpy_norm and
 *                       lars_scale (the last two keep their sums on the
 *                       device)
 *   nn_cuda_data.cu     the data ops (gather, crop, flip, normalize,
 *                       resized_crop, color_jitter, grayscale) and the
 *                       epoch tally
 *   nn_cuda_dnn.cu      the image layout (images_in/out: NHWC) and the
 *                       library-backed ops: gemm (cuBLAS) and convolution
 *                       (cuDNN, on the NHWC images, or NCHW copies in
 *                       strict fp32)
 *   nn_cuda_bn.cu       batch norm, own kernels (deterministic per-channel
 *                       sums that keep the whole GPU busy), and those sums
 *                       for conv's bias gradient
 *   nn_cuda_graph.cu    training steps recorded as CUDA graphs and
 *                       replayed, with nn_cuda_graph.h (the wrapper every
 *                       op of the table goes through), and upload
 *
 * Every op runs on one stream (imb_cuda.stream) and returns without
 * waiting for the GPU, except those that hand a value to the host
 * (download, dot, sqnorm), which wait for the stream. A failed CUDA,
 * cuBLAS or cuDNN call is fatal: IMB_CUDA_CHECK names the call and the
 * library's message, and the tool exits 1 (imb_die), removing its temp
 * output. */
#ifndef IMB_NN_CUDA_H
#define IMB_NN_CUDA_H

#include "nn_backend.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	int ordinal;                 /* the device in use, -1 before init */
	cudaStream_t stream;         /* every op's stream */
	cublasHandle_t blas;         /* bound to stream */
	cudnnHandle_t dnn;           /* bound to stream */
	int sms;                     /* multiprocessors, for grid sizes */
	void *ws;                    /* the shared workspace (cuDNN, cuBLAS) */
	size_t ws_bytes;
} imb_cuda_state;

extern imb_cuda_state imb_cuda;

/* IMB_NN_FP32 (default), IMB_NN_TF32 or IMB_NN_BF16: the arithmetic of
 * gemm and convolution (nn_cuda_dnn.cu), set through the table's
 * set_precision hook and read at every op */
extern int imb_cuda_precision;

/* Images in the backend's layout (NHWC, nn_cuda_dnn.cu) hold float32
 * values, or bfloat16 ones in bf16 (the first half of the float room the
 * engine gives them): images_in rounds them (nearest even) and
 * images_out widens them, and the ops that take images (convolution,
 * batch norm, pooling) read and write them so. Image gradients, and
 * every other tensor, stay float32. Non-zero when images are bf16 now. */
static inline int imb_cuda_bf16_images(void)
{
	return imb_cuda_precision == IMB_NN_BF16;
}

/* fatal errors: "cuda: WHAT: MESSAGE" and exit 1 */
void imb_cuda_fail(const char *what, const char *msg);
#define IMB_CUDA_CHECK(call) do { cudaError_t e_ = (call); \
	if (e_ != cudaSuccess) imb_cuda_fail(#call, cudaGetErrorString(e_)); } while (0)
#define IMB_CUBLAS_CHECK(call) do { cublasStatus_t e_ = (call); \
	if (e_ != CUBLAS_STATUS_SUCCESS) imb_cuda_fail(#call, cublasGetStatusString(e_)); } while (0)
#define IMB_CUDNN_CHECK(call) do { cudnnStatus_t e_ = (call); \
	if (e_ != CUDNN_STATUS_SUCCESS) imb_cuda_fail(#call, cudnnGetErrorString(e_)); } while (0)
/* after a kernel launch: the launch's own error */
#define IMB_CUDA_LAUNCHED() IMB_CUDA_CHECK(cudaGetLastError())

/* Launching: IMB_CUDA_THREADS threads a block; imb_cuda_grid(n) blocks for
 * a grid-stride loop over n > 0 items (at most 8 a multiprocessor);
 * IMB_CUDA_LAUNCH queues a kernel on the stream and checks the launch. */
#define IMB_CUDA_THREADS 256
unsigned imb_cuda_grid(size_t n);
#define IMB_CUDA_LAUNCH(kern, blocks, threads, ...) do { \
	kern<<<(blocks), (threads), 0, imb_cuda.stream>>>(__VA_ARGS__); \
	IMB_CUDA_LAUNCHED(); } while (0)
#define IMB_GRID_LOOP(i, n) \
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); \
	     i += (size_t)gridDim.x * blockDim.x)

/* db (C) += the sums over N and HW of the NHWC image dout (N,C,HW),
 * deterministic (nn_cuda_bn.cu) */
void imb_cuda_channel_sums(float *db, const float *dout, int N, int C, int HW);

/* The shared workspace, at least bytes long (grown when needed; its
 * contents do not survive a call to another op). */
void *imb_cuda_workspace(size_t bytes);

/* Steps recorded as CUDA graphs (nn_cuda_graph.cu; nn_cuda_graph.h
 * says how). The mode of the op under way: EAGER outside marked steps
 * (or where graphs are off: IMB_CUDA_GRAPHS=0), WARM in a step run as it
 * comes while its record is made, CAPTURE under stream capture, REPLAY
 * in a step that its graph runs. */
enum { IMB_CUDA_EAGER, IMB_CUDA_WARM, IMB_CUDA_CAPTURE, IMB_CUDA_REPLAY };
extern int imb_cuda_graph_mode;
/* the table's mark_step hook (nn_backend.h) */
void imb_cuda_mark_step(long key);
/* Per-step values an op gives its kernels (an optimiser's lr), bytes (at
 * most IMB_CUDA_STAGE_MAX) of host: in a step being captured or
 * replayed, they go into the step's staging area and the returned
 * device address is where the graph finds them (each replay carries its
 * own step's); else NULL, and the op passes them to its kernels as
 * arguments, as it always did (the kernels read the one or the other:
 * the same values, the same bits). */
#define IMB_CUDA_STAGE_MAX 256
const void *imb_cuda_staged(const void *host, size_t bytes);
/* drops every graph (their memory is about to go: the workspace grows);
 * the steps are recorded again */
void imb_cuda_graphs_forget(void);
/* graphs recorded, steps replayed, steps that departed from a record,
 * since the process began (for the tests) */
void imb_cuda_graph_counts(long out[3]);

/* the ops, one function per entry of IMB_NN_OPS (imb_nn_cuda_gemm, ...),
 * defined in the files above */
#define IMB_NN_CUDA_DECL_(name, ret, args) ret imb_nn_cuda_##name args;
IMB_NN_OPS(IMB_NN_CUDA_DECL_)

#ifdef __cplusplus
}
#endif

#ifdef __CUDACC__
#include <cuda_bf16.h>

/* An image's values as floats, whatever it holds: widen reads one, put
 * writes one (bf16: rounded to nearest even); ldv and stv move the V (1
 * or 4) values of item i, elements [V i, V i + V), V = 4 reading 16
 * bytes of float or 8 of bf16 (the caller checks the alignment). */
__device__ static inline float widen(float v) { return v; }
__device__ static inline float widen(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ static inline void put(float *p, float v) { *p = v; }
__device__ static inline void put(__nv_bfloat16 *p, float v) { *p = __float2bfloat16_rn(v); }

/* STMT with I the element type images hold now: __nv_bfloat16 in bf16,
 * float otherwise (an op that takes images casts its image pointers to
 * I *) */
#define IMB_CUDA_BY_IMAGES(I, ...) do { \
	if (imb_cuda_bf16_images()) { typedef __nv_bfloat16 I; __VA_ARGS__; } \
	else { typedef float I; __VA_ARGS__; } } while (0)

template <int V>
__device__ static inline void ldv(float *o, const float *p, size_t i)
{
	if constexpr (V == 4) {
		float4 t = ((const float4 *)p)[i];
		o[0] = t.x, o[1] = t.y, o[2] = t.z, o[3] = t.w;
	} else {
		o[0] = p[i];
	}
}

template <int V>
__device__ static inline void ldv(float *o, const __nv_bfloat16 *p, size_t i)
{
	if constexpr (V == 4) {
		uint2 t = ((const uint2 *)p)[i];
		float2 lo = __bfloat1622float2(*(const __nv_bfloat162 *)&t.x),
		       hi = __bfloat1622float2(*(const __nv_bfloat162 *)&t.y);
		o[0] = lo.x, o[1] = lo.y, o[2] = hi.x, o[3] = hi.y;
	} else {
		o[0] = __bfloat162float(p[i]);
	}
}

template <int V>
__device__ static inline void stv(float *p, size_t i, const float *v)
{
	if constexpr (V == 4)
		((float4 *)p)[i] = make_float4(v[0], v[1], v[2], v[3]);
	else
		p[i] = v[0];
}

template <int V>
__device__ static inline void stv(__nv_bfloat16 *p, size_t i, const float *v)
{
	if constexpr (V == 4) {
		__nv_bfloat162 lo = __floats2bfloat162_rn(v[0], v[1]),
		               hi = __floats2bfloat162_rn(v[2], v[3]);
		uint2 t;
		t.x = *(const unsigned *)&lo;
		t.y = *(const unsigned *)&hi;
		((uint2 *)p)[i] = t;
	} else {
		p[i] = __float2bfloat16_rn(v[0]);
	}
}
#endif

#endif
