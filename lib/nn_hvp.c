/* nn_hvp.c: Hessian-vector products by the R-operator over the model's
 * op list (nn_net.h): forward, forward R-pass, the CE's R-op, backward
 * with its R-pass. See nn_hvp.h for the algebra. */
#include "nn_hvp.h"
#include "nn_backend.h"
#include "nn_layers.h"
#include "nn_loss.h"
#include "nn_net.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct imb_nn_hvp {
	imb_nn_model *m;
	const imb_nn_backend *be;
	int cap;
	float **r;          /* (nt) R{a} per tensor (cap * per); r[0] NULL (the input) */
	float **g, **rg;    /* (nslots) gradient and R{gradient} slots, the model's plan */
	float *tmp;         /* (cap * largest tensor) */
	float *zeros;       /* (largest C) zeros: a BN with mean 0 and beta 0 */
	float *ones;        /* (K) */
	float *dz, *rdz, *p, *s, *onehot;  /* (cap * K), s (cap) */
	float *hostoh;      /* (cap * K) host staging of the one-hot labels */
	imb_nn_loss loss;
};

imb_nn_hvp *imb_nn_hvp_new(imb_nn_model *m, int cap)
{
	if (imb_nn_precision() == IMB_NN_BF16) {
		imb_seterr("--precision bf16: the curvature products run elementwise ops on images, "
		           "which hold bfloat16 in bf16; use fp32 or tf32");
		return NULL;
	}
	const imb_nn_backend *be = m->be;
	imb_nn_net *n = m->net;
	imb_nn_hvp *h = imb_xcalloc(1, sizeof *h);
	h->m = m;
	h->be = be;
	h->cap = cap < 1 ? 1 : cap;
	size_t big = 1, bigc = 1, K = (size_t)m->K;
	h->r = imb_xcalloc(n->nt, sizeof *h->r);
	for (int i = 1; i < n->nt; i++) {
		h->r[i] = be->alloc(n->t[i].per * h->cap * sizeof(float));
		if (n->t[i].per > big)
			big = n->t[i].per;
	}
	for (int i = 0; i < n->nops; i++)
		if ((size_t)n->ops[i].C > bigc)
			bigc = (size_t)n->ops[i].C;
	h->g = imb_xcalloc(n->nslots + 1, sizeof *h->g);
	h->rg = imb_xcalloc(n->nslots + 1, sizeof *h->rg);
	for (int sl = 0; sl < n->nslots; sl++) {
		h->g[sl] = be->alloc(n->slot_per[sl] * h->cap * sizeof(float));
		h->rg[sl] = be->alloc(n->slot_per[sl] * h->cap * sizeof(float));
	}
	h->tmp = be->alloc(big * h->cap * sizeof(float));
	h->zeros = be->alloc(bigc * sizeof(float));
	be->zero(h->zeros, bigc);
	float *one = imb_xmalloc(K * sizeof(float));
	for (size_t k = 0; k < K; k++)
		one[k] = 1;
	h->ones = be->alloc(K * sizeof(float));
	be->upload(h->ones, one, K * sizeof(float));
	free(one);
	size_t nk = (size_t)h->cap * K;
	h->dz = be->alloc(nk * sizeof(float));
	h->rdz = be->alloc(nk * sizeof(float));
	h->p = be->alloc(nk * sizeof(float));
	h->onehot = be->alloc(nk * sizeof(float));
	h->s = be->alloc((size_t)h->cap * sizeof(float));
	h->hostoh = imb_xcalloc(nk, sizeof(float));
	imb_nn_loss_ce(&h->loss, m->K);
	return h;
}

