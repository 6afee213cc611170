/* nn_cuda_bn.cu: the CUDA backend's batch norm (nn_cuda.h), our own
 * kernels over images in the backend's NHWC layout (float32, or bf16 in
 * bf16: read widened, written rounded, the arithmetic float32 and the
 * sums double in either), and the per-channel sums that conv's bias
 * gradient shares.
 *
 * An NHWC image (N,C,HW) is a matrix of R = N HW rows and C columns; a
 * (N,C) tensor (HW = 1) is the same matrix. A channel's sums are column
 * sums: the rows are cut into S pieces and the channels into tiles (S
 * and the tiles fixed by the shape alone: about 1024 blocks in all), each
 * (tile, piece) summed by one block in double, the block's threads across
 * the tile's channels (coalesced reads, float4 where C % 4 == 0 and the
 * pointers are 16-byte aligned) and down a fixed stride of rows, then a
 * fixed tree; the S partial sums of a channel are added in order by one
 * thread: no atomics, the same bits every run, and the whole chip busy.
 * Then one elementwise pass applies the result.
 *
 *   forward (train)  sums of x and x^2 -> mean, biased var, rstd; running
 *                    statistics with the unbiased var; out = (x - mean)
 *                    rstd gamma + beta
 *   backward         sums of dout and dout xhat -> dgamma, dbeta += them;
 *                    dinp += gamma rstd (dout - (sum dout + xhat sum dout
 *                    xhat) / M), M = N HW
 *   forward (eval)   out = (x - run_mean) / sqrt(run_var + eps) gamma + beta
 *   backward (eval)  dinp += gamma / sqrt(run_var + eps) dout; dgamma,
 *                    dbeta += sums of dout xhat and dout
 * With the ReLU fused (nn_backend.h): the forward clamps its result at 0,
 * and the backward takes dout only where the ReLU's output is positive:
 * read from that output, or, where the caller gives beta (no residual),
 * worked out again from inp by the forward's own arithmetic (bn_affine,
 * the same bits), which spares reading one image twice.
 * With a residual (a block's tail): the forward adds res before the
 * clamp, and the backward adds the (masked) dout to dres in its pass.
 * set: dinp and dres written (0 + the value) rather than added to.
 * gamma, beta NULL mean 1 and 0; other NULL outputs are not written. */
#include "nn_cuda.h"

#include <math.h>
#include <stdint.h>

#define THREADS IMB_CUDA_THREADS
#define GRID_LOOP IMB_GRID_LOOP
#define blocks_for imb_cuda_grid

/* float4 steps for C columns where C % 4 == 0 and the pointers are
 * 16-byte aligned (NULL ones are) */
static int vec4(int C, const void *a, const void *b = NULL, const void *c = NULL,
                const void *d = NULL)
{
	return C % 4 == 0 && !(((uintptr_t)a | (uintptr_t)b | (uintptr_t)c | (uintptr_t)d) & 15);
}

/* The grid of the column sums of (R, C) read V floats a step: TX threads
 * across a tile of TX channel vectors, TY (a power of two, TX TY <= 256)
 * down the rows; T tiles, S pieces of P rows. */
typedef struct { int V, TX, TY, T, S; long long P; } sums_grid;

static sums_grid grid_of(long long R, int C, int V)
{
	sums_grid g;
	int Cv = (C + V - 1) / V;
	g.V = V;
	g.TX = Cv < 32 ? Cv : 32;
	g.TY = 1;
	while (g.TX * g.TY * 2 <= THREADS)
		g.TY *= 2;
	g.T = (Cv + g.TX - 1) / g.TX;
	long long s = (1024 + g.T - 1) / g.T, most = (R + g.TY - 1) / g.TY;
	g.S = (int)(s < 1 ? 1 : s > most ? (most < 1 ? 1 : most) : s);
	g.P = (R + g.S - 1) / g.S;
	return g;
}

/* The forward's normalised value, the same bits in every kernel (the
 * ReLU's mask is worked out again from it): (x - mean) a + b, a =
 * rstd gamma, b = beta, one rounding for the subtraction and one for
 * the fused multiply-add. */
