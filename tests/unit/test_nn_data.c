/* test_nn_data.c: the data part. The augmentation list crop(4), flip,
 * normalise gives the bits of the fused crop-flip plus normalisation it
 * replaced, drawing the same numbers (u8 and f32); the list's order
 * matters; the samplers draw what they did; index ranges read samples in
 * order; a frame without labels is read. SimCLR's entries (resized
 * crop, colour jitter, grayscale): shapes, value ranges, seeding, their
 * draws in the documented order, resized crop's boxes (valid, scale and
 * aspect in range, the fallback), pass-through of non-RGB images.
 *
 * Given a directory, `test_nn_data DIR` compares the resized_crop,
 * color_jitter and grayscale ops of every linked backend that starts
 * (the CPU's; CUDA's where there is a GPU) with torchvision's dumps of
 * tests/augment_torch_ref.py (tests/augment.bats): images in [0, 1],
 * ours on the values times 255 (bound 255), divided back. */
#include "check.h"
#include "nn_check.h"
#include "dataset.h"
#include "nn_augment.h"
#include "nn_backend.h"
#include "nn_data.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

#define NS 37
#define CH 3
#define HT 9
#define WD 7

static imb_frame *images(int u8, int labels)
{
	imb_frame *f = imb_frame_new("dataset", "train");
	uint64_t sx[4] = {NS, CH, HT, WD}, sy[1] = {NS};
	imb_tensor *x = imb_frame_add_tensor(f, "x", u8 ? IMB_U8 : IMB_F32, 4, sx);
	imb_rng r;
	imb_rng_seed(&r, 4);
	for (size_t i = 0; i < (size_t)NS * CH * HT * WD; i++)
		if (u8)
			((uint8_t *)x->data)[i] = (uint8_t)imb_rng_below(&r, 256);
		else
			((float *)x->data)[i] = (float)imb_rng_normal(&r);
	if (labels) {
		int32_t *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, sy)->data;
		for (int i = 0; i < NS; i++)
			y[i] = i % 5 == 0;
		imb_dataset_update_counts(f);
	}
	return f;
}

