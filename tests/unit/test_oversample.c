/* test_oversample.c: re-sampling reaches its target counts; SMOTE's
 * neighbours match a brute-force double-precision search and every
 * synthetic point lies on a segment between a minority sample and one of
 * its k nearest minority neighbours; random oversampling only duplicates,
 * undersampling only drops; same seed, same bytes. */
#include "check.h"
#include "dataset.h"
#include "oversample.h"
#include "rng.h"
#include "util.h"

/* counts[k] rows of d features, class j around j (f32) or random (u8) */
static imb_frame *mk(const int64_t *counts, int k, size_t d, imb_dtype t, uint64_t seed)
{
	size_t n = 0;
	for (int j = 0; j < k; j++)
		n += counts[j];
	imb_frame *f = imb_frame_new("dataset", "train");
	f->index = 1;
	uint64_t xs[] = {n, d}, ys[] = {n};
	imb_frame_add_tensor(f, "x", t, 2, xs);
	int32_t *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, ys)->data;
	imb_tensor *x = imb_frame_tensor(f, "x"); /* after adding y: the array moves */
	imb_rng r;
	imb_rng_seed(&r, seed);
	size_t i = 0;
	for (int j = 0; j < k; j++)
		for (int64_t c = 0; c < counts[j]; c++, i++)
			y[i] = j;
	/* interleave the classes */
	for (size_t a = n; a > 1; a--) {
		size_t b = imb_rng_below(&r, a);
		int32_t tmp = y[a - 1];
		y[a - 1] = y[b];
		y[b] = tmp;
	}
	for (i = 0; i < n * d; i++) {
		if (t == IMB_U8)
			((uint8_t *)x->data)[i] = (uint8_t)imb_rng_below(&r, 256);
		else
			((float *)x->data)[i] = (float)(y[i / d] + imb_rng_normal(&r));
	}
	return f;
}

static int64_t count_of(const imb_frame *f, int c)
{
	int64_t *cn = imb_dataset_counts(f);
	int64_t v = cn[c];
	free(cn);
	return v;
}

static double xval(const imb_tensor *x, size_t i)
{
	switch (x->dtype) {
	case IMB_U8: return ((uint8_t *)x->data)[i];
	case IMB_F64: return ((double *)x->data)[i];
	case IMB_I32: return ((int32_t *)x->data)[i];
	default: return ((float *)x->data)[i];
	}
}

/* f's x converted to dtype t (values scaled by s first) */
static void convert_x(imb_frame *f, imb_dtype t, double s)
{
	imb_tensor *x = imb_frame_tensor(f, "x");
	uint64_t shape[IMB_MAXDIM];
	memcpy(shape, x->shape, sizeof shape);
	int nd = x->ndim;
	size_t cnt = imb_tensor_count(x);
	float *old = malloc(cnt * sizeof *old);
	memcpy(old, x->data, cnt * sizeof *old);
	imb_tensor *nx = imb_frame_add_tensor(f, "x", t, nd, shape);
	for (size_t i = 0; i < cnt; i++) {
		if (t == IMB_F64)
			((double *)nx->data)[i] = old[i] * s;
		else
			((int32_t *)nx->data)[i] = (int32_t)lround(old[i] * s);
	}
	free(old);
}

/* brute force: kth-nearest distances (double) of row i among rows of class c */
static void brute_knn(size_t *nn, const imb_tensor *x, const int32_t *y, size_t n, size_t d,
                      size_t i, int c, int k)
{
	double *bd = malloc(k * sizeof *bd);
	int have = 0;
	for (size_t j = 0; j < n; j++) {
		if (j == i || y[j] != c)
			continue;
		double s = 0;
		for (size_t t = 0; t < d; t++) {
			double e = xval(x, i * d + t) - xval(x, j * d + t);
			s += e * e;
		}
		if (have == k && s >= bd[k - 1])
			continue;
		int p = have < k ? have++ : k - 1;
		while (p > 0 && bd[p - 1] > s) {
			bd[p] = bd[p - 1];
			nn[p] = nn[p - 1];
			p--;
		}
		bd[p] = s;
		nn[p] = j;
	}
	free(bd);
}

/* is row z of out on a segment from a class-c sample to one of its k
 * nearest class-c neighbours? tol: per-coordinate slack (u8 rounding) */
