/* nn_loss.c: the five losses as configurations of the backend's xent op. */
#include "nn_loss.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = { "ce", "weighted-ce", "focal",
                                          "logit-adjusted", "ldam" };
static_assert(IMB_LEN(kind_names) == IMB_NN_LOSS_LDAM + 1, "loss kind names");

static void init(imb_nn_loss *L, imb_nn_loss_kind kind, int K)
{
	memset(L, 0, sizeof *L);
	L->kind = kind;
	L->cfg.K = K;
	L->cfg.scale = 1;
}

/* copy host arrays (each K floats or NULL) into one backend buffer */
static void upload(imb_nn_loss *L, const float *weight, const float *adjust,
                   const float *margin)
{
	const imb_nn_backend *be = imb_nn_be();
	size_t K = (size_t)L->cfg.K, used = 0;
	L->buf = be->alloc(3 * K * sizeof(float));
	if (weight) {
		be->upload(L->buf + used, weight, K * sizeof(float));
		L->cfg.weight = L->buf + used;
		used += K;
	}
	if (adjust) {
		be->upload(L->buf + used, adjust, K * sizeof(float));
		L->cfg.adjust = L->buf + used;
		used += K;
	}
	if (margin) {
		be->upload(L->buf + used, margin, K * sizeof(float));
		L->cfg.margin = L->buf + used;
	}
}

static int check_weight(const float *w, int K)
{
	double s = 0;
	for (int j = 0; j < K; j++) {
		if (!(w[j] >= 0) || isinf(w[j]))
			return imb_seterr("class weight %d is %g (need a finite value >= 0)", j,
			                  (double)w[j]);
		s += w[j];
	}
	if (s <= 0)
		return imb_seterr("class weights are all zero");
	return 0;
}

static int check_counts(const int64_t *counts, int K)
{
	for (int j = 0; j < K; j++)
		if (counts[j] <= 0)
			return imb_seterr("class %d has no training samples (count %lld)", j,
			                  (long long)counts[j]);
	return 0;
}

void imb_nn_loss_ce(imb_nn_loss *L, int K)
{
	init(L, IMB_NN_LOSS_CE, K);
}

int imb_nn_loss_weighted_ce(imb_nn_loss *L, int K, const float *weight)
{
	init(L, IMB_NN_LOSS_WEIGHTED_CE, K);
	if (check_weight(weight, K))
		return -1;
	upload(L, weight, NULL, NULL);
	return 0;
}

int imb_nn_loss_focal(imb_nn_loss *L, int K, float gamma, const float *weight)
{
	init(L, IMB_NN_LOSS_FOCAL, K);
	if (!(gamma >= 0) || isinf(gamma))
		return imb_seterr("focal gamma %g: need a finite value >= 0", (double)gamma);
	if (weight && check_weight(weight, K))
		return -1;
	L->cfg.gamma = gamma;
	if (weight)
		upload(L, weight, NULL, NULL);
	return 0;
}

int imb_nn_loss_logit_adjusted(imb_nn_loss *L, int K, const int64_t *counts, float tau)
{
	init(L, IMB_NN_LOSS_LOGIT_ADJUSTED, K);
	if (check_counts(counts, K))
		return -1;
	double total = 0;
	for (int j = 0; j < K; j++)
		total += (double)counts[j];
	float *adj = imb_xmalloc((size_t)K * sizeof(float));
	for (int j = 0; j < K; j++)
		adj[j] = (float)(tau * log((double)counts[j] / total));
	upload(L, NULL, adj, NULL);
	free(adj);
	return 0;
}

int imb_nn_loss_ldam(imb_nn_loss *L, int K, const int64_t *counts, float max_m, float s,
                     const float *weight)
{
	init(L, IMB_NN_LOSS_LDAM, K);
	if (check_counts(counts, K) || (weight && check_weight(weight, K)))
		return -1;
	if (!(max_m > 0) || !(s > 0))
		return imb_seterr("ldam: max margin %g and scale %g must be > 0",
		                  (double)max_m, (double)s);
	/* m_j = 1 / n_j^(1/4), rescaled so that max_j m_j = max_m (Cao et al.'s
	 * reference code) */
	float *m = imb_xmalloc((size_t)K * sizeof(float));
	double mx = 0;
	for (int j = 0; j < K; j++) {
		double v = 1 / sqrt(sqrt((double)counts[j]));
		if (v > mx)
			mx = v;
	}
	for (int j = 0; j < K; j++)
		m[j] = (float)(max_m / mx / sqrt(sqrt((double)counts[j])));
	L->cfg.scale = s;
	upload(L, weight, NULL, m);
	free(m);
	return 0;
}

void imb_nn_loss_free(imb_nn_loss *L)
{
	if (!L)
		return;
	if (L->buf)
		imb_nn_be()->free(L->buf);
	L->buf = NULL;
	L->cfg.weight = L->cfg.adjust = L->cfg.margin = NULL;
}

void imb_nn_loss_forward_to(const imb_nn_loss *L, float *dlogits, float *losses, float *loss,
                            const float *logits, const int32_t *y, int N)
{
	imb_nn_be()->xent(dlogits, losses, loss, logits, y, N, &L->cfg);
}

float imb_nn_loss_forward(const imb_nn_loss *L, float *dlogits, float *losses,
                          const float *logits, const int32_t *y, int N)
{
	const imb_nn_backend *be = imb_nn_be();
	float *d = be->alloc(sizeof(float)), loss;
	be->xent(dlogits, losses, d, logits, y, N, &L->cfg);
	be->download(&loss, d, sizeof loss);
	be->free(d);
	return loss;
}

int imb_nn_loss_kind_parse(const char *name)
{
	for (size_t k = 0; k < IMB_LEN(kind_names); k++)
		if (!strcmp(name, kind_names[k]))
			return (int)k;
	return -1;
}

const char *imb_nn_loss_kind_name(imb_nn_loss_kind k)
{
	return (unsigned)k < IMB_LEN(kind_names) ? kind_names[k] : "?";
}

void imb_nn_class_weights_inverse(float *weight, const int64_t *counts, int K)
{
	double total = 0;
	for (int j = 0; j < K; j++)
		total += (double)counts[j];
	for (int j = 0; j < K; j++)
		weight[j] = counts[j] > 0 ? (float)(total / K / (double)counts[j]) : 0;
}
