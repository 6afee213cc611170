/* nn_train.c: the training loop for networks, over its parts (nn_train.h). */
#include "nn_train.h"
#include "cli.h"
#include "dataset.h"
#include "nn_backend.h"
#include "nn_checkpoint.h"
#include "nn_frame.h"
#include "nn_knn.h"
#include "nn_sam.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WARMUP_START 0.1   /* warm-up starts at base_lr * 0.1 */

void imb_nn_train_opts_init(imb_nn_train_opts *o)
{
	memset(o, 0, sizeof *o);
	o->epochs = 10;
	o->batch = 128;
	o->lr = -1;
	o->schedule = "cosine";
	o->precision = "fp32";
	o->optimizer = IMB_NN_OPT_SGD;
	o->momentum = 0.9;
	o->weight_decay = -1;
	o->loss = IMB_NN_LOSS_CE;
	o->focal_gamma = 2;
	o->tau = 1;
	o->sampler = IMB_NN_SAMPLER_PLAIN;
	o->augment = IMB_NN_AUG_AUTO;
	o->step = IMB_NN_STEP_PLAIN;
	o->rho = -1;
	o->rho_minority = -1;
	o->objective = IMB_NN_OBJ_XENT;
	o->trust = 0.001;
	o->temperature = 0.5;
	o->early_metric = "logloss";
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
	if (o->nesterov && (o->optimizer == IMB_NN_OPT_ADAMW || o->momentum <= 0)) {
		snprintf(errbuf, sizeof errbuf, "--nesterov needs --optimizer sgd or lars with "
		         "--momentum > 0");
		return errbuf;
	}
	if (o->checkpoint_every > 0 && !o->checkpoint) {
		snprintf(errbuf, sizeof errbuf, "--checkpoint-every needs --checkpoint FILE");
		return errbuf;
	}
	if (o->step != IMB_NN_STEP_SAM) {
		const char *f = o->rho >= 0 ? "--rho" : o->adaptive ? "--adaptive"
		                : o->rho_minority >= 0 ? "--rho-minority" : o->rho_class ? "--rho-class"
		                : NULL;
		if (f) {
			snprintf(errbuf, sizeof errbuf, "%s applies to --step sam (this run has --step "
			         "plain)", f);
			return errbuf;
		}
	} else if (o->rho == 0 && (o->rho_minority >= 0 || o->rho_class)) {
		snprintf(errbuf, sizeof errbuf, "%s needs --rho > 0: class c's ascent terms are "
		         "scaled by rho_c / rho", o->rho_minority >= 0 ? "--rho-minority" : "--rho-class");
		return errbuf;
	}
	if (o->outputs && o->objective != IMB_NN_OBJ_NTXENT) {
		snprintf(errbuf, sizeof errbuf, "an output width of its own (%d) is for NT-Xent; a "
		         "classifier has one output a class", o->outputs);
		return errbuf;
	}
	if (o->objective == IMB_NN_OBJ_NTXENT) {
		const char *f = o->sampler != IMB_NN_SAMPLER_PLAIN ? "--sampler balanced"
		                : o->step != IMB_NN_STEP_PLAIN ? "--step sam"
		                : o->freeze_backbone ? "--freeze backbone"
		                : o->loss != IMB_NN_LOSS_CE ? "--loss" : NULL;
		if (f) {
			snprintf(errbuf, sizeof errbuf, "%s: the NT-Xent objective reads no labels", f);
			return errbuf;
		}
		if (o->outputs < 1) {
			snprintf(errbuf, sizeof errbuf, "NT-Xent needs the network's output width");
			return errbuf;
		}
		if (!(o->temperature > 0)) {
			snprintf(errbuf, sizeof errbuf, "--temperature %g: must be > 0", o->temperature);
			return errbuf;
		}
		if (o->batch < 2) {
			snprintf(errbuf, sizeof errbuf, "--batch-size %d: NT-Xent needs at least 2 samples "
			         "a batch (each view's negatives are the other samples' views)", o->batch);
			return errbuf;
		}
	}
	if (o->early_stopping > 0 && !o->val_frame) {
		snprintf(errbuf, sizeof errbuf, "--early-stopping %d: needs --val-frame NAME (the "
		         "frame whose metric it watches)", o->early_stopping);
		return errbuf;
	}
	if (o->stop_after > o->epochs) {
		snprintf(errbuf, sizeof errbuf, "--stop-after %d: more than --epochs %d", o->stop_after,
		         o->epochs);
		return errbuf;
	}
	return NULL;
}


