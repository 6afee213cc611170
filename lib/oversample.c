/* oversample.c: random over/undersampling and SMOTE (see oversample.h). */
#include "oversample.h"
#include "cli.h"
#include "dataset.h"
#include "rng.h"
#include "util.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {"random", "under", "smote"};
_Static_assert(IMB_LEN(method_names) == IMB_RS_SMOTE + 1, "a method without a name");

const char *imb_rs_method_name(imb_rs_method m) { return method_names[m]; }

int imb_rs_method_parse(const char *s, imb_rs_method *out)
{
	for (size_t j = 0; j < IMB_LEN(method_names); j++)
		if (!strcmp(s, method_names[j])) {
			*out = (imb_rs_method)j;
			return 0;
		}
	return -1;
}

void imb_resample_targets(int64_t *target, const int64_t *counts, int k, imb_rs_method m,
                          double ratio)
{
	int64_t mx = 0, mn = -1;
	for (int j = 0; j < k; j++) {
		if (counts[j] > mx)
			mx = counts[j];
		if (counts[j] > 0 && (mn < 0 || counts[j] < mn))
			mn = counts[j];
	}
	for (int j = 0; j < k; j++) {
		target[j] = counts[j];
		if (!counts[j])
			continue;
		if (m == IMB_RS_UNDER) {
			int64_t t = (int64_t)floor((double)mn / ratio + 1e-9);
			if (counts[j] > t)
				target[j] = t;
		} else {
			int64_t t = (int64_t)floor((double)mx * ratio + 1e-9);
			if (counts[j] < t)
				target[j] = t;
		}
	}
}

/* ------------------------------------------------------------------ kNN */

#define KNN_BLOCK_FLOATS ((size_t)16 << 20) /* 64 MiB of distances at most */

void imb_knn(int32_t *nn, const float *x, size_t n, size_t d, int k)
{
	float *norm = imb_xmalloc(n * sizeof *norm);
	for (size_t i = 0; i < n; i++) {
		const float *a = x + i * d;
		float s = 0;
		for (size_t t = 0; t < d; t++)
			s += a[t] * a[t];
		norm[i] = s;
	}
	size_t b = KNN_BLOCK_FLOATS / n;
	if (b < 1)
		b = 1;
	if (b > n)
		b = n;
	float *dist = imb_xmalloc_aligned(b * n * sizeof *dist);
	float *bd = imb_xmalloc(k * sizeof *bd);
	int32_t *bi = imb_xmalloc(k * sizeof *bi);
	for (size_t i0 = 0; i0 < n; i0 += b) {
		size_t m = n - i0 < b ? n - i0 : b;
		/* dist (m, n) = -2 x[i0:i0+m] x^T */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)d, -2.0f,
		            x + i0 * d, (int)d, x, (int)d, 0.0f, dist, (int)n);
		for (size_t r = 0; r < m; r++) {
			size_t i = i0 + r;
			const float *dr = dist + r * n;
			int have = 0;
			/* |x_i - x_j|^2 - |x_i|^2: the same order as the distance */
			for (size_t j = 0; j < n; j++) {
				if (j == i)
					continue;
				float v = dr[j] + norm[j];
				if (have == k && v >= bd[k - 1])
					continue;
				int p = have < k ? have++ : k - 1;
				while (p > 0 && bd[p - 1] > v) {
					bd[p] = bd[p - 1];
					bi[p] = bi[p - 1];
					p--;
				}
				bd[p] = v;
				bi[p] = (int32_t)j;
			}
			memcpy(nn + i * k, bi, k * sizeof *bi);
		}
	}
	free(bi);
	free(bd);
	free(dist);
	free(norm);
}

/* ------------------------------------------------------------- resample */

