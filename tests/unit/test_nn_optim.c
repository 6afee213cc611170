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
 * written out by hand and against its op list. LARS against solo-learn's
 * own class and against a double-precision reference (see "LARS" below).
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
enum { OPT_SGD, OPT_ADAMW, OPT_LARS };

static const imb_nn_segment save_seg[3] = { { 0, 600, 1 }, { 600, 100, 0 }, { 700, 300, 1 } };

static int make(imb_nn_optimizer *o, int kind, size_t Q)
{
	if (kind == OPT_ADAMW)
		return imb_nn_optimizer_adamw(o, Q, 0.01f, 0.01f);
	if (kind == OPT_LARS) {
		int r = imb_nn_optimizer_lars(o, Q, save_seg, 3, 0.1f, 0.9f, 5e-4f, 0.02f, 1);
		return r ? r : imb_nn_optimizer_lars_clip(o, 1);
	}
	return imb_nn_optimizer_sgd(o, Q, 0.1f, 0.9f, 5e-4f, 1);
}

static void test_save_load(int kind)
{
	enum { Q = 1000 };
	static const char *const names[] = { "sgd", "adamw", "lars" };
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
	CHECK(make(&a, kind, Q) == 0);
	CHECK(make(&b, kind, Q) == 0);
	CHECK_STR(a.name, names[kind]);
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
			CHECK((imb_frame_tensor(ck, "state2") != NULL) == (kind == OPT_ADAMW));
			imb_nn_optimizer_free(&b);
			imb_nn_optimizer_free(&b);   /* idempotent */
			make(&b, kind, Q);
			CHECK(b.load(&b, ck) == 0);
			CHECK_EQ_INT(b.steps(&b), 3);
			/* plain SGD and LARS without momentum hold no state: the
			 * checkpoint's is refused; LARS refuses AdamW's moments */
			imb_nn_optimizer c;
			imb_nn_optimizer_sgd(&c, Q, 0.1f, 0, 0, 0);
			CHECK(c.load(&c, ck) == -1);
			CHECK_HAS(imb_error(), "state1");
			imb_nn_optimizer_free(&c);
			CHECK(imb_nn_optimizer_lars(&c, Q, save_seg, 3, 0.1f, 0, 0, 0.001f, 0) == 0);
			CHECK(c.load(&c, ck) == -1);
			CHECK_HAS(imb_error(), "state1");
			imb_nn_optimizer_free(&c);
			if (kind == OPT_ADAMW) {
				make(&c, OPT_LARS, Q);
				CHECK(c.load(&c, ck) == -1);
				CHECK_HAS(imb_error(), "state2");
				imb_nn_optimizer_free(&c);
			}
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
	       kind == OPT_ADAMW ? "AdamW table" : kind == OPT_LARS ? "LARS table (Nesterov, clip)"
	       : "SGD table (Nesterov)", Q);
	imb_nn_optimizer_free(&a);
	imb_nn_optimizer_free(&b);
	be->free(pa);
	be->free(pb);
	be->free(g);
}

/* ---- LARS ----
 * (1) three steps on four tensors against solo-learn's LARS class itself
 * (solo/utils/lars.py at commit 9187ea3) under PyTorch 1.13: W1 (3,4), a
 * bias (3), W2 (2,3) starting at zero, a BN weight (2), flat in that
 * order; W1's gradient is small (its trust ratio large, so clip_lr
 * clips it), W2's is zero on the third step. The script:
 *
 *   ps = [Parameter(W1), Parameter(b1), Parameter(W2), Parameter(bn)]
 *   opt = LARS(ps, lr, momentum, weight_decay=wd, eta=eta, nesterov=nest,
 *              clip_lr=clip, exclude_bias_n_norm=True)
 *   for s in range(3):
 *       opt.param_groups[0]["lr"] = lrs[s]; set each p.grad; opt.step()
 *       print(torch.cat([p.reshape(-1) for p in ps]).tolist())
 *
 * (2) many steps on a block of odd segments (sizes 1 to 4096, gradient
 * scales 1e-3 to 1, a weight of norm 0, a gradient of norm 0, a gap in
 * no segment) against a double-precision reference written here from
 * the rule in nn_optim.h; 1 and 2 threads give the same bits. */
#define NL 23

static const imb_nn_segment torch_seg[4] = { { 0, 12, 1 }, { 12, 3, 0 }, { 15, 6, 1 },
                                             { 21, 2, 0 } };

static float torch_p0(int i)
{
	return i >= 15 && i < 21 ? 0 : (float)((i * 7) % 11 - 5) / 4;
}

