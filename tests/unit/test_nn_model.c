/* test_nn_model.c: networks by name. Parameter counts against the known
 * PyTorch figures, the parameter gradient of small networks against
 * central finite differences of the model's own forward (float, so a
 * loose tolerance; the 1e-4 comparison with PyTorch is in nn_ref.bats),
 * the linear probe, eval mode, frozen BN statistics, forwards to the
 * features and to the last linear layer's input, heads of several
 * layers, softmax regression, determinism, gradient buffers' old
 * contents never reaching a gradient, the fused ops a ResNet runs, and
 * bad names. */
#include "check.h"
#include "nn_check.h"
#include "nn_model.h"
#include "nn_net.h"
#include "nn_backend.h"
#include "nn_layers.h"
#include "nn_loss.h"
#include "nn_optim.h"
#include "util.h"

#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static float loss_of(imb_nn_model *m, const imb_nn_loss *L, const float *x,
                     const int32_t *y, int N, float *dz)
{
	const float *z = imb_nn_model_forward(m, x, N, 1);
	return imb_nn_loss_forward(L, dz, NULL, z, y, N);
}

/* analytic gradient vs central differences over up to 60 parameters;
 * head_only: of the head's parameters from a head-only backward, which
 * must leave every backbone gradient at zero */
static void gradcheck_(const char *arch, int C, int H, int W, int K, int N, int head_only)
{
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, K);
	CHECK(m != NULL);
	if (!m)
		return;
	imb_rng r;
	imb_rng_seed(&r, 9);
	imb_nn_model_init(m, &r);
	size_t D = (size_t)C * H * W;
	float *x = malloc(N * D * sizeof(float)), *dz = malloc((size_t)N * K * sizeof(float));
	int32_t *y = malloc(N * sizeof(int32_t));
	for (size_t i = 0; i < N * D; i++)
		x[i] = (float)imb_rng_normal(&r);
	for (int i = 0; i < N; i++)
		y[i] = i % K;
	imb_nn_loss L;
	imb_nn_loss_ce(&L, K);
	imb_nn_model_zero_grad(m);
	loss_of(m, &L, x, y, N, dz);
	imb_nn_model_backward(m, dz, head_only);
	const float h = 1e-3f;
	double md = 0, mx = 0;
	size_t from = head_only ? m->head : 0, span = m->P - from;
	size_t step = span > 60 ? span / 60 : 1;
	int touched = 0;
	for (size_t k = 0; k < from; k++)
		touched += m->grads[k] != 0;
	CHECK_EQ_INT(touched, 0);
	for (size_t k = from; k < m->P; k += step) {
		float save = m->params[k];
		m->params[k] = save + h;
		double fp = loss_of(m, &L, x, y, N, NULL);
		m->params[k] = save - h;
		double fm = loss_of(m, &L, x, y, N, NULL);
		m->params[k] = save;
		double g = (fp - fm) / (2 * h);
		md = fabs(g - m->grads[k]) > md ? fabs(g - m->grads[k]) : md;
		mx = fabs(g) > mx ? fabs(g) : mx;
	}
	printf("%-14s %dx%dx%d K=%d N=%d: P=%zu, %s grads vs finite differences max diff "
	       "%.3g (max |fd| %.3g)\n", arch, C, H, W, K, N, m->P,
	       head_only ? "head-only: head" : "all", md, mx);
	CHECK(mx > 0);
	CHECK(md <= 1e-2 * mx);
	imb_nn_loss_free(&L);
	imb_nn_model_free(m);
	free(x);
	free(dz);
	free(y);
}

static void gradcheck(const char *arch, int C, int H, int W, int K, int N)
{
	gradcheck_(arch, C, H, W, K, N, 0);
}

static size_t nparams(const char *arch, int C, int H, int W, int K)
{
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, K);
	size_t P = m ? m->P : 0;
	imb_nn_model_free(m);
	return P;
}

static imb_nn_model *new_init(const char *arch, int C, int H, int W, int K, uint64_t seed)
{
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, K);
	CHECK(m != NULL);
	if (!m) {
		fprintf(stderr, "%s: %s\n", arch, imb_error());
		exit(1);
	}
	imb_rng r;
	imb_rng_seed(&r, seed);
	imb_nn_model_init(m, &r);
	return m;
}

static float *randn(size_t n, uint64_t seed)
{
	imb_rng r;
	imb_rng_seed(&r, seed);
	float *x = malloc(n * sizeof(float));
	for (size_t i = 0; i < n; i++)
		x[i] = (float)imb_rng_normal(&r);
	return x;
}

static float *fdup(const float *p, size_t n)
{
	float *q = malloc((n ? n : 1) * sizeof(float));
	memcpy(q, p, n * sizeof(float));
	return q;
}

