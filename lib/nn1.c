/* nn1.c: the k nearest other rows of every row, all rows at once (for
 * Tomek links, k 1, and ENN; see undersample.h).
 *
 * Each pair of rows is measured once, by tiles of NN1_TILE rows against
 * NN1_TILE rows at or after them, a tile's distances updating the nearest
 * of both its rows and its columns: half the work of a search per row.
 * One sgemm of [x_i, |x_i|^2, 1] against [-2 x_j, 1, |x_j|^2] gives the
 * squared distances. Threads take column tiles from the last; each keeps
 * its own nearest per row, merged by (distance, index), so the result
 * does not depend on the threads: every distance is computed once, by
 * the same tile whichever thread takes it. For k 1 the scan of a tile
 * runs on GCC's generic vectors, eight lanes on x86-64 with AVX2 (chosen
 * at run time, the same result), four elsewhere; for k > 1 four lanes are
 * checked against the rows' and columns' k-th distances so far, and the
 * few that pass go into their lists one by one. */
#include "undersample.h"
#include "blas.h"
#include "util.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NN1_TILE 512

typedef struct {
	const float *a, *b;     /* (n, da) */
	size_t n, da, ntiles;
	size_t *next;           /* the next column tile to take (shared) */
	float *best;            /* (n): the nearest distance so far, per row */
	int32_t *bi;
	int k;                  /* k > 1: the k nearest, kept in bk, bik (n, k) */
	float *bk;
	int32_t *bik;
} nn1_job;

/* After the tile's g (mi, mj) of rows i0.. and columns j0..: for each
 * row, its nearest column (the first of ties) offered to best/bi[i]; for
 * each column, rows that come nearer than best/bi[j] so far (rows come in
 * index order, so the first of ties stays). W lanes of type VF/VI. */