static float torch_g(int s, int i)
{
	float v = (float)((i * 5 + s * 3) % 13 - 6) / 8;
	if (i < 12)
		v /= 64;
	if (i >= 15 && i < 21 && s == 2)
		v = 0;
	return v;
}

static void lars_torch(const char *what, const float lr[3], float mom, float wd, float eta,
                       int nest, int clip, const float want[3][NL])
{
	const imb_nn_backend *be = imb_nn_be();
	float h[NL];
	float *p = be->alloc(sizeof h), *g = be->alloc(sizeof h);
	for (int i = 0; i < NL; i++)
		h[i] = torch_p0(i);
	be->upload(p, h, sizeof h);
	imb_nn_optimizer o;
	CHECK(imb_nn_optimizer_lars(&o, NL, torch_seg, 4, lr[0], mom, wd, eta, nest) == 0);
	CHECK(imb_nn_optimizer_lars_clip(&o, clip) == 0);
	CHECK_STR(o.name, "lars");
	double md = 0;
	for (int s = 0; s < 3; s++) {
		for (int i = 0; i < NL; i++)
			h[i] = torch_g(s, i);
		be->upload(g, h, sizeof h);
		o.step(&o, p, g, lr[s]);
		be->download(h, p, sizeof h);
		for (int i = 0; i < NL; i++) {
			double d = fabs(h[i] - want[s][i]);
			md = d > md ? d : md;
			CHECK_NEAR(h[i], want[s][i], 2e-7 * (1 + fabs(want[s][i])));
		}
	}
	CHECK_EQ_INT(o.steps(&o), 3);
	printf("%-34s 3 steps, max diff from solo-learn %.3g\n", what, md);
	imb_nn_optimizer_free(&o);
	be->free(p);
	be->free(g);
}