__device__ static inline float bn_affine(float x, float mean, float a, float b)
{
	return __fmaf_rn(__fsub_rn(x, mean), a, b);
}

/* Partial sums of channel c over piece s = blockIdx.y of the rows:
 *   part[(c*S + s)*2]     = sum a
 *   part[(c*S + s)*2 + 1] = sum a^2                        (b NULL)
 *                           sum a (b - mean[c]) rstd[c]    (b given)
 * in double, each thread's rows in order, then a tree over threadIdx.y;
 * with mask (a fused ReLU's output), a counts only where mask > 0; with
 * fa and fb instead (b given), only where bn_affine(b, mean, fa, fb) > 0
 * (where that ReLU's output was). a is of type A, b and mask of B
 * (float, or bf16 for images in bf16). */
template <int V, typename A, typename B, bool FX>
__global__ void __launch_bounds__(THREADS)
k_part(double *part, const A *a, const B *b, const float *mean, const float *rstd,
       const B *mask, const float *fa, const float *fb, long long R, int C, long long P)
{
	__shared__ double s1[THREADS * V], s2[THREADS * V];
	int tx = threadIdx.x, ty = threadIdx.y, TX = blockDim.x, TY = blockDim.y;
	int s = blockIdx.y, S = gridDim.y, Cv = C / V;
	int cv = blockIdx.x * TX + tx;
	double u[V], v[V], m[V], r[V];
	float ma[V], mb[V];
#pragma unroll
	for (int k = 0; k < V; k++) {
		u[k] = v[k] = 0;
		int c = cv * V + k;
		m[k] = b && cv < Cv ? mean[c] : 0;
		r[k] = b && cv < Cv ? rstd[c] : 0;
		ma[k] = FX && cv < Cv ? fa[c] : 0;
		mb[k] = FX && cv < Cv ? fb[c] : 0;
	}
	long long r0 = (long long)s * P, r1 = r0 + P < R ? r0 + P : R;
	/* unrolled so that a thread's loads are in flight together (the sums
	 * still go row by row, in order) */
	if (cv < Cv)
#pragma unroll 4
		for (long long row = r0 + ty; row < r1; row += TY) {
			size_t at = (size_t)row * Cv + cv;
			float xe[V], ye[V];
			ldv<V>(xe, a, at);
			if (b)
				ldv<V>(ye, b, at);
			if (mask) {
				float qe[V];
				ldv<V>(qe, mask, at);
#pragma unroll
				for (int k = 0; k < V; k++)
					xe[k] = qe[k] > 0 ? xe[k] : 0.0f;
			} else if (FX) {
#pragma unroll
				for (int k = 0; k < V; k++)
					xe[k] = bn_affine(ye[k], (float)m[k], ma[k], mb[k]) > 0 ? xe[k] : 0.0f;
			}
#pragma unroll
			for (int k = 0; k < V; k++) {
				double d = xe[k];
				u[k] += d;
				v[k] += b ? d * ((ye[k] - m[k]) * r[k]) : d * d;
			}
		}
	int me = (ty * TX + tx) * V;
#pragma unroll
	for (int k = 0; k < V; k++) {
		s1[me + k] = u[k];
		s2[me + k] = v[k];
	}
	__syncthreads();
	for (int h = TY / 2; h > 0; h >>= 1) {
		if (ty < h)
#pragma unroll
			for (int k = 0; k < V; k++) {
				s1[me + k] += s1[me + h * TX * V + k];
				s2[me + k] += s2[me + h * TX * V + k];
			}
		__syncthreads();
	}
	if (ty == 0 && cv < Cv)
#pragma unroll
		for (int k = 0; k < V; k++) {
			size_t c = (size_t)cv * V + k;
			part[(c * S + s) * 2] = s1[me + k];
			part[(c * S + s) * 2 + 1] = s2[me + k];
		}
}

/* Each channel's S partial pairs added: one block a channel (blockIdx.x),
 * each thread adding every THREADS-th pair in order, then a fixed tree;
 * then thread 0 hands the totals (sum a, and sum a^2 or sum a xhat) to
 * f(c, u, v), the per-channel arithmetic of the op that asked. */
