/* nn_train.c: the training loop for networks (nn_train.h). */
#include "nn_train.h"
#include "cli.h"
#include "dataset.h"
#include "nn_model.h"
#include "nn_augment.h"
#include "nn_backend.h"
#include "nn_loss.h"
#include "nn_frame.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUG_PAD 4
#define WARMUP_START 0.1   /* warm-up starts at base_lr * 0.1 */
#define LDAM_MAX_M 0.5f
#define LDAM_S 30.0f

void imb_nn_train_opts_init(imb_nn_train_opts *o)
{
	memset(o, 0, sizeof *o);
	o->epochs = 10;
	o->batch = 128;
	o->lr = -1;
	o->schedule = "cosine";
	o->optimizer = IMB_NN_OPT_SGD;
	o->momentum = 0.9;
	o->weight_decay = -1;
	o->loss = IMB_NN_LOSS_CE;
	o->focal_gamma = 2;
	o->tau = 1;
	o->sampler = IMB_NN_SAMPLER_PLAIN;
	o->augment = IMB_NN_AUG_AUTO;
}

static char errbuf[512];

/* the schedule spec nn_optim.h parses: "none" is constant, a bare "step"
 * decays by 0.1 every third of the run */
static void sched_spec(const imb_nn_train_opts *o, char *buf, size_t size)
{
	if (!strcmp(o->schedule, "none"))
		snprintf(buf, size, "constant");
	else if (!strcmp(o->schedule, "step"))
		snprintf(buf, size, "step:%d:0.1", o->epochs / 3 > 0 ? o->epochs / 3 : 1);
	else
		snprintf(buf, size, "%s", o->schedule);
}

const char *imb_nn_train_check(const imb_nn_train_opts *o)
{
	if (o->arch && imb_nn_arch_check(o->arch) < 0) {
		snprintf(errbuf, sizeof errbuf, "--model: %s", imb_error());
		return errbuf;
	}
	char spec[128];
	sched_spec(o, spec, sizeof spec);
	imb_nn_sched s;
	if (imb_nn_sched_parse(&s, spec, 0.1, o->epochs) < 0) {
		snprintf(errbuf, sizeof errbuf, "--schedule: %s", imb_error());
		return errbuf;
	}
	if (o->warmup < 0 || o->warmup >= o->epochs) {
		snprintf(errbuf, sizeof errbuf, "--warmup %g: must be >= 0 and less than --epochs %d",
		         o->warmup, o->epochs);
		return errbuf;
	}
	if (o->nesterov && (o->optimizer != IMB_NN_OPT_SGD || o->momentum <= 0)) {
		snprintf(errbuf, sizeof errbuf, "--nesterov needs --optimizer sgd with --momentum > 0");
		return errbuf;
	}
	if (o->checkpoint_every > 0 && !o->checkpoint) {
		snprintf(errbuf, sizeof errbuf, "--checkpoint-every needs --checkpoint FILE");
		return errbuf;
	}
	if (o->stop_after > o->epochs) {
		snprintf(errbuf, sizeof errbuf, "--stop-after %d: more than --epochs %d", o->stop_after,
		         o->epochs);
		return errbuf;
	}
	return NULL;
}

/* ---- the sampler ---- */

void imb_nn_balanced_order(size_t *order, const int32_t *y, size_t n, int K, imb_rng *r)
{
	size_t *cnt = imb_xcalloc((size_t)K, sizeof *cnt);
	for (size_t i = 0; i < n; i++)
		cnt[y[i]]++;
	size_t **members = imb_xcalloc((size_t)K, sizeof *members), *fill = imb_xcalloc((size_t)K, sizeof *fill);
	int *present = imb_xmalloc((size_t)K * sizeof *present), Kp = 0;
	for (int k = 0; k < K; k++) {
		members[k] = imb_xmalloc((cnt[k] ? cnt[k] : 1) * sizeof **members);
		if (cnt[k])
			present[Kp++] = k;
	}
	for (size_t i = 0; i < n; i++)
		members[y[i]][fill[y[i]]++] = i;
	/* quotas: n / Kp each, one more for n % Kp classes drawn at random */
	size_t *quota = imb_xcalloc((size_t)K, sizeof *quota), rem = n % (size_t)Kp;
	for (int j = 0; j < Kp; j++)
		quota[present[j]] = n / (size_t)Kp;
	size_t *pick = imb_xmalloc((size_t)Kp * sizeof *pick);
	for (int j = 0; j < Kp; j++)
		pick[j] = (size_t)present[j];
	imb_rng_shuffle(r, pick, (size_t)Kp);
	for (size_t j = 0; j < rem; j++)
		quota[pick[j]]++;
	size_t at = 0;
	for (int j = 0; j < Kp; j++) {
		int k = present[j];
		size_t q = quota[k];
		while (q > 0) {  /* shuffled passes over the class */
			imb_rng_shuffle(r, members[k], cnt[k]);
			size_t take = q < cnt[k] ? q : cnt[k];
			memcpy(order + at, members[k], take * sizeof *order);
			at += take;
			q -= take;
		}
	}
	imb_rng_shuffle(r, order, n);
	for (int k = 0; k < K; k++)
		free(members[k]);
	free(members);
	free(fill);
	free(present);
	free(quota);
	free(pick);
	free(cnt);
}

