/* curves.c: ROC, precision-recall and reliability points (curves.h). */
#include "curves.h"
#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { ROC, PR, RELIABILITY };
static const char *const curve_names[] = {"roc", "pr", "reliability"};

/* the growing columns of a curves frame */
typedef struct {
	int32_t *curve, *cls;
	double *x, *y, *thr;
	int64_t *n;
	size_t m, cap;
} points;

static void put(points *p, int curve, int cls, double x, double y, double thr, int64_t n)
{
	if (p->m == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->curve = imb_xrealloc(p->curve, p->cap * sizeof *p->curve);
		p->cls = imb_xrealloc(p->cls, p->cap * sizeof *p->cls);
		p->x = imb_xrealloc(p->x, p->cap * sizeof *p->x);
		p->y = imb_xrealloc(p->y, p->cap * sizeof *p->y);
		p->thr = imb_xrealloc(p->thr, p->cap * sizeof *p->thr);
		p->n = imb_xrealloc(p->n, p->cap * sizeof *p->n);
	}
	p->curve[p->m] = curve;
	p->cls[p->m] = cls;
	p->x[p->m] = x;
	p->y[p->m] = y;
	p->thr[p->m] = thr;
	p->n[p->m++] = n;
}

typedef struct {
	float s;
	unsigned char pos;
} ranked;

/* descending score */
static int by_score(const void *a, const void *b)
{
	float x = ((const ranked *)a)->s, y = ((const ranked *)b)->s;
	return (x < y) - (x > y);
}

/* the roc and pr points of class c against the rest; r is scratch (n) */
static void ranking_curves(points *p, const int32_t *y, const float *probs, size_t n, int K,
                           int c, ranked *r)
{
	double P = 0, N = 0;
	for (size_t i = 0; i < n; i++) {
		r[i].s = probs[i * (size_t)K + (size_t)c];
		r[i].pos = y[i] == c;
		r[i].pos ? P++ : N++;
	}
	if (P == 0 || N == 0)
		return;
	qsort(r, n, sizeof *r, by_score);
	for (int curve = ROC; curve <= PR; curve++) {
		put(p, curve, c, 0, curve == ROC ? 0 : 1, INFINITY, 0);
		double tp = 0, fp = 0;
		for (size_t i = 0; i < n;) {
			float s = r[i].s;
			for (; i < n && r[i].s == s; i++)
				r[i].pos ? tp++ : fp++;
			if (curve == ROC)
				put(p, ROC, c, fp / N, tp / P, s, (int64_t)(tp + fp));
			else
				put(p, PR, c, tp / P, tp / (tp + fp), s, (int64_t)(tp + fp));
		}
	}
}

static void reliability(points *p, const int32_t *y, const float *probs, size_t n, int K)
{
	double acc[IMB_ECE_BINS] = {0}, conf[IMB_ECE_BINS] = {0};
	int64_t cnt[IMB_ECE_BINS] = {0};
	for (size_t i = 0; i < n; i++) {
		const float *q = probs + i * (size_t)K;
		int best = 0;
		for (int k = 1; k < K; k++)
			if (q[k] > q[best])
				best = k;
		int b = imb_ece_bin(q[best]);
		cnt[b]++;
		acc[b] += best == y[i];
		conf[b] += q[best];
	}
	for (int b = 0; b < IMB_ECE_BINS; b++)
		if (cnt[b])
			put(p, RELIABILITY, -1, conf[b] / (double)cnt[b], acc[b] / (double)cnt[b],
			    imb_ece_edge(b + 1), cnt[b]);
}

static void put_tensor(imb_frame *f, const char *key, imb_dtype dt, const void *src, size_t m)
{
	uint64_t shp[1] = {m};
	imb_tensor *t = imb_frame_add_tensor(f, key, dt, 1, shp);
	if (m)
		memcpy(t->data, src, m * imb_dtype_size(dt));
}

imb_frame *imb_curves_frame(const char *set, const char *model, size_t model_index,
                            const int32_t *y, const float *probs, size_t n, int K,
                            char *const *names, int positive)
{
	points p = {0};
	ranked *r = imb_xmalloc((n ? n : 1) * sizeof *r);
	for (int c = 0; c < K; c++)
		if (K != 2 || c == positive)
			ranking_curves(&p, y, probs, n, K, c, r);
	free(r);
	reliability(&p, y, probs, n, K);

	imb_frame *f = imb_frame_new("curves", set);
	imb_val_set_str(f->attrs, "set", set);
	imb_val_set_str(f->attrs, "model", model);
	imb_val_set_int(f->attrs, "model_index", (int64_t)model_index);
	imb_val_set(f->attrs, "classes", imb_val_str_array((const char *const *)names, (size_t)K));
	put_tensor(f, "curve", IMB_I32, p.curve, p.m);
	put_tensor(f, "class", IMB_I32, p.cls, p.m);
	put_tensor(f, "x", IMB_F64, p.x, p.m);
	put_tensor(f, "y", IMB_F64, p.y, p.m);
	put_tensor(f, "threshold", IMB_F64, p.thr, p.m);
	put_tensor(f, "n", IMB_I64, p.n, p.m);
	free(p.curve);
	free(p.cls);
	free(p.x);
	free(p.y);
	free(p.thr);
	free(p.n);
	return f;
}

static void put_num(FILE *fp, double v)
{
	if (isinf(v))
		fputs(v > 0 ? "inf" : "-inf", fp);
	else
		fprintf(fp, "%.17g", v);
}

void imb_curves_write_tsv(FILE *fp, imb_frame *const *f, size_t nf)
{
	fputs("set\tmodel\tmodel_index\tcurve\tclass\tx\ty\tthreshold\tn\n", fp);
	for (size_t j = 0; j < nf; j++) {
		const imb_val *a = f[j]->attrs, *cl = imb_val_get(a, "classes");
		const imb_tensor *tc = imb_frame_tensor(f[j], "curve");
		size_t m = tc ? (size_t)tc->shape[0] : 0;
		const int32_t *curve = tc ? tc->data : NULL;
		const int32_t *cls = imb_frame_tensor(f[j], "class")->data;
		const double *x = imb_frame_tensor(f[j], "x")->data;
		const double *y = imb_frame_tensor(f[j], "y")->data;
		const double *thr = imb_frame_tensor(f[j], "threshold")->data;
		const int64_t *n = imb_frame_tensor(f[j], "n")->data;
		for (size_t i = 0; i < m; i++) {
			imb_write_tsv(fp, imb_val_as_str(imb_val_get(a, "set"), ""));
			fputc('\t', fp);
			imb_write_tsv(fp, imb_val_as_str(imb_val_get(a, "model"), ""));
			long long mi = (long long)imb_val_as_int(imb_val_get(a, "model_index"), 0);
			fprintf(fp, "\t%lld\t%s\t", mi, curve_names[curve[i]]);
			if (cls[i] >= 0 && cl && cl->t == IMB_V_ARR && (size_t)cls[i] < cl->n)
				imb_write_tsv(fp, imb_val_as_str(cl->items[cls[i]], "?"));
			else
				fputs("NA", fp);
			fputc('\t', fp);
			put_num(fp, x[i]);
			fputc('\t', fp);
			put_num(fp, y[i]);
			fputc('\t', fp);
			put_num(fp, thr[i]);
			fprintf(fp, "\t%lld\n", (long long)n[i]);
		}
	}
}