template <typename F>
__global__ void __launch_bounds__(THREADS) k_finish(const double *part, int S, F f)
{
	__shared__ double s1[THREADS], s2[THREADS];
	int t = threadIdx.x;
	size_t c = blockIdx.x;
	double u = 0, v = 0;
	for (int s = t; s < S; s += THREADS) {
		u += part[(c * S + s) * 2];
		v += part[(c * S + s) * 2 + 1];
	}
	s1[t] = u;
	s2[t] = v;
	__syncthreads();
	for (int h = THREADS / 2; h > 0; h >>= 1) {
		if (t < h) {
			s1[t] += s1[t + h];
			s2[t] += s2[t + h];
		}
		__syncthreads();
	}
	if (t == 0)
		f((int)c, s1[0], s2[0]);
}

/* workspace bytes chan_sums needs after its room */
static size_t sums_bytes(long long R, int C)
{
	sums_grid g = grid_of(R, C, 1), g4 = grid_of(R, C, 4);
	int S = g.S > g4.S ? g.S : g4.S;
	return (size_t)C * S * 2 * sizeof(double);
}

/* Per-channel partial sums of a (R = N HW rows, C), and of a^2 or a xhat
 * (b, mean, rstd given): then k_finish on *S pieces, with f. The partials
 * live in the workspace after room bytes (the caller's first room bytes
 * survive only if it asked for room + sums_bytes before writing them). */
template <typename A, typename B, typename F>
static void chan_sums(size_t room, const A *a, const B *b, const float *mean,
                      const float *rstd, const B *mask, long long R, int C, F f,
                      const float *fa = NULL, const float *fb = NULL)
{
	int V = vec4(C, a, b, mask) ? 4 : 1;
	sums_grid g = grid_of(R, C, V);
	char *ws = (char *)imb_cuda_workspace(room + sums_bytes(R, C));
	double *part = (double *)(ws + room);
	dim3 grid((unsigned)g.T, (unsigned)g.S), block((unsigned)g.TX, (unsigned)g.TY);
	/* the instance for V and for the mask's source, all of one signature */
	void (*k)(double *, const A *, const B *, const float *, const float *, const B *,
	          const float *, const float *, long long, int, long long) =
		V == 4 ? (fa ? k_part<4, A, B, true> : k_part<4, A, B, false>)
		       : (fa ? k_part<1, A, B, true> : k_part<1, A, B, false>);
	k<<<grid, block, 0, imb_cuda.stream>>>(part, a, b, mean, rstd, mask, fa, fb, R, C, g.P);
	IMB_CUDA_LAUNCHED();
	k_finish<F><<<(unsigned)C, THREADS, 0, imb_cuda.stream>>>(part, g.S, f);
	IMB_CUDA_LAUNCHED();
}

/* db (C) += sum over (N,HW) of dout: conv2d_backward's bias gradient */
struct add_sums {
	float *db;
	__device__ void operator()(int c, double u, double v) const
	{
		db[c] = (float)(db[c] + u);
	}
};

void imb_cuda_channel_sums(float *db, const float *dout, int N, int C, int HW)
{
	chan_sums(0, dout, (const float *)NULL, NULL, NULL, (const float *)NULL, (long long)N * HW,
	          C, add_sums{ db });
}

/* ------------------------------------------------------------ forward */

/* The per-channel numbers of an elementwise pass, floats in the
 * workspace: K arrays of C, each on a 256-byte boundary (so that four
 * channels load as a float4). */
static size_t coef_stride(int C)
{
	return (((size_t)C * sizeof(float) + 255) & ~(size_t)255) / sizeof(float);
}

/* forward (train): the batch's statistics from the sums, the running ones
 * updated, and the pass's a = rstd gamma, b = beta (0 when NULL) */
