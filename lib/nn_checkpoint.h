/* nn_checkpoint.h: the training loop's checkpoints.
 *
 * A checkpoint file is an imb stream of two frames: the network model
 * frame (nn_frame.h) at an epoch boundary, then a frame of kind
 * "checkpoint", name "train", holding every part's state:
 *   attrs.epoch     epochs done
 *   attrs.params    every setting (the model frame's attrs.params)
 *   attrs.data      the train set's fingerprint (16 hex digits)
 *   attrs.threads   the thread count it ran on
 *   attrs.epochs    the epoch log so far
 *   attrs.step      the optimiser's steps, and its tensors ("state1",
 *                   "state2" for SGD/AdamW), from the optimiser's save
 *   tensors.rng     (4) i64: the loader's generator
 *   and whatever each hook's save adds.
 * Float blocks are written and read as the model frame's are
 * (imb_nn_frame_put_block / _get_block). */
#ifndef IMB_NN_CHECKPOINT_H
#define IMB_NN_CHECKPOINT_H

#include "nn_train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Write L at its epoch boundary (L->epoch) to path, atomically. 0, or -1
 * with imb_error() naming the file. */
int imb_nn_checkpoint_write(const imb_nn_loop *L, const char *path);
/* Restore L from path: the model must have the checkpoint's architecture,
 * input and classes, every setting of L->params (but "init") must equal
 * the checkpoint's, and the train set its fingerprint. Parameters are
 * copied with the backend's copy. Returns the epochs done, or -1 with
 * imb_error() naming the file and what differs. */
int imb_nn_checkpoint_read(imb_nn_loop *L, const char *path);
/* Read only the settings of a checkpoint file, for a tool to take the
 * flags it was not given from: *params (a copy of attrs.params with
 * "arch" set to the model's architecture; the caller frees it) and
 * *threads (attrs.threads, 0 when absent). 0, or -1 with imb_error()
 * ("--resume FILE: ..."). */
int imb_nn_checkpoint_settings(const char *path, imb_val **params, int64_t *threads);

#ifdef __cplusplus
}
#endif

#endif
