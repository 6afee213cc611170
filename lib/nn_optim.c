/* nn_optim.c: SGD, AdamW and LARS over a flat block; learning-rate
 * schedules. */
#include "nn_optim.h"
#include "nn_frame.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float *state(size_t P)
{
	const imb_nn_backend *be = imb_nn_be();
	float *s = be->alloc(P * sizeof(float));
	be->zero(s, P);
	return s;
}

void imb_nn_optim_sgd(imb_nn_optim *o, size_t P, float lr, float momentum,
                      float weight_decay, int nesterov)
{
	memset(o, 0, sizeof *o);
	o->kind = IMB_NN_OPT_SGD;
	o->P = P;
	o->lr = lr;
	o->momentum = momentum;
	o->weight_decay = weight_decay;
	o->nesterov = nesterov;
	if (momentum != 0)
		o->s1 = state(P);
}

void imb_nn_optim_adamw(imb_nn_optim *o, size_t P, float lr, float weight_decay)
{
	memset(o, 0, sizeof *o);
	o->kind = IMB_NN_OPT_ADAMW;
	o->P = P;
	o->lr = lr;
	o->weight_decay = weight_decay;
	o->beta1 = 0.9f;
	o->beta2 = 0.999f;
	o->eps = 1e-8f;
	o->s1 = state(P);
	o->s2 = state(P);
}

int imb_nn_optim_check(const imb_nn_optim *o)
{
	if (!(o->lr >= 0))
		return imb_seterr("learning rate %g: must be >= 0", (double)o->lr);
	if (!(o->weight_decay >= 0))
		return imb_seterr("weight decay %g: must be >= 0", (double)o->weight_decay);
	if (o->kind == IMB_NN_OPT_SGD) {
		if (!(o->momentum >= 0))
			return imb_seterr("momentum %g: must be >= 0", (double)o->momentum);
		if (o->nesterov && (o->momentum <= 0 || o->dampening != 0))
			return imb_seterr("nesterov momentum requires a momentum and zero dampening");
	} else {
		if (!(o->beta1 >= 0 && o->beta1 < 1) || !(o->beta2 >= 0 && o->beta2 < 1))
			return imb_seterr("adamw betas (%g, %g): each must be in [0, 1)",
			                  (double)o->beta1, (double)o->beta2);
		if (!(o->eps >= 0))
			return imb_seterr("adamw eps %g: must be >= 0", (double)o->eps);
	}
	return 0;
}

void imb_nn_optim_step(imb_nn_optim *o, float *param, const float *grad)
{
	const imb_nn_backend *be = imb_nn_be();
	o->step++;
	if (o->kind == IMB_NN_OPT_SGD) {
		if (o->momentum != 0 && !o->s1)   /* momentum switched on later */
			o->s1 = state(o->P);
		imb_nn_sgd_hp hp = { o->lr, o->momentum, o->dampening, o->weight_decay,
		                     o->nesterov };
		be->sgd_step(param, o->s1, grad, o->P, &hp, o->step == 1 || !o->s1);
	} else {
		imb_nn_adamw_hp hp = { o->lr, o->beta1, o->beta2, o->eps, o->weight_decay,
		                       o->step };
		be->adamw_step(param, o->s1, o->s2, grad, o->P, &hp);
	}
}

void imb_nn_optim_free(imb_nn_optim *o)
{
	if (!o)
		return;
	const imb_nn_backend *be = imb_nn_be();
	if (o->s1)
		be->free(o->s1);
	if (o->s2)
		be->free(o->s2);
	o->s1 = o->s2 = NULL;
}

/* ---- the table over imb_nn_optim ---- */

static void tab_step(imb_nn_optimizer *t, float *param, const float *grad, float lr)
{
	imb_nn_optim *o = t->state;
	o->lr = lr;
	imb_nn_optim_step(o, param, grad);
}

static long tab_steps(const imb_nn_optimizer *t)
{
	return ((const imb_nn_optim *)t->state)->step;
}

static int tab_save(const imb_nn_optimizer *t, imb_frame *ck)
{
	const imb_nn_optim *o = t->state;
	imb_val_set_int(ck->attrs, "step", o->step);
	if (o->s1)
		imb_nn_frame_put_block(ck, "state1", o->s1, o->P);
	if (o->s2)
		imb_nn_frame_put_block(ck, "state2", o->s2, o->P);
	return 0;
}

static int load_state(const imb_frame *ck, const char *key, float *dst, size_t P)
{
	imb_tensor *t = imb_frame_tensor(ck, key);
	if (!dst)
		return t ? imb_seterr("tensor '%s' is not expected for these settings", key) : 0;
	if (!t)
		return imb_seterr("tensor '%s' is missing", key);
	return imb_nn_frame_get_block(ck, key, dst, P);
}