/* the list against the fused ops it replaced, on a batch of idx */
static void test_list(int u8)
{
	imb_frame *f = images(u8, 1);
	imb_nn_data d;
	CHECK(imb_nn_data_init(&d, f, 1) == 0);
	CHECK_EQ_INT(d.N, NS);
	CHECK_EQ_INT(d.D, CH * HT * WD);
	float mean[CH], std[CH];
	imb_nn_data_stats(&d, mean, std);
	size_t idx[NS], D = d.D;
	for (int i = 0; i < NS; i++)
		idx[i] = (size_t)(i * 7) % NS;
	imb_nn_aug_op ops[3] = { imb_nn_aug_crop(4), imb_nn_aug_flip(),
	                         imb_nn_aug_normalize(mean, std, imb_nn_data_scale(&d)) };
	imb_nn_batch b;
	imb_nn_batch_init(&b, &d, NS);
	imb_rng r1, r2;
	imb_rng_seed(&r1, 9);
	imb_rng_seed(&r2, 9);
	imb_nn_data_gather(&d, &b, idx, NS, ops, 3, &r1);
	/* the old way: gather, crop-flip the batch, normalise the batch */
	float *want = imb_xmalloc(NS * D * sizeof *want), *got = imb_xmalloc(NS * D * sizeof *got);
	const imb_tensor *x = imb_frame_tensor(f, "x");
	if (u8) {
		uint8_t *xs = imb_xmalloc(NS * D), *xa = imb_xmalloc(NS * D);
		for (int i = 0; i < NS; i++)
			memcpy(xs + i * D, (const uint8_t *)x->data + idx[i] * D, D);
		imb_nn_aug_crop_flip_u8(xa, xs, NS, CH, HT, WD, 4, 1, &r2);
		imb_nn_aug_normalize_u8(want, xa, NS, CH, HT * WD, mean, std);
		free(xs);
		free(xa);
	} else {
		float *xs = imb_xmalloc(NS * D * sizeof *xs), *xa = imb_xmalloc(NS * D * sizeof *xa);
		for (int i = 0; i < NS; i++)
			memcpy(xs + i * D, (const float *)x->data + idx[i] * D, D * sizeof *xs);
		imb_nn_aug_crop_flip_f32(xa, xs, NS, CH, HT, WD, 4, 1, &r2);
		imb_nn_aug_normalize_f32(want, xa, NS, CH, HT * WD, mean, std);
		free(xs);
		free(xa);
	}
	imb_nn_be()->download(got, b.x, NS * D * sizeof *got);
	CHECK(!memcmp(got, want, NS * D * sizeof *got));
	CHECK(!memcmp(&r1, &r2, sizeof r1));    /* the same draws, in the same order */
	int32_t y[NS];
	imb_nn_be()->download(y, b.y, sizeof y);
	int ylab = 1;
	for (int i = 0; i < NS; i++)
		ylab &= y[i] == (int32_t)(idx[i] % 5 == 0) && b.yh[i] == y[i];
	CHECK(ylab);
	fprintf(stderr, "  %-4s crop, flip, normalise as a list: the fused ops' bits and draws (%d images)\n",
	       u8 ? "u8" : "f32", NS);
	/* the order of the list matters: flip then crop is another batch */
	imb_nn_aug_op rev[3] = { ops[1], ops[0], ops[2] };
	imb_rng_seed(&r1, 9);
	imb_nn_data_gather(&d, &b, idx, NS, rev, 3, &r1);
	imb_nn_be()->download(got, b.x, NS * D * sizeof *got);
	CHECK(memcmp(got, want, NS * D * sizeof *got) != 0);
	/* eval-mode reading: a range, normalised, no generator */
	imb_nn_data_range(&d, &b, 5, 10, ops + 2, 1, NULL);
	CHECK_EQ_INT(b.n, 10);
	imb_nn_be()->download(got, b.x, 10 * D * sizeof *got);
	if (u8)
		imb_nn_aug_normalize_u8(want, (const uint8_t *)x->data + 5 * D, 10, CH, HT * WD, mean, std);
	else
		imb_nn_aug_normalize_f32(want, (const float *)x->data + 5 * D, 10, CH, HT * WD, mean, std);
	CHECK(!memcmp(got, want, 10 * D * sizeof *got));
	CHECK_EQ_INT(b.idx[0], 5);
	CHECK_EQ_INT(b.idx[9], 14);
	free(want);
	free(got);
	imb_nn_batch_free(&b);
	imb_nn_batch_free(&b);
	imb_nn_data_free(&d);
	imb_nn_data_free(&d);
	imb_frame_free(f);
}

/* crops wider than the image (pad > W, H): zeros, as the fused op gives */
static void test_wide_crop(void)
{
	imb_frame *f = images(0, 1);
	imb_nn_data d;
	CHECK(imb_nn_data_init(&d, f, 1) == 0);
	size_t idx[NS], D = d.D;
	for (int i = 0; i < NS; i++)
		idx[i] = (size_t)i;
	imb_nn_aug_op op = imb_nn_aug_crop(12);
	imb_nn_batch b;
	imb_nn_batch_init(&b, &d, NS);
	imb_rng r1, r2;
	imb_rng_seed(&r1, 5);
	imb_rng_seed(&r2, 5);
	imb_nn_data_gather(&d, &b, idx, NS, &op, 1, &r1);
	float *want = imb_xmalloc(NS * D * sizeof *want), *got = imb_xmalloc(NS * D * sizeof *got);
	imb_nn_aug_crop_flip_f32(want, imb_frame_tensor(f, "x")->data, NS, CH, HT, WD, 12, 0, &r2);
	imb_nn_be()->download(got, b.x, NS * D * sizeof *got);
	CHECK(!memcmp(got, want, NS * D * sizeof *got));
	free(want);
	free(got);
	imb_nn_batch_free(&b);
	imb_nn_data_free(&d);
	imb_frame_free(f);
}

/* two views of each sample: rows [0, n) and [n, 2n), labels repeated;
 * a list that draws makes them differ, one that does not keeps them equal */
