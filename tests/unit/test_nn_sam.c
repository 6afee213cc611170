/* test_nn_sam.c: the SAM step (lib/nn_sam.c) against a step computed
 * independently in double on a tiny softmax regression (linear, 3
 * features, 3 classes, 6 samples): the ascent gradient g_a, e, the point
 * w + e (the logits of the second pass, recorded by a wrapping
 * objective), the plain gradient there and the SGD update (momentum and
 * weight decay at the restored w); plain SAM, a minority radius, ASAM,
 * and a minority radius over weighted-ce's class weights.
 * A minority radius changes only the minority terms of the ascent: a
 * batch without minority samples gives plain SAM's bits, and the point
 * w + e moves as the double reference predicts for two radii. rho 0 is
 * the plain step bit for bit (linear and resnet8 with batch norm); batch
 * norm's running statistics after a SAM step are those after the first
 * pass alone; a frozen backbone stays put. The radii from the options:
 * median rule, names and indices, unknown classes. */
#include "check.h"
#include "nn_check.h"
#include "dataset.h"
#include "nn_model.h"
#include "nn_objective.h"
#include "nn_optim.h"
#include "nn_sam.h"
#include "nn_step.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { D = 3, K = 3, N = 6, P = K * D + K };
#define LR 0.1
#define MOM 0.9
#define WD 0.01

/* ---- the double reference: logits, CE gradient, the SAM update ---- */

/* z (N,K) = W x + b, W (K,D) then b (K) in w (PyTorch's layout) */
static void ref_logits(const double *w, const float *x, int n, double *z)
{
	for (int i = 0; i < n; i++)
		for (int k = 0; k < K; k++) {
			double s = w[K * D + k];
			for (int j = 0; j < D; j++)
				s += w[k * D + j] * x[i * D + j];
			z[i * K + k] = s;
		}
}

/* class weights of the objective: NULL (CE), or weighted-ce's inverse
 * frequencies of the counts {3, 1, 2}: (6 / 3) / n_c */
static const double *A;
static const double AINV[K] = {2.0 / 3, 2.0, 1.0};

/* the CE loss sum_i a_{y_i} l_i / sum_i a_{y_i} at w (a = A, or 1), and
 * g (P): the gradient of sum_i s_{y_i} a_{y_i} l_i / sum_i a_{y_i} (s
 * NULL: all 1), the plain normaliser */
static double ref_grad(const double *w, const float *x, const int32_t *y, int n,
                       const double *s, double *g)
{
	double z[N * K], loss = 0, asum = 0;
	for (int i = 0; i < n; i++)
		asum += A ? A[y[i]] : 1;
	ref_logits(w, x, n, z);
	memset(g, 0, P * sizeof *g);
	for (int i = 0; i < n; i++) {
		double mx = z[i * K], sum = 0, p[K];
		for (int k = 1; k < K; k++)
			mx = fmax(mx, z[i * K + k]);
		for (int k = 0; k < K; k++)
			sum += exp(z[i * K + k] - mx);
		for (int k = 0; k < K; k++)
			p[k] = exp(z[i * K + k] - mx) / sum;
		double a = A ? A[y[i]] : 1, sc = s ? s[y[i]] : 1;
		loss -= a * log(p[y[i]]) / asum;
		for (int k = 0; k < K; k++) {
			double dz = sc * a * (p[k] - (k == y[i])) / asum;
			for (int j = 0; j < D; j++)
				g[k * D + j] += dz * x[i * D + j];
			g[K * D + k] += dz;
		}
	}
	return loss;
}

/* e from g_a (T = 1, or |w| + eta), w + e, and SGD's first step from w
 * with the gradient at w + e: buf = g + wd w, w -= lr buf */