/* ---- the data ---- */

typedef struct {
	const imb_frame *f;
	char lb[128];
	size_t N, D;
	int C, H, W, K;
	const uint8_t *xu8;     /* u8 samples, or */
	float *xf;              /* (N, D) floats (owned) */
	const int32_t *y;
	int64_t *counts;
} tdata;

static void tdata_free(tdata *t)
{
	free(t->xf);
	free(t->counts);
}

static int tdata_init(tdata *t, const imb_frame *f)
{
	memset(t, 0, sizeof *t);
	t->f = f;
	imb_frame_label(f, t->lb, sizeof t->lb);
	if (imb_dataset_check(f) < 0)
		return -1;
	imb_tensor *x = imb_frame_tensor(f, "x");
	t->N = imb_dataset_n(f);
	t->D = imb_dataset_dim(f);
	t->K = imb_dataset_nclasses(f);
	if (t->N < 2)
		return imb_seterr("%s: %zu sample%s; training needs at least 2", t->lb, t->N,
		                  t->N == 1 ? "" : "s");
	if (t->N > 0x7fffffff || t->D == 0 || t->D > 0x7fffffff)
		return imb_seterr("%s: tensor x: shape not trainable", t->lb);
	if (t->K < 2)
		return imb_seterr("%s: attrs.classes: %d class; a classifier needs at least 2", t->lb, t->K);
	if (x->ndim == 4) {
		t->C = (int)x->shape[1];
		t->H = (int)x->shape[2];
		t->W = (int)x->shape[3];
	} else if (x->ndim == 3) {
		t->C = 1;
		t->H = (int)x->shape[1];
		t->W = (int)x->shape[2];
	} else if (x->ndim == 2) {
		t->C = (int)t->D;
		t->H = t->W = 1;
	} else {
		return imb_seterr("%s: tensor x: %d dimensions; networks take (N,C,H,W), (N,H,W) "
		                  "images or (N,D) feature vectors", t->lb, x->ndim);
	}
	t->y = imb_frame_tensor(f, "y")->data;
	t->counts = imb_dataset_counts(f);
	if (x->dtype == IMB_U8 && x->ndim >= 3) {
		t->xu8 = x->data;
	} else {
		t->xf = imb_dataset_features(f);
		for (size_t i = 0; i < t->N * t->D; i++)
			if (!isfinite(t->xf[i]))
				return imb_seterr("%s: tensor x: sample %zu feature %zu is not a finite number",
				                  t->lb, i / t->D, i % t->D);
	}
	return 0;
}

/* per-channel mean and std on the scale the model sees (u8: [0,1]) */
static void channel_stats(const tdata *t, float *mean, float *std)
{
	int HW = t->H * t->W;
	if (t->xu8) {
		imb_nn_aug_channel_stats_u8(mean, std, t->xu8, (int)t->N, t->C, HW);
	} else {
		for (int c = 0; c < t->C; c++) {
			double s = 0, s2 = 0;
			for (size_t i = 0; i < t->N; i++) {
				const float *p = t->xf + i * t->D + (size_t)c * HW;
				for (int j = 0; j < HW; j++) {
					s += p[j];
					s2 += (double)p[j] * p[j];
				}
			}
			double cnt = (double)t->N * HW, mu = s / cnt, var = s2 / cnt - mu * mu;
			mean[c] = (float)mu;
			std[c] = (float)sqrt(var > 0 ? var : 0);
		}
	}
	for (int c = 0; c < t->C; c++)
		if (!(std[c] > 1e-6f))
			std[c] = 1;    /* a constant channel: centre it only */
}