static void test_views(void)
{
	imb_frame *f = images(1, 1);
	imb_nn_data d;
	CHECK(imb_nn_data_init(&d, f, 1) == 0);
	size_t idx[4] = {3, 0, 9, 5}, D = d.D;
	imb_nn_aug_op ops[2] = { imb_nn_aug_crop(2), imb_nn_aug_normalize(NULL, NULL, 1.0f / 255) };
	imb_nn_batch b;
	imb_nn_batch_init(&b, &d, 8);
	imb_rng r;
	imb_rng_seed(&r, 1);
	float *x = imb_xmalloc(8 * D * sizeof *x);
	imb_nn_data_gather_views(&d, &b, idx, 4, 2, ops + 1, 1, NULL);
	CHECK_EQ_INT(b.n, 8);
	imb_nn_be()->download(x, b.x, 8 * D * sizeof *x);
	CHECK(!memcmp(x, x + 4 * D, 4 * D * sizeof *x));
	int lab = 1;
	for (int i = 0; i < 8; i++)
		lab &= b.idx[i] == idx[i % 4] && b.yh[i] == d.y[idx[i % 4]];
	CHECK(lab);
	imb_nn_data_gather_views(&d, &b, idx, 4, 2, ops, 2, &r);
	imb_nn_be()->download(x, b.x, 8 * D * sizeof *x);
	CHECK(memcmp(x, x + 4 * D, 4 * D * sizeof *x) != 0);
	free(x);
	imb_nn_batch_free(&b);
	imb_nn_data_free(&d);
	imb_frame_free(f);
}

static void test_samplers(void)
{
	imb_frame *f = images(1, 1);
	imb_nn_data d;
	CHECK(imb_nn_data_init(&d, f, 1) == 0);
	size_t a[NS], b[NS];
	imb_rng r1, r2;
	imb_rng_seed(&r1, 3);
	imb_rng_seed(&r2, 3);
	CHECK_EQ_INT(imb_nn_sampler_plain.order(&imb_nn_sampler_plain, a, &d, &r1), NS);
	for (int i = 0; i < NS; i++)
		b[i] = (size_t)i;
	imb_rng_shuffle(&r2, b, NS);
	CHECK(!memcmp(a, b, sizeof a));
	CHECK_EQ_INT(imb_nn_sampler_balanced.order(&imb_nn_sampler_balanced, a, &d, &r1), NS);
	imb_nn_balanced_order(b, d.y, NS, d.K, &r2);
	CHECK(!memcmp(a, b, sizeof a));
	int n1 = 0;
	for (int i = 0; i < NS; i++)
		n1 += d.y[a[i]];
	CHECK(n1 == NS / 2 || n1 == NS / 2 + 1);
	/* the draw order itself, pinned: the loader's bytes depend on it */
	int32_t y[1000];
	for (int i = 0; i < 1000; i++)
		y[i] = i % 10 == 0 ? 2 : i % 3 == 0;
	static size_t o[1000];
	imb_rng_seed(&r1, 12345);
	imb_nn_balanced_order(o, y, 1000, 4, &r1);
	uint64_t h = 0;
	for (int i = 0; i < 1000; i++)
		h = h * 1000003u + o[i];
	fprintf(stderr, "  balanced order hash %016llx\n", (unsigned long long)h);
	CHECK(h == 0xc67974e5ef1bf67aull);   /* the draw before the part moved to nn_data.c */
	imb_nn_data_free(&d);
	imb_frame_free(f);
}

static void test_unlabelled(void)
{
	imb_frame *f = images(1, 0);
	imb_nn_data d;
	CHECK(imb_nn_data_init(&d, f, 1) == -1);     /* a classifier needs labels */
	CHECK(imb_nn_data_init(&d, f, 0) == 0);
	CHECK(d.y == NULL && d.K == 0 && d.counts == NULL);
	CHECK_EQ_INT(d.C, CH);
	imb_nn_batch b;
	imb_nn_batch_init(&b, &d, 4);
	CHECK(b.y == NULL);
	size_t idx[2] = {3, 1};
	imb_nn_data_gather(&d, &b, idx, 2, NULL, 0, NULL);
	float got[2 * CH * HT * WD];
	imb_nn_be()->download(got, b.x, sizeof got);
	const uint8_t *x = imb_frame_tensor(f, "x")->data;
	CHECK(got[0] == x[3 * CH * HT * WD] && got[CH * HT * WD] == x[CH * HT * WD]);
	CHECK(imb_nn_data_fingerprint(f) != 0);
	imb_nn_batch_free(&b);
	imb_nn_data_free(&d);
	imb_frame_free(f);
}

