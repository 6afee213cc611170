/* nn_flags.c: the shared table of network options (nn_flags.h). */
#include "nn_flags.h"
#include "cli.h"
#include "nn_checkpoint.h"
#include "util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_NONE, T_INT, T_DBL, T_STR, T_U64 } ftype;

typedef struct {
	const char *name;
	int has_arg;
	int shortc;             /* 0: long only */
	const char *argname;    /* in the help, or NULL */
	const char *help;       /* '\n' starts a continuation line */
	void (*set)(imb_nn_train_opts *o, const char *flag, const char *arg);
	const char *key;        /* attrs.params key, or NULL: not a setting */
	ftype type;             /* the field's type, at offset */
	size_t offset;
	int common;             /* also meaningful for other models */
	unsigned group;         /* IMB_NN_FLAGS_GENERAL, _STEP or _SAM */
} flag;

static int pick(const char *flag, const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return i;
	char known[256] = "";
	for (int i = 0; i < n; i++) {
		strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
		strncat(known, names[i], sizeof known - strlen(known) - 1);
	}
	imb_usage("%s: unknown value '%s' (known: %s)", flag, v, known);
}

#define SETTER(fn, stmt) \
	static void fn(imb_nn_train_opts *o, const char *flag, const char *arg) { stmt; }

static const char *const optimizers[] = {"sgd", "adamw", "lars"};
static const char *const samplers[] = {"plain", "balanced"};
static const char *const augments[] = {"none", "crop-flip", "simclr"};
static const char *const freezes[] = {"none", "backbone"};
static const char *const steps[] = {"plain", "sam"};
static const char *const precisions[] = {"fp32", "tf32", "bf16"};

SETTER(set_epochs, o->epochs = (int)imb_arg_long(flag, arg, 1, 1000000))
SETTER(set_batch, o->batch = (int)imb_arg_long(flag, arg, 2, 1 << 20))
SETTER(set_lr, o->lr = imb_arg_double(flag, arg, 0, 1e6))
SETTER(set_schedule, o->schedule = arg)
SETTER(set_warmup, o->warmup = imb_arg_double(flag, arg, 0, 1e6))
SETTER(set_optimizer, o->optimizer = (imb_nn_optim_kind)pick(flag, arg, optimizers, 3))
SETTER(set_trust, o->trust = imb_arg_double(flag, arg, 0, 1e3))
SETTER(set_momentum, o->momentum = imb_arg_double(flag, arg, 0, 0.999999))
SETTER(set_nesterov, o->nesterov = !arg || strcmp(arg, "0"))
SETTER(set_wd, o->weight_decay = imb_arg_double(flag, arg, 0, 1e3))
SETTER(set_gamma, o->focal_gamma = imb_arg_double(flag, arg, 0, 100))
SETTER(set_tau, o->tau = imb_arg_double(flag, arg, 0, 100))
SETTER(set_sampler, o->sampler = pick(flag, arg, samplers, 2) ? IMB_NN_SAMPLER_BALANCED
                                                             : IMB_NN_SAMPLER_PLAIN)
SETTER(set_augment, o->augment = (imb_nn_aug_mode)pick(flag, arg, augments, 3))
SETTER(set_init, o->init = 1)
SETTER(set_freeze, o->freeze_backbone = pick(flag, arg, freezes, 2))
SETTER(set_ckpt, o->checkpoint = arg)
SETTER(set_ckpt_every, o->checkpoint_every = (int)imb_arg_long(flag, arg, 1, 1000000))
SETTER(set_resume, o->resume = arg)
SETTER(set_stop, o->stop_after = (int)imb_arg_long(flag, arg, 1, 1000000))
SETTER(set_val, o->val_frame = arg)
SETTER(set_early, o->early_stopping = (int)imb_arg_long(flag, arg, 1, 1000000))
static const char *const early_metrics[] = {"logloss", "balanced_accuracy"};
SETTER(set_early_metric, o->early_metric = early_metrics[pick(flag, arg, early_metrics, 2)])
SETTER(set_seed, o->seed = imb_arg_seed(flag, arg))
SETTER(set_threads, o->threads = (int)imb_arg_long(flag, arg, 0, 4096))
SETTER(set_device, o->device = arg)
SETTER(set_precision, o->precision = precisions[pick(flag, arg, precisions, 3)])
SETTER(set_step, o->step = pick(flag, arg, steps, 2) ? IMB_NN_STEP_SAM : IMB_NN_STEP_PLAIN)
SETTER(set_rho, o->rho = imb_arg_double(flag, arg, 0, 1e3))
SETTER(set_adaptive, o->adaptive = !arg || strcmp(arg, "0"))
SETTER(set_rho_min, o->rho_minority = imb_arg_double(flag, arg, 0, 1e3))