static int on_segment(const imb_tensor *zx, size_t z, const imb_tensor *x, const int32_t *y,
                      size_t n, size_t d, int c, int k, double tol)
{
	size_t *nn = malloc(k * sizeof *nn);
	int found = 0;
	for (size_t a = 0; a < n && !found; a++) {
		if (y[a] != c)
			continue;
		brute_knn(nn, x, y, n, d, a, c, k);
		for (int q = 0; q < k && !found; q++) {
			size_t b = nn[q];
			/* some u in [0, 1] puts every coordinate within tol:
			 * intersect the per-coordinate intervals of u */
			double lo = 0, hi = 1;
			for (size_t t = 0; t < d && lo <= hi; t++) {
				double av = xval(x, a * d + t), ab = xval(x, b * d + t) - av;
				double zv = xval(zx, z * d + t);
				if (ab == 0) {
					if (fabs(zv - av) > tol)
						hi = -1;
					continue;
				}
				double u1 = (zv - tol - av) / ab, u2 = (zv + tol - av) / ab;
				if (u1 > u2) {
					double tmp = u1;
					u1 = u2;
					u2 = tmp;
				}
				if (u1 > lo)
					lo = u1;
				if (u2 < hi)
					hi = u2;
			}
			found = lo <= hi;
		}
	}
	free(nn);
	return found;
}

