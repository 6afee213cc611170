/* test_nn_knn.c: the k-NN monitor against a reference written here from
 * the definition, in double (cosine similarities of the L2-normalised
 * features, a full sort of the bank by similarity then index, weights
 * exp(sim / T), the first largest class score): the same predictions and
 * accuracies for linear (features computed here from the raw frame),
 * mlp:16 on vectors and resnet8 on small u8 images, several k and T, k
 * past the bank's size, a query class the bank lacks; ties among the
 * neighbours and among the class scores; T changing the vote; two tight
 * clusters classified perfectly (linear, mlp:16, resnet8); the hook in a short loop writes its
 * fields into every epoch's entry (the last equal to a direct call), and
 * refuses a monitor frame of other classes, shape or without labels. */
#include "check.h"
#include "dataset.h"
#include "nn_backend.h"
#include "nn_knn.h"
#include "nn_train.h"
#include "util.h"

#include <math.h>
#include <string.h>

static const char *const NAMES[] = {"a", "b", "c", "d"};

/* a dataset frame: x (N,D) floats or (N,C,H,W) u8 (C > 0), y, classes
 * names[0..K) */
static imb_frame *frame(const char *name, int N, int D, int C, int H, int W, const int32_t *y,
                        const float *xf, const uint8_t *xu, const char *const *names, int K)
{
	imb_frame *f = imb_frame_new("dataset", name);
	if (xu) {
		uint64_t s[4] = {(uint64_t)N, (uint64_t)C, (uint64_t)H, (uint64_t)W};
		memcpy(imb_frame_add_tensor(f, "x", IMB_U8, 4, s)->data, xu, (size_t)N * C * H * W);
	} else {
		uint64_t s[2] = {(uint64_t)N, (uint64_t)D};
		memcpy(imb_frame_add_tensor(f, "x", IMB_F32, 2, s)->data, xf,
		       (size_t)N * D * sizeof(float));
	}
	if (y) {
		uint64_t sy[1] = {(uint64_t)N};
		memcpy(imb_frame_add_tensor(f, "y", IMB_I32, 1, sy)->data, y, (size_t)N * sizeof *y);
		imb_val *cl = imb_val_arr();
		for (int k = 0; k < K; k++)
			imb_val_push(cl, imb_val_str(names[k]));
		imb_val_set(f->attrs, "classes", cl);
		imb_dataset_update_counts(f);
	}
	return f;
}

/* N vectors of D, K classes: class c centred at +-sep on axis c % D */
static imb_frame *vectors(const char *name, int N, int D, int K, double sep, double noise,
                          uint64_t seed)
{
	imb_rng r;
	imb_rng_seed(&r, seed);
	float *x = imb_xmalloc((size_t)N * D * sizeof *x);
	int32_t *y = imb_xmalloc((size_t)N * sizeof *y);
	for (int i = 0; i < N; i++) {
		y[i] = (int32_t)imb_rng_below(&r, (uint64_t)K);
		for (int j = 0; j < D; j++)
			x[i * D + j] = (float)(noise * imb_rng_normal(&r) +
			                       (j == y[i] % D ? (y[i] / D % 2 ? -sep : sep) : 0));
	}
	imb_frame *f = frame(name, N, D, 0, 0, 0, y, x, NULL, NAMES, K);
	free(x);
	free(y);
	return f;
}

/* N images (3,8,8) u8, K classes: class c brighter in channel c % 3;
 * tight: each class one fixed random image (seed 99) give or take 2 */
