/* cluster_centroids.c: k-means (greedy k-means++ seeding and Lloyd's
 * iterations, as scikit-learn's KMeans with one initialisation) and
 * imbalanced-learn's ClusterCentroids with soft voting on top of it
 * (see undersample.h). */
#include "undersample.h"
#include "cli.h"
#include "dataset.h"
#include "util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* distances are computed for blocks of about 1 Mi doubles */
#define KM_BLOCK ((size_t)1 << 20)

static double sqdist(const double *a, const double *b, size_t d)
{
	double s = 0;
	for (size_t t = 0; t < d; t++) {
		double e = a[t] - b[t];
		s += e * e;
	}
	return s;
}

/* label[i]: the centroid nearest to row i (ties to the lower index),
 * mind[i] its squared distance; xx[i] = |x_i|^2. Returns how many labels
 * changed. */
static size_t assign(int32_t *label, double *mind, const double *x, const double *xx, size_t n,
                     size_t d, const double *cent, int kc, double *cc, double *g)
{
	for (int j = 0; j < kc; j++) {
		double s = 0;
		for (size_t t = 0; t < d; t++)
			s += cent[j * d + t] * cent[j * d + t];
		cc[j] = s;
	}
	size_t blk = KM_BLOCK / kc;
	if (blk < 1)
		blk = 1;
	size_t changed = 0;
	for (size_t i0 = 0; i0 < n; i0 += blk) {
		size_t m = n - i0 < blk ? n - i0 : blk;
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, kc, (int)d, -2.0,
		            x + i0 * d, (int)d, cent, (int)d, 0.0, g, kc);
		for (size_t r = 0; r < m; r++) {
			const double *gr = g + r * kc;
			int best = 0;
			double bv = cc[0] + gr[0];
			for (int j = 1; j < kc; j++)
				if (cc[j] + gr[j] < bv) {
					bv = cc[j] + gr[j];
					best = j;
				}
			size_t i = i0 + r;
			double v = bv + xx[i];
			mind[i] = v > 0 ? v : 0;
			if (label[i] != best)
				changed++;
			label[i] = best;
		}
	}
	return changed;
}

/* scikit-learn's greedy k-means++: the first centre a random row, each
 * next one the best (lowest potential) of 2 + ln(kc) rows drawn with
 * probability proportional to their squared distance to the centres so
 * far */
static void kmeanspp(double *cent, const double *x, const double *xx, size_t n, size_t d, int kc,
                     imb_rng *r)
{
	int trials = 2 + (int)log((double)kc);
	double *best = imb_xmalloc(n * sizeof *best), *cand = imb_xmalloc(n * sizeof *cand);
	double *cum = imb_xmalloc(n * sizeof *cum), *keep = imb_xmalloc(n * sizeof *keep);
	double *cx = imb_xmalloc(trials * d * sizeof *cx), *g = imb_xmalloc(trials * n * sizeof *g);
	size_t *id = imb_xmalloc(trials * sizeof *id);
	size_t first = imb_rng_below(r, n);
	memcpy(cent, x + first * d, d * sizeof *cent);
	double pot = 0;
	for (size_t i = 0; i < n; i++)
		pot += best[i] = sqdist(x + i * d, cent, d);
	for (int c = 1; c < kc; c++) {
		double s = 0;
		for (size_t i = 0; i < n; i++)
			cum[i] = s += best[i];
		for (int t = 0; t < trials; t++) {
			double v = imb_rng_uniform(r) * pot;
			size_t lo = 0, hi = n; /* first i with cum[i] >= v */
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (cum[mid] < v)
					lo = mid + 1;
				else
					hi = mid;
			}
			id[t] = lo < n ? lo : n - 1;
			memcpy(cx + t * d, x + id[t] * d, d * sizeof *cx);
		}
		/* the candidates' squared distances to every row: one dgemm */
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, trials, (int)n, (int)d, -2.0, cx,
		            (int)d, x, (int)d, 0.0, g, (int)n);
		double bpot = INFINITY;
		size_t bid = 0;
		for (int t = 0; t < trials; t++) {
			const double *gt = g + (size_t)t * n;
			double ct = xx[id[t]], p = 0;
			for (size_t i = 0; i < n; i++) {
				double e = xx[i] + ct + gt[i];
				e = e > 0 ? e : 0;
				cand[i] = e < best[i] ? e : best[i];
				p += cand[i];
			}
			if (p < bpot) {
				bpot = p;
				bid = id[t];
				double *tmp = keep;
				keep = cand;
				cand = tmp;
			}
		}
		double *tmp = best;
		best = keep;
		keep = tmp;
		pot = bpot;
		memcpy(cent + (size_t)c * d, x + bid * d, d * sizeof *cent);
	}
	free(id);
	free(g);
	free(cx);
	free(best);
	free(cand);
	free(cum);
	free(keep);
}

