/* nn_model.h: networks by name, built from the layers of nn_layers.h.
 *
 *   mlp:W1,W2,...  fully connected, ReLU between: D -> W1 -> W2 ... -> K
 *                  (D = C*H*W: feature vectors or flattened images)
 *   resnet8, resnet20, resnet32, resnet44, resnet56, resnet110
 *                  He et al.'s CIFAR ResNets (depth 6n+2): a 3x3 conv
 *                  stem of 16 channels, three stages of n BasicBlocks
 *                  with 16, 32, 64 channels (stride 2 entering stages 2
 *                  and 3), global average pooling, a linear classifier
 *   resnet18, resnet34
 *                  the CIFAR variant: 3x3 stem of 64 channels, no max
 *                  pool, BasicBlocks [2,2,2,2] / [3,4,6,3] with 64, 128,
 *                  256, 512 channels, global average pooling, linear
 *
 * A BasicBlock is conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut, then
 * ReLU; where the shape changes the shortcut is a 1x1 strided conv + BN
 * (projection, "option B"), elsewhere the identity. Convolutions have no
 * bias (BN follows each); any input (C,H,W) works, e.g. 1x28x28 or
 * 3x32x32.
 *
 * Parameters live in one flat block params (P floats), in PyTorch's
 * module order (per conv: weight; per BN: weight, bias; per linear:
 * weight, bias; a block's shortcut after its second BN), gradients in
 * grads (same layout), BN running statistics in bufs (B floats: per BN,
 * running mean then running var). A model frame is those blocks plus the
 * architecture string. */
#ifndef IMB_NN_MODEL_H
#define IMB_NN_MODEL_H

#include "rng.h"

#include <stddef.h>

typedef struct imb_nn_net imb_nn_net;   /* the layer graph, private */

typedef struct {
	char *arch;             /* the name it was built from */
	int C, H, W, K;         /* input shape, classes */
	size_t P, B;            /* parameter and buffer counts */
	float *params;          /* (P) backend memory */
	float *grads;           /* (P) */
	float *bufs;            /* (B) running statistics */
	size_t head;            /* params[head..P) are the last linear layer's */
	float bn_momentum, bn_eps;  /* 0.1, 1e-5 (PyTorch's) */
	imb_nn_net *net;
} imb_nn_model;

/* Build a model for inputs (C,H,W) and K classes; parameters zero, BN
 * buffers at (mean 0, var 1). NULL with imb_error() for an unknown name
 * or an input too small for it. */
imb_nn_model *imb_nn_model_new(const char *arch, int C, int H, int W, int K);
/* NULL-safe. */
void imb_nn_model_free(imb_nn_model *m);

/* Initialise: convolutions Kaiming-normal (fan_in, ReLU gain), linear
 * layers PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight
 * and bias, BN weight 1 and bias 0, running mean 0 and var 1. Draws from
 * r in parameter order. */
void imb_nn_model_init(imb_nn_model *m, imb_rng *r);

/* Forward of N samples; x (N,C,H,W) must stay valid until the backward.
 * train: BN on batch statistics, running statistics updated; else on
 * the running statistics. Returns the logits (N,K), owned by the model
 * and valid until the next forward. */
const float *imb_nn_model_forward(imb_nn_model *m,
                                  const float *x,   // x is (N,C,H,W)
                                  int N, int train);
/* Backward of the last (train-mode) forward: grads += d loss / d params
 * given dlogits (N,K). head_only: only the last linear layer (a linear
 * probe: the backbone's gradients are left alone, and not computed). */
void imb_nn_model_backward(imb_nn_model *m,
                           const float *dlogits,    // dlogits is (N,K)
                           int head_only);
/* Class probabilities: softmax of the eval-mode logits for N samples,
 * run in chunks of at most batch samples (batch <= 0: 256). x (N,C,H,W)
 * is backend memory, probs (N,K) host memory. */
void imb_nn_model_predict(imb_nn_model *m,
                          float *probs,       // probs is (N,K)
                          const float *x,     // x is (N,C,H,W)
                          size_t N, int batch);
/* grads = 0 */
void imb_nn_model_zero_grad(imb_nn_model *m);

/* 1 if architectures a and b share their backbone (the network up to
 * the head), so that --init can carry it from one to the other. */
int imb_nn_arch_same_backbone(const char *a, const char *b);

/* 0 if arch names a known architecture, else -1 with imb_error(). */
int imb_nn_arch_check(const char *arch);

#endif