static void ref_sam(const double *w, const float *x, const int32_t *y, int n, double rho,
                    const double *s, int adaptive, double *e, double *wp, double *wn)
{
	double ga[P], g2[P], t[P], norm = 0;
	ref_grad(w, x, y, n, s, ga);
	for (int p = 0; p < P; p++) {
		t[p] = adaptive ? fabs(w[p]) + 0.01 : 1;
		norm += t[p] * ga[p] * t[p] * ga[p];
	}
	norm = sqrt(norm);
	for (int p = 0; p < P; p++) {
		e[p] = rho * t[p] * t[p] * ga[p] / (norm + 1e-12);
		wp[p] = w[p] + e[p];
	}
	ref_grad(wp, x, y, n, NULL, g2);
	for (int p = 0; p < P; p++)
		wn[p] = w[p] - LR * (g2[p] + WD * w[p]);
}

/* ---- an objective that records the output of every call ---- */

typedef struct {
	imb_nn_objective inner;
	int calls;
	float out[4][N * K];
} rec;

static void rec_forward(const imb_nn_objective *ob, float *dout, float *losses, float *loss,
                        const float *out, const int32_t *y, int n)
{
	rec *r = ob->state;
	if (r->calls < 4)
		imb_nn_be()->download(r->out[r->calls], out, (size_t)n * K * sizeof(float));
	r->calls++;
	r->inner.forward(&r->inner, dout, losses, loss, out, y, n);
}

/* ---- one step of a fresh linear model from w0 ---- */

static float X[N * D];
static double W0[P];

typedef struct {
	float w[P];             /* after the step */
	float z1[N * K], z2[N * K];   /* the logits of the first and second pass */
	float out[N * K];       /* what the step reported */
	float loss;
	int calls;
} result;

/* sam 0: the plain step; else SAM with rho, adaptive, rho_c */
static result run_linear(const int32_t *yh, int n, int sam, double rho, int adaptive,
                         const double *rho_c)
{
	const imb_nn_backend *be = imb_nn_be();
	result R;
	memset(&R, 0, sizeof R);
	imb_nn_model *m = imb_nn_model_new("linear", D, 1, 1, K);
	CHECK(m && m->P == P);
	float wf[P];
	for (int p = 0; p < P; p++)
		wf[p] = (float)W0[p];
	be->upload(m->params, wf, sizeof wf);
	rec *r = calloc(1, sizeof *r);
	int64_t counts[K] = {3, 1, 2};
	CHECK(imb_nn_objective_xent(&r->inner, A ? IMB_NN_LOSS_WEIGHTED_CE : IMB_NN_LOSS_CE, K,
	                            counts, 2, 1) == 0);
	imb_nn_objective ob = { "rec", K, 1, rec_forward, NULL, r };
	imb_nn_optimizer opt;
	CHECK(imb_nn_optimizer_sgd(&opt, P, LR, MOM, WD, 0) == 0);
	imb_nn_batch b;
	memset(&b, 0, sizeof b);
	b.cap = N;
	b.D = D;
	b.n = n;
	b.x = be->alloc(sizeof X);
	be->upload(b.x, X, (size_t)n * D * sizeof(float));
	b.y = be->alloc(N * sizeof(int32_t));
	be->upload(b.y, yh, (size_t)n * sizeof(int32_t));
	b.yh = (int32_t *)yh;
	imb_nn_step_ctx c = { m, &ob, &opt, 0, 0, be->alloc(N * K * sizeof(float)),
	                      be->alloc(N * sizeof(float)), be->alloc(sizeof(float)) };
	imb_nn_step st;
	if (sam)
		CHECK(imb_nn_step_sam(&st, rho, adaptive, K, rho_c) == 0);
	else
		st = imb_nn_step_plain;
	imb_nn_step_out so = {0};
	CHECK(st.run(&st, &c, &b, (float)LR, &so) == 0);
	be->download(R.w, m->params, sizeof R.w);
	be->download(R.out, so.out, (size_t)n * K * sizeof(float));
	memcpy(R.z1, r->out[0], sizeof R.z1);
	memcpy(R.z2, r->out[1], sizeof R.z2);
	be->download(&R.loss, so.loss, sizeof R.loss);
	R.calls = r->calls;
	imb_nn_step_free(&st);
	be->free(c.dout);
	be->free(c.losses);
	be->free(c.loss);
	be->free(b.x);
	be->free(b.y);
	imb_nn_optimizer_free(&opt);
	imb_nn_objective_free(&r->inner);
	free(r);
	imb_nn_model_free(m);
	return R;
}

