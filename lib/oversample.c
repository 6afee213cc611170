/* oversample.c: random over/undersampling and SMOTE (see oversample.h). */
#include "oversample.h"
#include "blas.h"
#include "cli.h"
#include "dataset.h"
#include "rng.h"
#include "undersample.h"
#include "util.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *const method_names[] = {
	"random", "under", "smote",
	"tomek", "enn", "nearmiss1", "nearmiss2", "nearmiss3", "cluster-centroids", "smote-tomek",
	"smote-enn"};
_Static_assert(IMB_LEN(method_names) == IMB_RS_SMOTE_ENN + 1, "a method without a name");

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
		/* a tiny ratio makes mn / ratio larger than any count (or
		 * infinite): no class is then cut, never a cast out of range */
		int64_t t;
		if (m == IMB_RS_UNDER) {
			if (imb_double_to_i64(floor((double)mn / ratio + 1e-9), 0, INT64_MAX, &t))
				t = INT64_MAX;
			if (counts[j] > t)
				target[j] = t;
		} else {
			if (imb_double_to_i64(floor((double)mx * ratio + 1e-9), 0, INT64_MAX, &t))
				t = 0;
			if (counts[j] < t)
				target[j] = t;
		}
	}
}

/* ------------------------------------------------------------------ kNN */

/* distances are computed for a block of rows at a time: about 4 MiB,
 * reused, so it stays in cache and costs no page faults */
#define KNN_BLOCK_FLOATS ((size_t)1 << 20)

/* keep the k smallest (v, j) of a row in bd/bi, ascending; ties keep the
 * lower index (j only grows) */
static inline void topk_scan(float *bd, int32_t *bi, int *have, int k, const float *dr,
                             size_t j0, size_t j1)
{
	float thr = *have == k ? bd[k - 1] : INFINITY;
	for (size_t j = j0; j < j1; j++) {
		float v = dr[j];
		if (!(v < thr))
			continue;
		int p = *have < k ? (*have)++ : k - 1;
		while (p > 0 && bd[p - 1] > v) {
			bd[p] = bd[p - 1];
			bi[p] = bi[p - 1];
			p--;
		}
		bd[p] = v;
		bi[p] = (int32_t)j;
		if (*have == k)
			thr = bd[k - 1];
	}
}

typedef struct {
	int32_t *nn;
	const float *xa, *xb;   /* query rows (nq, da), all rows (n, da) */
	const size_t *self;     /* query row q is row self[q] of x; NULL: q */
	size_t nq, n, da, b, first, step; /* blocks first, first+step, ... */
	int k;
} knn_job;

static void *knn_worker(void *arg)
{
	const knn_job *j = arg;
	size_t n = j->n, b = j->b;
	int k = j->k;
	float *dist = imb_xmalloc_aligned(b * n * sizeof *dist);
	float *bd = imb_xmalloc(k * sizeof *bd);
	int32_t *bi = imb_xmalloc(k * sizeof *bi);
	for (size_t q0 = j->first * b; q0 < j->nq; q0 += j->step * b) {
		size_t m = j->nq - q0 < b ? j->nq - q0 : b;
		/* dist (m, n) = xa[q0:q0+m] xb^T */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)j->da, 1.0f,
		            j->xa + q0 * j->da, (int)j->da, j->xb, (int)j->da, 0.0f, dist, (int)n);
		for (size_t r = 0; r < m; r++) {
			size_t q = q0 + r, i = j->self ? j->self[q] : q;
			int have = 0;
			topk_scan(bd, bi, &have, k, dist + r * n, 0, i);
			topk_scan(bd, bi, &have, k, dist + r * n, i + 1, n);
			memcpy(j->nn + q * k, bi, k * sizeof *bi);
		}
	}
	free(bi);
	free(bd);
	free(dist);
	return NULL;
}

static int knn_threads;

void imb_knn_set_threads(int n)
{
	knn_threads = n > 0 ? n : 0;
}

int imb_knn_threads(void)
{
	return knn_threads;
}