/* FNV-1a over the samples and labels: a checkpoint must meet its data */
static uint64_t fingerprint(const imb_frame *f)
{
	uint64_t h = 1469598103934665603ull;
	const char *keys[] = {"x", "y"};
	for (int k = 0; k < 2; k++) {
		const imb_tensor *t = imb_frame_tensor(f, keys[k]);
		const unsigned char *p = t->data;
		for (size_t i = 0; i < t->nbytes; i++)
			h = (h ^ p[i]) * 1099511628211ull;
		h = (h ^ (uint64_t)t->dtype) * 1099511628211ull;
	}
	return h;
}

/* ---- options as attrs.params ---- */

static const char *optim_name(imb_nn_optim_kind k) { return k == IMB_NN_OPT_ADAMW ? "adamw" : "sgd"; }

static imb_val *params_val(const imb_nn_train_opts *o, const char *arch, int aug, double lr,
                           double wd, int init)
{
	imb_val *p = imb_val_map();
	imb_val_set_str(p, "arch", arch);
	imb_val_set_int(p, "epochs", o->epochs);
	imb_val_set_int(p, "batch_size", o->batch);
	imb_val_set_float(p, "lr", lr);
	imb_val_set_str(p, "schedule", o->schedule);
	imb_val_set_float(p, "warmup", o->warmup);
	imb_val_set_str(p, "optimizer", optim_name(o->optimizer));
	if (o->optimizer == IMB_NN_OPT_SGD) {
		imb_val_set_float(p, "momentum", o->momentum);
		imb_val_set_int(p, "nesterov", o->nesterov);
	}
	imb_val_set_float(p, "weight_decay", wd);
	imb_val_set_str(p, "loss", imb_nn_loss_kind_name(o->loss));
	if (o->loss == IMB_NN_LOSS_FOCAL)
		imb_val_set_float(p, "focal_gamma", o->focal_gamma);
	if (o->loss == IMB_NN_LOSS_LOGIT_ADJUSTED)
		imb_val_set_float(p, "tau", o->tau);
	if (o->loss == IMB_NN_LOSS_LDAM) {
		imb_val_set_float(p, "ldam_max_m", LDAM_MAX_M);
		imb_val_set_float(p, "ldam_s", LDAM_S);
	}
	imb_val_set_str(p, "sampler", o->sampler == IMB_NN_SAMPLER_BALANCED ? "balanced" : "plain");
	imb_val_set_str(p, "augment", aug ? "crop-flip" : "none");
	if (aug)
		imb_val_set_int(p, "pad", AUG_PAD);
	imb_val_set_int(p, "seed", (int64_t)o->seed);
	imb_val_set_str(p, "freeze", o->freeze_backbone ? "backbone" : "none");
	imb_val_set_int(p, "init", init);
	return p;
}

/* JSON text of a value, for comparing settings */
static char *json_of(const imb_val *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	if (!fp)
		return imb_xstrdup("?");
	imb_val_write_json(fp, v, -1);
	fclose(fp);
	return buf;
}

/* ---- checkpoints ---- */

typedef struct {
	imb_nn_model *m;
	imb_nn_optim *opt;
	float *mean, *std;
	imb_val *params;       /* hyper-parameters */
	imb_val *epochs;       /* the log so far */
	imb_rng *rl;           /* the loader's generator */
	uint64_t data;         /* fingerprint */
	const imb_frame *train;
	const int64_t *counts;
} state;

static void put_block(imb_frame *f, const char *key, const float *p, size_t n)
{
	uint64_t s[1] = {n};
	imb_tensor *t = imb_frame_add_tensor(f, key, IMB_F32, 1, s);
	if (n)
		imb_nn_be()->download(t->data, p, n * sizeof(float));
}