/* frozen statistics: the train forward's logits and gradients, bufs untouched */
static void test_frozen(void)
{
	imb_nn_model *m = new_init("resnet8", 3, 8, 8, 4, 2);
	int N = 5, K = 4;
	float *x = randn((size_t)N * 3 * 8 * 8, 3), *dz = randn((size_t)N * K, 4);
	imb_nn_model_forward(m, x, N, IMB_NN_TRAIN);   /* running stats off (0, 1) */
	float *b0 = fdup(m->bufs, m->B);
	imb_nn_model_zero_grad(m);
	float *zf = fdup(imb_nn_model_forward(m, x, N, IMB_NN_TRAIN_FROZEN), (size_t)N * K);
	imb_nn_model_backward(m, dz, 0);
	float *gf = fdup(m->grads, m->P);
	int same_bufs = !memcmp(b0, m->bufs, m->B * sizeof(float));
	imb_nn_model_zero_grad(m);
	float *zt = fdup(imb_nn_model_forward(m, x, N, IMB_NN_TRAIN), (size_t)N * K);
	imb_nn_model_backward(m, dz, 0);
	int moved = 0;
	for (size_t i = 0; i < m->B; i++)
		moved += b0[i] != m->bufs[i];
	const float *ze = imb_nn_model_forward(m, x, N, IMB_NN_EVAL);
	double de = 0;
	for (int i = 0; i < N * K; i++)
		de = fabs(ze[i] - zf[i]) > de ? fabs(ze[i] - zf[i]) : de;
	printf("frozen BN statistics: bufs %s, logits %s and gradients %s the train "
	       "forward's; train mode moved %d of %zu buffers; eval differs by %.3g\n",
	       same_bufs ? "untouched" : "CHANGED",
	       memcmp(zf, zt, (size_t)N * K * sizeof(float)) ? "differ from" : "equal",
	       memcmp(gf, m->grads, m->P * sizeof(float)) ? "differ from" : "equal",
	       moved, m->B, de);
	CHECK(same_bufs);
	CHECK(memcmp(zf, zt, (size_t)N * K * sizeof(float)) == 0);
	CHECK(memcmp(gf, m->grads, m->P * sizeof(float)) == 0);
	CHECK(moved > (int)m->B / 2);
	CHECK(de > 0);                  /* the frozen forward is not eval mode */
	free(x); free(dz); free(b0); free(zf); free(gf); free(zt);
	imb_nn_model_free(m);
}

/* The backward starts every activation gradient it uses, by zeroing it
 * or by an op that writes it (set): gradient buffers filled with NaN
 * before a backward give the gradients of clean ones, bit for bit, in
 * train and eval mode. */
static void test_stale_slots(const char *arch, int C, int H, int W)
{
	int N = 4, K = 3;
	imb_nn_model *m = new_init(arch, C, H, W, K, 5);
	const imb_nn_net *n = m->net;
	float *x = randn((size_t)N * C * H * W, 6), *dz = randn((size_t)N * K, 7);
	for (int mode = IMB_NN_TRAIN_FROZEN; mode >= 0; mode -= IMB_NN_TRAIN_FROZEN) {
		imb_nn_model_zero_grad(m);
		imb_nn_model_forward(m, x, N, (imb_nn_mode)mode);
		imb_nn_model_backward(m, dz, 0);
		float *g0 = fdup(m->grads, m->P);
		for (int sl = 0; sl < n->nslots; sl++)
			for (size_t i = 0; i < n->slot_per[sl] * N; i++)
				n->slot_buf[sl][i] = NAN;
		imb_nn_model_zero_grad(m);
		imb_nn_model_forward(m, x, N, (imb_nn_mode)mode);
		imb_nn_model_backward(m, dz, 0);
		int same = !memcmp(g0, m->grads, m->P * sizeof(float));
		printf("%s, %s mode: %d gradient buffers filled with NaN first: gradients %s\n", arch,
		       mode ? "train" : "eval", n->nslots, same ? "the same bits" : "DIFFER");
		CHECK(same);
		free(g0);
	}
	free(x); free(dz);
	imb_nn_model_free(m);
}

/* forward_to: the head's layers applied by hand (widths hw[0..nh), then
 * K) to the features give the logits, and to the last linear layer's
 * input too; stopping early leaves the logits buffer alone */
