/* nn_sam.c: the SAM step (nn_sam.h). */
#include "nn_sam.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	double rho;
	int adaptive;
	int K;
	float *s;               /* (K) host: rho_c / rho */
	int scaled;             /* some s_c != 1 */
	/* scratch, backend memory, grown as needed */
	size_t P, rows;
	float *w0;              /* (P) the parameters before the ascent */
	float *t;               /* (P) ASAM: |w| */
	float *z;               /* (rows) the first pass's output */
	float *sc;              /* (rows) per-entry ascent scale s_{y_i} */
	float *sch;             /* (rows) host staging of sc */
	int32_t *yh;            /* (rows) host labels when the batch has none */
} sam_state;

static void grow(sam_state *st, const imb_nn_backend *be, size_t P, size_t rows)
{
	if (P > st->P) {
		if (st->w0)
			be->free(st->w0);
		if (st->t)
			be->free(st->t);
		st->w0 = be->alloc(P * sizeof(float));
		st->t = st->adaptive ? be->alloc(P * sizeof(float)) : NULL;
		st->P = P;
	}
	if (rows > st->rows) {
		if (st->z)
			be->free(st->z);
		if (st->sc)
			be->free(st->sc);
		free(st->sch);
		free(st->yh);
		st->z = be->alloc(rows * sizeof(float));
		st->sc = st->scaled ? be->alloc(rows * sizeof(float)) : NULL;
		st->sch = st->scaled ? imb_xmalloc(rows * sizeof(float)) : NULL;
		st->yh = st->scaled ? imb_xmalloc(rows * sizeof(int32_t)) : NULL;
		st->rows = rows;
	}
}

/* w += rho T^2 g / (||T g|| + eps): T = 1, or |w| + eta (ASAM); the norm
 * stays on the backend (axpy_norm) */
static void ascend(sam_state *st, const imb_nn_backend *be, float *w, float *g, size_t P)
{
	if (!st->adaptive) {
		be->axpy_norm(w, g, g, P, st->rho, IMB_NN_SAM_EPS);
		return;
	}
	/* t = |w| = 2 max(w, 0) - w (exact in float) */
	float *t = st->t;
	be->relu_forward(t, st->w0, P);
	be->scale(t, 2, P);
	be->axpy(t, -1, st->w0, P);
	/* w (scratch now: w0 holds it) = T g = |w| g + eta g */
	be->mul(w, t, g, P);
	be->axpy(w, (float)IMB_NN_ASAM_ETA, g, P);
	/* g = T (T g) = |w| (T g) + eta (T g) */
	be->mul(g, t, w, P);
	be->axpy(g, (float)IMB_NN_ASAM_ETA, w, P);
	/* t = T g (|w| is done with), w = w0, then the norm of T g */
	be->copy(t, w, P * sizeof(float));
	be->copy(w, st->w0, P * sizeof(float));
	be->axpy_norm(w, g, t, P, st->rho, IMB_NN_SAM_EPS);
}

static int sam_run(imb_nn_step *s, imb_nn_step_ctx *c, const imb_nn_batch *b, float lr,
                   imb_nn_step_out *out)
{
	sam_state *st = s->state;
	if (st->rho == 0)     /* no ascent: the plain step itself */
		return imb_nn_step_plain.run(s, c, b, lr, out);
	imb_nn_model *m = c->m;
	const imb_nn_backend *be = m->be;
	size_t P = m->P - c->off, K = (size_t)c->obj->K, n = (size_t)b->n;
	if (st->scaled && (!b->y || (size_t)st->K != K))
		return imb_seterr("sam: class radii need labels and one output per class");
	grow(st, be, P, n * K);
	float *w = m->params + c->off, *g = m->grads + c->off;

	/* 1. first pass: the only one that updates BN running statistics */
	imb_nn_model_zero_grad(m);
	const float *z = imb_nn_model_forward(m, b->x, b->n, c->head_only ? IMB_NN_EVAL
	                                                                   : IMB_NN_TRAIN);
	c->obj->forward(c->obj, c->dout, c->losses, c->loss, z, b->y, b->n);
	be->copy(st->z, z, n * K * sizeof(float));
	/* 2. the ascent gradient: class c's terms scaled by rho_c / rho */
	if (st->scaled) {
		const int32_t *y = b->yh;
		if (!y) {
			be->download(st->yh, b->y, n * sizeof(int32_t));
			y = st->yh;
		}
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < K; j++)
				st->sch[i * K + j] = st->s[y[i]];
		be->upload(st->sc, st->sch, n * K * sizeof(float));
		be->mul(c->dout, c->dout, st->sc, n * K);
	}
	imb_nn_model_backward(m, c->dout, c->head_only);
	/* 3. w0 = w; w = w + e */
	be->copy(st->w0, w, P * sizeof(float));
	ascend(st, be, w, g, P);
	/* 4. the plain gradient at w + e, running statistics left alone */
	imb_nn_model_zero_grad(m);
	z = imb_nn_model_forward(m, b->x, b->n, c->head_only ? IMB_NN_EVAL : IMB_NN_TRAIN_FROZEN);
	c->obj->forward(c->obj, c->dout, NULL, NULL, z, b->y, b->n);
	imb_nn_model_backward(m, c->dout, c->head_only);
	/* 5. back to w (a copy), then the optimiser */
	be->copy(w, st->w0, P * sizeof(float));
	c->opt->step(c->opt, w, g, lr);
	out->loss = c->loss;
	out->out = st->z;
	out->losses = c->losses;
	return 0;
}

