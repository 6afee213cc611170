/* nn_model.c: networks by name as a list of layer ops over numbered
 * tensors; forward runs the list (a forward to a point runs a prefix of
 * it), backward runs it in reverse (head-only: back to the head's first
 * op). */
#include "nn_model.h"
#include "cli.h"
#include "nn_backend.h"
#include "nn_layers.h"
#include "nn_net.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef imb_nn_netop op;
typedef imb_nn_tensor tensor;
#define NONE IMB_NN_NONE

typedef struct {
	imb_nn_model *m;
	imb_nn_net *n;
	int capops, capt;
} builder;

static int new_tensor(builder *b, size_t per, int alias)
{
	imb_nn_net *n = b->n;
	if (n->nt == b->capt) {
		b->capt = b->capt ? 2 * b->capt : 16;
		n->t = imb_xrealloc(n->t, b->capt * sizeof *n->t);
	}
	while (alias >= 0 && n->t[alias].alias >= 0)
		alias = n->t[alias].alias;
	n->t[n->nt] = (tensor){ per, alias, -1, -1, NULL, NULL };
	return n->nt++;
}

static op *new_op(builder *b, int kind, int in)
{
	imb_nn_net *n = b->n;
	if (n->nops == b->capops) {
		b->capops = b->capops ? 2 * b->capops : 16;
		n->ops = imb_xrealloc(n->ops, b->capops * sizeof *n->ops);
	}
	op *o = &n->ops[n->nops++];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->in = in;
	o->in2 = -1;
	o->bn = -1;
	o->w = o->b = o->rm = NONE;
	return o;
}

/* shape of the running (C,H,W) tensor while building */
typedef struct { int t, C, H, W; } cur;

static cur conv(builder *b, cur x, int OC, int K, int stride, int pad)
{
	op *o = new_op(b, IMB_NN_NET_CONV, x.t);
	o->C = x.C, o->H = x.H, o->W = x.W;
	o->OC = OC, o->K = K, o->stride = stride, o->pad = pad;
	o->w = b->m->P;
	b->m->P += (size_t)OC * x.C * K * K;
	cur y = { 0, OC, imb_nn_conv2d_out(x.H, K, stride, pad),
	          imb_nn_conv2d_out(x.W, K, stride, pad) };
	y.t = new_tensor(b, (size_t)y.C * y.H * y.W, -1);
	b->n->ops[b->n->nops - 1].out = y.t;
	return y;
}

static cur bn(builder *b, cur x)
{
	op *o = new_op(b, IMB_NN_NET_BN, x.t);
	o->C = x.C, o->H = x.H, o->W = x.W;
	o->w = b->m->P;
	o->b = b->m->P + x.C;
	b->m->P += 2 * (size_t)x.C;
	o->rm = b->m->B;
	b->m->B += 2 * (size_t)x.C;
	cur y = x;
	y.t = new_tensor(b, (size_t)x.C * x.H * x.W, -1);
	o->out = y.t;
	return y;
}

/* the op that makes tensor t, or -1 */
static int producer(const imb_nn_net *n, int t)
{
	for (int i = n->nops - 1; i >= 0; i--)
		if (n->ops[i].out == t)
			return i;
	return -1;
}

/* ops that read tensor t */
static int readers(const imb_nn_net *n, int t)
{
	int k = 0;
	for (int i = 0; i < n->nops; i++)
		k += (n->ops[i].in == t) + (n->ops[i].in2 == t);
	return k;
}

/* in place: the output shares the input's activation memory (nothing
 * else needs the pre-activation values), not its gradient */
