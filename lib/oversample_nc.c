/* oversample_nc.c: the one-hot groups of a frame (attrs.categorical)
 * and SMOTE-NC, as imbalanced-learn 0.10's SMOTENC (see oversample.h). */
#include "oversample_impl.h"
#include "cli.h"
#include "dataset.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* attrs.features[j] is "NAME=VALUE" */
static int is_column(const imb_val *feat, size_t j, const char *name, const char *value)
{
	const imb_val *s = feat->items[j];
	size_t ln = strlen(name);
	return s->t == IMB_V_STR && !strncmp(s->s, name, ln) && s->s[ln] == '=' &&
	       !strcmp(s->s + ln + 1, value);
}

int imb_rs_groups(const imb_frame *f, size_t d, imb_rs_group **out, size_t *ng)
{
	*out = NULL;
	*ng = 0;
	const imb_val *cat = imb_val_get(f->attrs, "categorical");
	if (!cat || cat->t != IMB_V_MAP || !cat->n)
		return 0;
	char lbl[300];
	imb_frame_label(f, lbl, sizeof lbl);
	const imb_val *feat = imb_val_get(f->attrs, "features");
	if (!feat || feat->t != IMB_V_ARR || feat->n != d)
		return imb_seterr("%s: attrs.categorical is set but attrs.features does not name the %zu "
		                  "columns of x", lbl, d);
	imb_rs_group *g = imb_xcalloc(cat->n, sizeof *g);
	for (size_t i = 0; i < cat->n; i++) {
		const char *name = cat->keys[i];
		const imb_val *voc = cat->items[i];
		if (voc->t != IMB_V_ARR || !voc->n || voc->items[0]->t != IMB_V_STR) {
			free(g);
			return imb_seterr("%s: attrs.categorical.%s is not a list of values", lbl, name);
		}
		size_t j = 0;
		while (j < d && !is_column(feat, j, name, voc->items[0]->s))
			j++;
		for (size_t t = 0; t < voc->n; t++)
			if (j + t >= d || voc->items[t]->t != IMB_V_STR ||
			    !is_column(feat, j + t, name, voc->items[t]->s)) {
				free(g);
				return imb_seterr("%s: attrs.categorical.%s: attrs.features has no column "
				                  "'%s=%s' in its place", lbl, name, name,
				                  voc->items[t]->t == IMB_V_STR ? voc->items[t]->s : "?");
			}
		g[i] = (imb_rs_group){j, voc->n, name};
	}
	*out = g;
	*ng = cat->n;
	return 0;
}

typedef struct {
	const imb_rs_group *g;
	size_t ng;
	unsigned char *iscat;   /* (d): column in a group */
	double half;            /* median std / 2: a one-hot 1 in distances */
	int cls;
	int *votes;             /* the widest group's */
} nc_state;

static double xval(const imb_tensor *x, size_t i)
{
	return x->dtype == IMB_F32 ? ((const float *)x->data)[i] : ((const double *)x->data)[i];
}

/* each group of new row i: the category most frequent among the seed's
 * neighbours, ties drawn at random (imblearn's rule) */
static void vote(imb_rs_ctx *c, imb_rs_plan *p, size_t i, const int32_t *nbrs, int kk, void *arg)
{
	nc_state *s = arg;
	for (size_t gi = 0; gi < s->ng; gi++) {
		const imb_rs_group *g = &s->g[gi];
		memset(s->votes, 0, g->n * sizeof *s->votes);
		for (int j = 0; j < kk; j++) {
			size_t r = c->by[s->cls][nbrs[j]];
			for (size_t t = 0; t < g->n; t++)
				s->votes[t] += xval(c->x, r * c->d + g->col + t) != 0;
		}
		int best = 0, ties = 0;
		for (size_t t = 0; t < g->n; t++)
			if (s->votes[t] > best)
				best = s->votes[t], ties = 1;
			else if (s->votes[t] == best)
				ties++;
		uint64_t pick = ties > 1 ? imb_rng_below(&c->rng, ties) : 0;
		for (size_t t = 0; t < g->n; t++)
			if (s->votes[t] == best && !pick--) {
				p->cat[i * s->ng + gi] = (int32_t)t;
				break;
			}
	}
}

