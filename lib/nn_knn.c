/* nn_knn.c: the k-NN monitor (nn_knn.h). */
#include "nn_knn.h"
#include "dataset.h"
#include "nn_backend.h"
#include "nn_pool.h"
#include "nn_train.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK = 256 };                     /* samples per forward */
#define SIM_MAX ((size_t)1 << 24)         /* floats in one similarity chunk */
enum { ROWS_PER_TASK = 8 };               /* query rows per pool task */

/* The features of samples [at, at+n) of d into dst (n,F) backend: the
 * normalised batch forward to the backbone's output, each row scaled to
 * unit length by the backend (l2norm_rows: a zero vector stays zero;
 * nrm: n floats of backend scratch). */
static void features(imb_nn_model *m, const imb_nn_data *d, imb_nn_batch *b,
                     const imb_nn_aug_op *norm, size_t at, size_t n, size_t F, float *nrm,
                     float *dst)
{
	imb_nn_data_range(d, b, at, n, norm, 1, NULL);
	const float *f = imb_nn_model_forward_to(m, b->x, (int)n, IMB_NN_EVAL, IMB_NN_AT_FEATURES);
	imb_nn_be()->l2norm_rows(dst, nrm, f, (int)n, (int)F);
}

/* ---- neighbours and the vote, on the host ---- */

/* a similarity as it ranks: NaN (a diverged network) below everything */
static inline float key(float s)
{
	return s == s ? s : -INFINITY;
}

/* bank sample a ranks above b: the larger similarity, of equal ones the
 * lower index */
static inline int above(const float *s, size_t a, size_t b)
{
	float x = key(s[a]), y = key(s[b]);
	return x > y || (x == y && a < b);
}

/* h (n) is a heap with the lowest-ranked sample at the root: restore it
 * below i */
static void sift(size_t *h, size_t n, size_t i, const float *s)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < n && above(s, h[w], h[l]))
			w = l;
		if (r < n && above(s, h[w], h[r]))
			w = r;
		if (w == i)
			return;
		size_t t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

/* The prediction for one query from its similarities s (nb) to the bank
 * (labels yb): the kk highest-ranked samples by a heap of kk (h), put in
 * rank order, then the vote in that order (score: K scratch). */
static int32_t vote(const float *s, size_t nb, size_t kk, double T, const int32_t *yb, int K,
                    size_t *h, double *score)
{
	for (size_t j = 0; j < kk; j++)
		h[j] = j;
	for (size_t i = kk / 2; i-- > 0;)
		sift(h, kk, i, s);
	for (size_t j = kk; j < nb; j++)
		if (above(s, j, h[0])) {
			h[0] = j;
			sift(h, kk, 0, s);
		}
	for (size_t e = kk; e-- > 1;) {   /* heap sort: h[0] the highest ranked */
		size_t t = h[0];
		h[0] = h[e];
		h[e] = t;
		sift(h, e, 0, s);
	}
	memset(score, 0, (size_t)K * sizeof *score);
	double s1 = key(s[h[0]]), shift = isfinite(s1) ? s1 : 0;
	for (size_t i = 0; i < kk; i++)
		score[yb[h[i]]] += exp(((double)key(s[h[i]]) - shift) / T);
	int32_t best = 0;
	for (int c = 1; c < K; c++)   /* the first largest */
		if (score[c] > score[best])
			best = c;
	return best;
}

typedef struct {
	const float *sim;      /* (rows, nb) host */
	size_t rows, nb, kk;
	double T;
	const int32_t *yb;
	int K;
	int32_t *pred;         /* (rows) */
} vote_job;

static void vote_task(void *ctx, int t)
{
	const vote_job *j = ctx;
	size_t *h = imb_xmalloc(j->kk * sizeof *h);
	double *score = imb_xmalloc((size_t)j->K * sizeof *score);
	size_t r0 = (size_t)t * ROWS_PER_TASK, r1 = r0 + ROWS_PER_TASK < j->rows ? r0 + ROWS_PER_TASK
	                                                                       : j->rows;
	for (size_t r = r0; r < r1; r++)
		j->pred[r] = vote(j->sim + r * j->nb, j->nb, j->kk, j->T, j->yb, j->K, h, score);
	free(h);
	free(score);
}

/* ---- the accuracy ---- */