static cur relu(builder *b, cur x)
{
	/* right after the batch norm that made x: the two run as one; right
	 * after an ADD whose first input a batch norm made for it alone: the
	 * three (a block's tail) */
	imb_nn_net *n = b->n;
	op *prev = n->nops ? &n->ops[n->nops - 1] : NULL;
	int fused = prev && prev->kind == IMB_NN_NET_BN && prev->out == x.t;
	if (fused)
		prev->relu = 1;
	if (prev && prev->kind == IMB_NN_NET_ADD && prev->out == x.t) {
		int j = producer(n, prev->in);
		if (j >= 0 && n->ops[j].kind == IMB_NN_NET_BN && !n->ops[j].relu &&
		    readers(n, prev->in) == 1) {
			prev->bn = j;
			n->ops[j].tail = n->nops - 1;
			fused = 1;
		}
	}
	op *o = new_op(b, IMB_NN_NET_RELU, x.t);
	o->relu = fused;
	o->C = x.C, o->H = x.H, o->W = x.W;
	cur y = x;
	y.t = new_tensor(b, (size_t)x.C * x.H * x.W, x.t);
	o->out = y.t;
	return y;
}

static cur add(builder *b, cur x, cur s)
{
	op *o = new_op(b, IMB_NN_NET_ADD, x.t);
	o->in2 = s.t;
	o->C = x.C, o->H = x.H, o->W = x.W;
	cur y = x;
	y.t = new_tensor(b, (size_t)x.C * x.H * x.W, -1);
	o->out = y.t;
	return y;
}

/* the input into the backend's image layout, ahead of a convolution */
static cur images(builder *b, cur x)
{
	op *o = new_op(b, IMB_NN_NET_IMAGES, x.t);
	o->C = x.C, o->H = x.H, o->W = x.W;
	cur y = x;
	y.t = new_tensor(b, (size_t)x.C * x.H * x.W, -1);
	o->out = y.t;
	return y;
}

static cur avgpool(builder *b, cur x)
{
	op *o = new_op(b, IMB_NN_NET_AVGPOOL, x.t);
	o->C = x.C, o->H = x.H, o->W = x.W;
	cur y = { 0, x.C, 1, 1 };
	y.t = new_tensor(b, (size_t)x.C, -1);
	o->out = y.t;
	return y;
}

static cur linear(builder *b, cur x, int OC)
{
	op *o = new_op(b, IMB_NN_NET_LINEAR, x.t);
	o->C = x.C * x.H * x.W, o->H = o->W = 1;
	o->OC = OC;
	o->w = b->m->P;
	o->b = b->m->P + (size_t)OC * o->C;
	b->m->P += (size_t)OC * o->C + OC;
	cur y = { 0, OC, 1, 1 };
	y.t = new_tensor(b, (size_t)OC, -1);
	o->out = y.t;
	return y;
}

static cur basic_block(builder *b, cur x, int planes, int stride)
{
	cur h = relu(b, bn(b, conv(b, x, planes, 3, stride, 1)));
	h = bn(b, conv(b, h, planes, 3, 1, 1));
	cur s = x;
	if (stride != 1 || x.C != planes)
		s = bn(b, conv(b, x, planes, 1, stride, 0));
	return relu(b, add(b, h, s));
}

/* 1 when a ReLU or an add runs by itself on images (between the
 * network's move into the image layout and its average pooling) */
static int loose_on_images(const imb_nn_net *n)
{
	char *img = imb_xcalloc((size_t)n->nt, 1);
	int loose = 0;
	for (int i = 0; i < n->nops; i++) {
		const op *o = &n->ops[i];
		int on = o->kind == IMB_NN_NET_IMAGES ||
		         (o->kind != IMB_NN_NET_AVGPOOL && o->kind != IMB_NN_NET_LINEAR && img[o->in]);
		img[o->out] = (char)on;
		if (img[o->in] && ((o->kind == IMB_NN_NET_RELU && !o->relu) ||
		                   (o->kind == IMB_NN_NET_ADD && o->bn < 0)))
			loose = 1;
	}
	free(img);
	return loose;
}

/* Give each gradient a slot: sweep the ops backwards as the backward
 * pass does; a tensor's gradient is born at its last consumer and dies
 * after its producer; a dead gradient's slot is reused (best fit). */