/* the normalisation's numbers reach the backend once per batch buffers,
 * and again whenever they change: other means, the same batch, other
 * floats */
static void test_consts_change(void)
{
	imb_frame *f = images(1, 1);
	imb_nn_data d;
	CHECK(imb_nn_data_init(&d, f, 1) == 0);
	size_t idx[4] = {0, 1, 2, 3}, D = d.D;
	float m1[CH], m2[CH], sd[CH];
	for (int c = 0; c < CH; c++) {
		m1[c] = 0.25f;
		m2[c] = 0.75f;
		sd[c] = 0.5f;
	}
	imb_nn_batch b;
	imb_nn_batch_init(&b, &d, 4);
	float *a = imb_xmalloc(4 * D * sizeof *a), *c2 = imb_xmalloc(4 * D * sizeof *c2);
	imb_nn_aug_op op = imb_nn_aug_normalize(m1, sd, imb_nn_data_scale(&d));
	imb_nn_data_gather(&d, &b, idx, 4, &op, 1, NULL);
	imb_nn_be()->download(a, b.x, 4 * D * sizeof *a);
	op = imb_nn_aug_normalize(m2, sd, imb_nn_data_scale(&d));
	imb_nn_data_gather(&d, &b, idx, 4, &op, 1, NULL);
	imb_nn_be()->download(c2, b.x, 4 * D * sizeof *c2);
	int shifted = 1;   /* (x - 0.75) / 0.5 = (x - 0.25) / 0.5 - 1 */
	for (size_t i = 0; i < 4 * D; i++)
		shifted &= fabsf(c2[i] - (a[i] - 1)) < 1e-5f;
	CHECK(shifted);
	free(a);
	free(c2);
	imb_nn_batch_free(&b);
	imb_nn_data_free(&d);
	imb_frame_free(f);
}

/* ---- SimCLR's entries ---- */

static imb_frame *gray_images(void)
{
	imb_frame *f = imb_frame_new("dataset", "train");
	uint64_t sx[3] = {NS, HT, WD};
	uint8_t *x = imb_frame_add_tensor(f, "x", IMB_U8, 3, sx)->data;
	for (size_t i = 0; i < (size_t)NS * HT * WD; i++)
		x[i] = (uint8_t)(i * 37 % 256);
	return f;
}

/* the batch x of idx 0..n-1 through ops (views 2), seeded */
static float *run_list(const imb_nn_data *d, const imb_nn_aug_op *ops, int nops, uint64_t seed,
                       imb_rng *after)
{
	size_t idx[NS], D = d->D;
	for (int i = 0; i < NS; i++)
		idx[i] = (size_t)i;
	imb_nn_batch b;
	imb_nn_batch_init(&b, d, 2 * NS);
	imb_rng r;
	imb_rng_seed(&r, seed);
	imb_nn_data_gather_views(d, &b, idx, NS, 2, ops, nops, &r);
	CHECK_EQ_INT(b.n, 2 * NS);
	float *x = imb_xmalloc(2 * NS * D * sizeof *x);
	imb_nn_be()->download(x, b.x, 2 * NS * D * sizeof *x);
	imb_nn_batch_free(&b);
	if (after)
		*after = r;
	return x;
}

/* each entry alone and all in SimCLR's list (crop, flip, jitter, gray:
 * 12 draws an image, beyond the old 4 an op): values stay whole-range
 * [0, 255] and finite, a seed gives the same batch and generator state,
 * another seed another batch; p = 0 is the identity, grayscale p = 1
 * makes the channels equal, resized crop stays within each image's range */
