/* undersample.c: Tomek links, edited nearest neighbours, NearMiss 1-3 and
 * SMOTE followed by either cleaner (see undersample.h); cluster centroids
 * are in cluster_centroids.c. */
#include "undersample.h"
#include "cli.h"
#include "dataset.h"
#include "util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int imb_rs_is_under(imb_rs_method m)
{
	switch (m) {
	case IMB_RS_TOMEK:
	case IMB_RS_ENN:
	case IMB_RS_NEARMISS1:
	case IMB_RS_NEARMISS2:
	case IMB_RS_NEARMISS3:
	case IMB_RS_CLUSTER_CENTROIDS:
	case IMB_RS_SMOTE_TOMEK:
	case IMB_RS_SMOTE_ENN:
		return 1;
	default:
		return 0;
	}
}

int imb_rs_takes_ratio(imb_rs_method m)
{
	return m != IMB_RS_TOMEK && m != IMB_RS_ENN;
}

int imb_rs_default_k(imb_rs_method m)
{
	switch (m) {
	case IMB_RS_ENN:
	case IMB_RS_NEARMISS1:
	case IMB_RS_NEARMISS2:
	case IMB_RS_NEARMISS3:
		return 3;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ features */

double imb_x_at(const imb_tensor *x, size_t i)
{
	switch (x->dtype) {
	case IMB_U8: return ((const uint8_t *)x->data)[i];
	case IMB_F32: return ((const float *)x->data)[i];
	case IMB_F64: return ((const double *)x->data)[i];
	case IMB_I32: return ((const int32_t *)x->data)[i];
	default: return 0;
	}
}

/* -------------------------------------------------------- cross kNN */

#define CROSS_BLOCK_FLOATS ((size_t)1 << 20)

/* For each query row q (nq, d), the k rows of b (nb, d) nearest to it
 * (farthest when far), ascending (descending when far) by distance, ties
 * to the lower index: nn (nq, k) and the Euclidean distances dist
 * (nq, k), recomputed exactly in double for the rows found. The search
 * uses sgemm (|b|^2 - 2 q.b) over blocks of query rows. Needs k <= nb. */
static void knn_cross(int32_t *nn, double *dist, const float *q, size_t nq, const float *b,
                      size_t nb, size_t d, int k, int far)
{
	float *bb = imb_xmalloc((nb ? nb : 1) * sizeof *bb);
	for (size_t j = 0; j < nb; j++) {
		double s = 0;
		for (size_t t = 0; t < d; t++)
			s += (double)b[j * d + t] * b[j * d + t];
		bb[j] = (float)s;
	}
	size_t blk = CROSS_BLOCK_FLOATS / (nb ? nb : 1);
	if (blk < 16)
		blk = 16;
	if (blk > nq)
		blk = nq ? nq : 1;
	float *g = imb_xmalloc_aligned(blk * (nb ? nb : 1) * sizeof *g);
	float *bd = imb_xmalloc(k * sizeof *bd);
	int32_t *bi = imb_xmalloc(k * sizeof *bi);
	double sign = far ? -1 : 1;
	for (size_t q0 = 0; q0 < nq; q0 += blk) {
		size_t m = nq - q0 < blk ? nq - q0 : blk;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)nb, (int)d, -2.0f,
		            q + q0 * d, (int)d, b, (int)d, 0.0f, g, (int)nb);
		for (size_t r = 0; r < m; r++) {
			const float *gr = g + r * nb;
			int have = 0;
			float thr = INFINITY;
			for (size_t j = 0; j < nb; j++) {
				float v = (float)sign * (bb[j] + gr[j]);
				if (!(v < thr))
					continue;
				imb_topk_insert(bd, bi, &have, k, v, (int32_t)j);
				if (have == k)
					thr = bd[k - 1];
			}
			size_t qi = q0 + r;
			for (int t = 0; t < k; t++) {
				const float *a = q + qi * d, *c = b + (size_t)bi[t] * d;
				double s = 0;
				for (size_t u = 0; u < d; u++) {
					double e = (double)a[u] - c[u];
					s += e * e;
				}
				nn[qi * k + t] = bi[t];
				dist[qi * k + t] = sqrt(s);
			}
		}
	}
	free(bi);
	free(bd);
	free(g);
	free(bb);
}

/* ------------------------------------------------------------ cleaners */

/* Tomek links: drop[i] set for each row i of a class with clean[class]
 * that forms a link. Needs n >= 2. */
