/* nn_augment.h: data augmentation for image batches on the host (the
 * loader's side; upload the result to the backend afterwards).
 *
 * The usual CIFAR recipe, torchvision's RandomCrop(H, padding=pad),
 * RandomHorizontalFlip(), ToTensor(), Normalize(mean, std), is
 *   imb_nn_aug_crop_flip_u8(tmp, x, N, C, H, W, pad, 1, r);
 *   imb_nn_aug_normalize_u8(out, tmp, N, C, H*W, mean, std);
 * Cropping pads with zeros of the raw data, as torchvision does, so crop
 * before normalising. Randomness comes only from r, drawn in a fixed
 * order (see imb_nn_aug_crop_flip_u8), so a seed gives the same batch on
 * every machine and thread count. */
#ifndef IMB_NN_AUGMENT_H
#define IMB_NN_AUGMENT_H

#include "rng.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Random crop of the zero-padded image back to H x W, then a horizontal
 * flip with probability 1/2, per image. For each image in order: if
 * pad > 0, dy then dx = imb_rng_below(r, 2*pad + 1); if flip, one
 * imb_rng_uniform(r) < 0.5 flips. Then
 *   out[c][i][j] = inp[c][i + dy - pad][j' + dx - pad]  (0 outside),
 *   j' = flipped ? W-1-j : j.
 * pad = 0 and flip = 0 copy the batch and draw nothing. out must not
 * overlap inp. */
void imb_nn_aug_crop_flip_u8(uint8_t *out,         // out is (N,C,H,W)
                             const uint8_t *inp,   // inp is (N,C,H,W)
                             int N, int C, int H, int W, int pad, int flip,
                             imb_rng *r);
void imb_nn_aug_crop_flip_f32(float *out,          // out is (N,C,H,W)
                              const float *inp,    // inp is (N,C,H,W)
                              int N, int C, int H, int W, int pad, int flip,
                              imb_rng *r);

/* Per-channel normalisation: out = (inp / 255 - mean[c]) / std[c] for u8
 * (ToTensor then Normalize), out = (inp - mean[c]) / std[c] for f32 (out
 * may be inp). mean/std (C) NULL mean 0 and 1; std > 0. */
void imb_nn_aug_normalize_u8(float *out,           // out is (N,C,HW)
                             const uint8_t *inp,   // inp is (N,C,HW)
                             int N, int C, int HW, const float *mean, const float *std);
void imb_nn_aug_normalize_f32(float *out,          // out is (N,C,HW)
                              const float *inp,    // inp is (N,C,HW)
                              int N, int C, int HW, const float *mean, const float *std);

/* Per-channel mean and standard deviation (population, over N and HW) of
 * a u8 batch on the [0, 1] scale, for imb_nn_aug_normalize_u8. */
void imb_nn_aug_channel_stats_u8(float *mean,         // mean is (C)
                                 float *std,          // std is (C)
                                 const uint8_t *inp,  // inp is (N,C,HW)
                                 int N, int C, int HW);

#ifdef __cplusplus
}
#endif

#endif