/* the SAM step of the engine against ref_sam */
static void against_ref(const char *what, const int32_t *y, double rho, const double *rho_c,
                        int adaptive)
{
	double s[K], e[P], wp[P], wn[P], z[N * K], zp[N * K];
	for (int k = 0; k < K; k++)
		s[k] = rho_c ? rho_c[k] / rho : 1;
	ref_sam(W0, X, y, N, rho, s, adaptive, e, wp, wn);
	result R = run_linear(y, N, 1, rho, adaptive, rho_c);
	char name[128];
	printf("%s\n", what);
	ref_logits(W0, X, N, z);
	ref_logits(wp, X, N, zp);
	snprintf(name, sizeof name, "first pass logits (reported)");
	compare(name, R.out, z, N * K, 1e-6);
	compare("second pass logits = logits at w + e", R.z2, zp, N * K, 1e-6);
	compare("params after the step", R.w, wn, P, 1e-6);
	CHECK_EQ_INT(R.calls, 2);
	double g[P];
	CHECK_NEAR(R.loss, ref_grad(W0, X, y, N, NULL, g), 1e-6);
	/* the step is not the plain one: the check above can tell them apart */
	double plain = 0;
	for (int p = 0; p < P; p++)
		plain = fmax(plain, fabs(wn[p] - (W0[p] - LR * (g[p] + WD * W0[p]))));
	printf("  |SAM update - plain update| %.3g\n", plain);
	CHECK(plain > 1e-3);
}

static double cosine(const double *a, const double *b, int n)
{
	double ab = 0, aa = 0, bb = 0;
	for (int i = 0; i < n; i++) {
		ab += a[i] * b[i];
		aa += a[i] * a[i];
		bb += b[i] * b[i];
	}
	return ab / sqrt(aa * bb);
}

static int same_bits(const void *a, const void *b, size_t n)
{
	return !memcmp(a, b, n);
}

/* ---- resnet8 with batch norm: running statistics, rho 0, frozen ---- */

