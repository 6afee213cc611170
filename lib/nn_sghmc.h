/* nn_sghmc.h: stochastic-gradient Hamiltonian Monte Carlo (SGHMC; Chen,
 * Fox and Guestrin 2014) over the training loop (nn_train.h): an
 * optimiser entry, a cyclical learning rate (L->lr_at) and a hook that
 * keeps the ensemble's members, as cyclical SG-MCMC has them (Zhang, Li,
 * Zhang, Chen and Wilson 2020, "Cyclical stochastic gradient MCMC for
 * Bayesian deep learning"; their experiments/cifar_csghmc.py, read at
 * github.com/ruqizhang/csgmcmc commit 2d85c66).
 *
 * The update, per step, over the block of P parameters p:
 *   d = grad + weight_decay * p
 *   v = (1 - alpha) v - lr * d
 *   v += sqrt(2 alpha lr T / N) * eps      (the sampling phase only)
 *   p += v
 * grad is the gradient of the batch's mean loss and N the train set's
 * size, so the energy sampled is N (mean loss + weight_decay / 2 ||p||^2)
 * / T: the likelihood of the whole train set and a Gaussian prior of
 * precision N weight_decay, at temperature T (1: the posterior; 0: no
 * noise, SGD with momentum 1 - alpha). alpha is the friction, in (0, 1]
 * (Zhang et al.'s --alpha: 1 is SGLD). eps is standard normal, drawn by
 * the backend's fill_normal with the key given and the optimiser's step
 * count (from 1) as the counter, so a run is reproducible from its seed
 * and --resume continues bit for bit. The step is backend ops only (copy,
 * axpy, scale, fill_normal): it runs unchanged on any backend.
 *
 * Phases and members (imb_nn_sghmc_at, imb_nn_sghmc_keeps), for a run of
 * E epochs and a fractional epoch t = epoch + batch / batches:
 *   cyclical (cycles M > 0; E a multiple of M): cycles of Tc = E / M
 *     epochs; with u = mod(t, Tc) / Tc, lr = lr0 / 2 (cos(pi u) + 1);
 *     exploration while u < explore (no noise: SGD in the momentum form),
 *     sampling after (noise). The members are the parameters (and BN
 *     buffers) at the end of each of the last samples_per_cycle epochs of
 *     every cycle, which must lie in the sampling phase.
 *   plain (cycles 0): lr = lr0 throughout, noise from the first step;
 *     members at the end of epochs burn_in + sample_every, burn_in + 2
 *     sample_every, ... up to E.
 * Zhang et al.'s CIFAR-10 run: 200 epochs of batch 64, M = 4, lr0 = 0.5,
 * alpha = 0.9, weight decay 5e-4, noise in the last 5 epochs of each
 * 50-epoch cycle (explore 0.9), 3 members a cycle; T = 1/50000 (their
 * default temperature, 1 / the train set's size: a cold posterior). */
#ifndef IMB_NN_SGHMC_H
#define IMB_NN_SGHMC_H

#include "nn_optim.h"
#include "nn_train.h"
#include "stream.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Zhang et al.'s step size and weight decay, for imb-sghmc's defaults */
#define IMB_NN_SGHMC_LR 0.5
#define IMB_NN_SGHMC_WD 5e-4

typedef struct {
	double friction;        /* alpha in (0, 1]; default 0.9 */
	double temperature;     /* T >= 0; default 1 */
	int cycles;             /* M >= 0; 0: plain SGHMC; default 4 */
	/* cyclical; < 0: unset (the default) */
	double explore;         /* the exploration fraction of a cycle, [0, 1); 0.9 */
	int samples_per_cycle;  /* members a cycle, >= 1; 3 */
	/* plain; < 0: unset (the default) */
	int burn_in;            /* epochs before the first member; E / 2 */
	int sample_every;       /* epochs between members, >= 1; 1 */
	/* the output, not a setting of the run: one frame a member (the
	 * size check of imb_nn_sghmc_train) */
	int split;
} imb_nn_sghmc_opts;

void imb_nn_sghmc_opts_init(imb_nn_sghmc_opts *s);
/* s with its defaults filled in for a run of `epochs` epochs (the unset
 * fields of the other mode stay unset). */