static int nc_class(imb_rs_ctx *c, int cls, int64_t need, imb_rs_plan *p)
{
	nc_state *s = c->arg;
	int kk = imb_rs_class_k(c, cls, c->o->k, "SMOTE-NC");
	size_t nc = c->cnt[cls];
	float *xc = imb_rs_rows_float(c, c->by[cls], nc);
	for (size_t i = 0; i < nc; i++)
		for (size_t t = 0; t < c->d; t++)
			if (s->iscat[t])
				xc[i * c->d + t] *= (float)s->half;
	s->cls = cls;
	imb_rs_smote_draw(c, c->by[cls], xc, NULL, nc, NULL, nc, kk, need, 1.0, p, vote, s);
	free(xc);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

imb_frame *imb_rs_run_smote_nc(imb_rs_ctx *c)
{
	imb_rs_group *g;
	size_t ng;
	if (imb_rs_groups(c->f, c->d, &g, &ng) < 0)
		return NULL;
	imb_frame *out = NULL;
	nc_state s = {.g = g, .ng = ng};
	double *sd = NULL;
	if (!ng) {
		imb_seterr("%s: SMOTE-NC needs categorical columns (attrs.categorical, as imb-import csv "
		           "writes); this frame has none: use --method smote", c->lbl);
		goto done;
	}
	if (c->x->dtype != IMB_F32 && c->x->dtype != IMB_F64) {
		imb_seterr("%s: tensor x is %s; SMOTE-NC needs f32 or f64 features", c->lbl,
		           imb_dtype_name(c->x->dtype));
		goto done;
	}
	s.iscat = imb_xcalloc(c->d, 1);
	size_t wide = 1;
	for (size_t i = 0; i < ng; i++) {
		memset(s.iscat + g[i].col, 1, g[i].n);
		if (g[i].n > wide)
			wide = g[i].n;
	}
	s.votes = imb_xmalloc(wide * sizeof *s.votes);
	/* the median of the numeric columns' standard deviations in the
	 * rarest class (the first in y of the rarest, as Counter's min) */
	int rare = -1;
	for (int k = 0; k < c->nk; k++)
		if (rare < 0 || c->cnt[k] < c->cnt[rare] ||
		    (c->cnt[k] == c->cnt[rare] && c->by[k][0] < c->by[rare][0]))
			rare = k;
	size_t nnum = 0, nr = c->cnt[rare];
	sd = imb_xmalloc(c->d * sizeof *sd);
	for (size_t t = 0; t < c->d; t++) {
		if (s.iscat[t])
			continue;
		double mean = 0, var = 0;
		for (size_t i = 0; i < nr; i++)
			mean += xval(c->x, c->by[rare][i] * c->d + t);
		mean /= (double)nr;
		for (size_t i = 0; i < nr; i++) {
			double e = xval(c->x, c->by[rare][i] * c->d + t) - mean;
			var += e * e;
		}
		sd[nnum++] = sqrt(var / (double)nr);
	}
	if (!nnum) {
		imb_seterr("%s: every column of x is categorical; SMOTE-NC needs numeric columns too",
		           c->lbl);
		goto done;
	}
	qsort(sd, nnum, sizeof *sd, cmp_double);
	double med = nnum % 2 ? sd[nnum / 2] : (sd[nnum / 2 - 1] + sd[nnum / 2]) / 2;
	s.half = med / 2;
	imb_val_set_float(c->info, "median_std", med);
	imb_rs_plan p = {.ngroups = ng, .groups = g};
	c->arg = &s;
	out = imb_rs_synth(c, nc_class, &p);
	c->arg = NULL;
done:
	free(sd);
	free(s.votes);
	free(s.iscat);
	free(g);
	return out;
}