static int checkpoint_write(const state *s, const char *path, int epoch)
{
	imb_frame *mf = imb_nn_frame_make(s->m, s->mean, s->std, imb_val_copy(s->params), s->train,
	                                  s->counts, epoch);
	imb_frame *cf = imb_frame_new("checkpoint", "train");
	imb_history_append(mf, (int64_t)imb_val_as_int(imb_val_get(s->params, "seed"), 0));
	imb_history_append(cf, (int64_t)imb_val_as_int(imb_val_get(s->params, "seed"), 0));
	imb_val_set_int(cf->attrs, "epoch", epoch);
	imb_val_set_int(cf->attrs, "step", s->opt->step);
	char hex[32];
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)s->data);
	imb_val_set_str(cf->attrs, "data", hex);
	imb_val_set_int(cf->attrs, "threads", imb_nn_threads());
	imb_val_set(cf->attrs, "params", imb_val_copy(s->params));
	imb_val_set(cf->attrs, "epochs", imb_val_copy(s->epochs));
	uint64_t four[1] = {4};
	imb_tensor *t = imb_frame_add_tensor(cf, "rng", IMB_I64, 1, four);
	memcpy(t->data, s->rl->s, sizeof s->rl->s);
	if (s->opt->s1)
		put_block(cf, "state1", s->opt->s1, s->opt->P);
	if (s->opt->s2)
		put_block(cf, "state2", s->opt->s2, s->opt->P);
	int r = 0;
	imb_writer *w = imb_writer_open(path);
	if (!w || imb_write_frame(w, mf) < 0 || imb_write_frame(w, cf) < 0) {
		r = imb_preferr("--checkpoint %s: ", path);
		imb_writer_abort(w);
	} else if (imb_writer_close(w) < 0) {
		r = imb_preferr("--checkpoint %s: ", path);
	}
	imb_frame_free(mf);
	imb_frame_free(cf);
	return r;
}

static int get_block(const imb_frame *f, const char *key, float *dst, size_t n)
{
	imb_tensor *t = imb_frame_tensor(f, key);
	if (!dst)
		return t ? imb_seterr("tensor '%s' is not expected for these settings", key) : 0;
	if (!t || t->dtype != IMB_F32 || t->ndim != 1 || t->shape[0] != n)
		return imb_seterr("tensor '%s' must be (%zu) f32", key, n);
	imb_nn_be()->upload(dst, t->data, n * sizeof(float));
	return 0;
}

/* Restore s from a checkpoint file; returns the epochs done, or -1. */
static int checkpoint_read(state *s, const char *path, int epochs)
{
	imb_reader *r = imb_reader_open(path);
	if (!r)
		return imb_preferr("--resume: ");
	imb_frame *mf = NULL, *cf = NULL;
	int rc = imb_read_frame(r, &mf);
	if (rc == 1)
		rc = imb_read_frame(r, &cf);
	imb_reader_close(r);
	int ret = -1;
	imb_nn_loaded l = {0};
	char lb[128];
	if (rc < 0) {
		imb_preferr("--resume %s: ", path);
		goto done;
	}
	if (!mf || !cf || strcmp(cf->kind, "checkpoint")) {
		imb_seterr("--resume %s: not a checkpoint (a network model frame, then a frame of "
		           "kind 'checkpoint')", path);
		goto done;
	}
	if (imb_nn_frame_read(mf, &l) < 0) {
		imb_preferr("--resume %s: %s: ", path, imb_frame_label(mf, lb, sizeof lb));
		goto done;
	}
	imb_nn_model *m = s->m;
	if (strcmp(l.m->arch, m->arch) || l.m->C != m->C || l.m->H != m->H || l.m->W != m->W ||
	    l.m->K != m->K) {
		imb_seterr("--resume %s: the checkpoint holds %s on [%d, %d, %d] with %d classes; "
		           "this run trains %s on [%d, %d, %d] with %d classes", path, l.m->arch, l.m->C,
		           l.m->H, l.m->W, l.m->K, m->arch, m->C, m->H, m->W, m->K);
		goto done;
	}
	imb_frame_label(cf, lb, sizeof lb);
	/* the same settings, key by key */
	const imb_val *cp = imb_val_get(cf->attrs, "params");
	if (!cp || cp->t != IMB_V_MAP) {
		imb_seterr("--resume %s: %s: attrs.params is missing", path, lb);
		goto done;
	}
	for (size_t i = 0; i < s->params->n; i++) {
		const char *k = s->params->keys[i];
		if (!strcmp(k, "init"))
			continue;  /* the checkpoint's weights replace the init's */
		char *a = json_of(s->params->items[i]), *b = json_of(imb_val_get(cp, k));
		int same = !strcmp(a, b);
		if (!same)
			imb_seterr("--resume %s: made with %s %s, this run has %s", path, k, b, a);
		free(a);
		free(b);
		if (!same)
			goto done;
	}
	char hex[32];
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)s->data);
	if (strcmp(imb_val_as_str(imb_val_get(cf->attrs, "data"), ""), hex)) {
		imb_seterr("--resume %s: the checkpoint was made on other training data", path);
		goto done;
	}
	int64_t epoch = imb_val_as_int(imb_val_get(cf->attrs, "epoch"), -1);
	int64_t step = imb_val_as_int(imb_val_get(cf->attrs, "step"), -1);
	const imb_val *ep = imb_val_get(cf->attrs, "epochs");
	if (epoch < 1 || epoch > epochs || step < 0 || !ep || ep->t != IMB_V_ARR ||
	    ep->n != (size_t)epoch) {
		imb_seterr("--resume %s: %s: attrs.epoch, step or epochs are missing or out of range",
		           path, lb);
		goto done;
	}
	imb_tensor *rt = imb_frame_tensor(cf, "rng");
	if (!rt || rt->dtype != IMB_I64 || rt->ndim != 1 || rt->shape[0] != 4) {
		imb_seterr("--resume %s: %s: tensor 'rng' must be (4) i64", path, lb);
		goto done;
	}
	if (get_block(cf, "state1", s->opt->s1, s->opt->P) < 0 ||
	    get_block(cf, "state2", s->opt->s2, s->opt->P) < 0) {
		imb_preferr("--resume %s: %s: ", path, lb);
		goto done;
	}
	const imb_nn_backend *be = imb_nn_be();
	be->upload(m->params, l.m->params, m->P * sizeof(float));
	if (m->B)
		be->upload(m->bufs, l.m->bufs, m->B * sizeof(float));
	memcpy(s->mean, l.mean, (size_t)m->C * sizeof *s->mean);
	memcpy(s->std, l.std, (size_t)m->C * sizeof *s->std);
	memcpy(s->rl->s, rt->data, sizeof s->rl->s);
	s->opt->step = step;
	imb_val_free(s->epochs);
	s->epochs = imb_val_copy(ep);
	ret = (int)epoch;
	int64_t th = imb_val_as_int(imb_val_get(cf->attrs, "threads"), 0);
	if (th != imb_nn_threads())
		imb_warn("--resume: the checkpoint ran on %lld threads, this run on %d: the result "
		         "agrees to rounding, not bit for bit", (long long)th, imb_nn_threads());
