/* nn_model.h: networks by name, built from the layers of nn_layers.h.
 *
 *   linear         softmax regression: one linear layer D -> K, no hidden
 *                  layer (D = C*H*W: feature vectors or flattened images)
 *   mlp:W1,W2,...  fully connected, ReLU between: D -> W1 -> W2 ... -> K
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
 * A network is a backbone and a head. The head is the last linear layer
 * (F -> K, F the backbone's feature dimension); the backbone is the rest:
 * the hidden layers of an mlp (each linear then ReLU), a ResNet up to and
 * including its average pooling, nothing for linear. A name other than
 * linear may end in a head of several layers:
 *
 *   BACKBONE+mlp:V1,...,Vk
 *                  the head Linear(F,V1)-ReLU-Linear(V1,V2)-ReLU-...
 *                  -Linear(Vk,K): the V are the head's hidden widths, K
 *                  the model's output count. resnet18+mlp:2048 with
 *                  K = 128 is SimCLR's CIFAR projection head 512-2048-128;
 *                  mlp:64,64+mlp:32 is D-64-64 then 64-32-K.
 *
 * A BasicBlock is conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut, then
 * ReLU; where the shape changes the shortcut is a 1x1 strided conv + BN
 * (projection, "option B"), elsewhere the identity. Convolutions have no
 * bias (BN follows each); any input (C,H,W) works, e.g. 1x28x28 or
 * 3x32x32.
 *
 * Parameters live in one flat block params (P floats), in PyTorch's
 * module order (per conv: weight; per BN: weight, bias; per linear:
 * weight, bias; a block's shortcut after its second BN): the backbone's,
 * then the head's from params[head]. So the backbone's parameters of two
 * architectures with the same backbone (imb_nn_arch_same_backbone) have
 * the same layout for the same input shape, whatever their heads.
 * Gradients live in grads (same layout), BN running statistics in bufs
 * (B floats: per BN, running mean then running var; all in the
 * backbone). A model frame is those blocks plus the architecture string. */
#ifndef IMB_NN_MODEL_H
#define IMB_NN_MODEL_H

#include "nn_backend.h"
#include "rng.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct imb_nn_net imb_nn_net;   /* the layer graph, private */

typedef struct {
	char *arch;             /* the name it was built from */
	int C, H, W, K;         /* input shape, outputs (classes) */
	size_t P, B;            /* parameter and buffer counts */
	float *params;          /* (P) backend memory */
	float *grads;           /* (P) */
	float *bufs;            /* (B) running statistics */
	size_t head;            /* params[head..P) are the head's */
	float bn_momentum, bn_eps;  /* 0.1, 1e-5 (PyTorch's) */
	const imb_nn_backend *be;   /* the backend that holds its memory */
	imb_nn_net *net;
} imb_nn_model;

/* What a forward does with batch norm. */
typedef enum {
	IMB_NN_EVAL = 0,        /* the running statistics */
	IMB_NN_TRAIN = 1,       /* batch statistics; running statistics updated */
	IMB_NN_TRAIN_FROZEN = 2 /* batch statistics; running statistics left
	                         * alone (SAM's second pass) */
} imb_nn_mode;

/* Points of the network a forward can stop at. */
typedef enum {
	IMB_NN_AT_LOGITS = 0,   /* the output (K) */
	IMB_NN_AT_FEATURES,     /* the backbone's output: the input of the
	                         * head's first layer (F) */
	IMB_NN_AT_LAST_LINEAR   /* the input of the last linear layer (what
	                         * last-layer Laplace uses); F without a
	                         * +mlp: head, the head's last hidden width
	                         * with one */
} imb_nn_point;

/* Build a model for inputs (C,H,W) and K outputs on the current backend
 * (imb_nn_be(), recorded in m->be: every allocation and free of the
 * model goes through it); parameters zero, BN buffers at (mean 0, var
 * 1). NULL with imb_error() for an unknown name or an input too small
 * for it. */
imb_nn_model *imb_nn_model_new(const char *arch, int C, int H, int W, int K);
/* NULL-safe. */
void imb_nn_model_free(imb_nn_model *m);

/* Initialise: convolutions Kaiming-normal (fan_in, ReLU gain), linear
 * layers PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight
 * and bias, BN weight 1 and bias 0, running mean 0 and var 1. Draws from
 * r in parameter order. */
