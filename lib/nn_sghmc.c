/* nn_sghmc.c: SGHMC over the training loop: the optimiser entry, the
 * cyclical schedule and the hook keeping the members (nn_sghmc.h). */
#include "nn_sghmc.h"
#include "nn_backend.h"
#include "nn_ensemble.h"
#include "nn_frame.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS_EPOCH 1e-9     /* phase boundaries in epochs: 0.9 * 50 is not 45 in binary */

void imb_nn_sghmc_opts_init(imb_nn_sghmc_opts *s)
{
	memset(s, 0, sizeof *s);
	s->friction = 0.9;
	s->temperature = 1;
	s->cycles = 4;
	s->explore = -1;
	s->samples_per_cycle = -1;
	s->burn_in = -1;
	s->sample_every = -1;
}

imb_nn_sghmc_opts imb_nn_sghmc_resolve(const imb_nn_sghmc_opts *s, int epochs)
{
	imb_nn_sghmc_opts r = *s;
	if (r.cycles > 0) {
		if (r.explore < 0)
			r.explore = 0.9;
		if (r.samples_per_cycle < 0)
			r.samples_per_cycle = 3;
	} else {
		if (r.burn_in < 0)
			r.burn_in = epochs / 2;
		if (r.sample_every < 0)
			r.sample_every = 1;
	}
	return r;
}

const char *imb_nn_sghmc_check(const imb_nn_sghmc_opts *s0, int epochs)
{
	static char msg[512];
	imb_nn_sghmc_opts s = imb_nn_sghmc_resolve(s0, epochs);
	if (!(s.friction > 0 && s.friction <= 1))
		snprintf(msg, sizeof msg, "--friction %g: must be in (0, 1] (the momentum is 1 - "
		         "friction; 1 is SGLD)", s.friction);
	else if (!(s.temperature >= 0 && isfinite(s.temperature)))
		snprintf(msg, sizeof msg, "--temperature %g: must be >= 0 (1: the posterior; 0: no "
		         "noise)", s.temperature);
	else if (s.cycles < 0)
		snprintf(msg, sizeof msg, "--cycles %d: must be >= 0 (0: plain SGHMC)", s.cycles);
	else if (s.cycles > 0 && (s.burn_in >= 0 || s.sample_every >= 0))
		snprintf(msg, sizeof msg, "--%s is for plain SGHMC (--cycles 0); a cyclical run keeps "
		         "the last --samples-per-cycle epochs of each cycle",
		         s.burn_in >= 0 ? "burn-in" : "sample-every");
	else if (s.cycles == 0 && (s.explore >= 0 || s.samples_per_cycle >= 0))
		snprintf(msg, sizeof msg, "--%s is for a cyclical run (--cycles M > 0); plain SGHMC "
		         "keeps members after --burn-in, every --sample-every epochs",
		         s.explore >= 0 ? "explore" : "samples-per-cycle");
	else if (s.cycles > 0 && (s.cycles > epochs || epochs % s.cycles))
		snprintf(msg, sizeof msg, "--cycles %d: --epochs %d must be a multiple of it (each "
		         "cycle the same whole number of epochs)", s.cycles, epochs);
	else if (s.cycles > 0 && !(s.explore >= 0 && s.explore < 1))
		snprintf(msg, sizeof msg, "--explore %g: must be in [0, 1) (the fraction of each cycle "
		         "without noise)", s.explore);
	else if (s.cycles > 0 && s.samples_per_cycle < 1)
		snprintf(msg, sizeof msg, "--samples-per-cycle %d: must be >= 1", s.samples_per_cycle);
	else if (s.cycles > 0 && epochs / s.cycles - s.samples_per_cycle <
	                         s.explore * (epochs / s.cycles) - EPS_EPOCH) {
		int tc = epochs / s.cycles;
		snprintf(msg, sizeof msg, "--samples-per-cycle %d does not fit in the sampling phase: "
		         "a cycle is %d epoch%s (--epochs %d, --cycles %d), its sampling phase the last "
		         "%g (--explore %g); lower --samples-per-cycle or --explore, or raise --epochs",
		         s.samples_per_cycle, tc, tc == 1 ? "" : "s", epochs, s.cycles,
		         (1 - s.explore) * tc, s.explore);
	} else if (s.cycles == 0 && s.sample_every < 1)
		snprintf(msg, sizeof msg, "--sample-every %d: must be >= 1", s.sample_every);
	else if (s.cycles == 0 && s.burn_in + s.sample_every > epochs)
		snprintf(msg, sizeof msg, "--burn-in %d with --sample-every %d keeps no member in "
		         "--epochs %d", s.burn_in, s.sample_every, epochs);
	else
		return NULL;
	return msg;
}