static void resnet_checks(void)
{
	const imb_nn_backend *be = imb_nn_be();
	enum { RN = 6, RK = 2 };
	float *x = frand(RN * 64, -1, 1);
	int32_t yh[RN] = {0, 1, 0, 0, 1, 0};
	int64_t counts[RK] = {4, 2};
	imb_nn_model *ms[5];
	imb_rng r;
	for (int i = 0; i < 5; i++) {
		ms[i] = imb_nn_model_new("resnet8", 1, 8, 8, RK);
		imb_rng_seed(&r, 5);
		imb_nn_model_init(ms[i], &r);
	}
	size_t Pm = ms[0]->P, B = ms[0]->B;
	float *p0 = malloc(Pm * sizeof(float)), *b0 = malloc(B * sizeof(float));
	be->download(p0, ms[0]->params, Pm * sizeof(float));
	be->download(b0, ms[0]->bufs, B * sizeof(float));
	imb_nn_batch b;
	memset(&b, 0, sizeof b);
	b.cap = b.n = RN;
	b.D = 64;
	b.x = be->alloc(RN * 64 * sizeof(float));
	be->upload(b.x, x, RN * 64 * sizeof(float));
	b.y = be->alloc(sizeof yh);
	be->upload(b.y, yh, sizeof yh);
	b.yh = yh;
	imb_nn_objective ob;
	CHECK(imb_nn_objective_xent(&ob, IMB_NN_LOSS_CE, RK, counts, 2, 1) == 0);
	float *dout = be->alloc(RN * RK * sizeof(float)), *losses = be->alloc(RN * sizeof(float));
	float *lossd = be->alloc(sizeof(float));
	/* 0: plain, 1: SAM rho 0, 2: SAM rho 0.05 with a minority radius,
	 * 3: SAM on a frozen backbone, 4: plain on a frozen backbone */
	double rc[RK] = {0.05, 0.2};
	float lossv[5];
	for (int i = 0; i < 5; i++) {
		int frozen = i >= 3;
		size_t off = frozen ? ms[i]->head : 0;
		imb_nn_optimizer opt;
		CHECK(imb_nn_optimizer_sgd(&opt, Pm - off, 0.1f, 0.9f, 5e-4f, 0) == 0);
		imb_nn_step_ctx c = { ms[i], &ob, &opt, off, frozen, dout, losses, lossd };
		imb_nn_step st = imb_nn_step_plain;
		if (i == 1)
			CHECK(imb_nn_step_sam(&st, 0, 0, RK, NULL) == 0);
		if (i == 2)
			CHECK(imb_nn_step_sam(&st, 0.05, 0, RK, rc) == 0);
		if (i == 3)
			CHECK(imb_nn_step_sam(&st, 0.05, 0, RK, NULL) == 0);
		imb_nn_step_out so = {0};
		CHECK(st.run(&st, &c, &b, 0.1f, &so) == 0);
		be->download(&lossv[i], so.loss, sizeof lossv[i]);
		imb_nn_step_free(&st);
		imb_nn_optimizer_free(&opt);
	}
	float *pa = malloc(Pm * sizeof(float)), *pb = malloc(Pm * sizeof(float));
	float *ba = malloc(B * sizeof(float)), *bb = malloc(B * sizeof(float));
	/* rho 0: the plain step, bit for bit */
	be->download(pa, ms[0]->params, Pm * sizeof(float));
	be->download(pb, ms[1]->params, Pm * sizeof(float));
	be->download(ba, ms[0]->bufs, B * sizeof(float));
	be->download(bb, ms[1]->bufs, B * sizeof(float));
	CHECK(same_bits(pa, pb, Pm * sizeof(float)));
	CHECK(same_bits(ba, bb, B * sizeof(float)));
	CHECK(same_bits(&lossv[0], &lossv[1], sizeof(float)));
	CHECK(!same_bits(pa, p0, Pm * sizeof(float)));
	printf("resnet8: SAM with rho 0 gives the plain step's %zu params and %zu BN buffers, "
	       "bit for bit\n", Pm, B);
	/* SAM: running statistics as after the first pass alone (= the plain
	 * step's single train-mode forward), not after two */
	be->download(pb, ms[2]->params, Pm * sizeof(float));
	be->download(bb, ms[2]->bufs, B * sizeof(float));
	CHECK(same_bits(ba, bb, B * sizeof(float)));
	CHECK(!same_bits(bb, b0, B * sizeof(float)));
	CHECK(!same_bits(pa, pb, Pm * sizeof(float)));
	CHECK(lossv[0] == lossv[2]);     /* the first-pass loss is reported */
	imb_nn_model *two = imb_nn_model_new("resnet8", 1, 8, 8, RK);
	imb_rng_seed(&r, 5);
	imb_nn_model_init(two, &r);
	imb_nn_model_forward(two, b.x, RN, IMB_NN_TRAIN);
	imb_nn_model_forward(two, b.x, RN, IMB_NN_TRAIN);
	float *b2 = malloc(B * sizeof(float));
	be->download(b2, two->bufs, B * sizeof(float));
	CHECK(!same_bits(b2, bb, B * sizeof(float)));   /* a second update would show */
	printf("resnet8: BN running statistics after a SAM step = after the first pass only\n");
	/* frozen backbone: backbone and statistics untouched, the head moved,
	 * and not as the plain step moved it */
	size_t h = ms[3]->head;
	be->download(pb, ms[3]->params, Pm * sizeof(float));
	be->download(bb, ms[3]->bufs, B * sizeof(float));
	CHECK(same_bits(pb, p0, h * sizeof(float)));
	CHECK(same_bits(bb, b0, B * sizeof(float)));
	CHECK(!same_bits(pb + h, p0 + h, (Pm - h) * sizeof(float)));
	be->download(pa, ms[4]->params, Pm * sizeof(float));
	CHECK(!same_bits(pb + h, pa + h, (Pm - h) * sizeof(float)));
	printf("resnet8 --freeze backbone: only the %zu head parameters move\n", Pm - h);
	imb_nn_model_free(two);
	for (int i = 0; i < 5; i++)
		imb_nn_model_free(ms[i]);
	imb_nn_objective_free(&ob);
	be->free(dout);
	be->free(losses);
	be->free(lossd);
	be->free(b.x);
	be->free(b.y);
	free(x);
	free(p0);
	free(b0);
	free(pa);
	free(pb);
	free(ba);
	free(bb);
	free(b2);
}