static void test_forward_to(const char *arch, int C, int H, int W, int K, size_t F,
                            const int *hw, int nh, imb_nn_mode mode)
{
	imb_nn_model *m = new_init(arch, C, H, W, K, 5);
	int N = 4;
	size_t D = (size_t)C * H * W, L = nh ? (size_t)hw[nh - 1] : F;
	float *x = randn(N * D, 6), *x2 = randn(N * D, 7);
	CHECK_EQ_INT(imb_nn_model_point_dim(m, IMB_NN_AT_FEATURES), F);
	CHECK_EQ_INT(imb_nn_model_point_dim(m, IMB_NN_AT_LAST_LINEAR), L);
	CHECK_EQ_INT(imb_nn_model_point_dim(m, IMB_NN_AT_LOGITS), K);
	const float *zp = imb_nn_model_forward(m, x, N, mode);
	float *z = fdup(zp, (size_t)N * K);
	imb_nn_model_forward_to(m, x2, N, mode, IMB_NN_AT_FEATURES);
	int head_ran = memcmp(zp, z, (size_t)N * K * sizeof(float)) != 0;
	imb_nn_model_forward_to(m, x2, N, mode, IMB_NN_AT_LAST_LINEAR);
	head_ran += memcmp(zp, z, (size_t)N * K * sizeof(float)) != 0;
	CHECK_EQ_INT(head_ran, 0);
	float *h = fdup(imb_nn_model_forward_to(m, x, N, mode, IMB_NN_AT_FEATURES), N * F);
	float *last = fdup(imb_nn_model_forward_to(m, x, N, mode, IMB_NN_AT_LAST_LINEAR), N * L);
	CHECK(memcmp(imb_nn_model_forward_to(m, x, N, mode, IMB_NN_AT_LOGITS), z,
	             (size_t)N * K * sizeof(float)) == 0);
	/* the head by hand */
	size_t off = m->head, in = F;
	double dlast = -1;
	for (int k = 0; k <= nh; k++) {
		size_t out = k < nh ? (size_t)hw[k] : (size_t)K;
		if (k == nh) {
			dlast = 0;
			for (size_t i = 0; i < N * in; i++)
				dlast = fabs(h[i] - last[i]) > dlast ? fabs(h[i] - last[i]) : dlast;
		}
		float *o = malloc(N * out * sizeof(float));
		imb_nn_linear_forward(o, h, m->params + off, m->params + off + out * in, N,
		                      (int)in, (int)out);
		if (k < nh)
			imb_nn_relu_forward(o, o, N * out);
		off += out * in + out;
		free(h);
		h = o;
		in = out;
	}
	CHECK_EQ_INT(off, m->P);
	double d = 0, mx = 0;
	for (int i = 0; i < N * K; i++) {
		d = fabs(h[i] - z[i]) > d ? fabs(h[i] - z[i]) : d;
		mx = fabs(z[i]) > mx ? fabs(z[i]) : mx;
	}
	printf("forward_to %-16s F=%zu, last linear input %zu: head by hand vs logits max "
	       "diff %.3g (max |z| %.3g), last linear input max diff %.3g\n", arch, F, L, d,
	       mx, dlast);
	CHECK(mx > 0);
	CHECK(d == 0);
	CHECK(dlast == 0);
	if (m->head == 0)               /* no backbone: the features are the input */
		CHECK(imb_nn_model_forward_to(m, x, N, mode, IMB_NN_AT_FEATURES) == x);
	free(x); free(x2); free(z); free(h); free(last);
	imb_nn_model_free(m);
}

/* a backward after a forward that stopped early is refused (abort) */
static void test_backward_needs_logits(void)
{
	imb_nn_model *m = new_init("mlp:5,4+mlp:3", 3, 1, 1, 2, 1);
	float *x = randn(6, 2), *dz = randn(4, 3);
	imb_nn_model_forward_to(m, x, 2, IMB_NN_TRAIN, IMB_NN_AT_FEATURES);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {                 /* quietly, and without a core file */
		struct rlimit no = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no);
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		imb_nn_model_backward(m, dz, 0);
		_exit(0);
	}
	int st = 0;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st));
	printf("backward after a forward to the features: %s\n",
	       WIFSIGNALED(st) ? "refused (abort)" : "NOT refused");
	/* after a full forward it runs */
	imb_nn_model_forward(m, x, 2, IMB_NN_TRAIN);
	imb_nn_model_zero_grad(m);
	imb_nn_model_backward(m, dz, 0);
	free(x); free(dz);
	imb_nn_model_free(m);
}

/* a copy of params[0..head) (and bufs) from a, whatever its head, makes
 * b's features a's */
static void test_backbone_copy(const char *a, const char *b, int C, int H, int W)
{
	CHECK(imb_nn_arch_same_backbone(a, b) == 1);
	imb_nn_model *ma = new_init(a, C, H, W, 3, 11), *mb = new_init(b, C, H, W, 7, 12);
	CHECK_EQ_INT(ma->head, mb->head);
	CHECK_EQ_INT(ma->B, mb->B);
	CHECK_EQ_INT(imb_nn_model_point_dim(ma, IMB_NN_AT_FEATURES),
	             imb_nn_model_point_dim(mb, IMB_NN_AT_FEATURES));
	int N = 3;
	size_t F = imb_nn_model_point_dim(ma, IMB_NN_AT_FEATURES);
	float *x = randn((size_t)N * C * H * W, 13);
	/* running stats away from (0, 1), so that bufs must come along */
	imb_nn_model_forward(ma, x, N, IMB_NN_TRAIN);
	float *fa = fdup(imb_nn_model_forward_to(ma, x, N, IMB_NN_EVAL, IMB_NN_AT_FEATURES),
	                N * F);
	int before = !memcmp(fa, imb_nn_model_forward_to(mb, x, N, IMB_NN_EVAL,
	                                                 IMB_NN_AT_FEATURES),
	                     N * F * sizeof(float));
	memcpy(mb->params, ma->params, ma->head * sizeof(float));
	memcpy(mb->bufs, ma->bufs, ma->B * sizeof(float));
	int after = !memcmp(fa, imb_nn_model_forward_to(mb, x, N, IMB_NN_EVAL,
	                                                IMB_NN_AT_FEATURES),
	                    N * F * sizeof(float));
	printf("backbone %s -> %s: %zu parameters, features %s before the copy, %s after\n",
	       a, b, ma->head, before ? "equal" : "differ", after ? "equal" : "DIFFER");
	CHECK(!before);
	CHECK(after);
	free(x); free(fa);
	imb_nn_model_free(ma);
	imb_nn_model_free(mb);
}