static int tab_load(imb_nn_optimizer *t, const imb_frame *ck)
{
	imb_nn_optim *o = t->state;
	int64_t step = imb_val_as_int(imb_val_get(ck->attrs, "step"), -1);
	if (step < 0)
		return imb_seterr("attrs.step is missing or negative");
	if (load_state(ck, "state1", o->s1, o->P) < 0 || load_state(ck, "state2", o->s2, o->P) < 0)
		return -1;
	o->step = step;
	return 0;
}

static void tab_free(imb_nn_optimizer *t)
{
	imb_nn_optim_free(t->state);
	free(t->state);
}

static int table(imb_nn_optimizer *t, imb_nn_optim *o)
{
	memset(t, 0, sizeof *t);
	if (imb_nn_optim_check(o) < 0) {
		imb_nn_optim_free(o);
		free(o);
		return -1;
	}
	t->name = o->kind == IMB_NN_OPT_ADAMW ? "adamw" : "sgd";
	t->P = o->P;
	t->step = tab_step;
	t->steps = tab_steps;
	t->save = tab_save;
	t->load = tab_load;
	t->free = tab_free;
	t->state = o;
	return 0;
}

int imb_nn_optimizer_sgd(imb_nn_optimizer *t, size_t P, float lr, float momentum,
                         float weight_decay, int nesterov)
{
	imb_nn_optim *o = imb_xmalloc(sizeof *o);
	imb_nn_optim_sgd(o, P, lr, momentum, weight_decay, nesterov);
	return table(t, o);
}

int imb_nn_optimizer_adamw(imb_nn_optimizer *t, size_t P, float lr, float weight_decay)
{
	imb_nn_optim *o = imb_xmalloc(sizeof *o);
	imb_nn_optim_adamw(o, P, lr, weight_decay);
	return table(t, o);
}

/* ---- LARS ---- */

typedef struct {
	size_t P;
	float momentum, weight_decay, eta;
	int nesterov, clip;
	long step;
	float *buf;             /* momentum buffer (P), NULL without momentum */
	float *g;               /* the scaled gradient (P) */
	imb_nn_segment *seg;
	size_t nseg;
} lars;

static void lars_step(imb_nn_optimizer *t, float *param, const float *grad, float lr)
{
	const imb_nn_backend *be = imb_nn_be();
	lars *L = t->state;
	float wd = L->weight_decay;
	be->copy(L->g, grad, L->P * sizeof(float));
	for (size_t k = 0; k < L->nseg; k++) {
		const imb_nn_segment *s = &L->seg[k];
		if (!s->adapt || !s->count)
			continue;
		be->lars_scale(L->g + s->offset, param + s->offset, grad + s->offset, s->count, wd,
		               L->eta, lr, L->clip);
	}
	L->step++;
	imb_nn_sgd_hp hp = { lr, L->momentum, 0, 0, L->nesterov };
	be->sgd_step(param, L->buf, L->g, L->P, &hp, L->step == 1);
}

static long lars_steps(const imb_nn_optimizer *t)
{
	return ((const lars *)t->state)->step;
}

static int lars_save(const imb_nn_optimizer *t, imb_frame *ck)
{
	const lars *L = t->state;
	imb_val_set_int(ck->attrs, "step", L->step);
	if (L->buf)
		imb_nn_frame_put_block(ck, "state1", L->buf, L->P);
	return 0;
}

static int lars_load(imb_nn_optimizer *t, const imb_frame *ck)
{
	lars *L = t->state;
	int64_t step = imb_val_as_int(imb_val_get(ck->attrs, "step"), -1);
	if (step < 0)
		return imb_seterr("attrs.step is missing or negative");
	if (load_state(ck, "state1", L->buf, L->P) < 0 || load_state(ck, "state2", NULL, L->P) < 0)
		return -1;
	L->step = step;
	return 0;
}

static void lars_free(imb_nn_optimizer *t)
{
	const imb_nn_backend *be = imb_nn_be();
	lars *L = t->state;
	if (L->buf)
		be->free(L->buf);
	be->free(L->g);
	free(L->seg);
	free(L);
}