int imb_nn_sghmc_members(const imb_nn_sghmc_opts *s0, int epochs)
{
	imb_nn_sghmc_opts s = imb_nn_sghmc_resolve(s0, epochs);
	if (s.cycles > 0)
		return s.cycles * s.samples_per_cycle;
	return (epochs - s.burn_in) / s.sample_every;
}

int imb_nn_sghmc_keeps(const imb_nn_sghmc_opts *s0, int epochs, int epoch)
{
	imb_nn_sghmc_opts s = imb_nn_sghmc_resolve(s0, epochs);
	if (epoch < 1 || epoch > epochs)
		return 0;
	if (s.cycles > 0) {
		int tc = epochs / s.cycles, pos = (epoch - 1) % tc + 1;   /* 1..tc in its cycle */
		return pos > tc - s.samples_per_cycle;
	}
	return epoch > s.burn_in && (epoch - s.burn_in) % s.sample_every == 0;
}

double imb_nn_sghmc_at(const imb_nn_sghmc_opts *s0, int epochs, double lr0, double t,
                       int *sampling)
{
	imb_nn_sghmc_opts s = imb_nn_sghmc_resolve(s0, epochs);
	if (s.cycles <= 0) {
		*sampling = 1;
		return lr0;
	}
	double tc = (double)(epochs / s.cycles), in = fmod(t < 0 ? 0 : t, tc);
	*sampling = in >= s.explore * tc - EPS_EPOCH;
	return lr0 / 2 * (cos(M_PI * in / tc) + 1);
}

/* ---- the optimiser entry ---- */

typedef struct {
	size_t P, n;
	double alpha, wd, T;
	uint64_t key;
	int sampling;
	long step;
	float *v;               /* (P) backend: the momentum */
	float *d;               /* (P) backend: the gradient with decay, then the noise */
	/* the schedule, when imb_nn_sghmc_train drives it (lr_at) */
	imb_nn_sghmc_opts cfg;
	double lr0;
} sghmc;

static void sghmc_step(imb_nn_optimizer *t, float *param, const float *grad, float lr)
{
	const imb_nn_backend *be = imb_nn_be();
	sghmc *s = t->state;
	size_t P = s->P;
	s->step++;
	be->copy(s->d, grad, P * sizeof(float));        /* d = grad + wd p */
	if (s->wd != 0)
		be->axpy(s->d, (float)s->wd, param, P);
	be->scale(s->v, (float)(1 - s->alpha), P);       /* v = (1 - alpha) v - lr d */
	be->axpy(s->v, -lr, s->d, P);
	if (s->sampling && s->T > 0) {                  /* v += sqrt(2 alpha lr T / N) eps */
		double sd = sqrt(2 * s->alpha * (double)lr * s->T / (double)s->n);
		be->fill_normal(s->d, P, 0, (float)sd, s->key, (uint64_t)s->step);
		be->axpy(s->v, 1, s->d, P);
	}
	be->axpy(param, 1, s->v, P);                     /* p += v */
}

static long sghmc_steps(const imb_nn_optimizer *t)
{
	return ((const sghmc *)t->state)->step;
}

static int sghmc_save(const imb_nn_optimizer *t, imb_frame *ck)
{
	const sghmc *s = t->state;
	imb_val_set_int(ck->attrs, "step", s->step);
	imb_nn_frame_put_block(ck, "state1", s->v, s->P);
	return 0;
}

static int sghmc_load(imb_nn_optimizer *t, const imb_frame *ck)
{
	sghmc *s = t->state;
	int64_t step = imb_val_as_int(imb_val_get(ck->attrs, "step"), -1);
	if (step < 0)
		return imb_seterr("attrs.step is missing or negative");
	if (imb_frame_tensor(ck, "state2"))
		return imb_seterr("tensor 'state2' is not expected for SGHMC");
	if (!imb_frame_tensor(ck, "state1"))
		return imb_seterr("tensor 'state1' (SGHMC's momentum) is missing");
	if (imb_nn_frame_get_block(ck, "state1", s->v, s->P) < 0)
		return -1;
	s->step = step;
	return 0;
}