void imb_nn_hvp_free(imb_nn_hvp *h)
{
	if (!h)
		return;
	const imb_nn_backend *be = h->be;
	imb_nn_net *n = h->m->net;
	for (int i = 1; i < n->nt; i++)
		be->free(h->r[i]);
	for (int sl = 0; sl < n->nslots; sl++) {
		be->free(h->g[sl]);
		be->free(h->rg[sl]);
	}
	free(h->r);
	free(h->g);
	free(h->rg);
	be->free(h->tmp);
	be->free(h->zeros);
	be->free(h->ones);
	be->free(h->dz);
	be->free(h->rdz);
	be->free(h->p);
	be->free(h->onehot);
	be->free(h->s);
	free(h->hostoh);
	imb_nn_loss_free(&h->loss);
	free(h);
}

/* the forward R-pass: h->r[t] for every tensor, given the direction v */
static void r_forward(imb_nn_hvp *h, const float *v, int N)
{
	imb_nn_model *m = h->m;
	imb_nn_net *n = m->net;
	const imb_nn_backend *be = h->be;
	const float *P = m->params;
	for (int i = 0; i < n->nops; i++) {
		const imb_nn_netop *o = &n->ops[i];
		float *ro = h->r[o->out];
		const float *in = imb_nn_net_act(n, o->in);
		const float *ri = imb_nn_net_input(n, o->in) ? NULL : h->r[o->in];   /* R{x} = 0 */
		size_t cnt = (size_t)N * n->t[o->out].per;
		switch (o->kind) {
		case IMB_NN_NET_CONV:
			/* R{y} = conv(x, V) + conv(R{x}, W) */
			imb_nn_conv2d_forward(ro, in, v + o->w, NULL, N, o->C, o->H, o->W, o->OC,
			                      o->K, o->K, o->stride, o->pad);
			if (ri) {
				imb_nn_conv2d_forward(h->tmp, ri, P + o->w, NULL, N, o->C, o->H, o->W,
				                      o->OC, o->K, o->K, o->stride, o->pad);
				be->add(ro, ro, h->tmp, cnt);
			}
			break;
		case IMB_NN_NET_BN:
			/* y = gamma (x - mu) rstd + beta:
			 * R{y} = V_gamma (x - mu) rstd + V_beta + gamma R{x} rstd */
			imb_nn_batchnorm_forward_eval(ro, in, v + o->w, v + o->b, m->bufs + o->rm,
			                              m->bufs + o->rm + o->C, N, o->C, o->H * o->W,
			                              m->bn_eps, NULL, 0);
			if (ri) {
				imb_nn_batchnorm_forward_eval(h->tmp, ri, P + o->w, h->zeros, h->zeros,
				                              m->bufs + o->rm + o->C, N, o->C,
				                              o->H * o->W, m->bn_eps, NULL, 0);
				be->add(ro, ro, h->tmp, cnt);
			}
			break;
		case IMB_NN_NET_RELU:
			/* R{y} = R{x} [y > 0] */
			be->zero(ro, cnt);
			if (ri)
				imb_nn_relu_backward(ro, ri, n->t[o->out].a, cnt);
			break;
		case IMB_NN_NET_ADD: {
			const float *ri2 = o->in2 ? h->r[o->in2] : NULL;
			if (ri && ri2)
				imb_nn_residual_forward(ro, ri, ri2, cnt);
			else if (ri || ri2)
				be->copy(ro, ri ? ri : ri2, cnt * sizeof(float));
			else
				be->zero(ro, cnt);
			break;
		}
		case IMB_NN_NET_AVGPOOL:
			if (ri)
				imb_nn_avgpool_forward(ro, ri, N, o->C, o->H * o->W);
			else
				be->zero(ro, cnt);
			break;
		case IMB_NN_NET_LINEAR:
			/* R{y} = x V_W^T + V_b + R{x} W^T */
			imb_nn_linear_forward(ro, in, v + o->w, v + o->b, N, o->C, o->OC);
			if (ri) {
				imb_nn_linear_forward(h->tmp, ri, P + o->w, NULL, N, o->C, o->OC);
				be->add(ro, ro, h->tmp, cnt);
			}
			break;
		case IMB_NN_NET_IMAGES:         /* data: its R is zero, never read */
			break;
		}
	}
}