void imb_knn_rows(int32_t *nn, const float *x, size_t n, size_t d, int k, const size_t *rows,
                  size_t nq)
{
	/* one GEMM gives |x_j|^2 - 2 x_i.x_j (the distance less |x_i|^2, the
	 * same order within row i): rows [x_i, 1] times rows [-2 x_j, |x_j|^2] */
	size_t da = d + 1;
	if (!rows)
		nq = n;
	float *xa = imb_xmalloc_aligned(nq * da * sizeof *xa), *xb = imb_xmalloc_aligned(n * da * sizeof *xb);
	for (size_t i = 0; i < n; i++) {
		const float *a = x + i * d;
		float s = 0;
		for (size_t t = 0; t < d; t++) {
			s += a[t] * a[t];
			xb[i * da + t] = -2.0f * a[t];
		}
		xb[i * da + d] = s;
	}
	for (size_t q = 0; q < nq; q++) {
		memcpy(xa + q * da, x + (rows ? rows[q] : q) * d, d * sizeof *xa);
		xa[q * da + d] = 1.0f;
	}
	size_t b = KNN_BLOCK_FLOATS / n;
	if (b < 16)
		b = 16;
	if (b > nq)
		b = nq ? nq : 1;
	size_t nblocks = (nq + b - 1) / b;
	/* one thread per core over the row blocks, each with a one-thread
	 * sgemm (never nested pools); small problems stay on this thread */
	long ncpu = knn_threads > 0 ? knn_threads : sysconf(_SC_NPROCESSORS_ONLN);
	int nt = ncpu < 1 ? 1 : ncpu > 64 ? 64 : (int)ncpu;
	if ((double)nq * n * da < 4e6)
		nt = 1;
	if ((size_t)nt > nblocks)
		nt = nblocks ? (int)nblocks : 1;
	if (nt > 64)
		nt = 64;
	knn_job jobs[64];
	pthread_t th[64];
	imb_blas_single();      /* one sgemm per thread, none of OpenBLAS's */
	for (int t = 0; t < nt; t++)
		jobs[t] = (knn_job){nn, xa, xb, rows, nq, n, da, b, (size_t)t, (size_t)nt, k};
	if (nt == 1) {
		knn_worker(&jobs[0]);
	} else {
		int started = 0;
		for (int t = 1; t < nt; t++, started++)
			if (pthread_create(&th[t], NULL, knn_worker, &jobs[t]))
				break;
		knn_worker(&jobs[0]);
		for (int t = 1; t <= started; t++)
			pthread_join(th[t], NULL);
		/* blocks of threads that did not start */
		for (int t = started + 1; t < nt; t++)
			knn_worker(&jobs[t]);
	}
	free(xa);
	free(xb);
}

