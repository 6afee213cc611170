/* predict.h: one predict interface over every model kind.
 *
 * A model frame (kind "model") names its kind in attrs.model ("xgboost",
 * "linear-svm", "svm"; a network's architecture, as its attrs.arch:
 * "resnet18", "mlp:256" (frames of earlier builds: "nn"); "ensemble" in
 * an ensemble frame, nn_ensemble.h; "laplace" in a posterior). A
 * predictor loads it once and then gives class probabilities for any
 * batch of feature rows, so imb-eval, imb-hessian and plots never ask
 * which kind they hold. Kinds are registered in one table in predict.c,
 * guarded by a static_assert on its length. */
#ifndef IMB_PREDICT_H
#define IMB_PREDICT_H

#include "stream.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct imb_predictor imb_predictor;

/* 1 if f is a frame a predictor loads: kind "model", "posterior" or
 * "ensemble" (every tool that evaluates or scores asks this, not the
 * kind itself). */
int imb_frame_is_model(const imb_frame *f);

/* Load a model frame. NULL with imb_error() set when the frame is not a
 * model, names an unknown kind, or its bytes do not load. */
imb_predictor *imb_predictor_load(const imb_frame *model);
void imb_predictor_free(imb_predictor *p);
int imb_predictor_nclasses(const imb_predictor *p);
/* Features the model expects per row. */
size_t imb_predictor_nfeatures(const imb_predictor *p);
/* The registry's name of p's kind: "xgboost", "linear-svm", "svm",
 * "nn" (any network), "laplace", "ensemble". */
const char *imb_predictor_kind(const imb_predictor *p);
/* probs is (n, K), rows summing to 1. x is (n, d) row-major float32;
 * d must equal imb_predictor_nfeatures. 0, or -1 with imb_error(). */
int imb_predict_proba(imb_predictor *p, const float *x, size_t n, size_t d, float *probs);

/* What a model frame's attrs call it, for people and configs: attrs.model,
 * but a network's architecture (attrs.arch) also where an earlier build
 * wrote "nn"; "?" when there is none. */
const char *imb_model_name(const imb_val *attrs);

/* Picking model frames of a stream (--model N|NAME of imb-eval and
 * imb-predict): the model frames counted from 1 in stream order (an
 * ensemble joined from parts counts once). */
typedef struct {
	long index;        /* > 0: the index-th model frame; 0: by name */
	const char *name;  /* a frame's name, attrs.model or attrs.arch (NULL: every model) */
} imb_model_sel;
/* s is a positive integer (an index) or a name; -1 when s is empty or
 * an integer below 1. */
int imb_model_sel_parse(const char *s, imb_model_sel *sel);
/* 1 if model frame f, the index-th of its stream, is selected; a zeroed
 * sel selects every model. */
int imb_model_sel_match(const imb_model_sel *sel, const imb_frame *f, size_t index);

#ifdef __cplusplus
}
#endif

#endif