/* row r of x as floats into out (d) */
static void row_float(float *out, const imb_tensor *x, size_t r, size_t d)
{
	switch (x->dtype) {
	case IMB_U8: {
		const uint8_t *p = (const uint8_t *)x->data + r * d;
		for (size_t t = 0; t < d; t++)
			out[t] = p[t];
		break;
	}
	case IMB_F32:
		memcpy(out, (const float *)x->data + r * d, d * sizeof *out);
		break;
	case IMB_F64: {
		const double *p = (const double *)x->data + r * d;
		for (size_t t = 0; t < d; t++)
			out[t] = (float)p[t];
		break;
	}
	case IMB_I32: {
		const int32_t *p = (const int32_t *)x->data + r * d;
		for (size_t t = 0; t < d; t++)
			out[t] = (float)p[t];
		break;
	}
	default:
		break;
	}
}

/* dst row = a + u (b - a), in x's dtype */
static void interp(imb_tensor *dx, size_t dst, const imb_tensor *x, size_t a, size_t b, double u,
                   size_t d)
{
	switch (x->dtype) {
	case IMB_U8: {
		const uint8_t *pa = (const uint8_t *)x->data + a * d, *pb = (const uint8_t *)x->data + b * d;
		uint8_t *o = (uint8_t *)dx->data + dst * d;
		float uf = (float)u;
		for (size_t t = 0; t < d; t++) {
			float v = (float)pa[t] + uf * (float)((int)pb[t] - (int)pa[t]);
			long q = lrintf(v);
			o[t] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
		}
		break;
	}
	case IMB_F32: {
		const float *pa = (const float *)x->data + a * d, *pb = (const float *)x->data + b * d;
		float *o = (float *)dx->data + dst * d;
		float uf = (float)u;
		for (size_t t = 0; t < d; t++)
			o[t] = pa[t] + uf * (pb[t] - pa[t]);
		break;
	}
	case IMB_F64: {
		const double *pa = (const double *)x->data + a * d, *pb = (const double *)x->data + b * d;
		double *o = (double *)dx->data + dst * d;
		for (size_t t = 0; t < d; t++)
			o[t] = pa[t] + u * (pb[t] - pa[t]);
		break;
	}
	case IMB_I32: {
		const int32_t *pa = (const int32_t *)x->data + a * d, *pb = (const int32_t *)x->data + b * d;
		int32_t *o = (int32_t *)dx->data + dst * d;
		for (size_t t = 0; t < d; t++)
			o[t] = (int32_t)llround((double)pa[t] + u * ((double)pb[t] - (double)pa[t]));
		break;
	}
	default:
		break;
	}
}