static void test_lars_torch(void)
{
	static const float lars_plain[3][NL] = {
		{ -1.24744678f, 0.499678791f, -0.500296533f, 1.24950588f, 0.249530524f, -0.75044477f, 0.999357581f, -0.000617724203f, -0.997916222f, 0.749209285f, -0.250765979f, -1.24806452f, 0.474999994f, -0.425000012f, 1.26250005f, -0.0500000007f, 0.0500000007f, -0.0125000002f, -0.075000003f, 0.0250000004f, -0.0375000015f, -0.1875f, -1.25f },
		{ -1.24401712f, 0.49867478f, -0.499058664f, 1.24823511f, 0.24829784f, -0.749435544f, 0.997858107f, -0.00207908009f, -0.995210707f, 0.747481167f, -0.250252217f, -1.24558771f, 0.407000005f, -0.341000021f, 1.25150001f, -0.0858944803f, 0.0860175043f, -0.0215702839f, -0.1289296f, 0.0429823883f, -0.0646054f, -0.122500002f, -1.27999997f },
		{ -1.24141371f, 0.497310489f, -0.497774303f, 1.2466321f, 0.248105004f, -0.748355806f, 0.996050417f, -0.00247654808f, -0.993255317f, 0.745468855f, -0.249615893f, -1.243837f, 0.400000006f, -0.293750018f, 1.21406245f, -0.106085122f, 0.106277347f, -0.0266723186f, -0.159264997f, 0.0530974828f, -0.0798521861f, -0.0921875015f, -1.33437502f },
	};
	static const float lars_clip[3][NL] = {
		{ -1.2452625f, 0.500761271f, -0.503104985f, 1.253075f, 0.249208748f, -0.754657507f, 1.00152254f, -0.00234375009f, -0.996053755f, 0.749970019f, -0.253896236f, -1.24760628f, 0.400000006f, -0.199999988f, 1.29999995f, -0.200000003f, 0.200000003f, -0.0500000007f, -0.300000012f, 0.100000001f, -0.150000006f, 3.7252903e-09f, -1.25f },
		{ -1.24026954f, 0.500088215f, -0.501670122f, 1.25569892f, 0.246323422f, -0.75543493f, 1.00193429f, -0.00744133582f, -0.992188275f, 0.748169482f, -0.253588915f, -1.24595308f, 0.144999996f, 0.11500001f, 1.25874996f, -0.329722822f, 0.335879356f, -0.0872679874f, -0.498981774f, 0.166620418f, -0.256526917f, 0.243750006f, -1.36249995f },
		{ -1.2372489f, 0.497721255f, -0.499627322f, 1.25646698f, 0.246931046f, -0.755495667f, 1.00059879f, -0.00893723872f, -0.990239799f, 0.744730413f, -0.252618194f, -1.24610806f, 0.116999999f, 0.30399999f, 1.10899997f, -0.407556504f, 0.417406976f, -0.109628782f, -0.618370831f, 0.206592664f, -0.320443064f, 0.36500001f, -1.57999992f },
	};
	static const float lars_nest[3][NL] = {
		{ -1.23634374f, 0.499584377f, -0.504037499f, 1.25118744f, 0.247565627f, -0.756056249f, 0.999168754f, -0.00445312494f, -0.988778114f, 0.747150004f, -0.256471872f, -1.24079692f, 0.310000002f, 0.0699999928f, 1.34500003f, -0.379999995f, 0.379999995f, -0.0949999988f, -0.569999993f, 0.189999998f, -0.284999996f, 0.225000009f, -1.25f },
		{ -1.22511387f, 0.495801121f, -0.497212231f, 1.24911451f, 0.241628587f, -0.751384795f, 0.994942069f, -0.0125439493f, -0.980145514f, 0.740769506f, -0.252243817f, -1.23431802f, -0.107000008f, 0.465999991f, 1.23287499f, -0.482464582f, 0.504616439f, -0.138021171f, -0.739519596f, 0.247561395f, -0.395076215f, 0.519375026f, -1.46375f },
		{ -1.2182157f, 0.490030944f, -0.492508829f, 1.24478757f, 0.243689448f, -0.748498797f, 0.988797724f, -0.0123004932f, -0.975438893f, 0.732807755f, -0.249731988f, -1.23142874f, -0.00720000407f, 0.636099994f, 0.973100007f, -0.549954534f, 0.578402162f, -0.159840345f, -0.845251501f, 0.283105165f, -0.455137342f, 0.603500009f, -1.80949998f },
	};
	static const float lars_nomom[3][NL] = {
		{ -1.24987233f, 0.499983937f, -0.500014842f, 1.24997532f, 0.249976531f, -0.750022233f, 0.999967873f, -3.08862109e-05f, -0.999895811f, 0.749960482f, -0.250038296f, -1.2499032f, 0.474999994f, -0.425000012f, 1.26250005f, -0.0500000007f, 0.0500000007f, -0.0125000002f, -0.075000003f, 0.0250000004f, -0.0375000015f, -0.1875f, -1.25f },
		{ -1.24979258f, 0.499945283f, -0.499942243f, 1.24992955f, 0.249931753f, -0.749955773f, 0.999915957f, -8.17653854e-05f, -0.999835432f, 0.749902487f, -0.249985039f, -1.24984896f, 0.424999982f, -0.395000011f, 1.24250007f, -0.0499947257f, 0.0500008762f, -0.0125035141f, -0.0749964863f, 0.0249991193f, -0.0375052728f, -0.167500004f, -1.27999997f },
		{ -1.24975872f, 0.499905229f, -0.499912769f, 1.24988508f, 0.249956772f, -0.749930143f, 0.999867618f, -6.0563536e-05f, -0.999813616f, 0.749850333f, -0.24996765f, -1.24983096f, 0.456249982f, -0.395000011f, 1.21125007f, -0.0499947257f, 0.0500008762f, -0.0125035141f, -0.0749964863f, 0.0249991193f, -0.0375052728f, -0.173749998f, -1.3175f },
	};
	static const float lr1[3] = { 0.1f, 0.08f, 0.05f }, lr2[3] = { 0.4f, 0.3f, 0.2f };
	lars_torch("LARS momentum=0.9 wd=0.01 eta=0.02", lr1, 0.9f, 0.01f, 0.02f, 0, 0, lars_plain);
	lars_torch("LARS clip_lr wd=1e-4", lr2, 0.9f, 1e-4f, 0.02f, 0, 1, lars_clip);
	lars_torch("LARS clip_lr nesterov wd=5e-3", lr2, 0.9f, 5e-3f, 0.02f, 1, 1, lars_nest);
	lars_torch("LARS no momentum eta=0.001", lr1, 0, 0.01f, 0.001f, 0, 0, lars_nomom);
}

/* the rule of nn_optim.h in double: one step of p (n) with gradient g,
 * buf the momentum buffer */