static void test_simclr_ops(void)
{
	imb_frame *f = images(1, 1);
	imb_nn_data d;
	CHECK(imb_nn_data_init(&d, f, 1) == 0);
	size_t D = d.D, P = (size_t)HT * WD;
	const uint8_t *src = imb_frame_tensor(f, "x")->data;
	imb_nn_aug_op all[4] = { imb_nn_aug_resized_crop(0.08f, 1, 0.75f, 4.0f / 3),
	                         imb_nn_aug_flip(),
	                         imb_nn_aug_color_jitter(0.4f, 0.4f, 0.4f, 0.1f, 0.8f, 255),
	                         imb_nn_aug_grayscale(0.2f) };
	const imb_nn_aug_op *lists[4] = { all, all + 2, all + 3, all };
	int lens[4] = { 1, 1, 1, 4 };
	for (int l = 0; l < 4; l++) {
		imb_rng ra, rb;
		float *a = run_list(&d, lists[l], lens[l], 7, &ra), *b = run_list(&d, lists[l], lens[l], 7, &rb);
		float *c = run_list(&d, lists[l], lens[l], 8, NULL);
		CHECK(!memcmp(a, b, 2 * NS * D * sizeof *a));
		CHECK(!memcmp(&ra, &rb, sizeof ra));
		CHECK(memcmp(a, c, 2 * NS * D * sizeof *a) != 0);
		CHECK(memcmp(a, a + NS * D, NS * D * sizeof *a) != 0);    /* the two views */
		int range = 1, within = 1;
		for (size_t i = 0; i < 2 * NS * D; i++) {
			range &= a[i] >= 0 && a[i] <= (lists[l] == all ? 255 + 1e-4f : 255);
			if (l == 0) {
				/* a bilinear value lies between its image's extremes
				 * (up to an ulp: the weights are rounded floats, as
				 * PyTorch's are, and may sum to just over 1) */
				size_t s = i / D % NS, ch = i % D / P;
				float lo = 255, hi = 0;
				for (size_t j = 0; j < P; j++) {
					float v = src[s * D + ch * P + j];
					lo = v < lo ? v : lo;
					hi = v > hi ? v : hi;
				}
				within &= a[i] >= lo - 1e-4f && a[i] <= hi + 1e-4f;
			}
		}
		CHECK(range);
		CHECK(within);
		fprintf(stderr, "  %-13s %d entr%s: [0, 255] kept, seeded, two views differ\n",
		        lists[l]->name, lens[l], lens[l] == 1 ? "y" : "ies");
		free(a); free(b); free(c);
	}
	/* probability 0: the gathered images themselves; grayscale 1: gray */
	imb_nn_aug_op off[2] = { imb_nn_aug_color_jitter(0.4f, 0.4f, 0.4f, 0.1f, 0, 255),
	                         imb_nn_aug_grayscale(1) };
	float *a = run_list(&d, off, 1, 3, NULL), *g = run_list(&d, off + 1, 1, 3, NULL);
	int same = 1, gray = 1;
	for (size_t i = 0; i < 2 * NS * D; i++) {
		same &= a[i] == src[i % (NS * D)];
		gray &= g[i] == g[i / D * D + i % P];
	}
	CHECK(same);
	CHECK(gray);
	free(a); free(g);
	/* an image of one channel passes the RGB entries unchanged */
	imb_frame *f1 = gray_images();
	imb_nn_data d1;
	CHECK(imb_nn_data_init(&d1, f1, 0) == 0);
	CHECK_EQ_INT(d1.C, 1);
	imb_nn_aug_op on[2] = { imb_nn_aug_color_jitter(0.8f, 0.8f, 0.8f, 0.2f, 1, 255),
	                        imb_nn_aug_grayscale(1) };
	a = run_list(&d1, on, 2, 3, NULL);
	const uint8_t *x1 = imb_frame_tensor(f1, "x")->data;
	same = 1;
	for (size_t i = 0; i < 2 * NS * d1.D; i++)
		same &= a[i] == x1[i % (NS * d1.D)];
	CHECK(same);
	free(a);
	imb_nn_data_free(&d1);
	imb_frame_free(f1);
	imb_nn_data_free(&d);
	imb_frame_free(f);
}