#define NN1_SCAN(NAME, W, ATTR)                                                             \
	typedef float NAME##_vf __attribute__((vector_size(4 * W)));                        \
	typedef int32_t NAME##_vi __attribute__((vector_size(4 * W)));                      \
	ATTR static void NAME(nn1_job *j, float *g, size_t i0, size_t j0, size_t mi,         \
	                      size_t mj, int diag)                                          \
	{                                                                                   \
		float *cb = j->best + j0;                                                   \
		int32_t *ci = j->bi + j0;                                                   \
		NAME##_vi lane;                                                             \
		for (int l = 0; l < W; l++)                                                 \
			lane[l] = l;                                                        \
		for (size_t r = 0; r < mi; r++) {                                           \
			float *gr = g + r * mj;                                             \
			int32_t i = (int32_t)(i0 + r);                                      \
			if (diag) /* the diagonal tile: each pair once, above it */          \
				for (size_t c = 0; c <= r; c++)                             \
					gr[c] = INFINITY;                                   \
			NAME##_vf mv;                                                       \
			NAME##_vi mc, iv;                                                   \
			for (int l = 0; l < W; l++) {                                       \
				mv[l] = INFINITY;                                           \
				mc[l] = 0;                                                  \
				iv[l] = i;                                                  \
			}                                                                   \
			size_t c = 0;                                                       \
			for (; c + W <= mj; c += W) {                                       \
				NAME##_vf gv, cv;                                           \
				NAME##_vi civ;                                              \
				memcpy(&gv, gr + c, sizeof gv);                             \
				memcpy(&cv, cb + c, sizeof cv);                             \
				memcpy(&civ, ci + c, sizeof civ);                           \
				NAME##_vi lt = gv < mv, cl = gv < cv;                       \
				mv = (NAME##_vf)(((NAME##_vi)gv & lt) | ((NAME##_vi)mv & ~lt)); \
				mc = ((lane + (int32_t)c) & lt) | (mc & ~lt);               \
				cv = (NAME##_vf)(((NAME##_vi)gv & cl) | ((NAME##_vi)cv & ~cl)); \
				civ = (iv & cl) | (civ & ~cl);                              \
				memcpy(cb + c, &cv, sizeof cv);                             \
				memcpy(ci + c, &civ, sizeof civ);                           \
			}                                                                   \
			float m = INFINITY;                                                 \
			size_t at = 0;                                                      \
			for (int l = 0; l < W; l++)                                         \
				if (mv[l] < m || (mv[l] == m && (size_t)mc[l] < at)) {      \
					m = mv[l];                                          \
					at = (size_t)mc[l];                                 \
				}                                                           \
			for (; c < mj; c++) {                                               \
				if (gr[c] < m) {                                            \
					m = gr[c];                                          \
					at = c;                                             \
				}                                                           \
				if (gr[c] < cb[c]) {                                        \
					cb[c] = gr[c];                                      \
					ci[c] = i;                                          \
				}                                                           \
			}                                                                   \
			if (m < INFINITY) {                                                 \
				int32_t jj = (int32_t)(j0 + at);                            \
				if (m < j->best[i] || (m == j->best[i] && jj < j->bi[i])) { \
					j->best[i] = m;                                     \
					j->bi[i] = jj;                                      \
				}                                                           \
			}                                                                   \
		}                                                                           \
	}

NN1_SCAN(scan4, 4, )
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
NN1_SCAN(scan8, 8, __attribute__((target("avx2"))))
#pragma GCC diagnostic pop
#define HAVE_SCAN8 1
#endif

/* k > 1: row i's list (bk, bik + i k) holds its k nearest so far,
 * ascending by (distance, index); best[i] is the last distance (the bar
 * a candidate must reach). Put (v, c) in if it comes before the last. */
static void knn_insert(nn1_job *j, size_t i, float v, int32_t c)
{
	int k = j->k;
	float *d = j->bk + i * k;
	int32_t *x = j->bik + i * k;
	if (v > d[k - 1] || (v == d[k - 1] && c >= x[k - 1]))
		return;
	int p = k - 1;
	while (p > 0 && (d[p - 1] > v || (d[p - 1] == v && x[p - 1] > c))) {
		d[p] = d[p - 1];
		x[p] = x[p - 1];
		p--;
	}
	d[p] = v;
	x[p] = c;
	j->best[i] = d[k - 1];
}

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/* The tile's distances offered to the lists of its rows and columns;
 * four at a time are checked against both bars, and the few that pass
 * are put in. */
static void scank(nn1_job *j, float *g, size_t i0, size_t j0, size_t mi, size_t mj, int diag)
{
	float *cbar = j->best + j0;
	for (size_t r = 0; r < mi; r++) {
		float *gr = g + r * mj;
		size_t i = i0 + r;
		if (diag)
			for (size_t c = 0; c <= r; c++)
				gr[c] = INFINITY;
		size_t c = 0;
		for (; c + 4 <= mj; c += 4) {
			v4f gv, cv, rv = {j->best[i], j->best[i], j->best[i], j->best[i]};
			memcpy(&gv, gr + c, sizeof gv);
			memcpy(&cv, cbar + c, sizeof cv);
			v4i hit = (gv <= rv) | (gv <= cv);
			uint64_t h[2];
			memcpy(h, &hit, sizeof h);
			if (!(h[0] | h[1]))
				continue;
			for (size_t l = c; l < c + 4; l++) {
				if (gr[l] == INFINITY)
					continue;
				knn_insert(j, i, gr[l], (int32_t)(j0 + l));
				knn_insert(j, j0 + l, gr[l], (int32_t)i);
			}
		}
		for (; c < mj; c++)
			if (gr[c] != INFINITY) {
				knn_insert(j, i, gr[c], (int32_t)(j0 + c));
				knn_insert(j, j0 + c, gr[c], (int32_t)i);
			}
	}
}

static void nn1_tile(nn1_job *j, float *g, size_t ti, size_t tj, int wide)
{
	size_t i0 = ti * NN1_TILE, j0 = tj * NN1_TILE;
	size_t mi = j->n - i0 < NN1_TILE ? j->n - i0 : NN1_TILE;
	size_t mj = j->n - j0 < NN1_TILE ? j->n - j0 : NN1_TILE;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)mi, (int)mj, (int)j->da, 1.0f,
	            j->a + i0 * j->da, (int)j->da, j->b + j0 * j->da, (int)j->da, 0.0f, g, (int)mj);
	if (j->k > 1) {
		scank(j, g, i0, j0, mi, mj, ti == tj);
		return;
	}
#ifdef HAVE_SCAN8
	if (wide) {
		scan8(j, g, i0, j0, mi, mj, ti == tj);
		return;
	}
#endif
	scan4(j, g, i0, j0, mi, mj, ti == tj);
}