done:
	imb_nn_loaded_free(&l);
	imb_frame_free(mf);
	imb_frame_free(cf);
	return ret;
}

/* ---- the loop ---- */

static int argmax(const float *z, int K)
{
	int b = 0;
	for (int k = 1; k < K; k++)
		if (z[k] > z[b])
			b = k;
	return b;
}

static imb_val *dbl_array(const double *x, int n)
{
	return imb_val_float_array(x, (size_t)n);
}

int imb_nn_train(const imb_frame *train, const imb_frame *init, const imb_nn_train_opts *o,
                 imb_frame **model_out, imb_frame **log_out, char *summary, size_t ssize)
{
	*model_out = *log_out = NULL;
	const char *msg = imb_nn_train_check(o);
	if (msg)
		return imb_seterr("%s", msg);
	const imb_nn_backend *be = imb_nn_be();
	if (o->threads > 0)
		imb_nn_set_threads(o->threads);
	if (o->checkpoint) {    /* fail before training, not after an epoch */
		char *d = imb_xstrdup(o->checkpoint), *sl = strrchr(d, '/');
		const char *dir = sl ? (sl == d ? "/" : (*sl = 0, d)) : ".";
		int ok = access(dir, W_OK | X_OK) == 0;
		int e = errno;
		if (!ok)
			imb_seterr("--checkpoint %s: cannot write in %s: %s", o->checkpoint, dir, strerror(e));
		free(d);
		if (!ok)
			return -1;
	}
	tdata t;
	imb_nn_loaded il = {0};
	imb_nn_model *m = NULL;
	imb_nn_loss L = {0};
	imb_nn_optim opt = {0};
	int r = -1, have_loss = 0;
	float *mean = NULL, *std = NULL;
	imb_val *params = NULL, *epochs = imb_val_arr();
	size_t *order = NULL;
	void *xs = NULL, *xa = NULL;
	float *xn = NULL, *xb = NULL, *dz = NULL, *ls = NULL, *zh = NULL, *lh = NULL;
	int32_t *yh = NULL, *yb = NULL;
	double *pacc = NULL, *ploss = NULL, *pn = NULL;
	char lb[128];
	if (tdata_init(&t, train) < 0)
		goto done;
	const char *arch = o->arch;
	if (init) {
		imb_frame_label(init, lb, sizeof lb);
		if (imb_nn_frame_read(init, &il) < 0) {
			imb_preferr("--init: %s: ", lb);
			goto done;
		}
		if (!arch)
			arch = il.m->arch;
		if (strcmp(arch, il.m->arch)) {
			imb_seterr("--init: %s holds %s, not --model %s", lb, il.m->arch, arch);
			goto done;
		}
		if (il.m->C != t.C || il.m->H != t.H || il.m->W != t.W) {
			imb_seterr("--init: %s takes inputs [%d, %d, %d]; %s has [%d, %d, %d]", lb, il.m->C,
			           il.m->H, il.m->W, t.lb, t.C, t.H, t.W);
			goto done;
		}
	}
	if (!arch) {
		imb_seterr("no architecture: give --model");
		goto done;
	}
	if (imb_frame_tensor(train, "x")->ndim == 2 && strncmp(arch, "mlp:", 4)) {
		imb_seterr("%s: tensor x holds feature vectors (N,D); %s needs images (N,C,H,W): "
		           "use an mlp:", t.lb, arch);
		goto done;
	}
	m = imb_nn_model_new(arch, t.C, t.H, t.W, t.K);
	if (!m) {
		imb_preferr("%s: --model %s on inputs [%d, %d, %d]: ", t.lb, arch, t.C, t.H, t.W);
		goto done;
	}
	imb_rng ri, rl;
	imb_rng_seed(&ri, o->seed);
	imb_rng_seed(&rl, o->seed + 1);
	imb_nn_model_init(m, &ri);
	mean = imb_xmalloc((size_t)t.C * sizeof *mean);
	std = imb_xmalloc((size_t)t.C * sizeof *std);
	if (init) {
		/* the backbone (and its normalisation) from the init model; the
		 * head too when the classes agree */
		size_t np = il.m->K == t.K ? m->P : m->head;
		be->upload(m->params, il.m->params, np * sizeof(float));
		if (m->B)
			be->upload(m->bufs, il.m->bufs, m->B * sizeof(float));
		memcpy(mean, il.mean, (size_t)t.C * sizeof *mean);
		memcpy(std, il.std, (size_t)t.C * sizeof *std);
	} else {
		channel_stats(&t, mean, std);
	}
	int aug = o->augment == IMB_NN_AUG_AUTO ? (t.H >= 16 && t.W >= 16) : o->augment;
	if (aug && (t.H < 2 || t.W < 2)) {
		imb_seterr("--augment crop-flip: %s holds feature vectors, not images", t.lb);
		goto done;
	}
	/* the objective */
	float *cw = imb_xmalloc((size_t)t.K * sizeof *cw);
	imb_nn_class_weights_inverse(cw, t.counts, t.K);
	int lr_ = 0;
	switch (o->loss) {
	case IMB_NN_LOSS_CE: imb_nn_loss_ce(&L, t.K); break;
	case IMB_NN_LOSS_WEIGHTED_CE: lr_ = imb_nn_loss_weighted_ce(&L, t.K, cw); break;
	case IMB_NN_LOSS_FOCAL: lr_ = imb_nn_loss_focal(&L, t.K, (float)o->focal_gamma, NULL); break;
	case IMB_NN_LOSS_LOGIT_ADJUSTED:
		lr_ = imb_nn_loss_logit_adjusted(&L, t.K, t.counts, (float)o->tau);
		break;
	case IMB_NN_LOSS_LDAM:
		lr_ = imb_nn_loss_ldam(&L, t.K, t.counts, LDAM_MAX_M, LDAM_S, NULL);
		break;
	default: lr_ = imb_seterr("unknown loss %d", o->loss);
	}
	free(cw);
	if (lr_ < 0) {
		imb_preferr("%s: --loss %s: ", t.lb, imb_nn_loss_kind_name(o->loss));
		goto done;
	}
	have_loss = 1;
	/* the optimiser, over the whole block or only the head */
	size_t off = o->freeze_backbone ? m->head : 0, P = m->P - off;
	double lr = o->lr >= 0 ? o->lr : o->optimizer == IMB_NN_OPT_ADAMW ? 1e-3 : 0.1;
	double wd = o->weight_decay >= 0 ? o->weight_decay
	            : o->optimizer == IMB_NN_OPT_ADAMW ? 0.01 : 5e-4;
	if (o->optimizer == IMB_NN_OPT_ADAMW)
		imb_nn_optim_adamw(&opt, P, (float)lr, (float)wd);
	else
		imb_nn_optim_sgd(&opt, P, (float)lr, (float)o->momentum, (float)wd, o->nesterov);
	if (imb_nn_optim_check(&opt) < 0) {
		imb_preferr("optimiser: ");
		goto done;
	}
	char spec[128];
	sched_spec(o, spec, sizeof spec);
	imb_nn_sched sch;
	if (imb_nn_sched_parse(&sch, spec, lr, o->epochs) < 0)
		goto done;
	sch.warmup = o->warmup;
	sch.warmup_start = WARMUP_START;
	params = params_val(o, arch, aug, lr, wd, init != NULL);
	state st = {m, &opt, mean, std, params, epochs, &rl, fingerprint(train), train, t.counts};
	int start = 0;
	if (o->resume) {
		start = checkpoint_read(&st, o->resume, o->epochs);
		if (start < 0)
			goto done;
		epochs = st.epochs;
	}

	/* buffers: host staging, backend batch */
	size_t B = (size_t)o->batch < t.N ? (size_t)o->batch : t.N, D = t.D;
	size_t esz = t.xu8 ? 1 : sizeof(float);
	int K = t.K, HW = t.H * t.W;
	order = imb_xmalloc(t.N * sizeof *order);
	xs = imb_xmalloc(B * D * esz);
	xa = imb_xmalloc(B * D * esz);
	xn = imb_xmalloc(B * D * sizeof *xn);
	yh = imb_xmalloc(B * sizeof *yh);
	zh = imb_xmalloc(B * (size_t)K * sizeof *zh);
	lh = imb_xmalloc(B * sizeof *lh);
	xb = be->alloc(B * D * sizeof *xb);
	yb = be->alloc(B * sizeof *yb);
	dz = be->alloc(B * (size_t)K * sizeof *dz);
	ls = be->alloc(B * sizeof *ls);
	size_t nb = (t.N + B - 1) / B;
	if (t.N % B == 1)
		nb--;      /* a last batch of one: dropped (batch norm needs two) */
	int last = o->stop_after > 0 ? o->stop_after : o->epochs;
	pacc = imb_xmalloc((size_t)K * sizeof *pacc);
	ploss = imb_xmalloc((size_t)K * sizeof *ploss);
	pn = imb_xmalloc((size_t)K * sizeof *pn);
	double t_all = imb_now();
	int done_epochs = start;
	for (int e = start; e < last; e++) {
		double t0 = imb_now(), lsum = 0;
		size_t seen = 0, correct = 0;
		memset(pacc, 0, (size_t)K * sizeof *pacc);
		memset(ploss, 0, (size_t)K * sizeof *ploss);
		memset(pn, 0, (size_t)K * sizeof *pn);
		if (o->sampler == IMB_NN_SAMPLER_BALANCED) {
			imb_nn_balanced_order(order, t.y, t.N, K, &rl);
		} else {
			for (size_t i = 0; i < t.N; i++)
				order[i] = i;
			imb_rng_shuffle(&rl, order, t.N);
		}
		char what[64];
		snprintf(what, sizeof what, "epoch %d/%d", e + 1, o->epochs);
		double lr_now = lr;
		for (size_t b = 0; b < nb; b++) {
			size_t at = b * B, n = t.N - at < B ? t.N - at : B;
			for (size_t i = 0; i < n; i++) {
				size_t s = order[at + i];
				yh[i] = t.y[s];
				if (t.xu8)
					memcpy((uint8_t *)xs + i * D, t.xu8 + s * D, D);
				else
					memcpy((float *)xs + i * D, t.xf + s * D, D * sizeof(float));
			}
			if (t.xu8) {
				const uint8_t *src = xs;
				if (aug) {
					imb_nn_aug_crop_flip_u8(xa, xs, (int)n, t.C, t.H, t.W, AUG_PAD, 1, &rl);
					src = xa;
				}
				imb_nn_aug_normalize_u8(xn, src, (int)n, t.C, HW, mean, std);
			} else {
				const float *src = xs;
				if (aug) {
					imb_nn_aug_crop_flip_f32(xa, xs, (int)n, t.C, t.H, t.W, AUG_PAD, 1, &rl);
					src = xa;
				}
				imb_nn_aug_normalize_f32(xn, src, (int)n, t.C, HW, mean, std);
			}
			be->upload(xb, xn, n * D * sizeof *xn);
			be->upload(yb, yh, n * sizeof *yh);
			lr_now = imb_nn_sched_lr(&sch, e + (double)b / (double)nb);
			opt.lr = (float)lr_now;
			imb_nn_model_zero_grad(m);
			const float *z = imb_nn_model_forward(m, xb, (int)n, !o->freeze_backbone);
			float loss = imb_nn_loss_forward(&L, dz, ls, z, yb, (int)n);
			imb_nn_model_backward(m, dz, o->freeze_backbone);
			imb_nn_optim_step(&opt, m->params + off, m->grads + off);
			be->download(zh, z, n * (size_t)K * sizeof *zh);
			be->download(lh, ls, n * sizeof *lh);
			if (!isfinite(loss)) {
				imb_seterr("epoch %d, batch %zu: the loss is not finite (%g): lower --lr?",
				           e + 1, b + 1, (double)loss);
				goto done;
			}
			for (size_t i = 0; i < n; i++) {
				int y = yh[i], ok = argmax(zh + i * (size_t)K, K) == y;
				correct += (size_t)ok;
				pacc[y] += ok;
				ploss[y] += lh[i];
				pn[y]++;
				lsum += lh[i];
			}
			seen += n;
			imb_progress(what, b + 1, nb);
		}
		imb_progress_done();
		double sec = imb_now() - t0;
		for (int k = 0; k < K; k++) {
			pacc[k] = pn[k] > 0 ? pacc[k] / pn[k] : NAN;
			ploss[k] = pn[k] > 0 ? ploss[k] / pn[k] : NAN;
		}
		double mloss = seen ? lsum / (double)seen : NAN, acc = seen ? (double)correct / seen : NAN;
		imb_val *ev = imb_val_map();
		imb_val_set_int(ev, "epoch", e + 1);
		imb_val_set_float(ev, "loss", mloss);
		imb_val_set_float(ev, "acc", acc);
		imb_val_set(ev, "per_class_acc", dbl_array(pacc, K));
		imb_val_set(ev, "per_class_loss", dbl_array(ploss, K));
		imb_val_set(ev, "per_class_n", dbl_array(pn, K));
		imb_val_set_float(ev, "lr", lr_now);
		imb_val_set_float(ev, "seconds", sec);
		imb_val_set_float(ev, "images_per_s", sec > 0 ? (double)seen / sec : 0);
		imb_val_push(epochs, ev);
		st.epochs = epochs;
		if (!o->quiet) {
			char line[1024];
			int p = snprintf(line, sizeof line, "epoch %d/%d loss %.4f acc %.4f per-class",
			                 e + 1, o->epochs, mloss, acc);
			for (int k = 0; k < K && p < (int)sizeof line - 64; k++)
				p += snprintf(line + p, sizeof line - (size_t)p, "%s%.3f", k ? "," : " ", pacc[k]);
			snprintf(line + p, sizeof line - (size_t)p, " lr %.4g %.1f s %.0f img/s", lr_now, sec,
			         sec > 0 ? (double)seen / sec : 0);
			imb_log("%s", line);
		}
		done_epochs = e + 1;
		if (o->checkpoint && ((o->checkpoint_every > 0 ? (e + 1) % o->checkpoint_every == 0 : 1)
		                      || e + 1 == last))
			if (checkpoint_write(&st, o->checkpoint, e + 1) < 0)
				goto done;
	}

	*model_out = imb_nn_frame_make(m, mean, std, params, train, t.counts, done_epochs);
	params = NULL;
	imb_frame *lf = imb_frame_new("log", "train");
	imb_val_set_str(lf->attrs, "model", "nn");
	imb_val_set_str(lf->attrs, "arch", arch);
	imb_val_set_int(lf->attrs, "threads", imb_nn_threads());
	imb_val_set(lf->attrs, "epochs", epochs);
	epochs = NULL;
	imb_val *h = imb_val_get(train->attrs, "history");
	if (h && h->t == IMB_V_ARR)
		imb_val_set(lf->attrs, "history", imb_val_copy(h));
	*log_out = lf;
	snprintf(summary, ssize, "%s: %zu parameters, %d epoch%s%s, %zu samples, %d thread%s, %.1f s",
	         arch, m->P, done_epochs - start, done_epochs - start == 1 ? "" : "s",
	         start ? " (resumed)" : "", t.N, imb_nn_threads(), imb_nn_threads() == 1 ? "" : "s",
	         imb_now() - t_all);
	r = 0;
done:
	free(pacc);
	free(ploss);
	free(pn);
	if (xb) {
		be->free(xb);
		be->free(yb);
		be->free(dz);
		be->free(ls);
	}
	free(order);
	free(xs);
	free(xa);
	free(xn);
	free(yh);
	free(zh);
	free(lh);
	imb_val_free(params);
	imb_val_free(epochs);
	imb_nn_optim_free(&opt);
	if (have_loss)
		imb_nn_loss_free(&L);
	imb_nn_model_free(m);
	imb_nn_loaded_free(&il);
	free(mean);
	free(std);
	tdata_free(&t);
	return r;
}
