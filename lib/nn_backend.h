/* nn_backend.h: the neural-network engine's backend table.
 *
 * Every operation that touches tensor data goes through one table of
 * function pointers (struct imb_nn_backend). Layers, losses, optimisers
 * and the training loop are written once against the table; the CPU
 * backend (nn_backend_cpu.c and nn_cpu_*.c, OpenBLAS plus the engine's
 * own thread pool) is the first table, the CUDA one (nn_backend_cuda.cu,
 * nn_cuda_dnn.cu and nn_cuda_bn.cu: cuBLAS, cuDNN and our kernels) the
 * second, and tests/nn_backend_ref.c holds a plain-loop reference that
 * test_nn_backend compares every backend with. Tensor
 * pointers passed to an op are backend memory (host memory for the CPU
 * backend): allocate it with the table's alloc and move host data in and
 * out with upload/download.
 *
 * Tensors are float32, C order. Shape comments name the sizes: "inp is
 * (N,C,H,W)". Images come to the engine NCHW (data ops, uploads) and a
 * network moves them into the backend's own image layout with images_in
 * before its first convolution: NCHW itself on the CPU and reference
 * backends (images_in is a copy), NHWC on CUDA, where tensor cores want
 * it. The ops that take an image's shape, conv2d, batchnorm, maxpool and
 * avgpool, read and write images in that layout, and their shape
 * comments give the logical (N,C,H,W); a (N,C) tensor, or (N,C,1) in
 * batchnorm, is the same in every layout, and so is avgpool's output, so
 * a network leaves the layout at its average pooling (or with
 * images_out). An image in the backend's layout may hold values of
 * another type than float32 in the float room it is given: the CUDA
 * backend's hold bfloat16 in bf16 (images_in rounds, images_out widens,
 * the ops that take images read and write them so). Image GRADIENTS
 * are float32 always, in the same order as the images (images_in in
 * fp32 or tf32 moves them there). So elementwise ops, which take
 * float32, do not care about the layout but may not be given images:
 * a network fuses its ReLUs and adds on images into batch norm
 * (nn_model.c refuses to run one that cannot in bf16, and curvature
 * products, which apply elementwise ops to images, refuse bf16).
 * Backward ops ACCUMULATE
 * into every gradient they write (dinp, dw, db, ...): the caller zeroes
 * gradients once per step. The exception: the convolution's and batch
 * norm's backward write the gradients their `set` argument names
 * (IMB_NN_SET_DINP, IMB_NN_SET_DRES), as if into zeroed memory, ignoring
 * what was there, so that a network need not zero an activation's
 * gradient that such an op starts. Outputs of a backward op must not
 * alias its inputs.
 *
 * The ops are listed once, in IMB_NN_OPS below; the struct, the enum of op
 * ids and the name table are generated from that list, and a backend
 * fills its table from the same list (one function per op, named
 * <prefix>_<op>), so a forgotten op fails to compile; a static_assert ties
 * the struct's size to the op count (plus the four hooks, init,
 * set_threads, set_precision and mark_step, which are not ops).
 *
 * Backends are registered in lib/nn_backend.c (one line each) and
 * selected by name; nothing outside a backend's own file asks which one
 * is current.
 *
 * Threads: set through the table (be->set_threads). The CPU backend runs
 * its ops on the engine's pool (nn_pool.h: imb_nn_threads() threads, one
 * per online core unless imb_nn_set_threads says otherwise) with OpenBLAS
 * kept single-threaded inside (never nested). Results are bit-for-bit
 * deterministic for a given thread count; see docs/engine.md. */
#ifndef IMB_NN_BACKEND_H
#define IMB_NN_BACKEND_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "nn_pool.h"   /* the host thread pool, which every backend may use */

/* Geometry of a 2-D convolution (PyTorch Conv2d, groups=1, dilation=1):
 * inp is (N,C,H,W), w is (OC,C,KH,KW), b is (OC), out is (N,OC,OH,OW)
 * with OH = (H + 2*pad - KH) / stride + 1, likewise OW. */
