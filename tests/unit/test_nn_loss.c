/* test_nn_loss.c: each loss against a double-precision reference written
 * from its paper's definition (not from the shared op's formula), and its
 * dlogits against central finite differences of that reference. Prints
 * the max differences; exits non-zero on a failure. */
#include "check.h"
#include "nn_loss.h"
#include "rng.h"
#include "util.h"

#include <stdint.h>

#define N 7
#define K 4

static imb_rng rng;

enum { R_CE, R_WCE, R_FOCAL, R_LA, R_LDAM };

typedef struct {
	int kind;
	double z[N * K];
	int32_t y[N];
	double w[K], gamma, tau, prior[K], m[K], s;
} ref_ctx;

/* log softmax(v)[t] for one row, in double */
static double log_softmax(const double *v, int t)
{
	double mx = v[0];
	for (int j = 1; j < K; j++)
		if (v[j] > mx)
			mx = v[j];
	double s = 0;
	for (int j = 0; j < K; j++)
		s += exp(v[j] - mx);
	return v[t] - mx - log(s);
}

static double ref_loss(const ref_ctx *c)
{
	double total = 0, wsum = 0;
	for (int i = 0; i < N; i++) {
		const double *z = c->z + i * K;
		int t = c->y[i];
		double v[K], l, w = 1;
		switch (c->kind) {
		case R_CE:      /* -log softmax(z)_y, mean over the batch */
			l = -log_softmax(z, t);
			break;
		case R_WCE:     /* PyTorch CrossEntropyLoss(weight=w): sum w_y l / sum w_y */
			w = c->w[t];
			l = -log_softmax(z, t);
			break;
		case R_FOCAL: { /* Lin et al.: -(1 - p_t)^gamma log p_t */
			double lp = log_softmax(z, t);
			l = -pow(1 - exp(lp), c->gamma) * lp;
			break;
		}
		case R_LA:      /* Menon et al. (2021) eq. 10: -log softmax(z + tau log pi)_y */
			for (int j = 0; j < K; j++)
				v[j] = z[j] + c->tau * log(c->prior[j]);
			l = -log_softmax(v, t);
			break;
		default:        /* Cao et al. (2019): CE(s * (z - m_y e_y)) */
			for (int j = 0; j < K; j++)
				v[j] = c->s * (z[j] - (j == t ? c->m[t] : 0));
			l = -log_softmax(v, t);
			break;
		}
		total += w * l;
		wsum += w;
	}
	return total / wsum;
}

static void fd(double *g, ref_ctx *c)
{
	const double h = 1e-6;
	for (int i = 0; i < N * K; i++) {
		double save = c->z[i];
		c->z[i] = save + h;
		double fp = ref_loss(c);
		c->z[i] = save - h;
		double fm = ref_loss(c);
		c->z[i] = save;
		g[i] = (fp - fm) / (2 * h);
	}
}

static void check_loss(const char *what, const imb_nn_loss *L, ref_ctx *c, double zscale)
{
	float z[N * K], dz[N * K], losses[N];
	for (int i = 0; i < N * K; i++)
		c->z[i] = z[i] = (float)(zscale * (2 * imb_rng_uniform(&rng) - 1));
	for (int i = 0; i < N; i++)
		c->y[i] = i % K;
	float loss = imb_nn_loss_forward(L, dz, losses, z, c->y, N);
	double want = ref_loss(c), g[N * K], md = 0, mx = 0;
	fd(g, c);
	for (int i = 0; i < N * K; i++) {
		if (fabs(dz[i] - g[i]) > md)
			md = fabs(dz[i] - g[i]);
		if (fabs(g[i]) > mx)
			mx = fabs(g[i]);
	}
	printf("%-28s loss %.7g (ref %.7g, diff %.2g); dlogits max diff %.3g (max |ref| %.3g)\n",
	       what, loss, want, fabs(loss - want), md, mx);
	CHECK_NEAR(loss, want, 1e-6 * (1 + fabs(want)));
	CHECK(mx > 0);
	CHECK(md <= 1e-6 * (mx > 1 ? mx : 1));
	/* without the gradient the loss is the same */
	CHECK(imb_nn_loss_forward(L, NULL, NULL, z, c->y, N) == loss);
	/* per-sample losses: their (weighted) mean is the loss */
	double s = 0, ws = 0;
	for (int i = 0; i < N; i++) {
		double w = L->cfg.weight ? c->w[c->y[i]] : 1;
		s += w * losses[i];
		ws += w;
	}
	CHECK_NEAR(s / ws, loss, 1e-6 * (1 + fabs(loss)));
}

