/* nn_flags.h: the network options of the training tools, in one table:
 * their getopt entries, help text, parsing into imb_nn_train_opts, which
 * were given, and --resume's settings taken from a checkpoint.
 *
 *   epochs (-e), batch-size (-b), lr (-l), schedule, warmup, optimizer,
 *   momentum, nesterov, weight-decay, loss, focal-gamma, tau, sampler,
 *   augment, init, freeze, checkpoint, checkpoint-every, resume,
 *   stop-after, val-frame, step, rho, adaptive, rho-minority, rho-class,
 *   seed (-s), threads (-t)
 *
 * A tool lists its own options first, then appends the table's
 * (imb_nn_flags_options), and hands every option getopt_long returns to
 * imb_nn_flags_parse first. Bad values are usage errors (exit 2) naming
 * the flag. seed and threads are "common": tools with other kinds of
 * models (imb-train's tabular ones) share them. */
#ifndef IMB_NN_FLAGS_H
#define IMB_NN_FLAGS_H

#include "nn_train.h"
#include "val.h"

#include <getopt.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IMB_NN_FLAGS_MAX 48
#define IMB_NN_FLAG_ID 0x1000   /* getopt ids of long-only flags start here */

/* groups of the table, for help text: the general flags, --step, SAM's,
 * the supervised ones */
#define IMB_NN_FLAGS_GENERAL 1u
#define IMB_NN_FLAGS_STEP 2u
#define IMB_NN_FLAGS_SAM 4u
#define IMB_NN_FLAGS_LABELS 8u   /* what only supervised training reads: loss,
                                  * focal-gamma, tau, sampler, freeze, val-frame */
#define IMB_NN_FLAGS_ALL 15u

typedef struct {
	unsigned char given[IMB_NN_FLAGS_MAX];
	const char *arg[IMB_NN_FLAGS_MAX];   /* the text given, for messages */
	imb_val *ck;            /* --resume's settings (imb_nn_flags_finish), kept
	                         * while the options point into them */
} imb_nn_flags;

/* The table's getopt entries into out (room for imb_nn_flags_count()),
 * no terminator; returns the count. */
int imb_nn_flags_count(void);
int imb_nn_flags_options(struct option *out);
/* The table's short options ("e:b:l:s:t:"), to append to the tool's. */
const char *imb_nn_flags_short(void);
/* A network tool's getopt tables: its own options own (nown, no
 * terminator) then the table's, terminated, into opts (room for nown +
 * IMB_NN_FLAGS_MAX + 1); its own short options own_short then the
 * table's into shortopts (size bytes). */
void imb_nn_flags_getopt(struct option *opts, const struct option *own, int nown,
                         char *shortopts, size_t size, const char *own_short);
/* If option id c (getopt_long's return) is the table's: parse arg into o,
 * record it in fl, return 1; else 0 (the tool's own). */
int imb_nn_flags_parse(imb_nn_flags *fl, imb_nn_train_opts *o, int c, const char *arg);
/* 1 if the flag (long name, "lr") was given. */
int imb_nn_flags_given(const imb_nn_flags *fl, const char *name);
/* The long name of the first flag given that is not common, or NULL. */
const char *imb_nn_flags_first(const imb_nn_flags *fl);
/* The same, passing over the flags named in skip (nskip long names). */
const char *imb_nn_flags_first_except(const imb_nn_flags *fl, const char *const *skip,
                                      size_t nskip);
/* The help lines of the table, one flag each ("  -e, --epochs N  ..."),
 * common ones included when common is non-zero. malloc'd. */
char *imb_nn_flags_help(int common);
/* The same for the flags of some groups (IMB_NN_FLAGS_SAM | ...), in
 * table order. malloc'd. */
char *imb_nn_flags_help_groups(unsigned groups, int common);
/* The same without the flags named in skip (nskip long names: those a
 * tool refuses). malloc'd. */
char *imb_nn_flags_help_without(unsigned groups, int common, const char *const *skip,
                                size_t nskip);
/* Settings for --resume from a checkpoint's params (with "arch"; see
 * nn_checkpoint.h's imb_nn_checkpoint_settings) and thread count: every
 * setting not given (the architecture when model_given is 0; threads)
 * comes from the checkpoint; one given that differs is named in the
 * returned message (static storage), NULL when all agree. o may point
 * into params afterwards: keep params while o is used. */
/* What every network tool checks once its flags are parsed, before it
 * reads input: --val-frame is not the train frame `frame`; with
 * o->resume, the settings not given come from the checkpoint
 * (imb_nn_flags_resume; model_given as there; fl keeps them, free with
 * imb_nn_flags_free); then imb_nn_train_check. NULL when all is well;
 * else the message, with *code 1 for a checkpoint that cannot be read,
 * 2 for a usage error. */
const char *imb_nn_flags_finish(imb_nn_flags *fl, imb_nn_train_opts *o, const char *frame,
                                int model_given, int *code);
/* Frees what imb_nn_flags_finish kept; NULL-safe, idempotent. */
void imb_nn_flags_free(imb_nn_flags *fl);

const char *imb_nn_flags_resume(const imb_nn_flags *fl, imb_nn_train_opts *o,
                                const imb_val *params, int64_t threads, int model_given);

#ifdef __cplusplus
}
#endif

#endif