typedef struct {
	int N, C, H, W;      /* input */
	int OC, KH, KW;      /* output channels, kernel */
	int stride, pad;     /* same along both axes */
	int OH, OW;          /* derived by imb_nn_conv2d_shape */
} imb_nn_conv2d_shape;

/* Fill OH, OW; 0, or -1 with imb_error() when a size is out of range. */
int imb_nn_conv2d_shape_init(imb_nn_conv2d_shape *s, int N, int C, int H, int W,
                             int OC, int KH, int KW, int stride, int pad);

/* The softmax cross-entropy family in one op (see nn_loss.h for the five
 * named losses). For sample i with label y and logits z (K):
 *   z'_j = scale * (z_j + adjust_j - [j == y] * margin_y)
 *   p = softmax(z'),  l_i = -weight_y * (1 - p_y)^gamma * log p_y
 *   loss = sum_i l_i / sum_i weight_y
 * Absent arrays (NULL) mean adjust = 0, margin = 0, weight = 1. The arrays
 * are backend memory of length K. */
typedef struct {
	int K;
	float scale;            /* 1 for all but LDAM */
	float gamma;            /* focal exponent, 0 for plain CE */
	const float *weight;    /* (K) class weights or NULL */
	const float *adjust;    /* (K) additive logit offsets or NULL */
	const float *margin;    /* (K) target-logit margins or NULL */
} imb_nn_xent;

/* PyTorch torch.optim.SGD hyper-parameters. */
typedef struct {
	float lr, momentum, dampening, weight_decay;
	int nesterov;
} imb_nn_sgd_hp;

/* PyTorch torch.optim.AdamW hyper-parameters; step counts from 1. */
typedef struct {
	float lr, beta1, beta2, eps, weight_decay;
	long step;
} imb_nn_adamw_hp;

/* A backward op's `set`: the gradients it writes (0 + the value, what it
 * would add into zeroed memory) rather than adds to; the rest it adds to. */
enum {
	IMB_NN_SET_DINP = 1,    /* the input's, dinp */
	IMB_NN_SET_DRES = 2,    /* batch norm's fused residual's, dres */
	/* not a gradient: conv2d_backward's w is, bit for bit, what the
	 * last conv2d_forward given the same w (pointer and shape) read, so
	 * a backend may use what it made of w there (the CUDA backend: its
	 * filter in cuDNN's layout) */
	IMB_NN_SAME_W = 4
};

