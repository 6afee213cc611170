/* nn_step.h: the step part of the training loop: what one batch does to
 * the model.
 *
 *   plain   zero the gradients, forward in train mode, objective,
 *           backward, optimiser step
 *
 * SAM is a second entry (nn_sam.h): with the model, the objective, the
 * optimiser and the batch from imb_nn_step_ctx, and its own backend
 * buffers in state: forward/backward (d out rows scaled by the class
 * radii), e = rho g / ||g|| (backend axpy_norm), a second
 * forward/backward with BN running statistics frozen, params copied
 * back, then the optimiser step on the second gradient. */
#ifndef IMB_NN_STEP_H
#define IMB_NN_STEP_H

#include "nn_data.h"
#include "nn_model.h"
#include "nn_objective.h"
#include "nn_optim.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a step works on; the loop owns it. */
typedef struct {
	imb_nn_model *m;
	const imb_nn_objective *obj;
	imb_nn_optimizer *opt;
	size_t off;             /* params[off..P) are trained (a frozen backbone: m->head) */
	int head_only;          /* frozen backbone: BN in eval mode, backward through the head */
	float *dout;            /* (cap,K) backend: d loss / d output */
	float *losses;          /* (cap) backend: per-sample losses */
	float *loss;            /* (1) backend: the batch's mean loss */
} imb_nn_step_ctx;

/* The step's account of the batch, for the epoch log (backend memory:
 * a step does not wait for the backend). */
typedef struct {
	const float *loss;      /* (1) the objective's mean loss (first pass) */
	const float *out;       /* (n,K) backend: the train-mode output it was computed on */
	const float *losses;    /* (n) backend: per-sample losses, or NULL */
} imb_nn_step_out;

typedef struct imb_nn_step imb_nn_step;
struct imb_nn_step {
	const char *name;
	/* One step on batch b at learning rate lr. 0, or -1 with imb_error(). */
	int (*run)(imb_nn_step *s, imb_nn_step_ctx *c, const imb_nn_batch *b, float lr,
	           imb_nn_step_out *out);
	void (*free)(imb_nn_step *s);
	void *state;
};

/* The plain step (no state). */
extern const imb_nn_step imb_nn_step_plain;

/* NULL-safe, idempotent. */
void imb_nn_step_free(imb_nn_step *s);

#ifdef __cplusplus
}
#endif

#endif