/* The CE's gradient and its R-op at the logits z (N,K):
 * dz = weight (p - onehot) / N, R{dz} = weight (p * (R{z} - (p . R{z}) 1)) / N */
static double r_loss(imb_nn_hvp *h, const float *z, const float *rz, const int32_t *y,
                     const int32_t *yh, int N, double weight)
{
	const imb_nn_backend *be = h->be;
	int K = h->m->K;
	size_t nk = (size_t)N * K;
	double loss = imb_nn_loss_forward(&h->loss, h->dz, NULL, z, y, N);
	memset(h->hostoh, 0, nk * sizeof(float));
	for (int i = 0; i < N; i++)
		h->hostoh[(size_t)i * K + yh[i]] = 1;
	be->upload(h->onehot, h->hostoh, nk * sizeof(float));
	/* p = N dz + onehot */
	be->copy(h->p, h->dz, nk * sizeof(float));
	be->scale(h->p, (float)N, nk);
	be->add(h->p, h->p, h->onehot, nk);
	/* s (N) = rows of p * R{z}; rdz = R{z} - s 1^T; rdz *= p */
	be->mul(h->rdz, h->p, rz, nk);
	be->gemm(0, 0, N, 1, K, 1.0f, h->rdz, K, h->ones, 1, 0.0f, h->s, 1);
	be->copy(h->rdz, rz, nk * sizeof(float));
	be->gemm(0, 0, N, K, 1, -1.0f, h->s, 1, h->ones, K, 1.0f, h->rdz, K);
	be->mul(h->rdz, h->rdz, h->p, nk);
	be->scale(h->rdz, (float)(weight / N), nk);
	be->scale(h->dz, (float)weight, nk);
	return loss;
}