imb_frame *imb_resample(const imb_frame *f, imb_rs_method m, double ratio, int k, uint64_t seed)
{
	char lbl[300];
	imb_frame_label(f, lbl, sizeof lbl);
	if (imb_dataset_check(f) < 0)
		return NULL;
	if (!(ratio > 0 && ratio <= 1)) {
		imb_seterr("ratio %g is outside (0, 1]", ratio);
		return NULL;
	}
	int nk = imb_dataset_nclasses(f);
	int64_t *cnt;
	size_t **by = imb_dataset_byclass(f, &cnt);
	int64_t *tgt = imb_xcalloc(nk > 0 ? nk : 1, sizeof *tgt);
	imb_resample_targets(tgt, cnt, nk, m, ratio);
	size_t n = imb_dataset_n(f), d = imb_dataset_dim(f);
	imb_frame *out = NULL;
	imb_rng r;
	imb_rng_seed(&r, seed);

	/* SMOTE's preconditions first, so nothing is half done */
	if (m == IMB_RS_SMOTE)
		for (int c = 0; c < nk; c++)
			if (tgt[c] > cnt[c] && cnt[c] < 2) {
				const char *nm = imb_dataset_class_name(f, c);
				imb_seterr("%s: class %d (%s) has %lld sample; SMOTE needs at least 2", lbl, c,
				           nm ? nm : "?", (long long)cnt[c]);
				goto done;
			}

	size_t total = 0;
	for (int c = 0; c < nk; c++)
		total += tgt[c];
	size_t *idx = imb_xmalloc((total ? total : 1) * sizeof *idx);
	size_t pos = 0;
	if (m == IMB_RS_UNDER) {
		/* keep tgt[c] random rows of each class, in source order */
		unsigned char *keep = imb_xcalloc(n ? n : 1, 1);
		for (int c = 0; c < nk; c++) {
			if (tgt[c] == cnt[c]) {
				for (int64_t i = 0; i < cnt[c]; i++)
					keep[by[c][i]] = 1;
				continue;
			}
			imb_rng_shuffle(&r, by[c], cnt[c]);
			for (int64_t i = 0; i < tgt[c]; i++)
				keep[by[c][i]] = 1;
		}
		for (size_t i = 0; i < n; i++)
			if (keep[i])
				idx[pos++] = i;
		free(keep);
		out = imb_dataset_take(f, idx, pos, f->name);
	} else {
		for (size_t i = 0; i < n; i++)
			idx[pos++] = i;
		/* random: duplicates drawn with replacement; smote: base rows,
		 * overwritten below */
		int32_t **nn = imb_xcalloc(nk > 0 ? nk : 1, sizeof *nn);
		int *kc = imb_xcalloc(nk > 0 ? nk : 1, sizeof *kc);
		size_t *pair = imb_xmalloc((total - n ? total - n : 1) * 2 * sizeof *pair);
		double *step = imb_xmalloc((total - n ? total - n : 1) * sizeof *step);
		size_t np = 0;
		imb_tensor *x = imb_frame_tensor(f, "x");
		for (int c = 0; c < nk; c++) {
			int64_t need = tgt[c] - cnt[c];
			if (need <= 0)
				continue;
			if (m == IMB_RS_RANDOM) {
				for (int64_t i = 0; i < need; i++)
					idx[pos++] = by[c][imb_rng_below(&r, cnt[c])];
				continue;
			}
			kc[c] = k < cnt[c] ? k : (int)(cnt[c] - 1);
			if (kc[c] < k) {
				const char *nm = imb_dataset_class_name(f, c);
				imb_warn("%s: class %d (%s) has %lld samples; SMOTE uses k=%d neighbours", lbl,
				         c, nm ? nm : "?", (long long)cnt[c], kc[c]);
			}
			float *xc = imb_xmalloc_aligned(cnt[c] * d * sizeof *xc);
			for (int64_t i = 0; i < cnt[c]; i++)
				row_float(xc + i * d, x, by[c][i], d);
			nn[c] = imb_xmalloc(cnt[c] * kc[c] * sizeof **nn);
			imb_knn(nn[c], xc, cnt[c], d, kc[c]);
			free(xc);
			for (int64_t i = 0; i < need; i++) {
				/* imblearn draws one index over (sample, neighbour) pairs */
				uint64_t s = imb_rng_below(&r, (uint64_t)cnt[c] * kc[c]);
				size_t a = s / kc[c], b = nn[c][a * kc[c] + s % kc[c]];
				pair[2 * np] = by[c][a];
				pair[2 * np + 1] = by[c][b];
				step[np++] = imb_rng_uniform(&r);
				idx[pos++] = by[c][a];
			}
		}
		out = imb_dataset_take(f, idx, pos, f->name);
		if (m == IMB_RS_SMOTE) {
			imb_tensor *dx = imb_frame_tensor(out, "x");
			for (size_t i = 0; i < np; i++)
				interp(dx, n + i, x, pair[2 * i], pair[2 * i + 1], step[i], d);
		}
		for (int c = 0; c < nk; c++)
			free(nn[c]);
		free(nn);
		free(kc);
		free(pair);
		free(step);
	}
	free(idx);
	imb_val *os = imb_val_map();
	imb_val_set_str(os, "method", imb_rs_method_name(m));
	imb_val_set_float(os, "ratio", ratio);
	if (m == IMB_RS_SMOTE)
		imb_val_set_int(os, "k", k);
	imb_val_set_int(os, "seed", (int64_t)seed);
	imb_val_set(os, "counts_before", imb_val_int_array(cnt, nk));
	imb_val_set(out->attrs, "oversample", os);
	imb_dataset_update_counts(out);
done:
	imb_dataset_free_byclass(by, nk);
	free(cnt);
	free(tgt);
	return out;
}