/* X(name, return type, parameter list) for every op. Append only. */
#define IMB_NN_OPS(X) \
	/* memory: backend buffers of bytes, host<->backend copies */ \
	X(alloc, void *, (size_t bytes)) \
	X(free, void, (void *p)) \
	X(upload, void, (void *dst, const void *src, size_t bytes)) \
	X(download, void, (void *dst, const void *src, size_t bytes)) \
	/* backend to backend: dst = src, bytes (may not overlap) */ \
	X(copy, void, (void *dst, const void *src, size_t bytes)) \
	/* x is (n): x = 0 */ \
	X(zero, void, (float *x, size_t n)) \
	/* row-major C (M,N) = alpha * op(A) (M,K) op(B) (K,N) + beta * C; \
	 * ta/tb non-zero transpose A/B as stored (lda/ldb are the stored \
	 * row lengths) */ \
	X(gemm, void, (int ta, int tb, int M, int N, int K, float alpha, \
	               const float *A, int lda, const float *B, int ldb, \
	               float beta, float *C, int ldc)) \
	/* out (N,OC,OH,OW) = conv(inp (N,C,H,W), w (OC,C,KH,KW)) + b (OC); \
	 * b may be NULL */ \
	X(conv2d_forward, void, (float *out, const float *inp, const float *w, \
	                         const float *b, const imb_nn_conv2d_shape *s)) \
	/* dinp (N,C,H,W), dw (OC,C,KH,KW), db (OC) += grads from dout \
	 * (N,OC,OH,OW); any of dinp, dw, db may be NULL (not wanted); set \
	 * IMB_NN_SET_DINP: dinp = its grad; IMB_NN_SAME_W: w unchanged \
	 * since its forward (above) */ \
	X(conv2d_backward, void, (float *dinp, float *dw, float *db, \
	                          const float *dout, const float *inp, \
	                          const float *w, const imb_nn_conv2d_shape *s, int set)) \
	/* train mode: inp, out are (N,C,HW); batch statistics over N and HW; \
	 * writes mean (C) and rstd (C) = 1/sqrt(var + eps) (biased var) for \
	 * backward; run_mean, run_var (C) = (1-momentum)*run + momentum*batch \
	 * with the unbiased variance (PyTorch); either may be NULL. res \
	 * non-NULL (N,C,HW): a residual added to the normalised y in the \
	 * same pass, y + res (add's result on them); relu non-zero: the ReLU \
	 * after that, out = y > 0 ? y : 0 (relu_forward's result) */ \
	X(batchnorm_forward_train, void, (float *out, float *mean, float *rstd, \
	                                  float *run_mean, float *run_var, \
	                                  const float *inp, const float *gamma, \
	                                  const float *beta, int N, int C, int HW, \
	                                  float momentum, float eps, const float *res, \
	                                  int relu)) \
	/* eval mode with running statistics; shapes, res and relu as above */ \
	X(batchnorm_forward_eval, void, (float *out, const float *inp, \
	                                 const float *gamma, const float *beta, \
	                                 const float *run_mean, const float *run_var, \
	                                 int N, int C, int HW, float eps, \
	                                 const float *res, int relu)) \
	/* backward of train mode: dinp (N,C,HW), dgamma, dbeta (C) += ... \
	 * relu_out non-NULL (N,C,HW): the forward had relu, relu_out is its \
	 * output and dout that output's gradient, which reaches the batch \
	 * norm where relu_out > 0 (0 + dout there, 0 elsewhere: what \
	 * relu_backward gives into zeroed memory). beta non-NULL (C), with \
	 * relu_out: the forward's beta, and the forward had no res; a \
	 * backend may then take the ReLU's mask from the forward's own \
	 * arithmetic on inp, gamma, beta, mean and rstd (its result > 0, \
	 * the bits relu_out was made from) rather than read relu_out. dres \
	 * non-NULL (N,C,HW): the forward had res, and dres += that same \
	 * gradient (the residual's share: residual_backward's). set: \
	 * IMB_NN_SET_DINP, IMB_NN_SET_DRES or both, the gradients written, \
	 * not added to */ \
	X(batchnorm_backward, void, (float *dinp, float *dgamma, float *dbeta, \
	                             const float *dout, const float *inp, \
	                             const float *gamma, const float *beta, \
	                             const float *mean, const float *rstd, int N, \
	                             int C, int HW, const float *relu_out, \
	                             float *dres, int set)) \
	/* backward of eval mode (running statistics are constants); relu_out, \
	 * dres and set as above */ \
	X(batchnorm_backward_eval, void, (float *dinp, float *dgamma, float *dbeta, \
	                                  const float *dout, const float *inp, \
	                                  const float *gamma, const float *run_mean, \
	                                  const float *run_var, int N, int C, \
	                                  int HW, float eps, const float *relu_out, \
	                                  float *dres, int set)) \
	/* elementwise over (n): out = max(inp, 0) (out may be inp) */ \
	X(relu_forward, void, (float *out, const float *inp, size_t n)) \
	/* dinp += dout * (out > 0) */ \
	X(relu_backward, void, (float *dinp, const float *dout, const float *out, \
	                        size_t n)) \
	/* out = a + b (out may alias a or b) */ \
	X(add, void, (float *out, const float *a, const float *b, size_t n)) \
	/* y += alpha * x */ \
	X(axpy, void, (float *y, float alpha, const float *x, size_t n)) \
	/* out = a * b (out may alias a or b) */ \
	X(mul, void, (float *out, const float *a, const float *b, size_t n)) \
	/* y += a * b */ \
	X(mul_acc, void, (float *y, const float *a, const float *b, size_t n)) \
	/* out (R,Cn) = inp (R,Cn) + b (Cn) broadcast over rows; with inp \
	 * NULL, out = b in every row */ \
	X(add_bias, void, (float *out, const float *inp, const float *b, int R, \
	                   int Cn)) \
	/* reduction: db (Cn) += column sums of dout (R,Cn) */ \
	X(sum_rows, void, (float *db, const float *dout, int R, int Cn)) \
	/* max pooling, K x K window: inp (N,C,H,W), out and argmax \
	 * (N,C,OH,OW), all three images in the backend's layout, argmax \
	 * holding the index ih * W + iw of the window's first largest value \
	 * in its (H,W) plane; padding counts as -inf */ \
	X(maxpool_forward, void, (float *out, int32_t *argmax, const float *inp, \
	                          int N, int C, int H, int W, int K, int stride, \
	                          int pad)) \
	/* dinp (N,C,H,W) += dout (N,C,OH,OW) routed through argmax */ \
	X(maxpool_backward, void, (float *dinp, const float *dout, \
	                           const int32_t *argmax, int N, int C, int H, \
	                           int W, int OH, int OW)) \
	/* out (N,C) = mean of image inp (N,C,HW) over HW, summed in double; \
	 * out is plain (N,C), the same in every layout */ \
	X(avgpool_forward, void, (float *out, const float *inp, int N, int C, int HW)) \
	/* image dinp (N,C,HW) += dout (N,C) / HW */ \
	X(avgpool_backward, void, (float *dinp, const float *dout, int N, int C, int HW)) \
	/* softmax cross-entropy family: logits (N,K), y (N) in [0,K); writes \
	 * dlogits (N,K) = d loss / d logits (overwrites; NULL = not wanted) \
	 * and losses (N) per-sample -(1-p_y)^gamma log p_y without the class \
	 * weight (NULL = not wanted); loss (1) = the batch loss (backend \
	 * memory, so that no step waits for the host; NULL = not wanted) */ \
	X(xent, void, (float *dlogits, float *losses, float *loss, \
	               const float *logits, const int32_t *y, int N, \
	               const imb_nn_xent *cfg)) \
	/* one torch.optim.SGD step over P parameters; buf (P) is the \
	 * momentum buffer, *first non-zero on the first step (buf is then \
	 * set to the gradient, PyTorch's rule) */ \
	X(sgd_step, void, (float *param, float *buf, const float *grad, size_t P, \
	                   const imb_nn_sgd_hp *hp, int first)) \
	/* one torch.optim.AdamW step; m, v (P) are the moment buffers */ \
	X(adamw_step, void, (float *param, float *m, float *v, const float *grad, \
	                     size_t P, const imb_nn_adamw_hp *hp)) \
	/* x (n) *= alpha */ \
	X(scale, void, (float *x, float alpha, size_t n)) \
	/* returns sum_i a_i b_i over (n), products and sums in double; the \
	 * same bits for any thread count (a backend fixes its summation \
	 * order by n alone; the CPU's: docs/engine.md) */ \
	X(dot, double, (const float *a, const float *b, size_t n)) \
	/* returns sum_i x_i^2 over (n), as dot(x, x) */ \
	X(sqnorm, double, (const float *x, size_t n)) \
	/* x (n) = mean + std * z, z_i standard normal from Philox4x32-10 \
	 * keyed by seed, element i's deviate a function of (seed, counter, \
	 * i) alone, defined exactly in philox.h so that every backend \
	 * draws the same numbers */ \
	X(fill_normal, void, (float *x, size_t n, float mean, float std, \
	                      uint64_t seed, uint64_t counter)) \
	/* read-only data that stays with the backend for a whole run (a \
	 * dataset): returns backend memory holding host's bytes; the CPU \
	 * backend returns host itself (no copy), so host must outlive it */ \
	X(hold, const void *, (const void *host, size_t bytes)) \
	/* gives back what hold returned (NULL: nothing) */ \
	X(release, void, (const void *p)) \
	/* out (n,D) floats = rows idx (n, backend int64) of src (rows of D \
	 * values: u8 when u8 is non-zero, else float), u8 values as they \
	 * are (0..255) */ \
	X(gather, void, (float *out, const void *src, int u8, const int64_t *idx, \
	                 int n, size_t D)) \
	/* out (n,C,H,W) = inp zero-padded by pad on each side and cropped \
	 * back to HxW at offset (dy, dx) = draw[2i], draw[2i+1] in [0, 2 pad] \
	 * (draw (n,2) backend, whole numbers held as floats): out[c,i,j] = \
	 * inp[c, i+dy-pad, j+dx-pad], 0 outside; out does not alias inp */ \
	X(crop, void, (float *out, const float *inp, const float *draw, int n, \
	               int C, int H, int W, int pad)) \
	/* out (n,C,H,W) = inp mirrored left-right where draw[i] != 0 (draw \
	 * (n) backend), copied otherwise; out does not alias inp */ \
	X(flip, void, (float *out, const float *inp, const float *draw, int n, \
	               int C, int H, int W)) \
	/* out (n,C,HW) = (inp * scale - mean[c]) * (1 / std[c]), in that \
	 * order of float operations, no fused multiply-add (mean, std (C) \
	 * backend); out may be inp */ \
	X(normalize, void, (float *out, const float *inp, const float *mean, \
	                    const float *std, float scale, int n, int C, int HW)) \
	/* an epoch's account kept with the backend, read once per epoch: \
	 * acc (3 + 3K) doubles, backend, accumulated: \
	 *   acc[0] += sum_i losses[i] (losses NULL: n * loss[0]) \
	 *   acc[1] += 1 when loss[0] is not finite \
	 *   acc[2] += n \
	 * and, when logits (n,K) and y (n) are given, for each sample i with \
	 * class k = y[i]: acc[3+k] += (argmax_j logits[i,j] == k, the first \
	 * largest), acc[3+K+k] += losses[i] (losses NULL: loss[0]), \
	 * acc[3+2K+k] += 1. loss (1) backend. The same sums in the same \
	 * order for a given n (no atomics on the doubles) */ \
	X(tally, void, (double *acc, const float *loss, const float *losses, \
	                const float *logits, const int32_t *y, int n, int K)) \
	/* rows of inp (R,Cn) scaled to unit length (PyTorch's F.normalize): \
	 * norm[r] = max(||inp[r]||, 1e-12) (sum of squares in double), \
	 * out[r] = inp[r] / norm[r]; norm (R) is kept for the backward; out \
	 * may be inp */ \
	X(l2norm_rows, void, (float *out, float *norm, const float *inp, int R, \
	                      int Cn)) \
	/* its backward: dinp[r] += (dout[r] - out[r] (out[r] . dout[r])) / \
	 * norm[r], the dot in double; dinp does not alias dout or out */ \
	X(l2norm_rows_backward, void, (float *dinp, const float *dout, \
	                               const float *out, const float *norm, \
	                               int R, int Cn)) \
	/* out (n,C,H,W) = the box (top, left, h, w) = draw[4i..4i+3] of \
	 * image i (draw (n,4) backend, whole numbers held as floats, 1 <= h \
	 * <= H, 1 <= w <= W, the box inside the image) resized to HxW, \
	 * bilinear with align_corners=False (PyTorch's F.interpolate): \
	 * output row o reads src = max(0, (o + 0.5) * h / H - 0.5), rows i0 \
	 * = floor(src) and i1 = i0 + 1 (i0 itself on the box's last row), \
	 * weights 1 - l and l, l = src - i0; columns likewise (float \
	 * weights, as PyTorch's: a value may pass its neighbours' range by \
	 * an ulp); out does not alias inp */ \
	X(resized_crop, void, (float *out, const float *inp, const float *draw, \
	                       int n, int C, int H, int W)) \
	/* torchvision's ColorJitter on images of values in [0, bound], C \
	 * == 3 (RGB planes; the op is not called otherwise). draw (n,6) \
	 * backend, per image: apply (0: out = inp), order, then the \
	 * brightness factor b, contrast factor c, saturation factor s and \
	 * hue shift h. order, a whole number k in 0..23, is the k-th \
	 * permutation in lexicographic order of the adjustments numbered \
	 * 0 brightness, 1 contrast, 2 saturation, 3 hue (0: 0123, 1: 0132, \
	 * 2: 0213, ..., 23: 3210; the first is k / 6 of the four, the \
	 * second (k % 6) / 2 of the three left, the third k % 2 of the two \
	 * left); the four are applied in that order, each as \
	 * torchvision.transforms.functional's tensor version, with gray = \
	 * 0.2989 R + 0.587 G + 0.114 B: \
	 *   brightness  x = clamp(b x, 0, bound) \
	 *   contrast    m = the mean of gray over the image as it is then, \
	 *               x = clamp(c x + (1 - c) m, 0, bound) \
	 *   saturation  x = clamp(s x + (1 - s) gray, 0, bound), per pixel \
	 *   hue         on x / bound: RGB to HSV (torchvision's _rgb2hsv; \
	 *               a gray pixel has hue 0 and saturation 0), hue' = \
	 *               (hue + h) mod 1 in [0, 1), HSV to RGB \
	 *               (_hsv2rgb), times bound \
	 * out does not alias inp */ \
	X(color_jitter, void, (float *out, const float *inp, const float *draw, \
	                       int n, int C, int H, int W, float bound)) \
	/* C == 3: where draw[i] != 0 (draw (n) backend) every plane of \
	 * image i becomes gray = 0.2989 R + 0.587 G + 0.114 B \
	 * (torchvision's rgb_to_grayscale, three output channels); copied \
	 * otherwise; out does not alias inp */ \
	X(grayscale, void, (float *out, const float *inp, const float *draw, int n, \
	                    int C, int H, int W)) \
	/* images into and out of the backend's image layout (see the top): \
	 * out (N,C,HW) in the backend's layout = inp (N,C,HW) NCHW, and the \
	 * inverse; where images hold float32, both move 4-byte items as \
	 * they are (an int32 argmax too); out does not alias inp */ \
	X(images_in, void, (float *out, const float *inp, int N, int C, int HW)) \
	X(images_out, void, (float *out, const float *inp, int N, int C, int HW)) \
	/* y (n) += alpha * x, alpha = (float)(rho / (sqrt(s) + eps)) with s = \
	 * sum_i v_i^2 over (n) summed as sqnorm sums it: the bits of \
	 * axpy(y, (float)(rho / (sqrt(sqnorm(v, n)) + eps)), x, n), the norm \
	 * never handed to the host (so no step waits for it); v may be x, y \
	 * aliases neither */ \
	X(axpy_norm, void, (float *y, const float *x, const float *v, size_t n, \
	                    double rho, double eps)) \
	/* one segment of a LARS step (nn_optim.h), the norms never handed \
	 * to the host: with pn = sqrt(sqnorm(param, n)) and gn = \
	 * sqrt(sqnorm(grad, n)) (double), nothing when pn or gn is 0, else \
	 * trust = pn / (gn + pn * wd + 1e-8) * eta in double, with clip \
	 * trust = lr > 0 && trust / lr < 1 ? trust / lr : 1, then \
	 * axpy(g, wd, param, n) unless wd == 0 and scale(g, (float)trust, \
	 * n): the bits of those ops; g (n) aliases neither param nor grad */ \
	X(lars_scale, void, (float *g, const float *param, const float *grad, \
	                     size_t n, float wd, float eta, float lr, int clip))