static int same_bytes(const imb_frame *a, const imb_frame *b)
{
	char *pa, *pb;
	size_t la, lb;
	imb_frame_pack(a, &pa, &lb);
	la = lb;
	imb_frame_pack(b, &pb, &lb);
	int eq = la == lb && !memcmp(pa, pb, la);
	free(pa);
	free(pb);
	return eq;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void test_knn(size_t n, size_t d, int k)
{
	float *x = malloc(n * d * sizeof *x);
	imb_rng r;
	imb_rng_seed(&r, n);
	for (size_t i = 0; i < n * d; i++)
		x[i] = (float)(imb_rng_normal(&r) * 3 + 10);
	int32_t *nn = malloc(n * k * sizeof *nn);
	imb_knn(nn, x, n, d, k);
	double *ref = malloc(k * sizeof *ref);
	double maxdiff = 0;
	int self = 0;
	for (size_t i = 0; i < n; i++) {
		/* reference: the k smallest double distances */
		int have = 0;
		for (size_t j = 0; j < n; j++) {
			if (j == i)
				continue;
			double s = 0;
			for (size_t t = 0; t < d; t++) {
				double e = (double)x[i * d + t] - x[j * d + t];
				s += e * e;
			}
			if (have == k && s >= ref[k - 1])
				continue;
			int p = have < k ? have++ : k - 1;
			while (p > 0 && ref[p - 1] > s) {
				ref[p] = ref[p - 1];
				p--;
			}
			ref[p] = s;
		}
		for (int q = 0; q < k; q++) {
			size_t j = nn[i * k + q];
			self += j == i;
			double s = 0;
			for (size_t t = 0; t < d; t++) {
				double e = (double)x[i * d + t] - x[j * d + t];
				s += e * e;
			}
			double diff = fabs(s - ref[q]) / (ref[q] + 1e-12);
			if (diff > maxdiff)
				maxdiff = diff;
		}
	}
	fprintf(stderr, "knn n=%zu d=%zu k=%d: max relative distance difference %g\n", n, d, k, maxdiff);
	/* a subset of query rows gets the same neighbours as the full search */
	size_t nq = 0, *rows = malloc(n * sizeof *rows);
	for (size_t i = 1; i < n; i += 3)
		rows[nq++] = i;
	int32_t *sub = malloc(nq * k * sizeof *sub);
	imb_knn_rows(sub, x, n, d, k, rows, nq);
	int diffrows = 0;
	for (size_t q = 0; q < nq; q++)
		diffrows += memcmp(sub + q * k, nn + rows[q] * k, k * sizeof *sub) != 0;
	CHECK_EQ_INT(diffrows, 0);
	/* the same rows as outside points against the other rows: the
	 * neighbours among them, as the full search's once row i is out */
	size_t nr = n - nq, *rest = malloc((nr ? nr : 1) * sizeof *rest), ri = 0;
	float *qx = malloc(nq * d * sizeof *qx), *xr = malloc((nr ? nr : 1) * d * sizeof *xr);
	for (size_t q = 0; q < nq; q++)
		memcpy(qx + q * d, x + rows[q] * d, d * sizeof *qx);
	for (size_t i = 0; i < n; i++)
		if (i % 3 != 1) {
			memcpy(xr + ri * d, x + i * d, d * sizeof *xr);
			rest[ri++] = i;
		}
	int32_t *out = malloc(nq * k * sizeof *out);
	imb_knn_query(out, qx, nq, xr, nr, d, k);
	/* brute force: every point found is within the k nearest distances */
	int far = 0;
	double *dd = malloc((nr ? nr : 1) * sizeof *dd), *ds = malloc((nr ? nr : 1) * sizeof *ds);
	for (size_t q = 0; q < nq; q++) {
		for (size_t j = 0; j < nr; j++) {
			double s = 0;
			for (size_t e = 0; e < d; e++) {
				double v = (double)qx[q * d + e] - xr[j * d + e];
				s += v * v;
			}
			dd[j] = s;
		}
		memcpy(ds, dd, nr * sizeof *ds);
		qsort(ds, nr, sizeof *ds, cmp_dbl);
		double kth = ds[k - 1];
		for (int t = 0; t < k; t++) {
			far += dd[out[q * k + t]] > kth * (1 + 1e-3) + 1e-9;
			for (int u = 0; u < t; u++)
				far += out[q * k + u] == out[q * k + t];
		}
	}
	free(ds);
	free(dd);
	CHECK_EQ_INT(far, 0);
	free(out);
	free(qx);
	free(xr);
	free(rest);
	free(sub);
	free(rows);
	CHECK(maxdiff < 1e-3);
	CHECK_EQ_INT(self, 0);
	free(x);
	free(nn);
	free(ref);
}

/* u8 rows: the exact search against brute force, ties (many, values in
 * [0, 4)) to the lower index, over several tiles and thread blocks */
static void test_knn_u8(size_t n, size_t d, int k, int range)
{
	if (!imb_knn_u8_ok(d)) {
		fprintf(stderr, "knn u8: no AVX-512 VNNI here, skipped\n");
		return;
	}
	uint8_t *x = malloc(n * d);
	imb_rng r;
	imb_rng_seed(&r, n + d);
	for (size_t i = 0; i < n * d; i++)
		x[i] = (uint8_t)imb_rng_below(&r, range);
	size_t nq = 0, *rows = malloc(n * sizeof *rows);
	for (size_t i = 0; i < n; i += 2)
		rows[nq++] = i;
	int32_t *nn = malloc(nq * k * sizeof *nn);
	imb_knn_rows_u8(nn, x, n, d, k, rows, nq);
	int64_t *bd = malloc(k * sizeof *bd);
	int32_t *bi = malloc(k * sizeof *bi);
	int bad = 0;
	for (size_t q = 0; q < nq; q++) {
		size_t i = rows[q];
		int have = 0;
		for (size_t j = 0; j < n; j++) {
			if (j == i)
				continue;
			int64_t s = 0;
			for (size_t t = 0; t < d; t++) {
				int64_t e = (int64_t)x[i * d + t] - x[j * d + t];
				s += e * e;
			}
			if (have == k && s >= bd[k - 1])
				continue;
			int p = have < k ? have++ : k - 1;
			while (p > 0 && bd[p - 1] > s) {
				bd[p] = bd[p - 1];
				bi[p] = bi[p - 1];
				p--;
			}
			bd[p] = s;
			bi[p] = (int32_t)j;
		}
		bad += memcmp(bi, nn + q * k, k * sizeof *bi) != 0;
	}
	fprintf(stderr, "knn u8 n=%zu d=%zu k=%d: %d of %zu rows differ\n", n, d, k, bad, nq);
	CHECK_EQ_INT(bad, 0);
	free(bd);
	free(bi);
	free(nn);
	free(rows);
	free(x);
}

int main(void)
{
	imb_rs_method m;
	CHECK(imb_rs_method_parse("smote", &m) == 0 && m == IMB_RS_SMOTE);
	CHECK(imb_rs_method_parse("nope", &m) < 0);
	CHECK(imb_rs_method_parse("adasyn", &m) == 0 && m == IMB_RS_ADASYN);

	/* targets */
	int64_t c3[3] = {100, 10, 50}, t3[3];
	imb_resample_targets(t3, c3, 3, IMB_RS_SMOTE, 1.0);
	CHECK(t3[0] == 100 && t3[1] == 100 && t3[2] == 100);
	imb_resample_targets(t3, c3, 3, IMB_RS_RANDOM, 0.5);
	CHECK(t3[0] == 100 && t3[1] == 50 && t3[2] == 50);
	imb_resample_targets(t3, c3, 3, IMB_RS_UNDER, 1.0);
	CHECK(t3[0] == 10 && t3[1] == 10 && t3[2] == 10);
	imb_resample_targets(t3, c3, 3, IMB_RS_UNDER, 0.5);
	CHECK(t3[0] == 20 && t3[1] == 10 && t3[2] == 20);
	int64_t z3[3] = {100, 0, 7};
	imb_resample_targets(t3, z3, 3, IMB_RS_SMOTE, 1.0);
	CHECK(t3[1] == 0 && t3[2] == 100); /* an empty class stays empty */

	/* kNN against brute force, in one block and over several blocks */
	test_knn(300, 17, 5);
	test_knn(4300, 3, 4);
	test_knn(2500, 80, 5); /* past the direct kernel: sgemm, two tiles */
	test_knn_u8(700, 37, 5, 4);    /* ties; a row length not a multiple of 4 */
	test_knn_u8(2000, 784, 4, 256); /* two tiles, several query blocks */

	/* SMOTE, f32: counts, source rows kept, on-segment property */
	int64_t cn[2] = {200, 20};
	size_t d = 6;
	imb_frame *f = mk(cn, 2, d, IMB_F32, 1);
	imb_frame *g = imb_resample(f, IMB_RS_SMOTE, 1.0, 5, 42);
	CHECK(g != NULL);
	CHECK_EQ_INT(count_of(g, 0), 200);
	CHECK_EQ_INT(count_of(g, 1), 200);
	CHECK_EQ_INT(imb_val_as_int(imb_val_get(g->attrs, "n"), -1), 400);
	CHECK_STR(imb_val_as_str(imb_val_path(g->attrs, "oversample.method"), NULL), "smote");
	imb_tensor *x = imb_frame_tensor(f, "x"), *gx = imb_frame_tensor(g, "x");
	const int32_t *y = imb_frame_tensor(f, "y")->data, *gy = imb_frame_tensor(g, "y")->data;
	CHECK(!memcmp(gx->data, x->data, x->nbytes));
	int bad = 0;
	for (size_t i = 220; i < 400; i++)
		bad += gy[i] != 1 || !on_segment(gx, i, x, y, 220, d, 1, 5, 1e-4);
	CHECK_EQ_INT(bad, 0);
	/* the check can fail: a majority row is on no minority segment, and
	 * points made with k=5 are not all on segments to the first neighbour */
	size_t maj = 0;
	while (y[maj] != 0)
		maj++;
	CHECK(!on_segment(x, maj, x, y, 220, d, 1, 5, 1e-4));
	int on1 = 0;
	for (size_t i = 220; i < 400; i++)
		on1 += on_segment(gx, i, x, y, 220, d, 1, 1, 1e-4);
	CHECK(on1 < 150);
	/* with k=1 every point is on a segment to the nearest neighbour */
	imb_frame *g1 = imb_resample(f, IMB_RS_SMOTE, 1.0, 1, 42);
	bad = 0;
	for (size_t i = 220; i < 400; i++)
		bad += !on_segment(imb_frame_tensor(g1, "x"), i, x, y, 220, d, 1, 1, 1e-4);
	CHECK_EQ_INT(bad, 0);
	imb_frame_free(g1);
	/* same seed, same bytes; another seed differs */
	imb_frame *g2 = imb_resample(f, IMB_RS_SMOTE, 1.0, 5, 42);
	CHECK(same_bytes(g, g2));
	imb_frame_free(g2);
	g2 = imb_resample(f, IMB_RS_SMOTE, 1.0, 5, 43);
	CHECK(!same_bytes(g, g2));
	imb_frame_free(g2);
	imb_frame_free(g);
	/* to a ratio */
	g = imb_resample(f, IMB_RS_SMOTE, 0.25, 5, 1);
	CHECK_EQ_INT(count_of(g, 1), 50);
	imb_frame_free(g);
	imb_frame_free(f);

	/* SMOTE, f64 and i32: interpolated in double, i32 rounded */
	imb_dtype dts[2] = {IMB_F64, IMB_I32};
	for (int q = 0; q < 2; q++) {
		int64_t cq[2] = {50, 9};
		f = mk(cq, 2, 4, IMB_F32, 11);
		convert_x(f, dts[q], dts[q] == IMB_I32 ? 1000.0 : 1.0);
		g = imb_resample(f, IMB_RS_SMOTE, 1.0, 3, 4);
		CHECK(g && count_of(g, 1) == 50);
		x = imb_frame_tensor(f, "x");
		gx = imb_frame_tensor(g, "x");
		y = imb_frame_tensor(f, "y")->data;
		CHECK(gx->dtype == dts[q]);
		bad = 0;
		for (size_t i = 59; i < 100; i++)
			bad += !on_segment(gx, i, x, y, 59, 4, 1, 3, dts[q] == IMB_I32 ? 0.5 + 1e-9 : 1e-12);
		CHECK_EQ_INT(bad, 0);
		imb_frame_free(g);
		imb_frame_free(f);
	}

	/* SMOTE, u8: rounded interpolation, within half a step */
	int64_t cu[3] = {60, 12, 30};
	f = mk(cu, 3, 5, IMB_U8, 2);
	g = imb_resample(f, IMB_RS_SMOTE, 1.0, 3, 5);
	CHECK_EQ_INT(count_of(g, 1), 60);
	CHECK_EQ_INT(count_of(g, 2), 60);
	x = imb_frame_tensor(f, "x");
	gx = imb_frame_tensor(g, "x");
	y = imb_frame_tensor(f, "y")->data;
	gy = imb_frame_tensor(g, "y")->data;
	CHECK(gx->dtype == IMB_U8);
	bad = 0;
	for (size_t i = 102; i < 180; i++)
		bad += !on_segment(gx, i, x, y, 102, 5, gy[i], 3, 0.5 + 1e-3);
	CHECK_EQ_INT(bad, 0);
	imb_frame_free(g);

	/* random oversampling: only duplicates of the same class */
	g = imb_resample(f, IMB_RS_RANDOM, 0.5, 5, 9);
	CHECK_EQ_INT(count_of(g, 0), 60);
	CHECK_EQ_INT(count_of(g, 1), 30);
	CHECK_EQ_INT(count_of(g, 2), 30);
	gx = imb_frame_tensor(g, "x");
	gy = imb_frame_tensor(g, "y")->data;
	CHECK(!memcmp(gx->data, x->data, x->nbytes));
	bad = 0;
	for (size_t i = 102; i < 120; i++) {
		int dup = 0;
		for (size_t j = 0; j < 102 && !dup; j++)
			dup = y[j] == gy[i] && !memcmp((uint8_t *)gx->data + i * 5, (uint8_t *)x->data + j * 5, 5);
		bad += !dup;
	}
	CHECK_EQ_INT(bad, 0);
	imb_frame_free(g);

	/* undersampling: a subset, in source order */
	g = imb_resample(f, IMB_RS_UNDER, 1.0, 5, 9);
	CHECK_EQ_INT(count_of(g, 0), 12);
	CHECK_EQ_INT(count_of(g, 1), 12);
	CHECK_EQ_INT(count_of(g, 2), 12);
	gx = imb_frame_tensor(g, "x");
	size_t j = 0;
	bad = 0;
	for (size_t i = 0; i < 36; i++) {
		while (j < 102 && memcmp((uint8_t *)gx->data + i * 5, (uint8_t *)x->data + j * 5, 5))
			j++;
		bad += j == 102;
		j++;
	}
	CHECK_EQ_INT(bad, 0);
	imb_frame_free(g);
	imb_frame_free(f);

	/* a class of one sample cannot be SMOTEd; few samples lower k */
	int64_t c1[2] = {10, 1};
	f = mk(c1, 2, 3, IMB_F32, 3);
	CHECK(imb_resample(f, IMB_RS_SMOTE, 1.0, 5, 0) == NULL);
	CHECK_HAS(imb_error(), "frame 1 (dataset 'train'): class 1");
	CHECK_HAS(imb_error(), "SMOTE needs at least 2");
	g = imb_resample(f, IMB_RS_RANDOM, 1.0, 5, 0);
	CHECK_EQ_INT(count_of(g, 1), 10);
	imb_frame_free(g);
	imb_frame_free(f);
	int64_t c2[2] = {10, 3};
	f = mk(c2, 2, 3, IMB_F32, 3);
	g = imb_resample(f, IMB_RS_SMOTE, 1.0, 5, 0);
	CHECK(g && count_of(g, 1) == 10);
	imb_frame_free(g);
	imb_frame_free(f);
	CHECK_DONE();
}
