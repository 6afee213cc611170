/* oversample_knn.c: the k nearest neighbours of rows, by blocks of
 * OpenBLAS sgemm (see oversample.h). */
#include "oversample.h"
#include "blas.h"
#include "util.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* distances are computed for a block of rows at a time: about 4 MiB,
 * reused, so it stays in cache and costs no page faults */
#define KNN_BLOCK_FLOATS ((size_t)1 << 18)

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/* keep the k smallest (dr[j - base], j) of a row, j in [j0, j1), in
 * bd/bi, ascending; ties keep the lower index (j only grows) */
static inline void topk_scan(float *bd, int32_t *bi, int *have, int k, const float *dr,
                             size_t base, size_t j0, size_t j1)
{
	dr -= base;
	float thr = *have == k ? bd[k - 1] : INFINITY;
	size_t j = j0;
	/* once k are held, few values pass: 16 at a time, a block where none
	 * does is skipped after one vector compare */
	for (; j + 16 <= j1; j += 16) {
		v4f a, b, c, d, th = {thr, thr, thr, thr};
		memcpy(&a, dr + j, sizeof a);
		memcpy(&b, dr + j + 4, sizeof b);
		memcpy(&c, dr + j + 8, sizeof c);
		memcpy(&d, dr + j + 12, sizeof d);
		v4i lt = (a < th) | (b < th) | (c < th) | (d < th);
		if (!(lt[0] | lt[1] | lt[2] | lt[3]))
			continue;
		for (size_t e = j + 16; j < e; j++) {
			float v = dr[j];
			if (!(v < thr))
				continue;
			imb_topk_insert(bd, bi, have, k, v, (int32_t)j);
			if (*have == k)
				thr = bd[k - 1];
		}
		j -= 16;
	}
	for (; j < j1; j++) {
		float v = dr[j];
		if (!(v < thr))
			continue;
		imb_topk_insert(bd, bi, have, k, v, (int32_t)j);
		if (*have == k)
			thr = bd[k - 1];
	}
}

typedef struct {
	int32_t *nn;
	const float *xa, *xb;   /* query rows (nq, da), all rows (n, da) */
	const float *xt;        /* xb by blocks of 16 rows, transposed (direct
	                         * kernel), or NULL: sgemm */
	const uint8_t *qu;      /* u8 rows: the queries (nq + QG, d4), */
	const int8_t *xu;       /* x's rows less 128 by blocks (u8 kernel), */
	const int32_t *nrm;     /* their squared norms; NULL: float rows */
	size_t d4;
	const size_t *self;     /* query row q is row self[q] of x; NULL: q */
	int noself;             /* queries are not rows of x: exclude none */
	size_t nq, n, da;
	size_t b, nb;           /* a tile: b query rows by nb rows of x */
	size_t first, step;     /* query blocks first, first+step, ... */
	int k;
} knn_job;

/* Few features (da <= DIRECT_MAX_DA) on a CPU with AVX-512: the
 * distances of QG query rows to 16 rows at a time in registers, each
 * compared with its row's threshold at once, instead of an sgemm whose
 * packing and stored distances cost more than the arithmetic when the
 * rows are short. */
#define DIRECT_MAX_DA 64
#define QG 8

/* x's rows by blocks of 16, each block da columns of 16 values (the
 * last block padded with rows at +inf) */