static imb_frame *images(const char *name, int N, int K, const char *const *names, int tight,
                         uint64_t seed)
{
	imb_rng r, rc;
	imb_rng_seed(&r, seed);
	int D = 3 * 8 * 8;
	uint8_t *x = imb_xmalloc((size_t)N * D), *base = imb_xmalloc((size_t)K * D);
	imb_rng_seed(&rc, 99);
	for (int j = 0; j < K * D; j++)
		base[j] = (uint8_t)(2 + imb_rng_below(&rc, 252));
	int32_t *y = imb_xmalloc((size_t)N * sizeof *y);
	for (int i = 0; i < N; i++) {
		y[i] = (int32_t)imb_rng_below(&r, (uint64_t)K);
		for (int j = 0; j < D; j++) {
			uint64_t v = tight ? base[y[i] * D + j] + imb_rng_below(&r, 5) - 2
			                   : imb_rng_below(&r, 160) + (j / 64 == y[i] % 3 ? 90 : 0);
			x[i * D + j] = (uint8_t)v;
		}
	}
	free(base);
	imb_frame *f = frame(name, N, 0, 3, 8, 8, y, NULL, x, names, K);
	free(x);
	free(y);
	return f;
}

/* ---- the reference ---- */

static const double *g_sim;
static int by_sim(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	if (g_sim[i] != g_sim[j])
		return g_sim[i] > g_sim[j] ? -1 : 1;
	return i < j ? -1 : 1;
}

static void unit_rows(double *f, size_t n, size_t F)
{
	for (size_t i = 0; i < n; i++) {
		double s = 0;
		for (size_t j = 0; j < F; j++)
			s += f[i * F + j] * f[i * F + j];
		for (size_t j = 0; j < F; j++)
			f[i * F + j] = s > 0 ? f[i * F + j] / sqrt(s) : 0;
	}
}

/* how close to a tie a reference decision may come for float32
 * similarities to be held to it: below this a row may go either way */
#define NEAR 1e-5

/* fb (nb,F), fq (nq,F) raw features; cq the bank class of each query
 * sample, or -1. Also the smallest relative gap between the two largest
 * class scores and between the k-th and the next similarity (how close
 * the comparison came to a tie), and near (nq): 1 where a row's gap is
 * below NEAR. */
static void reference(double *fb, size_t nb, const int32_t *yb, int K, double *fq, size_t nq,
                      const int32_t *cq, size_t F, int k, double T, int32_t *pred, double *acc,
                      double *pca, double *pcn, double *gap_score, double *gap_sim, char *near)
{
	unit_rows(fb, nb, F);
	unit_rows(fq, nq, F);
	double *sim = imb_xmalloc(nb * sizeof *sim), *score = imb_xmalloc((size_t)K * sizeof *score);
	double *ok = imb_xcalloc((size_t)K, sizeof *ok);
	size_t *ord = imb_xmalloc(nb * sizeof *ord), kk = (size_t)k < nb ? (size_t)k : nb;
	double correct = 0;
	*gap_score = *gap_sim = INFINITY;
	memset(pcn, 0, (size_t)K * sizeof *pcn);
	for (size_t i = 0; i < nq; i++) {
		for (size_t j = 0; j < nb; j++) {
			double s = 0;
			for (size_t t = 0; t < F; t++)
				s += fq[i * F + t] * fb[j * F + t];
			sim[j] = s;
			ord[j] = j;
		}
		g_sim = sim;
		qsort(ord, nb, sizeof *ord, by_sim);
		memset(score, 0, (size_t)K * sizeof *score);
		for (size_t r = 0; r < kk; r++)
			score[yb[ord[r]]] += exp(sim[ord[r]] / T);
		double gk = kk < nb ? sim[ord[kk - 1]] - sim[ord[kk]] : INFINITY, gs = INFINITY;
		int best = 0;
		for (int c = 1; c < K; c++)
			if (score[c] > score[best])
				best = c;
		for (int c = 0; c < K; c++)
			if (c != best && score[c] > 0 && (score[best] - score[c]) / score[best] < gs)
				gs = (score[best] - score[c]) / score[best];
		*gap_sim = gk < *gap_sim ? gk : *gap_sim;
		*gap_score = gs < *gap_score ? gs : *gap_score;
		near[i] = gk < NEAR || gs < NEAR;
		pred[i] = best;
		if (cq[i] >= 0) {
			pcn[cq[i]]++;
			ok[cq[i]] += best == cq[i];
			correct += best == cq[i];
		}
	}
	*acc = correct / (double)nq;
	for (int c = 0; c < K; c++)
		pca[c] = pcn[c] > 0 ? ok[c] / pcn[c] : NAN;
	free(sim);
	free(score);
	free(ok);
	free(ord);
}