double imb_nn_hvp_batch(imb_nn_hvp *h, float *hv, float *grad, const float *v, const float *x,
                        const int32_t *y, const int32_t *yh, int N, double weight)
{
	imb_nn_model *m = h->m;
	imb_nn_net *n = m->net;
	const imb_nn_backend *be = h->be;
	if (N > h->cap) {
		fprintf(stderr, "imb: imb_nn_hvp_batch: a batch of %d samples in a context for %d\n",
		        N, h->cap);
		abort();
	}
	const float *z = imb_nn_model_forward(m, x, N, IMB_NN_EVAL);
	r_forward(h, v, N);
	int last = n->ops[n->nops - 1].out;
	double loss = r_loss(h, z, h->r[last], y, yh, N, weight);
	const float *P = m->params;
	for (int i = n->nops - 1; i >= 0; i--) {
		const imb_nn_netop *o = &n->ops[i];
		if (o->kind == IMB_NN_NET_IMAGES)
			continue;               /* data in, data out: no gradient */
		const imb_nn_tensor *to = &n->t[o->out], *ti = &n->t[o->in];
		const float *dout = o->out == last ? h->dz : h->g[to->slot];
		const float *rdout = o->out == last ? h->rdz : h->rg[to->slot];
		const float *in = imb_nn_net_act(n, o->in);
		int data = imb_nn_net_input(n, o->in);
		const float *ri = data ? NULL : h->r[o->in];
		float *din = data ? NULL : h->g[ti->slot];
		float *rdin = data ? NULL : h->rg[ti->slot];
		float *din2 = NULL, *rdin2 = NULL;
		if (o->in2 > 0) {
			din2 = h->g[n->t[o->in2].slot];
			rdin2 = h->rg[n->t[o->in2].slot];
		}
		size_t cnt = (size_t)N * to->per;
		if (din && ti->birth == i) {
			be->zero(din, ti->per * N);
			be->zero(rdin, ti->per * N);
		}
		if (din2 && n->t[o->in2].birth == i) {
			be->zero(din2, n->t[o->in2].per * N);
			be->zero(rdin2, n->t[o->in2].per * N);
		}
		float *gw = grad && o->w != IMB_NN_NONE ? grad + o->w : NULL;
		float *gb = grad && o->b != IMB_NN_NONE ? grad + o->b : NULL;
		switch (o->kind) {
		case IMB_NN_NET_CONV:
			imb_nn_conv2d_backward(din, gw, NULL, dout, in, P + o->w, N, o->C, o->H, o->W,
			                       o->OC, o->K, o->K, o->stride, o->pad, 0);
			/* R{dx} = R{dy} W + dy V; R{dW} = R{dy}^T x + dy^T R{x} */
			imb_nn_conv2d_backward(rdin, hv + o->w, NULL, rdout, in, P + o->w, N, o->C,
			                       o->H, o->W, o->OC, o->K, o->K, o->stride, o->pad, 0);
			if (rdin)
				imb_nn_conv2d_backward(rdin, NULL, NULL, dout, in, v + o->w, N, o->C,
				                       o->H, o->W, o->OC, o->K, o->K, o->stride, o->pad, 0);
			if (ri)
				imb_nn_conv2d_backward(NULL, hv + o->w, NULL, dout, ri, P + o->w, N,
				                       o->C, o->H, o->W, o->OC, o->K, o->K, o->stride,
				                       o->pad, 0);
			break;
		case IMB_NN_NET_BN: {
			const float *rm = m->bufs + o->rm, *rv = m->bufs + o->rm + o->C;
			int HW = o->H * o->W;
			imb_nn_batchnorm_backward_eval(din, gw, gb, dout, in, P + o->w, rm, rv, N,
			                               o->C, HW, m->bn_eps, NULL, NULL, 0);
			/* dx = gamma rstd dy, dgamma = sum dy xhat, dbeta = sum dy:
			 * R{dx} = gamma rstd R{dy} + V_gamma rstd dy,
			 * R{dgamma} = sum R{dy} xhat + sum dy R{x} rstd, R{dbeta} = sum R{dy} */
			imb_nn_batchnorm_backward_eval(rdin, hv + o->w, hv + o->b, rdout, in,
			                               P + o->w, rm, rv, N, o->C, HW, m->bn_eps, NULL,
			                               NULL, 0);
			if (rdin)
				imb_nn_batchnorm_backward_eval(rdin, NULL, NULL, dout, in, v + o->w, rm,
				                               rv, N, o->C, HW, m->bn_eps, NULL, NULL, 0);
			if (ri)
				imb_nn_batchnorm_backward_eval(NULL, hv + o->w, NULL, dout, ri, P + o->w,
				                               h->zeros, rv, N, o->C, HW, m->bn_eps, NULL,
				                               NULL, 0);
			break;
		}
		case IMB_NN_NET_RELU:
			if (din) {
				imb_nn_relu_backward(din, dout, to->a, cnt);
				imb_nn_relu_backward(rdin, rdout, to->a, cnt);
			}
			break;
		case IMB_NN_NET_ADD:
			imb_nn_residual_backward(din, din2, dout, cnt);
			imb_nn_residual_backward(rdin, rdin2, rdout, cnt);
			break;
		case IMB_NN_NET_AVGPOOL:
			if (din) {
				imb_nn_avgpool_backward(din, dout, N, o->C, o->H * o->W);
				imb_nn_avgpool_backward(rdin, rdout, N, o->C, o->H * o->W);
			}
			break;
		case IMB_NN_NET_LINEAR:
			imb_nn_linear_backward(din, gw, gb, dout, in, P + o->w, N, o->C, o->OC);
			imb_nn_linear_backward(rdin, hv + o->w, hv + o->b, rdout, in, P + o->w, N,
			                       o->C, o->OC);
			if (rdin)
				imb_nn_linear_backward(rdin, NULL, NULL, dout, in, v + o->w, N, o->C,
				                       o->OC);
			if (ri)
				imb_nn_linear_backward(NULL, hv + o->w, NULL, dout, ri, P + o->w, N, o->C,
				                       o->OC);
			break;
		}
	}
	return loss;
}