static void lars_ref(double *p, double *buf, const double *g0, size_t n,
                     const imb_nn_segment *seg, size_t nseg, double lr, double mom,
                     double wd, double eta, int nest, int clip, int first)
{
	double *g = malloc(n * sizeof(double));
	memcpy(g, g0, n * sizeof(double));
	for (size_t k = 0; k < nseg; k++) {
		const double *w = p + seg[k].offset;
		double *d = g + seg[k].offset, pn = 0, gn = 0;
		if (!seg[k].adapt)
			continue;       /* bias or BN: no decay, no scaling */
		for (size_t i = 0; i < seg[k].count; i++) {
			pn += w[i] * w[i];
			gn += d[i] * d[i];
		}
		pn = sqrt(pn);
		gn = sqrt(gn);
		if (pn == 0 || gn == 0)
			continue;
		double trust = eta * pn / (gn + wd * pn + 1e-8);
		if (clip)
			trust = fmin(trust / lr, 1);
		for (size_t i = 0; i < seg[k].count; i++)
			d[i] = (d[i] + wd * w[i]) * trust;
	}
	for (size_t i = 0; i < n; i++) {
		double d = g[i];
		if (mom != 0) {
			buf[i] = first ? d : mom * buf[i] + d;
			d = nest ? d + mom * buf[i] : buf[i];
		}
		p[i] -= lr * d;
	}
	free(g);
}

/* segments of every kind; the 9 floats before the last are in none */
static const imb_nn_segment ref_seg[] = {
	{ 0, 7, 1 }, { 7, 3, 0 }, { 10, 1000, 1 }, { 1010, 50, 1 }, { 1060, 5, 0 },
	{ 1065, 4096, 1 }, { 5161, 1, 1 }, { 5171, 33, 0 }, { 5204, 300, 1 },
};
#define NREF 5504
#define NREF_SEG (sizeof ref_seg / sizeof *ref_seg)

/* the worst of |p - p_ref| / max(|p_ref|, RMS of p_ref over its tensor) */
static double lars_vs_ref(const char *what, float mom, float wd, float eta, int nest,
                          int clip, double tol)
{
	enum { STEPS = 8 };
	const imb_nn_backend *be = imb_nn_be();
	float *h = malloc(NREF * sizeof(float)), *h2 = malloc(NREF * sizeof(float));
	float *gh = malloc(STEPS * NREF * sizeof(float));
	double *p = malloc(NREF * sizeof(double)), *buf = calloc(NREF, sizeof(double));
	double *g = malloc(NREF * sizeof(double));
	static const double gscale[] = { 1e-3, 1, 0.1, 1, 0.5, 0.01, 2, 1, 0.05 };
	imb_rng r;
	imb_rng_seed(&r, 11);
	for (size_t k = 0; k < NREF_SEG; k++)
		for (size_t i = 0; i < ref_seg[k].count; i++)
			h[ref_seg[k].offset + i] = k == 3 ? 0 : (float)imb_rng_normal(&r);
	for (size_t i = 5162; i < 5171; i++)    /* the gap */
		h[i] = (float)imb_rng_normal(&r);
	for (int s = 0; s < STEPS; s++) {
		float *gs = gh + (size_t)s * NREF;
		for (size_t i = 0; i < NREF; i++)
			gs[i] = (float)imb_rng_normal(&r);
		for (size_t k = 0; k < NREF_SEG; k++)
			for (size_t i = 0; i < ref_seg[k].count; i++)
				gs[ref_seg[k].offset + i] *= (float)gscale[k];
		if (s == 2)     /* the last weight's gradient of norm 0 */
			memset(gs + 5204, 0, 300 * sizeof(float));
	}
	for (size_t i = 0; i < NREF; i++)
		p[i] = h[i];
	float *pa = be->alloc(NREF * sizeof(float)), *pb = be->alloc(NREF * sizeof(float));
	float *gd = be->alloc(NREF * sizeof(float));
	be->upload(pa, h, NREF * sizeof(float));
	be->upload(pb, h, NREF * sizeof(float));
	imb_nn_optimizer a, b;
	CHECK(imb_nn_optimizer_lars(&a, NREF, ref_seg, NREF_SEG, 0.4f, mom, wd, eta, nest) == 0);
	CHECK(imb_nn_optimizer_lars(&b, NREF, ref_seg, NREF_SEG, 0.4f, mom, wd, eta, nest) == 0);
	imb_nn_optimizer_lars_clip(&a, clip);
	imb_nn_optimizer_lars_clip(&b, clip);
	for (int s = 0; s < STEPS; s++) {
		float lr = 0.4f * (1 - s / 10.0f);
		const float *gs = gh + (size_t)s * NREF;
		be->upload(gd, gs, NREF * sizeof(float));
		imb_nn_set_threads(1);
		a.step(&a, pa, gd, lr);
		imb_nn_set_threads(2);
		b.step(&b, pb, gd, lr);
		for (size_t i = 0; i < NREF; i++)
			g[i] = gs[i];
		lars_ref(p, buf, g, NREF, ref_seg, NREF_SEG, lr, mom, wd, eta, nest, clip, s == 0);
	}
	imb_nn_set_threads(0);
	be->download(h, pa, NREF * sizeof(float));
	be->download(h2, pb, NREF * sizeof(float));
	CHECK(!memcmp(h, h2, NREF * sizeof(float)));
	/* each tensor (and the gap) on its own scale: an entry near zero
	 * after cancellation is compared with the tensor's RMS */
	double worst = 0;
	for (size_t k = 0; k <= NREF_SEG; k++) {
		size_t o = k < NREF_SEG ? ref_seg[k].offset : 5162;
		size_t n = k < NREF_SEG ? ref_seg[k].count : 9;
		double ss = 0;
		for (size_t i = o; i < o + n; i++)
			ss += p[i] * p[i];
		double rms = sqrt(ss / n);
		for (size_t i = o; i < o + n; i++) {
			double d = fabs(h[i] - p[i]) / fmax(fabs(p[i]), rms);
			worst = d > worst ? d : worst;
		}
	}
	CHECK(worst <= tol);
	printf("%-34s %d steps, %d floats: max rel diff from double %.3g\n", what, STEPS,
	       NREF, worst);
	imb_nn_optimizer_free(&a);
	imb_nn_optimizer_free(&b);
	be->free(pa);
	be->free(pb);
	be->free(gd);
	free(h); free(h2); free(gh); free(p); free(buf); free(g);
	return worst;
}