static void tomek_mark(unsigned char *drop, const float *x, const int32_t *y, size_t n,
                       size_t d, const unsigned char *clean)
{
	int32_t *nn = imb_xmalloc(n * sizeof *nn);
	imb_knn_all(nn, x, n, d, 1, imb_knn_threads());
	for (size_t i = 0; i < n; i++) {
		size_t j = (size_t)nn[i];
		if (clean[y[i]] && y[j] != y[i] && (size_t)nn[j] == i)
			drop[i] = 1;
	}
	free(nn);
}

/* ENN (kind_sel all): drop[i] set for each row i of a class with
 * clean[class] that has a neighbour of another class among its k
 * nearest. Needs k < n. */
static void enn_mark(unsigned char *drop, const float *x, const int32_t *y, size_t n, size_t d,
                     int k, const unsigned char *clean)
{
	size_t *rows = imb_xmalloc(n * sizeof *rows), nq = 0;
	for (size_t i = 0; i < n; i++)
		if (clean[y[i]])
			rows[nq++] = i;
	int32_t *nn;
	if (2 * nq >= n) {
		/* most rows: every pair once (half the work of one query per
		 * row), then the rows wanted */
		nn = imb_xmalloc(n * k * sizeof *nn);
		imb_knn_all(nn, x, n, d, k, imb_knn_threads());
		for (size_t q = 0; q < nq; q++)
			memmove(nn + q * k, nn + rows[q] * k, k * sizeof *nn);
	} else {
		nn = imb_xmalloc((nq ? nq : 1) * k * sizeof *nn);
		imb_knn_rows(nn, x, n, d, k, rows, nq);
	}
	for (size_t q = 0; q < nq; q++)
		for (int t = 0; t < k; t++)
			if (y[nn[q * k + t]] != y[rows[q]]) {
				drop[rows[q]] = 1;
				break;
			}
	free(nn);
	free(rows);
}

/* ----------------------------------------------------------- NearMiss */

typedef struct {
	double s;
	size_t i;
} scored;

static int by_score_up(const void *a, const void *b)
{
	const scored *p = a, *q = b;
	if (p->s != q->s)
		return p->s < q->s ? -1 : 1;
	return p->i < q->i ? -1 : p->i > q->i;
}

static int by_score_down(const void *a, const void *b)
{
	const scored *p = a, *q = b;
	if (p->s != q->s)
		return p->s > q->s ? -1 : 1;
	return p->i < q->i ? -1 : p->i > q->i;
}

/* sum[q] = the sum of the k distances from query q to its k nearest
 * (farthest) rows of b */
static double *nn_dist_sums(const float *q, size_t nq, const float *b, size_t nb, size_t d, int k,
                            int far)
{
	int32_t *nn = imb_xmalloc((nq ? nq : 1) * k * sizeof *nn);
	double *dist = imb_xmalloc((nq ? nq : 1) * k * sizeof *dist);
	double *sum = imb_xcalloc(nq ? nq : 1, sizeof *sum);
	knn_cross(nn, dist, q, nq, b, nb, d, k, far);
	for (size_t i = 0; i < nq; i++)
		for (int t = 0; t < k; t++)
			sum[i] += dist[i * k + t];
	free(dist);
	free(nn);
	return sum;
}

/* Keep (keep[row] = 1) tgt rows of class rows cr (nc) for NearMiss
 * version ver against the minority rows xm (nm, d). 0, or -1 with
 * imb_error() set. */
static int nearmiss_class(unsigned char *keep, const imb_tensor *x, const size_t *cr, size_t nc,
                          int64_t tgt, const float *xm, size_t nm, size_t d, int ver, int k,
                          const char *what)
{
	float *xc = imb_x_rows_float(x, cr, nc, d);
	scored *sc = imb_xmalloc((nc ? nc : 1) * sizeof *sc);
	size_t ns = 0;
	if (ver == 1 || ver == 2) {
		int kk = ver == 2 && (size_t)k > nm ? (int)nm : k;
		double *sum = nn_dist_sums(xc, nc, xm, nm, d, kk, ver == 2);
		for (size_t i = 0; i < nc; i++)
			sc[ns++] = (scored){sum[i], i};
		free(sum);
		qsort(sc, ns, sizeof *sc, by_score_up);
	} else {
		/* the 3 nearest rows of the class to each minority row */
		const int k3 = 3;
		int32_t *nn = imb_xmalloc((nm ? nm : 1) * k3 * sizeof *nn);
		double *dist = imb_xmalloc((nm ? nm : 1) * k3 * sizeof *dist);
		knn_cross(nn, dist, xm, nm, xc, nc, d, k3, 0);
		unsigned char *near = imb_xcalloc(nc, 1);
		for (size_t i = 0; i < nm * k3; i++)
			near[nn[i]] = 1;
		free(dist);
		free(nn);
		size_t *sel = imb_xmalloc(nc * sizeof *sel);
		for (size_t i = 0; i < nc; i++)
			if (near[i])
				sel[ns++] = i;
		float *xs = imb_xmalloc_aligned((ns ? ns : 1) * d * sizeof *xs);
		for (size_t i = 0; i < ns; i++)
			memcpy(xs + i * d, xc + sel[i] * d, d * sizeof *xs);
		double *sum = nn_dist_sums(xs, ns, xm, nm, d, k, 0);
		for (size_t i = 0; i < ns; i++)
			sc[i] = (scored){sum[i], sel[i]};
		free(sum);
		free(xs);
		free(sel);
		free(near);
		qsort(sc, ns, sizeof *sc, by_score_down);
		if ((int64_t)ns < tgt)
			imb_warn("%s: NearMiss-3 finds %zu samples near the minority, fewer than the "
			         "target %lld; all of them are kept", what, ns, (long long)tgt);
	}
	for (size_t i = 0; i < ns && (int64_t)i < tgt; i++)
		keep[cr[sc[i].i]] = 1;
	free(sc);
	free(xc);
	return 0;
}

