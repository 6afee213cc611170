/* nn_layers.h: the network layers, each a forward and a backward in
 * llm.c's shape.
 *
 *   imb_nn_NAME_forward(outputs..., const inputs..., sizes...)
 *   imb_nn_NAME_backward(gradients..., const dout, const saved inputs..., sizes...)
 *
 * Float32, NCHW, C order; a shape comment names each tensor. Backward
 * ACCUMULATES (+=) into every gradient it writes: zero them once per step
 * (imb_nn_be()->zero). A NULL gradient pointer means "not wanted" (the
 * input of the first layer, a frozen parameter). Gradients must not alias
 * the tensors they are computed from. Tensor memory is the current
 * backend's (host memory on the CPU backend); all work goes through the
 * backend table (nn_backend.h), so these functions run unchanged on any
 * backend.
 *
 * Sizes that cannot describe a layer (a kernel larger than the padded
 * input, a zero dimension) are a programming error: the layer prints it
 * and aborts. Check sizes from user input first with
 * imb_nn_conv2d_shape_init / imb_nn_conv2d_out. */
#ifndef IMB_NN_LAYERS_H
#define IMB_NN_LAYERS_H

#include "nn_backend.h"
#include "rng.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Output length of a convolution or pooling along one axis:
 * (in + 2*pad - k) / stride + 1, or -1 when it is not positive. */
int imb_nn_conv2d_out(int in, int k, int stride, int pad);

/* Linear (PyTorch nn.Linear: out = inp w^T + b). */
void imb_nn_linear_forward(float *out,         // out is (N,OC)
                           const float *inp,   // inp is (N,C)
                           const float *w,     // w is (OC,C)
                           const float *b,     // b is (OC), or NULL
                           int N, int C, int OC);
void imb_nn_linear_backward(float *dinp,       // dinp is (N,C), or NULL
                            float *dw,         // dw is (OC,C), or NULL
                            float *db,         // db is (OC), or NULL
                            const float *dout, // dout is (N,OC)
                            const float *inp,  // inp is (N,C)
                            const float *w,    // w is (OC,C)
                            int N, int C, int OC);

/* 2-D convolution (PyTorch nn.Conv2d with groups=1, dilation=1); a
 * KH x KW kernel, the same stride and zero padding on both axes;
 * OH = imb_nn_conv2d_out(H, KH, stride, pad), likewise OW. The backward
 * adds to dinp, dw, db, or with set IMB_NN_SET_DINP writes dinp (as into
 * zeroed memory). */
void imb_nn_conv2d_forward(float *out,         // out is (N,OC,OH,OW)
                           const float *inp,   // inp is (N,C,H,W)
                           const float *w,     // w is (OC,C,KH,KW)
                           const float *b,     // b is (OC), or NULL
                           int N, int C, int H, int W, int OC, int KH, int KW,
                           int stride, int pad);
void imb_nn_conv2d_backward(float *dinp,       // dinp is (N,C,H,W), or NULL
                            float *dw,         // dw is (OC,C,KH,KW), or NULL
                            float *db,         // db is (OC), or NULL
                            const float *dout, // dout is (N,OC,OH,OW)
                            const float *inp,  // inp is (N,C,H,W)
                            const float *w,    // w is (OC,C,KH,KW)
                            int N, int C, int H, int W, int OC, int KH, int KW,
                            int stride, int pad, int set);

/* Batch norm over channels (PyTorch nn.BatchNorm2d / 1d: for a (N,C)
 * input pass HW = 1). Train mode normalises with the batch's mean and
 * biased variance, saves mean and rstd = 1/sqrt(var + eps) for backward,
 * and updates the running statistics in place:
 *   run = (1 - momentum) * run + momentum * batch   (unbiased variance)
 * PyTorch's defaults are momentum 0.1, eps 1e-5. gamma/beta NULL mean
 * 1/0 (affine=False). res non-NULL adds a residual (N,C,HW) to the
 * normalised y in the same pass (y + res, the bits of residual_forward),
 * and relu non-zero runs the ReLU after that (out = y > 0 ? y : 0, the
 * bits of relu_forward): a ResNet block's tail in one pass. Its backward
 * then takes the ReLU's output as relu_out (dout is that output's
 * gradient) and, with a residual, adds the residual's gradient to dres;
 * set (IMB_NN_SET_DINP, IMB_NN_SET_DRES) names those of dinp and dres it
 * writes (as into zeroed memory) instead. */
void imb_nn_batchnorm_forward_train(float *out,       // out is (N,C,HW)
                                    float *mean,      // mean is (C), saved
                                    float *rstd,      // rstd is (C), saved
                                    float *run_mean,  // run_mean is (C), updated
                                    float *run_var,   // run_var is (C), updated
                                    const float *inp, // inp is (N,C,HW)
                                    const float *gamma, // gamma is (C)
                                    const float *beta,  // beta is (C)
                                    int N, int C, int HW, float momentum, float eps,
                                    const float *res, // res is (N,C,HW), or NULL
                                    int relu);
