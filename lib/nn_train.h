/* nn_train.h: the one training loop for networks, over parts.
 *
 * The loop (imb_nn_loop) owns the parts, each a small table of functions
 * in its own file, and runs epochs of batches through them:
 *
 *   data        nn_data.h: the train set, the sampler (plain or
 *               balanced), the augmentation list (crop, flip, normalise)
 *   objective   nn_objective.h: ce, weighted-ce, focal, logit-adjusted,
 *               ldam (nn_loss.h); class counts and priors from the train set
 *   optimiser   nn_optim.h: SGD (momentum, Nesterov, weight decay) or AdamW
 *   step        nn_step.h: plain (forward, objective, backward, update);
 *               nn_sam.h: SAM (ascent, second pass, restore, update), with
 *               a per-class radius and ASAM
 *   hooks       nn_hooks.h: validation on a frame, snapshots, per step and
 *               per epoch; nn_knn.h: the k-NN monitor
 *   checkpoint  nn_checkpoint.h: every part's state at an epoch boundary
 *
 *   schedule    constant, cosine[:MIN], step[:SIZE:GAMMA] with an optional
 *               linear warm-up, evaluated per step at the fractional epoch
 *               t = epoch + batch / batches (nn_optim.h's imb_nn_sched_lr)
 *
 * imb_nn_train builds the parts from the options and runs the loop; a
 * tool that trains differently calls imb_nn_loop_init, replaces or adds
 * parts, then imb_nn_loop_run and imb_nn_loop_finish:
 *
 *   imb_nn_loop L;
 *   if (imb_nn_loop_init(&L, train, init, &o) < 0) ...
 *   imb_nn_step_free(&L.step);            another step (o->step picks
 *   imb_nn_step_sam(&L.step, rho, 0, K, rho_c);   SAM already)
 *   imb_nn_hook h;                        snapshots every k epochs
 *   imb_nn_hook_snapshots(&h, k, 0, collect, &ctx);
 *   imb_nn_loop_add_hook(&L, &h);
 *   L.views = 2; (objective, optimiser, augmentation list: SimCLR's)
 *   L.lr_at = cyclical; (SGHMC's, nn_sghmc.h: with its optimiser and
 *                        the hook keeping the ensemble's members)
 *   if (imb_nn_loop_run(&L) < 0) ...      (--resume restores here)
 *   imb_nn_loop_finish(&L, &model, &log, summary, sizeof summary);
 *   imb_nn_loop_free(&L);
 *
 * Self-supervised (o->objective NT-Xent, imb-simclr): the data's labels
 * are not read; each batch holds two views of each sample (L->views 2,
 * through the augmentation list twice); the network has o->outputs
 * outputs (a projection head); with o->encoder the model frame keeps the
 * backbone alone.
 *
 * Inputs: a dataset frame with x (N,C,H,W) or (N,H,W) u8 images (scaled to
 * [0,1]) or (N,D) feature vectors of any dtype (shape (D,1,1), for linear
 * and mlp:).
 * Each channel (each feature for vectors) is normalised with the train
 * set's mean and standard deviation (an --init model's when fine-tuning);
 * the model frame stores them so prediction applies the same.
 *
 * One epoch: the sampler's order, in batches of `batch` (a last batch of
 * one sample is dropped: batch norm needs two); per batch gather and
 * augment (the list), then the step; then the epoch hooks. The epoch's
 * loss and accuracy, overall and per class, come from the training-mode
 * output of the batches as they were trained.
 *
 * Randomness, all from the seed: the initialisation draws from
 * imb_rng_seed(seed); the loader (sampler order, then each batch's
 * augmentation, in order) from imb_rng_seed(seed + 1). A checkpoint holds
 * the model, the optimiser state, the epoch log and the loader's generator
 * at an epoch boundary, so --resume continues bit for bit: the same seed,
 * data and thread count give the same final model bytes, interrupted or
 * not. */
#ifndef IMB_NN_TRAIN_H
#define IMB_NN_TRAIN_H

#include "nn_data.h"
#include "nn_hooks.h"
#include "nn_model.h"
#include "nn_objective.h"
#include "nn_optim.h"
#include "nn_step.h"
#include "rng.h"
#include "stream.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { IMB_NN_SAMPLER_PLAIN, IMB_NN_SAMPLER_BALANCED } imb_nn_sampler_kind;
typedef enum {
	IMB_NN_AUG_AUTO = -1, IMB_NN_AUG_NONE = 0, IMB_NN_AUG_CROP_FLIP = 1,
	IMB_NN_AUG_SIMCLR = 2       /* SimCLR's views: resized crop, flip, colour */
} imb_nn_aug_mode;
typedef enum { IMB_NN_STEP_PLAIN, IMB_NN_STEP_SAM } imb_nn_step_kind;
/* what is minimised: the CE family over labels (o->loss), or NT-Xent over
 * two views of each sample (self-supervised: labels are not read) */