/* ---- options as attrs.params ---- */

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
	imb_val_set_str(p, "optimizer", o->optimizer == IMB_NN_OPT_ADAMW ? "adamw"
	                : o->optimizer == IMB_NN_OPT_LARS ? "lars" : "sgd");
	if (o->optimizer != IMB_NN_OPT_ADAMW) {
		imb_val_set_float(p, "momentum", o->momentum);
		imb_val_set_int(p, "nesterov", o->nesterov);
	}
	if (o->optimizer == IMB_NN_OPT_LARS)
		imb_val_set_float(p, "trust", o->trust);
	imb_val_set_float(p, "weight_decay", wd);
	if (o->objective == IMB_NN_OBJ_NTXENT) {
		/* "objective", not "loss": --loss and --resume read that key */
		imb_val_set_str(p, "objective", "nt-xent");
		imb_val_set_float(p, "temperature", o->temperature);
		imb_val_set_int(p, "outputs", o->outputs);
	} else {
		imb_val_set_str(p, "loss", imb_nn_loss_kind_name(o->loss));
	}
	if (o->loss == IMB_NN_LOSS_FOCAL)
		imb_val_set_float(p, "focal_gamma", o->focal_gamma);
	if (o->loss == IMB_NN_LOSS_LOGIT_ADJUSTED)
		imb_val_set_float(p, "tau", o->tau);
	if (o->loss == IMB_NN_LOSS_LDAM) {
		imb_val_set_float(p, "ldam_max_m", IMB_NN_LDAM_MAX_M);
		imb_val_set_float(p, "ldam_s", IMB_NN_LDAM_S);
	}
	imb_val_set_str(p, "sampler", o->sampler == IMB_NN_SAMPLER_BALANCED ? "balanced" : "plain");
	imb_val_set_str(p, "augment", aug == IMB_NN_AUG_SIMCLR ? "simclr" : aug ? "crop-flip"
	                : "none");
	if (aug == IMB_NN_AUG_CROP_FLIP)
		imb_val_set_int(p, "pad", IMB_NN_AUG_PAD);
	imb_val_set_int(p, "seed", (int64_t)o->seed);
	imb_val_set_str(p, "freeze", o->freeze_backbone ? "backbone" : "none");
	imb_val_set_int(p, "init", init);
	/* where and in what arithmetic: the same seed gives the same bytes
	 * only on the same device in the same precision */
	imb_val_set_str(p, "device", imb_nn_be()->name);
	imb_val_set_str(p, "precision", o->precision ? o->precision : "fp32");
	if (o->early_stopping > 0) {
		imb_val_set_int(p, "early_stopping", o->early_stopping);
		imb_val_set_str(p, "early_metric", o->early_metric);
	}
	return p;
}

/* ---- building the parts ---- */

/* m's last linear layer (K rows of weights, then K biases, at the end
 * of params) from src's with its rows reordered: row k = src's row
 * map[k] */
static void head_rows(imb_nn_model *m, const imb_nn_model *src, const int32_t *map)
{
	const imb_nn_backend *be = imb_nn_be();
	size_t K = (size_t)m->K, V = imb_nn_model_point_dim(m, IMB_NN_AT_LAST_LINEAR);
	size_t n = K * V + K, at = m->P - n;
	float *a = imb_xmalloc(n * sizeof *a), *b = imb_xmalloc(n * sizeof *b);
	be->download(a, src->params + at, n * sizeof *a);
	for (size_t k = 0; k < K; k++) {
		memcpy(b + k * V, a + (size_t)map[k] * V, V * sizeof *b);
		b[K * V + k] = a[K * V + (size_t)map[k]];
	}
	be->upload(m->params + at, b, n * sizeof *b);
	free(a);
	free(b);
}