static void sghmc_free(imb_nn_optimizer *t)
{
	const imb_nn_backend *be = imb_nn_be();
	sghmc *s = t->state;
	be->free(s->v);
	be->free(s->d);
	free(s);
}

int imb_nn_optimizer_sghmc(imb_nn_optimizer *t, size_t P, double friction, double weight_decay,
                           double temperature, size_t n, uint64_t key)
{
	memset(t, 0, sizeof *t);
	if (!(friction > 0 && friction <= 1))
		return imb_seterr("sghmc friction %g: must be in (0, 1]", friction);
	if (!(weight_decay >= 0))
		return imb_seterr("weight decay %g: must be >= 0", weight_decay);
	if (!(temperature >= 0))
		return imb_seterr("sghmc temperature %g: must be >= 0", temperature);
	if (n == 0)
		return imb_seterr("sghmc: the train set's size is 0");
	const imb_nn_backend *be = imb_nn_be();
	sghmc *s = imb_xcalloc(1, sizeof *s);
	s->P = P;
	s->n = n;
	s->alpha = friction;
	s->wd = weight_decay;
	s->T = temperature;
	s->key = key;
	s->sampling = 1;
	s->v = be->alloc((P ? P : 1) * sizeof(float));
	s->d = be->alloc((P ? P : 1) * sizeof(float));
	be->zero(s->v, P);
	t->name = "sghmc";
	t->P = P;
	t->step = sghmc_step;
	t->steps = sghmc_steps;
	t->save = sghmc_save;
	t->load = sghmc_load;
	t->free = sghmc_free;
	t->state = s;
	return 0;
}

int imb_nn_optimizer_sghmc_sampling(imb_nn_optimizer *t, int on)
{
	if (!t->name || strcmp(t->name, "sghmc"))
		return imb_seterr("noise is for sghmc, not %s", t->name ? t->name : "(none)");
	((sghmc *)t->state)->sampling = on != 0;
	return 0;
}

/* the loop's lr_at: the schedule's step size at t, and the phase of the
 * step about to be taken set on the optimiser (imb_nn_sghmc_train put
 * SGHMC there) */
static double lr_at(const imb_nn_loop *L, double t)
{
	sghmc *s = L->opt.state;
	return imb_nn_sghmc_at(&s->cfg, L->o->epochs, s->lr0, t, &s->sampling);
}

/* ---- the members: a hook after each epoch ---- */

typedef struct {
	imb_nn_sghmc_opts cfg;
	int epochs;
	size_t S, P, B, n;       /* members room, sizes, kept */
	float *params, *bufs;    /* (S,P), (S,B) host, imb_xmalloc_aligned */
	int64_t *epoch;          /* (S) */
} keeper;

static int keep_epoch(imb_nn_hook *h, imb_nn_loop *L, imb_val *entry, char *line, size_t size)
{
	keeper *k = h->state;
	if (!imb_nn_sghmc_keeps(&k->cfg, k->epochs, L->epoch) || k->n == k->S)
		return 0;
	const imb_nn_backend *be = imb_nn_be();
	be->download(k->params + k->n * k->P, L->m->params, k->P * sizeof(float));
	if (k->B)
		be->download(k->bufs + k->n * k->B, L->m->bufs, k->B * sizeof(float));
	k->epoch[k->n++] = L->epoch;
	imb_val_set_int(entry, "member", (int64_t)k->n);
	size_t p = strlen(line);
	if (p < size)
		snprintf(line + p, size - p, " member %zu/%zu", k->n, k->S);
	return 0;
}

static int keep_save(const imb_nn_hook *h, imb_frame *ck)
{
	const keeper *k = h->state;
	imb_val_set(ck->attrs, "members_epochs", imb_val_int_array(k->epoch, k->n));
	if (!k->n)
		return 0;
	uint64_t sp[2] = {k->n, k->P}, sb[2] = {k->n, k->B};
	memcpy(imb_frame_add_tensor(ck, "members_params", IMB_F32, 2, sp)->data, k->params,
	       k->n * k->P * sizeof(float));
	if (k->B)
		memcpy(imb_frame_add_tensor(ck, "members_bufs", IMB_F32, 2, sb)->data, k->bufs,
		       k->n * k->B * sizeof(float));
	return 0;
}