static void plan_grads(imb_nn_net *n)
{
	for (int i = 0; i < n->nops; i++) {
		const op *o = &n->ops[i];
		n->t[o->in].birth = i;
		if (o->in2 >= 0)
			n->t[o->in2].birth = i;
	}
	for (int t = 0; t < n->nt; t++)
		if (imb_nn_net_input(n, t))
			n->t[t].birth = -1;     /* the input's gradient is never wanted */
	int *busy = imb_xcalloc(n->nt + 1, sizeof(int));
	n->slot_per = imb_xcalloc(n->nt + 1, sizeof(size_t));
	for (int i = n->nops - 1; i >= 0; i--) {
		const op *o = &n->ops[i];
		/* an ADD that runs a block's tail writes its batch norm's input
		 * gradient too: that is born here */
		int tail = o->kind == IMB_NN_NET_ADD && o->bn >= 0;
		int ins[3] = { o->in, o->in2, tail ? n->ops[o->bn].in : -1 };
		for (int k = 0; k < 3; k++) {
			int t = ins[k];
			if (t < 0 || imb_nn_net_input(n, t) || n->t[t].slot >= 0 ||
			    n->t[t].birth != (k < 2 ? i : o->bn))
				continue;
			size_t need = n->t[t].per;
			int best = -1, big = -1;
			for (int sl = 0; sl < n->nslots; sl++) {
				if (busy[sl])
					continue;
				if (n->slot_per[sl] >= need &&
				    (best < 0 || n->slot_per[sl] < n->slot_per[best]))
					best = sl;
				if (big < 0 || n->slot_per[sl] > n->slot_per[big])
					big = sl;
			}
			if (best < 0)
				best = big >= 0 ? big : n->nslots++;
			if (n->slot_per[best] < need)
				n->slot_per[best] = need;
			busy[best] = 1;
			n->t[t].slot = best;
		}
		/* a batch norm (or a block's tail) run with its ReLU reads the
		 * ReLU's output gradient: that lives on to its backward */
		int dead = o->kind == IMB_NN_NET_RELU && o->relu ? -1 : o->out;
		if (dead >= 0 && n->t[dead].slot >= 0)
			busy[n->t[dead].slot] = 0;
		if (((o->kind == IMB_NN_NET_BN && o->relu) || (tail && n->ops[i + 1].relu)) &&
		    n->t[n->ops[i + 1].out].slot >= 0)
			busy[n->t[n->ops[i + 1].out].slot] = 0;
	}
	free(busy);
	n->slot_buf = imb_xcalloc(n->nslots + 1, sizeof(float *));
}

imb_nn_model *imb_nn_model_new(const char *arch, int C, int H, int W, int K)
{
	imb_nn_layout L;
	if (imb_nn_arch_parse(arch, &L))
		return NULL;
	if (C < 1 || H < 1 || W < 1 || K < 1) {
		imb_seterr("model %s: input %dx%dx%d with %d classes is not a shape", arch, C,
		           H, W, K);
		return NULL;
	}
	imb_nn_model *m = imb_xcalloc(1, sizeof *m);
	m->arch = imb_xstrdup(arch);
	m->C = C, m->H = H, m->W = W, m->K = K;
	m->bn_momentum = 0.1f;
	m->bn_eps = 1e-5f;
	m->be = imb_nn_be();
	imb_nn_net *n = m->net = imb_xcalloc(1, sizeof *m->net);
	builder b = { m, n, 0, 0 };
	cur x = { new_tensor(&b, (size_t)C * H * W, -1), C, H, W };
	if (L.bb.kind == IMB_NN_ARCH_RESNET) {
		x = relu(&b, bn(&b, conv(&b, images(&b, x), L.bb.stem, 3, 1, 1)));
		for (int s = 0; s < L.bb.nstage; s++)
			for (int k = 0; k < L.bb.blocks[s]; k++)
				x = basic_block(&b, x, L.bb.planes[s], k == 0 && s > 0 ? 2 : 1);
		x = avgpool(&b, x);
	} else {
		x = (cur){ x.t, C * H * W, 1, 1 };
		for (int k = 0; k < L.bb.nwidth; k++)
			x = relu(&b, linear(&b, x, L.bb.width[k]));
	}
	m->head = m->P;
	n->head_op = n->nops;
	for (int k = 0; k < L.nhead; k++)
		x = relu(&b, linear(&b, x, L.hwidth[k]));
	n->last_op = n->nops;
	linear(&b, x, K);
	n->loose = loose_on_images(n);
	plan_grads(n);
	const imb_nn_backend *be = m->be;
	m->params = be->alloc(m->P * sizeof(float));
	m->grads = be->alloc(m->P * sizeof(float));
	m->bufs = be->alloc((m->B ? m->B : 1) * sizeof(float));
	n->stats = be->alloc((m->B ? m->B : 1) * sizeof(float));
	be->zero(m->params, m->P);
	be->zero(m->grads, m->P);
	be->zero(n->stats, m->B);
	float *host = imb_xcalloc(m->B ? m->B : 1, sizeof(float));
	for (int i = 0; i < n->nops; i++) {
		op *o = &n->ops[i];
		if (o->kind == IMB_NN_NET_BN) {
			o->mean = n->stats + o->rm;
			o->rstd = n->stats + o->rm + o->C;
			for (int c = 0; c < o->C; c++)
				host[o->rm + o->C + c] = 1;
		}
	}
	be->upload(m->bufs, host, m->B * sizeof(float));
	free(host);
	return m;
}

