/* nn_data.h: the data part of the training loop: a dataset frame seen as
 * samples, an augmentation list, batches gathered by index, samplers.
 *
 *   imb_nn_data     a train (or val, or unlabelled) frame: u8 images
 *                   (N,C,H,W) / (N,H,W), or (N,D) vectors of any dtype
 *                   (shape (D,1,1)); labels optional
 *   imb_nn_aug_op   one augmentation of one image (C,H,W) -> (C,H,W),
 *                   drawing from the loader's generator; a tool composes
 *                   a list: crop, flip, ..., normalise last
 *   imb_nn_batch    a gathered batch: host staging, backend x (and y)
 *   imb_nn_sampler  an epoch's order of sample indices (plain, balanced)
 *
 * A batch is gathered by the backend (u8 values become floats, exactly),
 * then the list runs on the whole batch, op by op. The draws are made
 * first, on the host, image by image: the draws of one image come
 * together (crop's dy, dx, then flip's coin, then the next image), the
 * order the fused crop-flip of nn_augment.h draws in, to the bit.
 *
 * SimCLR's entries: resized crop, colour jitter and grayscale, each a
 * backend op of the same name (nn_backend.h); they take the raw scale
 * (u8 images gathered as 0..255 floats), so they come before the
 * normalisation.
 *
 * Reading without training (a Hessian, a Laplace fit, validation): gather
 * index ranges with a list holding only the normalisation and no
 * generator (r may be NULL when no op draws). */
#ifndef IMB_NN_DATA_H
#define IMB_NN_DATA_H

#include "nn_backend.h"
#include "rng.h"
#include "stream.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	const imb_frame *f;
	char lb[128];          /* "dataset 'train'", for messages */
	size_t N, D;           /* samples, values per sample (C*H*W) */
	int C, H, W;
	int K;                 /* classes (attrs.classes); 0 without labels */
	const uint8_t *xu8;    /* (N,D) u8 images, or */
	float *xf;             /* (N,D) floats (owned) */
	const int32_t *y;      /* (N) labels in [0, K), or NULL */
	int64_t *counts;       /* (K) class counts, or NULL */
	const imb_nn_backend *be;   /* the backend that holds dev */
	const void *dev;       /* x (xu8 or xf) held by the backend (be->hold) */
} imb_nn_data;

/* View dataset frame f (it must outlive d). labels: 1 needs labels and
 * at least two classes (a classifier), 0 takes x alone (y, when present
 * and valid, is still read). At least 2 samples; float data must be
 * finite. 0, or -1 with imb_error() naming the frame. */
int imb_nn_data_init(imb_nn_data *d, const imb_frame *f, int labels);
/* NULL-safe, idempotent. */
void imb_nn_data_free(imb_nn_data *d);
/* Per-channel mean and std on the scale the network sees (u8: [0, 1]);
 * a constant channel gets std 1. mean, std are (C). */
void imb_nn_data_stats(const imb_nn_data *d, float *mean, float *std);
/* FNV-1a over x and y (bytes and dtypes): a checkpoint must meet its data. */
uint64_t imb_nn_data_fingerprint(const imb_frame *f);

/* ---- augmentation ---- */

typedef struct imb_nn_aug_op imb_nn_aug_op;
struct imb_nn_aug_op {
	const char *name;
	int ndraw;                /* numbers drawn per image (crop 2, flip 1), at
	                           * most IMB_NN_AUG_DRAWS */
	int consts;               /* 1: run reads cst (mean, std below) */
	/* the image's draws into d (ndraw), from r, on the host; H, W: the
	 * image's size (what resized_crop's box must fit) */
	void (*draw)(const imb_nn_aug_op *op, float *d, imb_rng *r, int H, int W);
	/* the batch through the op on the backend: out (n,C,H,W) from inp,
	 * draw (n,ndraw) backend; cst (2C) backend: mean then std, for ops
	 * with them; out never aliases inp */
	void (*run)(const imb_nn_aug_op *op, const imb_nn_backend *be, float *out,
	            const float *inp, const float *draw, const float *cst, int n, int C,
	            int H, int W);
	/* the op's numbers (crop: pad; normalize: scale; resized_crop:
	 * scale_lo, scale_hi, ratio_lo, ratio_hi; color_jitter: b, c, s, h,
	 * p, bound; grayscale: p) */
	float arg[8];
	const float *mean, *std;  /* normalize: (C) host, kept by the caller */
};

