/* test_nn_sghmc.c: SGHMC (nn_sghmc.h) and ensemble frames (nn_ensemble.h).
 *
 * Sampling: the optimiser table alone, driven with the exact gradient of
 * U(theta) = 1/2 (theta - mu)^T A (theta - mu) in two dimensions (N = 1,
 * T = 1, no weight decay, A correlated), must draw from N(mu, A^-1): the
 * chain's mean and covariance are held to mu and A^-1 within four
 * standard errors from batch means (200 batches; the effective sample
 * size is printed and must be large enough for the band to be tight)
 * plus the discretisation's own bias, computed here exactly: the update
 * is linear, so its stationary covariance solves a discrete Lyapunov
 * equation (for lr 0.01 and friction 0.1 it is A^-1 to 0.6%).
 * Exploration: with the noise off the steps are a deterministic descent
 * (two keys, the same bits; a double reference of the momentum form; the
 * minimum reached). The noise of step s is fill_normal's with (key, s):
 * the same key gives the same bits, another key others; a checkpoint of
 * the optimiser continues bit for bit. The cyclical schedule, its phases
 * and the members kept; the settings refused.
 *
 * Ensembles: S copies of one network predict exactly that network's
 * probabilities (an MLP; resnet8, with BN buffers); two members predict
 * the mean of theirs; parts joined give the whole frame back; a part is
 * refused by the predictor; join refuses parts out of order or of another
 * architecture, naming the field. */
#include "check.h"
#include "nn_backend.h"
#include "nn_ensemble.h"
#include "nn_frame.h"
#include "nn_model.h"
#include "nn_sghmc.h"
#include "predict.h"
#include "rng.h"
#include "util.h"

/* ---- sampling a 2-D Gaussian ---- */

static const double SIG[2][2] = { { 1.0, 0.6 }, { 0.6, 0.5 } };   /* A^-1 */
static const double MU[2] = { 1.0, -2.0 };
#define LR 0.01
#define FRICTION 0.1

/* A = SIG^-1 */
static void precision(double A[2][2])
{
	double det = SIG[0][0] * SIG[1][1] - SIG[0][1] * SIG[1][0];
	A[0][0] = SIG[1][1] / det;
	A[1][1] = SIG[0][0] / det;
	A[0][1] = A[1][0] = -SIG[0][1] / det;
}

/* the stationary covariance of theta under the update with exact
 * gradients: x = (theta - mu, v), x' = M x + B eps, Sigma = M Sigma M^T +
 * B B^T, by iteration to convergence */
static void lyapunov(double out[2][2])
{
	double A[2][2], M[4][4] = {{0}}, Q[4][4] = {{0}}, X[4][4] = {{0}}, Y[4][4], T[4][4];
	precision(A);
	double q = 2 * FRICTION * LR;    /* the noise's variance a step */
	for (int i = 0; i < 2; i++) {
		for (int j = 0; j < 2; j++) {
			M[i][j] = (i == j) - LR * A[i][j];      /* theta' = (I - lr A) theta + (1-a) v + e */
			M[2 + i][j] = -LR * A[i][j];            /* v' = -lr A theta + (1-a) v + e */
		}
		M[i][2 + i] = M[2 + i][2 + i] = 1 - FRICTION;
		Q[i][i] = Q[i][2 + i] = Q[2 + i][i] = Q[2 + i][2 + i] = q;
	}
	for (int it = 0; it < 100000; it++) {
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++) {
				T[i][j] = 0;
				for (int k = 0; k < 4; k++)
					T[i][j] += M[i][k] * X[k][j];
			}
		double d = 0;
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++) {
				Y[i][j] = Q[i][j];
				for (int k = 0; k < 4; k++)
					Y[i][j] += T[i][k] * M[j][k];
				d = fmax(d, fabs(Y[i][j] - X[i][j]));
			}
		memcpy(X, Y, sizeof X);
		if (d < 1e-15)
			break;
	}
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			out[i][j] = X[i][j];
}

/* grad = A (theta - mu), on the host (the CPU backend's memory) */
static void gradient(float *g, const float *th)
{
	double A[2][2];
	precision(A);
	for (int i = 0; i < 2; i++)
		g[i] = (float)(A[i][0] * (th[0] - MU[0]) + A[i][1] * (th[1] - MU[1]));
}