static float *transpose16(const float *xb, size_t n, size_t da)
{
	size_t nblk = (n + 15) / 16;
	float *xt = imb_xmalloc_aligned((nblk ? nblk : 1) * da * 16 * sizeof *xt);
	for (size_t jb = 0; jb < nblk; jb++)
		for (size_t l = 0; l < 16; l++) {
			size_t r = jb * 16 + l;
			for (size_t t = 0; t < da; t++)
				xt[(jb * da + t) * 16 + l] = r < n ? xb[r * da + t]
				                           : t + 1 == da ? INFINITY : 0.0f;
		}
	return xt;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_DIRECT 1

/* query rows qa[0..QG) (da each; nv of them real) against the nblk
 * blocks of xt, whose first row is row j0 of x: each real query's top-k
 * (bd, bi, have: QG of each) takes the rows below its threshold, in
 * ascending row order, skipping row self[g] */
__attribute__((target("avx512f")))
static void direct_tile(const float *qa, const float *xt, size_t nblk, size_t da, size_t j0,
                        const size_t *self, float *bd, int32_t *bi, int *have, int k, int nv)
{
	for (size_t jb = 0; jb < nblk; jb++) {
		const float *b = xt + jb * da * 16;
		__m512 acc[QG];
#pragma GCC unroll 8
		for (int g = 0; g < QG; g++)
			acc[g] = _mm512_setzero_ps();
		for (size_t t = 0; t < da; t++) {
			__m512 v = _mm512_load_ps(b + t * 16);
#pragma GCC unroll 8
			for (int g = 0; g < QG; g++)
				acc[g] = _mm512_fmadd_ps(_mm512_set1_ps(qa[g * da + t]), v, acc[g]);
		}
		size_t jr = j0 + jb * 16;
		for (int g = 0; g < nv; g++) {
			float *rd = bd + g * k;
			int32_t *ri = bi + g * k;
			float thr = have[g] == k ? rd[k - 1] : INFINITY;
			unsigned m = _mm512_cmp_ps_mask(acc[g], _mm512_set1_ps(thr), _CMP_LT_OQ);
			if (self[g] - jr < 16)
				m &= ~(1u << (self[g] - jr));
			if (!m)
				continue;
			float tmp[16];
			_mm512_storeu_ps(tmp, acc[g]);
			for (; m; m &= m - 1) {
				int l = __builtin_ctz(m);
				if (!(tmp[l] < thr))
					continue;
				imb_topk_insert(rd, ri, &have[g], k, tmp[l], (int32_t)(jr + l));
				if (have[g] == k)
					thr = rd[k - 1];
			}
		}
	}
}

/* u8 rows, exactly: key(i, j) = |x_j|^2 - 2 x_i.(x_j - 128), which is
 * the squared distance less |x_i|^2 - 256 sum(x_i) (the same order for
 * row i); the dot products by AVX-512 VNNI, four bytes a lane, with x_j
 * shifted to signed bytes. The keys are integers, so ties are exact. */
__attribute__((target("avx512f,avx512vnni")))
static void u8_tile(const uint8_t *qa, const int8_t *xt, const int32_t *nrm, size_t nblk,
                    size_t d4, size_t j0, const size_t *self, int32_t *bd, int32_t *bi, int *have,
                    int k, int nv)
{
	for (size_t jb = 0; jb < nblk; jb++) {
		const int8_t *b = xt + jb * d4 * 16;
		__m512i acc[QG];
#pragma GCC unroll 8
		for (int g = 0; g < QG; g++)
			acc[g] = _mm512_setzero_si512();
		for (size_t t = 0; t < d4; t += 4) {
			__m512i v = _mm512_load_si512((const void *)(b + t * 16));
#pragma GCC unroll 8
			for (int g = 0; g < QG; g++) {
				int32_t w;
				memcpy(&w, qa + g * d4 + t, sizeof w);
				acc[g] = _mm512_dpbusd_epi32(acc[g], _mm512_set1_epi32(w), v);
			}
		}
		size_t jr = j0 + jb * 16;
		__m512i nv16 = _mm512_loadu_si512((const void *)(nrm + jr));
		for (int g = 0; g < nv; g++) {
			int32_t *rd = bd + g * k, *ri = bi + g * k;
			int32_t thr = have[g] == k ? rd[k - 1] : INT32_MAX;
			__m512i key = _mm512_sub_epi32(nv16, _mm512_add_epi32(acc[g], acc[g]));
			unsigned m = _mm512_cmplt_epi32_mask(key, _mm512_set1_epi32(thr));
			if (self[g] - jr < 16)
				m &= ~(1u << (self[g] - jr));
			if (!m)
				continue;
			int32_t tmp[16];
			_mm512_storeu_si512((void *)tmp, key);
			for (; m; m &= m - 1) {
				int l = __builtin_ctz(m);
				if (!(tmp[l] < thr))
					continue;
				int p = have[g] < k ? have[g]++ : k - 1;
				while (p > 0 && rd[p - 1] > tmp[l]) {
					rd[p] = rd[p - 1];
					ri[p] = ri[p - 1];
					p--;
				}
				rd[p] = tmp[l];
				ri[p] = (int32_t)(jr + l);
				if (have[g] == k)
					thr = rd[k - 1];
			}
		}
	}
}

int imb_knn_u8_ok(size_t d)
{
	return d <= 8192 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni");
}

static int direct_ok(size_t da)
{
	return da <= DIRECT_MAX_DA && __builtin_cpu_supports("avx512f");
}

/* the row of x each of the nv query rows from q is (SIZE_MAX: none, for
 * queries that are not rows of x and past nv), so a tile skips it */
static void group_self(size_t *self, const knn_job *j, size_t q, int nv)
{
	for (int g = 0; g < QG; g++)
		self[g] = g >= nv || j->noself ? SIZE_MAX : j->self ? j->self[q + g] : q + g;
}
#else
static int direct_ok(size_t da)
{
	(void)da;
	return 0;
}

int imb_knn_u8_ok(size_t d)
{
	(void)d;
	return 0;
}
#endif


static void *knn_worker(void *arg)
{
	const knn_job *j = arg;
	size_t n = j->n, b = j->b, nb = j->nb;
	int k = j->k;
	float *dist = j->xt || j->xu ? NULL : imb_xmalloc_aligned(b * nb * sizeof *dist);
	float *bd = imb_xmalloc(b * k * sizeof *bd);
	int32_t *bi = imb_xmalloc(b * k * sizeof *bi), *bk = imb_xmalloc(b * k * sizeof *bk);
	int *have = imb_xmalloc(b * sizeof *have);
	for (size_t q0 = j->first * b; q0 < j->nq; q0 += j->step * b) {
		size_t m = j->nq - q0 < b ? j->nq - q0 : b;
		memset(have, 0, m * sizeof *have);
		/* x's rows a tile at a time, so OpenBLAS packs each once per
		 * query block and the distances stay in cache */
		for (size_t c0 = 0; c0 < n; c0 += nb) {
			size_t w = n - c0 < nb ? n - c0 : nb, c1 = c0 + w;
#ifdef HAVE_DIRECT
			if (j->xu) {
				for (size_t g0 = 0; g0 < m; g0 += QG) {
					int nv = m - g0 < QG ? (int)(m - g0) : QG;
					size_t self[QG];
					group_self(self, j, q0 + g0, nv);
					u8_tile(j->qu + (q0 + g0) * j->d4, j->xu + c0 * j->d4, j->nrm, (w + 15) / 16,
					        j->d4, c0, self, bk + g0 * k, bi + g0 * k, have + g0, k, nv);
				}
				continue;
			}
			if (j->xt) {
				for (size_t g0 = 0; g0 < m; g0 += QG) {
					int nv = m - g0 < QG ? (int)(m - g0) : QG;
					size_t self[QG];
					group_self(self, j, q0 + g0, nv);
					direct_tile(j->xa + (q0 + g0) * j->da, j->xt + c0 * j->da, (w + 15) / 16,
					            j->da, c0, self, bd + g0 * k, bi + g0 * k, have + g0, k, nv);
				}
				continue;
			}
#endif
			/* dist (m, w) = xa[q0:q0+m] xb[c0:c1]^T */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)w, (int)j->da,
			            1.0f, j->xa + q0 * j->da, (int)j->da, j->xb + c0 * j->da, (int)j->da,
			            0.0f, dist, (int)w);
			for (size_t r = 0; r < m; r++) {
				size_t q = q0 + r, i = j->self ? j->self[q] : q;
				float *rd = bd + r * k;
				int32_t *ri = bi + r * k;
				const float *dr = dist + r * w;
				if (j->noself || i < c0 || i >= c1) {
					topk_scan(rd, ri, &have[r], k, dr, c0, c0, c1);
				} else {
					topk_scan(rd, ri, &have[r], k, dr, c0, c0, i);
					topk_scan(rd, ri, &have[r], k, dr, c0, i + 1, c1);
				}
			}
		}
		for (size_t r = 0; r < m; r++)
			memcpy(j->nn + (q0 + r) * k, bi + r * k, k * sizeof *bi);
	}
	free(have);
	free(bk);
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