/* the model: fresh, then the init model's backbone (or all of it) */
static int build_model(imb_nn_loop *L, const imb_frame *init, imb_rng *ri)
{
	const imb_nn_train_opts *o = L->o;
	const imb_nn_data *t = &L->data;
	imb_nn_loaded il = {0};
	char lb[128];
	int r = -1;
	const char *arch = o->arch;
	if (init) {
		imb_frame_label(init, lb, sizeof lb);
		if (imb_nn_frame_read_init(init, &il) < 0) {
			imb_preferr("--init: %s: ", lb);
			goto done;
		}
		if (!arch)
			arch = il.m->arch;
		if (!imb_nn_arch_same_backbone(arch, il.m->arch)) {
			imb_seterr("--init: %s holds %s, not --model %s", lb, il.m->arch, arch);
			goto done;
		}
		if (il.m->C != t->C || il.m->H != t->H || il.m->W != t->W) {
			imb_seterr("--init: %s takes inputs [%d, %d, %d]; %s has [%d, %d, %d]", lb, il.m->C,
			           il.m->H, il.m->W, t->lb, t->C, t->H, t->W);
			goto done;
		}
	}
	if (!arch) {
		imb_seterr("no architecture: give --model");
		goto done;
	}
	if (imb_frame_tensor(t->f, "x")->ndim == 2 && imb_nn_arch_flat(arch) != 1) {
		imb_seterr("%s: tensor x holds feature vectors (N,D); %s needs images (N,C,H,W): "
		           "use an mlp: or linear", t->lb, arch);
		goto done;
	}
	int K = o->outputs > 0 ? o->outputs : t->K;
	char full[256];
	if (o->objective == IMB_NN_OBJ_NTXENT && o->proj_hidden >= 0 && !strchr(arch, '+')) {
		/* the projection head on the backbone (an architecture with a
		 * head, as a checkpoint names it, is taken as it is): its width
		 * from the backbone's features F */
		size_t F, Pb, Bb;
		if (imb_nn_arch_backbone_size(arch, t->C, t->H, t->W, &F, &Pb, &Bb) < 0) {
			imb_preferr("%s: --model %s on inputs [%d, %d, %d]: ", t->lb, arch, t->C, t->H,
			            t->W);
			goto done;
		}
		size_t hid = o->proj_hidden > 0 ? (size_t)o->proj_hidden : 4 * F;
		snprintf(full, sizeof full, "%s+mlp:%zu", arch, hid);
		arch = full;
	}
	L->m = imb_nn_model_new(arch, t->C, t->H, t->W, K);
	if (!L->m) {
		imb_preferr("%s: --model %s on inputs [%d, %d, %d]: ", t->lb, arch, t->C, t->H, t->W);
		goto done;
	}
	imb_nn_model *m = L->m;
	imb_nn_model_init(m, ri);
	L->mean = imb_xmalloc((size_t)t->C * sizeof *L->mean);
	L->std = imb_xmalloc((size_t)t->C * sizeof *L->std);
	if (init) {
		/* the backbone (and its normalisation) from the init model; the
		 * head too when architecture and classes agree: the same names,
		 * matched by name (never by count), the last layer's rows put in
		 * the train set's order when it lists them in another */
		const imb_nn_backend *be = imb_nn_be();
		int whole = !il.encoder && !strcmp(arch, il.m->arch) && il.m->K == K;
		int32_t *map = NULL;
		if (whole && imb_dataset_class_map(t->f, imb_val_get(init->attrs, "classes"), il.m->K,
		                                   lb, &map) < 0)
			whole = 0;
		size_t np = whole ? m->P : m->head;
		be->copy(m->params, il.m->params, np * sizeof(float));
		if (whole && map)
			head_rows(m, il.m, map);
		free(map);
		size_t nb = m->B < il.m->B ? m->B : il.m->B;
		if (nb)
			be->copy(m->bufs, il.m->bufs, nb * sizeof(float));
		memcpy(L->mean, il.mean, (size_t)t->C * sizeof *L->mean);
		memcpy(L->std, il.std, (size_t)t->C * sizeof *L->std);
	} else {
		imb_nn_data_stats(t, L->mean, L->std);
	}
	r = 0;
done:
	imb_nn_loaded_free(&il);
	return r;
}

/* SimCLR's CIFAR augmentation (Chen et al. 2020, appendix B.9), as
 * torchvision composes it: RandomResizedCrop(scale 0.08-1, ratio 3/4-4/3),
 * RandomHorizontalFlip, RandomApply(ColorJitter(0.4, 0.4, 0.4, 0.1),
 * p=0.8), RandomGrayscale(p=0.2); colour only for three channels */
static int simclr_list(imb_nn_loop *L)
{
	const imb_nn_data *t = &L->data;
	if (!t->xu8) {
		imb_seterr("--augment simclr: %s holds %s, not u8 images (N,C,H,W) or (N,H,W)", t->lb,
		           t->H > 1 ? "float images" : "feature vectors");
		return -1;
	}
	L->aug[L->naug++] = imb_nn_aug_resized_crop(0.08f, 1.0f, 3.0f / 4, 4.0f / 3);
	L->aug[L->naug++] = imb_nn_aug_flip();
	if (t->C == 3) {
		L->aug[L->naug++] = imb_nn_aug_color_jitter(0.4f, 0.4f, 0.4f, 0.1f, 0.8f, 255);
		L->aug[L->naug++] = imb_nn_aug_grayscale(0.2f);
	}
	return 0;
}