static void test_gaussian(void)
{
	enum { BURN = 5000, NB = 200, BL = 8000 };
	imb_nn_optimizer o;
	CHECK(imb_nn_optimizer_sghmc(&o, 2, FRICTION, 0, 1, 1, 7) == 0);
	float th[2] = { (float)MU[0] + 3, (float)MU[1] - 3 }, g[2];
	for (int s = 0; s < BURN; s++) {
		gradient(g, th);
		o.step(&o, th, g, LR);
	}
	/* batch sums of theta and of theta theta^T */
	static double bm[NB][2], bc[NB][3];
	double m[2] = {0}, c[3] = {0};
	for (int b = 0; b < NB; b++) {
		double s1[2] = {0}, s2[3] = {0};
		for (int s = 0; s < BL; s++) {
			gradient(g, th);
			o.step(&o, th, g, LR);
			s1[0] += th[0];
			s1[1] += th[1];
			s2[0] += (double)th[0] * th[0];
			s2[1] += (double)th[0] * th[1];
			s2[2] += (double)th[1] * th[1];
		}
		for (int i = 0; i < 2; i++) {
			bm[b][i] = s1[i] / BL;
			m[i] += s1[i] / ((double)NB * BL);
		}
		for (int i = 0; i < 3; i++) {
			bc[b][i] = s2[i] / BL;
			c[i] += s2[i] / ((double)NB * BL);
		}
	}
	CHECK_EQ_INT(o.steps(&o), BURN + NB * BL);
	imb_nn_optimizer_free(&o);
	/* covariance entries (00, 01, 11) and their batch estimates */
	int ii[3] = {0, 0, 1}, jj[3] = {0, 1, 1};
	double cov[3], se_m[2], se_c[3], bias[2][2];
	for (int k = 0; k < 3; k++)
		cov[k] = c[k] - m[ii[k]] * m[jj[k]];
	for (int i = 0; i < 2; i++) {
		double v = 0;
		for (int b = 0; b < NB; b++)
			v += (bm[b][i] - m[i]) * (bm[b][i] - m[i]);
		se_m[i] = sqrt(v / (NB - 1) / NB);
	}
	for (int k = 0; k < 3; k++) {
		double v = 0;
		for (int b = 0; b < NB; b++) {
			double cb = bc[b][k] - bm[b][ii[k]] * bm[b][jj[k]];
			v += (cb - cov[k]) * (cb - cov[k]);
		}
		se_c[k] = sqrt(v / (NB - 1) / NB);
	}
	lyapunov(bias);
	double ess0 = SIG[0][0] / (se_m[0] * se_m[0]), ess1 = SIG[1][1] / (se_m[1] * se_m[1]);
	fprintf(stderr, "  gaussian: %d steps, effective sample size %.0f and %.0f\n", NB * BL, ess0,
	        ess1);
	fprintf(stderr, "  mean (%.4f, %.4f) +- (%.4f, %.4f), want (%g, %g)\n", m[0], m[1], se_m[0],
	        se_m[1], MU[0], MU[1]);
	fprintf(stderr, "  cov (%.4f, %.4f, %.4f) +- (%.4f, %.4f, %.4f), want (%g, %g, %g); the "
	        "discrete chain's exact (%.4f, %.4f, %.4f)\n", cov[0], cov[1], cov[2], se_c[0],
	        se_c[1], se_c[2], SIG[0][0], SIG[0][1], SIG[1][1], bias[0][0], bias[0][1], bias[1][1]);
	/* the band is tight: at this size 4 SE of a variance is under 5% */
	CHECK(ess0 > 20000 && ess1 > 20000);
	for (int i = 0; i < 2; i++)
		CHECK_NEAR(m[i], MU[i], 4 * se_m[i]);
	for (int k = 0; k < 3; k++) {
		double want = SIG[ii[k]][jj[k]], b = fabs(bias[ii[k]][jj[k]] - want);
		CHECK(b < 0.006 * sqrt(SIG[ii[k]][ii[k]] * SIG[jj[k]][jj[k]]));
		CHECK_NEAR(cov[k], want, 4 * se_c[k] + b);
		CHECK(se_c[k] < 0.0125 * sqrt(SIG[ii[k]][ii[k]] * SIG[jj[k]][jj[k]]));
	}
}