/* --rho-class C:R, repeatable (or C:R,C:R): joined into one list that
 * o->rho_class points to; the classes are checked against the train set */
static void set_rho_class(imb_nn_train_opts *o, const char *flag, const char *arg)
{
	static char buf[4096];
	if (o->rho_class != buf)
		buf[0] = 0;
	char *list = imb_xstrdup(arg), *save = NULL;
	for (char *spec = strtok_r(list, ",", &save); spec; spec = strtok_r(NULL, ",", &save)) {
		char *colon = strrchr(spec, ':');
		if (!colon || colon == spec)
			imb_usage("%s %s: '%s' is not CLASS:RHO (a class name or index, a radius "
			          ">= 0)", flag, arg, spec);
		imb_arg_double(flag, colon + 1, 0, 1e3);
		if (strlen(buf) + strlen(spec) + 2 > sizeof buf)
			imb_usage("%s: too many class radii", flag);
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, spec);
	}
	if (!buf[0])
		imb_usage("%s: '%s' names no class (CLASS:RHO)", flag, arg);
	free(list);
	o->rho_class = buf;
}

static void set_loss(imb_nn_train_opts *o, const char *flag, const char *arg)
{
	if ((o->loss = imb_nn_loss_kind_parse(arg)) < 0)
		imb_usage("%s: unknown loss '%s' (known: ce, weighted-ce, focal, logit-adjusted, ldam)",
		          flag, arg);
}

#define F(field) offsetof(imb_nn_train_opts, field)