/* the model's features of every sample of d (N,F), as doubles: one
 * forward of the whole set (the monitor's are in chunks) */
static double *model_features(imb_nn_model *m, const imb_nn_data *d, const float *mean,
                              const float *std, size_t *F)
{
	const imb_nn_backend *be = imb_nn_be();
	imb_nn_batch b;
	imb_nn_batch_init(&b, d, d->N);
	imb_nn_aug_op op = imb_nn_aug_normalize(mean, std, imb_nn_data_scale(d));
	imb_nn_data_range(d, &b, 0, d->N, &op, 1, NULL);
	*F = imb_nn_model_point_dim(m, IMB_NN_AT_FEATURES);
	const float *f = imb_nn_model_forward_to(m, b.x, (int)d->N, IMB_NN_EVAL, IMB_NN_AT_FEATURES);
	float *h = imb_xmalloc(d->N * *F * sizeof *h);
	be->download(h, f, d->N * *F * sizeof *h);
	double *out = imb_xmalloc(d->N * *F * sizeof *out);
	for (size_t i = 0; i < d->N * *F; i++)
		out[i] = h[i];
	free(h);
	imb_nn_batch_free(&b);
	return out;
}

/* the linear model's features computed here from the raw frame:
 * (x * scale - mean) / std per channel */
static double *raw_features(const imb_nn_data *d, const float *mean, const float *std)
{
	float *x = imb_dataset_features(d->f);
	double *out = imb_xmalloc(d->N * d->D * sizeof *out);
	size_t HW = (size_t)d->H * d->W;
	for (size_t i = 0; i < d->N * d->D; i++) {
		size_t c = i % d->D / HW;
		out[i] = ((double)x[i] - (mean ? mean[c] : 0)) / (std ? std[c] : 1);
	}
	free(x);
	return out;
}

static imb_nn_model *model(const char *arch, const imb_nn_data *d, uint64_t seed)
{
	imb_nn_model *m = imb_nn_model_new(arch, d->C, d->H, d->W, d->K);
	imb_rng r;
	imb_rng_seed(&r, seed);
	imb_nn_model_init(m, &r);
	return m;
}

/* The monitor on (bank, query) against the reference: the same
 * predictions, accuracy, per class (a row whose reference decision is a
 * tie to within NEAR may differ, and is counted). Returns the accuracy. */