typedef enum { IMB_NN_OBJ_XENT, IMB_NN_OBJ_NTXENT } imb_nn_objective_kind;

typedef struct {
	const char *arch;          /* NULL: the --init model's */
	int epochs;                /* default 10 */
	int batch;                 /* default 128 */
	double lr;                 /* < 0: 0.1 for SGD, 0.001 for AdamW */
	const char *schedule;      /* "cosine" (default), "step[:S:G]", "none" */
	double warmup;             /* epochs of linear warm-up, default 0 */
	imb_nn_optim_kind optimizer;  /* default SGD */
	double trust;              /* LARS's trust coefficient eta, default 0.001 */
	double momentum;           /* SGD, default 0.9 */
	int nesterov;
	double weight_decay;       /* < 0: 5e-4 for SGD, 0.01 for AdamW */
	int loss;                  /* imb_nn_loss_kind, default CE */
	double focal_gamma;        /* default 2 */
	double tau;                /* logit-adjusted, default 1 */
	imb_nn_sampler_kind sampler;
	imb_nn_aug_mode augment;   /* AUTO: crop-flip for images with H, W >= 16 */
	uint64_t seed;
	int threads;               /* 0: one per core */
	const char *device;        /* "cpu" (NULL: the same), "cuda", "cuda:N" */
	const char *precision;     /* "fp32" (NULL: the same), "tf32", "bf16" */
	int freeze_backbone;       /* train the head only (params[head..P)) */
	const char *checkpoint;    /* file, or NULL */
	int checkpoint_every;      /* epochs, default 1 when checkpoint is set */
	const char *resume;        /* checkpoint file to continue from, or NULL */
	int stop_after;            /* stop after this epoch (0: run all) */
	int quiet;                 /* no epoch lines on stderr */
	int init;                  /* start from a network model frame (--init) */
	const char *val_frame;     /* validate on the dataset frame of this name, or NULL */
	const imb_frame *val;      /* that frame, found by the caller (NULL: no validation) */
	int early_stopping;        /* > 0: stop when the validation metric has not
	                              improved for this many epochs, keeping the best
	                              epoch's weights (needs val_frame) */
	const char *early_metric;  /* "logloss" (default: val_loss, lower is better)
	                              or "balanced_accuracy" (the mean of the
	                              per-class accuracies, higher is better) */
	/* the step (nn_sam.h for SAM's settings) */
	imb_nn_step_kind step;     /* default plain */
	double rho;                /* SAM's radius; < 0: unset (0.05 with SAM) */
	int adaptive;              /* ASAM */
	double rho_minority;       /* radius of classes counted below the median; < 0: unset */
	const char *rho_class;     /* "C:R,C:R,...": radii of named classes, or NULL */
	/* self-supervised training (imb-simclr) */
	imb_nn_objective_kind objective;  /* default XENT */
	double temperature;        /* NT-Xent's, default 0.5 */
	int outputs;               /* the network's outputs; 0: the train set's classes */
	int proj_hidden;           /* NT-Xent: the projection head's hidden width, 0:
	                              4 x the backbone's features (SimCLR's 512-2048-128
	                              for resnet18), -1: none (a linear projection) */
	int encoder;               /* the model frame is an encoder: the backbone
	                              only (nn_frame.h), the head dropped */
	const char *monitor_frame; /* the k-NN monitor's labelled frame, or NULL */
	const imb_frame *monitor;  /* that frame, found by the caller (NULL: none) */
	int knn_k;                 /* its neighbours (0: 200) */
	double knn_t;              /* its temperature (0: 0.1) */
	int knn_every;             /* it runs every this many epochs and after the
	                              last (0: every epoch) */
} imb_nn_train_opts;

void imb_nn_train_opts_init(imb_nn_train_opts *o);
/* Validate the options before any data is read; NULL when fine, else a
 * message naming the flag (static storage). SAM's settings need --step
 * sam; a class radius needs rho > 0. */
const char *imb_nn_train_check(const imb_nn_train_opts *o);