void imb_nn_model_init(imb_nn_model *m, imb_rng *r)
{
	const imb_nn_backend *be = m->be;
	float *p = imb_xcalloc(m->P ? m->P : 1, sizeof(float));
	float *bufs = imb_xcalloc(m->B ? m->B : 1, sizeof(float));
	for (int i = 0; i < m->net->nops; i++) {
		op *o = &m->net->ops[i];
		if (o->kind == IMB_NN_NET_CONV) {
			size_t n = (size_t)o->OC * o->C * o->K * o->K;
			double sd = sqrt(2.0 / ((double)o->C * o->K * o->K));
			for (size_t k = 0; k < n; k++)
				p[o->w + k] = (float)(sd * imb_rng_normal(r));
		} else if (o->kind == IMB_NN_NET_BN) {
			for (int c = 0; c < o->C; c++) {
				p[o->w + c] = 1;
				bufs[o->rm + o->C + c] = 1;
			}
		} else if (o->kind == IMB_NN_NET_LINEAR) {
			double bound = 1 / sqrt((double)o->C);
			for (size_t k = 0; k < (size_t)o->OC * o->C; k++)
				p[o->w + k] = (float)(bound * (2 * imb_rng_uniform(r) - 1));
			for (int k = 0; k < o->OC; k++)
				p[o->b + k] = (float)(bound * (2 * imb_rng_uniform(r) - 1));
		}
	}
	be->upload(m->params, p, m->P * sizeof(float));
	be->upload(m->bufs, bufs, m->B * sizeof(float));
	free(p);
	free(bufs);
}

/* activations and gradients for N samples */
static void reserve(const imb_nn_backend *be, imb_nn_net *n, int N)
{
	if (N <= n->cap)
		return;
	for (int i = 1; i < n->nt; i++) {
		tensor *t = &n->t[i];
		if (t->alias < 0) {
			if (t->a)
				be->free(t->a);
			t->a = be->alloc(t->per * N * sizeof(float));
		}
	}
	for (int sl = 0; sl < n->nslots; sl++) {
		if (n->slot_buf[sl])
			be->free(n->slot_buf[sl]);
		n->slot_buf[sl] = be->alloc(n->slot_per[sl] * N * sizeof(float));
	}
	for (int i = 1; i < n->nt; i++) {
		if (n->t[i].alias >= 0)
			n->t[i].a = n->t[n->t[i].alias].a;
		n->t[i].g = n->t[i].slot >= 0 ? n->slot_buf[n->t[i].slot] : NULL;
	}
	n->cap = N;
}

static const float *act(const imb_nn_net *n, int id)
{
	return id == 0 ? n->x : n->t[id].a;
}

