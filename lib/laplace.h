/* laplace.h: the Laplace approximation of a trained network's posterior
 * (MacKay 1992; Daxberger et al. 2021, "Laplace Redux"), and its
 * predictive, for imb-laplace and the "laplace" entry of predict.c.
 *
 * Around the trained weights theta (the MAP), the posterior is
 *   N(theta, (H + delta I)^-1)
 * with H the generalised Gauss-Newton matrix (GGN) of the summed
 * cross-entropy over the N train samples, batch norm in eval mode:
 *   H = sum_n J_n^T Lambda_n J_n,   Lambda_n = diag(p_n) - p_n p_n^T
 * (J_n the Jacobian of the logits by the weights, p_n the softmax), and
 * delta the prior precision (a Gaussian prior N(0, 1/delta) on each
 * weight under the posterior).
 *
 * Subsets and structures of H:
 *   last-layer  the last linear layer (W (K,F), b (K)), the rest fixed:
 *               f = W phi + b, phi the layer's input (IMB_NN_AT_LAST_LINEAR).
 *               In the augmented order (k, i), i < F weight W[k,i], i = F
 *               bias b[k] (phi~ = [phi; 1], F+1 values), J_n = I_K (x)
 *               phi~^T and H = sum_n Lambda_n (x) phi~ phi~^T:
 *     full      H itself, K(F+1) square, from the factor Lambda_n =
 *               sum_c u_c u_c^T, u_c = sqrt(p_c) (e_c - p) (no
 *               cancellation: a sum of squares), eigendecomposed
 *     kfac      G (x) A with G = sum_n Lambda_n (K,K) and A = (1/N) sum_n
 *               phi~ phi~^T (F+1,F+1): K-FAC in homogeneous coordinates
 *               (Martens and Grosse 2015), weight and bias in one factor;
 *               eigenvalues g_j a_i
 *     diag      H's diagonal, sum_n Lambda_n[k,k] phi~_i^2
 *   all         every weight; diag only: H's diagonal, one backward per
 *               sample and factor vector u_c (batch of one, eval mode), so
 *               no per-sample Jacobian is ever kept
 *
 * Marginal likelihood (laplace-torch's formula, temperature 1):
 *   log Z(delta) = log p(D | theta) - 1/2 (sum_i log(lambda_i + delta)
 *                  - n_p log delta + delta ||theta||^2)
 * over the n_p weights under the posterior and H's eigenvalues lambda_i
 * (its diagonal for diag). Its maximum over delta is the root of a
 * function increasing in delta, found by bisection on log delta.
 *
 * Predictive (the linearised network, GLM): the logits at x are
 * N(f(x), J Sigma J^T), Sigma = (H + delta I)^-1; the probit
 * approximation gives softmax(f_k / sqrt(1 + pi/8 var_k)) (laplace-
 * torch's multi-class probit); with samples S > 0, the mean softmax of S
 * draws of the logits instead. J Sigma J^T for the last layer comes from
 * the factors (kfac: U_G diag(s) U_G^T, s_j = sum_i (U_A^T phi~)_i^2 /
 * (g_j a_i + delta)); for all weights from the sample's K Jacobian rows,
 * one backward each. */
#ifndef IMB_LAPLACE_H
#define IMB_LAPLACE_H

#include "nn_data.h"
#include "nn_frame.h"
#include "stream.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { IMB_LA_LAST_LAYER, IMB_LA_ALL } imb_la_subset;
typedef enum { IMB_LA_FULL, IMB_LA_KFAC, IMB_LA_DIAG } imb_la_hessian;
typedef enum { IMB_LA_TUNE_MARGLIK, IMB_LA_TUNE_VAL, IMB_LA_TUNE_NONE } imb_la_tune;

typedef struct {
	imb_la_subset subset;      /* default last-layer */
	imb_la_hessian hessian;    /* default kfac */
	imb_la_tune tune;          /* default marglik */
	double prior_precision;    /* the start of the tuning, or the one used
	                            * (tune none); default 1 */
	double grid_lo, grid_hi;   /* val: log10 of the grid's ends (-4, 4) */
	int grid_n;                /* val: its points (21) */
	int samples;               /* 0: probit; S > 0: S draws of the logits */
	int batch;                 /* samples per batch (256) */
	uint64_t seed;             /* the draws' seed (1) */
} imb_la_opts;

void imb_la_opts_init(imb_la_opts *o);
/* NULL when fine, else a message naming the flag (static storage). */
const char *imb_la_opts_check(const imb_la_opts *o);
const char *imb_la_subset_name(imb_la_subset s);   /* "last-layer", "all" */
const char *imb_la_hessian_name(imb_la_hessian h); /* "full", "kfac", "diag" */

typedef struct imb_la imb_la;

/* Fit around the network net (taken: freed with the result) on the
 * labelled dataset frame train, then tune the prior precision as o says
 * (val: the labelled frame val, else NULL). tmap, vmap: the frames'
 * labels to the model's classes (imb_dataset_class_map; NULL: the same).
 * NULL with imb_error() (the full GGN past 20000 weights, all weights
 * with a structure other than diag, a set without labels or of another
 * sample shape). */
imb_la *imb_la_fit(imb_nn_loaded *net, const imb_frame *train, const int32_t *tmap,
                   const imb_frame *val, const int32_t *vmap, const imb_la_opts *o);
/* NULL-safe. */
void imb_la_free(imb_la *la);

/* log Z at prior precision delta > 0. */
double imb_la_log_marglik(const imb_la *la, double delta);
/* The prior precision in use, and what the fit found out (what
 * attrs.laplace records): tuned, initial, their log Z, the train set's
 * log-likelihood, the validation NLL (NaN without val). */
typedef struct {
	double delta, delta0, lml, lml0, log_lik, val_nll;
	size_t n, np;              /* train samples, weights under the posterior */
	double seconds;
} imb_la_info;
void imb_la_get_info(const imb_la *la, imb_la_info *info);

/* Class probabilities (n,K) of the predictive for x (n,C,H,W), backend
 * memory, normalised. 0, or -1 with imb_error(). */
int imb_la_predict_dev(imb_la *la, float *probs, const float *x, int n);

/* The posterior frame (kind "posterior", name "model", attrs.model
 * "laplace"; docs/stream-format.md): the network model frame model
 * (whose network la holds) made into it, in place: its attrs keep every
 * network field, attrs.laplace is added, and the factors as tensors
 * la_*. */
void imb_la_frame(imb_la *la, imb_frame *model);

/* imb-laplace's frames (route.h): the first model frame (a network:
 * consumed, the posterior written in its place), the dataset frame
 * named frame (the train set) and, with val_frame, that one (both
 * forwarded unchanged); every other frame passes through. The fit's
 * summary goes to the log. 0; -1 with imb_error() naming a frame the
 * stream lacks, a model that is not a network, or why the fit failed. */
int imb_la_tool(imb_reader *r, imb_writer *w, const char *frame, const char *val_frame,
                const imb_la_opts *o);

/* predict.c's entries: a posterior frame read back (checks d = C*H*W, K). */
void *imb_la_load(const imb_frame *f, size_t d, int K);
int imb_la_predict(void *la, const float *x, size_t n, size_t d, int K, float *probs);
void imb_la_unload(void *la);

#ifdef __cplusplus
}
#endif

#endif