/* ---- the noise: off in exploration, keyed by (key, step) ---- */

static void run_steps(uint64_t key, int sampling, int n, float wd, float out[2])
{
	imb_nn_optimizer o;
	CHECK(imb_nn_optimizer_sghmc(&o, 2, 0.3, wd, 1, 10, key) == 0);
	CHECK(imb_nn_optimizer_sghmc_sampling(&o, sampling) == 0);
	float th[2] = { 4, 2 }, g[2];
	for (int s = 0; s < n; s++) {
		gradient(g, th);
		o.step(&o, th, g, 0.05f);
	}
	out[0] = th[0];
	out[1] = th[1];
	imb_nn_optimizer_free(&o);
}

static void test_phases(void)
{
	/* exploration: no noise, whatever the key */
	float a[2], b[2], c[2], d[2];
	run_steps(1, 0, 300, 0, a);
	run_steps(2, 0, 300, 0, b);
	CHECK(memcmp(a, b, sizeof a) == 0);
	/* the momentum form in double: the same descent */
	double A[2][2], th[2] = { 4, 2 }, v[2] = {0}, wd = 0.01;
	precision(A);
	run_steps(1, 0, 300, (float)wd, c);
	for (int s = 0; s < 300; s++) {
		double g[2];
		for (int i = 0; i < 2; i++)
			g[i] = A[i][0] * (th[0] - MU[0]) + A[i][1] * (th[1] - MU[1]) + wd * th[i];
		for (int i = 0; i < 2; i++) {
			v[i] = (1 - 0.3) * v[i] - 0.05 * g[i];
			th[i] += v[i];
		}
	}
	CHECK_NEAR(c[0], th[0], 1e-5);
	CHECK_NEAR(c[1], th[1], 1e-5);
	CHECK_NEAR(a[0], MU[0], 1e-4);   /* the minimum, reached */
	CHECK_NEAR(a[1], MU[1], 1e-4);
	fprintf(stderr, "  exploration: 300 steps without noise reach (%.6f, %.6f); the double "
	        "reference with decay %.3g off by %.2g\n", a[0], a[1], wd,
	        fmax(fabs(c[0] - th[0]), fabs(c[1] - th[1])));
	/* sampling: the key decides */
	run_steps(5, 1, 300, 0, a);
	run_steps(5, 1, 300, 0, b);
	run_steps(6, 1, 300, 0, d);
	CHECK(memcmp(a, b, sizeof a) == 0);
	CHECK(memcmp(a, d, sizeof a) != 0);
	CHECK(fabs(a[0] - MU[0]) > 1e-4);
	/* step s's noise is fill_normal's (key, s): from rest with no force,
	 * friction 1, one step moves theta by exactly that draw */
	enum { P = 64 };
	imb_nn_optimizer o;
	CHECK(imb_nn_optimizer_sghmc(&o, P, 1, 0, 2, 5, 99) == 0);
	float p[P] = {0}, zero[P] = {0}, want[P];
	o.step(&o, p, zero, 0.1f);
	o.step(&o, p, zero, 0.1f);
	float step2[P];
	memcpy(step2, p, sizeof p);
	float sd = (float)sqrt(2 * 1.0 * 0.1f * 2 / 5);
	imb_nn_be()->fill_normal(want, P, 0, sd, 99, 1);
	float w2[P];
	imb_nn_be()->fill_normal(w2, P, 0, sd, 99, 2);
	int same = 1;
	for (int i = 0; i < P; i++)
		same &= step2[i] == want[i] + w2[i];
	CHECK(same);
	imb_nn_optimizer_free(&o);
	/* a checkpoint of the state continues bit for bit */
	imb_nn_optimizer o1, o2;
	CHECK(imb_nn_optimizer_sghmc(&o1, 2, 0.2, 0.001, 1, 10, 3) == 0);
	CHECK(imb_nn_optimizer_sghmc(&o2, 2, 0.2, 0.001, 1, 10, 3) == 0);
	float t1[2] = { 1, 1 }, g[2];
	for (int s = 0; s < 17; s++) {
		gradient(g, t1);
		o1.step(&o1, t1, g, 0.03f);
	}
	imb_frame *ck = imb_frame_new("checkpoint", "train");
	CHECK(o1.save(&o1, ck) == 0);
	CHECK(o2.load(&o2, ck) == 0);
	CHECK_EQ_INT(o2.steps(&o2), 17);
	float t2[2] = { t1[0], t1[1] };
	for (int s = 0; s < 9; s++) {
		gradient(g, t1);
		o1.step(&o1, t1, g, 0.03f);
		gradient(g, t2);
		o2.step(&o2, t2, g, 0.03f);
	}
	CHECK(memcmp(t1, t2, sizeof t1) == 0);
	imb_frame_del_tensor(ck, "state1");
	CHECK(o2.load(&o2, ck) == -1);
	CHECK_HAS(imb_error(), "state1");
	imb_frame_free(ck);
	imb_nn_optimizer_free(&o1);
	imb_nn_optimizer_free(&o2);
	imb_nn_optimizer sgd;
	CHECK(imb_nn_optimizer_sgd(&sgd, 2, 0.1f, 0.9f, 0, 0) == 0);
	CHECK(imb_nn_optimizer_sghmc_sampling(&sgd, 1) == -1);
	imb_nn_optimizer_free(&sgd);
	CHECK(imb_nn_optimizer_sghmc(&o, 2, 0, 0, 1, 1, 0) == -1);
	CHECK(imb_nn_optimizer_sghmc(&o, 2, 1.5, 0, 1, 1, 0) == -1);
	CHECK(imb_nn_optimizer_sghmc(&o, 2, 0.5, 0, -1, 1, 0) == -1);
}

