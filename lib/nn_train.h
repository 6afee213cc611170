/* nn_train.h: the one training loop for networks, with pluggable parts.
 *
 *   optimiser   SGD (momentum, Nesterov, weight decay) or AdamW (nn_optim.h)
 *   objective   ce, weighted-ce, focal, logit-adjusted, ldam (nn_loss.h);
 *               class counts and priors come from the train set
 *   sampler     plain: a fresh permutation of the train set each epoch;
 *               balanced: oversampling inside the loader, N draws per epoch
 *               split evenly over the classes present (quotas differ by at
 *               most one), each class cycling through shuffled passes of its
 *               samples, the whole order then shuffled
 *   schedule    constant, cosine[:MIN], step[:SIZE:GAMMA] with an optional
 *               linear warm-up, evaluated per step at the fractional epoch
 *               t = epoch + batch / batches (nn_optim.h's imb_nn_sched_lr)
 *   augment     none, or crop-flip (pad 4, random crop, horizontal flip)
 *
 * Inputs: a dataset frame with x (N,C,H,W) or (N,H,W) u8 images (scaled to
 * [0,1]) or (N,D) feature vectors of any dtype (shape (D,1,1), for mlp:).
 * Each channel (each feature for vectors) is normalised with the train
 * set's mean and standard deviation (an --init model's when fine-tuning);
 * the model frame stores them so prediction applies the same.
 *
 * One epoch: the sampler's order, in batches of `batch` (a last batch of
 * one sample is dropped: batch norm needs two); per batch gather, augment,
 * normalise, forward (train mode), loss, backward, optimiser step. The
 * epoch's loss and accuracy, overall and per class, come from the
 * training-mode logits of the batches as they were trained.
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

#include "nn_optim.h"
#include "rng.h"
#include "stream.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { IMB_NN_SAMPLER_PLAIN, IMB_NN_SAMPLER_BALANCED } imb_nn_sampler;
typedef enum { IMB_NN_AUG_AUTO = -1, IMB_NN_AUG_NONE = 0, IMB_NN_AUG_CROP_FLIP = 1 } imb_nn_aug_mode;

typedef struct {
	const char *arch;          /* NULL: the --init model's */
	int epochs;                /* default 10 */
	int batch;                 /* default 128 */
	double lr;                 /* < 0: 0.1 for SGD, 0.001 for AdamW */
	const char *schedule;      /* "cosine" (default), "step[:S:G]", "none" */
	double warmup;             /* epochs of linear warm-up, default 0 */
	imb_nn_optim_kind optimizer;  /* default SGD */
	double momentum;           /* SGD, default 0.9 */
	int nesterov;
	double weight_decay;       /* < 0: 5e-4 for SGD, 0.01 for AdamW */
	int loss;                  /* imb_nn_loss_kind, default CE */
	double focal_gamma;        /* default 2 */
	double tau;                /* logit-adjusted, default 1 */
	imb_nn_sampler sampler;
	imb_nn_aug_mode augment;   /* AUTO: crop-flip for images with H, W >= 16 */
	uint64_t seed;
	int threads;               /* 0: one per core */
	int freeze_backbone;       /* train the last linear layer only */
	const char *checkpoint;    /* file, or NULL */
	int checkpoint_every;      /* epochs, default 1 when checkpoint is set */
	const char *resume;        /* checkpoint file to continue from, or NULL */
	int stop_after;            /* stop after this epoch (0: run all) */
	int quiet;                 /* no epoch lines on stderr */
} imb_nn_train_opts;

void imb_nn_train_opts_init(imb_nn_train_opts *o);
/* Validate the options before any data is read; NULL when fine, else a
 * message naming the flag (static storage). */
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
 * checkpoint, or a failed checkpoint write. */
int imb_nn_train(const imb_frame *train, const imb_frame *init, const imb_nn_train_opts *o,
                 imb_frame **model, imb_frame **log, char *summary, size_t summary_size);

/* The balanced sampler's draw for one epoch: order (n) indices into a set
 * of n samples with labels y (n) in [0, K); exposed for tests. */
void imb_nn_balanced_order(size_t *order, const int32_t *y, size_t n, int K, imb_rng *r);

#endif