#define IMB_NN_OP_FIELD_(name, ret, args) ret (*name) args;
#define IMB_NN_OP_ENUM_(name, ret, args) IMB_NN_OP_##name,

enum imb_nn_op { IMB_NN_OPS(IMB_NN_OP_ENUM_) IMB_NN_OP_COUNT };

typedef void (*imb_nn_fnptr)(void);

typedef struct imb_nn_backend {
	const char *name;               /* "cpu", "cuda", "ref" */
	/* Not ops: start-up, called once per process before the backend's
	 * first op (by imb_nn_init for the default backend, by
	 * imb_nn_set_backend for another); idempotent for the same ordinal.
	 * ordinal picks the device of a backend that has several ("cuda:1");
	 * 0 the first. 0, or -1 with imb_error() naming what is missing (no
	 * driver, no such device). The CPU backend's stops OpenBLAS's own
	 * thread pool (blas.h) and always succeeds. */
	int (*init)(int ordinal);
	/* host threads the backend's ops may use: n > 0 sets the count,
	 * n <= 0 means one per online core (the default); takes effect at
	 * the next op (the CPU backend: imb_nn_set_threads, nn_pool.h) */
	void (*set_threads)(int n);
	/* the arithmetic of the matrix products and convolutions
	 * (IMB_NN_FP32, _TF32, _BF16; see imb_nn_set_precision): 0, or -1
	 * with imb_error() for one the backend does not have (the CPU
	 * backend has only float32) */
	int (*set_precision)(int precision);
	/* the training loop's marks around one step, from its batch's data
	 * ops to its tally: key >= 0 begins a step, key < 0 ends it. Between
	 * two marks with the same key the ops come again step after step with
	 * the same arguments but for the bytes uploaded and the optimisers'
	 * lr and step count; a backend may record such a step once and replay
	 * the record (the CUDA backend: a CUDA graph), running as they come
	 * the ops of any step that departs from it. Nothing else changes:
	 * every op still returns what it returns. The CPU backend ignores
	 * the marks */
	void (*mark_step)(long key);
	IMB_NN_OPS(IMB_NN_OP_FIELD_)
} imb_nn_backend;