/* ---- the schedule ---- */

static void test_schedule(void)
{
	imb_nn_sghmc_opts s;
	imb_nn_sghmc_opts_init(&s);       /* Zhang et al.'s: 4 cycles, 0.9, 3 a cycle */
	int on;
	CHECK(imb_nn_sghmc_check(&s, 200) == NULL);
	CHECK_EQ_INT(imb_nn_sghmc_members(&s, 200), 12);
	CHECK_NEAR(imb_nn_sghmc_at(&s, 200, 0.5, 0, &on), 0.5, 1e-15);
	CHECK(!on);
	CHECK_NEAR(imb_nn_sghmc_at(&s, 200, 0.5, 25, &on), 0.25, 1e-15);
	CHECK(!on);
	imb_nn_sghmc_at(&s, 200, 0.5, 44.999, &on);
	CHECK(!on);
	imb_nn_sghmc_at(&s, 200, 0.5, 45, &on);    /* epoch 46 of the cycle: Zhang's (epoch%50)+1>45 */
	CHECK(on);
	CHECK_NEAR(imb_nn_sghmc_at(&s, 200, 0.5, 149.5, &on), 0.25 * (cos(M_PI * 49.5 / 50) + 1),
	           1e-15);
	CHECK(on);
	CHECK_NEAR(imb_nn_sghmc_at(&s, 200, 0.5, 150, &on), 0.5, 1e-15);
	CHECK(!on);
	int kept[200], n = 0;
	for (int e = 1; e <= 200; e++)
		if (imb_nn_sghmc_keeps(&s, 200, e))
			kept[n++] = e;
	CHECK_EQ_INT(n, 12);
	CHECK(kept[0] == 48 && kept[2] == 50 && kept[3] == 98 && kept[11] == 200);
	/* the sampling phase holds 5 epochs of 50: 5 fit, 6 do not */
	s.samples_per_cycle = 5;
	CHECK(imb_nn_sghmc_check(&s, 200) == NULL);
	s.samples_per_cycle = 6;
	CHECK_HAS(imb_nn_sghmc_check(&s, 200), "does not fit in the sampling phase");
	s.samples_per_cycle = -1;
	CHECK_HAS(imb_nn_sghmc_check(&s, 10), "must be a multiple");
	CHECK_HAS(imb_nn_sghmc_check(&s, 12), "--samples-per-cycle 3 does not fit");
	s.burn_in = 3;
	CHECK_HAS(imb_nn_sghmc_check(&s, 200), "--burn-in is for plain SGHMC");
	s.burn_in = -1;
	s.friction = -0.1;
	CHECK_HAS(imb_nn_sghmc_check(&s, 200), "--friction -0.1: must be in (0, 1]");
	s.friction = 0.9;
	s.temperature = -1;
	CHECK_HAS(imb_nn_sghmc_check(&s, 200), "--temperature");
	/* plain: a constant step, noise throughout, members after the burn-in */
	imb_nn_sghmc_opts_init(&s);
	s.cycles = 0;
	CHECK(imb_nn_sghmc_check(&s, 20) == NULL);
	CHECK_EQ_INT(imb_nn_sghmc_members(&s, 20), 10);      /* burn-in 10, every epoch */
	CHECK_NEAR(imb_nn_sghmc_at(&s, 20, 0.1, 3.7, &on), 0.1, 0);
	CHECK(on);
	s.burn_in = 5;
	s.sample_every = 4;
	CHECK_EQ_INT(imb_nn_sghmc_members(&s, 20), 3);
	CHECK(imb_nn_sghmc_keeps(&s, 20, 9) && imb_nn_sghmc_keeps(&s, 20, 17));
	CHECK(!imb_nn_sghmc_keeps(&s, 20, 5) && !imb_nn_sghmc_keeps(&s, 20, 18));
	s.burn_in = 17;
	CHECK_HAS(imb_nn_sghmc_check(&s, 20), "keeps no member");
	s.burn_in = -1;
	s.explore = 0.5;
	CHECK_HAS(imb_nn_sghmc_check(&s, 20), "--explore is for a cyclical run");
	fprintf(stderr, "  schedule: Zhang et al.'s cycles, phases and 12 members; plain SGHMC\n");
}