/* ---- the radii from the options ---- */

static void radii_checks(void)
{
	imb_frame *f = imb_frame_new("dataset", "train");
	const char *names[3] = {"maj", "min", "mid"};
	imb_val_set(f->attrs, "classes", imb_val_str_array(names, 3));
	int64_t counts[3] = {100, 10, 50};
	imb_nn_data t;
	memset(&t, 0, sizeof t);
	t.f = f;
	t.K = 3;
	t.counts = counts;
	snprintf(t.lb, sizeof t.lb, "dataset 'train'");
	imb_nn_train_opts o;
	imb_nn_train_opts_init(&o);
	o.step = IMB_NN_STEP_SAM;
	double rc[3];
	CHECK(imb_nn_sam_radii(rc, &o, &t) == 0);
	CHECK(rc[0] == 0.05 && rc[1] == 0.05 && rc[2] == 0.05);
	o.rho = 0.1;
	o.rho_minority = 0.3;     /* median 50: only class 1 is below */
	CHECK(imb_nn_sam_radii(rc, &o, &t) == 0);
	CHECK(rc[0] == 0.1 && rc[1] == 0.3 && rc[2] == 0.1);
	o.rho_class = "maj:0.01,2:0.5,min:0.4";
	CHECK(imb_nn_sam_radii(rc, &o, &t) == 0);
	CHECK(rc[0] == 0.01 && rc[1] == 0.4 && rc[2] == 0.5);
	o.rho_class = "nope:0.1";
	CHECK(imb_nn_sam_radii(rc, &o, &t) == -1);
	CHECK_HAS(imb_error(), "'nope'");
	CHECK_HAS(imb_error(), "1 min");
	o.rho_class = "3:0.1";
	CHECK(imb_nn_sam_radii(rc, &o, &t) == -1);
	/* even K: the mean of the two middle counts; equal counts: none */
	int64_t two[2] = {5, 50};
	t.K = 2;
	t.counts = two;
	o.rho_class = NULL;
	CHECK(imb_nn_sam_radii(rc, &o, &t) == 0);
	CHECK(rc[0] == 0.3 && rc[1] == 0.1);
	two[0] = 50;
	CHECK(imb_nn_sam_radii(rc, &o, &t) == 0);
	CHECK(rc[0] == 0.1 && rc[1] == 0.1);
	/* the options: SAM's flags need --step sam, a class radius rho > 0 */
	o.step = IMB_NN_STEP_PLAIN;
	CHECK_HAS(imb_nn_train_check(&o), "--step sam");
	o.step = IMB_NN_STEP_SAM;
	CHECK(imb_nn_train_check(&o) == NULL);
	o.rho = 0;
	CHECK_HAS(imb_nn_train_check(&o), "--rho > 0");
	imb_frame_free(f);
	printf("radii: median rule, names and indices, unknown classes named\n");
}