/* --------------------------------------------------------- dispatcher */

static const char *class_label(const imb_frame *f, int c, char *buf, size_t len)
{
	const char *nm = imb_dataset_class_name(f, c);
	snprintf(buf, len, "class %d (%s)", c, nm ? nm : "?");
	return buf;
}

/* the minority: a class of the smallest count; of ties, the lowest
 * (first_seen 0, the class left alone, as imblearn's sampling strategy)
 * or the one whose first row comes first (first_seen 1, the class
 * NearMiss measures distances to, as imblearn's NearMiss) */
static int minority_class(const int32_t *y, size_t n, const int64_t *cnt, int nk, int first_seen)
{
	int64_t mn = -1;
	int lo = 0;
	for (int c = 0; c < nk; c++)
		if (cnt[c] > 0 && (mn < 0 || cnt[c] < mn)) {
			mn = cnt[c];
			lo = c;
		}
	for (size_t i = 0; first_seen && i < n; i++)
		if (cnt[y[i]] == mn)
			return y[i];
	return lo;
}

/* the rows of g without those marked in drop */
static imb_frame *take_unmarked(const imb_frame *g, const unsigned char *drop, int invert)
{
	size_t n = imb_dataset_n(g), pos = 0;
	size_t *idx = imb_xmalloc((n ? n : 1) * sizeof *idx);
	for (size_t i = 0; i < n; i++)
		if (!drop[i] != !!invert)
			idx[pos++] = i;
	imb_frame *out = imb_dataset_take(g, idx, pos, g->name);
	free(idx);
	return out;
}