/* head-only backward: the head's gradients are those of the full backward */
static void test_head_only(const char *arch, int C, int H, int W, int K)
{
	imb_nn_model *a = new_init(arch, C, H, W, K, 21), *b = new_init(arch, C, H, W, K, 21);
	int N = 5;
	float *x = randn((size_t)N * C * H * W, 22), *dz = randn((size_t)N * K, 23);
	imb_nn_model_zero_grad(a);
	imb_nn_model_zero_grad(b);
	imb_nn_model_forward(a, x, N, IMB_NN_TRAIN);
	imb_nn_model_backward(a, dz, 0);
	imb_nn_model_forward(b, x, N, IMB_NN_TRAIN);
	imb_nn_model_backward(b, dz, 1);
	int backbone = 0, head_differs = 0, head_zero = 0, first = 0;
	for (size_t i = 0; i < b->head; i++)
		backbone += b->grads[i] != 0;
	for (size_t i = b->head; i < b->P; i++) {
		head_differs += b->grads[i] != a->grads[i];
		head_zero += b->grads[i] == 0;
	}
	/* the first quarter of the head lies in its first layer: reached */
	for (size_t i = b->head; i < b->head + (b->P - b->head) / 4; i++)
		first += b->grads[i] != 0;
	printf("head-only backward %-16s %zu head parameters (%zu zero), %d backbone "
	       "gradients touched, %d head gradients differ from the full backward\n", arch,
	       b->P - b->head, (size_t)head_zero, backbone, head_differs);
	CHECK_EQ_INT(backbone, 0);
	CHECK_EQ_INT(head_differs, 0);
	CHECK(first > 0);
	free(x); free(dz);
	imb_nn_model_free(a);
	imb_nn_model_free(b);
}

/* softmax regression: logits = x W^T + b */
static void test_linear(int C, int H, int W, int K)
{
	imb_nn_model *m = new_init("linear", C, H, W, K, 31);
	int N = 6;
	size_t D = (size_t)C * H * W;
	CHECK_EQ_INT(m->P, D * K + K);
	CHECK_EQ_INT(m->head, 0);
	CHECK_EQ_INT(m->B, 0);
	CHECK_EQ_INT(imb_nn_model_point_dim(m, IMB_NN_AT_FEATURES), D);
	CHECK_EQ_INT(imb_nn_model_point_dim(m, IMB_NN_AT_LAST_LINEAR), D);
	float *x = randn(N * D, 32);
	const float *z = imb_nn_model_forward(m, x, N, IMB_NN_TRAIN);
	double d = 0, mx = 0;
	for (int i = 0; i < N; i++)
		for (int k = 0; k < K; k++) {
			double s = m->params[D * K + k];
			for (size_t j = 0; j < D; j++)
				s += (double)x[i * D + j] * m->params[k * D + j];
			d = fabs(z[i * K + k] - s) > d ? fabs(z[i * K + k] - s) : d;
			mx = fabs(s) > mx ? fabs(s) : mx;
		}
	printf("linear %dx%dx%d K=%d: P=%zu, logits vs x W^T + b (double) max diff %.3g "
	       "(max |z| %.3g)\n", C, H, W, K, m->P, d, mx);
	CHECK(mx > 0);
	CHECK(d <= 1e-6 * mx);
	free(x);
	imb_nn_model_free(m);
	gradcheck("linear", C, H, W, K, N);
}

/* A ResNet's first op moves its input into the backend's image layout;
 * each batch norm followed by a ReLU in place runs with it (the stem's
 * and the first of each block's: 1 + blocks pairs), and each block's
 * tail, batch norm, residual add and ReLU, runs as one at the add
 * (blocks tails); networks on flat inputs have none of these. */