struct stats {
	float *mean, *rstd, *run_mean, *run_var, *a, *b;
	const float *gamma, *beta;
	double M;
	float momentum, eps;
	__device__ void operator()(int c, double u, double v) const
	{
		double mu = u / M, var = v / M - mu * mu;
		if (var < 0)
			var = 0;
		double r = 1 / sqrt(var + eps);
		mean[c] = (float)mu;
		rstd[c] = (float)r;
		if (run_mean)
			run_mean[c] = (float)((1 - (double)momentum) * run_mean[c] + momentum * mu);
		if (run_var)
			run_var[c] = (float)((1 - (double)momentum) * run_var[c] +
			                     momentum * (M > 1 ? var * M / (M - 1) : 0));
		a[c] = rstd[c] * (gamma ? gamma[c] : 1.0f);
		b[c] = beta ? beta[c] : 0.0f;
	}
};

/* The elementwise passes: a grid-stride loop over n items (32-bit
 * indices where n fits, for the channel's division), V floats an item
 * (4: float4, where vec4 allows), the item's first channel (i % Cv) V,
 * Cv = C / V. */
#define BN_LOOP(I, n, ...) do { \
	if ((n) <= 0xffffffffu) { \
		for (unsigned I = blockIdx.x * blockDim.x + threadIdx.x; I < (unsigned)(n); \
		     I += gridDim.x * blockDim.x) __VA_ARGS__ \
	} else { \
		GRID_LOOP(I, n) __VA_ARGS__ \
	} } while (0)

/* out = (x - mean[c]) a[c] + b[c], plus res (the residual) where given,
 * then y > 0 ? y : 0 with relu; inp, res and out images of type I */
template <int V, typename I>
__global__ void k_norm(I *out, const I *inp, const float *mean, const float *a,
                       const float *b, const I *res, int relu, int Cv, size_t n)
{
	BN_LOOP(i, n, {
		unsigned cv = (unsigned)(i % Cv);
		float e[V], me[V], se[V], te[V], re[V];
		ldv<V>(e, inp, i);
		ldv<V>(me, mean, cv);
		ldv<V>(se, a, cv);
		ldv<V>(te, b, cv);
		if (res)
			ldv<V>(re, res, i);
#pragma unroll
		for (int k = 0; k < V; k++) {
			float y = bn_affine(e[k], me[k], se[k], te[k]);
			if (res)
				y = __fadd_rn(y, re[k]);
			e[k] = relu && !(y > 0) ? 0.0f : y;
		}
		stv<V>(out, i, e);
	});
}

template <typename I>
static void bn_forward_train(float *out_, float *mean, float *rstd, float *run_mean,
                             float *run_var, const float *inp_, const float *gamma,
                             const float *beta, int N, int C, int HW, float momentum,
                             float eps, const float *res_, int relu)
{
	I *out = (I *)out_;
	const I *inp = (const I *)inp_, *res = (const I *)res_;
	/* [mean | rstd (the caller's, or scratch) | a | b] ahead of the sums */
	size_t cs = coef_stride(C), room = 4 * cs * sizeof(float);
	float *ws = (float *)imb_cuda_workspace(room + sums_bytes((long long)N * HW, C));
	float *m = mean ? mean : ws, *r = rstd ? rstd : ws + cs, *a = ws + 2 * cs, *b = ws + 3 * cs;
	chan_sums(room, inp, (const I *)NULL, NULL, NULL, (const I *)NULL, (long long)N * HW, C,
	          stats{ m, r, run_mean, run_var, a, b, gamma, beta, (double)N * HW, momentum, eps });
	size_t n = (size_t)N * C * HW;
	if (vec4(C, out, inp, m) && vec4(C, res))
		k_norm<4, I><<<blocks_for(n / 4), THREADS, 0, imb_cuda.stream>>>(
			out, inp, m, a, b, res, relu, C / 4, n / 4);
	else
		k_norm<1, I><<<blocks_for(n), THREADS, 0, imb_cuda.stream>>>(out, inp, m, a, b, res,
		                                                             relu, C, n);
	IMB_CUDA_LAUNCHED();
}

extern "C" void imb_nn_cuda_batchnorm_forward_train(float *out, float *mean, float *rstd,
                                                    float *run_mean, float *run_var,
                                                    const float *inp, const float *gamma,
                                                    const float *beta, int N, int C, int HW,
                                                    float momentum, float eps,
                                                    const float *res, int relu)
{
	if (N <= 0 || C <= 0 || HW <= 0)
		return;
	IMB_CUDA_BY_IMAGES(I, bn_forward_train<I>(out, mean, rstd, run_mean, run_var, inp, gamma,
	                                          beta, N, C, HW, momentum, eps, res, relu));
}