/* batch norm op o on in into out, with the residual res (or NULL) and
 * the ReLU after (relu); rs: the running statistics to update, or NULL */
static void bn_forward(imb_nn_model *m, const op *o, float *out, const float *in,
                       const float *res, int relu, float *rs)
{
	const imb_nn_net *n = m->net;
	const float *P = m->params;
	if (n->train)
		imb_nn_batchnorm_forward_train(out, o->mean, o->rstd, rs ? rs + o->rm : NULL,
		                               rs ? rs + o->rm + o->C : NULL, in, P + o->w,
		                               P + o->b, n->N, o->C, o->H * o->W, m->bn_momentum,
		                               m->bn_eps, res, relu);
	else
		imb_nn_batchnorm_forward_eval(out, in, P + o->w, P + o->b, m->bufs + o->rm,
		                              m->bufs + o->rm + o->C, n->N, o->C, o->H * o->W,
		                              m->bn_eps, res, relu);
}

/* its backward: dout reaches it (through the ReLU's output rout, if
 * any); din and dres (the residual's) gather the gradients, or take
 * them where set says (IMB_NN_SET_DINP, IMB_NN_SET_DRES) */
static void bn_backward(imb_nn_model *m, const op *o, float *din, const float *dout,
                        const float *rout, float *dres, int set)
{
	const imb_nn_net *n = m->net;
	const float *P = m->params, *in = act(n, o->in);
	float *G = m->grads;
	/* beta where the forward had the ReLU and no residual: the mask may
	 * be worked out from in, not read from rout */
	const float *beta = rout && !o->tail ? P + o->b : NULL;
	if (n->train)
		imb_nn_batchnorm_backward(din, G + o->w, G + o->b, dout, in, P + o->w, beta,
		                          o->mean, o->rstd, n->N, o->C, o->H * o->W, rout, dres,
		                          set);
	else
		imb_nn_batchnorm_backward_eval(din, G + o->w, G + o->b, dout, in, P + o->w,
		                               m->bufs + o->rm, m->bufs + o->rm + o->C, n->N, o->C,
		                               o->H * o->W, m->bn_eps, rout, dres, set);
}

/* the forward of ops [0, stop) */
static void run(imb_nn_model *m, const float *x, int N, imb_nn_mode mode, int stop)
{
	imb_nn_net *n = m->net;
	reserve(m->be, n, N);
	n->x = x;
	n->N = N;
	n->train = mode != IMB_NN_EVAL;
	n->ran = stop;
	const float *P = m->params;
	if (n->loose && imb_nn_precision() == IMB_NN_BF16)
		imb_die(1, "model %s: a ReLU or add on images outside batch norm cannot run in "
		        "bf16 (images hold bfloat16 there); use --precision tf32", m->arch);
	/* frozen statistics: the backend's BN takes NULL running statistics */
	float *rs = mode == IMB_NN_TRAIN ? m->bufs : NULL;
	for (int i = 0; i < stop; i++) {
		const op *o = &n->ops[i];
		float *out = n->t[o->out].a;
		const float *in = act(n, o->in);
		size_t cnt = (size_t)N * n->t[o->out].per;
		switch (o->kind) {
		case IMB_NN_NET_CONV:
			imb_nn_conv2d_forward(out, in, P + o->w, NULL, N, o->C, o->H, o->W, o->OC,
			                      o->K, o->K, o->stride, o->pad);
			break;
		case IMB_NN_NET_BN:
			if (o->tail && o->tail < stop)
				break;          /* run by the ADD of its block's tail */
			bn_forward(m, o, out, in, NULL, o->relu && i + 1 < stop, rs);
			break;
		case IMB_NN_NET_RELU:
			if (!o->relu)           /* else done by the op before it */
				imb_nn_relu_forward(out, in, cnt);
			break;
		case IMB_NN_NET_ADD:
			if (o->bn >= 0)         /* a block's tail: batch norm, add, ReLU */
				bn_forward(m, &n->ops[o->bn], out, act(n, n->ops[o->bn].in),
				           act(n, o->in2), i + 1 < stop && n->ops[i + 1].relu, rs);
			else
				imb_nn_residual_forward(out, in, act(n, o->in2), cnt);
			break;
		case IMB_NN_NET_AVGPOOL:
			imb_nn_avgpool_forward(out, in, N, o->C, o->H * o->W);
			break;
		case IMB_NN_NET_LINEAR:
			imb_nn_linear_forward(out, in, P + o->w, P + o->b, N, o->C, o->OC);
			break;
		case IMB_NN_NET_IMAGES:
			imb_nn_images_in(out, in, N, o->C, o->H * o->W);
			break;
		}
	}
}

