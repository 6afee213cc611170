/* nn_ensemble.h: ensemble frames (networks of one architecture, each
 * member its own parameters: SGHMC's samples), and the "ensemble" entry
 * of predict.c.
 *
 * An ensemble frame (kind "ensemble", name "model"; docs/stream-format.md)
 * has every attr of a network model frame (nn_frame.h: arch, input,
 * n_features, n_classes, classes, normalize, params, train, history) with
 *   attrs.model      "ensemble"
 *   attrs.ensemble   {method ("sghmc"), members (S, the whole ensemble's),
 *                    first (this frame's first member, from 0), count
 *                    (members in this frame), epochs (count: the epoch
 *                    each was taken after)}
 *   tensors: "params" (count, P) f32, member i's parameter block in row
 *            i; "bufs" (count, B) f32, its BN running statistics (absent
 *            when B = 0).
 * One frame holds all S members (first 0, count S), or S / k frames in a
 * row each hold some (parts: imb-sghmc --split-frames writes one member
 * a frame, for networks whose members pass a tensor's 4 GiB); a reader
 * joins consecutive parts (imb_nn_ensemble_join) before predicting.
 *
 * Prediction (Bayesian model averaging): one network is built; for each
 * member its blocks are uploaded and its softmax probabilities computed
 * (imb_nn_predict); the result is their mean, summed in double in member
 * order. Backend ops only: it runs on any backend. */
#ifndef IMB_NN_ENSEMBLE_H
#define IMB_NN_ENSEMBLE_H

#include "stream.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	const char *method;     /* points into the frame's attrs */
	size_t members, first, count;
	size_t P, B;            /* floats a member: params, bufs */
} imb_nn_ensemble_info;

/* 1 if f has kind "ensemble". */
int imb_nn_is_ensemble_frame(const imb_frame *f);
/* Check f's ensemble fields: kind, attrs.model, attrs.ensemble (first +
 * count <= members, count epochs), the tensors' dtypes and shapes (the
 * architecture's sizes are checked when a member is read). 0, or -1 with
 * imb_error() naming the field. */
int imb_nn_ensemble_info_read(const imb_frame *f, imb_nn_ensemble_info *e);
/* 1 if f is a readable ensemble frame holding part of its members. */
int imb_nn_ensemble_is_part(const imb_frame *f);

/* The ensemble of S members made from network model frame `model`
 * (taken: its attrs become the ensemble's, its tensors are dropped):
 * params (S,P) and bufs (S,B; NULL when B is 0) are host memory from
 * imb_xmalloc_aligned, taken (they may hold more rows than S); epochs
 * (S) copied. */
imb_frame *imb_nn_ensemble_make(imb_frame *model, const char *method, size_t S, float *params,
                                float *bufs, const int64_t *epochs);
/* A new frame holding members first..first+count-1 of ensemble frame
 * ens (a whole one or a part that has them), as a part of the same
 * ensemble. NULL with imb_error() when ens does not hold them. */
imb_frame *imb_nn_ensemble_part(const imb_frame *ens, size_t first, size_t count);
/* One ensemble frame from n parts in order: they must be of one
 * ensemble (the same arch, input, n_features, n_classes, classes,
 * normalize, params, method, members and member sizes) and follow one
 * another (the first part's first 0, each next part's first the end of
 * the one before, the last ending at members). A new frame (the first
 * part's attrs), or NULL with imb_error() naming the part and the
 * field. */
imb_frame *imb_nn_ensemble_join(imb_frame *const *parts, size_t n);
/* Reading a stream that may hold an ensemble in parts: from its first
 * part on, every frame must be the next part, until the last. Feed the
 * candidate model frames in stream order; each call takes f: *model is
 * f itself (not a part, none pending), NULL (parts pending: f kept), or
 * the joined ensemble (the parts freed). 0, or -1 with imb_error() (a
 * frame between parts, parts of another ensemble). g starts zeroed;
 * imb_nn_ensemble_gather_free frees what a stream that ended inside the
 * parts left (g->n of them). */
typedef struct {
	imb_frame **parts;
	size_t n;
} imb_nn_ensemble_gather_state;
int imb_nn_ensemble_gather(imb_nn_ensemble_gather_state *g, imb_frame *f, imb_frame **model);
void imb_nn_ensemble_gather_free(imb_nn_ensemble_gather_state *g);
/* Member i of ensemble frame ens (0 <= i < count, counted in this
 * frame) as a network model frame (nn_frame.h: kind "model", attrs.model
 * the architecture, no attrs.ensemble, attrs.train.epochs_done the member's epoch),
 * or NULL with imb_error(). */
imb_frame *imb_nn_ensemble_member(const imb_frame *ens, size_t i);

/* predict.c's entries (predict.h): load refuses a part ("join the
 * parts") and checks d = C*H*W and K as imb_nn_load does. */
void *imb_nn_ensemble_load(const imb_frame *f, size_t d, int K);
int imb_nn_ensemble_predict(void *m, const float *x, size_t n, size_t d, int K, float *probs);
void imb_nn_ensemble_free(void *m);

#ifdef __cplusplus
}
#endif

#endif