/* eval: rstd from the running variance, per element */
template <typename I>
__global__ void k_norm_eval(I *out, const I *inp, const float *rm, const float *rv,
                            const float *gamma, const float *beta, float eps, const I *res,
                            int relu, int C, size_t n)
{
	GRID_LOOP(i, n) {
		int c = (int)(i % C);
		double g = gamma ? gamma[c] : 1.0, b = beta ? beta[c] : 0.0;
		float y = (float)((widen(inp[i]) - (double)rm[c]) / sqrt((double)rv[c] + eps) * g + b);
		if (res)
			y = __fadd_rn(y, widen(res[i]));
		put(out + i, relu && !(y > 0) ? 0.0f : y);
	}
}

extern "C" void imb_nn_cuda_batchnorm_forward_eval(float *out, const float *inp,
                                                   const float *gamma, const float *beta,
                                                   const float *run_mean,
                                                   const float *run_var, int N, int C,
                                                   int HW, float eps, const float *res,
                                                   int relu)
{
	size_t n = (size_t)(N > 0 ? N : 0) * (C > 0 ? C : 0) * (HW > 0 ? HW : 0);
	if (!n)
		return;
	IMB_CUDA_BY_IMAGES(I, k_norm_eval<I><<<blocks_for(n), THREADS, 0, imb_cuda.stream>>>(
		(I *)out, (const I *)inp, run_mean, run_var, gamma, beta, eps, (const I *)res, relu,
		C, n));
	IMB_CUDA_LAUNCHED();
}

/* ------------------------------------------------------------ backward */

/* backward (train): dgamma += sum dout xhat, dbeta += sum dout, and
 * dinp += gamma rstd (dout - (sdy + xhat sdyx) / M) as dinp += a dout +
 * b (x - mean) + d with a = gamma rstd, b = -a rstd sdyx / M, d = -a sdy
 * / M (in double, then float; a NULL: dinp not wanted) */
struct dstats {
	float *dgamma, *dbeta, *a, *b, *d;
	const float *gamma, *rstd;
	double M;
	__device__ void operator()(int c, double sdy, double sdyx) const
	{
		if (dgamma)
			dgamma[c] = (float)(dgamma[c] + sdyx);
		if (dbeta)
			dbeta[c] = (float)(dbeta[c] + sdy);
		if (!a)
			return;
		double g = gamma ? gamma[c] : 1.0, r = rstd[c], ga = g * r;
		a[c] = (float)ga;
		b[c] = (float)(-ga * r * sdyx / M);
		d[c] = (float)(-ga * sdy / M);
	}
};

/* a gradient's V values at item i, or zeros where set names it (it is
 * written, not added to) */
template <int V>
__device__ static inline void ldv_or_0(float *o, const float *g, size_t i, int zero)
{
	if (zero)
#pragma unroll
		for (int k = 0; k < V; k++)
			o[k] = 0.0f;
	else
		ldv<V>(o, g, i);
}

/* the backward's pass; with mask (a fused ReLU's output), dout counts
 * only where mask > 0, with fa and fb instead only where bn_affine(inp,
 * mean, fa, fb) > 0; dres (a fused residual's gradient) += that, and
 * dinp (NULL: not wanted) as above; each onto 0 instead where set says
 * (IMB_NN_SET_DINP, IMB_NN_SET_DRES). inp and mask images of type I, the
 * gradients float */
