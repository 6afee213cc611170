/* nn_sam.h: sharpness-aware minimisation (Foret et al. 2021) as an entry
 * of the step part (nn_step.h), with a per-class ascent radius and ASAM.
 *
 * One step on a batch, w the trained parameters (params[off..P)):
 *
 *   1. zero the gradients; forward in train mode (batch-norm running
 *      statistics updated: the only update of this step); the plain
 *      objective gives the loss and per-sample losses the epoch log
 *      reports, and d loss / d out
 *   2. ascent gradient g_a: the backward of d out with row i scaled by
 *      s_{y_i} = rho_{y_i} / rho (no scaling when every s_c is 1): the
 *      gradient of the CE-family loss whose class-c terms are scaled by
 *      rho_c / rho, normalised as the plain loss is
 *   3. w0 = copy(w);  e = rho * T^2 g_a / (||T g_a|| + 1e-12), T = 1 for
 *      SAM, T = |w| + eta (eta = 0.01, every parameter) for ASAM;
 *      w = w + e
 *   4. zero the gradients; forward with batch statistics but running
 *      statistics left alone (IMB_NN_TRAIN_FROZEN); the plain objective;
 *      backward: g = the plain gradient at w + e
 *   5. w = copy(w0) (copied back, not subtracted: no rounding drift);
 *      the optimiser steps w with g (weight decay stays there)
 *
 * With rho = 0 the step is the plain step, bit for bit (it runs it).
 * With a frozen backbone (head_only) both passes are in eval mode and
 * only the head is perturbed. Every operation on parameters is a backend
 * op (copy, axpy_norm, axpy, mul, scale, relu_forward); the step keeps no
 * state between steps (its buffers are scratch), so a checkpoint needs
 * nothing from it. docs/engine.md ("SAM") writes the update out. */
#ifndef IMB_NN_SAM_H
#define IMB_NN_SAM_H

#include "nn_step.h"
#include "nn_train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IMB_NN_SAM_RHO 0.05      /* the default radius */
#define IMB_NN_ASAM_ETA 0.01     /* T = |w| + eta (Kwon et al.'s code) */
#define IMB_NN_SAM_EPS 1e-12     /* added to the norm (Foret et al.'s code) */

/* The SAM step over K classes: radius rho >= 0, ASAM when adaptive,
 * per-class radii rho_c (K; NULL: every class rho). A class radius needs
 * rho > 0 (the ascent loss scales class c by rho_c / rho). Buffers are
 * allocated at the first step. 0, or -1 with imb_error(). */
int imb_nn_step_sam(imb_nn_step *s, double rho, int adaptive, int K, const double *rho_c);

/* The per-class radii of o for train set t into rho_c (K): rho
 * (o->rho, IMB_NN_SAM_RHO when unset), then o->rho_minority for every
 * class whose count is below the median count (the mean of the two
 * middle counts for an even K), then each of o->rho_class's "C:R" in
 * order (C a name of attrs.classes, else an index). 0; -1 with
 * imb_error() for a class t does not have. */
int imb_nn_sam_radii(double *rho_c, const imb_nn_train_opts *o, const imb_nn_data *t);

#ifdef __cplusplus
}
#endif

#endif