static void sam_free(imb_nn_step *s)
{
	sam_state *st = s->state;
	if (!st)
		return;
	const imb_nn_backend *be = imb_nn_be();
	float *bufs[] = { st->w0, st->t, st->z, st->sc };
	for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
		if (bufs[i])
			be->free(bufs[i]);
	free(st->sch);
	free(st->yh);
	free(st->s);
	free(st);
	s->state = NULL;
}

int imb_nn_step_sam(imb_nn_step *s, double rho, int adaptive, int K, const double *rho_c)
{
	memset(s, 0, sizeof *s);
	if (!(rho >= 0) || isinf(rho))
		return imb_seterr("sam: rho %g: need a finite value >= 0", rho);
	if (K < 1)
		return imb_seterr("sam: %d classes", K);
	sam_state *st = imb_xcalloc(1, sizeof *st);
	st->rho = rho;
	st->adaptive = adaptive;
	st->K = K;
	st->s = imb_xmalloc((size_t)K * sizeof *st->s);
	for (int k = 0; k < K; k++) {
		double r = rho_c ? rho_c[k] : rho;
		if (!(r >= 0) || isinf(r)) {
			free(st->s);
			free(st);
			return imb_seterr("sam: class %d: radius %g: need a finite value >= 0", k, r);
		}
		if (r != rho && rho == 0) {
			free(st->s);
			free(st);
			return imb_seterr("sam: class %d has radius %g but rho is 0: a class radius "
			                  "scales the ascent by rho_c / rho, so rho must be > 0", k, r);
		}
		st->s[k] = rho > 0 ? (float)(r / rho) : 1;
		if (st->s[k] != 1)
			st->scaled = 1;
	}
	s->name = "sam";
	s->run = sam_run;
	s->free = sam_free;
	s->state = st;
	return 0;
}

/* ---- radii from the options ---- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int imb_nn_sam_radii(double *rho_c, const imb_nn_train_opts *o, const imb_nn_data *t)
{
	int K = t->K;
	double rho = o->rho >= 0 ? o->rho : IMB_NN_SAM_RHO;
	for (int k = 0; k < K; k++)
		rho_c[k] = rho;
	if (o->rho_minority >= 0) {
		int64_t *c = imb_xmalloc((size_t)K * sizeof *c);
		memcpy(c, t->counts, (size_t)K * sizeof *c);
		qsort(c, (size_t)K, sizeof *c, cmp_i64);
		double med = K % 2 ? (double)c[K / 2] : ((double)c[K / 2 - 1] + (double)c[K / 2]) / 2;
		free(c);
		for (int k = 0; k < K; k++)
			if ((double)t->counts[k] < med)
				rho_c[k] = o->rho_minority;
	}
	if (!o->rho_class)
		return 0;
	const imb_val *names = imb_val_get(t->f->attrs, "classes");
	char *list = imb_xstrdup(o->rho_class), *save = NULL;
	int r = 0;
	for (char *spec = strtok_r(list, ",", &save); spec && r == 0;
	     spec = strtok_r(NULL, ",", &save)) {
		char *colon = strrchr(spec, ':');
		if (!colon) {
			r = imb_seterr("--rho-class %s: not CLASS:RHO", spec);
			break;
		}
		*colon = 0;
		int k = -1;
		for (int j = 0; names && names->t == IMB_V_ARR && j < K && (size_t)j < names->n &&
		                k < 0; j++)
			if (!strcmp(imb_val_as_str(names->items[j], ""), spec))
				k = j;     /* a name first, */
		char *end;
		long idx = strtol(spec, &end, 10);
		if (k < 0 && *spec && !*end && idx >= 0 && idx < K)
			k = (int)idx;   /* then an index */
		if (k < 0) {
			char known[256] = "";
			for (int j = 0; j < K; j++) {
				const char *nm = names && names->t == IMB_V_ARR && (size_t)j < names->n
				                 ? imb_val_as_str(names->items[j], "?") : NULL;
				char one[64];
				if (nm)
					snprintf(one, sizeof one, "%s%d %s", j ? ", " : "", j, nm);
				else
					snprintf(one, sizeof one, "%s%d", j ? ", " : "", j);
				strncat(known, one, sizeof known - strlen(known) - 1);
			}
			r = imb_seterr("--rho-class %s:%s: %s has no class '%s' (classes: %s)", spec,
			               colon + 1, t->lb, spec, known);
			break;
		}
		rho_c[k] = strtod(colon + 1, NULL);
	}
	free(list);
	return r;
}