#define IMB_NN_HOOKS 4          /* init, set_threads, set_precision, mark_step */

/* Precisions of gemm and convolution; everything else is float32. */
enum { IMB_NN_FP32, IMB_NN_TF32, IMB_NN_BF16 };

/* A field added to the struct by hand, not through IMB_NN_OPS, breaks the
 * one-list rule; this catches it. */
static_assert(sizeof(imb_nn_backend) == sizeof(const char *) +
              (IMB_NN_HOOKS + IMB_NN_OP_COUNT) * sizeof(imb_nn_fnptr),
              "imb_nn_backend: every op must come from IMB_NN_OPS");

/* Op names in the table: IMB_NN_OPS(IMB_NN_OP_NAME_) gives "alloc", ... */
#define IMB_NN_OP_NAME_(name, ret, args) #name,

/* Op names in enum order ("alloc", "gemm", ...). */
extern const char *const imb_nn_op_names[IMB_NN_OP_COUNT];

/* The CPU backend's table (nn_backend_cpu.c). */
extern const imb_nn_backend imb_nn_backend_cpu;

/* The registry (nn_backend.c) lists every backend the project has, each
 * by a weak reference: a backend is present where its file is linked
 * (the reference backend of tests/nn_backend_ref.c only in
 * test_nn_backend; a CUDA one only in builds with nvcc). Backends in
 * registry order, NULL past the last linked one: for (int i = 0;
 * (be = imb_nn_backend_at(i)); i++). The CPU backend is always first. */
