/* oversample_border.c: ADASYN and Borderline-SMOTE 1 and 2, as
 * imbalanced-learn 0.10 defines them (see oversample.h). */
#include "oversample_impl.h"
#include "cli.h"
#include "dataset.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* numpy's sum of a float64 vector (pairwise, eight accumulators), so
 * ADASYN's weights round as imblearn's do */
static double np_sum(const double *a, size_t n)
{
	if (n < 8) {
		double s = 0;
		for (size_t i = 0; i < n; i++)
			s += a[i];
		return s;
	}
	if (n <= 128) {
		double r[8];
		memcpy(r, a, sizeof r);
		size_t i;
		for (i = 8; i < n - n % 8; i += 8)
			for (int j = 0; j < 8; j++)
				r[j] += a[i + j];
		double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
		for (; i < n; i++)
			s += a[i];
		return s;
	}
	size_t n2 = n / 2;
	n2 -= n2 % 8;
	return np_sum(a, n2) + np_sum(a + n2, n - n2);
}

/* for each row rows[i] of class cls: how many of its k nearest rows of
 * the whole frame (itself excluded) are of another class; NULL with
 * imb_error() set when the frame has k rows or fewer */
static int *other_counts(imb_rs_ctx *c, int cls, int k, const char *what, const char *flag)
{
	if ((size_t)k >= c->n) {
		imb_seterr("%s: %s needs more than %s=%d rows; the frame has %zu", c->lbl, what, flag, k,
		           c->n);
		return NULL;
	}
	size_t nc = c->cnt[cls];
	float *xa = imb_rs_rows_float(c, NULL, c->n);
	int32_t *nn = imb_xmalloc(nc * k * sizeof *nn);
	imb_knn_rows(nn, xa, c->n, c->d, k, c->by[cls], nc);
	free(xa);
	const int32_t *y = imb_frame_tensor(c->f, "y")->data;
	int *other = imb_xcalloc(nc, sizeof *other);
	for (size_t i = 0; i < nc; i++)
		for (int j = 0; j < k; j++)
			other[i] += y[nn[i * k + j]] != cls;
	free(nn);
	return other;
}

static const char *cname(const imb_rs_ctx *c, int cls)
{
	const char *nm = imb_dataset_class_name(c->f, cls);
	return nm ? nm : "?";
}

static int adasyn_class(imb_rs_ctx *c, int cls, int64_t need, imb_rs_plan *p)
{
	int k = c->o->k;
	size_t nc = c->cnt[cls];
	int *other = other_counts(c, cls, k, "ADASYN", "k");
	if (!other)
		return -1;
	/* imblearn: ratio_nn = other / k, ratio_nn /= sum, rint(ratio_nn * need) */
	double *r = imb_xmalloc(nc * sizeof *r);
	for (size_t i = 0; i < nc; i++)
		r[i] = (double)other[i] / k;
	free(other);
	double s = np_sum(r, nc);
	int64_t *g = imb_xmalloc(nc * sizeof *g), total = 0;
	for (size_t i = 0; i < nc && s > 0; i++)
		total += g[i] = (int64_t)nearbyint(r[i] / s * (double)need);
	free(r);
	int rc = -1;
	if (!(s > 0)) {
		imb_seterr("%s: class %d (%s): no sample has a neighbour of another class among its "
		           "k=%d nearest, so ADASYN cannot weigh them (use --method smote)",
		           c->lbl, cls, cname(c, cls), k);
		goto out;
	}
	if (!total) {
		imb_seterr("%s: class %d (%s): ADASYN's rounded weights give no new sample for %lld "
		           "wanted (raise --ratio)", c->lbl, cls, cname(c, cls), (long long)need);
		goto out;
	}
	int kk = imb_rs_class_k(c, cls, k, "ADASYN");
	/* the neighbours within the class of the samples that seed */
	size_t *rows = imb_xmalloc(nc * sizeof *rows), nq = 0;
	int64_t *qpos = imb_xmalloc(nc * sizeof *qpos);
	for (size_t i = 0; i < nc; i++) {
		qpos[i] = g[i] > 0 ? (int64_t)nq : -1;
		if (g[i] > 0)
			rows[nq++] = i;
	}
	float *xc = imb_rs_rows_float(c, c->by[cls], nc);
	int32_t *nn = imb_xmalloc((nq ? nq : 1) * kk * sizeof *nn);
	imb_knn_rows(nn, xc, nc, c->d, kk, rows, nq);
	free(xc);
	/* imblearn: rows = repeat(arange, g), then every neighbour column,
	 * then every step */
	size_t np0 = p->n;
	imb_rs_plan_reserve(p, total);
	for (size_t i = 0; i < nc; i++)
		for (int64_t t = 0; t < g[i]; t++) {
			int col = (int)imb_rng_below(&c->rng, kk);
			imb_rs_plan_add(p, c->by[cls][i], c->by[cls][nn[qpos[i] * kk + col]], 0);
		}
	for (size_t i = np0; i < p->n; i++)
		p->u[i] = imb_rng_uniform(&c->rng);
	free(nn);
	free(qpos);
	free(rows);
	rc = 0;
out:
	free(g);
	return rc;
}

