/* blas.h: OpenBLAS kept on the calling thread.
 *
 * imb runs its own threads (the engine's pool, SMOTE's kNN) and calls
 * sgemm from them one thread each, so OpenBLAS must not run threads of
 * its own. Its threaded build starts a pool when the library loads, and
 * those threads spin (sched_yield) for about 0.1 s before they sleep:
 * a core lost at the start of every tool, felt most in a pipeline of
 * short tools. */
#ifndef IMB_BLAS_H
#define IMB_BLAS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Set OpenBLAS to one thread and stop its pool; idempotent, cheap after
 * the first call. Does nothing in a program not linked with OpenBLAS
 * (weak references). Every tool reaches it at start-up: through the
 * engine (imb_nn_init, the CPU backend's init hook) where the tool
 * links the engine, else directly from imb_cli_init. */
void imb_blas_single(void);

/* Whether OpenBLAS's kernel for this CPU has its own small-matrix gemm
 * (the AVX-512 ones: SkylakeX, Cooperlake, SapphireRapids), faster than
 * the engine's direct loops for products with a tiny dimension. Decided
 * by the CPU alone, so a machine always takes the same path (same bits). */
int imb_blas_small_kernels(void);

#ifdef __cplusplus
}
#endif

#endif