void imb_nn_model_init(imb_nn_model *m, imb_rng *r);

/* Forward of N samples; x (N,C,H,W) must stay valid until the backward.
 * mode (imb_nn_mode; 0 and 1 are the former train flag): IMB_NN_EVAL
 * normalises with the running statistics; IMB_NN_TRAIN with the batch's,
 * saved for the backward, and updates the running statistics;
 * IMB_NN_TRAIN_FROZEN is IMB_NN_TRAIN without the update (bufs are not
 * written). Returns the logits (N,K), owned by the model and valid until
 * the next forward. */
const float *imb_nn_model_forward(imb_nn_model *m,
                                  const float *x,   // x is (N,C,H,W)
                                  int N, imb_nn_mode mode);
/* Forward of N samples up to the point at, running no layer after it.
 * Returns the activation there, (N, imb_nn_model_point_dim(m, at)),
 * backend memory owned by the model and valid until the next forward
 * (for linear's features, which are the input, it is x itself). A
 * backward needs a forward to the logits: it may not follow this one
 * unless at is IMB_NN_AT_LOGITS. */
const float *imb_nn_model_forward_to(imb_nn_model *m,
                                     const float *x,   // x is (N,C,H,W)
                                     int N, imb_nn_mode mode, imb_nn_point at);
/* Floats per sample at point at: F, the last linear layer's input width,
 * or K. */
size_t imb_nn_model_point_dim(const imb_nn_model *m, imb_nn_point at);
/* Backward of the last forward (to the logits): grads += d loss /
 * d params given dlogits (N,K); BN layers differentiate the statistics
 * of that forward's mode. head_only: only through the head, every head
 * layer (a linear probe, or a projection head on a frozen backbone):
 * the backbone's gradients are left alone, and not computed. */
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

/* One parameter tensor of a model: floats [offset, offset + count) of
 * the listed block. adapt is 1 for a tensor of two or more dimensions in
 * PyTorch (a convolution's or a linear layer's weight), 0 for a
 * one-dimensional one (a bias, a batch norm's weight or bias): what a
 * layer-wise optimiser (LARS, nn_optim.h) scales and decays, and what it
 * leaves alone. */
typedef struct {
	size_t offset, count;
	int adapt;
} imb_nn_segment;

/* The parameter tensors of m from params[from] on, in parameter order
 * (PyTorch's module order), offsets relative to from: from = 0 lists the
 * whole block, from = m->head the head's (the block a head-only training
 * steps). from is the start of a tensor; a tensor starting before it is
 * left out. Writes the first max of them into seg (NULL when max is 0)
 * and returns how many there are: max 0 counts them. The tensors cover
 * params[from..P) exactly, each once. */
size_t imb_nn_model_segments(const imb_nn_model *m, size_t from,
                             imb_nn_segment *seg,   // seg is (max)
                             size_t max);

/* 1 if architectures a and b name the same backbone (the network up to
 * the head: resnet20 and resnet20+mlp:128; mlp:64,64 and
 * mlp:64,64+mlp:32), so that for the same input shape params[0..head)
 * of one is exactly what the other expects (--init carries it over).
 * 0 otherwise, and for a name that is not an architecture. */
int imb_nn_arch_same_backbone(const char *a, const char *b);

/* 1 if arch takes its input flat (linear and mlp:, with any head: any
 * (C,H,W), feature vectors included), 0 if it needs images (ResNets),
 * -1 with imb_error() for an unknown name. */
int imb_nn_arch_flat(const char *arch);

/* 0 if arch names a known architecture, else -1 with imb_error(). */
int imb_nn_arch_check(const char *arch);

/* The parameter and buffer counts (P, B) that imb_nn_model_new(arch, C,
 * H, W, K) would give, computed without building or allocating anything
 * (a model frame's tensors are checked against them first). 0, or -1
 * with imb_error() for an unknown name, a non-positive shape or counts
 * past 2^62. */
int imb_nn_arch_size(const char *arch, int C, int H, int W, int K, size_t *P, size_t *B);
/* The same for arch's backbone alone (the network up to its head): its
 * output width F (the features), and P and B, the first P parameters
 * and every buffer of any network with that backbone. */
int imb_nn_arch_backbone_size(const char *arch, int C, int H, int W, size_t *F, size_t *P,
                              size_t *B);

#ifdef __cplusplus
}
#endif

#endif