imb_frame *imb_rs_run_adasyn(imb_rs_ctx *c)
{
	imb_rs_plan p = {0};
	return imb_rs_synth(c, adasyn_class, &p);
}

/* Beta(10, 10): the 10th smallest of 19 uniforms */
static double beta10(imb_rng *r)
{
	double u[19];
	for (int i = 0; i < 19; i++) {
		double v = imb_rng_uniform(r);
		int j = i;
		for (; j > 0 && u[j - 1] > v; j--)
			u[j] = u[j - 1];
		u[j] = v;
	}
	return u[9];
}

/* Borderline-2's second part: `need` samples from the seeds (class row
 * indices) towards one of their kk nearest rows of the other classes,
 * steps in [0, 0.5) */
static void towards_others(imb_rs_ctx *c, int cls, const float *xc, const size_t *seeds,
                           size_t ns, int64_t need, imb_rs_plan *p)
{
	size_t no = c->n - c->cnt[cls];
	int kk = c->o->k < (int)no ? c->o->k : (int)no;
	if (kk < c->o->k)
		imb_warn("%s: the classes other than %d (%s) hold %zu samples; Borderline-2 uses "
		         "k=%d of them", c->lbl, cls, cname(c, cls), no, kk);
	size_t *others = imb_xmalloc((no ? no : 1) * sizeof *others), j = 0;
	const int32_t *y = imb_frame_tensor(c->f, "y")->data;
	for (size_t i = 0; i < c->n; i++)
		if (y[i] != cls)
			others[j++] = i;
	size_t np0 = p->n;
	int64_t *qpos = imb_rs_draw_pairs(c, ns, kk, need, 0.5, p);
	size_t nq = 0;
	float *q = imb_xmalloc_aligned((ns ? ns : 1) * c->d * sizeof *q);
	for (size_t i = 0; i < ns; i++)
		if (qpos[i] == 0) {
			qpos[i] = nq;
			memcpy(q + nq++ * c->d, xc + seeds[i] * c->d, c->d * sizeof *q);
		}
	float *xo = imb_rs_rows_float(c, others, no);
	int32_t *nn = imb_xmalloc((nq ? nq : 1) * kk * sizeof *nn);
	imb_knn_query(nn, q, nq, xo, no, c->d, kk);
	for (size_t i = np0; i < p->n; i++) {
		size_t sidx = p->a[i], s = sidx / kk;
		p->a[i] = c->by[cls][seeds[s]];
		p->b[i] = others[nn[qpos[s] * kk + sidx % kk]];
	}
	free(nn);
	free(xo);
	free(q);
	free(qpos);
	free(others);
}

static int border_class(imb_rs_ctx *c, int cls, int64_t need, imb_rs_plan *p)
{
	int m = c->o->m;
	size_t nc = c->cnt[cls];
	int *other = other_counts(c, cls, m, "Borderline-SMOTE", "m");
	if (!other)
		return -1;
	/* danger: m/2 <= neighbours of another class < m */
	size_t *seeds = imb_xmalloc(nc * sizeof *seeds), ns = 0;
	for (size_t i = 0; i < nc; i++)
		if (2 * other[i] >= m && other[i] < m)
			seeds[ns++] = i;
	free(other);
	imb_val *dg = imb_val_get(c->info, "danger");
	dg->items[cls]->i = (int64_t)ns;
	if (!ns) {
		imb_warn("%s: class %d (%s) has no sample in danger (m=%d); Borderline-SMOTE adds none "
		         "to it", c->lbl, cls, cname(c, cls), m);
		free(seeds);
		return 0;
	}
	int kk = imb_rs_class_k(c, cls, c->o->k, "Borderline-SMOTE");
	float *xc = imb_rs_rows_float(c, c->by[cls], nc);
	if (c->o->method == IMB_RS_BORDERLINE1) {
		imb_rs_smote_draw(c, c->by[cls], xc, NULL, nc, seeds, ns, kk, need, 1.0, p, NULL, NULL);
	} else {
		double f = beta10(&c->rng);
		int64_t n1 = (int64_t)(f * (double)(need + 1)), n2 = (int64_t)((1 - f) * (double)need);
		imb_rs_smote_draw(c, c->by[cls], xc, NULL, nc, seeds, ns, kk, n1, 1.0, p, NULL, NULL);
		if (c->n > nc)
			towards_others(c, cls, xc, seeds, ns, n2, p);
	}
	free(xc);
	free(seeds);
	return 0;
}

imb_frame *imb_rs_run_borderline(imb_rs_ctx *c)
{
	int64_t *zero = imb_xcalloc(c->nk > 0 ? c->nk : 1, sizeof *zero);
	imb_val_set(c->info, "danger", imb_val_int_array(zero, c->nk));
	free(zero);
	imb_rs_plan p = {0};
	return imb_rs_synth(c, border_class, &p);
}