static double compare(const char *what, imb_nn_model *m, const imb_nn_data *bank,
                      const imb_nn_data *query, const int32_t *qmap, int k, double T,
                      const float *mean, const float *std, int raw)
{
	int K = bank->K;
	size_t nq = query->N, F;
	int32_t *pred = imb_xmalloc(nq * sizeof *pred), *rp = imb_xmalloc(nq * sizeof *rp);
	int32_t *cq = imb_xmalloc(nq * sizeof *cq);
	char *near = imb_xmalloc(nq);
	double acc = -1, ra, pca[8], pcn[8], rpca[8], rpcn[8], gs, gk;
	CHECK(imb_nn_knn_accuracy(m, mean, std, bank, query, qmap, k, T, &acc, pca, pcn, pred) == 0);
	double *fb, *fq;
	if (raw) {
		fb = raw_features(bank, mean, std);
		fq = raw_features(query, mean, std);
		F = bank->D;
	} else {
		fb = model_features(m, bank, mean, std, &F);
		fq = model_features(m, query, mean, std, &F);
	}
	for (size_t i = 0; i < nq; i++) {
		int32_t y = query->y[i], c = qmap ? qmap[y] : y;
		cq[i] = c < K ? c : -1;
	}
	reference(fb, bank->N, bank->y, K, fq, nq, cq, F, k > 0 ? k : IMB_NN_KNN_K,
	          T > 0 ? T : IMB_NN_KNN_T, rp, &ra, rpca, rpcn, &gs, &gk, near);
	size_t diff = 0, far = 0, nnear = 0;
	for (size_t i = 0; i < nq; i++) {
		diff += pred[i] != rp[i];
		far += pred[i] != rp[i] && !near[i];
		nnear += near[i];
	}
	fprintf(stderr, "  %-36s k %4d T %.2f: acc %.4f, reference %.4f, %zu of %zu predictions "
	        "differ (%zu rows near a tie); closest: class scores %.2g, k-th similarity %.2g\n",
	        what, k, T, acc, ra, diff, nq, nnear, gs, gk);
	CHECK_EQ_INT(far, 0);
	CHECK(fabs(acc - ra) <= (double)diff / (double)nq);
	for (int c = 0; c < K && diff == 0; c++) {
		CHECK(pcn[c] == rpcn[c]);
		CHECK((isnan(pca[c]) && isnan(rpca[c])) || pca[c] == rpca[c]);
	}
	/* the outputs are optional */
	double acc2 = -1;
	CHECK(imb_nn_knn_accuracy(m, mean, std, bank, query, qmap, k, T, &acc2, NULL, NULL, NULL) ==
	      0);
	CHECK(acc2 == acc);
	free(fb);
	free(fq);
	free(pred);
	free(rp);
	free(cq);
	free(near);
	return acc;
}

/* predictions of the linear model on exact 2-vectors, no normalisation */
static void exact(const float *xb, const int32_t *yb, int nb, const float *xq, int nq, int k,
                  double T, int32_t *pred)
{
	int32_t yq[16] = {0};
	imb_frame *fb = frame("bank", nb, 2, 0, 0, 0, yb, xb, NULL, NAMES, 2);
	imb_frame *fq = frame("query", nq, 2, 0, 0, 0, yq, xq, NULL, NAMES, 2);
	imb_nn_data b, q;
	CHECK(imb_nn_data_init(&b, fb, 1) == 0);
	CHECK(imb_nn_data_init(&q, fq, 0) == 0);
	imb_nn_model *m = model("linear", &b, 1);
	CHECK(imb_nn_knn_accuracy(m, NULL, NULL, &b, &q, NULL, k, T, NULL, NULL, NULL, pred) == 0);
	imb_nn_model_free(m);
	imb_nn_data_free(&b);
	imb_nn_data_free(&q);
	imb_frame_free(fb);
	imb_frame_free(fq);
}