/* the draws, replayed by hand in the order nn_data.h gives */
static void test_simclr_draws(void)
{
	imb_rng r, m;
	float d[8];
	/* colour jitter: apply, order, four factors */
	imb_nn_aug_op cj = imb_nn_aug_color_jitter(0.4f, 1.5f, 0, 0.1f, 0.8f, 255);
	CHECK_EQ_INT(cj.ndraw, 6);
	CHECK(cj.ndraw <= IMB_NN_AUG_DRAWS);
	imb_rng_seed(&r, 21);
	m = r;
	int ok = 1, applied = 0, orders[24] = {0};
	float ext[4][2] = { { 9, -9 }, { 9, -9 }, { 9, -9 }, { 9, -9 } };
	for (int i = 0; i < 20000; i++) {
		cj.draw(&cj, d, &r, HT, WD);
		ok &= d[0] == (imb_rng_uniform(&m) < 0.8f);
		ok &= d[1] == (float)imb_rng_below(&m, 24);
		double blo = 1 - (double)0.4f, bhi = 1 + (double)0.4f;
		ok &= d[2] == (float)(blo + (bhi - blo) * imb_rng_uniform(&m));
		ok &= d[3] == (float)(0.0 + 2.5 * imb_rng_uniform(&m));
		ok &= d[4] == (float)(1.0 + 0.0 * imb_rng_uniform(&m));
		ok &= d[5] == (float)(-(double)0.1f + 2 * (double)0.1f * imb_rng_uniform(&m));
		applied += d[0] != 0;
		orders[(int)d[1]]++;
		for (int k = 0; k < 4; k++) {
			ext[k][0] = d[2 + k] < ext[k][0] ? d[2 + k] : ext[k][0];
			ext[k][1] = d[2 + k] > ext[k][1] ? d[2 + k] : ext[k][1];
		}
	}
	CHECK(ok);
	CHECK(!memcmp(&r, &m, sizeof r));
	CHECK(applied > 15700 && applied < 16300);      /* 16000 +- 5 sd */
	int every = 1;
	for (int k = 0; k < 24; k++)
		every &= orders[k] > 0;
	CHECK(every);
	CHECK(ext[0][0] >= 0.6f && ext[0][0] < 0.61f && ext[0][1] <= 1.4f && ext[0][1] > 1.39f);
	CHECK(ext[1][0] >= 0 && ext[1][0] < 0.01f && ext[1][1] <= 2.5f && ext[1][1] > 2.49f);
	CHECK(ext[2][0] == 1 && ext[2][1] == 1);
	CHECK(ext[3][0] >= -0.1f && ext[3][0] < -0.099f && ext[3][1] <= 0.1f && ext[3][1] > 0.099f);
	/* grayscale: one uniform */
	imb_nn_aug_op gs = imb_nn_aug_grayscale(0.2f);
	CHECK_EQ_INT(gs.ndraw, 1);
	ok = 1;
	for (int i = 0; i < 100; i++) {
		gs.draw(&gs, d, &r, HT, WD);
		ok &= d[0] == (imb_rng_uniform(&m) < 0.2f);
	}
	CHECK(ok);
	fprintf(stderr, "  color_jitter, grayscale: the documented draws; %d of 20000 applied, "
	        "every order\n", applied);
}

/* resized crop's boxes: the replayed draw, a valid box every time,
 * scale and aspect within their ranges up to the rounding of the sides,
 * both ends of the ranges reached, the fallback (round half to even) */