int main(void)
{
	imb_nn_be()->set_threads(1);
	imb_rng_seed(&rng, 11);
	float *xr = frand(N * D, -2, 2), *wr = frand(P, -0.7, 0.7);
	memcpy(X, xr, sizeof X);
	for (int p = 0; p < P; p++)
		W0[p] = wr[p];
	free(xr);
	free(wr);
	/* class 1 is the minority */
	int32_t y[N] = {0, 1, 2, 0, 1, 0};
	int32_t ynomin[N] = {0, 2, 2, 0, 0, 0};
	double rmin[K] = {0.05, 0.2, 0.05}, rmin2[K] = {0.05, 0.6, 0.05};

	against_ref("plain SAM, rho 0.05", y, 0.05, NULL, 0);
	against_ref("a minority radius: rho 0.05, class 1 0.2", y, 0.05, rmin, 0);
	against_ref("a minority radius: rho 0.05, class 1 0.6", y, 0.05, rmin2, 0);
	against_ref("ASAM, rho 0.5 (T = |w| + 0.01)", y, 0.5, NULL, 1);
	against_ref("ASAM with a minority radius", y, 0.5, rmin, 1);
	/* weighted-ce: the radius scales a_c l_i, the normaliser stays sum a */
	A = AINV;
	against_ref("weighted-ce, a minority radius: rho 0.05, class 1 0.2", y, 0.05, rmin, 0);
	A = NULL;

	/* the minority radius turns e as predicted: e for s = 4 and s = 12
	 * are the reference's directions, which differ from plain SAM's */
	double s1[K] = {1, 1, 1}, s4[K] = {1, 4, 1}, s12[K] = {1, 12, 1};
	double e1[P], e4[P], e12[P], wp[P], wn[P];
	ref_sam(W0, X, y, N, 0.05, s1, 0, e1, wp, wn);
	ref_sam(W0, X, y, N, 0.05, s4, 0, e4, wp, wn);
	ref_sam(W0, X, y, N, 0.05, s12, 0, e12, wp, wn);
	double c4 = cosine(e1, e4, P), c12 = cosine(e1, e12, P);
	printf("cos(e plain, e minority x4) %.4f, x12 %.4f\n", c4, c12);
	CHECK(c4 < 0.999 && c12 < c4);
	/* ... and the engine's w + e follows (checked above for x4 and x12) */

	/* a batch without minority samples: plain SAM's bits */
	result a = run_linear(ynomin, N, 1, 0.05, 0, NULL);
	result b = run_linear(ynomin, N, 1, 0.05, 0, rmin);
	CHECK(same_bits(a.z2, b.z2, sizeof a.z2));
	CHECK(same_bits(a.w, b.w, sizeof a.w));
	result cm = run_linear(y, N, 1, 0.05, 0, rmin);
	result cp = run_linear(y, N, 1, 0.05, 0, NULL);
	CHECK(!same_bits(cm.z2, cp.z2, sizeof cm.z2));  /* with minority samples it differs */
	printf("no minority sample in the batch: the same w + e and update as plain SAM\n");

	/* rho 0: the plain step, bit for bit, one pass */
	result p = run_linear(y, N, 0, 0, 0, NULL);
	result q = run_linear(y, N, 1, 0, 0, NULL);
	CHECK(same_bits(p.w, q.w, sizeof p.w));
	CHECK(same_bits(&p.loss, &q.loss, sizeof p.loss));
	CHECK_EQ_INT(q.calls, 1);
	printf("rho 0: the plain step's bits\n");

	/* bad settings */
	imb_nn_step st;
	double bad[K] = {0, 0.1, 0};
	CHECK(imb_nn_step_sam(&st, 0, 0, K, bad) == -1);
	CHECK(imb_nn_step_sam(&st, -1, 0, K, NULL) == -1);
	bad[1] = -1;
	CHECK(imb_nn_step_sam(&st, 0.1, 0, K, bad) == -1);
	imb_nn_step_free(&st);

	resnet_checks();
	radii_checks();
	CHECK_DONE();
}
