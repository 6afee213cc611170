/* nn_hvp.h: exact Hessian-vector products of a network's loss with
 * respect to its parameters (Pearlmutter 1994, the R-operator).
 *
 * For the mean cross-entropy L(theta) over a set of samples, with batch
 * norm in eval mode (the running statistics are constants), one product
 * Hv = d/dt grad L(theta + t v) at t = 0 is a forward pass, a forward
 * R-pass (R{a} = d a(theta + t v)/dt for every activation a), the loss's
 * R-op
 *
 *     R{dz} = (diag p - p p^T) R{z} / N          (plain CE, p = softmax z)
 *
 * and a backward pass together with its R-pass, which carries the
 * second-order terms: linear and conv layers are bilinear in input and
 * weight (R{dx} = R{dy} W + dy V_W, R{dW} = R{dy}^T x + dy^T R{x}),
 * eval-mode BN is bilinear in x and gamma, ReLU is piecewise linear
 * (R{dx} = R{dy} [y > 0]), residual add and average pooling are linear.
 * Every step is a backend op on backend memory (nn_backend.h): no host
 * loop touches a tensor, so a new backend runs it unchanged. The only
 * host work is the one-hot matrix of a batch's labels (N x K floats).
 *
 * Objective: plain softmax cross-entropy (the paper's); the class
 * weights, focal term, logit adjustment and margins of nn_loss.h are not
 * supported. */
#ifndef IMB_NN_HVP_H
#define IMB_NN_HVP_H

#include "nn_model.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct imb_nn_hvp imb_nn_hvp;

/* A product context for model m (which must outlive it) and batches of
 * up to cap samples; all buffers on m's backend. NULL with imb_error()
 * in bf16: the products run elementwise ops on images, which hold
 * bfloat16 there (nn_backend.h). */
imb_nn_hvp *imb_nn_hvp_new(imb_nn_model *m, int cap);
/* NULL-safe. */
void imb_nn_hvp_free(imb_nn_hvp *h);

/* One batch's share of the product for the mean CE over a set of
 * samples: hv += weight * H_b v and (grad non-NULL) grad += weight *
 * grad_b, with H_b, grad_b the Hessian and gradient of the batch's mean
 * CE at m->params, BN in eval mode. weight = n / (the set's size) makes
 * the sum over the set's batches the set's product. x (n,C,H,W), y (n),
 * v, hv, grad (P) are backend memory, yh (n) the same labels on the host;
 * n <= cap. Returns the batch's mean loss. m's activation buffers are
 * overwritten (a forward runs). */
double imb_nn_hvp_batch(imb_nn_hvp *h,
                        float *hv,                // hv is (P)
                        float *grad,              // grad is (P), or NULL
                        const float *v,           // v is (P)
                        const float *x,           // x is (n,C,H,W)
                        const int32_t *y,         // y is (n), backend
                        const int32_t *yh,        // yh is (n), host
                        int n, double weight);

#ifdef __cplusplus
}
#endif

#endif
