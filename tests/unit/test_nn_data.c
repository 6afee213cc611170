/* test_nn_data.c: the data part. The augmentation list crop(4), flip,
 * normalise gives the bits of the fused crop-flip plus normalisation it
 * replaced, drawing the same numbers (u8 and f32); the list's order
 * matters; the samplers draw what they did; index ranges read samples in
 * order; a frame without labels is read. */
#include "check.h"
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

int main(void)
{
	test_list(1);
	test_list(0);
	test_wide_crop();
	test_views();
	test_samplers();
	test_unlabelled();
	test_consts_change();
	CHECK_DONE();
}