/* the k-NN monitor on o->monitor, the train set its bank; and its
 * figures for the network as it starts (a fresh run), for the log */
static int monitor_hook(imb_nn_loop *L)
{
	const imb_nn_data *t = &L->data;
	if (!t->y) {
		imb_seterr("--monitor-frame: %s has no labels (the k-NN monitor's neighbours are the "
		           "train set's labelled samples)", t->lb);
		return -1;
	}
	imb_nn_hook h;
	char tl[300];
	imb_frame_label(t->f, tl, sizeof tl);
	if (imb_nn_hook_knn(&h, L->o->monitor, t, L->o->knn_k, L->o->knn_t, tl) < 0)
		return -1;
	h.every = L->o->knn_every;
	if (imb_nn_loop_add_hook(L, &h) < 0)
		return -1;
	if (L->o->resume)
		return 0;
	imb_nn_hook *k = &L->hooks[L->nhooks - 1];
	char line[2048] = "k-NN monitor before training:";
	L->before = imb_val_map();
	if (k->on_epoch(k, L, L->before, line, sizeof line) < 0)
		return -1;
	if (!L->o->quiet)
		imb_log("%s", line);
	return 0;
}

int imb_nn_loop_add_hook(imb_nn_loop *L, const imb_nn_hook *h)
{
	if (L->nhooks == IMB_NN_HOOKS_MAX)
		return imb_seterr("too many hooks (%d)", IMB_NN_HOOKS_MAX);
	L->hooks[L->nhooks++] = *h;
	return 0;
}