int imb_nn_optimizer_lars(imb_nn_optimizer *t, size_t P, const imb_nn_segment *seg,
                          size_t nseg, float lr, float momentum, float weight_decay,
                          float eta, int nesterov)
{
	memset(t, 0, sizeof *t);
	if (!(lr >= 0))
		return imb_seterr("learning rate %g: must be >= 0", (double)lr);
	if (!(momentum >= 0))
		return imb_seterr("momentum %g: must be >= 0", (double)momentum);
	if (!(weight_decay >= 0))
		return imb_seterr("weight decay %g: must be >= 0", (double)weight_decay);
	if (!(eta >= 0))
		return imb_seterr("lars eta %g: must be >= 0", (double)eta);
	if (nesterov && momentum <= 0)
		return imb_seterr("nesterov momentum requires a momentum and zero dampening");
	for (size_t k = 0, end = 0; k < nseg; k++) {
		if (seg[k].offset < end || seg[k].count > P || seg[k].offset > P - seg[k].count)
			return imb_seterr("lars: segment %zu (offset %zu, %zu floats) overlaps the one "
			                  "before it or passes the block of %zu", k, seg[k].offset,
			                  seg[k].count, P);
		end = seg[k].offset + seg[k].count;
	}
	lars *L = imb_xcalloc(1, sizeof *L);
	L->P = P;
	L->momentum = momentum;
	L->weight_decay = weight_decay;
	L->eta = eta;
	L->nesterov = nesterov;
	L->buf = momentum != 0 ? state(P) : NULL;
	L->g = state(P);
	L->nseg = nseg;
	L->seg = imb_xmalloc((nseg ? nseg : 1) * sizeof *L->seg);
	if (nseg)
		memcpy(L->seg, seg, nseg * sizeof *seg);
	t->name = "lars";
	t->P = P;
	t->step = lars_step;
	t->steps = lars_steps;
	t->save = lars_save;
	t->load = lars_load;
	t->free = lars_free;
	t->state = L;
	return 0;
}

int imb_nn_optimizer_lars_clip(imb_nn_optimizer *t, int clip)
{
	if (!t->name || strcmp(t->name, "lars"))
		return imb_seterr("clip_lr is for lars, not %s", t->name ? t->name : "(none)");
	((lars *)t->state)->clip = clip != 0;
	return 0;
}

void imb_nn_optimizer_free(imb_nn_optimizer *t)
{
	if (!t || !t->free)
		return;
	t->free(t);
	memset(t, 0, sizeof *t);
}

double imb_nn_sched_lr(const imb_nn_sched *s, double t)
{
	if (t < 0)
		t = 0;
	if (s->warmup > 0 && t < s->warmup)
		return s->base_lr * (s->warmup_start + (1 - s->warmup_start) * t / s->warmup);
	double tt = t - (s->warmup > 0 ? s->warmup : 0);
	switch (s->kind) {
	case IMB_NN_SCHED_COSINE: {
		double T = s->total - (s->warmup > 0 ? s->warmup : 0);
		if (T <= 0 || tt >= T)
			return s->min_lr;
		return s->min_lr + (s->base_lr - s->min_lr) * (1 + cos(M_PI * tt / T)) / 2;
	}
	case IMB_NN_SCHED_STEP:
		return s->base_lr * pow(s->gamma, floor(tt / s->step_size));
	default:
		return s->base_lr;
	}
}

/* strtod over the whole of [p, end) */
static int number(const char *p, const char *end, double *v)
{
	char buf[64];
	size_t n = (size_t)(end - p);
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, p, n);
	buf[n] = 0;
	char *e;
	*v = strtod(buf, &e);
	return *e || !isfinite(*v) ? -1 : 0;
}

int imb_nn_sched_parse(imb_nn_sched *s, const char *spec, double base_lr, double total)
{
	memset(s, 0, sizeof *s);
	s->base_lr = base_lr;
	s->total = total;
	const char *colon = strchr(spec, ':'), *end = spec + strlen(spec);
	size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
	if (nlen == 8 && !strncmp(spec, "constant", 8) && !colon) {
		s->kind = IMB_NN_SCHED_CONSTANT;
		return 0;
	}
	if (nlen == 6 && !strncmp(spec, "cosine", 6)) {
		s->kind = IMB_NN_SCHED_COSINE;
		if (colon && (number(colon + 1, end, &s->min_lr) || s->min_lr < 0))
			return imb_seterr("schedule %s: cosine:MIN_LR wants a number >= 0", spec);
		return 0;
	}
	if (nlen == 4 && !strncmp(spec, "step", 4) && colon) {
		const char *c2 = strchr(colon + 1, ':');
		s->kind = IMB_NN_SCHED_STEP;
		if (!c2 || number(colon + 1, c2, &s->step_size) || number(c2 + 1, end, &s->gamma)
		    || s->step_size <= 0 || s->gamma < 0)
			return imb_seterr("schedule %s: step:STEP_SIZE:GAMMA wants a size > 0 and "
			                  "a factor >= 0", spec);
		return 0;
	}
	return imb_seterr("schedule %s: unknown (constant, cosine[:MIN_LR], "
	                  "step:STEP_SIZE:GAMMA)", spec);
}