/* Eval mode: normalise with the running statistics. */
void imb_nn_batchnorm_forward_eval(float *out,        // out is (N,C,HW)
                                   const float *inp,  // inp is (N,C,HW)
                                   const float *gamma, // gamma is (C)
                                   const float *beta,  // beta is (C)
                                   const float *run_mean, // run_mean is (C)
                                   const float *run_var,  // run_var is (C)
                                   int N, int C, int HW, float eps,
                                   const float *res,  // res is (N,C,HW), or NULL
                                   int relu);
/* Backward of train mode (through the batch statistics); relu_out: the
 * fused ReLU's output, or NULL; beta: the forward's, where it had a
 * ReLU and no residual, else NULL (nn_backend.h); dres: the fused
 * residual's gradient, accumulated, or NULL (see above). */
void imb_nn_batchnorm_backward(float *dinp,        // dinp is (N,C,HW), or NULL
                               float *dgamma,      // dgamma is (C), or NULL
                               float *dbeta,       // dbeta is (C), or NULL
                               const float *dout,  // dout is (N,C,HW)
                               const float *inp,   // inp is (N,C,HW)
                               const float *gamma, // gamma is (C)
                               const float *beta,  // beta is (C), or NULL
                               const float *mean,  // mean is (C), from forward
                               const float *rstd,  // rstd is (C), from forward
                               int N, int C, int HW,
                               const float *relu_out, // relu_out is (N,C,HW), or NULL
                               float *dres,           // dres is (N,C,HW), or NULL
                               int set);
/* Backward of eval mode (running statistics held fixed). */
void imb_nn_batchnorm_backward_eval(float *dinp,   // dinp is (N,C,HW), or NULL
                                    float *dgamma, // dgamma is (C), or NULL
                                    float *dbeta,  // dbeta is (C), or NULL
                                    const float *dout,     // dout is (N,C,HW)
                                    const float *inp,      // inp is (N,C,HW)
                                    const float *gamma,    // gamma is (C)
                                    const float *run_mean, // run_mean is (C)
                                    const float *run_var,  // run_var is (C)
                                    int N, int C, int HW, float eps,
                                    const float *relu_out, // (N,C,HW), or NULL
                                    float *dres,           // (N,C,HW), or NULL
                                    int set);

/* ReLU; out may be inp (in place). The backward reads the output. */
void imb_nn_relu_forward(float *out,        // out is (n)
                         const float *inp,  // inp is (n)
                         size_t n);
void imb_nn_relu_backward(float *dinp,      // dinp is (n)
                          const float *dout, // dout is (n)
                          const float *out,  // out is (n), from forward
                          size_t n);

/* Max pooling, K x K window, stride, padding (padding never wins);
 * OH = imb_nn_conv2d_out(H, K, stride, pad). argmax remembers the winner
 * (its index in the (H,W) plane) for backward. */
void imb_nn_maxpool_forward(float *out,        // out is (N,C,OH,OW)
                            int32_t *argmax,   // argmax is (N,C,OH,OW)
                            const float *inp,  // inp is (N,C,H,W)
                            int N, int C, int H, int W, int K, int stride, int pad);
void imb_nn_maxpool_backward(float *dinp,          // dinp is (N,C,H,W)
                             const float *dout,    // dout is (N,C,OH,OW)
                             const int32_t *argmax, // argmax is (N,C,OH,OW)
                             int N, int C, int H, int W, int K, int stride, int pad);

/* Images into the backend's image layout (nn_backend.h): out = inp
 * (N,C,HW) NCHW, laid out as the convolutions, batch norms and pools
 * that follow want it; out does not alias inp. */
void imb_nn_images_in(float *out,        // out is (N,C,HW), backend layout
                      const float *inp,  // inp is (N,C,HW), NCHW
                      int N, int C, int HW);

/* Global average pooling: out[n][c] = mean of inp[n][c] over H*W; inp in
 * the backend's image layout, out plain (N,C). */
void imb_nn_avgpool_forward(float *out,        // out is (N,C)
                            const float *inp,  // inp is (N,C,HW)
                            int N, int C, int HW);
void imb_nn_avgpool_backward(float *dinp,      // dinp is (N,C,HW)
                             const float *dout, // dout is (N,C)
                             int N, int C, int HW);

/* Residual add: out = a + b (out may be a or b). */
void imb_nn_residual_forward(float *out,       // out is (n)
                             const float *a,   // a is (n)
                             const float *b,   // b is (n)
                             size_t n);
void imb_nn_residual_backward(float *da,       // da is (n), or NULL
                              float *db,       // db is (n), or NULL
                              const float *dout, // dout is (n)
                              size_t n);

/* Dropout (train mode; in eval mode it is the identity, don't call it).
 * Each element is kept with probability 1-p and scaled by 1/(1-p)
 * (PyTorch's inverted dropout); mask records 0 or 1/(1-p) per element,
 * drawn in order from r, one imb_rng_uniform per element (dropped when
 * u < p). 0 <= p < 1. out may be inp. */
void imb_nn_dropout_forward(float *out,        // out is (n)
                            float *mask,       // mask is (n), written
                            const float *inp,  // inp is (n)
                            size_t n, float p, imb_rng *r);
void imb_nn_dropout_backward(float *dinp,      // dinp is (n)
                             const float *dout, // dout is (n)
                             const float *mask, // mask is (n), from forward
                             size_t n);

#ifdef __cplusplus
}
#endif

#endif