int imb_nn_loop_init(imb_nn_loop *L, const imb_frame *train, const imb_frame *init,
                     const imb_nn_train_opts *o)
{
	memset(L, 0, sizeof *L);
	L->o = o;
	L->log = imb_val_arr();
	const char *msg = imb_nn_train_check(o);
	if (msg) {
		imb_seterr("%s", msg);
		goto fail;
	}
	if (o->threads > 0)
		imb_nn_be()->set_threads(o->threads);
	if (o->checkpoint) {    /* fail before training, not after an epoch */
		char *d = imb_xstrdup(o->checkpoint), *sl = strrchr(d, '/');
		const char *dir = sl ? (sl == d ? "/" : (*sl = 0, d)) : ".";
		int ok = access(dir, W_OK | X_OK) == 0;
		int e = errno;
		if (!ok)
			imb_seterr("--checkpoint %s: cannot write in %s: %s", o->checkpoint, dir, strerror(e));
		free(d);
		if (!ok)
			goto fail;
	}
	imb_nn_data *t = &L->data;
	int ssl = o->objective == IMB_NN_OBJ_NTXENT;
	if (imb_nn_data_init(t, train, !ssl) < 0)
		goto fail;
	imb_rng ri;
	imb_rng_seed(&ri, o->seed);
	imb_rng_seed(&L->rl, o->seed + 1);
	if (build_model(L, init, &ri) < 0)
		goto fail;
	imb_nn_model *m = L->m;
	/* the data: sampler, augmentation list (normalise last) */
	int aug = o->augment == IMB_NN_AUG_AUTO ? (t->H >= 16 && t->W >= 16) : o->augment;
	if (aug && (t->H < 2 || t->W < 2)) {
		imb_seterr("--augment %s: %s holds feature vectors, not images",
		           aug == IMB_NN_AUG_SIMCLR ? "simclr" : "crop-flip", t->lb);
		goto fail;
	}
	L->sampler = o->sampler == IMB_NN_SAMPLER_BALANCED ? imb_nn_sampler_balanced
	                                                    : imb_nn_sampler_plain;
	if (aug == IMB_NN_AUG_SIMCLR) {
		if (simclr_list(L) < 0)
			goto fail;
	} else if (aug) {
		L->aug[L->naug++] = imb_nn_aug_crop(IMB_NN_AUG_PAD);
		L->aug[L->naug++] = imb_nn_aug_flip();
	}
	L->aug[L->naug++] = imb_nn_aug_normalize(L->mean, L->std, imb_nn_data_scale(t));
	/* the objective */
	if (ssl) {
		if (imb_nn_objective_ntxent(&L->obj, o->outputs, (float)o->temperature) < 0)
			goto fail;
	} else if (imb_nn_objective_xent(&L->obj, (imb_nn_loss_kind)o->loss, t->K, t->counts,
	                                 (float)o->focal_gamma, (float)o->tau) < 0) {
		imb_preferr("%s: --loss %s: ", t->lb, imb_nn_loss_kind_name(o->loss));
		goto fail;
	}
	/* the optimiser, over the whole block or only the head */
	size_t off = o->freeze_backbone ? m->head : 0, P = m->P - off;
	double lr = o->lr >= 0 ? o->lr : o->optimizer == IMB_NN_OPT_ADAMW ? 1e-3 : 0.1;
	double wd = o->weight_decay >= 0 ? o->weight_decay
	            : o->optimizer == IMB_NN_OPT_ADAMW ? 0.01 : 5e-4;
	int orc;
	if (o->optimizer == IMB_NN_OPT_LARS) {
		/* the parameter tensors trained, each adapted to its own norm */
		size_t nseg = imb_nn_model_segments(m, off, NULL, 0);
		imb_nn_segment *seg = imb_xmalloc((nseg ? nseg : 1) * sizeof *seg);
		imb_nn_model_segments(m, off, seg, nseg);
		orc = imb_nn_optimizer_lars(&L->opt, P, seg, nseg, (float)lr, (float)o->momentum,
		                            (float)wd, (float)o->trust, o->nesterov);
		free(seg);
	} else if (o->optimizer == IMB_NN_OPT_ADAMW) {
		orc = imb_nn_optimizer_adamw(&L->opt, P, (float)lr, (float)wd);
	} else {
		orc = imb_nn_optimizer_sgd(&L->opt, P, (float)lr, (float)o->momentum, (float)wd,
		                           o->nesterov);
	}
	if (orc < 0) {
		imb_preferr("optimiser: ");
		goto fail;
	}
	char spec[128];
	sched_spec(o, spec, sizeof spec);
	if (imb_nn_sched_parse(&L->sched, spec, lr, o->epochs) < 0)
		goto fail;
	L->sched.warmup = o->warmup;
	L->sched.warmup_start = WARMUP_START;
	L->lr = lr;
	L->step = imb_nn_step_plain;
	L->params = params_val(o, m->arch, aug, lr, wd, init != NULL);
	if (o->step == IMB_NN_STEP_SAM) {
		double *rc = imb_xmalloc((size_t)t->K * sizeof *rc);
		double rho = o->rho >= 0 ? o->rho : IMB_NN_SAM_RHO;
		if (imb_nn_sam_radii(rc, o, t) < 0 ||
		    imb_nn_step_sam(&L->step, rho, o->adaptive, t->K, rc) < 0) {
			free(rc);
			goto fail;
		}
		/* only with SAM: a plain run's params (and its checkpoints) stay
		 * as they were before there was a choice */
		imb_val_set_str(L->params, "step", "sam");
		imb_val_set_float(L->params, "rho", rho);
		imb_val_set_int(L->params, "adaptive", o->adaptive);
		if (o->adaptive)
			imb_val_set_float(L->params, "asam_eta", IMB_NN_ASAM_ETA);
		if (o->rho_minority >= 0)
			imb_val_set_float(L->params, "rho_minority", o->rho_minority);
		if (o->rho_class)
			imb_val_set_str(L->params, "rho_class", o->rho_class);
		imb_val_set(L->params, "rho_per_class", imb_val_float_array(rc, (size_t)t->K));
		free(rc);
	}
	L->fingerprint = imb_nn_data_fingerprint(train);
	/* hooks */
	if (o->val) {
		imb_nn_hook h;
		char tl[300];
		imb_frame_label(t->f, tl, sizeof tl);
		if (imb_nn_hook_val(&h, o->val, t->D, t->K, imb_val_get(t->f->attrs, "classes"),
		                    tl) < 0)
			goto fail;
		imb_nn_loop_add_hook(L, &h);
		if (o->early_stopping > 0) {
			imb_nn_hook_early(&h, o->early_stopping, o->early_metric, m->P, m->B);
			imb_nn_loop_add_hook(L, &h);
		}
	}
	if (o->monitor && monitor_hook(L) < 0)
		goto fail;
	L->B = (size_t)o->batch < t->N ? (size_t)o->batch : t->N;
	L->nb = (t->N + L->B - 1) / L->B;
	if (t->N % L->B == 1)
		L->nb--;      /* a last batch of one: dropped (batch norm needs two) */
	L->views = ssl ? 2 : 1;
	L->ctx = (imb_nn_step_ctx){ m, &L->obj, &L->opt, off, o->freeze_backbone, NULL, NULL, NULL };
	return 0;
fail:
	imb_nn_loop_free(L);
	return -1;
}