/* ---- ensembles ---- */

/* a network model frame of arch on (C,H,W), 2 classes, from seed */
static imb_frame *network(const char *arch, int C, int H, int W, uint64_t seed)
{
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, 2);
	imb_rng r;
	imb_rng_seed(&r, seed);
	imb_nn_model_init(m, &r);
	if (m->B) {    /* running statistics of its own */
		float *b = imb_xmalloc(m->B * sizeof *b);
		for (size_t i = 0; i < m->B; i++)
			b[i] = 0.5f + (float)imb_rng_uniform(&r);
		imb_nn_be()->upload(m->bufs, b, m->B * sizeof *b);
		free(b);
	}
	float mean[3] = { 0.1f, 0.2f, 0.3f }, std[3] = { 1.5f, 0.5f, 2.0f };
	imb_frame *f = imb_nn_frame_make(m, mean, std, imb_val_map(), NULL, NULL, 7);
	imb_nn_model_free(m);
	return f;
}

/* an ensemble of S networks of arch on (C,H,W): their params and bufs
 * as rows, the attrs of any (a network made again) */
static imb_frame *ensemble(imb_frame *const *nets, size_t S, const char *arch, int C, int H,
                           int W)
{
	size_t P = imb_tensor_count(imb_frame_tensor(nets[0], "params"));
	const imb_tensor *tb = imb_frame_tensor(nets[0], "bufs");
	size_t B = tb ? imb_tensor_count(tb) : 0;
	float *p = imb_xmalloc_aligned(S * P * sizeof *p), *b = B ? imb_xmalloc_aligned(S * B * 4) : NULL;
	int64_t ep[8];
	for (size_t s = 0; s < S; s++) {
		memcpy(p + s * P, imb_frame_tensor(nets[s], "params")->data, P * sizeof *p);
		if (B)
			memcpy(b + s * B, imb_frame_tensor(nets[s], "bufs")->data, B * sizeof *b);
		ep[s] = 10 + (int64_t)s;
	}
	return imb_nn_ensemble_make(network(arch, C, H, W, 0), "sghmc", S, p, b, ep);
}

static float *predict(const imb_frame *f, const float *x, size_t n, size_t d)
{
	imb_predictor *p = imb_predictor_load(f);
	CHECK(p != NULL);
	if (!p) {
		fprintf(stderr, "  %s\n", imb_error());
		return NULL;
	}
	float *probs = imb_xmalloc(n * 2 * sizeof *probs);
	CHECK(imb_predict_proba(p, x, n, d, probs) == 0);
	imb_predictor_free(p);
	return probs;
}