void imb_knn(int32_t *nn, const float *x, size_t n, size_t d, int k)
{
	imb_knn_rows(nn, x, n, d, k, NULL, n);
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

/* dst row = a + u (b - a), in x's dtype. The dynamic cost model lets
 * GCC vectorise the u8 conversions at -O2 (the hot loop of SMOTE on
 * images). */
__attribute__((optimize("vect-cost-model=dynamic")))
static void interp(imb_tensor *dx, size_t dst, const imb_tensor *x, size_t a, size_t b, double u,
                   size_t d)
{
	switch (x->dtype) {
	case IMB_U8: {
		const uint8_t *pa = (const uint8_t *)x->data + a * d, *pb = (const uint8_t *)x->data + b * d;
		uint8_t *o = (uint8_t *)dx->data + dst * d;
		float uf = (float)u;
		/* a convex combination of values in [0, 255], plus one half,
		 * lies in (0, 256): truncation rounds to nearest (half up) */
		for (size_t t = 0; t < d; t++)
			o[t] = (uint8_t)(int)((float)pa[t] + uf * (float)((int)pb[t] - (int)pa[t]) + 0.5f);
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

/* A buffer for a large output tensor: 2 MiB aligned and marked for
 * transparent huge pages, so filling it takes a few page faults instead
 * of one per 4 KiB (a third of SMOTE's time on a 10 MB image frame).
 * Freed with free(), as imb_xmalloc_aligned's. */
static void *big_alloc(size_t n)
{
	const size_t huge = (size_t)2 << 20;
	if (n < 2 * huge)
		return imb_xmalloc_aligned(n);
	void *p = NULL;
	size_t rounded = (n + huge - 1) / huge * huge;
	if (posix_memalign(&p, huge, rounded))
		return imb_xmalloc_aligned(n);
	madvise(p, rounded, MADV_HUGEPAGE);
	return p;
}

/* A new frame: every row of src, then rows extra[0..ne) of src appended
 * (x's appended rows left for the caller when fill_x is 0). Like
 * imb_dataset_take, without zero-filling and with one copy of the source
 * rows. */
static imb_frame *grow(const imb_frame *src, const size_t *extra, size_t ne, int fill_x)
{
	imb_frame *f = imb_frame_new(src->kind, src->name);
	imb_val_free(f->attrs);
	f->attrs = imb_val_copy(src->attrs);
	uint64_t n = imb_dataset_n(src);
	for (size_t t = 0; t < src->ntensors; t++) {
		const imb_tensor *st = &src->tensors[t];
		uint64_t shape[IMB_MAXDIM];
		memcpy(shape, st->shape, sizeof shape);
		int per_row = st->ndim >= 1 && st->shape[0] == n;
		size_t row = per_row && n ? st->nbytes / n : 0;
		size_t nbytes = per_row ? st->nbytes + ne * row : st->nbytes;
		char *d = big_alloc(nbytes);
		memcpy(d, st->data, st->nbytes);
		if (per_row) {
			shape[0] = n + ne;
			if (fill_x || strcmp(st->key, "x"))
				for (size_t k = 0; k < ne; k++)
					memcpy(d + st->nbytes + k * row, (const char *)st->data + extra[k] * row, row);
		}
		imb_frame_put_tensor(f, st->key, st->dtype, st->ndim, shape, d);
	}
	return f;
}

imb_frame *imb_resample(const imb_frame *f, imb_rs_method m, double ratio, int k, uint64_t seed)
{
	if (imb_rs_is_under(m))
		return imb_undersample(f, m, ratio, k, seed);
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

	/* an empty class cannot be raised, and cutting every class to it
	 * would leave nothing: no ratio is reachable, so say so */
	for (int c = 0; c < nk; c++)
		if (cnt[c] == 0) {
			const char *nm = imb_dataset_class_name(f, c);
			imb_seterr("%s: class %d (%s) has no samples, so no class ratio can be reached "
			           "(keep only the classes present with imb-split --classes)",
			           lbl, c, nm ? nm : "?");
			goto done;
		}
	/* SMOTE's preconditions first, so nothing is half done */
	if (m == IMB_RS_SMOTE)
		for (int c = 0; c < nk; c++)
			if (tgt[c] > cnt[c] && cnt[c] < 2) {
				const char *nm = imb_dataset_class_name(f, c);
				imb_seterr("%s: class %d (%s) has %lld sample; SMOTE needs at least 2", lbl, c,
				           nm ? nm : "?", (long long)cnt[c]);
				goto done;
			}
	/* SMOTE interpolates: a NaN or infinite feature would spread into
	 * the synthetic rows (and break the distances), so refuse it */
	if (m == IMB_RS_SMOTE) {
		const imb_tensor *xt = imb_frame_tensor(f, "x");
		size_t nel = xt ? n * d : 0;
		for (size_t i = 0; i < nel; i++) {
			double v = xt->dtype == IMB_F32 ? ((const float *)xt->data)[i]
			         : xt->dtype == IMB_F64 ? ((const double *)xt->data)[i] : 0;
			if (!isfinite(v)) {
				imb_seterr("%s: tensor x: row %zu column %zu is %s; SMOTE needs finite features "
				           "(impute missing values first, or use --method random)",
				           lbl, i / d, i % d, isnan(v) ? "NaN" : "infinite");
				goto done;
			}
		}
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
			/* draw every (sample, neighbour) pair and step first, as
			 * imblearn does (one index over the pairs), then find the
			 * neighbours of the samples drawn only */
			int kk = kc[c];
			size_t np0 = np;
			int64_t *qpos = imb_xmalloc(cnt[c] * sizeof *qpos);
			for (int64_t i = 0; i < cnt[c]; i++)
				qpos[i] = -1;
			for (int64_t i = 0; i < need; i++) {
				uint64_t sidx = imb_rng_below(&r, (uint64_t)cnt[c] * kk);
				pair[2 * np] = sidx; /* resolved below */
				qpos[sidx / kk] = 0;
				step[np++] = imb_rng_uniform(&r);
			}
			size_t nq = 0;
			size_t *rows = imb_xmalloc(cnt[c] * sizeof *rows);
			for (int64_t i = 0; i < cnt[c]; i++)
				if (qpos[i] == 0) {
					qpos[i] = nq;
					rows[nq++] = i;
				}
			float *xc = imb_xmalloc_aligned(cnt[c] * d * sizeof *xc);
			for (int64_t i = 0; i < cnt[c]; i++)
				row_float(xc + i * d, x, by[c][i], d);
			nn[c] = imb_xmalloc((nq ? nq : 1) * kk * sizeof **nn);
			imb_knn_rows(nn[c], xc, cnt[c], d, kk, rows, nq);
			free(xc);
			for (size_t i = np0; i < np; i++) {
				size_t sidx = pair[2 * i], a = sidx / kk;
				size_t b = nn[c][qpos[a] * kk + sidx % kk];
				pair[2 * i] = by[c][a];
				pair[2 * i + 1] = by[c][b];
				idx[pos++] = by[c][a];
			}
			free(rows);
			free(qpos);
		}
		out = grow(f, idx, pos, m != IMB_RS_SMOTE);
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