double imb_kmeans(double *cent, int32_t *label, const double *x, size_t n, size_t d, int kc,
                  int max_iter, imb_rng *r)
{
	double *xx = imb_xmalloc(n * sizeof *xx), *mind = imb_xmalloc(n * sizeof *mind);
	double *cc = imb_xmalloc(kc * sizeof *cc);
	size_t blk = KM_BLOCK / kc;
	blk = blk < 1 ? 1 : blk > n ? n : blk;
	double *g = imb_xmalloc(blk * kc * sizeof *g);
	int64_t *cnt = imb_xmalloc(kc * sizeof *cnt);
	for (size_t i = 0; i < n; i++) {
		xx[i] = 0;
		for (size_t t = 0; t < d; t++)
			xx[i] += x[i * d + t] * x[i * d + t];
		label[i] = -1;
	}
	kmeanspp(cent, x, xx, n, d, kc, r);
	for (int it = 0; it < max_iter; it++) {
		size_t changed = assign(label, mind, x, xx, n, d, cent, kc, cc, g);
		if (it > 0 && changed == 0)
			break;  /* the centroids are the means of these labels */
		memset(cnt, 0, kc * sizeof *cnt);
		for (size_t i = 0; i < n; i++)
			cnt[label[i]]++;
		/* an empty cluster takes the row farthest from its centroid
		 * (of a cluster that keeps a row), as scikit-learn does */
		for (int j = 0; j < kc; j++) {
			if (cnt[j])
				continue;
			size_t far = n;
			for (size_t i = 0; i < n; i++)
				if (cnt[label[i]] > 1 && (far == n || mind[i] > mind[far]))
					far = i;
			if (far == n)
				break;
			cnt[label[far]]--;
			label[far] = j;
			cnt[j] = 1;
			mind[far] = 0;
		}
		memset(cent, 0, (size_t)kc * d * sizeof *cent);
		for (size_t i = 0; i < n; i++)
			for (size_t t = 0; t < d; t++)
				cent[(size_t)label[i] * d + t] += x[i * d + t];
		for (int j = 0; j < kc; j++)
			for (size_t t = 0; cnt[j] && t < d; t++)
				cent[(size_t)j * d + t] /= (double)cnt[j];
	}
	double inertia = 0;
	for (size_t i = 0; i < n; i++)
		inertia += sqdist(x + i * d, cent + (size_t)label[i] * d, d);
	free(cnt);
	free(g);
	free(cc);
	free(mind);
	free(xx);
	return inertia;
}

/* write v into element i of x in x's dtype (integers rounded, half away
 * from zero, and clamped) */
static void x_put(imb_tensor *x, size_t i, double v)
{
	switch (x->dtype) {
	case IMB_U8:
		((uint8_t *)x->data)[i] = (uint8_t)(v <= 0 ? 0 : v >= 255 ? 255 : floor(v + 0.5));
		break;
	case IMB_F32: ((float *)x->data)[i] = (float)v; break;
	case IMB_F64: ((double *)x->data)[i] = v; break;
	case IMB_I32:
		((int32_t *)x->data)[i] = (int32_t)(v <= INT32_MIN ? INT32_MIN
		                                    : v >= INT32_MAX ? INT32_MAX : llround(v));
		break;
	default:
		break;
	}
}

imb_frame *imb_cluster_centroids(const imb_frame *f, size_t *const *by, const int64_t *cnt,
                                 const int64_t *tgt, int nk, uint64_t seed)
{
	size_t n = imb_dataset_n(f), d = imb_dataset_dim(f);
	const imb_tensor *x = imb_frame_tensor(f, "x");
	size_t total = 0, pos = 0, ncut = 0;
	for (int c = 0; c < nk; c++) {
		total += tgt[c] < cnt[c] ? tgt[c] : cnt[c];
		ncut += tgt[c] < cnt[c];
	}
	size_t *idx = imb_xmalloc((total ? total : 1) * sizeof *idx);
	/* the classes kept whole, in source order */
	const int32_t *y = (const int32_t *)imb_frame_tensor(f, "y")->data;
	for (size_t i = 0; i < n; i++)
		if (tgt[y[i]] >= cnt[y[i]])
			idx[pos++] = i;
	size_t first_new = pos;
	double **cents = imb_xcalloc(nk > 0 ? nk : 1, sizeof *cents);
	imb_rng r;
	imb_rng_seed(&r, seed);
	size_t done = 0;
	for (int c = 0; c < nk; c++) {
		if (tgt[c] >= cnt[c])
			continue;
		imb_progress("k-means", done++, ncut);
		size_t nc = cnt[c];
		int kc = (int)tgt[c];
		double *xc = imb_xmalloc(nc * d * sizeof *xc);
		for (size_t i = 0; i < nc; i++)
			for (size_t t = 0; t < d; t++)
				xc[i * d + t] = imb_x_at(x, by[c][i] * d + t);
		cents[c] = imb_xmalloc((size_t)kc * d * sizeof **cents);
		int32_t *label = imb_xmalloc(nc * sizeof *label);
		imb_kmeans(cents[c], label, xc, nc, d, kc, 300, &r);
		/* a centroid's other tensors: its cluster's row nearest to it */
		size_t *near = imb_xmalloc(kc * sizeof *near);
		double *nd = imb_xmalloc(kc * sizeof *nd);
		for (int j = 0; j < kc; j++) {
			near[j] = by[c][0];
			nd[j] = INFINITY;
		}
		for (size_t i = 0; i < nc; i++) {
			double e = sqdist(xc + i * d, cents[c] + (size_t)label[i] * d, d);
			if (e < nd[label[i]]) {
				nd[label[i]] = e;
				near[label[i]] = by[c][i];
			}
		}
		for (int j = 0; j < kc; j++)
			idx[pos++] = near[j];
		free(nd);
		free(near);
		free(label);
		free(xc);
	}
	imb_progress_done();
	imb_frame *out = imb_dataset_take(f, idx, pos, f->name);
	imb_tensor *ox = imb_frame_tensor(out, "x");
	size_t at = first_new;
	for (int c = 0; c < nk; c++) {
		if (!cents[c])
			continue;
		for (int64_t j = 0; j < tgt[c]; j++, at++)
			for (size_t t = 0; t < d; t++)
				x_put(ox, at * d + t, cents[c][j * d + t]);
		free(cents[c]);
	}
	free(cents);
	free(idx);
	return out;
}
