/* nn_loss.h: classification losses on logits.
 *
 * All five are one backend op (imb_nn_xent, nn_backend.h) configured
 * differently: for sample i with label y and logits z (K),
 *   z'_j = s * (z_j + adjust_j - [j == y] * margin_y)
 *   p = softmax(z'),  l_i = -w_y * (1 - p_y)^gamma * log p_y
 *   loss = sum_i l_i / sum_i w_y
 *
 *   cross-entropy           s = 1, no adjust/margin, w = 1, gamma = 0
 *   class-weighted CE       w = per-class weights (PyTorch's weighted CE:
 *                           normalised by the sum of the batch's weights)
 *   focal (Lin et al. 2017) gamma > 0 (optionally with class weights;
 *                           then normalised like weighted CE)
 *   logit-adjusted CE       adjust_j = tau * log(prior_j) (Menon et al.
 *                           2021, the loss form: train on z + tau log pi,
 *                           predict with plain z)
 *   LDAM (Cao et al. 2019)  margin_j = C / n_j^(1/4), C chosen so that the
 *                           largest margin is max_m; scale s (30 in the
 *                           paper); optional class weights (DRW)
 *
 * The forward writes the exact gradient of the batch loss with respect
 * to the logits (computed in double per sample). Logit adjustment
 * and LDAM margins apply in training only; predictions use plain logits.
 *
 * A loss owns a few backend buffers (weights, offsets, margins): free it
 * with imb_nn_loss_free (NULL-safe, idempotent). */
#ifndef IMB_NN_LOSS_H
#define IMB_NN_LOSS_H

#include "nn_backend.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	IMB_NN_LOSS_CE,
	IMB_NN_LOSS_WEIGHTED_CE,
	IMB_NN_LOSS_FOCAL,
	IMB_NN_LOSS_LOGIT_ADJUSTED,
	IMB_NN_LOSS_LDAM,
} imb_nn_loss_kind;

typedef struct {
	imb_nn_loss_kind kind;
	imb_nn_xent cfg;        /* what the backend op sees */
	float *buf;             /* backend memory behind cfg's arrays */
} imb_nn_loss;

/* Plain cross-entropy over K classes. */
void imb_nn_loss_ce(imb_nn_loss *L, int K);
/* Class-weighted cross-entropy; weight (K) host array, weights >= 0 and
 * not all zero. 0, or -1 with imb_error(). */
int imb_nn_loss_weighted_ce(imb_nn_loss *L, int K, const float *weight);
/* Focal loss with exponent gamma >= 0; weight (K) may be NULL. */
int imb_nn_loss_focal(imb_nn_loss *L, int K, float gamma, const float *weight);
/* Logit-adjusted CE from class counts (K): prior_j = n_j / sum n; every
 * n_j > 0 (a class absent from training has no prior). tau is usually 1. */
int imb_nn_loss_logit_adjusted(imb_nn_loss *L, int K, const int64_t *counts, float tau);
/* LDAM from class counts (K), every n_j > 0; max_m is the largest margin
 * (0.5 in the paper), s the scale (30); weight (K) may be NULL. */
int imb_nn_loss_ldam(imb_nn_loss *L, int K, const int64_t *counts, float max_m,
                     float s, const float *weight);
void imb_nn_loss_free(imb_nn_loss *L);

/* The batch's mean loss into loss (1, backend memory; NULL = not
 * wanted); writes dlogits (N,K) = d loss / d logits (overwriting; NULL =
 * not wanted) and losses (N) = per-sample -(1 - p_y)^gamma log p_y,
 * without the class weight (NULL = not wanted; per-class training loss
 * comes from it). logits is (N,K), y is (N) in [0, K). Nothing waits for
 * the backend: the training loop's form. */
void imb_nn_loss_forward_to(const imb_nn_loss *L,
                            float *dlogits,        // dlogits is (N,K), or NULL
                            float *losses,         // losses is (N), or NULL
                            float *loss,           // loss is (1), or NULL
                            const float *logits,   // logits is (N,K)
                            const int32_t *y,      // y is (N)
                            int N);
/* The same, returning the mean loss to the host (which waits for the
 * backend). */
float imb_nn_loss_forward(const imb_nn_loss *L,
                          float *dlogits,        // dlogits is (N,K), or NULL
                          float *losses,         // losses is (N), or NULL
                          const float *logits,   // logits is (N,K)
                          const int32_t *y,      // y is (N)
                          int N);

/* "ce", "weighted-ce", "focal", "logit-adjusted", "ldam" -> kind, or -1. */
int imb_nn_loss_kind_parse(const char *name);
const char *imb_nn_loss_kind_name(imb_nn_loss_kind k);

/* Inverse-frequency class weights w_j = (sum n / K) / n_j (mean 1 over
 * classes for a balanced count; 0 for an absent class). weight is (K). */
void imb_nn_class_weights_inverse(float *weight, const int64_t *counts, int K);

#ifdef __cplusplus
}
#endif

#endif