template <int V, typename I, bool FX>
__global__ void k_dx(float *dinp, float *dres, const float *dout, const I *inp,
                     const float *mean, const float *a, const float *b, const float *d,
                     const I *mask, const float *fa, const float *fb, int set, int Cv,
                     size_t n)
{
	BN_LOOP(i, n, {
		unsigned cv = (unsigned)(i % Cv);
		float dye[V], xe[V], me[V];
		ldv<V>(dye, dout, i);
		if (FX) {
			ldv<V>(xe, inp, i);
			ldv<V>(me, mean, cv);
		}
		if (!FX && mask) {
			float qe[V];
			ldv<V>(qe, mask, i);
#pragma unroll
			for (int k = 0; k < V; k++)
				dye[k] = qe[k] > 0 ? dye[k] : 0.0f;
		} else if (FX) {
			float ae[V], be[V];
			ldv<V>(ae, fa, cv);
			ldv<V>(be, fb, cv);
#pragma unroll
			for (int k = 0; k < V; k++)
				dye[k] = bn_affine(xe[k], me[k], ae[k], be[k]) > 0 ? dye[k] : 0.0f;
		}
		if (dres) {
			float he[V];
			ldv_or_0<V>(he, dres, i, set & IMB_NN_SET_DRES);
#pragma unroll
			for (int k = 0; k < V; k++)
				he[k] = __fadd_rn(he[k], dye[k]);
			stv<V>(dres, i, he);
		}
		if (!dinp)
			continue;
		float ge[V], ae[V], be[V], de[V];
		if (!FX) {
			ldv<V>(xe, inp, i);
			ldv<V>(me, mean, cv);
		}
		ldv_or_0<V>(ge, dinp, i, set & IMB_NN_SET_DINP);
		ldv<V>(ae, a, cv);
		ldv<V>(be, b, cv);
		ldv<V>(de, d, cv);
#pragma unroll
		for (int k = 0; k < V; k++)
			ge[k] += ae[k] * dye[k] + be[k] * (xe[k] - me[k]) + de[k];
		stv<V>(dinp, i, ge);
	});
}

/* the forward's per-channel numbers again: fa = rstd gamma, fb = beta,
 * the bits of stats' a and b */
__global__ void k_fwd_coef(float *fa, float *fb, const float *rstd, const float *gamma,
                           const float *beta, int C)
{
	GRID_LOOP(c, (size_t)C) {
		fa[c] = __fmul_rn(rstd[c], gamma ? gamma[c] : 1.0f);
		fb[c] = beta[c];
	}
}

template <typename I>
static void bn_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                        const I *inp, const float *gamma, const float *beta,
                        const float *mean, const float *rstd, int N, int C, int HW,
                        const I *relu_out, float *dres, int set)
{
	/* [a | b | d | fa | fb] ahead of the sums */
	size_t cs = coef_stride(C), room = 5 * cs * sizeof(float);
	float *ws = (float *)imb_cuda_workspace(room + sums_bytes((long long)N * HW, C));
	float *a = ws, *b = ws + cs, *d = ws + 2 * cs, *fa = NULL, *fb = NULL;
	/* the ReLU's mask from inp, not from relu_out (one float image fewer
	 * to read twice), where the forward had no residual; bf16 images
	 * read relu_out, two bytes a value (the builds that worked it out
	 * for bf16 too ran bf16 steps 2-5% slower, resnet18 at batch 512 on
	 * an H200, where tf32 gained 2-3%) */
	if (relu_out && beta && sizeof(I) == sizeof(float)) {
		fa = ws + 3 * cs;
		fb = ws + 4 * cs;
		k_fwd_coef<<<blocks_for((size_t)C), THREADS, 0, imb_cuda.stream>>>(fa, fb, rstd, gamma,
		                                                                  beta, C);
		IMB_CUDA_LAUNCHED();
		relu_out = NULL;
	}
	chan_sums(room, dout, inp, mean, rstd, relu_out, (long long)N * HW, C,
	          dstats{ dgamma, dbeta, dinp ? a : NULL, b, d, gamma, rstd, (double)N * HW }, fa,
	          fb);
	if (dinp || dres) {
		size_t n = (size_t)N * C * HW;
		int V = vec4(C, dinp, dout, inp, mean) && vec4(C, relu_out, dres) ? 4 : 1;
		void (*k)(float *, float *, const float *, const I *, const float *, const float *,
		          const float *, const float *, const I *, const float *, const float *, int,
		          int, size_t) = V == 4 ? (fa ? k_dx<4, I, true> : k_dx<4, I, false>)
		                                : (fa ? k_dx<1, I, true> : k_dx<1, I, false>);
		k<<<blocks_for(n / V), THREADS, 0, imb_cuda.stream>>>(
			dinp, dres, dout, inp, mean, a, b, d, relu_out, fa, fb, set, C / V, n / V);
		IMB_CUDA_LAUNCHED();
	}
}