void imb_nn_loop_free(imb_nn_loop *L)
{
	if (!L)
		return;
	const imb_nn_backend *be = imb_nn_be();
	for (int i = 0; i < L->nhooks; i++)
		imb_nn_hook_free(&L->hooks[i]);
	void *dev[] = { L->ctx.dout, L->ctx.losses, L->ctx.loss, L->acc };
	for (size_t k = 0; k < IMB_LEN(dev); k++)
		if (dev[k])
			be->free(dev[k]);
	imb_nn_batch_free(&L->batch);
	free(L->order);
	free(L->acch);
	imb_val_free(L->params);
	imb_val_free(L->log);
	imb_val_free(L->before);
	imb_nn_step_free(&L->step);
	imb_nn_optimizer_free(&L->opt);
	imb_nn_objective_free(&L->obj);
	imb_nn_model_free(L->m);
	free(L->mean);
	free(L->std);
	imb_nn_data_free(&L->data);
	memset(L, 0, sizeof *L);
}

/* ---- the loop ---- */

/* buffers for the parts as they are now: the batch, the step's, the tally */
static void buffers(imb_nn_loop *L)
{
	const imb_nn_backend *be = imb_nn_be();
	size_t rows = L->B * (size_t)(L->views > 0 ? L->views : 1), K = (size_t)L->obj.K;
	size_t nacc = 3 + 3 * (size_t)L->data.K;
	if (L->batch.x && L->batch.cap >= rows && L->ctx.dout)
		return;
	imb_nn_batch_free(&L->batch);
	void *dev[] = { L->ctx.dout, L->ctx.losses, L->ctx.loss, L->acc };
	for (size_t k = 0; k < IMB_LEN(dev); k++)
		if (dev[k])
			be->free(dev[k]);
	free(L->order);
	free(L->acch);
	imb_nn_batch_init(&L->batch, &L->data, rows);
	L->ctx.dout = be->alloc(rows * K * sizeof(float));
	L->ctx.losses = be->alloc(rows * sizeof(float));
	L->ctx.loss = be->alloc(sizeof(float));
	L->acc = be->alloc(nacc * sizeof *L->acc);
	L->order = imb_xmalloc(L->data.N * sizeof *L->order);
	L->acch = imb_xmalloc(nacc * sizeof *L->acch);
}

/* the epoch's account, read from the backend's tally at its end */
typedef struct {
	int classify;              /* per-class accuracy from the output, or none */
	double lsum, seen, correct;
	double *acc, *loss, *n;    /* (K) per class */
} tally;

static void tally_read(imb_nn_loop *L, tally *T)
{
	int K = L->data.K;
	imb_nn_be()->download(L->acch, L->acc, (3 + 3 * (size_t)K) * sizeof *L->acch);
	const double *a = L->acch;
	T->lsum = a[0];
	T->seen = a[2];
	T->correct = 0;
	for (int k = 0; k < K; k++) {
		T->acc[k] = a[3 + k];
		T->loss[k] = a[3 + K + k];
		T->n[k] = a[3 + 2 * K + k];
		T->correct += a[3 + k];
	}
}

static int epoch_end(imb_nn_loop *L, tally *T, double sec)
{
	const imb_nn_train_opts *o = L->o;
	int K = L->data.K, e = L->epoch;
	for (int k = 0; k < K; k++) {
		T->acc[k] = T->n[k] > 0 && T->classify ? T->acc[k] / T->n[k] : NAN;
		T->loss[k] = T->n[k] > 0 ? T->loss[k] / T->n[k] : NAN;
	}
	double mloss = T->seen ? T->lsum / T->seen : NAN;
	double acc = T->seen && T->classify ? T->correct / T->seen : NAN;
	double ips = sec > 0 ? T->seen / sec : 0;
	imb_val *ev = imb_val_map();
	imb_val_set_int(ev, "epoch", e);
	imb_val_set_float(ev, "loss", mloss);
	imb_val_set_float(ev, "acc", acc);
	imb_val_set(ev, "per_class_acc", imb_val_float_array(T->acc, (size_t)K));
	imb_val_set(ev, "per_class_loss", imb_val_float_array(T->loss, (size_t)K));
	imb_val_set(ev, "per_class_n", imb_val_float_array(T->n, (size_t)K));
	imb_val_set_float(ev, "lr", L->lr);
	imb_val_set_float(ev, "seconds", sec);
	imb_val_set_float(ev, "images_per_s", ips);
	char line[2048];
	int p = snprintf(line, sizeof line, "epoch %d/%d loss %.4f", e, o->epochs, mloss);
	if (T->classify)
		p += snprintf(line + p, sizeof line - (size_t)p, " acc %.4f per-class", acc);
	for (int k = 0; k < K && T->classify && p < (int)sizeof line / 2 - 64; k++)
		p += snprintf(line + p, sizeof line - (size_t)p, "%s%.3f", k ? "," : " ", T->acc[k]);
	int r = 0;
	int last = o->stop_after > 0 ? o->stop_after : o->epochs;
	for (int i = 0; i < L->nhooks && r == 0; i++) {
		const imb_nn_hook *h = &L->hooks[i];
		if (h->on_epoch && (h->every <= 1 || e % h->every == 0 || e == last))
			r = L->hooks[i].on_epoch(&L->hooks[i], L, ev, line, sizeof line - 64);
	}
	imb_val_push(L->log, ev);
	if (r < 0)
		return -1;
	if (!o->quiet) {
		p = (int)strlen(line);
		snprintf(line + p, sizeof line - (size_t)p, " lr %.4g %.1f s %.0f img/s", L->lr, sec, ips);
		imb_log("%s", line);
	}
	return 0;
}