static const flag table[] = {
	{"epochs", 1, 'e', "N", "epochs (default 10)", set_epochs, "epochs", T_INT, F(epochs), 0, IMB_NN_FLAGS_GENERAL},
	{"batch-size", 1, 'b', "N", "batch size (default 128)", set_batch, "batch_size", T_INT,
	 F(batch), 0, IMB_NN_FLAGS_GENERAL},
	{"lr", 1, 'l', "X", "learning rate (default 0.1 sgd, 0.001 adamw)", set_lr, "lr", T_DBL,
	 F(lr), 0, IMB_NN_FLAGS_GENERAL},
	{"schedule", 1, 0, "S", "cosine (default), cosine:MIN_LR, step (x0.1 every\n"
	 "third of the epochs), step:EPOCHS:GAMMA, none;\nset per step", set_schedule, "schedule",
	 T_STR, F(schedule), 0, IMB_NN_FLAGS_GENERAL},
	{"warmup", 1, 0, "EPOCHS", "linear warm-up from lr/10 (default 0)", set_warmup, "warmup",
	 T_DBL, F(warmup), 0, IMB_NN_FLAGS_GENERAL},
	{"optimizer", 1, 0, "O", "sgd (default), adamw, or lars (SGD with each\nweight tensor's "
	 "step scaled by its trust ratio\neta ||w|| / (||g|| + wd ||w||); biases and BN\n"
	 "plain, without weight decay)", set_optimizer, "optimizer", T_INT, F(optimizer), 0,
	 IMB_NN_FLAGS_GENERAL},
	{"trust", 1, 0, "ETA", "LARS's trust coefficient (default 0.001)", set_trust, "trust",
	 T_DBL, F(trust), 0, IMB_NN_FLAGS_GENERAL},
	{"momentum", 1, 0, "X", "SGD and LARS momentum (default 0.9)", set_momentum, "momentum", T_DBL,
	 F(momentum), 0, IMB_NN_FLAGS_GENERAL},
	{"nesterov", 0, 0, NULL, "Nesterov momentum", set_nesterov, "nesterov", T_INT, F(nesterov),
	 0, IMB_NN_FLAGS_GENERAL},
	{"weight-decay", 1, 0, "X", "default 5e-4 (sgd), 0.01 (adamw, decoupled)", set_wd,
	 "weight_decay", T_DBL, F(weight_decay), 0, IMB_NN_FLAGS_GENERAL},
	{"loss", 1, 0, "L", "ce (default), weighted-ce (inverse class\nfrequency), focal, "
	 "logit-adjusted, ldam", set_loss, "loss", T_INT, F(loss), 0, IMB_NN_FLAGS_LABELS},
	{"focal-gamma", 1, 0, "X", "focal loss exponent (default 2)", set_gamma, "focal_gamma",
	 T_DBL, F(focal_gamma), 0, IMB_NN_FLAGS_LABELS},
	{"tau", 1, 0, "X", "logit adjustment strength (default 1)", set_tau, "tau", T_DBL, F(tau),
	 0, IMB_NN_FLAGS_LABELS},
	{"sampler", 1, 0, "S", "plain (default) or balanced (every class drawn\nequally often: "
	 "oversampling in the loader)", set_sampler, "sampler", T_INT, F(sampler), 0, IMB_NN_FLAGS_LABELS},
	{"augment", 1, 0, "A", "crop-flip (pad 4, random crop, horizontal flip),\nsimclr "
	 "(SimCLR's: resized crop, flip, colour\njitter, grayscale) or none; default crop-flip "
	 "for\nimages of at least 16x16, none otherwise", set_augment, "augment", T_INT,
	 F(augment), 0, IMB_NN_FLAGS_GENERAL},
	{"init", 0, 0, NULL, "start from the first network model frame in the\nstream "
	 "(fine-tuning); it is consumed. Another head\n(same backbone) keeps only the backbone",
	 set_init, NULL, T_NONE, 0, 0, IMB_NN_FLAGS_GENERAL},
	{"freeze", 1, 0, "backbone", "train only the last linear layer (linear probe)", set_freeze,
	 "freeze", T_INT, F(freeze_backbone), 0, IMB_NN_FLAGS_LABELS},
	{"checkpoint", 1, 0, "FILE", "write a checkpoint (atomically) every N epochs\n"
	 "(--checkpoint-every) and after the last epoch", set_ckpt, NULL, T_NONE, 0, 0, IMB_NN_FLAGS_GENERAL},
	{"checkpoint-every", 1, 0, "N", "epochs between checkpoints (default 1)", set_ckpt_every,
	 NULL, T_NONE, 0, 0, IMB_NN_FLAGS_GENERAL},
	{"resume", 1, 0, "FILE", "continue from a checkpoint: the same seed, data\nand threads "
	 "give the same model bytes. Settings\nnot given come from the checkpoint; one given\n"
	 "that differs from it is a usage error", set_resume, NULL, T_NONE, 0, 0, IMB_NN_FLAGS_GENERAL},
	{"stop-after", 1, 0, "N", "stop after epoch N (resume later)", set_stop, NULL, T_NONE, 0,
	 0, IMB_NN_FLAGS_GENERAL},
	{"val-frame", 1, 0, "NAME", "after each epoch, eval-mode accuracy and loss,\noverall and "
	 "per class, on the dataset frame NAME\n(forwarded unchanged): on the epoch line and in\n"
	 "the log frame (val_acc, val_per_class_acc, ...)", set_val, NULL, T_NONE, 0, 0, IMB_NN_FLAGS_LABELS},
	{"early-stopping", 1, 0, "N", "with --val-frame: stop once the validation\nmetric has "
	 "not improved for N epochs, and keep\nthe best epoch's weights (attrs.early_stopping\n"
	 "records it)", set_early, "early_stopping", T_INT, F(early_stopping), 0,
	 IMB_NN_FLAGS_LABELS},
	{"early-metric", 1, 0, "M", "what --early-stopping watches: logloss\n(default) or "
	 "balanced_accuracy", set_early_metric, "early_metric", T_STR, F(early_metric), 0,
	 IMB_NN_FLAGS_LABELS},
	{"step", 1, 0, "S", "plain (default) or sam: SAM's two passes (ascent\n"
	 "to w + e, the gradient there, back to w)", set_step, "step", T_INT, F(step), 0,
	 IMB_NN_FLAGS_STEP},
	{"rho", 1, 0, "R", "SAM's radius: ||e|| = R (default 0.05; 0: the\nplain step, bit for bit)",
	 set_rho, "rho", T_DBL, F(rho), 0, IMB_NN_FLAGS_SAM},
	{"adaptive", 0, 0, NULL, "ASAM: e = R T^2 g / ||T g||, T = |w| + 0.01,\nover every "
	 "parameter", set_adaptive, "adaptive", T_INT, F(adaptive), 0, IMB_NN_FLAGS_SAM},
	{"rho-minority", 1, 0, "R", "radius of every class whose train count is below\nthe median "
	 "count: its ascent terms are scaled by\nR / rho", set_rho_min, "rho_minority", T_DBL,
	 F(rho_minority), 0, IMB_NN_FLAGS_SAM},
	{"rho-class", 1, 0, "C:R", "radius R of class C (a name or an index);\nrepeatable, "
	 "after --rho-minority", set_rho_class, "rho_class", T_STR, F(rho_class), 0,
	 IMB_NN_FLAGS_SAM},
	{"seed", 1, 's', "N", "seed of a network's initialisation and loader\n(default 0)",
	 set_seed, "seed", T_U64, F(seed), 1, IMB_NN_FLAGS_GENERAL},
	{"threads", 1, 't', "N", "threads (default 0: one per core)", set_threads, NULL, T_NONE, 0,
	 1, IMB_NN_FLAGS_GENERAL},
	{"device", 1, 0, "D", "cpu (default), cuda (the first GPU) or cuda:N;\nthe same seed, "
	 "device and settings give the\nsame model bytes", set_device, NULL, T_NONE, 0, 0,
	 IMB_NN_FLAGS_GENERAL},
	{"precision", 1, 0, "P", "fp32 (default), tf32 or bf16: the arithmetic of\nmatrix products "
	 "and convolutions on a GPU\n(bf16 also holds activations in bfloat16;\nweights, gradients "
	 "and loss stay float32)", set_precision,
	 "precision", T_STR, F(precision), 0, IMB_NN_FLAGS_GENERAL},
};
#define NFLAGS ((int)(sizeof table / sizeof *table))
static_assert(sizeof table / sizeof *table <= IMB_NN_FLAGS_MAX, "nn_flags: the table is full");

