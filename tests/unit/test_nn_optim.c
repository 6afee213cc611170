/* test_nn_optim.c: optimiser steps and schedules against values computed
 * by PyTorch 1.13 (Debian python3-torch) on the same numbers: three steps
 * of torch.optim.SGD / AdamW from p0 with the gradients below, and the
 * learning rates of its schedulers. The script that printed them:
 *
 *   p = torch.nn.Parameter(torch.tensor(p0)); opt = torch.optim.SGD([p], ...)
 *   for g in grads: p.grad = torch.tensor(g); opt.step(); print(p.tolist())
 *
 * The optimiser table (imb_nn_optimizer) saves its state into a
 * checkpoint frame and loads it back: the steps after agree bit for bit.
 * A model's parameter tensors (imb_nn_model_segments) against a list
 * written out by hand and against its op list.
 *
 * Exits non-zero when a value is off by more than float rounding. */
#include "check.h"
#include "nn_model.h"
#include "nn_net.h"
#include "nn_optim.h"
#include "rng.h"
#include "util.h"

#define NP 4

static const float p0[NP] = { 0.5f, -1.25f, 2.0f, 0.0f };
static const float grads[3][NP] = {
	{ 0.1f, -0.2f, 0.3f, -0.4f },
	{ 0.05f, 0.5f, -0.25f, 0.2f },
	{ -0.3f, 0.1f, 0.0f, 0.6f },
};

static void run(const char *what, imb_nn_optim *o, const float want[3][NP])
{
	CHECK(imb_nn_optim_check(o) == 0);
	float p[NP];
	memcpy(p, p0, sizeof p);
	double md = 0;
	for (int s = 0; s < 3; s++) {
		imb_nn_optim_step(o, p, grads[s]);
		for (int i = 0; i < NP; i++) {
			double d = fabs(p[i] - want[s][i]);
			md = d > md ? d : md;
			CHECK_NEAR(p[i], want[s][i], 2e-7 * (1 + fabs(want[s][i])));
		}
	}
	CHECK_EQ_INT(o->step, 3);
	printf("%-34s 3 steps, max diff from PyTorch %.3g\n", what, md);
	imb_nn_optim_free(o);
	imb_nn_optim_free(o);
}

static void sched(const char *what, const imb_nn_sched *s, const double *want, int n)
{
	double md = 0;
	for (int t = 0; t < n; t++) {
		double lr = imb_nn_sched_lr(s, t);
		md = fabs(lr - want[t]) > md ? fabs(lr - want[t]) : md;
		CHECK_NEAR(lr, want[t], 1e-8);
	}
	printf("%-34s %d epochs, max diff from PyTorch %.3g\n", what, n, md);
}

/* big blocks: a step splits over threads and gives the same bits */
static void test_threads(void)
{
	size_t n = 100003;
	float *p1 = malloc(n * sizeof(float)), *p2 = malloc(n * sizeof(float));
	float *g = malloc(n * sizeof(float));
	imb_rng r;
	imb_rng_seed(&r, 5);
	for (size_t i = 0; i < n; i++) {
		p1[i] = p2[i] = (float)imb_rng_normal(&r);
		g[i] = (float)imb_rng_normal(&r);
	}
	for (int k = 0; k < 2; k++) {
		imb_nn_optim a, b;
		if (k == 0) {
			imb_nn_optim_sgd(&a, n, 0.1f, 0.9f, 5e-4f, 1);
			imb_nn_optim_sgd(&b, n, 0.1f, 0.9f, 5e-4f, 1);
		} else {
			imb_nn_optim_adamw(&a, n, 1e-3f, 0.01f);
			imb_nn_optim_adamw(&b, n, 1e-3f, 0.01f);
		}
		for (int s = 0; s < 3; s++) {
			imb_nn_set_threads(1);
			imb_nn_optim_step(&a, p1, g);
			imb_nn_set_threads(2);
			imb_nn_optim_step(&b, p2, g);
		}
		CHECK(memcmp(p1, p2, n * sizeof(float)) == 0);
		imb_nn_optim_free(&a);
		imb_nn_optim_free(&b);
	}
	printf("%-34s 1 and 2 threads agree bit for bit on %zu parameters\n",
	       "SGD and AdamW, big block", n);
	free(p1); free(p2); free(g);
}

/* the optimiser table: save after k steps, load into a fresh one, and the
 * next steps agree bit for bit with an uninterrupted run; settings that
 * hold other state are refused, naming the tensor */