int imb_nn_knn_accuracy(imb_nn_model *m, const float *mean, const float *std,
                        const imb_nn_data *bank, const imb_nn_data *query, const int32_t *qmap,
                        int k, double T, double *acc, double *per_class_acc,
                        double *per_class_n, int32_t *pred)
{
	const imb_nn_backend *be = imb_nn_be();
	if (!bank->y || bank->K < 1)
		return imb_seterr("k-NN: %s has no labels; the bank's classes are what the neighbours "
		                  "vote for", bank->lb);
	if (!query->y)
		return imb_seterr("k-NN: %s has no labels", query->lb);
	if (query->C != bank->C || query->H != bank->H || query->W != bank->W)
		return imb_seterr("k-NN: %s holds samples of shape (%d,%d,%d); %s (%d,%d,%d)",
		                  query->lb, query->C, query->H, query->W, bank->lb, bank->C, bank->H,
		                  bank->W);
	if ((size_t)m->C * (size_t)m->H * (size_t)m->W != bank->D)
		return imb_seterr("k-NN: the model takes %d x %d x %d values per sample; %s has %zu",
		                  m->C, m->H, m->W, bank->lb, bank->D);
	int K = bank->K;
	size_t nb = bank->N, nq = query->N, F = imb_nn_model_point_dim(m, IMB_NN_AT_FEATURES);
	if (k <= 0)
		k = IMB_NN_KNN_K;
	if (!(T > 0) || !isfinite(T))
		T = IMB_NN_KNN_T;
	size_t kk = (size_t)k < nb ? (size_t)k : nb;
	size_t Q = SIM_MAX / nb;          /* query rows per similarity chunk */
	Q = Q < 1 ? 1 : Q > CHUNK ? CHUNK : Q;

	imb_nn_batch b;
	imb_nn_batch_init(&b, bank, CHUNK);
	imb_nn_aug_op nbank = imb_nn_aug_normalize(mean, std, imb_nn_data_scale(bank));
	imb_nn_aug_op nquery = imb_nn_aug_normalize(mean, std, imb_nn_data_scale(query));
	float *sh = imb_xmalloc(Q * nb * sizeof *sh);
	int32_t *p = imb_xmalloc(Q * sizeof *p);
	double *ok = imb_xcalloc((size_t)K, sizeof *ok), *cnt = imb_xcalloc((size_t)K, sizeof *cnt);
	float *bf = be->alloc(nb * F * sizeof *bf), *qf = be->alloc(Q * F * sizeof *qf);
	float *sd = be->alloc(Q * nb * sizeof *sd), *nrm = be->alloc(CHUNK * sizeof *nrm);

	/* the bank's features stay with the backend */
	for (size_t at = 0; at < nb; at += CHUNK) {
		size_t n = nb - at < CHUNK ? nb - at : CHUNK;
		features(m, bank, &b, &nbank, at, n, F, nrm, bf + at * F);
	}
	/* per chunk of queries: features, similarities to the whole bank,
	 * the vote per row on the pool */
	double correct = 0;
	for (size_t at = 0; at < nq; at += Q) {
		size_t n = nq - at < Q ? nq - at : Q;
		features(m, query, &b, &nquery, at, n, F, nrm, qf);
		be->gemm(0, 1, (int)n, (int)nb, (int)F, 1.0f, qf, (int)F, bf, (int)F, 0.0f, sd, (int)nb);
		be->download(sh, sd, n * nb * sizeof *sh);
		vote_job job = { sh, n, nb, kk, T, bank->y, K, p };
		imb_nn_parallel((int)((n + ROWS_PER_TASK - 1) / ROWS_PER_TASK), vote_task, &job);
		for (size_t i = 0; i < n; i++) {
			int32_t y = query->y[at + i];
			int32_t c = qmap ? (y >= 0 && y < query->K ? qmap[y] : -1) : y;
			if (c < 0 || c >= K)
				continue;   /* a class the bank lacks: wrong, in no class's count */
			cnt[c]++;
			ok[c] += p[i] == c;
			correct += p[i] == c;
		}
		if (pred)
			memcpy(pred + at, p, n * sizeof *p);
	}
	if (acc)
		*acc = correct / (double)nq;
	for (int c = 0; c < K; c++) {
		if (per_class_acc)
			per_class_acc[c] = cnt[c] > 0 ? ok[c] / cnt[c] : NAN;
		if (per_class_n)
			per_class_n[c] = cnt[c];
	}
	be->free(bf);
	be->free(qf);
	be->free(sd);
	be->free(nrm);
	imb_nn_batch_free(&b);
	free(sh);
	free(p);
	free(ok);
	free(cnt);
	return 0;
}