static void test_resized_crop_draws(void)
{
	imb_nn_aug_op rc = imb_nn_aug_resized_crop(0.08f, 1, 0.75f, 4.0f / 3);
	CHECK_EQ_INT(rc.ndraw, 4);
	static const int SIZES[][2] = { { 224, 224 }, { 32, 32 }, { 9, 7 }, { 1, 1 }, { 5, 200 },
	                                { 96, 64 } };
	imb_rng r, m;
	imb_rng_seed(&r, 5);
	float d[8];
	for (size_t k = 0; k < IMB_LEN(SIZES); k++) {
		int H = SIZES[k][0], W = SIZES[k][1], valid = 1, whole = 1, replay = 1;
		double smin = 9, smax = 0, amin = 9, amax = 0;
		for (int i = 0; i < 20000; i++) {
			m = r;
			rc.draw(&rc, d, &r, H, W);
			whole &= d[0] == floorf(d[0]) && d[1] == floorf(d[1]) &&
			         d[2] == floorf(d[2]) && d[3] == floorf(d[3]);
			int t = (int)d[0], l = (int)d[1], h = (int)d[2], w = (int)d[3];
			valid &= h >= 1 && h <= H && w >= 1 && w <= W && t >= 0 && t + h <= H &&
			         l >= 0 && l + w <= W;
			double s = (double)h * w / ((double)H * W), a = (double)w / h;
			smin = s < smin ? s : smin;
			smax = s > smax ? s : smax;
			amin = a < amin ? a : amin;
			amax = a > amax ? a : amax;
			if (k == 0) {
				/* the first try: two uniforms, then top and left */
				double T = 224.0 * 224 * (0.08 + (1 - 0.08) * (double)imb_rng_uniform(&m));
				double lo = log(0.75f), hi = log(4.0f / 3);
				double A = exp(lo + (hi - lo) * imb_rng_uniform(&m));
				long ww = lrint(sqrt(T * A)), hh = lrint(sqrt(T / A));
				if (ww <= 224 && hh <= 224) {
					replay &= h == hh && w == ww;
					replay &= t == (int)imb_rng_below(&m, (uint64_t)(224 - hh + 1));
					replay &= l == (int)imb_rng_below(&m, (uint64_t)(224 - ww + 1));
					replay &= !memcmp(&m, &r, sizeof m);
				}
			}
		}
		CHECK(valid);
		CHECK(whole);
		CHECK(replay);
		if (k == 0) {
			/* sides of 57 and more: rounding moves the area by < 2%, the
			 * aspect by < 2% */
			CHECK(smin >= 0.08 * 0.98 && smin < 0.085 && smax <= 1 && smax > 0.97);
			CHECK(amin >= 0.75 * 0.98 && amin < 0.77 && amax <= 4.0 / 3 * 1.02 && amax > 1.3);
		}
		fprintf(stderr, "  resized_crop %dx%d: valid boxes, area %.3f..%.3f, aspect %.3f..%.3f\n",
		        H, W, smin, smax, amin, amax);
	}
	/* the fallback: a scale above 1 never fits; 20 uniforms, then the
	 * centred box */
	static const struct { float rlo, rhi; int t, l, h, w; } FB[] = {
		{ 0.75f, 4.0f / 3, 0, 0, 9, 7 },    /* 7/9 in range: the whole image */
		{ 2, 3, 2, 0, 4, 7 },               /* h = round(3.5) = 4 */
		{ 0.25f, 0.5f, 0, 1, 9, 4 },        /* w = round(4.5) = 4, half to even */
		{ 0.1f, 0.2f, 0, 2, 9, 2 },         /* w = round(1.8) = 2 */
	};
	for (size_t k = 0; k < IMB_LEN(FB); k++) {
		imb_nn_aug_op fb = imb_nn_aug_resized_crop(2, 3, FB[k].rlo, FB[k].rhi);
		imb_rng_seed(&r, 11);
		m = r;
		fb.draw(&fb, d, &r, 9, 7);
		for (int i = 0; i < 20; i++)
			imb_rng_uniform(&m);
		CHECK(!memcmp(&r, &m, sizeof r));
		CHECK(d[0] == FB[k].t && d[1] == FB[k].l && d[2] == FB[k].h && d[3] == FB[k].w);
	}
	/* a side that would round to 0 is 1 */
	imb_nn_aug_op thin = imb_nn_aug_resized_crop(2, 3, 5, 6);
	thin.draw(&thin, d, &r, 1, 2);
	CHECK(d[2] == 1 && d[3] == 2);
	fprintf(stderr, "  resized_crop: the fallback's centred boxes\n");
}

