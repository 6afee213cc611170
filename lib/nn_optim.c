/* nn_optim.c: SGD and AdamW over a flat block; learning-rate schedules. */
#include "nn_optim.h"
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
