/* nn_optim.h: optimisers over one flat parameter block, and learning-rate
 * schedules.
 *
 * A model's parameters live in one contiguous block of P floats, its
 * gradients in another; an optimiser keeps its state in arrays of P
 * floats and a step is one flat loop (a backend op). The update rules are
 * PyTorch's, to the operation:
 *
 * SGD (torch.optim.SGD):
 *   g = grad + weight_decay * p
 *   if momentum: buf = g on the first step, else
 *                buf = momentum * buf + (1 - dampening) * g
 *                g = nesterov ? g + momentum * buf : buf
 *   p -= lr * g
 * AdamW (torch.optim.AdamW, amsgrad off), step t counted from 1:
 *   p *= 1 - lr * weight_decay
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *
 * Set o->lr before each step (from a schedule); the other fields may be
 * changed between steps too. */
#ifndef IMB_NN_OPTIM_H
#define IMB_NN_OPTIM_H

#include "nn_backend.h"
#include "nn_model.h"
#include "stream.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { IMB_NN_OPT_SGD, IMB_NN_OPT_ADAMW, IMB_NN_OPT_LARS } imb_nn_optim_kind;

typedef struct {
	imb_nn_optim_kind kind;
	size_t P;               /* parameters */
	float lr;
	float weight_decay;
	float momentum, dampening;  /* SGD */
	int nesterov;               /* SGD */
	float beta1, beta2, eps;    /* AdamW */
	long step;              /* steps taken so far */
	float *s1, *s2;         /* state, backend memory (P): SGD's momentum
	                         * buffer (NULL without momentum); AdamW's m, v */
} imb_nn_optim;

/* SGD with PyTorch's defaults for what is not given (dampening 0). State
 * is allocated and zeroed here. */
void imb_nn_optim_sgd(imb_nn_optim *o, size_t P, float lr, float momentum,
                      float weight_decay, int nesterov);
/* AdamW with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8; PyTorch's
 * default weight_decay is 0.01. */
void imb_nn_optim_adamw(imb_nn_optim *o, size_t P, float lr, float weight_decay);
/* Settings PyTorch would refuse (Nesterov without momentum or with
 * dampening, negative rates, betas outside [0,1)): -1 with imb_error(). */
int imb_nn_optim_check(const imb_nn_optim *o);
/* One step: param (P) updated from grad (P). */
void imb_nn_optim_step(imb_nn_optim *o,
                       float *param,       // param is (P)
                       const float *grad); // grad is (P)
/* Frees the state; NULL-safe, idempotent. */
void imb_nn_optim_free(imb_nn_optim *o);

/* The optimiser part of the training loop: a small table over one of the
 * optimisers: SGD, AdamW (above), LARS (below).
 *   step   param (P) updated from grad (P) at learning rate lr
 *   save   its state into a checkpoint frame: attrs.step (steps taken)
 *          and float tensors (SGD/AdamW: "state1", "state2" when held)
 *   load   the same back from a checkpoint frame; a tensor the settings
 *          do not expect, or a missing one, is an error naming it
 * 0, or -1 with imb_error(), from the constructors, save and load. */
typedef struct imb_nn_optimizer imb_nn_optimizer;
struct imb_nn_optimizer {
	const char *name;       /* "sgd", "adamw", "lars" */
	size_t P;
	void (*step)(imb_nn_optimizer *o,
	             float *param,         // param is (P)
	             const float *grad,    // grad is (P)
	             float lr);
	long (*steps)(const imb_nn_optimizer *o);   /* steps taken so far */
	int (*save)(const imb_nn_optimizer *o, imb_frame *ck);
	int (*load)(imb_nn_optimizer *o, const imb_frame *ck);
	void (*free)(imb_nn_optimizer *o);
	void *state;
};

/* SGD or AdamW as a table (the settings of imb_nn_optim_sgd/_adamw);
 * checked with imb_nn_optim_check. */
int imb_nn_optimizer_sgd(imb_nn_optimizer *o, size_t P, float lr, float momentum,
                         float weight_decay, int nesterov);