int imb_nn_loop_run(imb_nn_loop *L)
{
	const imb_nn_train_opts *o = L->o;
	const imb_nn_backend *be = imb_nn_be();
	const imb_nn_data *t = &L->data;
	int K = t->K, last = o->stop_after > 0 ? o->stop_after : o->epochs, r = -1;
	if (o->resume && !L->start) {
		/* the parts as the tool left them: its optimiser and hooks load
		 * their own state */
		int start = imb_nn_checkpoint_read(L, o->resume);
		if (start < 0)
			return -1;
		L->epoch = L->start = start;
	}
	tally T = { 0, 0, 0, 0, imb_xmalloc((size_t)K * sizeof(double)),
	            imb_xmalloc((size_t)K * sizeof(double)), imb_xmalloc((size_t)K * sizeof(double)) };
	buffers(L);
	L->t_all = imb_now();
	/* per-class accuracy from the output when it is one logit per class */
	int classify = L->batch.yh && L->obj.needs_labels && L->obj.K == K && L->views == 1;
	T.classify = classify;
	/* the tally stays with the backend; the host reads it every CHECK
	 * batches (a finite loss) and at the epoch's end, so a GPU does not
	 * wait for the host at every step */
	enum { CHECK = 16 };
	for (int e = L->epoch; e < last && !L->stop; e++) {
		double t0 = imb_now();
		be->zero((float *)L->acc, (3 + 3 * (size_t)K) * 2);   /* doubles: two floats each */
		size_t ndraw = L->sampler.order(&L->sampler, L->order, t, &L->rl);
		size_t nb = ndraw == t->N ? L->nb : (ndraw + L->B - 1) / L->B - (ndraw % L->B == 1);
		char what[64], note[48] = "";   /* note: the epoch's running loss */
		snprintf(what, sizeof what, "epoch %d/%d", e + 1, o->epochs);
		for (size_t b = 0; b < nb; b++) {
			size_t at = b * L->B, n = ndraw - at < L->B ? ndraw - at : L->B;
			be->mark_step((long)n);   /* a step's ops, data to tally (nn_backend.h) */
			imb_nn_data_gather_views(t, &L->batch, L->order + at, n, L->views, L->aug, L->naug,
			                         &L->rl);
			double te = e + (double)b / (double)nb;
			L->lr = L->lr_at ? L->lr_at(L, te) : imb_nn_sched_lr(&L->sched, te);
			imb_nn_step_out so = {0};
			int ran = L->step.run(&L->step, &L->ctx, &L->batch, (float)L->lr, &so) == 0;
			if (ran)
				be->tally(L->acc, so.loss, classify ? so.losses : NULL,
				          classify ? so.out : NULL, classify ? L->batch.y : NULL, (int)n, K);
			be->mark_step(-1);
			if (!ran)
				goto done;
			L->step_n++;
			if ((b + 1) % CHECK == 0 || b + 1 == nb) {
				/* the tally's head: loss sum, non-finite batches, samples */
				double head[3];
				be->download(head, L->acc, sizeof head);
				double bad = head[1];
				if (head[2] > 0)
					snprintf(note, sizeof note, "loss %.4f", head[0] / head[2]);
				if (bad > 0) {
					imb_seterr("epoch %d, batch %zu: the loss is not finite (in %.0f of the "
					           "last %zu batches): lower --lr?", e + 1, b + 1, bad,
					           b % CHECK + 1);
					goto done;
				}
			}
			for (int i = 0; i < L->nhooks; i++)
				if (L->hooks[i].on_step && L->hooks[i].on_step(&L->hooks[i], L) < 0)
					goto done;
			imb_progress_note(what, b + 1, nb, note[0] ? note : NULL);
		}
		imb_progress_done();
		tally_read(L, &T);
		L->epoch = e + 1;
		if (epoch_end(L, &T, imb_now() - t0) < 0)
			goto done;
		if (o->checkpoint && ((o->checkpoint_every > 0 ? L->epoch % o->checkpoint_every == 0 : 1)
		                      || L->epoch == last || L->stop))
			if (imb_nn_checkpoint_write(L, o->checkpoint) < 0)
				goto done;
	}
	/* the training is over (not paused by --stop-after): the hooks' last word */
	if (L->stop || L->epoch >= o->epochs)
		for (int i = 0; i < L->nhooks; i++)
			if (L->hooks[i].on_end && L->hooks[i].on_end(&L->hooks[i], L) < 0)
				goto done;
	r = 0;
done:
	free(T.acc);
	free(T.loss);
	free(T.n);
	return r;
}