const imb_nn_backend *imb_nn_backend_at(int i);

/* The backend every layer, loss and optimiser uses (the CPU one unless
 * imb_nn_set_backend chose another). */
const imb_nn_backend *imb_nn_be(void);
/* Select a linked backend by name ("cpu", "cuda", "cuda:N" for device
 * N) and run its init; 0, or -1 with imb_error() (an unknown name,
 * "cuda" in a build without the CUDA backend: "this build has no CUDA
 * backend", or the backend's init failing: no usable GPU). */
int imb_nn_set_backend(const char *name);
/* The current backend's precision by name: "fp32" (the default: float32
 * throughout), "tf32" (products of float32 data on tensor cores, inputs
 * rounded to 10-bit mantissas, float32 sums) or "bf16" (inputs rounded
 * to bfloat16, float32 sums; weights, gradients, the loss and the
 * optimiser stay float32). 0, or -1 with imb_error(). */
int imb_nn_set_precision(const char *name);
/* The current backend's precision as set by imb_nn_set_precision
 * (IMB_NN_FP32 where it was never set). */
int imb_nn_precision(void);

/* Name of the first op (or hook) left NULL in a table, or NULL if it is
 * complete. */
const char *imb_nn_backend_missing(const imb_nn_backend *be);

/* Start-up of the engine: the current backend's init. Every tool calls
 * it through imb_cli_init (where the engine is linked), so the CPU
 * backend stops OpenBLAS's spinning pool as the tool starts. */
void imb_nn_init(void);

#ifdef __cplusplus
}
#endif

#endif