/* Random crop of the zero-padded image: draws dy then dx, each
 * imb_rng_below(r, 2*pad+1); nothing drawn for pad 0. */
imb_nn_aug_op imb_nn_aug_crop(int pad);
/* Horizontal flip with probability 1/2: one imb_rng_uniform(r) < 0.5. */
imb_nn_aug_op imb_nn_aug_flip(void);
/* torchvision's RandomResizedCrop(size = the image's, scale, ratio),
 * bilinear (backend op resized_crop): the box (top, left, h, w) drawn
 * as RandomResizedCrop.get_params does, from the area A = H*W: up to 10
 * tries, each drawing u1 then u2 = imb_rng_uniform(r):
 *   target = A * (scale_lo + (scale_hi - scale_lo) u1)
 *   aspect = exp(log ratio_lo + (log ratio_hi - log ratio_lo) u2)
 *   w = round(sqrt(target * aspect)), h = round(sqrt(target / aspect))
 * (round half to even, Python's round); the first try with 0 < w <= W
 * and 0 < h <= H draws top = imb_rng_below(r, H - h + 1), then left =
 * imb_rng_below(r, W - w + 1). After 10 failed tries, the centred
 * fallback: W/H below ratio_lo: w = W, h = round(W / ratio_lo); above
 * ratio_hi: h = H, w = round(H * ratio_hi); else the whole image;
 * top = (H - h) / 2, left = (W - w) / 2 (a side of 0 becomes 1). Four
 * draws per image; SimCLR's are scale (0.08, 1), ratio (3/4, 4/3). */
imb_nn_aug_op imb_nn_aug_resized_crop(float scale_lo, float scale_hi, float ratio_lo,
                                      float ratio_hi);
/* torchvision's RandomApply([ColorJitter(b, c, s, h)], p) on images of
 * values in [0, bound] (255 for u8 images; backend op color_jitter, RGB
 * only: other channel counts pass through unchanged). Six draws per
 * image, always, in this order: apply = imb_rng_uniform(r) < p, order
 * = imb_rng_below(r, 24) (the permutation, numbered as nn_backend.h
 * says), then the factors, each lo + (hi - lo) * imb_rng_uniform(r):
 * brightness in [max(0, 1-b), 1+b], contrast in [max(0, 1-c), 1+c],
 * saturation in [max(0, 1-s), 1+s], hue shift in [-h, h] (h <= 0.5).
 * A parameter of 0 gives factor 1 (shift 0): the adjustment still runs
 * (torchvision skips it; the result is the same but for the hue's
 * float round trip through HSV, within 1e-6 of bound). SimCLR's: 0.4,
 * 0.4, 0.4, 0.1 with p 0.8 (CIFAR) or 0.8, 0.8, 0.8, 0.2. */
imb_nn_aug_op imb_nn_aug_color_jitter(float b, float c, float s, float h, float p, float bound);
/* torchvision's RandomGrayscale(p) (backend op grayscale, RGB only:
 * other channel counts pass through): one draw, imb_rng_uniform(r) < p. */
imb_nn_aug_op imb_nn_aug_grayscale(float p);
/* out = (inp * scale - mean[c]) / std[c] (scale 1/255 for u8 images,
 * 1 for floats: imb_nn_data_scale); draws nothing; mean, std (C) host
 * (NULL: 0 and 1). */
imb_nn_aug_op imb_nn_aug_normalize(const float *mean, const float *std, float scale);
/* The scale that puts d's values where the network sees them. */
float imb_nn_data_scale(const imb_nn_data *d);