static void exact_cases(void)
{
	int32_t p[2];
	/* ties among neighbours: of equal similarities the lower bank index */
	const float xa[8] = {1, 0, 1, 0, 0, 1, 0, 1};
	const int32_t ya[4] = {1, 0, 0, 1}, yb[4] = {0, 1, 0, 1};
	const float q2[4] = {1, 0, 1, 0};   /* the query (1,0), twice (2 samples at least) */
	exact(xa, ya, 4, q2, 2, 1, 0.1, p);
	CHECK_EQ_INT(p[0], 1);
	CHECK_EQ_INT(p[1], 1);
	exact(xa, yb, 4, q2, 2, 1, 0.1, p);
	CHECK_EQ_INT(p[0], 0);
	/* ties among class scores: the first largest */
	exact(xa, ya, 4, q2, 2, 2, 0.1, p);
	CHECK_EQ_INT(p[0], 0);
	/* a tie at the k-th place: (1,0) (0,1) (0,1) (1,0), k = 3 takes index 1 */
	const float xc[8] = {1, 0, 0, 1, 0, 1, 1, 0};
	const int32_t yc[4] = {1, 1, 0, 0}, yd[4] = {1, 0, 1, 0};
	exact(xc, yc, 4, q2, 2, 3, 0.1, p);
	CHECK_EQ_INT(p[0], 1);
	exact(xc, yd, 4, q2, 2, 3, 0.1, p);
	CHECK_EQ_INT(p[0], 0);
	/* T changes the vote: one neighbour at similarity 1 (class 0) against
	 * three at 0.8 (class 1), k = 4: exp(1/T) against 3 exp(0.8/T) */
	const float xt[14] = {1, 0, 0.8f, 0.6f, 0.8f, 0.6f, 0.8f, 0.6f, -1, 0, -1, 0, -1, 0};
	const int32_t yt[7] = {0, 1, 1, 1, 0, 0, 0};
	const double Ts[5] = {0.1, 0.15, 0.25, 1, 0};
	const int want[5] = {0, 0, 1, 1, 0};   /* T 0: the default 0.1 */
	for (int i = 0; i < 5; i++) {
		exact(xt, yt, 7, q2, 2, 4, Ts[i], p);
		CHECK_EQ_INT(p[0], want[i]);
	}
	/* k 1 and 200 (all 7): the nearest alone; every sample, the class-0
	 * side far away (exp(-1/T)) */
	exact(xt, yt, 7, q2, 2, 1, 1, p);
	CHECK_EQ_INT(p[0], 0);
	exact(xt, yt, 7, q2, 2, 200, 1, p);
	CHECK_EQ_INT(p[0], 1);
	fprintf(stderr, "  exact vectors: ties by bank index and by first class, T 0.1/0.15 -> 0, "
	        "0.25/1 -> 1\n");
}

/* ---- the hook in a loop ---- */

static imb_frame *blobs(const char *name, int N, int K, uint64_t seed)
{
	imb_rng r;
	imb_rng_seed(&r, seed);
	float *x = imb_xmalloc((size_t)N * 2 * sizeof *x);
	int32_t *y = imb_xmalloc((size_t)N * sizeof *y);
	for (int i = 0; i < N; i++) {
		y[i] = i % 4 == 0 ? 1 : K > 2 && i % 4 == 1 ? 2 : 0;
		for (int j = 0; j < 2; j++)
			x[i * 2 + j] = (float)(1.5 * imb_rng_normal(&r) + (j == y[i] % 2 ? 1.5 : 0));
	}
	static const char *const ab[] = {"a", "b", "c"};
	imb_frame *f = frame(name, N, 2, 0, 0, 0, y, x, NULL, ab, K);
	free(x);
	free(y);
	return f;
}

