/* nn_tool.h: what every tool that trains a network (imb-train --model
 * ARCH, imb-sam) does after parsing its flags (nn_flags.h): wait in the
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

#ifdef __cplusplus
}
#endif

#endif