static void test_save_load(int adamw)
{
	enum { Q = 1000 };
	const imb_nn_backend *be = imb_nn_be();
	float *pa = be->alloc(Q * sizeof(float)), *pb = be->alloc(Q * sizeof(float));
	float *g = be->alloc(Q * sizeof(float)), h[Q];
	imb_rng r;
	imb_rng_seed(&r, 5);
	for (int i = 0; i < Q; i++)
		h[i] = (float)imb_rng_normal(&r);
	be->upload(pa, h, sizeof h);
	be->upload(pb, h, sizeof h);
	imb_nn_optimizer a, b;
	if (adamw) {
		CHECK(imb_nn_optimizer_adamw(&a, Q, 0.01f, 0.01f) == 0);
		CHECK(imb_nn_optimizer_adamw(&b, Q, 0.01f, 0.01f) == 0);
	} else {
		CHECK(imb_nn_optimizer_sgd(&a, Q, 0.1f, 0.9f, 5e-4f, 1) == 0);
		CHECK(imb_nn_optimizer_sgd(&b, Q, 0.1f, 0.9f, 5e-4f, 1) == 0);
	}
	CHECK_STR(a.name, adamw ? "adamw" : "sgd");
	for (int k = 0; k < 6; k++) {
		for (int i = 0; i < Q; i++)
			h[i] = (float)imb_rng_normal(&r);
		be->upload(g, h, sizeof h);
		a.step(&a, pa, g, 0.1f / (k + 1));
		if (k < 3)
			b.step(&b, pb, g, 0.1f / (k + 1));
		if (k == 2) {   /* b: saved, freed, a fresh one loaded */
			imb_frame *ck = imb_frame_new("checkpoint", "train");
			CHECK(b.save(&b, ck) == 0);
			CHECK_EQ_INT(imb_val_as_int(imb_val_get(ck->attrs, "step"), -1), 3);
			CHECK(imb_frame_tensor(ck, "state1") != NULL);
			CHECK((imb_frame_tensor(ck, "state2") != NULL) == adamw);
			imb_nn_optimizer_free(&b);
			imb_nn_optimizer_free(&b);   /* idempotent */
			if (adamw)
				imb_nn_optimizer_adamw(&b, Q, 0.01f, 0.01f);
			else
				imb_nn_optimizer_sgd(&b, Q, 0.1f, 0.9f, 5e-4f, 1);
			CHECK(b.load(&b, ck) == 0);
			CHECK_EQ_INT(b.steps(&b), 3);
			/* plain SGD holds no state: the checkpoint's is refused */
			imb_nn_optimizer c;
			imb_nn_optimizer_sgd(&c, Q, 0.1f, 0, 0, 0);
			CHECK(c.load(&c, ck) == -1);
			CHECK_HAS(imb_error(), "state1");
			imb_nn_optimizer_free(&c);
			imb_frame_free(ck);
		}
		if (k >= 3)
			b.step(&b, pb, g, 0.1f / (k + 1));
	}
	float ha[Q], hb[Q];
	be->download(ha, pa, sizeof ha);
	be->download(hb, pb, sizeof hb);
	CHECK(!memcmp(ha, hb, sizeof ha));
	printf("%-34s save after 3 steps, load, 3 more: the same %d parameters\n",
	       adamw ? "AdamW table" : "SGD table (Nesterov)", Q);
	imb_nn_optimizer_free(&a);
	imb_nn_optimizer_free(&b);
	be->free(pa);
	be->free(pb);
	be->free(g);
}


/* a model's parameter tensors: one expected list written out by hand in
 * PyTorch's module order, and the op list walked: every conv and linear
 * weight a segment with adapt 1, every bias and BN parameter one with
 * adapt 0, the segments back to back over params[from..P) */
typedef struct { size_t count; int adapt; } tensor_want;