static void *nn1_worker(void *arg)
{
	nn1_job *j = arg;
	int wide = 0;
#ifdef HAVE_SCAN8
	wide = __builtin_cpu_supports("avx2");
#endif
	float *g = imb_xmalloc_aligned((size_t)NN1_TILE * NN1_TILE * sizeof *g);
	for (;;) {
		size_t t = __atomic_fetch_add(j->next, 1, __ATOMIC_RELAXED);
		if (t >= j->ntiles)
			break;
		size_t tj = j->ntiles - 1 - t;
		/* rows ascending: a column's candidates come in index order */
		for (size_t ti = 0; ti <= tj; ti++)
			nn1_tile(j, g, ti, tj, wide);
	}
	free(g);
	return NULL;
}

void imb_knn_all(int32_t *nn, const float *x, size_t n, size_t d, int k, int threads)
{
	size_t da = d + 2;
	float *a = imb_xmalloc_aligned(n * da * sizeof *a), *b = imb_xmalloc_aligned(n * da * sizeof *b);
	for (size_t i = 0; i < n; i++) {
		const float *xi = x + i * d;
		float s = 0;
		for (size_t t = 0; t < d; t++) {
			s += xi[t] * xi[t];
			a[i * da + t] = xi[t];
			b[i * da + t] = -2.0f * xi[t];
		}
		a[i * da + d] = s;
		a[i * da + d + 1] = 1;
		b[i * da + d] = 1;
		b[i * da + d + 1] = s;
	}
	size_t ntiles = (n + NN1_TILE - 1) / NN1_TILE, next = 0;
	long ncpu = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
	int nt = ncpu < 1 ? 1 : ncpu > 64 ? 64 : (int)ncpu;
	if ((size_t)nt > ntiles)
		nt = (int)ntiles;
	nn1_job jobs[64];
	pthread_t th[64];
	int started = 0;
	imb_blas_single();      /* one sgemm per thread, none of OpenBLAS's */
	for (int t = 0; t < nt; t++) {
		jobs[t] = (nn1_job){a, b, n, da, ntiles, &next, imb_xmalloc(n * sizeof(float)),
		                    imb_xmalloc(n * sizeof(int32_t)), k, NULL, NULL};
		for (size_t i = 0; i < n; i++) {
			jobs[t].best[i] = INFINITY;
			jobs[t].bi[i] = INT32_MAX;
		}
		if (k > 1) {
			jobs[t].bk = imb_xmalloc(n * k * sizeof(float));
			jobs[t].bik = imb_xmalloc(n * k * sizeof(int32_t));
			for (size_t i = 0; i < n * k; i++) {
				jobs[t].bk[i] = INFINITY;
				jobs[t].bik[i] = INT32_MAX;
			}
		}
	}
	for (int t = 1; t < nt; t++, started++)
		if (pthread_create(&th[t], NULL, nn1_worker, &jobs[t]))
			break;
	nn1_worker(&jobs[0]);   /* takes what threads that did not start leave */
	for (int t = 1; t <= started; t++)
		pthread_join(th[t], NULL);
	if (k > 1) {
		/* merge the threads' lists: k smallest by (distance, index);
		 * a pair is measured by one thread only, so none repeats */
		int *at = imb_xmalloc(nt * sizeof *at);
		for (size_t i = 0; i < n; i++) {
			memset(at, 0, nt * sizeof *at);
			for (int q = 0; q < k; q++) {
				int bt = -1;
				for (int t = 0; t < nt; t++) {
					if (at[t] >= k)
						continue;
					float v = jobs[t].bk[i * k + at[t]];
					int32_t c = jobs[t].bik[i * k + at[t]];
					if (bt < 0 || v < jobs[bt].bk[i * k + at[bt]] ||
					    (v == jobs[bt].bk[i * k + at[bt]] && c < jobs[bt].bik[i * k + at[bt]]))
						bt = t;
				}
				nn[i * k + q] = jobs[bt].bik[i * k + at[bt]++];
			}
		}
		free(at);
	}
	for (size_t i = 0; k == 1 && i < n; i++) {
		float bv = jobs[0].best[i];
		int32_t bj = jobs[0].bi[i];
		for (int t = 1; t < nt; t++)
			if (jobs[t].best[i] < bv || (jobs[t].best[i] == bv && jobs[t].bi[i] < bj)) {
				bv = jobs[t].best[i];
				bj = jobs[t].bi[i];
			}
		nn[i] = bj;
	}
	for (int t = 0; t < nt; t++) {
		free(jobs[t].best);
		free(jobs[t].bi);
		free(jobs[t].bk);
		free(jobs[t].bik);
	}
	free(a);
	free(b);
}