imb_frame *imb_undersample(const imb_frame *f, imb_rs_method m, double ratio, int k,
                           uint64_t seed)
{
	char lbl[300], cl[300];
	imb_frame_label(f, lbl, sizeof lbl);
	if (imb_dataset_check(f) < 0)
		return NULL;
	if (!(ratio > 0 && ratio <= 1)) {
		imb_seterr("ratio %g is outside (0, 1]", ratio);
		return NULL;
	}
	const char *name = imb_rs_method_name(m);
	int nk = imb_dataset_nclasses(f);
	int64_t *cnt;
	size_t **by = imb_dataset_byclass(f, &cnt);
	int64_t *tgt = imb_xcalloc(nk > 0 ? nk : 1, sizeof *tgt);
	imb_resample_targets(tgt, cnt, nk, IMB_RS_UNDER, ratio);
	size_t n = imb_dataset_n(f), d = imb_dataset_dim(f);
	imb_frame *out = NULL, *g = NULL;
	unsigned char *mark = NULL, *clean = imb_xcalloc(nk > 0 ? nk : 1, 1);
	float *xf = NULL;

	for (int c = 0; c < nk; c++)
		if (cnt[c] == 0) {
			imb_seterr("%s: %s has no samples, so no class ratio can be reached "
			           "(keep only the classes present with imb-split --classes)",
			           lbl, class_label(f, c, cl, sizeof cl));
			goto done;
		}
	if (n == 0) {
		imb_seterr("%s: no samples to re-sample", lbl);
		goto done;
	}
	if (imb_rs_check_finite(f, lbl, name, "") < 0)
		goto done;
	const int32_t *y = (const int32_t *)imb_frame_tensor(f, "y")->data;
	int mc = minority_class(y, n, cnt, nk, 0);

	if (m == IMB_RS_CLUSTER_CENTROIDS) {
		out = imb_cluster_centroids(f, by, cnt, tgt, nk, seed);
		if (!out)
			goto done;
	} else if (m == IMB_RS_NEARMISS1 || m == IMB_RS_NEARMISS2 || m == IMB_RS_NEARMISS3) {
		int ver = m == IMB_RS_NEARMISS1 ? 1 : m == IMB_RS_NEARMISS2 ? 2 : 3;
		const imb_tensor *x = imb_frame_tensor(f, "x");
		int ref = minority_class(y, n, cnt, nk, 1);
		/* sklearn's neighbour searches need k rows to search */
		if (ver != 2 && cnt[ref] < k) {
			imb_seterr("%s: the minority %s has %lld samples; NearMiss-%d needs at least "
			           "k=%d (--k)", lbl, class_label(f, ref, cl, sizeof cl),
			           (long long)cnt[ref], ver, k);
			goto done;
		}
		for (int c = 0; ver == 3 && c < nk; c++)
			if (c != mc && cnt[c] < 3) {
				imb_seterr("%s: %s has %lld samples; NearMiss-3 needs at least 3", lbl,
				           class_label(f, c, cl, sizeof cl), (long long)cnt[c]);
				goto done;
			}
		float *xm = imb_x_rows_float(x, by[ref], cnt[ref], d);
		mark = imb_xcalloc(n, 1);
		for (int c = 0; c < nk; c++) {
			/* NearMiss-3 picks from every class but the minority,
			 * as imblearn does; 1 and 2 keep a class at its target */
			if (c == mc || (ver != 3 && tgt[c] >= cnt[c])) {
				for (int64_t i = 0; i < cnt[c]; i++)
					mark[by[c][i]] = 1;
				continue;
			}
			nearmiss_class(mark, x, by[c], cnt[c], tgt[c], xm, cnt[ref], d, ver, k,
			               class_label(f, c, cl, sizeof cl));
		}
		free(xm);
		out = take_unmarked(f, mark, 1);
	} else {
		/* the cleaners, alone (all classes but the minority) or after
		 * SMOTE (every class) */
		const imb_frame *src = f;
		if (m == IMB_RS_SMOTE_TOMEK || m == IMB_RS_SMOTE_ENN) {
			g = imb_resample(f, IMB_RS_SMOTE, ratio, k, seed);
			if (!g)
				goto done;
			src = g;
			memset(clean, 1, nk > 0 ? nk : 1);
		} else {
			memset(clean, 1, nk > 0 ? nk : 1);
			clean[mc] = 0;
		}
		size_t ns = imb_dataset_n(src);
		int kn = m == IMB_RS_ENN ? k : 3;
		int tomek = m == IMB_RS_TOMEK || m == IMB_RS_SMOTE_TOMEK;
		if (tomek ? ns < 2 : ns <= (size_t)kn) {
			imb_seterr("%s: %zu samples; %s needs at least %d", lbl, ns,
			           tomek ? "Tomek links" : m == IMB_RS_ENN ? "ENN with --k" : "ENN (k 3)",
			           tomek ? 2 : kn + 1);
			goto done;
		}
		xf = imb_x_rows_float(imb_frame_tensor(src, "x"), NULL, ns, d);
		const int32_t *ys = (const int32_t *)imb_frame_tensor(src, "y")->data;
		mark = imb_xcalloc(ns, 1);
		if (tomek)
			tomek_mark(mark, xf, ys, ns, d, clean);
		else
			enn_mark(mark, xf, ys, ns, d, kn, clean);
		out = take_unmarked(src, mark, 0);
	}

	imb_val *os = imb_val_map();
	imb_val_set_str(os, "method", name);
	if (imb_rs_takes_ratio(m))
		imb_val_set_float(os, "ratio", ratio);
	if (m != IMB_RS_TOMEK && m != IMB_RS_CLUSTER_CENTROIDS)
		imb_val_set_int(os, "k", k);
	if (m == IMB_RS_SMOTE_ENN)
		imb_val_set_int(os, "enn_k", 3);
	if (m == IMB_RS_CLUSTER_CENTROIDS || m == IMB_RS_SMOTE_TOMEK || m == IMB_RS_SMOTE_ENN)
		imb_val_set_int(os, "seed", (int64_t)seed);
	imb_val_set(os, "counts_before", imb_val_int_array(cnt, nk));
	imb_val_set(out->attrs, "oversample", os);
	imb_dataset_update_counts(out);
done:
	if (g)
		imb_frame_free(g);
	free(xf);
	free(mark);
	free(clean);
	imb_dataset_free_byclass(by, nk);
	free(cnt);
	free(tgt);
	return out;
}