/* the query blocks of proto over one thread per core (none past the
 * blocks; one for less than `work` 4e6), each with a one-thread sgemm
 * (never nested pools) */
static void run_jobs(const knn_job *proto, double work)
{
	size_t nblocks = (proto->nq + proto->b - 1) / proto->b;
	long ncpu = knn_threads > 0 ? knn_threads : sysconf(_SC_NPROCESSORS_ONLN);
	int nt = ncpu < 1 ? 1 : ncpu > 64 ? 64 : (int)ncpu;
	if (work < 4e6)
		nt = 1;
	if ((size_t)nt > nblocks)
		nt = nblocks ? (int)nblocks : 1;
	knn_job jobs[64];
	pthread_t th[64];
	imb_blas_single();      /* one sgemm per thread, none of OpenBLAS's */
	for (int t = 0; t < nt; t++) {
		jobs[t] = *proto;
		jobs[t].first = (size_t)t;
		jobs[t].step = (size_t)nt;
	}
	if (nt == 1) {
		knn_worker(&jobs[0]);
		return;
	}
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

/* the k nearest of x's n rows to each query: the rows rows[0..nq) of x
 * (q NULL; rows NULL: all, nq = n), themselves excluded, or the nq
 * points q */
static void knn_run(int32_t *nn, const float *q, const float *x, size_t n, size_t d, int k,
                    const size_t *rows, size_t nq)
{
	/* one GEMM gives |x_j|^2 - 2 x_i.x_j (the distance less |x_i|^2, the
	 * same order within row i): rows [x_i, 1] times rows [-2 x_j, |x_j|^2] */
	size_t da = d + 1;
	if (!rows && !q)
		nq = n;
	/* xa has QG rows of zeros past its nq, for the direct kernel */
	float *xa = imb_xmalloc_aligned((nq + QG) * da * sizeof *xa);
	float *xb = imb_xmalloc_aligned((n ? n : 1) * da * sizeof *xb);
	memset(xa + nq * da, 0, QG * da * sizeof *xa);
	/* every row less the column means: the same distances, but |x|^2 no
	 * longer dwarfs them when a column is large and far from 0 (adult's
	 * fnlwgt, ~1e5: f32 would lose the neighbours in its rounding) */
	double *mu = imb_xcalloc(d ? d : 1, sizeof *mu);
	for (size_t i = 0; i < n; i++)
		for (size_t t = 0; t < d; t++)
			mu[t] += x[i * d + t];
	for (size_t t = 0; t < d && n; t++)
		mu[t] /= (double)n;
	for (size_t i = 0; i < n; i++) {
		const float *a = x + i * d;
		double s = 0;
		for (size_t t = 0; t < d; t++) {
			float v = (float)(a[t] - mu[t]);
			s += (double)v * v;
			xb[i * da + t] = -2.0f * v;
		}
		xb[i * da + d] = (float)s;
	}
	for (size_t i = 0; i < nq; i++) {
		const float *src = q ? q + i * d : x + (rows ? rows[i] : i) * d;
		for (size_t t = 0; t < d; t++)
			xa[i * da + t] = (float)(src[t] - mu[t]);
		xa[i * da + d] = 1.0f;
	}
	free(mu);
	/* a tile of b query rows by nb rows of x, about KNN_BLOCK_FLOATS
	 * distances: all of x while that leaves 128 query rows or more, else
	 * 128 query rows by a slice of x */
	size_t nb = n, b = KNN_BLOCK_FLOATS / n;
	if (b < 128) {
		b = 128;
		nb = KNN_BLOCK_FLOATS / b;
	}
	if (b > nq)
		b = nq ? nq : 1;
	float *xt = direct_ok(da) ? transpose16(xb, n, da) : NULL;
	/* f32 rounds distances that differ in their seventh digit the same:
	 * find k2 > k candidates, then keep the k nearest by distances in
	 * double (ties to the lower index), as a search in double would */
	size_t avail = q ? n : n - 1;
	int k2 = (size_t)(k + 3) < avail ? k + 3 : (int)avail;
	int32_t *cand = imb_xmalloc((nq ? nq : 1) * k2 * sizeof *cand);
	knn_job job = {.nn = cand, .xa = xa, .xb = xb, .xt = xt, .self = rows, .noself = q != NULL,
	               .nq = nq, .n = n, .da = da, .b = b, .nb = nb, .k = k2};
	run_jobs(&job, (double)nq * n * da);
	free(xt);
	free(xa);
	free(xb);
	double *cd = imb_xmalloc(k2 * sizeof *cd);
	for (size_t i = 0; i < nq; i++) {
		const float *a = q ? q + i * d : x + (rows ? rows[i] : i) * d;
		int32_t *ci = cand + i * k2;
		for (int c = 0; c < k2; c++) {
			const float *bj = x + (size_t)ci[c] * d;
			double s = 0;
			for (size_t t = 0; t < d; t++) {
				double e = (double)a[t] - bj[t];
				s += e * e;
			}
			/* insertion by (distance, index) */
			int p = c;
			int32_t j = ci[c];
			while (p > 0 && (cd[p - 1] > s || (cd[p - 1] == s && ci[p - 1] > j))) {
				cd[p] = cd[p - 1];
				ci[p] = ci[p - 1];
				p--;
			}
			cd[p] = s;
			ci[p] = j;
		}
		memcpy(nn + i * k, ci, k * sizeof *nn);
	}
	free(cd);
	free(cand);
}

void imb_knn_rows(int32_t *nn, const float *x, size_t n, size_t d, int k, const size_t *rows,
                  size_t nq)
{
	knn_run(nn, NULL, x, n, d, k, rows, nq);
}

void imb_knn_query(int32_t *nn, const float *q, size_t nq, const float *x, size_t n, size_t d,
                   int k)
{
	knn_run(nn, q, x, n, d, k, NULL, nq);
}

void imb_knn_rows_u8(int32_t *nn, const uint8_t *x, size_t n, size_t d, int k, const size_t *rows,
                     size_t nq)
{
	if (!rows)
		nq = n;
	size_t d4 = (d + 3) / 4 * 4, nblk = (n + 15) / 16;
	uint8_t *qu = imb_xcalloc((nq + QG) * d4, 1);
	for (size_t i = 0; i < nq; i++)
		memcpy(qu + i * d4, x + (rows ? rows[i] : i) * d, d);
	/* blocks of 16 rows: for each 4 columns, 16 lanes of 4 bytes (the
	 * values less 128; padding 0); past the rows, keys that never pass */
	int8_t *xu = imb_xmalloc_aligned((nblk ? nblk : 1) * 16 * d4);
	int32_t *nrm = imb_xmalloc((nblk ? nblk : 1) * 16 * sizeof *nrm);
	memset(xu, 0, (nblk ? nblk : 1) * 16 * d4);
	for (size_t r = 0; r < nblk * 16; r++)
		nrm[r] = INT32_MAX;
	for (size_t r = 0; r < n; r++) {
		int8_t *o = xu + (r / 16) * 16 * d4 + (r % 16) * 4;
		const uint8_t *a = x + r * d;
		int32_t s2 = 0;
		for (size_t t = 0; t < d; t++) {
			s2 += (int32_t)a[t] * a[t];
			o[(t / 4) * 64 + t % 4] = (int8_t)(a[t] - 128);
		}
		nrm[r] = s2;
	}
	/* 128 query rows by about 1 MiB of rows */
	size_t b = nq < 128 ? (nq ? nq : 1) : 128, nb = ((size_t)1 << 20) / d4 / 16 * 16;
	if (nb < 16)
		nb = 16;
	knn_job job = {.nn = nn, .qu = qu, .xu = xu, .nrm = nrm, .d4 = d4, .self = rows,
	               .nq = nq, .n = n, .b = b, .nb = nb, .k = k};
	run_jobs(&job, (double)nq * n * d / 4);
	free(nrm);
	free(xu);
	free(qu);
}

void imb_knn(int32_t *nn, const float *x, size_t n, size_t d, int k)
{
	knn_run(nn, NULL, x, n, d, k, NULL, n);
}