const float *imb_nn_model_forward(imb_nn_model *m, const float *x, int N, imb_nn_mode mode)
{
	imb_nn_net *n = m->net;
	run(m, x, N, mode, n->nops);
	return n->t[n->ops[n->nops - 1].out].a;
}

/* the op whose input is point at, or nops for the logits */
static int stop_at(const imb_nn_net *n, imb_nn_point at)
{
	return at == IMB_NN_AT_FEATURES ? n->head_op
	       : at == IMB_NN_AT_LAST_LINEAR ? n->last_op : n->nops;
}

const float *imb_nn_model_forward_to(imb_nn_model *m, const float *x, int N,
                                     imb_nn_mode mode, imb_nn_point at)
{
	imb_nn_net *n = m->net;
	int stop = stop_at(n, at);
	run(m, x, N, mode, stop);
	return stop < n->nops ? act(n, n->ops[stop].in) : n->t[n->ops[n->nops - 1].out].a;
}

size_t imb_nn_model_point_dim(const imb_nn_model *m, imb_nn_point at)
{
	const imb_nn_net *n = m->net;
	int stop = stop_at(n, at);
	return stop < n->nops ? n->t[n->ops[stop].in].per : (size_t)m->K;
}

void imb_nn_model_backward(imb_nn_model *m, const float *dlogits, int head_only)
{
	imb_nn_net *n = m->net;
	const imb_nn_backend *be = m->be;
	if (n->ran != n->nops) {
		fprintf(stderr, "imb: model %s: a backward needs a forward to the logits\n",
		        m->arch);
		abort();
	}
	/* head_only: the head's ops, and no gradient for the features */
	int N = n->N, last = n->ops[n->nops - 1].out, stop = head_only ? n->head_op : 0;
	int nograd = head_only ? n->ops[n->head_op].in : 0;
	const float *P = m->params;
	float *G = m->grads;
	for (int i = n->nops - 1; i >= stop; i--) {
		const op *o = &n->ops[i];
		if ((o->kind == IMB_NN_NET_RELU && o->relu) || (o->kind == IMB_NN_NET_BN && o->tail))
			continue;               /* with the op before it; with its tail */
		/* a batch norm, or a block's tail, with its ReLU: the ReLU's output
		 * and its gradient */
		int tail = o->kind == IMB_NN_NET_ADD && o->bn >= 0;
		int fused = (o->kind == IMB_NN_NET_BN && o->relu) || (tail && n->ops[i + 1].relu);
		const float *rout = fused ? n->t[n->ops[i + 1].out].a : NULL;
		const float *dout = rout ? n->t[n->ops[i + 1].out].g
		                    : o->out == last ? dlogits : n->t[o->out].g;
		const float *in = act(n, o->in);
		float *din = imb_nn_net_input(n, o->in) || o->in == nograd ? NULL : n->t[o->in].g;
		size_t cnt = (size_t)N * n->t[o->out].per;
		/* gradients born here start at zero: the convolution and the
		 * batch norm write theirs (set), the other ops add to zeroed ones */
		int born = din && n->t[o->in].birth == i;
		int born2 = o->in2 > 0 && n->t[o->in2].birth == i;
		if (tail) {
			/* a block's tail: the batch norm's backward, the residual's
			 * gradient with it (the ADD's first input's has no use) */
			const op *b = &n->ops[o->bn];
			float *dbn = imb_nn_net_input(n, b->in) || b->in == nograd ? NULL
			                                                           : n->t[b->in].g;
			int set = (dbn && n->t[b->in].birth == o->bn ? IMB_NN_SET_DINP : 0) |
			          (born2 ? IMB_NN_SET_DRES : 0);
			bn_backward(m, b, dbn, dout, rout, o->in2 == 0 ? NULL : n->t[o->in2].g, set);
			continue;
		}
		int set = born ? IMB_NN_SET_DINP : 0;
		if (born && o->kind != IMB_NN_NET_CONV && o->kind != IMB_NN_NET_BN)
			be->zero(din, n->t[o->in].per * N);
		if (born2)
			be->zero(n->t[o->in2].g, n->t[o->in2].per * N);
		switch (o->kind) {
		case IMB_NN_NET_CONV:           /* the forward read these weights */
			imb_nn_conv2d_backward(din, G + o->w, NULL, dout, in, P + o->w, N, o->C, o->H,
			                       o->W, o->OC, o->K, o->K, o->stride, o->pad,
			                       set | IMB_NN_SAME_W);
			break;
		case IMB_NN_NET_BN:
			bn_backward(m, o, din, dout, rout, NULL, set);
			break;
		case IMB_NN_NET_RELU:
			if (din)
				imb_nn_relu_backward(din, dout, n->t[o->out].a, cnt);
			break;
		case IMB_NN_NET_ADD:
			imb_nn_residual_backward(din, o->in2 == 0 ? NULL : n->t[o->in2].g, dout, cnt);
			break;
		case IMB_NN_NET_AVGPOOL:
			if (din)
				imb_nn_avgpool_backward(din, dout, N, o->C, o->H * o->W);
			break;
		case IMB_NN_NET_LINEAR:
			imb_nn_linear_backward(din, G + o->w, G + o->b, dout, in, P + o->w, N, o->C,
			                       o->OC);
			break;
		case IMB_NN_NET_IMAGES:         /* the input's gradient: never wanted */
			break;
		}
	}
}