static void test_layout_and_fusion(const char *arch, int C, int H, int W, int pairs,
                                   int tails)
{
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, 3);
	CHECK(m != NULL);
	const imb_nn_net *n = m->net;
	int images = 0, fused = 0, tail = 0;
	for (int i = 0; i < n->nops; i++) {
		const imb_nn_netop *o = &n->ops[i];
		images += o->kind == IMB_NN_NET_IMAGES;
		if (o->kind == IMB_NN_NET_BN && o->relu) {
			fused++;
			CHECK(i + 1 < n->nops && n->ops[i + 1].kind == IMB_NN_NET_RELU &&
			      n->ops[i + 1].relu && n->ops[i + 1].in == o->out && !o->tail);
		}
		if (o->kind == IMB_NN_NET_ADD && o->bn >= 0) {
			const imb_nn_netop *b = &n->ops[o->bn];
			tail++;
			CHECK(o->bn < i && b->kind == IMB_NN_NET_BN && b->out == o->in &&
			      b->tail == i && !b->relu);
			CHECK(i + 1 < n->nops && n->ops[i + 1].kind == IMB_NN_NET_RELU &&
			      n->ops[i + 1].relu && n->ops[i + 1].in == o->out);
		}
		if (o->kind == IMB_NN_NET_BN && o->tail)
			CHECK(n->ops[o->tail].kind == IMB_NN_NET_ADD && n->ops[o->tail].bn == i);
		if (o->kind == IMB_NN_NET_RELU && o->relu)
			CHECK(i > 0 && ((n->ops[i - 1].kind == IMB_NN_NET_BN && n->ops[i - 1].relu) ||
			                (n->ops[i - 1].kind == IMB_NN_NET_ADD && n->ops[i - 1].bn >= 0)));
	}
	printf("%s: %d image-layout op, %d batch norms with their ReLU, %d block tails\n", arch,
	       images, fused, tail);
	CHECK(images == (pairs > 0));
	CHECK(images == 0 || n->ops[0].kind == IMB_NN_NET_IMAGES);
	CHECK(fused == pairs);
	CHECK(tail == tails);
	imb_nn_model_free(m);
}

static void test_names(void)
{
	static const char *const bad[] = {
		"linear+mlp:3", "resnet18+mlp:", "resnet18+mlp:0", "resnet18+mlp:4,",
		"resnet18+foo", "resnet18+", "mlp:4+mlp:3+mlp:2", "mlp:4,+mlp:3",
		"resnet 20", "resnet+20", "mlp: 4", "mlp:+4", "linearx", "+mlp:3",
		"resnet20+mlp:4x",
	};
	for (size_t i = 0; i < IMB_LEN(bad); i++) {
		int rc = imb_nn_arch_check(bad[i]);
		printf("  %-20s %s\n", bad[i], rc ? imb_error() : "ACCEPTED");
		CHECK(rc == -1);
	}
	static const char *const good[] = {
		"linear", "resnet18+mlp:2048", "mlp:64,64+mlp:32", "resnet20+mlp:128,128",
		"resnet8",
	};
	for (size_t i = 0; i < IMB_LEN(good); i++)
		CHECK(imb_nn_arch_check(good[i]) == 0);
	CHECK(imb_nn_arch_check("vgg16") == -1);
	CHECK_HAS(imb_error(), "linear");
	CHECK_HAS(imb_error(), "+mlp:");
	CHECK(imb_nn_arch_flat("linear") == 1);
	CHECK(imb_nn_arch_flat("mlp:4+mlp:2") == 1);
	CHECK(imb_nn_arch_flat("resnet8") == 0);
	CHECK(imb_nn_arch_flat("resnet8+mlp:2") == 0);
	CHECK(imb_nn_arch_flat("vgg16") == -1);
	/* same backbone: the network up to the head */
	static const struct { const char *a, *b; int same; } sb[] = {
		{ "resnet20", "resnet20+mlp:128", 1 },
		{ "resnet20+mlp:64", "resnet20+mlp:128,32", 1 },
		{ "mlp:64,64", "mlp:64,64+mlp:32", 1 },
		{ "mlp:64", "mlp:64+mlp:64", 1 },
		{ "linear", "linear", 1 },
		{ "resnet18", "resnet18", 1 },
		{ "mlp:64,64", "mlp:64", 0 },
		{ "mlp:64,64", "mlp:64,64,32", 0 },
		{ "mlp:64,64", "mlp:64+mlp:64", 0 },
		{ "linear", "mlp:4", 0 },
		{ "resnet20", "resnet32", 0 },
		{ "resnet18", "resnet34", 0 },
		{ "resnet8", "mlp:8", 0 },
		{ "vgg16", "vgg16", 0 },
		{ "mlp:4+mlp:", "mlp:4", 0 },
	};
	for (size_t i = 0; i < IMB_LEN(sb); i++) {
		int got = imb_nn_arch_same_backbone(sb[i].a, sb[i].b);
		if (got != sb[i].same)
			fprintf(stderr, "same_backbone(%s, %s) = %d\n", sb[i].a, sb[i].b, got);
		CHECK_EQ_INT(got, sb[i].same);
		CHECK_EQ_INT(imb_nn_arch_same_backbone(sb[i].b, sb[i].a), sb[i].same);
	}
}

/* ------------------------------------------------------------ PyTorch reference */

/* `test_nn_model DIR` compares networks with heads and softmax regression
 * with the dumps tests/nn_torch_ref.py wrote into DIR (tests/nn_ref.bats
 * runs both): each within REF_TOL relative to the largest reference
 * value, as test_nn_layers does for resnet20 and mlp:64,64. */

/* got (n) against NAME.T.f32 */
#define REF_CMP(what, got, name, t, n) do { char nm_[256]; \
	snprintf(nm_, sizeof nm_, "%s.%s", name, t); ref_compare_who(name, what, got, nm_, n); \
	} while (0)