extern "C" void imb_nn_cuda_batchnorm_backward(float *dinp, float *dgamma, float *dbeta,
                                               const float *dout, const float *inp,
                                               const float *gamma, const float *beta,
                                               const float *mean, const float *rstd, int N,
                                               int C, int HW, const float *relu_out,
                                               float *dres, int set)
{
	if (N <= 0 || C <= 0 || HW <= 0 || (!dinp && !dgamma && !dbeta && !dres))
		return;
	IMB_CUDA_BY_IMAGES(I, bn_backward(dinp, dgamma, dbeta, dout, (const I *)inp, gamma, beta,
	                                  mean, rstd, N, C, HW, (const I *)relu_out, dres, set));
}

/* eval: rstd[c] = 1 / sqrt(run_var + eps) into r (C) */
__global__ void k_rstd(float *r, const float *rv, float eps, int C)
{
	GRID_LOOP(c, (size_t)C)
		r[c] = (float)(1 / sqrt((double)rv[c] + eps));
}

/* eval: dinp += gamma rstd dout (dout masked, dres and set as in k_dx) */
template <typename I>
__global__ void k_dx_eval(float *dinp, float *dres, const float *dout, const float *gamma,
                          const float *r, const I *mask, int set, int C, size_t n)
{
	GRID_LOOP(i, n) {
		int c = (int)(i % C);
		float dy = mask && !(widen(mask[i]) > 0) ? 0.0f : dout[i];
		if (dres)
			dres[i] = __fadd_rn(set & IMB_NN_SET_DRES ? 0.0f : dres[i], dy);
		if (dinp)
			dinp[i] = (set & IMB_NN_SET_DINP ? 0.0f : dinp[i]) +
			          (gamma ? gamma[c] : 1.0f) * r[c] * dy;
	}
}

template <typename I>
static void bn_backward_eval(float *dinp, float *dgamma, float *dbeta, const float *dout,
                             const I *inp, const float *gamma, const float *run_mean,
                             const float *run_var, int N, int C, int HW, float eps,
                             const I *relu_out, float *dres, int set)
{
	size_t room = ((size_t)C * sizeof(float) + 255) & ~(size_t)255;
	float *r = (float *)imb_cuda_workspace(room + sums_bytes((long long)N * HW, C));   /* no growth below */
	k_rstd<<<blocks_for((size_t)C), THREADS, 0, imb_cuda.stream>>>(r, run_var, eps, C);
	IMB_CUDA_LAUNCHED();
	if (dgamma || dbeta) {
		chan_sums(room, dout, inp, run_mean, r, relu_out, (long long)N * HW, C,
		          dstats{ dgamma, dbeta, NULL, NULL, NULL, gamma, r, (double)N * HW });
	}
	if (dinp || dres) {
		size_t n = (size_t)N * C * HW;
		k_dx_eval<I><<<blocks_for(n), THREADS, 0, imb_cuda.stream>>>(dinp, dres, dout, gamma,
		                                                            r, relu_out, set, C, n);
		IMB_CUDA_LAUNCHED();
	}
}

extern "C" void imb_nn_cuda_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta,
                                                    const float *dout, const float *inp,
                                                    const float *gamma, const float *run_mean,
                                                    const float *run_var, int N, int C,
                                                    int HW, float eps,
                                                    const float *relu_out, float *dres,
                                                    int set)
{
	if (N <= 0 || C <= 0 || HW <= 0 || (!dinp && !dgamma && !dbeta && !dres))
		return;
	IMB_CUDA_BY_IMAGES(I, bn_backward_eval(dinp, dgamma, dbeta, dout, (const I *)inp, gamma,
	                                       run_mean, run_var, N, C, HW, eps,
	                                       (const I *)relu_out, dres, set));
}
