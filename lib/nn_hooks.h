/* nn_hooks.h: the hook part of the training loop: work done after each
 * step and after each epoch that does not change what is trained.
 *
 *   val        eval-mode accuracy and loss, overall and per class, of a
 *              labelled dataset frame after each epoch: fields val_loss,
 *              val_acc, val_per_class_acc, val_per_class_loss,
 *              val_per_class_n in the epoch's log entry, and on its line.
 *              The predictions are imb-eval's (nn_frame.h's imb_nn_predict
 *              on the frame's features): its per-class accuracy equals
 *              imb-eval's recall of the model after that epoch.
 *   snapshots  every k epochs (or steps) a copy of the parameters (and BN
 *              buffers), in backend memory, handed to a callback that
 *              takes it (SGHMC's ensemble)
 *
 * nn_knn.h has another epoch hook: the k-NN monitor of self-supervised
 * features.
 *
 * Hooks run in the order added; on_epoch runs after the epoch's timing,
 * so the epoch's seconds and images/s are the training's alone. */
#ifndef IMB_NN_HOOKS_H
#define IMB_NN_HOOKS_H

#include "stream.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct imb_nn_loop imb_nn_loop;   /* nn_train.h */

typedef struct imb_nn_hook imb_nn_hook;
struct imb_nn_hook {
	const char *name;
	/* after each optimiser step (L->step counts them, from 1); NULL: none */
	int (*on_step)(imb_nn_hook *h, imb_nn_loop *L);
	/* after each epoch (L->epoch epochs done): add fields to the epoch's
	 * log entry and text to its line (line holds size bytes, append at
	 * strlen); NULL: none */
	int (*on_epoch)(imb_nn_hook *h, imb_nn_loop *L, imb_val *entry, char *line, size_t size);
	/* on_epoch runs after every `every` epochs and after the last (0 or
	 * 1: after each; a costly monitor every 10 epochs, say) */
	int every;
	/* state across a checkpoint (NULL: none to keep) */
	int (*save)(const imb_nn_hook *h, imb_frame *ck);
	int (*load)(imb_nn_hook *h, const imb_frame *ck);
	void (*free)(imb_nn_hook *h);
	void *state;
	/* once training has ended (the last epoch, or a hook's stop; not
	 * at --stop-after): a last change to the model; NULL: none */
	int (*on_end)(imb_nn_hook *h, imb_nn_loop *L);
};
/* Every callback returns 0, or -1 with imb_error() (training stops). */

/* Validation on dataset frame val (kept by the caller while training):
 * its samples must have the train set's shape (D values); its classes
 * are matched by name to the train set's K classes (classes: its
 * attrs.classes, or NULL; train_label names it), in any order, a subset
 * allowed (imb_dataset_class_map). 0, or -1 with imb_error() naming the
 * frame. */
int imb_nn_hook_val(imb_nn_hook *h, const imb_frame *val, size_t D, int K,
                    const imb_val *classes, const char *train_label);

/* Snapshots: every `every` epochs (per_step 0) or optimiser steps
 * (per_step 1), fn(ctx, params, bufs, epoch, step) with params (P) and
 * bufs (B, NULL when B is 0) fresh backend copies (be->copy) that fn
 * takes: it frees them with the backend's free. */
typedef void (*imb_nn_snapshot_fn)(void *ctx, float *params, float *bufs, int epoch, long step);
void imb_nn_hook_snapshots(imb_nn_hook *h, int every, int per_step, imb_nn_snapshot_fn fn,
                           void *ctx);

/* Early stopping, added after the validation hook (it reads the epoch
 * entry's val_loss, or val_per_class_acc and val_per_class_n for
 * balanced_accuracy: the mean accuracy over the classes the frame
 * holds): a copy of the weights (and BN buffers) of the best epoch so
 * far (the first best: strictly better to replace it), the loop's stop
 * once patience epochs have passed without improvement, and at the end
 * the best epoch's weights put back. metric: "logloss" or
 * "balanced_accuracy". State across checkpoints. */
void imb_nn_hook_early(imb_nn_hook *h, int patience, const char *metric, size_t P, size_t B);
/* The early-stopping hook's account for attrs.early_stopping: {patience,
 * metric, best_epoch, best_score, stopped_at (the last epoch trained),
 * stopped (1 when it stopped before the last epoch)}; NULL when h is not
 * that hook. A new value. */
imb_val *imb_nn_hook_early_report(const imb_nn_hook *h, const imb_nn_loop *L);

/* NULL-safe, idempotent. */
void imb_nn_hook_free(imb_nn_hook *h);

#ifdef __cplusplus
}
#endif

#endif