static void test_ensemble(const char *arch, int C, int H, int W)
{
	enum { N = 40 };
	size_t d = (size_t)C * H * W;
	imb_rng r;
	imb_rng_seed(&r, 11);
	float *x = imb_xmalloc(N * d * sizeof *x);
	for (size_t i = 0; i < N * d; i++)
		x[i] = (float)imb_rng_normal(&r);
	imb_frame *a = network(arch, C, H, W, 1), *b = network(arch, C, H, W, 2);
	imb_frame *three[3] = { a, a, a }, *two[2] = { a, b };
	imb_frame *same = ensemble(three, 3, arch, C, H, W), *mix = ensemble(two, 2, arch, C, H, W);
	float *pa = predict(a, x, N, d), *pb = predict(b, x, N, d);
	float *ps = predict(same, x, N, d), *pm = predict(mix, x, N, d);
	if (pa && pb && ps && pm) {
		/* three copies: the network's probabilities, to the bit */
		CHECK(memcmp(pa, ps, N * 2 * sizeof *pa) == 0);
		double md = 0;
		for (int i = 0; i < N * 2; i++)
			md = fmax(md, fabs(pm[i] - ((double)pa[i] + pb[i]) / 2));
		CHECK(md < 1e-7);
		CHECK(memcmp(pa, pb, N * 2 * sizeof *pa) != 0);
		fprintf(stderr, "  %s: 3 copies give the network's probabilities; 2 members their "
		        "mean (max diff %.2g)\n", arch, md);
	}
	/* a member as a network frame; parts and joins */
	imb_frame *m1 = imb_nn_ensemble_member(mix, 1);
	CHECK(m1 && imb_nn_is_model_frame(m1));
	CHECK(memcmp(imb_frame_tensor(m1, "params")->data, imb_frame_tensor(b, "params")->data,
	             imb_frame_tensor(b, "params")->nbytes) == 0);
	CHECK_EQ_INT(imb_val_as_int(imb_val_path(m1->attrs, "train.epochs_done"), -1), 11);
	imb_frame *p0 = imb_nn_ensemble_part(same, 0, 1), *p1 = imb_nn_ensemble_part(same, 1, 2);
	CHECK(imb_nn_ensemble_is_part(p0) && imb_nn_ensemble_is_part(p1));
	CHECK(!imb_nn_ensemble_is_part(same));
	CHECK(imb_predictor_load(p1) == NULL);
	CHECK_HAS(imb_error(), "join the parts");
	imb_frame *parts[2] = { p0, p1 }, *back[2] = { p1, p0 };
	imb_frame *j = imb_nn_ensemble_join(parts, 2);
	CHECK(j != NULL);
	if (j) {
		for (int k = 0; k < 2; k++) {
			const char *key = k ? "bufs" : "params";
			const imb_tensor *t1 = imb_frame_tensor(j, key), *t2 = imb_frame_tensor(same, key);
			CHECK(!t1 == !t2);
			if (t1 && t2)
				CHECK(t1->nbytes == t2->nbytes && !memcmp(t1->data, t2->data, t1->nbytes));
		}
		float *pj = predict(j, x, N, d);
		CHECK(pj && pa && !memcmp(pj, pa, N * 2 * sizeof *pa));
		free(pj);
	}
	CHECK(imb_nn_ensemble_join(back, 2) == NULL);
	CHECK_HAS(imb_error(), "attrs.ensemble.first");
	CHECK(imb_nn_ensemble_join(parts, 1) == NULL);
	CHECK_HAS(imb_error(), "end at member 1 of 3");
	/* a part of another architecture: refused, the field named */
	imb_frame *o1 = network("mlp:5", C, H, W, 3), *oth[3] = { o1, o1, o1 };
	imb_frame *other = ensemble(oth, 3, "mlp:5", C, H, W), *q1 = imb_nn_ensemble_part(other, 1, 2);
	imb_frame *mixed[2] = { p0, q1 };
	CHECK(imb_nn_ensemble_join(mixed, 2) == NULL);
	CHECK_HAS(imb_error(), "attrs.arch");
	free(x);
	free(pa);
	free(pb);
	free(ps);
	free(pm);
	imb_frame *fr[] = { a, b, same, mix, m1, p0, p1, j, o1, other, q1 };
	for (size_t i = 0; i < IMB_LEN(fr); i++)
		imb_frame_free(fr[i]);
}

int main(void)
{
	imb_nn_be()->set_threads(1);
	test_schedule();
	test_phases();
	test_gaussian();
	test_ensemble("mlp:8", 3, 1, 1);
	test_ensemble("resnet8", 3, 8, 8);
	CHECK_DONE();
}