static void check_segments(const char *arch, int C, int H, int W, int K,
                           const tensor_want *want, size_t nwant, int head)
{
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, K);
	CHECK(m != NULL);
	if (!m)
		return;
	size_t from = head ? m->head : 0;
	size_t n = imb_nn_model_segments(m, from, NULL, 0);
	CHECK_EQ_INT(n, nwant);
	imb_nn_segment *seg = calloc(n + 1, sizeof *seg);
	CHECK_EQ_INT(imb_nn_model_segments(m, from, seg, n + 1), n);
	size_t at = 0, adapted = 0, plain = 0;
	for (size_t i = 0; i < n && i < nwant; i++) {
		CHECK_EQ_INT(seg[i].offset, at);
		CHECK_EQ_INT(seg[i].count, want[i].count);
		CHECK_EQ_INT(seg[i].adapt, want[i].adapt);
		at += seg[i].count;
		*(seg[i].adapt ? &adapted : &plain) += 1;
	}
	CHECK_EQ_INT(at, m->P - from);
	/* the op list: conv/linear weights adapted, the rest not */
	size_t found = 0;
	for (int i = 0; i < m->net->nops; i++) {
		const imb_nn_netop *o = &m->net->ops[i];
		size_t offs[2] = { o->w, o->b };
		for (int k = 0; k < 2; k++) {
			if (offs[k] == IMB_NN_NONE || offs[k] < from)
				continue;
			int adapt = k == 0 && o->kind != IMB_NN_NET_BN, hit = 0;
			for (size_t j = 0; j < n; j++)
				if (seg[j].offset == offs[k] - from) {
					hit = 1;
					CHECK_EQ_INT(seg[j].adapt, adapt);
				}
			CHECK(hit);
			found++;
		}
	}
	CHECK_EQ_INT(found, n);
	/* fewer slots than tensors: the first max written, the count returned */
	imb_nn_segment two[3] = { { 0, 0, 0 }, { 0, 0, 0 }, { 7, 7, 7 } };
	CHECK_EQ_INT(imb_nn_model_segments(m, from, two, 2), n);
	CHECK(two[0].count == want[0].count && two[1].count == want[1].count);
	CHECK(two[2].offset == 7);
	printf("%-34s %zu tensors over params[%zu..%zu): %zu adapted, %zu not\n",
	       arch, n, from, m->P, adapted, plain);
	free(seg);
	imb_nn_model_free(m);
}

static void test_segments(void)
{
	/* resnet8 on 3x32x32, 10 classes: stem; layer1.0; layer2.0 and
	 * layer3.0 with their projection shortcuts; fc */
	static const tensor_want r8[] = {
		{ 16 * 3 * 9, 1 }, { 16, 0 }, { 16, 0 },
		{ 16 * 16 * 9, 1 }, { 16, 0 }, { 16, 0 }, { 16 * 16 * 9, 1 }, { 16, 0 }, { 16, 0 },
		{ 32 * 16 * 9, 1 }, { 32, 0 }, { 32, 0 }, { 32 * 32 * 9, 1 }, { 32, 0 }, { 32, 0 },
		{ 32 * 16, 1 }, { 32, 0 }, { 32, 0 },
		{ 64 * 32 * 9, 1 }, { 64, 0 }, { 64, 0 }, { 64 * 64 * 9, 1 }, { 64, 0 }, { 64, 0 },
		{ 64 * 32, 1 }, { 64, 0 }, { 64, 0 },
		{ 10 * 64, 1 }, { 10, 0 },
	};
	check_segments("resnet8", 3, 32, 32, 10, r8, sizeof r8 / sizeof *r8, 0);
	check_segments("resnet8", 3, 32, 32, 10, r8 + 27, 2, 1);
	/* mlp:16+mlp:8 on 5 features, 3 outputs: 5-16 backbone, head 16-8-3 */
	static const tensor_want mlp[] = {
		{ 16 * 5, 1 }, { 16, 0 }, { 8 * 16, 1 }, { 8, 0 }, { 3 * 8, 1 }, { 3, 0 },
	};
	check_segments("mlp:16+mlp:8", 1, 5, 1, 3, mlp, 6, 0);
	check_segments("mlp:16+mlp:8", 1, 5, 1, 3, mlp + 2, 4, 1);
}