static int keep_load(imb_nn_hook *h, const imb_frame *ck)
{
	keeper *k = h->state;
	const imb_val *ep = imb_val_get(ck->attrs, "members_epochs");
	int64_t done = imb_val_as_int(imb_val_get(ck->attrs, "epoch"), -1);
	if (!ep || ep->t != IMB_V_ARR)
		return imb_seterr("attrs.members_epochs is missing (not an SGHMC checkpoint)");
	size_t n = 0;
	for (int e = 1; e <= done && e <= k->epochs; e++)
		if (imb_nn_sghmc_keeps(&k->cfg, k->epochs, e)) {
			if (n >= ep->n || imb_val_as_int(ep->items[n], -1) != e)
				return imb_seterr("attrs.members_epochs does not list the members these "
				                  "settings keep by epoch %lld", (long long)done);
			n++;
		}
	if (n != ep->n || n > k->S)
		return imb_seterr("attrs.members_epochs lists %zu members; these settings keep %zu by "
		                  "epoch %lld", ep->n, n, (long long)done);
	const char *keys[2] = {"members_params", "members_bufs"};
	size_t w[2] = {k->P, k->B};
	float *dst[2] = {k->params, k->bufs};
	for (int j = 0; j < 2; j++) {
		const imb_tensor *t = imb_frame_tensor(ck, keys[j]);
		if (!n || !w[j]) {
			if (t)
				return imb_seterr("tensor '%s' is not expected", keys[j]);
			continue;
		}
		if (!t || t->dtype != IMB_F32 || t->ndim != 2 || t->shape[0] != n || t->shape[1] != w[j])
			return imb_seterr("tensor '%s' must be (%zu, %zu) f32", keys[j], n, w[j]);
		memcpy(dst[j], t->data, n * w[j] * sizeof(float));
	}
	for (size_t i = 0; i < n; i++)
		k->epoch[i] = imb_val_as_int(ep->items[i], 0);
	k->n = n;
	return 0;
}

static void keep_free(imb_nn_hook *h)
{
	keeper *k = h->state;
	if (!k)
		return;
	free(k->params);
	free(k->bufs);
	free(k->epoch);
	free(k);
}

/* ---- the run ---- */

/* attrs.params: SGHMC's settings in place of the optimiser's */
static void params_of(imb_val *p, const imb_nn_sghmc_opts *s, double lr0, double wd)
{
	static const char *const gone[] = {"optimizer", "momentum", "nesterov", "trust", "schedule",
	                                   "warmup"};
	for (size_t i = 0; i < IMB_LEN(gone); i++)
		imb_val_del(p, gone[i]);
	imb_val_set_float(p, "lr", lr0);
	imb_val_set_float(p, "weight_decay", wd);
	imb_val_set_str(p, "method", "sghmc");
	imb_val_set_float(p, "friction", s->friction);
	imb_val_set_float(p, "temperature", s->temperature);
	imb_val_set_int(p, "cycles", s->cycles);
	if (s->cycles > 0) {
		imb_val_set_float(p, "explore", s->explore);
		imb_val_set_int(p, "samples_per_cycle", s->samples_per_cycle);
	} else {
		imb_val_set_int(p, "burn_in", s->burn_in);
		imb_val_set_int(p, "sample_every", s->sample_every);
	}
}