static void test_lars_ref(void)
{
	lars_vs_ref("LARS vs double: momentum, wd", 0.9f, 5e-3f, 0.02f, 0, 0, 1e-6);
	lars_vs_ref("LARS vs double: nesterov", 0.9f, 5e-3f, 0.02f, 1, 0, 1e-6);
	lars_vs_ref("LARS vs double: clip_lr", 0.9f, 1e-4f, 0.02f, 0, 1, 1e-6);
	lars_vs_ref("LARS vs double: nest, clip, wd 0", 0.9f, 0, 0.001f, 1, 1, 1e-6);
	lars_vs_ref("LARS vs double: no momentum", 0, 5e-3f, 0.02f, 0, 0, 1e-6);

	/* refused settings */
	imb_nn_optimizer o;
	static const imb_nn_segment bad1[2] = { { 0, 10, 1 }, { 5, 10, 0 } };
	static const imb_nn_segment bad2[1] = { { 95, 10, 1 } };
	CHECK(imb_nn_optimizer_lars(&o, 100, bad1, 2, 0.1f, 0.9f, 0, 0.001f, 0) == -1);
	CHECK_HAS(imb_error(), "segment 1");
	CHECK(imb_nn_optimizer_lars(&o, 100, bad2, 1, 0.1f, 0.9f, 0, 0.001f, 0) == -1);
	CHECK_HAS(imb_error(), "segment 0");
	CHECK(imb_nn_optimizer_lars(&o, 100, NULL, 0, 0.1f, 0, 0, 0.001f, 1) == -1);
	CHECK_HAS(imb_error(), "nesterov");
	CHECK(imb_nn_optimizer_lars(&o, 100, NULL, 0, 0.1f, 0.9f, 0, -1, 0) == -1);
	CHECK_HAS(imb_error(), "eta");
	CHECK(imb_nn_optimizer_lars(&o, 100, NULL, 0, 0.1f, 0.9f, -1e-4f, 0.001f, 0) == -1);
	imb_nn_optimizer_free(&o);      /* a refused table frees as nothing */
	CHECK(imb_nn_optimizer_sgd(&o, 100, 0.1f, 0.9f, 0, 0) == 0);
	CHECK(imb_nn_optimizer_lars_clip(&o, 1) == -1);
	CHECK_HAS(imb_error(), "sgd");
	imb_nn_optimizer_free(&o);
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
	/* the list is what LARS takes for the block it steps */
	imb_nn_optimizer o;
	CHECK(imb_nn_optimizer_lars(&o, m->P - from, seg, n, 0.1f, 0.9f, 1e-4f, 0.001f, 0) == 0);
	imb_nn_optimizer_free(&o);
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
	test_save_load(OPT_SGD);
	test_save_load(OPT_ADAMW);
	test_save_load(OPT_LARS);
	test_segments();
	test_lars_torch();
	test_lars_ref();
	CHECK_DONE();
}