int main(void)
{
	imb_nn_optim o;

	static const float sgd_plain[3][NP] = {
		{0.49000001f, -1.23000002f, 1.97000003f, 0.0400000028f},
		{0.485000014f, -1.27999997f, 1.995f, 0.0200000014f},
		{0.515000045f, -1.28999996f, 1.995f, -0.0400000028f},
	};
	imb_nn_optim_sgd(&o, NP, 0.1f, 0, 0, 0);
	CHECK(o.s1 == NULL);
	run("SGD lr=0.1", &o, sgd_plain);

	static const float sgd_mom[3][NP] = {
		{0.489975005f, -1.22993755f, 1.96990001f, 0.0400000028f},
		{0.475928009f, -1.26181984f, 1.96771157f, 0.0559980012f},
		{0.493261904f, -1.3004508f, 1.96564353f, 0.010393396f},
	};
	imb_nn_optim_sgd(&o, NP, 0.1f, 0.9f, 5e-4f, 0);
	run("SGD momentum=0.9 wd=5e-4", &o, sgd_mom);

	static const float sgd_nest[3][NP] = {
		{0.490025014f, -1.2298125f, 1.96959996f, 0.0379999988f},
		{0.480556995f, -1.26753795f, 1.97851884f, 0.035163898f},
		{0.502549767f, -1.28784013f, 1.97430253f, -0.0154049043f},
	};
	imb_nn_optim_sgd(&o, NP, 0.05f, 0.9f, 1e-2f, 1);
	run("SGD nesterov momentum=0.9 wd=1e-2", &o, sgd_nest);

	static const float sgd_damp[3][NP] = {
		{0.49000001f, -1.23000002f, 1.97000003f, 0.0400000028f},
		{0.4815f, -1.255f, 1.97250009f, 0.0460000038f},
		{0.498250008f, -1.27450001f, 1.97375011f, 0.00700000161f},
	};
	imb_nn_optim_sgd(&o, NP, 0.1f, 0.5f, 0, 0);
	o.dampening = 0.3f;
	run("SGD momentum=0.5 dampening=0.3", &o, sgd_damp);

	static const float adamw[3][NP] = {
		{0.489500016f, -1.23874998f, 1.98800004f, 0.00999999978f},
		{0.479688704f, -1.24193347f, 1.98563087f, 0.0126533704f},
		{0.482681274f, -1.24521935f, 1.98335063f, 0.00874681957f},
	};
	imb_nn_optim_adamw(&o, NP, 0.01f, 0.1f);
	run("AdamW lr=0.01 wd=0.1", &o, adamw);

	/* what PyTorch refuses */
	imb_nn_optim_sgd(&o, NP, 0.1f, 0, 0, 1);
	CHECK(imb_nn_optim_check(&o) == -1);
	CHECK_HAS(imb_error(), "nesterov");
	imb_nn_optim_free(&o);
	imb_nn_optim_sgd(&o, NP, -0.1f, 0.9f, 0, 0);
	CHECK(imb_nn_optim_check(&o) == -1);
	imb_nn_optim_free(&o);
	imb_nn_optim_adamw(&o, NP, 0.1f, 0);
	o.beta2 = 1;
	CHECK(imb_nn_optim_check(&o) == -1);
	imb_nn_optim_free(&o);
	imb_nn_optim_free(NULL);

	/* schedules: CosineAnnealingLR(T_max=10, eta_min=0.001), StepLR(3, 0.5),
	 * SequentialLR([LinearLR(0.25, total_iters=3), CosineAnnealingLR(T_max=7)], [3]) */
	imb_nn_sched s;
	static const double cosine[10] = { 0.1, 0.0975772976, 0.0905463412, 0.07959537,
		0.0657963412, 0.0505, 0.0352036588, 0.02140463, 0.0104536588, 0.00342270244 };
	CHECK(imb_nn_sched_parse(&s, "cosine:0.001", 0.1, 10) == 0);
	sched("cosine T=10 min=0.001", &s, cosine, 10);
	CHECK_NEAR(imb_nn_sched_lr(&s, 10), 0.001, 1e-12);
	CHECK_NEAR(imb_nn_sched_lr(&s, 25), 0.001, 1e-12);
	static const double step[10] = { 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025,
		0.025, 0.0125 };
	CHECK(imb_nn_sched_parse(&s, "step:3:0.5", 0.1, 10) == 0);
	sched("step size=3 gamma=0.5", &s, step, 10);
	static const double warm[10] = { 0.025, 0.05, 0.075, 0.1, 0.0950484434, 0.0811744901,
		0.0611260467, 0.0388739533, 0.0188255099, 0.0049515566 };
	CHECK(imb_nn_sched_parse(&s, "cosine", 0.1, 10) == 0);
	s.warmup = 3;
	s.warmup_start = 0.25;
	sched("warm-up 3 (from 0.25) + cosine", &s, warm, 10);
	CHECK(imb_nn_sched_parse(&s, "constant", 0.1, 10) == 0);
	CHECK_NEAR(imb_nn_sched_lr(&s, 7.5), 0.1, 0);
	CHECK(imb_nn_sched_parse(&s, "step:0:0.5", 0.1, 10) == -1);
	CHECK(imb_nn_sched_parse(&s, "step:3", 0.1, 10) == -1);
	CHECK(imb_nn_sched_parse(&s, "cosine:x", 0.1, 10) == -1);
	CHECK(imb_nn_sched_parse(&s, "linear", 0.1, 10) == -1);
	CHECK_HAS(imb_error(), "unknown");

	test_threads();
	test_save_load(0);
	test_save_load(1);
	test_segments();
	CHECK_DONE();
}