/* ---- against torchvision (tests/augment_torch_ref.py) ---- */

enum { T_RCROP, T_JITTER, T_GRAY };

/* Tolerances, absolute on [0, 1] images. resized crop: torchvision's
 * antialiased resize normalises its weights and finds its positions in
 * float; the same bilinear to within a few float roundings. grayscale:
 * the same float sums. colour jitter: the same float steps, but ours
 * work on x * 255 (x / 255 again for the hue), a rounding more each, and
 * the hue's h / 6 + 1 keeps only 2^-23 of a turn, so a rounding there
 * moves a channel by up to 6 v s 2^-23 (1e-6 of the range); 4 steps of
 * such, and clamps and the contrast's mean that pass them on: 1e-5. */
static void torch_case(const imb_nn_backend *be, const char *name, int op, int n, int H, int W,
                       double tol)
{
	int nd = op == T_RCROP ? 4 : op == T_JITTER ? 6 : 1;
	size_t nx = (size_t)n * 3 * H * W;
	char nm[64];
	snprintf(nm, sizeof nm, "%s.x", name);
	float *x = rf(nm, nx);
	snprintf(nm, sizeof nm, "%s.draw", name);
	float *draw = rf(nm, (size_t)n * nd);
	for (size_t i = 0; i < nx; i++)
		x[i] *= 255.0f;
	float *dx = be->alloc(nx * sizeof *dx), *dd = be->alloc((size_t)n * nd * sizeof *dd);
	float *dout = be->alloc(nx * sizeof *dout), *got = imb_xmalloc(nx * sizeof *got);
	be->upload(dx, x, nx * sizeof *x);
	be->upload(dd, draw, (size_t)n * nd * sizeof *draw);
	if (op == T_RCROP)
		be->resized_crop(dout, dx, dd, n, 3, H, W);
	else if (op == T_JITTER)
		be->color_jitter(dout, dx, dd, n, 3, H, W, 255);
	else
		be->grayscale(dout, dx, dd, n, 3, H, W);
	be->download(got, dout, nx * sizeof *got);
	for (size_t i = 0; i < nx; i++)
		got[i] /= 255.0f;
	snprintf(nm, sizeof nm, "%s.out", name);
	float *want = rf(nm, nx);
	double md = 0;
	for (size_t i = 0; i < nx; i++) {
		double e = fabs((double)got[i] - want[i]);
		md = e > md || isnan(e) ? e : md;
	}
	printf("  %-4s %-5s %-13s max diff %-10.3g tolerance %g\n", be->name, name,
	       op == T_RCROP ? "resized_crop" : op == T_JITTER ? "color_jitter" : "grayscale", md,
	       tol);
	check_count++;
	if (!(md <= tol)) {
		check_failed++;
		fprintf(stderr, "FAIL %s %s vs torchvision: max diff %g > %g\n", be->name, name, md,
		        tol);
	}
	be->free(dx); be->free(dd); be->free(dout);
	free(x); free(draw); free(got); free(want);
}

static int torch_reference(const char *dir)
{
	ref_dir = dir;
	const imb_nn_backend *be;
	for (int i = 0; (be = imb_nn_backend_at(i)); i++) {
		if (be->init(0) < 0) {
			printf("%s: %s, skipped\n", be->name, imb_error());
			continue;
		}
		torch_case(be, "rc", T_RCROP, 8, 16, 12, 1e-6);
		torch_case(be, "cj", T_JITTER, 50, 12, 10, 1e-5);
		torch_case(be, "hue", T_JITTER, 48, 8, 8, 1e-5);
		torch_case(be, "gray", T_GRAY, 6, 7, 9, 1e-6);
	}
	fflush(stdout);
	CHECK_DONE();
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return torch_reference(argv[1]);
	test_list(1);
	test_list(0);
	test_wide_crop();
	test_views();
	test_samplers();
	test_unlabelled();
	test_consts_change();
	test_simclr_ops();
	test_simclr_draws();
	test_resized_crop_draws();
	CHECK_DONE();
}