void imb_nn_model_predict(imb_nn_model *m, float *probs, const float *x, size_t N, int batch)
{
	const imb_nn_backend *be = m->be;
	size_t D = (size_t)m->C * m->H * m->W, K = (size_t)m->K;
	if (batch <= 0)
		batch = 256;
	for (size_t at = 0; at < N; at += (size_t)batch) {
		int n = N - at < (size_t)batch ? (int)(N - at) : batch;
		const float *z = imb_nn_model_forward(m, x + at * D, n, IMB_NN_EVAL);
		float *p = probs + at * K;
		be->download(p, z, (size_t)n * K * sizeof(float));
		for (int i = 0; i < n; i++) {
			float *r = p + i * K;
			double mx = r[0], s = 0;
			for (size_t j = 1; j < K; j++)
				mx = r[j] > mx ? r[j] : mx;
			for (size_t j = 0; j < K; j++)
				s += exp(r[j] - mx);
			for (size_t j = 0; j < K; j++)
				r[j] = (float)(exp(r[j] - mx) / s);
		}
	}
}

void imb_nn_model_zero_grad(imb_nn_model *m)
{
	m->be->zero(m->grads, m->P);
}

void imb_nn_model_free(imb_nn_model *m)
{
	if (!m)
		return;
	const imb_nn_backend *be = m->be;
	imb_nn_net *n = m->net;
	for (int i = 1; i < n->nt; i++)
		if (n->t[i].alias < 0 && n->t[i].a)
			be->free(n->t[i].a);
	for (int sl = 0; sl < n->nslots; sl++)
		if (n->slot_buf[sl])
			be->free(n->slot_buf[sl]);
	free(n->slot_buf);
	free(n->slot_per);
	free(n->ops);
	free(n->t);
	be->free(n->stats);
	free(n);
	be->free(m->params);
	be->free(m->grads);
	be->free(m->bufs);
	free(m->arch);
	free(m);
}