/* ---- batches ---- */

#define IMB_NN_AUG_MAX 8      /* ops in one list */
#define IMB_NN_AUG_DRAWS 8    /* numbers one op draws per image, at most */

typedef struct {
	size_t cap, D;         /* most samples, values per sample */
	int C;
	int n;                 /* samples gathered */
	float *x;              /* (cap,D) backend: the batch after the list */
	int32_t *y;            /* (cap) backend labels, or NULL (no labels) */
	int32_t *yh;           /* (cap) host labels, or NULL */
	size_t *idx;           /* (cap) the samples' indices in the data */
	int64_t *ih, *id;      /* (cap) the same as int64, host and backend */
	float *t;              /* (cap,D) backend: the list's other buffer */
	float *dh, *dd;        /* (cap * IMB_NN_AUG_MAX * IMB_NN_AUG_DRAWS) draws, host
	                        * and backend */
	float *cst;            /* (IMB_NN_AUG_MAX * 2C) backend: ops' mean, std */
	float *csth;           /* the same, host: what was uploaded */
	unsigned cst_up;       /* bit k: op slot k's numbers are uploaded */
} imb_nn_batch;

/* Buffers for batches of up to cap samples of d (labels when d has),
 * with the backend current now. */
void imb_nn_batch_init(imb_nn_batch *b, const imb_nn_data *d, size_t cap);
/* NULL-safe, idempotent. */
void imb_nn_batch_free(imb_nn_batch *b);
/* Gather samples idx (n <= cap) through the list ops (nops, may be 0,
 * at most IMB_NN_AUG_MAX; at most IMB_NN_AUG_DRAWS draws per op) into
 * x (and y). The draws are made on the host, image by image in list
 * order; the data stay with the backend (imb_nn_data's dev) and the
 * list runs there on the whole batch, so a GPU gathers and augments
 * with no copy of images per step, only of the indices and the draws. */
void imb_nn_data_gather(const imb_nn_data *d, imb_nn_batch *b, const size_t *idx, size_t n,
                        const imb_nn_aug_op *ops, int nops, imb_rng *r);
/* Several views of the same samples (a contrastive objective's pairs):
 * rows [v*n, (v+1)*n) are view v of idx, each through the list; the views
 * are drawn one after the other (view 0 of every sample, then view 1).
 * n * views <= cap; b->n = n * views; labels and indices repeat. */
void imb_nn_data_gather_views(const imb_nn_data *d, imb_nn_batch *b, const size_t *idx,
                              size_t n, int views, const imb_nn_aug_op *ops, int nops,
                              imb_rng *r);
/* Samples [at, at+n) in order: the reading of eval-mode batches. */
void imb_nn_data_range(const imb_nn_data *d, imb_nn_batch *b, size_t at, size_t n,
                       const imb_nn_aug_op *ops, int nops, imb_rng *r);

/* ---- samplers ---- */

typedef struct imb_nn_sampler imb_nn_sampler;
struct imb_nn_sampler {
	const char *name;
	/* the epoch's draws into order (room for d->N); returns their count */
	size_t (*order)(const imb_nn_sampler *s, size_t *order, const imb_nn_data *d, imb_rng *r);
	void *state;
};

/* plain: a fresh permutation of the N samples (imb_rng_shuffle of 0..N-1) */
extern const imb_nn_sampler imb_nn_sampler_plain;
/* balanced: imb_nn_balanced_order over the labels */
extern const imb_nn_sampler imb_nn_sampler_balanced;

/* The balanced sampler's draw for one epoch: order (n) indices into a set
 * of n samples with labels y (n) in [0, K); N draws split evenly over the
 * classes present (quotas differ by at most one, the extra ones to
 * classes drawn at random), each class cycling through shuffled passes
 * of its samples, the whole order then shuffled. */
void imb_nn_balanced_order(size_t *order, const int32_t *y, size_t n, int K, imb_rng *r);

#ifdef __cplusplus
}
#endif

#endif