void imb_nn_loop_finish(imb_nn_loop *L, imb_frame **model, imb_frame **log, char *summary,
                        size_t ssize)
{
	const imb_frame *train = L->data.f;
	if (L->o->encoder) {
		/* the backbone's name: the architecture before its head */
		char *bb = imb_xstrdup(L->m->arch), *plus = strchr(bb, '+');
		if (plus)
			*plus = 0;
		imb_val *info = imb_val_map();
		imb_val_set_str(info, "method", L->o->objective == IMB_NN_OBJ_NTXENT ? "simclr"
		                : "supervised");
		imb_val_set_int(info, "features",
		                (int64_t)imb_nn_model_point_dim(L->m, IMB_NN_AT_FEATURES));
		imb_val_set_str(info, "head", plus ? plus + 1 : "linear");
		imb_val_set_int(info, "outputs", L->m->K);
		*model = imb_nn_encoder_frame_make(L->m, bb, L->mean, L->std, L->params, info, train,
		                                   L->data.N, L->epoch);
		free(bb);
	} else {
		*model = imb_nn_frame_make(L->m, L->mean, L->std, L->params, train, L->data.counts,
		                           L->epoch);
	}
	L->params = NULL;
	imb_frame *lf = imb_frame_new("log", "train");
	for (int i = 0; i < L->nhooks; i++) {
		imb_val *es = imb_nn_hook_early_report(&L->hooks[i], L);
		if (es) {
			imb_val_set(lf->attrs, "early_stopping", imb_val_copy(es));
			imb_val_set((*model)->attrs, "early_stopping", es);
		}
	}
	imb_val_set_str(lf->attrs, "model", L->m->arch);
	imb_val_set_str(lf->attrs, "arch", L->m->arch);
	imb_val_set_int(lf->attrs, "threads", imb_nn_threads());
	imb_val_set(lf->attrs, "epochs", L->log);
	L->log = NULL;
	if (L->before) {
		imb_val_set(lf->attrs, "before", L->before);
		L->before = NULL;
	}
	imb_val *h = imb_val_get(train->attrs, "history");
	if (h && h->t == IMB_V_ARR)
		imb_val_set(lf->attrs, "history", imb_val_copy(h));
	/* the split's settings, so that curves of many runs group by them */
	const imb_val *sp = imb_val_get(train->attrs, "split");
	if (sp && sp->t == IMB_V_MAP)
		imb_val_set(lf->attrs, "split", imb_val_copy(sp));
	*log = lf;
	int n = L->epoch - L->start;
	snprintf(summary, ssize, "%s: %zu parameters, %d epoch%s%s, %zu samples, %d thread%s, %.1f s",
	         L->m->arch, L->m->P, n, n == 1 ? "" : "s", L->start ? " (resumed)" : "", L->data.N,
	         imb_nn_threads(), imb_nn_threads() == 1 ? "" : "s", imb_now() - L->t_all);
}

int imb_nn_train(const imb_frame *train, const imb_frame *init, const imb_nn_train_opts *o,
                 imb_frame **model, imb_frame **log, char *summary, size_t ssize)
{
	*model = *log = NULL;
	imb_nn_loop L;
	if (imb_nn_loop_init(&L, train, init, o) < 0)
		return -1;
	int r = imb_nn_loop_run(&L);
	if (r == 0)
		imb_nn_loop_finish(&L, model, log, summary, ssize);
	imb_nn_loop_free(&L);
	return r;
}