/* ---- the hook ---- */

typedef struct {
	char lb[128];
	imb_nn_data q;             /* the monitor frame */
	const imb_nn_data *bank;
	int32_t *map;              /* (q.K) monitor class -> bank class, or NULL */
	int k;
	double T;
	double *acc, *cnt;         /* (K) */
} knn_state;

static int knn_epoch(imb_nn_hook *h, imb_nn_loop *L, imb_val *entry, char *line, size_t size)
{
	knn_state *s = h->state;
	int K = s->bank->K;
	double acc;
	if (imb_nn_knn_accuracy(L->m, L->mean, L->std, s->bank, &s->q, s->map, s->k, s->T, &acc,
	                        s->acc, s->cnt, NULL) < 0)
		return imb_preferr("k-NN monitor: %s: ", s->lb);
	imb_val_set_float(entry, "knn_acc", acc);
	imb_val_set(entry, "knn_per_class_acc", imb_val_float_array(s->acc, (size_t)K));
	imb_val_set(entry, "knn_per_class_n", imb_val_float_array(s->cnt, (size_t)K));
	size_t p = strlen(line);
	if (p < size)
		p += (size_t)snprintf(line + p, size - p, " knn %.4f per-class", acc);
	for (int c = 0; c < K && p + 64 < size; c++)
		p += (size_t)snprintf(line + p, size - p, "%s%.3f", c ? "," : " ", s->acc[c]);
	return 0;
}

static void knn_free(imb_nn_hook *h)
{
	knn_state *s = h->state;
	if (!s)
		return;
	imb_nn_data_free(&s->q);
	free(s->map);
	free(s->acc);
	free(s->cnt);
	free(s);
}

int imb_nn_hook_knn(imb_nn_hook *h, const imb_frame *monitor, const imb_nn_data *bank, int k,
                    double T, const char *train_label)
{
	memset(h, 0, sizeof *h);
	char lb[128];
	imb_frame_label(monitor, lb, sizeof lb);
	const char *tl = train_label ? train_label : bank->lb;
	if (!bank->y || bank->K < 1)
		return imb_seterr("k-NN monitor: %s has no labels; the neighbours vote with the "
		                  "bank's classes", tl);
	if (!imb_frame_tensor(monitor, "y"))
		return imb_seterr("k-NN monitor: %s has no labels (tensor 'y')", lb);
	if (imb_dataset_check(monitor) < 0)
		return imb_preferr("k-NN monitor: ");
	uint64_t n = imb_dataset_n(monitor);
	if (n < 2)
		return imb_seterr("k-NN monitor: %s holds %llu sample%s; the monitor needs at least 2",
		                  lb, (unsigned long long)n, n == 1 ? "" : "s");
	knn_state *s = imb_xcalloc(1, sizeof *s);
	if (imb_nn_data_init(&s->q, monitor, 0) < 0) {
		imb_preferr("k-NN monitor: ");
		goto fail;
	}
	if (s->q.C != bank->C || s->q.H != bank->H || s->q.W != bank->W) {
		imb_seterr("k-NN monitor: %s holds samples of shape (%d,%d,%d); %s (%d,%d,%d)", lb,
		           s->q.C, s->q.H, s->q.W, tl, bank->C, bank->H, bank->W);
		goto fail;
	}
	/* classes by name: the monitor's label c is the bank's class map[c] */
	if (imb_dataset_class_map(monitor, imb_val_get(bank->f->attrs, "classes"), bank->K, tl,
	                          &s->map) < 0) {
		imb_preferr("k-NN monitor: ");
		goto fail;
	}
	snprintf(s->lb, sizeof s->lb, "%s", lb);
	s->bank = bank;
	s->k = k;
	s->T = T;
	s->acc = imb_xmalloc((size_t)bank->K * sizeof *s->acc);
	s->cnt = imb_xmalloc((size_t)bank->K * sizeof *s->cnt);
	h->name = "knn";
	h->on_epoch = knn_epoch;
	h->free = knn_free;
	h->state = s;
	return 0;
fail:
	imb_nn_data_free(&s->q);
	free(s->map);
	free(s);
	return -1;
}