/* arch with PyTorch's parameters: logits, loss, features, the last
 * linear layer's input, each parameter tensor's gradient (sizes from
 * NAME.sizes), BN running statistics, one SGD step */
static void ref_model(const char *name, const char *arch, int C, int H, int W, int K, int N)
{
	char nm[256];
	printf("%s: %s on %d inputs of %dx%dx%d, %d outputs\n", name, arch, N, C, H, W, K);
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, K);
	CHECK(m != NULL);
	if (!m)
		return;
	snprintf(nm, sizeof nm, "%s.params", name);
	float *p = ref_read(nm, "f32", m->P);
	memcpy(m->params, p, m->P * sizeof(float));
	free(p);
	snprintf(nm, sizeof nm, "%s.x", name);
	float *x = ref_read(nm, "f32", (size_t)N * C * H * W);
	snprintf(nm, sizeof nm, "%s.y", name);
	int32_t *y = ref_read(nm, "i32", N);
	size_t F = imb_nn_model_point_dim(m, IMB_NN_AT_FEATURES);
	size_t L = imb_nn_model_point_dim(m, IMB_NN_AT_LAST_LINEAR);
	/* the points from forwards that leave the running statistics alone */
	REF_CMP("features", imb_nn_model_forward_to(m, x, N, IMB_NN_TRAIN_FROZEN,
	                                                IMB_NN_AT_FEATURES),
	            name, "feat", N * F);
	REF_CMP("last linear layer's input",
	            imb_nn_model_forward_to(m, x, N, IMB_NN_TRAIN_FROZEN,
	                                    IMB_NN_AT_LAST_LINEAR), name, "last", N * L);
	float *z = fdup(imb_nn_model_forward(m, x, N, IMB_NN_TRAIN), (size_t)N * K);
	float *dz = malloc((size_t)N * K * sizeof(float));
	imb_nn_loss Lo;
	imb_nn_loss_ce(&Lo, K);
	float loss = imb_nn_loss_forward(&Lo, dz, NULL, z, y, N);
	REF_CMP("logits", z, name, "z", (size_t)N * K);
	REF_CMP("loss", &loss, name, "loss", 1);
	imb_nn_model_zero_grad(m);
	imb_nn_model_backward(m, dz, 0);
	ref_compare_grads(name, m->grads, m->P);
	if (m->B)
		REF_CMP("BN running statistics", m->bufs, name, "bufs", m->B);
	imb_nn_optim o;
	imb_nn_optim_sgd(&o, m->P, 0.1f, 0.9f, 5e-4f, 0);
	imb_nn_optim_step(&o, m->params, m->grads);
	REF_CMP("parameters after one SGD step", m->params, name, "params1", m->P);
	imb_nn_optim_free(&o);
	imb_nn_loss_free(&Lo);
	imb_nn_model_free(m);
	free(x); free(y); free(z); free(dz);
}

static int torch_reference(const char *dir)
{
	ref_dir = dir;
	ref_model("rn8head", "resnet8+mlp:32", 3, 16, 16, 5, 4);
	ref_model("mlphead", "mlp:16,16+mlp:8,6", 3, 1, 1, 3, 32);
	ref_model("linear", "linear", 2, 4, 4, 4, 10);
	fflush(stdout);
	CHECK_DONE();
}