static int id_of(int i)
{
	return table[i].shortc ? table[i].shortc : IMB_NN_FLAG_ID + i;
}

int imb_nn_flags_count(void)
{
	return NFLAGS;
}

int imb_nn_flags_options(struct option *out)
{
	for (int i = 0; i < NFLAGS; i++)
		out[i] = (struct option){ table[i].name, table[i].has_arg ? required_argument
		                                                          : no_argument, 0, id_of(i) };
	return NFLAGS;
}

void imb_nn_flags_getopt(struct option *opts, const struct option *own, int nown,
                         char *shortopts, size_t size, const char *own_short)
{
	memcpy(opts, own, (size_t)nown * sizeof *own);
	int n = nown + imb_nn_flags_options(opts + nown);
	opts[n] = (struct option){0, 0, 0, 0};
	snprintf(shortopts, size, "%s%s", own_short, imb_nn_flags_short());
}

const char *imb_nn_flags_finish(imb_nn_flags *fl, imb_nn_train_opts *o, const char *frame,
                                int model_given, int *code)
{
	static char buf[512];
	*code = 2;
	if (o->val_frame && !strcmp(o->val_frame, frame)) {
		snprintf(buf, sizeof buf, "--val-frame %s: the train frame itself", o->val_frame);
		return buf;
	}
	if (o->resume) {
		int64_t th;
		imb_val_free(fl->ck);
		fl->ck = NULL;
		if (imb_nn_checkpoint_settings(o->resume, &fl->ck, &th) < 0) {
			*code = 1;
			return imb_error();
		}
		const char *msg = imb_nn_flags_resume(fl, o, fl->ck, th, model_given);
		if (msg)
			return msg;
	}
	return imb_nn_train_check(o);
}