static void hook_cases(void)
{
	imb_frame *train = blobs("train", 300, 2, 1), *mon = blobs("mon", 200, 2, 2);
	imb_nn_train_opts o;
	imb_nn_train_opts_init(&o);
	o.arch = "mlp:8";
	o.epochs = 2;
	o.batch = 32;
	o.lr = 0.05;
	o.seed = 3;
	o.threads = 2;
	o.quiet = 1;
	imb_nn_loop L;
	CHECK(imb_nn_loop_init(&L, train, NULL, &o) == 0);
	imb_nn_hook h;
	CHECK(imb_nn_hook_knn(&h, mon, &L.data, 20, 0.1, NULL) == 0);
	CHECK(imb_nn_loop_add_hook(&L, &h) == 0);
	CHECK(imb_nn_loop_run(&L) == 0);
	/* the last epoch's figures: the model as it is now */
	imb_nn_data q;
	CHECK(imb_nn_data_init(&q, mon, 1) == 0);
	double acc, pca[2], pcn[2];
	CHECK(imb_nn_knn_accuracy(L.m, L.mean, L.std, &L.data, &q, NULL, 20, 0.1, &acc, pca, pcn,
	                          NULL) == 0);
	imb_nn_data_free(&q);
	/* the line */
	imb_val *ev = imb_val_map();
	char line[256] = "epoch 2/2";
	CHECK(L.hooks[0].on_epoch(&L.hooks[0], &L, ev, line, sizeof line) == 0);
	double la, l0, l1;
	CHECK(sscanf(line, "epoch 2/2 knn %lf per-class %lf,%lf", &la, &l0, &l1) == 3);
	CHECK(fabs(la - acc) <= 5e-5 && fabs(l0 - pca[0]) <= 5e-4 && fabs(l1 - pca[1]) <= 5e-4);
	CHECK(imb_val_as_double(imb_val_get(ev, "knn_acc"), NAN) == acc);
	imb_val_free(ev);
	fprintf(stderr, "  hook: \"%s\"\n", line);
	imb_frame *mf, *log;
	char summary[256];
	imb_nn_loop_finish(&L, &mf, &log, summary, sizeof summary);
	imb_nn_loop_free(&L);
	const imb_val *ep = imb_val_get(log->attrs, "epochs");
	CHECK(ep && ep->n == 2);
	for (size_t e = 0; ep && e < ep->n; e++) {
		const imb_val *v = ep->items[e];
		double a = imb_val_as_double(imb_val_get(v, "knn_acc"), NAN);
		CHECK(a >= 0 && a <= 1);
		const imb_val *pa = imb_val_get(v, "knn_per_class_acc");
		const imb_val *pn = imb_val_get(v, "knn_per_class_n");
		CHECK(pa && pa->n == 2 && pn && pn->n == 2);
		if (pn && pn->n == 2)
			CHECK(imb_val_as_double(pn->items[0], 0) == 150 &&
			      imb_val_as_double(pn->items[1], 0) == 50);
		if (e + 1 == ep->n && pa && pa->n == 2) {
			CHECK(a == acc);
			CHECK(imb_val_as_double(pa->items[0], NAN) == pca[0]);
			CHECK(imb_val_as_double(pa->items[1], NAN) == pca[1]);
		}
		fprintf(stderr, "  hook: epoch %zu knn_acc %.4f\n", e + 1, a);
	}
	imb_frame_free(mf);
	imb_frame_free(log);

	/* refused: a class the train set lacks, another shape, no labels */
	CHECK(imb_nn_loop_init(&L, train, NULL, &o) == 0);
	imb_frame *m3 = blobs("mon3", 40, 3, 2);
	CHECK(imb_nn_hook_knn(&h, m3, &L.data, 0, 0, "the train set") == -1);
	CHECK_HAS(imb_error(), "k-NN monitor");
	CHECK_HAS(imb_error(), "the train set");
	fprintf(stderr, "  refused: %s\n", imb_error());
	imb_frame *v3 = vectors("mon3d", 20, 3, 2, 1, 1, 5);
	CHECK(imb_nn_hook_knn(&h, v3, &L.data, 0, 0, NULL) == -1);
	CHECK_HAS(imb_error(), "mon3d");
	fprintf(stderr, "  refused: %s\n", imb_error());
	float xn[8] = {0};
	imb_frame *nl = frame("nolabels", 4, 2, 0, 0, 0, NULL, xn, NULL, NAMES, 0);
	CHECK(imb_nn_hook_knn(&h, nl, &L.data, 0, 0, NULL) == -1);
	CHECK_HAS(imb_error(), "nolabels");
	fprintf(stderr, "  refused: %s\n", imb_error());
	imb_nn_loop_free(&L);
	imb_frame_free(m3);
	imb_frame_free(v3);
	imb_frame_free(nl);
	imb_frame_free(mon);
	imb_frame_free(train);
}

