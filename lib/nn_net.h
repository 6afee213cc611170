/* nn_net.h: the layer graph behind imb_nn_model, private to the engine
 * (nn_model.c builds it from a name nn_arch.c parsed, and runs it;
 * nn_hvp.c walks it for curvature, nn_segments.c for the parameter
 * tensors). A network is a list of ops over numbered tensors; tensor 0
 * is the input. Not a public header: the layout may change with the
 * model. */
#ifndef IMB_NN_NET_H
#define IMB_NN_NET_H

#include "nn_model.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* op kinds */
enum {
	IMB_NN_NET_CONV, IMB_NN_NET_BN, IMB_NN_NET_RELU, IMB_NN_NET_ADD, IMB_NN_NET_AVGPOOL,
	IMB_NN_NET_LINEAR,
	IMB_NN_NET_IMAGES          /* the input into the backend's image layout
	                            * (images_in); a ResNet's first op */
};

#define IMB_NN_NONE ((size_t)-1)

typedef struct {
	int kind;
	int in, in2, out;          /* tensor ids; tensor 0 is the input */
	int C, H, W;               /* per-sample input shape (linear: C features) */
	int OC, K, stride, pad;    /* conv: out channels, kernel; linear: OC */
	size_t w, b;               /* offsets into params (IMB_NN_NONE: absent) */
	size_t rm;                 /* BN: running mean at bufs+rm, var at bufs+rm+C;
	                            * saved batch mean at stats+rm, rstd at stats+rm+C */
	float *mean, *rstd;        /* BN: saved batch statistics (C) */
	int relu;                  /* BN: the next op is a ReLU in place on its
	                            * output, which the model runs with it (the
	                            * backend's fused batch norm); RELU: run so by
	                            * the op before it (a BN, or an ADD with bn) */
	int bn;                    /* ADD: the BN whose output is its first input
	                            * (and nothing else's), run here with the
	                            * residual in2 and the ReLU after the ADD in
	                            * one pass: a ResNet block's tail; -1: none */
	int tail;                  /* BN: the ADD that runs it so (0: none) */
	                           /* The curvature products walk fused ops one
	                            * by one all the same. */
} imb_nn_netop;

typedef struct {
	size_t per;                /* floats per sample */
	int alias;                 /* shares the activation of this tensor, or -1 */
	int birth;                 /* op whose backward first writes g, or -1 */
	int slot;                  /* gradient buffer slot, or -1 */
	float *a, *g;              /* activation, gradient (N * per) */
} imb_nn_tensor;

struct imb_nn_net {
	imb_nn_netop *ops;
	int nops;
	imb_nn_tensor *t;
	int nt;
	int N, cap;                /* batch of the last forward, allocated batch */
	int train;                 /* the last forward used batch statistics */
	int ran;                   /* ops the last forward ran */
	int head_op, last_op;      /* the head's first op, the last linear op */
	int loose;                 /* a ReLU or add on images that no batch norm
	                            * runs (elementwise on images: not in bf16,
	                            * whose images are not float32; nn_backend.h) */
	float *stats;              /* (B) backend memory: every BN's mean and rstd */
	const float *x;
	/* Gradient buffers are shared: a tensor's gradient lives from the
	 * backward of its last consumer to that of its producer, and tensors
	 * whose lives do not overlap share a slot (plan_grads). */
	int nslots;
	size_t *slot_per;          /* floats per sample of each slot */
	float **slot_buf;
};

/* An architecture name, parsed (nn_arch.c); imb_nn_model_new builds the
 * network from it. */
enum { IMB_NN_ARCH_LINEAR = 1, IMB_NN_ARCH_MLP, IMB_NN_ARCH_RESNET };

typedef struct {
	struct {                        /* the backbone (same_backbone compares it) */
		int kind;               /* IMB_NN_ARCH_* */
		int nwidth, width[64];  /* mlp:W1,W2,... */
		int nstage, blocks[4], planes[4], stem;
	} bb;
	int nhead, hwidth[64];          /* +mlp:V1,V2,...: the head's hidden widths */
} imb_nn_layout;

/* 0 with *L, or -1 with imb_error() for a name that is not an
 * architecture */
int imb_nn_arch_parse(const char *arch, imb_nn_layout *L);

/* 1 if tensor id is the input or the input in the backend's image layout
 * (what a ResNet's first op makes of it): data, whose gradient is never
 * wanted and whose R-op is zero */
static inline int imb_nn_net_input(const imb_nn_net *n, int id)
{
	return id == 0 || (n->nops > 0 && n->ops[0].kind == IMB_NN_NET_IMAGES &&
	                   id == n->ops[0].out);
}

/* the activation of tensor id of the last forward (tensor 0: the input) */
static inline const float *imb_nn_net_act(const imb_nn_net *n, int id)
{
	return id == 0 ? n->x : n->t[id].a;
}

#ifdef __cplusplus
}
#endif

#endif