int imb_nn_sghmc_train(const imb_frame *train, const imb_frame *init, const imb_nn_train_opts *o,
                       const imb_nn_sghmc_opts *s0, imb_frame **ens, imb_frame **log,
                       char *summary, size_t ssize)
{
	*ens = *log = NULL;
	const char *msg = imb_nn_sghmc_check(s0, o->epochs);
	if (msg)
		return imb_seterr("%s", msg);
	if (o->optimizer != IMB_NN_OPT_SGD || o->step != IMB_NN_STEP_PLAIN ||
	    o->objective != IMB_NN_OBJ_XENT || o->encoder)
		return imb_seterr("sghmc: SGHMC takes the optimiser's place in a plain step of a "
		                  "classifier (no other optimiser, SAM or self-supervised objective)");
	imb_nn_sghmc_opts s = imb_nn_sghmc_resolve(s0, o->epochs);
	imb_nn_loop L;
	if (imb_nn_loop_init(&L, train, init, o) < 0)
		return -1;
	int r = -1;
	imb_nn_model *m = L.m;
	size_t S = (size_t)imb_nn_sghmc_members(&s, o->epochs);
	double bytes = (double)S * (double)m->P * sizeof(float);
	if (!s.split && bytes > (double)IMB_MAX_TENSOR_BYTES) {
		imb_seterr("the ensemble's %zu members of %zu parameters take %.1f GiB, more than one "
		           "frame's tensor holds (4 GiB): write one frame a member (--split-frames)", S,
		           m->P, bytes / (1u << 30));
		goto done;
	}
	size_t off = o->freeze_backbone ? m->head : 0;
	double lr0 = o->lr >= 0 ? o->lr : IMB_NN_SGHMC_LR;
	double wd = o->weight_decay >= 0 ? o->weight_decay : IMB_NN_SGHMC_WD;
	imb_nn_optimizer_free(&L.opt);
	if (imb_nn_optimizer_sghmc(&L.opt, m->P - off, s.friction, wd, s.temperature, L.data.N,
	                           o->seed + 2) < 0)
		goto done;
	sghmc *st = L.opt.state;
	st->cfg = s;
	st->lr0 = lr0;
	L.lr_at = lr_at;
	L.lr = lr0;
	params_of(L.params, &s, lr0, wd);
	keeper *k = imb_xcalloc(1, sizeof *k);
	k->cfg = s;
	k->epochs = o->epochs;
	k->S = S;
	k->P = m->P;
	k->B = m->B;
	k->params = imb_xmalloc_aligned(S * m->P * sizeof(float));
	k->bufs = m->B ? imb_xmalloc_aligned(S * m->B * sizeof(float)) : NULL;
	k->epoch = imb_xmalloc(S * sizeof *k->epoch);
	imb_nn_hook h = { "members", NULL, keep_epoch, 0, keep_save, keep_load, keep_free, k, NULL };
	if (imb_nn_loop_add_hook(&L, &h) < 0) {
		keep_free(&h);
		goto done;
	}
	if (imb_nn_loop_run(&L) < 0)
		goto done;
	if (!k->n) {
		int first = 1;
		while (first < o->epochs && !imb_nn_sghmc_keeps(&s, o->epochs, first))
			first++;
		imb_seterr("--stop-after %d: no member kept yet (the first is kept after epoch %d): "
		           "nothing to write; --resume continues the run from its checkpoint", L.epoch,
		           first);
		goto done;
	}
	imb_frame *model;
	imb_nn_loop_finish(&L, &model, log, summary, ssize);
	imb_val_set_str((*log)->attrs, "model", "ensemble");
	*ens = imb_nn_ensemble_make(model, "sghmc", k->n, k->params, k->bufs, k->epoch);
	k->params = k->bufs = NULL;
	size_t p = strlen(summary);
	if (p < ssize)
		snprintf(summary + p, ssize - p, ", %zu member%s", k->n, k->n == 1 ? "" : "s");
	r = 0;
done:
	imb_nn_loop_free(&L);
	return r;
}

int imb_nn_sghmc_trainer(void *ctx, const imb_frame *train, const imb_frame *init,
                         const imb_nn_train_opts *o, imb_frame ***models, size_t *nmodels,
                         imb_frame **log, char *summary, size_t size)
{
	const imb_nn_sghmc_opts *s = ctx;
	imb_frame *ens;
	if (imb_nn_sghmc_train(train, init, o, s, &ens, log, summary, size) < 0)
		return -1;
	imb_nn_ensemble_info e;
	imb_nn_ensemble_info_read(ens, &e);
	*nmodels = s->split ? e.members : 1;
	*models = imb_xmalloc(*nmodels * sizeof **models);
	if (!s->split) {
		(*models)[0] = ens;
		return 0;
	}
	for (size_t i = 0; i < e.members; i++)
		(*models)[i] = imb_nn_ensemble_part(ens, i, 1);
	imb_frame_free(ens);
	return 0;
}
