/* nn_frame.h: network model frames, and the network entry of predict.c.
 *
 * A network model frame (kind "model", name "model", docs/stream-format.md):
 *   attrs.model       the architecture, as attrs.arch (frames written
 *                     before said "nn"; both read as networks)
 *   attrs.arch        the architecture name (nn_model.h): "resnet8", "mlp:64,64"
 *   attrs.input       [C, H, W]: the sample shape (feature vectors: [D, 1, 1])
 *   attrs.n_features  C*H*W; attrs.n_classes K; attrs.classes (K names)
 *   attrs.normalize   {"mean": [C], "std": [C]}: inputs are x' = (x - mean) / std
 *                     per channel, x on the scale imb_dataset_features gives
 *                     (u8 images: [0, 1])
 *   attrs.params      every hyper-parameter of the training run
 *   attrs.train       {source, split, n, counts, epochs_done}: the train set
 *   tensors: "params" (P) f32, the flat parameter block in the
 *            architecture's order; "bufs" (B) f32, BN running statistics
 *            (absent when B = 0, as for an MLP).
 *
 * Prediction (imb_nn_load / imb_nn_predict) normalises each row with
 * attrs.normalize and runs the network in eval mode, in batches.
 *
 * An encoder frame (imb-simclr's output) is a network without its
 * classifier: the same attrs with attrs.arch a backbone (no +mlp: head),
 * attrs.n_classes 0, attrs.classes [], and
 *   attrs.encoder     {method, features (F), head (the dropped projection
 *                     head, "mlp:2048"), outputs (its width)}
 *   tensors: "params" (P_backbone) the backbone's parameters only, the
 *            first P_backbone of any network with that backbone; "bufs".
 * It predicts nothing: imb-train --init fine-tunes it (a new last layer
 * for the train set's classes). */
#ifndef IMB_NN_FRAME_H
#define IMB_NN_FRAME_H

#include "nn_model.h"
#include "stream.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A network read back from a model frame. */
typedef struct {
	imb_nn_model *m;
	float *mean, *std;     /* (C) host memory */
	int encoder;           /* an encoder frame: m has K = 2 and a zero head */
} imb_nn_loaded;

/* Read a network model frame: checks attrs.model, arch, input, n_classes,
 * normalize and the tensors' dtypes and lengths against the architecture.
 * 0, or -1 with imb_error() naming the field (the caller prefixes the
 * frame). out is cleared on failure. An encoder frame is refused with a
 * message that says how to fine-tune it. */
int imb_nn_frame_read(const imb_frame *f, imb_nn_loaded *out);
/* The same, taking encoder frames too (--init): out->encoder set, out->m
 * the backbone with a head of 2 zero outputs. */
int imb_nn_frame_read_init(const imb_frame *f, imb_nn_loaded *out);
/* The network of a frame that carries one with more (a Laplace
 * posterior, kind "posterior"): the same checks but of the frame's kind
 * and attrs.model, which the caller made. */
int imb_nn_frame_read_net(const imb_frame *f, imb_nn_loaded *out);
/* 1 if f is a network model frame holding an encoder. */
int imb_nn_is_encoder_frame(const imb_frame *f);
/* NULL-safe; frees the model and the arrays. */
void imb_nn_loaded_free(imb_nn_loaded *l);
/* 1 if attrs name a network: attrs.model is attrs.arch (a string), or
 * "nn" (frames of earlier builds). Laplace posteriors ("laplace") and
 * ensembles ("ensemble") carry a network but are not one. */
int imb_nn_attrs_name_network(const imb_val *attrs);
/* 1 if f is a network model frame: kind "model" and attrs as above. */
int imb_nn_is_model_frame(const imb_frame *f);

/* A new model frame holding m's parameters and running statistics.
 * params (taken) is the hyper-parameter map; train (may be NULL) is the
 * dataset frame it was trained on (source, split, classes, history are
 * copied); counts (K) the train set's class counts; epochs_done the epochs
 * trained. */
imb_frame *imb_nn_frame_make(const imb_nn_model *m, const float *mean, const float *std,
                             imb_val *params, const imb_frame *train,
                             const int64_t *counts, int epochs_done);

/* An encoder frame of m's backbone (params[0..m->head), every BN
 * buffer) under the architecture name backbone; info (taken) is
 * attrs.encoder; n the samples it was trained on; the rest as
 * imb_nn_frame_make. */
imb_frame *imb_nn_encoder_frame_make(const imb_nn_model *m, const char *backbone,
                                     const float *mean, const float *std, imb_val *params,
                                     imb_val *info, const imb_frame *train, size_t n,
                                     int epochs_done);

/* Float blocks, shared by model frames and checkpoints (nn_checkpoint.h).
 * get: tensor key of f must be (count) f32 of finite numbers; it is
 * uploaded into dst (backend memory, count floats). A missing tensor is
 * fine when count is 0. 0, or -1 with imb_error() naming the tensor.
 * put: add tensor key (count) f32 to f, downloaded from src (backend). */
int imb_nn_frame_get_block(const imb_frame *f, const char *key, float *dst, size_t count);
void imb_nn_frame_put_block(imb_frame *f, const char *key, const float *src, size_t count);

/* Rows x (n,d) of host floats (every one finite, else -1 naming the
 * first that is not), normalised with l's mean and std and uploaded to
 * the current backend in chunks of at most chunk rows: fn(ctx, xdev, at,
 * b) for rows [at, at+b), xdev (b,C,H,W) backend memory valid during the
 * call. 0, or -1 with imb_error() (fn's). Every network-based predict
 * entry feeds its rows through this. */
int imb_nn_rows_each(const imb_nn_loaded *l, const float *x, size_t n, size_t d, size_t chunk,
                     int (*fn)(void *ctx, const float *xdev, size_t at, size_t b), void *ctx);

/* predict.c's entries (see predict.h): load checks d = C*H*W and K. */
void *imb_nn_load(const imb_frame *f, size_t d, int K);
int imb_nn_predict(void *m, const float *x, size_t n, size_t d, int K, float *probs);
void imb_nn_free(void *m);

#ifdef __cplusplus
}
#endif

#endif