imb_nn_sghmc_opts imb_nn_sghmc_resolve(const imb_nn_sghmc_opts *s, int epochs);
/* NULL when s fits a run of `epochs` epochs; else a message naming the
 * flag (static storage): a friction outside (0, 1], a negative
 * temperature, epochs not a multiple of the cycles, an exploration
 * fraction outside [0, 1), members a cycle that do not fit in its
 * sampling phase, a burn-in that leaves no member, a setting of the
 * other mode. */
const char *imb_nn_sghmc_check(const imb_nn_sghmc_opts *s, int epochs);
/* The members a run of `epochs` epochs keeps (s checked). */
int imb_nn_sghmc_members(const imb_nn_sghmc_opts *s, int epochs);
/* 1 if the parameters after `epoch` epochs (1..epochs) are a member. */
int imb_nn_sghmc_keeps(const imb_nn_sghmc_opts *s, int epochs, int epoch);
/* The step size at fractional epoch t for base lr0, and in *sampling
 * whether that step adds noise. */
double imb_nn_sghmc_at(const imb_nn_sghmc_opts *s, int epochs, double lr0, double t,
                       int *sampling);

/* The SGHMC optimiser entry (nn_optim.h's table; name "sghmc") over P
 * parameters: friction alpha, weight_decay, temperature T, n the train
 * set's size, key the noise's Philox key. The state is v (saved as
 * "state1", zero at the start) and a scratch block of P floats; noise is
 * on until imb_nn_optimizer_sghmc_sampling turns it off. Refused (-1
 * with imb_error()): alpha outside (0, 1], a negative decay or
 * temperature, n 0. */
int imb_nn_optimizer_sghmc(imb_nn_optimizer *o, size_t P, double friction,
                           double weight_decay, double temperature, size_t n, uint64_t key);
/* Noise on (non-zero) or off for the steps that follow. 0, or -1 with
 * imb_error() when o is not SGHMC. */
int imb_nn_optimizer_sghmc_sampling(imb_nn_optimizer *o, int on);

/* Sample with SGHMC on the dataset frame train, starting from network
 * model frame init (NULL: a fresh initialisation): the loop of
 * nn_train.h with o's data, objective and hooks, SGHMC in place of the
 * optimiser (o->lr the base step size, < 0: IMB_NN_SGHMC_LR; o->weight_
 * decay, < 0: IMB_NN_SGHMC_WD), the schedule of s, the members kept on
 * the host (and in o->checkpoint's checkpoints, so --resume restores
 * them). o must be a plain step with the SGD optimiser (imb_nn_train_
 * opts_init's) and a classifier. The noise's key is o->seed + 2 (the
 * initialisation draws from o->seed, the loader from o->seed + 1).
 * On success *ens is the ensemble frame of the members kept
 * (nn_ensemble.h; method "sghmc"; fewer than the run's when o->stop_after
 * ends it early) and *log the log frame (as imb_nn_train's; each
 * member's epoch entry has "member": its index from 1). attrs.params
 * holds the loop's settings with "method" "sghmc", "friction",
 * "temperature", "cycles" and the mode's "explore" and
 * "samples_per_cycle" or "burn_in" and "sample_every", in place of
 * "optimizer", "momentum", "nesterov", "schedule" and "warmup".
 * Returns 0; -1 with imb_error() for what imb_nn_train refuses, bad
 * settings, no member kept yet, or members too large for one frame
 * without s->split. */
int imb_nn_sghmc_train(const imb_frame *train, const imb_frame *init, const imb_nn_train_opts *o,
                       const imb_nn_sghmc_opts *s, imb_frame **ens, imb_frame **log,
                       char *summary, size_t summary_size);

/* imb_nn_sghmc_train as nn_tool.h's trainer (ctx: the imb_nn_sghmc_opts):
 * one ensemble frame, or with s->split one frame a member (parts, in
 * order: imb_nn_ensemble_part). */
int imb_nn_sghmc_trainer(void *ctx, const imb_frame *train, const imb_frame *init,
                         const imb_nn_train_opts *o, imb_frame ***models, size_t *nmodels,
                         imb_frame **log, char *summary, size_t summary_size);

#ifdef __cplusplus
}
#endif

#endif