int main(void)
{
	imb_rng_seed(&rng, 3);
	imb_nn_loss L;
	ref_ctx c;
	memset(&c, 0, sizeof c);

	/* plain CE; all-zero logits give exactly log K */
	imb_nn_loss_ce(&L, K);
	c.kind = R_CE;
	check_loss("cross-entropy", &L, &c, 3);
	check_loss("cross-entropy (big logits)", &L, &c, 60);
	float z0[N * K] = {0}, dz[N * K];
	int32_t y0[N] = {0};
	CHECK_NEAR(imb_nn_loss_forward(&L, dz, NULL, z0, y0, N), log(K), 1e-6);
	CHECK_NEAR(dz[0], (1.0 / K - 1) / N, 1e-7);
	CHECK_NEAR(dz[1], 1.0 / K / N, 1e-7);
	imb_nn_loss_free(&L);
	imb_nn_loss_free(&L);   /* idempotent */
	imb_nn_loss_free(NULL);

	/* class-weighted CE */
	float w[K] = { 0.5f, 2, 1, 3.5f };
	CHECK(imb_nn_loss_weighted_ce(&L, K, w) == 0);
	c.kind = R_WCE;
	for (int j = 0; j < K; j++)
		c.w[j] = w[j];
	check_loss("weighted cross-entropy", &L, &c, 3);
	imb_nn_loss_free(&L);
	float wbad[K] = { 1, -1, 1, 1 }, wzero[K] = { 0 };
	CHECK(imb_nn_loss_weighted_ce(&L, K, wbad) == -1);
	CHECK_HAS(imb_error(), "class weight 1");
	CHECK(imb_nn_loss_weighted_ce(&L, K, wzero) == -1);
	imb_nn_loss_free(&L);

	/* focal, several gammas; gamma 0 is CE */
	double gammas[] = { 0, 0.5, 1, 2, 5 };
	for (size_t k = 0; k < IMB_LEN(gammas); k++) {
		CHECK(imb_nn_loss_focal(&L, K, (float)gammas[k], NULL) == 0);
		c.kind = R_FOCAL;
		c.gamma = gammas[k];
		char what[64];
		snprintf(what, sizeof what, "focal gamma=%g", gammas[k]);
		check_loss(what, &L, &c, 3);
		imb_nn_loss_free(&L);
	}
	/* confident, correct logits (p_y -> 1): finite gradient for gamma < 1 */
	CHECK(imb_nn_loss_focal(&L, K, 0.5f, NULL) == 0);
	float zc[K] = { 80, 0, 0, 0 };
	int32_t yc[1] = { 0 };
	float lc = imb_nn_loss_forward(&L, dz, NULL, zc, yc, 1);
	CHECK(isfinite(lc) && isfinite(dz[0]) && isfinite(dz[1]));
	imb_nn_loss_free(&L);
	CHECK(imb_nn_loss_focal(&L, K, -1, NULL) == -1);

	/* logit-adjusted CE from counts */
	int64_t counts[K] = { 500, 50, 5, 45 };
	CHECK(imb_nn_loss_logit_adjusted(&L, K, counts, 1.0f) == 0);
	c.kind = R_LA;
	c.tau = 1;
	for (int j = 0; j < K; j++)
		c.prior[j] = counts[j] / 600.0;
	check_loss("logit-adjusted tau=1", &L, &c, 3);
	imb_nn_loss_free(&L);
	CHECK(imb_nn_loss_logit_adjusted(&L, K, counts, 2.0f) == 0);
	c.tau = 2;
	check_loss("logit-adjusted tau=2", &L, &c, 3);
	imb_nn_loss_free(&L);
	int64_t counts0[K] = { 5, 0, 5, 5 };
	CHECK(imb_nn_loss_logit_adjusted(&L, K, counts0, 1.0f) == -1);
	CHECK_HAS(imb_error(), "class 1");

	/* LDAM: margins proportional to n^-1/4, the largest equal to max_m */
	CHECK(imb_nn_loss_ldam(&L, K, counts, 0.5f, 30, NULL) == 0);
	float m[K];
	imb_nn_be()->download(m, L.cfg.margin, sizeof m);
	CHECK_NEAR(m[2], 0.5, 1e-7);                        /* rarest class */
	for (int j = 0; j < K; j++)
		CHECK_NEAR(m[j] * pow((double)counts[j], 0.25), 0.5 * pow(5.0, 0.25), 1e-6);
	c.kind = R_LDAM;
	c.s = 30;
	for (int j = 0; j < K; j++)
		c.m[j] = 0.5 / pow(counts[j], 0.25) * pow(5.0, 0.25);
	check_loss("LDAM max_m=0.5 s=30", &L, &c, 1);
	imb_nn_loss_free(&L);
	/* LDAM with DRW weights */
	CHECK(imb_nn_loss_ldam(&L, K, counts, 0.5f, 30, w) == 0);
	CHECK(L.cfg.weight != NULL);
	imb_nn_loss_free(&L);
	CHECK(imb_nn_loss_ldam(&L, K, counts0, 0.5f, 30, NULL) == -1);

	/* names */
	CHECK_EQ_INT(imb_nn_loss_kind_parse("ldam"), IMB_NN_LOSS_LDAM);
	CHECK_EQ_INT(imb_nn_loss_kind_parse("focal"), IMB_NN_LOSS_FOCAL);
	CHECK_EQ_INT(imb_nn_loss_kind_parse("nope"), -1);
	CHECK_STR(imb_nn_loss_kind_name(IMB_NN_LOSS_LOGIT_ADJUSTED), "logit-adjusted");
	float iw[K];
	imb_nn_class_weights_inverse(iw, counts, K);
	CHECK_NEAR(iw[0], 600.0 / 4 / 500, 1e-6);
	CHECK_NEAR(iw[2], 600.0 / 4 / 5, 1e-5);
	CHECK_DONE();
}