void imb_nn_flags_free(imb_nn_flags *fl)
{
	imb_val_free(fl->ck);
	fl->ck = NULL;
}

const char *imb_nn_flags_short(void)
{
	static char s[64];
	if (!s[0])
		for (int i = 0, p = 0; i < NFLAGS; i++)
			if (table[i].shortc) {
				s[p++] = (char)table[i].shortc;
				if (table[i].has_arg)
					s[p++] = ':';
			}
	return s;
}

int imb_nn_flags_parse(imb_nn_flags *fl, imb_nn_train_opts *o, int c, const char *arg)
{
	for (int i = 0; i < NFLAGS; i++)
		if (id_of(i) == c) {
			char flag[64];
			snprintf(flag, sizeof flag, "--%s", table[i].name);
			table[i].set(o, flag, arg);
			fl->given[i] = 1;
			fl->arg[i] = arg;
			return 1;
		}
	return 0;
}

static int find(const char *name)
{
	for (int i = 0; i < NFLAGS; i++)
		if (!strcmp(table[i].name, name))
			return i;
	return -1;
}

int imb_nn_flags_given(const imb_nn_flags *fl, const char *name)
{
	int i = find(name);
	return i >= 0 && fl->given[i];
}

const char *imb_nn_flags_first(const imb_nn_flags *fl)
{
	return imb_nn_flags_first_except(fl, NULL, 0);
}

const char *imb_nn_flags_first_except(const imb_nn_flags *fl, const char *const *skip,
                                      size_t nskip)
{
	for (int i = 0; i < NFLAGS; i++) {
		size_t k = 0;
		while (k < nskip && strcmp(skip[k], table[i].name))
			k++;
		if (fl->given[i] && !table[i].common && k == nskip)
			return table[i].name;
	}
	return NULL;
}

#define HELP_COL 27

char *imb_nn_flags_help(int common)
{
	return imb_nn_flags_help_groups(IMB_NN_FLAGS_ALL, common);
}

char *imb_nn_flags_help_groups(unsigned groups, int common)
{
	return imb_nn_flags_help_without(groups, common, NULL, 0);
}

char *imb_nn_flags_help_without(unsigned groups, int common, const char *const *skip,
                                size_t nskip)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	if (!fp)
		imb_die(1, "out of memory");
	for (int i = 0; i < NFLAGS; i++) {
		const flag *f = &table[i];
		if ((f->common && !common) || !(f->group & groups))
			continue;
		size_t k = 0;
		while (k < nskip && strcmp(skip[k], f->name))
			k++;
		if (k < nskip)
			continue;
		int n = f->shortc ? fprintf(fp, "  -%c, --%s", f->shortc, f->name)
		                  : fprintf(fp, "      --%s", f->name);
		if (f->argname)
			n += fprintf(fp, " %s", f->argname);
		fprintf(fp, "%*s", n < HELP_COL - 1 ? HELP_COL - n : 1, "");
		for (const char *p = f->help; *p; p++) {
			fputc(*p, fp);
			if (*p == '\n')
				fprintf(fp, "%*s", HELP_COL, "");
		}
		fputc('\n', fp);
	}
	fclose(fp);
	return buf;
}

/* ---- --resume: settings from the checkpoint ---- */