/* Train on the dataset frame `train`, starting from the network model
 * frame `init` (NULL: a fresh initialisation). With init, the input shape
 * and architecture must match; a different class count keeps the backbone
 * and initialises a new last layer. On success *model is the model frame
 * (nn_frame.h) and *log a frame of kind "log", name "train", with
 * attrs.epochs = [{epoch, loss, acc, per_class_acc, per_class_loss,
 * per_class_n, lr, seconds, images_per_s}], one per epoch trained
 * (including those before a resume). Both carry the train frame's history
 * (the caller appends its own entry). summary gets a one-line account.
 * Returns 0; -1 with imb_error() for bad data, a bad init frame or
 * checkpoint, a --rho-class class the train set does not have, or a
 * failed checkpoint write. */
int imb_nn_train(const imb_frame *train, const imb_frame *init, const imb_nn_train_opts *o,
                 imb_frame **model, imb_frame **log, char *summary, size_t summary_size);

#define IMB_NN_AUG_PAD 4          /* crop-flip's padding */
#define IMB_NN_AUG_MAX 8
#define IMB_NN_HOOKS_MAX 8

/* The loop and its parts. Fields after "where it stands" are the loop's;
 * a tool may replace a part (free the old one first) or add hooks
 * between imb_nn_loop_init and imb_nn_loop_run. */
struct imb_nn_loop {
	const imb_nn_train_opts *o;
	imb_nn_data data;           /* the train set */
	imb_nn_model *m;
	float *mean, *std;          /* (C) the normalisation */
	imb_nn_sampler sampler;
	imb_nn_aug_op aug[IMB_NN_AUG_MAX];  /* the list, normalise last */
	int naug;
	int views;                  /* views of each sample per batch (1; 2 for pairs) */
	imb_nn_objective obj;
	imb_nn_optimizer opt;
	imb_nn_step step;
	imb_nn_hook hooks[IMB_NN_HOOKS_MAX];
	int nhooks;
	imb_nn_sched sched;
	/* the learning rate at fractional epoch t; NULL: imb_nn_sched_lr of
	 * sched (a cyclical schedule for SGHMC is another function here) */
	double (*lr_at)(const imb_nn_loop *L, double t);
	imb_rng rl;                 /* the loader's generator */
	imb_val *params;            /* attrs.params: every setting */
	imb_val *log;               /* the epoch entries so far */
	imb_val *before;            /* the k-NN monitor's entry before training, or NULL */
	uint64_t fingerprint;       /* of the train set */
	/* where it stands */
	int epoch;                  /* epochs done */
	int start;                  /* epochs done before this run (resume) */
	long step_n;                /* optimiser steps taken in this run and before */
	double lr;                  /* the learning rate of the last step */
	size_t B, nb;               /* batch size, batches per epoch */
	imb_nn_batch batch;         /* (B * views) rows, allocated by the first run */
	imb_nn_step_ctx ctx;
	size_t *order;
	double *acc, *acch;         /* (3+3K) the epoch's tally (the backend's
	                               tally op), backend and host */
	double t_all;
	int stop;                   /* a hook ends the training after this epoch
	                               (early stopping); kept by checkpoints */
};

/* Build the parts from o for dataset frame train, starting from network
 * model frame init (NULL: a fresh initialisation). With init, the input shape must match and the
 * architecture share the backbone (imb_nn_arch_same_backbone): the
 * backbone (params[0..head) and BN buffers) is copied, the whole block
 * when architecture and classes agree. With o->val, a validation hook.
 * The step is o->step's (SAM with its radii, nn_sam.h). 0, or -1 with
 * imb_error() (L is then freed). */
int imb_nn_loop_init(imb_nn_loop *L, const imb_frame *train, const imb_frame *init,
                     const imb_nn_train_opts *o);
/* Add a hook (taken: the loop frees it). 0, or -1 when full. */
int imb_nn_loop_add_hook(imb_nn_loop *L, const imb_nn_hook *h);
/* Run the epochs left (to o->stop_after or o->epochs), checkpointing as
 * o says. With o->resume, the first call restores every part from that
 * checkpoint first (nn_checkpoint.h), so a part a tool put in place or a
 * hook it added loads its own state. 0, or -1 with imb_error(). */
int imb_nn_loop_run(imb_nn_loop *L);
/* The model frame and the log frame (see imb_nn_train). */
void imb_nn_loop_finish(imb_nn_loop *L, imb_frame **model, imb_frame **log, char *summary,
                        size_t summary_size);
/* NULL-safe, idempotent. */
void imb_nn_loop_free(imb_nn_loop *L);

#ifdef __cplusplus
}
#endif

#endif
