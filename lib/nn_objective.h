/* nn_objective.h: the objective part of the training loop: a network's
 * output for a batch -> the loss, its gradient with respect to the
 * output (which starts the backward pass), and per-sample losses.
 *
 * Labels are optional: a classification objective reads y (N) labels, a
 * contrastive one (NT-Xent) passes y = NULL and reads the output as
 * views of the same samples (rows i and N/2 + i, say). The CE family of
 * nn_loss.h is the first entry.
 *
 * An objective is a small table: fill one with a constructor, call
 * forward once per pass, free it with imb_nn_objective_free. */
#ifndef IMB_NN_OBJECTIVE_H
#define IMB_NN_OBJECTIVE_H

#include "nn_loss.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct imb_nn_objective imb_nn_objective;
struct imb_nn_objective {
	const char *name;       /* "ce", "weighted-ce", ..., "nt-xent" */
	int K;                  /* output width per sample */
	int needs_labels;
	/* The mean loss of the batch into loss (NULL: not wanted). Writes
	 * dout (N,K) = d loss / d out (overwritten; NULL: not wanted) and
	 * losses (N) per sample (NULL: not wanted). out, y, dout, losses and
	 * loss are backend memory: nothing waits for the backend. */
	void (*forward)(const imb_nn_objective *ob,
	                float *dout,          // dout is (N,K), or NULL
	                float *losses,        // losses is (N), or NULL
	                float *loss,          // loss is (1), or NULL
	                const float *out,     // out is (N,K)
	                const int32_t *y,     // y is (N), or NULL
	                int N);
	void (*free)(imb_nn_objective *ob);
	void *state;
};

/* A loss of the CE family over K classes (nn_loss.h): kind, class counts
 * (K) from the train set (weighted-ce's inverse-frequency weights,
 * logit-adjusted's priors, LDAM's margins), focal's gamma, the logit
 * adjustment's tau; LDAM takes the paper's max margin 0.5 and scale 30.
 * 0, or -1 with imb_error() (ob is then empty; free is still safe). */
int imb_nn_objective_xent(imb_nn_objective *ob, imb_nn_loss_kind kind, int K,
                          const int64_t *counts, float focal_gamma, float tau);
/* LDAM's margin and scale, as recorded in attrs.params */
#define IMB_NN_LDAM_MAX_M 0.5f
#define IMB_NN_LDAM_S 30.0f

/* NT-Xent (SimCLR's contrastive loss, nn_ntxent.c) over outputs of D
 * values a row at temperature t > 0: the forward's N rows (even) are two
 * views of N/2 samples, row i and row (i + N/2) mod N of one sample; y
 * is ignored. Each row's loss is -log of the softmax, over every other
 * row, of the cosine similarities / t, taken at its positive; the batch
 * loss is their mean. K = D. 0, or -1 with imb_error() for t <= 0. */
int imb_nn_objective_ntxent(imb_nn_objective *ob, int D, float temperature);

/* NULL-safe, idempotent. */
void imb_nn_objective_free(imb_nn_objective *ob);

#ifdef __cplusplus
}
#endif

#endif
