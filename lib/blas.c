/* blas.c: see blas.h. */
#include "blas.h"

#include <stddef.h>
#include <strings.h>

/* weak: a tool that never calls BLAS (imb-cat, imb-info) is not linked
 * with OpenBLAS, and these resolve to NULL there */
extern void openblas_set_num_threads(int n) __attribute__((weak));
/* OpenBLAS's own (exported) teardown of its thread pool, also run at
 * fork; a later call with one thread runs on the caller and needs no
 * pool. Absent from non-OpenBLAS and serial builds. */
extern int blas_thread_shutdown_(void) __attribute__((weak));
extern char *openblas_get_corename(void) __attribute__((weak));

void imb_blas_single(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	if (openblas_set_num_threads)
		openblas_set_num_threads(1);
	if (openblas_set_num_threads && blas_thread_shutdown_)
		blas_thread_shutdown_();
}

int imb_blas_small_kernels(void)
{
	static int known = -1;
	if (known < 0) {
		static const char *const small[] = { "skylakex", "cooperlake", "sapphirerapids" };
		const char *core = openblas_get_corename ? openblas_get_corename() : NULL;
		known = 0;
		for (unsigned i = 0; core && i < sizeof small / sizeof *small; i++)
			if (strcasecmp(core, small[i]) == 0)
				known = 1;
	}
	return known;
}
