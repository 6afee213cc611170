/* nn_tool.h: what every tool that trains a network (imb-train --model
 * ARCH, imb-sam, imb-simclr, imb-sghmc) does after parsing its flags (nn_flags.h): wait in the
 * stream for the frames the training needs, train, and put the model and
 * its log where the train frame was.
 *
 * The frames (route.h): the dataset frame named `frame` (the train set;
 * replaced by the model frame, then the log frame, with `keep` the train
 * frame itself first); with o->init, the first network model frame
 * (consumed: the model to start from); with o->val_frame, the dataset
 * frame of that name (forwarded unchanged, and validated on every
 * epoch). Every other frame passes through unchanged and in order. */
#ifndef IMB_NN_TOOL_H
#define IMB_NN_TOOL_H

#include "nn_train.h"
#include "stream.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Route r to w around one training with options o (o->val is set here).
 * The model and log frames get the tool's entry in attrs.history (seed
 * o->seed) and the training's one-line summary goes to the log (cli.h's
 * imb_log). 0; -1 with imb_error() naming a frame the stream lacks, or
 * why the training failed. */
int imb_nn_tool_train(imb_reader *r, imb_writer *w, const char *frame, int keep,
                      imb_nn_train_opts *o);

/* A training other than imb_nn_train's (SGHMC's): from the train frame
 * (and init, NULL without o->init), the frames to write in its place:
 * *nmodels >= 1 model frames in *models (malloc'd; the frames and the
 * array taken), then *log. 0, or -1 with imb_error(). */
typedef int (*imb_nn_trainer)(void *ctx, const imb_frame *train, const imb_frame *init,
                              const imb_nn_train_opts *o, imb_frame ***models, size_t *nmodels,
                              imb_frame **log, char *summary, size_t summary_size);
/* imb_nn_tool_train with fn(ctx, ...) training: each model frame and
 * the log get the history entry; they are written in order. */
int imb_nn_tool_train_with(imb_reader *r, imb_writer *w, const char *frame, int keep,
                           imb_nn_train_opts *o, imb_nn_trainer fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