int main(int argc, char **argv)
{
	imb_nn_set_threads(2);
	if (argc > 1)
		return torch_reference(argv[1]);
	/* the figures torchsummary gives for kuangliu's CIFAR ResNet18/34 and
	 * for nn.Sequential MLPs */
	CHECK_EQ_INT(nparams("resnet18", 3, 32, 32, 10), 11173962);
	CHECK_EQ_INT(nparams("resnet34", 3, 32, 32, 10), 21282122);
	CHECK_EQ_INT(nparams("mlp:64,64", 2, 1, 1, 2), (2 * 64 + 64) + (64 * 64 + 64) + (64 * 2 + 2));
	CHECK_EQ_INT(nparams("mlp:10", 1, 28, 28, 10), 784 * 10 + 10 + 10 * 10 + 10);
	/* resnet20: He et al.'s 0.27M (269,722 with identity/zero-pad "option A"
	 * shortcuts) plus our two 1x1 projections with their BN:
	 * 16*32 + 2*32 + 32*64 + 2*64 */
	CHECK_EQ_INT(nparams("resnet20", 3, 32, 32, 10), 269722 + 512 + 64 + 2048 + 128);
	/* depth 6n+2 grows by 2 * 3 blocks' worth per step of n */
	CHECK(nparams("resnet32", 3, 32, 32, 10) > nparams("resnet20", 3, 32, 32, 10));
	CHECK_EQ_INT(nparams("resnet8", 1, 28, 28, 2), nparams("resnet8", 1, 32, 32, 2));

	CHECK(imb_nn_model_new("resnet19", 3, 32, 32, 10) == NULL);
	CHECK_HAS(imb_error(), "unknown");
	CHECK(imb_nn_model_new("mlp:", 2, 1, 1, 2) == NULL);
	CHECK(imb_nn_model_new("mlp:4,", 2, 1, 1, 2) == NULL);
	CHECK(imb_nn_model_new("mlp:4,x", 2, 1, 1, 2) == NULL);
	CHECK(imb_nn_model_new("mlp:0", 2, 1, 1, 2) == NULL);
	CHECK(imb_nn_model_new("resnet8", 0, 32, 32, 2) == NULL);
	CHECK(imb_nn_arch_check("resnet56") == 0);
	CHECK(imb_nn_arch_check("vgg16") == -1);
	imb_nn_model_free(NULL);

	gradcheck("mlp:5,4", 3, 1, 1, 3, 6);
	gradcheck("resnet8", 2, 6, 6, 3, 4);
	/* every 3x3 stride-1 convolution on the Winograd path (16 channels
	 * included), then none */
	setenv("IMB_NN_WINOGRAD", "2", 1);
	printf("Winograd forced (IMB_NN_WINOGRAD=2):\n");
	gradcheck("resnet8", 2, 6, 6, 3, 4);
	setenv("IMB_NN_WINOGRAD", "0", 1);
	printf("Winograd off (IMB_NN_WINOGRAD=0):\n");
	gradcheck("resnet8", 2, 6, 6, 3, 4);
	unsetenv("IMB_NN_WINOGRAD");
	gradcheck("resnet8", 1, 5, 7, 2, 3);        /* odd sizes, stride 2 rounding */

	/* determinism, eval mode, linear probe */
	imb_nn_model *a = imb_nn_model_new("resnet8", 3, 8, 8, 4);
	imb_nn_model *b = imb_nn_model_new("resnet8", 3, 8, 8, 4);
	imb_rng r;
	imb_rng_seed(&r, 1);
	imb_nn_model_init(a, &r);
	imb_rng_seed(&r, 1);
	imb_nn_model_init(b, &r);
	CHECK(memcmp(a->params, b->params, a->P * sizeof(float)) == 0);
	CHECK(memcmp(a->bufs, b->bufs, a->B * sizeof(float)) == 0);
	int N = 6, K = 4;
	float x[6 * 3 * 8 * 8], dz[6 * 4], z1[6 * 4];
	int32_t y[6];
	for (size_t i = 0; i < IMB_LEN(x); i++)
		x[i] = (float)imb_rng_normal(&r);
	for (int i = 0; i < N; i++)
		y[i] = i % K;
	memcpy(z1, imb_nn_model_forward(a, x, N, 1), sizeof z1);
	CHECK(memcmp(z1, imb_nn_model_forward(b, x, N, 1), sizeof z1) == 0);
	CHECK(memcmp(a->bufs, b->bufs, a->B * sizeof(float)) == 0);
	/* running statistics moved away from (0, 1) */
	int moved = 0;
	for (size_t i = 0; i < a->B; i++)
		moved += a->bufs[i] != 0 && a->bufs[i] != 1;
	CHECK(moved > (int)a->B / 2);
	float bufs[4096];
	CHECK(a->B <= IMB_LEN(bufs));
	memcpy(bufs, a->bufs, a->B * sizeof(float));
	const float *ze = imb_nn_model_forward(a, x, N, 0);
	CHECK(memcmp(bufs, a->bufs, a->B * sizeof(float)) == 0);   /* eval: no update */
	double d = 0;
	for (int i = 0; i < N * K; i++)
		d += fabs(ze[i] - z1[i]);
	CHECK(d > 0);   /* running stats differ from batch stats */

	imb_nn_loss L;
	imb_nn_loss_ce(&L, K);
	imb_nn_model_zero_grad(a);
	imb_nn_model_zero_grad(b);
	imb_nn_loss_forward(&L, dz, NULL, imb_nn_model_forward(a, x, N, 1), y, N);
	imb_nn_model_backward(a, dz, 0);
	imb_nn_loss_forward(&L, dz, NULL, imb_nn_model_forward(b, x, N, 1), y, N);
	imb_nn_model_backward(b, dz, 1);
	int backbone = 0, head_differs = 0;
	for (size_t i = 0; i < b->head; i++)
		backbone += b->grads[i] != 0;
	for (size_t i = b->head; i < b->P; i++)
		head_differs += b->grads[i] != a->grads[i];
	printf("linear probe: %zu head parameters, %d backbone gradients touched, "
	       "%d head gradients differ from full backward\n", b->P - b->head, backbone,
	       head_differs);
	CHECK_EQ_INT(backbone, 0);
	CHECK_EQ_INT(head_differs, 0);
	CHECK_EQ_INT(b->P - b->head, 64 * 4 + 4);
	/* backward accumulates */
	float g0 = a->grads[0];
	imb_nn_model_backward(a, dz, 0);
	CHECK(g0 != 0 && fabsf(a->grads[0] - 2 * g0) <= 1e-5f * fabsf(g0));
	imb_nn_loss_free(&L);

	/* predict: softmax of the eval logits, the same in any chunking */
	float pr1[6 * 4], pr2[6 * 4];
	imb_nn_model_predict(a, pr1, x, N, 0);
	imb_nn_model_predict(a, pr2, x, N, 4);   /* chunks of 4 and 2 */
	ze = imb_nn_model_forward(a, x, N, 0);
	double pd = 0;
	for (int i = 0; i < N; i++) {
		double s = 0, mx = ze[i * K];
		for (int j = 1; j < K; j++)
			mx = ze[i * K + j] > mx ? ze[i * K + j] : mx;
		for (int j = 0; j < K; j++)
			s += exp(ze[i * K + j] - mx);
		for (int j = 0; j < K; j++) {
			double w = exp(ze[i * K + j] - mx) / s;
			pd = fabs(pr1[i * K + j] - w) > pd ? fabs(pr1[i * K + j] - w) : pd;
		}
	}
	printf("predict: max diff %.3g from softmax of the eval logits\n", pd);
	CHECK(pd < 1e-6);
	double cd = 0;
	for (int i = 0; i < N * K; i++)
		cd = fabs(pr1[i] - pr2[i]) > cd ? fabs(pr1[i] - pr2[i]) : cd;
	CHECK(cd < 1e-6);
	imb_nn_model_free(a);
	imb_nn_model_free(b);

	/* forward modes */
	test_frozen();

	/* forward to a point */
	static const int h16[] = { 16 }, h63[] = { 6, 3 };
	test_forward_to("resnet8", 3, 8, 8, 4, 64, NULL, 0, IMB_NN_EVAL);
	test_forward_to("mlp:5,4", 3, 1, 1, 3, 4, NULL, 0, IMB_NN_TRAIN_FROZEN);
	test_forward_to("resnet8+mlp:16", 3, 8, 8, 4, 64, h16, 1, IMB_NN_TRAIN_FROZEN);
	test_forward_to("mlp:5,4+mlp:6,3", 3, 1, 1, 3, 4, h63, 2, IMB_NN_EVAL);
	test_forward_to("linear", 2, 3, 3, 4, 18, NULL, 0, IMB_NN_EVAL);
	test_backward_needs_logits();

	/* heads of several layers */
	size_t r18 = 11173962, r18_head = 512 * 10 + 10;
	CHECK_EQ_INT(nparams("resnet18+mlp:2048", 3, 32, 32, 128),
	             r18 - r18_head + (512 * 2048 + 2048) + (2048 * 128 + 128));
	CHECK_EQ_INT(nparams("mlp:64,64+mlp:32", 2, 1, 1, 2),
	             (2 * 64 + 64) + (64 * 64 + 64) + (64 * 32 + 32) + (32 * 2 + 2));
	imb_nn_model *h = imb_nn_model_new("resnet18+mlp:2048", 3, 32, 32, 128);
	CHECK(h && h->head == r18 - r18_head);
	CHECK(h && imb_nn_model_point_dim(h, IMB_NN_AT_FEATURES) == 512);
	CHECK(h && imb_nn_model_point_dim(h, IMB_NN_AT_LAST_LINEAR) == 2048);
	imb_nn_model_free(h);
	h = imb_nn_model_new("mlp:64,64+mlp:32", 2, 1, 1, 2);
	CHECK(h && h->head == (2 * 64 + 64) + (64 * 64 + 64));
	imb_nn_model_free(h);
	test_backbone_copy("resnet8", "resnet8+mlp:16", 3, 8, 8);
	test_backbone_copy("resnet8+mlp:4,5", "resnet8", 1, 7, 9);
	test_backbone_copy("mlp:6,5", "mlp:6,5+mlp:4", 3, 1, 1);
	test_head_only("resnet8", 3, 8, 8, 4);
	test_head_only("resnet8+mlp:8", 3, 8, 8, 4);
	test_head_only("mlp:5,4+mlp:6,3", 3, 1, 1, 3);
	gradcheck("mlp:5,4+mlp:6,3", 3, 1, 1, 3, 6);
	gradcheck("resnet8+mlp:8", 2, 6, 6, 3, 4);
	gradcheck_("mlp:5,4+mlp:6,3", 3, 1, 1, 3, 6, 1);
	gradcheck_("resnet8+mlp:8", 2, 6, 6, 3, 4, 1);
	gradcheck_("mlp:5,4", 3, 1, 1, 3, 6, 1);

	/* softmax regression, on feature vectors and on images */
	test_linear(7, 1, 1, 3);
	test_linear(2, 4, 5, 4);

	/* names */
	test_names();
	test_stale_slots("resnet8", 3, 8, 8);
	test_stale_slots("resnet20+mlp:8", 2, 8, 8);
	test_stale_slots("mlp:6,5+mlp:4", 3, 2, 2);
	test_layout_and_fusion("resnet8", 3, 32, 32, 4, 3);
	test_layout_and_fusion("resnet18", 3, 32, 32, 9, 8);
	test_layout_and_fusion("resnet20+mlp:16", 1, 28, 28, 10, 9);
	test_layout_and_fusion("mlp:16,8+mlp:4", 1, 8, 8, 0, 0);
	CHECK_DONE();
}