int main(void)
{
	imb_nn_set_threads(2);
	float mean[8], std[8];
	imb_nn_data b, q;

	/* linear: the features are the normalised input, computed here */
	imb_frame *fb = vectors("bank", 300, 6, 3, 1.0, 1.0, 11);
	imb_frame *fq = vectors("query", 600, 6, 3, 1.0, 1.0, 12);
	CHECK(imb_nn_data_init(&b, fb, 1) == 0);
	CHECK(imb_nn_data_init(&q, fq, 1) == 0);
	imb_nn_data_stats(&b, mean, std);
	imb_nn_model *m = model("linear", &b, 1);
	compare("linear, 300 x 6", m, &b, &q, NULL, 0, 0, mean, std, 1);
	compare("linear, 300 x 6", m, &b, &q, NULL, 7, 0.05, mean, std, 1);
	imb_nn_model_free(m);
	/* mlp:16: bank and query past one chunk of 256 */
	m = model("mlp:16", &b, 2);
	compare("mlp:16, 300 x 6", m, &b, &q, NULL, 10, 0.1, mean, std, 0);
	compare("mlp:16, 300 x 6", m, &b, &q, NULL, 50, 0.5, mean, std, 0);
	compare("mlp:16, 300 x 6", m, &b, &q, NULL, 0, 0, mean, std, 0);
	/* T changes the accuracy here */
	double a1 = compare("mlp:16, 300 x 6", m, &b, &q, NULL, 200, 0.02, mean, std, 0);
	double a2 = compare("mlp:16, 300 x 6", m, &b, &q, NULL, 200, 5, mean, std, 0);
	CHECK(a1 != a2);
	imb_nn_model_free(m);
	imb_nn_data_free(&b);
	imb_nn_data_free(&q);
	imb_frame_free(fb);
	imb_frame_free(fq);

	/* k past the bank: all 40 */
	fb = vectors("bank", 40, 6, 3, 1.0, 1.0, 13);
	fq = vectors("query", 30, 6, 3, 1.0, 1.0, 14);
	CHECK(imb_nn_data_init(&b, fb, 1) == 0);
	CHECK(imb_nn_data_init(&q, fq, 1) == 0);
	imb_nn_data_stats(&b, mean, std);
	m = model("mlp:16", &b, 3);
	int32_t p40[30], p1000[30];
	double acc40, acc1000;
	CHECK(imb_nn_knn_accuracy(m, mean, std, &b, &q, NULL, 40, 0.1, &acc40, NULL, NULL, p40) == 0);
	CHECK(imb_nn_knn_accuracy(m, mean, std, &b, &q, NULL, 1000, 0.1, &acc1000, NULL, NULL,
	                          p1000) == 0);
	CHECK(acc40 == acc1000 && memcmp(p40, p1000, sizeof p40) == 0);
	compare("mlp:16, k past the bank of 40", m, &b, &q, NULL, 1000, 0.1, mean, std, 0);
	imb_nn_model_free(m);
	imb_nn_data_free(&q);
	imb_frame_free(fq);
	/* a query class the bank lacks: query classes a, b, c; the bank's 3
	 * are a, b, c too, but map c to -1 (and, without a map, labels at or
	 * past K) */
	fq = vectors("query", 60, 6, 4, 1.0, 1.0, 15);
	CHECK(imb_nn_data_init(&q, fq, 1) == 0);
	m = model("mlp:16", &b, 4);
	const int32_t lack[4] = {0, 1, 2, -1};
	double acc = compare("mlp:16, class d not in the bank", m, &b, &q, lack, 10, 0.1, mean, std, 0);
	double accn = -1, pcn[3];
	CHECK(imb_nn_knn_accuracy(m, mean, std, &b, &q, NULL, 10, 0.1, &accn, NULL, pcn, NULL) == 0);
	CHECK(accn == acc);
	size_t nd = 0;
	for (size_t i = 0; i < q.N; i++)
		nd += q.y[i] == 3;
	CHECK(nd > 0);
	CHECK(pcn[0] + pcn[1] + pcn[2] == (double)(q.N - nd));
	CHECK(acc <= (double)(q.N - nd) / (double)q.N);
	/* no query sample of bank class a: its accuracy NaN, its count 0 */
	const int32_t lack2[4] = {-1, 1, 2, -1};
	compare("mlp:16, classes a, d not in the bank", m, &b, &q, lack2, 10, 0.1, mean, std, 0);
	double pca3[3];
	CHECK(imb_nn_knn_accuracy(m, mean, std, &b, &q, lack2, 10, 0.1, NULL, pca3, pcn, NULL) == 0);
	CHECK(isnan(pca3[0]) && pcn[0] == 0 && !isnan(pca3[1]) && !isnan(pca3[2]));
	imb_nn_model_free(m);
	imb_nn_data_free(&b);
	imb_nn_data_free(&q);
	imb_frame_free(fb);
	imb_frame_free(fq);

	/* resnet8 on u8 images; the query lists the classes in another order */
	static const char *const rev[] = {"c", "b", "a"};
	fb = images("bank", 120, 3, NAMES, 0, 21);
	fq = images("query", 50, 3, rev, 0, 22);
	CHECK(imb_nn_data_init(&b, fb, 1) == 0);
	CHECK(imb_nn_data_init(&q, fq, 1) == 0);
	imb_nn_data_stats(&b, mean, std);
	int32_t *map = NULL;
	CHECK(imb_dataset_class_map(fq, imb_val_get(fb->attrs, "classes"), 3, "bank", &map) == 0);
	CHECK(map && map[0] == 2 && map[1] == 1 && map[2] == 0);
	m = model("resnet8", &b, 5);
	compare("resnet8, 120 x 3x8x8", m, &b, &q, map, 20, 0.1, mean, std, 0);
	compare("resnet8, 120 x 3x8x8", m, &b, &q, map, 0, 0, mean, std, 0);
	free(map);
	imb_nn_model_free(m);
	imb_nn_data_free(&b);
	imb_nn_data_free(&q);
	imb_frame_free(fb);
	imb_frame_free(fq);

	/* two tight clusters: every query right, with linear, mlp:16, resnet8 */
	fb = vectors("bank", 100, 4, 2, 3.0, 0.01, 31);
	fq = vectors("query", 50, 4, 2, 3.0, 0.01, 32);
	CHECK(imb_nn_data_init(&b, fb, 1) == 0);
	CHECK(imb_nn_data_init(&q, fq, 1) == 0);
	imb_nn_data_stats(&b, mean, std);
	const char *archs[] = {"linear", "mlp:16"};   /* resnet8's below, on images */
	for (int i = 0; i < 2; i++) {
		m = model(archs[i], &b, 6);
		double pca[2];
		CHECK(imb_nn_knn_accuracy(m, mean, std, &b, &q, NULL, 20, 0.1, &acc, pca, NULL, NULL) == 0);
		fprintf(stderr, "  two clusters, %s: acc %.4f per class %.4f %.4f\n", archs[i], acc, pca[0],
		        pca[1]);
		CHECK(acc == 1 && pca[0] == 1 && pca[1] == 1);
		imb_nn_model_free(m);
	}
	imb_nn_data_free(&b);
	imb_nn_data_free(&q);
	imb_frame_free(fb);
	imb_frame_free(fq);
	fb = images("bank", 60, 2, NAMES, 1, 33);
	fq = images("query", 30, 2, NAMES, 1, 34);
	CHECK(imb_nn_data_init(&b, fb, 1) == 0);
	CHECK(imb_nn_data_init(&q, fq, 1) == 0);
	imb_nn_data_stats(&b, mean, std);
	m = model("resnet8", &b, 7);
	CHECK(imb_nn_knn_accuracy(m, mean, std, &b, &q, NULL, 20, 0.1, &acc, NULL, NULL, NULL) == 0);
	fprintf(stderr, "  two clusters, resnet8: acc %.4f\n", acc);
	CHECK(acc == 1);
	imb_nn_model_free(m);
	imb_nn_data_free(&b);
	imb_nn_data_free(&q);
	imb_frame_free(fb);
	imb_frame_free(fq);

	exact_cases();
	hook_cases();
	CHECK_DONE();
}