int imb_nn_optimizer_adamw(imb_nn_optimizer *o, size_t P, float lr, float weight_decay);
/* LARS (You, Gitman and Ginsburg 2017) as solo-learn has it
 * (solo/utils/lars.py, copied there from PyTorch Lightning Bolts; read at
 * solo-learn commit 9187ea3, the file last changed in e384184): SGD whose
 * gradient is first scaled tensor by tensor. For each segment (a tensor,
 * imb_nn_model_segments) with gradient g:
 *   adapt (a weight of 2+ dimensions), ||p|| != 0 and ||g|| != 0:
 *     trust = ||p|| / (||g|| + weight_decay * ||p|| + eps) * eta
 *     (clip: trust = min(trust / lr, 1))
 *     g = (g + weight_decay * p) * trust
 *   otherwise (biases, BN parameters, a weight or gradient of norm 0,
 *   parameters in no segment): g as it is, no weight decay
 * then torch.optim.SGD's step without weight decay or dampening: buf = g
 * on the first step, else buf = momentum * buf + g; g = nesterov ? g +
 * momentum * buf : buf; p -= lr * g. eps = 1e-8; norms are summed in
 * double.
 *
 * solo-learn's defaults are exclude_bias_n_norm off (every tensor,
 * biases and BN included, adapted and decayed) and clip_lr off; here
 * exclude_bias_n_norm is always on, as SimCLR (Chen et al. 2020) has it
 * and as every solo-learn recipe sets it; clip_lr is off unless
 * imb_nn_optimizer_lars_clip turns it on: nearly all of solo-learn's
 * CIFAR and ImageNet-100 recipes (SimCLR's among them) turn it on, with
 * eta 0.02; its ImageNet ones leave it off, with eta 0.001.
 *
 * seg (nseg) lists the segments of the block of P (offsets into it,
 * ascending, not overlapping, within P; copied). The state is the
 * momentum buffer (saved as "state1"; none without momentum) and a
 * scratch block of P floats for the scaled gradient; each adapted
 * segment is one backend lars_scale (its norms stay on the backend, so
 * the step never waits for them). Refused (-1 with imb_error()): a
 * negative rate, momentum, decay or eta, Nesterov without momentum,
 * segments out of order or past P. */
int imb_nn_optimizer_lars(imb_nn_optimizer *o, size_t P, const imb_nn_segment *seg,
                          size_t nseg, float lr, float momentum, float weight_decay,
                          float eta, int nesterov);
/* solo-learn's clip_lr for a LARS table: clip non-zero turns it on, 0
 * off. 0, or -1 with imb_error() when o is not LARS. */
int imb_nn_optimizer_lars_clip(imb_nn_optimizer *o, int clip);
/* NULL-safe, idempotent. */
void imb_nn_optimizer_free(imb_nn_optimizer *o);

/* Learning-rate schedules: lr(t) for a step or epoch count t >= 0 (the
 * caller picks the unit; t may be fractional).
 *   constant  base
 *   cosine    min + (base - min) * (1 + cos(pi * t' / T')) / 2, then min
 *   step      base * gamma^floor(t' / step_size)
 * With a warm-up of W > 0: for t < W, lr = base * (s0 + (1 - s0) * t / W)
 * (s0 = warmup_start), and the schedule above runs on t' = t - W over
 * T' = total - W; without one t' = t and T' = total. This is PyTorch's
 * SequentialLR([LinearLR(s0, total_iters=W), CosineAnnealingLR(T')], [W])
 * (StepLR in place of the cosine for "step"). */
typedef enum {
	IMB_NN_SCHED_CONSTANT,
	IMB_NN_SCHED_COSINE,
	IMB_NN_SCHED_STEP,
} imb_nn_sched_kind;

typedef struct {
	imb_nn_sched_kind kind;
	double base_lr, min_lr;     /* min_lr: cosine's floor (eta_min) */
	double total;               /* cosine: length including warm-up */
	double step_size, gamma;    /* step */
	double warmup, warmup_start;
} imb_nn_sched;

double imb_nn_sched_lr(const imb_nn_sched *s, double t);
/* Parse "constant", "cosine", "cosine:MIN_LR", "step:STEP_SIZE:GAMMA"
 * into s (base_lr and total from the arguments, no warm-up; set s->warmup
 * and s->warmup_start afterwards). 0, or -1 with imb_error(). */
int imb_nn_sched_parse(imb_nn_sched *s, const char *spec, double base_lr, double total);

#ifdef __cplusplus
}
#endif

#endif