/* a params value as the text a flag would take */
static void val_text(const imb_val *v, char *buf, size_t size)
{
	if (v->t == IMB_V_STR)
		snprintf(buf, size, "%s", imb_val_as_str(v, ""));
	else if (v->t == IMB_V_INT)
		snprintf(buf, size, "%lld", (long long)imb_val_as_int(v, 0));
	else
		snprintf(buf, size, "%.17g", imb_val_as_double(v, 0));
}

static int same_field(const flag *f, const imb_nn_train_opts *a, const imb_nn_train_opts *b)
{
	const char *pa = (const char *)a + f->offset, *pb = (const char *)b + f->offset;
	switch (f->type) {
	case T_INT: return *(const int *)pa == *(const int *)pb;
	case T_DBL: return *(const double *)pa == *(const double *)pb;
	case T_U64: return *(const uint64_t *)pa == *(const uint64_t *)pb;
	case T_STR: return !strcmp(*(const char *const *)pa, *(const char *const *)pb);
	default: return 1;
	}
}

const char *imb_nn_flags_resume(const imb_nn_flags *fl, imb_nn_train_opts *o,
                                const imb_val *params, int64_t threads, int model_given)
{
	static char msg[512];
	const char *arch = imb_val_as_str(imb_val_get(params, "arch"), NULL);
	if (arch && !model_given) {
		o->arch = arch;
	} else if (arch && o->arch && strcmp(arch, o->arch)) {
		snprintf(msg, sizeof msg, "--model %s: the checkpoint %s trains %s; leave --model out "
		         "to take the checkpoint's", o->arch, o->resume, arch);
		return msg;
	}
	for (int i = 0; i < NFLAGS; i++) {
		const flag *f = &table[i];
		const imb_val *v = f->key ? imb_val_get(params, f->key) : NULL;
		if (!v)
			continue;
		char text[128], flag[64];
		val_text(v, text, sizeof text);
		snprintf(flag, sizeof flag, "--%s", f->name);
		imb_nn_train_opts b = *o;
		if (f->type == T_STR) {
			/* the text lives in params, which the caller keeps */
			*(const char **)((char *)&b + f->offset) = imb_val_as_str(v, "");
		} else if (f->has_arg) {
			f->set(&b, flag, text);
		} else {
			f->set(&b, flag, strcmp(text, "0") ? "1" : "0");
		}
		if (!fl->given[i]) {
			*o = b;
		} else if (!same_field(f, o, &b)) {
			if (f->type == T_DBL)
				snprintf(text, sizeof text, "%g", imb_val_as_double(v, 0));
			snprintf(msg, sizeof msg, "%s%s%s: the checkpoint %s was made with %s %s; leave "
			         "%s out to take the checkpoint's", flag, fl->arg[i] ? " " : "",
			         fl->arg[i] ? fl->arg[i] : "", o->resume, flag, text, flag);
			return msg;
		}
	}
	int ti = find("threads");
	if (!fl->given[ti] && threads > 0)
		o->threads = (int)threads;
	/* the validation frame: the same, or early stopping would watch another */
	const char *vf = imb_val_as_str(imb_val_get(params, "val_frame"), NULL);
	int vi = find("val-frame");
	if (vf && !fl->given[vi]) {
		o->val_frame = vf;
	} else if (vf && strcmp(vf, o->val_frame)) {
		snprintf(msg, sizeof msg, "--val-frame %s: the checkpoint %s was made with --val-frame "
		         "%s; leave --val-frame out to take the checkpoint's", o->val_frame, o->resume, vf);
		return msg;
	}
	/* a fine-tuning run (--init) resumes as one: the stream's model frame
	 * is consumed again (the checkpoint's weights then replace it) */
	if (imb_val_as_int(imb_val_get(params, "init"), 0) && !fl->given[find("init")])
		o->init = 1;
	/* the device the checkpoint ran on (its params hold the backend's
	 * name: cpu or cuda); a --device given is checked against it when
	 * the checkpoint is read */
	const char *dev = imb_val_as_str(imb_val_get(params, "device"), NULL);
	if (dev && !fl->given[find("device")] && strcmp(dev, "cpu"))
		o->device = dev;
	return NULL;
}
