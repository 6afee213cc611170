/* nn_knn.h: the weighted k-nearest-neighbour monitor of self-supervised
 * pre-training (InstDisc, Wu et al. 2018; the MoCo CIFAR demo;
 * solo-learn's k-NN callback): how well the backbone's features of a
 * labelled frame are classified by their neighbours among the features
 * of a labelled bank (the train set), with no classifier trained.
 *
 *   features    the backbone's output (imb_nn_model_forward_to, eval
 *               mode, IMB_NN_AT_FEATURES) of every sample, unaugmented,
 *               normalised with the run's per-channel mean and std (the
 *               data part's normalisation op), each vector L2-normalised by the backend (l2norm_rows)
 *               (a zero vector stays zero)
 *   similarity  cosine: the dot product of normalised features, one
 *               backend gemm per chunk of queries against the whole bank
 *   neighbours  per query, the k most similar bank samples (k capped at
 *               the bank's size; of equal similarities the lower bank
 *               index first), by a partial selection on the host
 *   vote        each neighbour weighs exp(sim / T); a class's score is
 *               the sum of its neighbours' weights; the prediction is the
 *               class of the largest score, the first (lowest index) of
 *               equal ones
 *
 * The weights are computed as exp((sim - s1) / T), s1 the query's
 * largest similarity: the same ratios as exp(sim / T), so the same
 * prediction, without overflow for a small T.
 *
 * Everything on the model's side goes through the backend table: the
 * bank's features stay with the backend, and per chunk of queries only
 * the (chunk, bank) similarities come back to the host. Memory: the
 * bank's features (N x F floats) with the backend, and a similarity
 * chunk of at most 2^24 floats (64 MB) with the backend and on the host.
 * The similarities follow the backend's gemm precision (tf32, bf16 when
 * a run sets them). */
#ifndef IMB_NN_KNN_H
#define IMB_NN_KNN_H

#include "nn_data.h"
#include "nn_hooks.h"
#include "nn_model.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IMB_NN_KNN_K 200       /* neighbours */
#define IMB_NN_KNN_T 0.1       /* temperature */

/* The k-NN accuracy of the features of model m on query, with bank as
 * the neighbours. mean, std (bank->C): the normalisation the model was
 * trained with (NULL: 0 and 1). bank needs labels (y in [0, K), K =
 * bank->K classes); query needs labels, matched to the bank's classes
 * through qmap (query->K entries: qmap[c] is the bank class of query
 * class c, or -1 for a class the bank lacks, whose samples count as
 * wrong; NULL: the query's labels are bank class indices already, and
 * one at or past K is a class the bank lacks). Both hold samples of the
 * same shape (C,H,W), which m takes (C*H*W values). k <= 0: IMB_NN_KNN_K;
 * T <= 0 (or not finite): IMB_NN_KNN_T.
 * Outputs, each NULL when not wanted: *acc the fraction of the query's
 * samples predicted as their class; per_class_acc (K) that fraction
 * among the query's samples of each bank class (NaN for a class with
 * none); per_class_n (K) those counts; pred (query->N) each sample's
 * predicted bank class. 0, or -1 with imb_error() for mismatched shapes
 * or missing labels. */
int imb_nn_knn_accuracy(imb_nn_model *m, const float *mean, const float *std,
                        const imb_nn_data *bank, const imb_nn_data *query, const int32_t *qmap,
                        int k, double T, double *acc, double *per_class_acc,
                        double *per_class_n, int32_t *pred);

/* The monitor as an epoch hook: after each epoch, imb_nn_knn_accuracy
 * of the loop's model L->m with its normalisation L->mean, L->std, on
 * dataset frame monitor (kept by the caller while training), with bank
 * (kept by the caller while training: the train set, usually &L->data
 * of the loop the hook is added to) as the neighbours: fields knn_acc,
 * knn_per_class_acc, knn_per_class_n (K, the bank's classes) in the
 * epoch's log entry, and " knn ACC per-class A,B,..." on its line.
 * The bank needs labels: a tool whose train set has none does not add
 * the hook. monitor needs labels and at least 2 samples of the bank's
 * shape (C,H,W); its classes are matched by name to the bank's (its
 * attrs.classes; train_label names the bank in messages, NULL: the
 * bank's own label), in any order, a subset allowed
 * (imb_dataset_class_map). k, T as for imb_nn_knn_accuracy. The current
 * backend must be the loop's. 0, or -1 with imb_error() naming the
 * frame. */
int imb_nn_hook_knn(imb_nn_hook *h, const imb_frame *monitor, const imb_nn_data *bank, int k,
                    double T, const char *train_label);

#ifdef __cplusplus
}
#endif

#endif
