/* nn_backend.c: the backend registry, the op names and the helpers that
 * belong to no backend (nn_backend.h).
 *
 * Adding a backend: its file defines `const imb_nn_backend
 * imb_nn_backend_NAME` (a table filled from IMB_NN_OPS), and one line
 * below declares it weak and one entry lists it in the registry. A weak
 * reference to an object that is not linked is NULL, so a backend is
 * present exactly in the programs that link its file, and the registry
 * skips the others. */
#include "nn_backend.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const imb_nn_op_names[IMB_NN_OP_COUNT] = { IMB_NN_OPS(IMB_NN_OP_NAME_) };
static_assert(IMB_LEN(imb_nn_op_names) == IMB_NN_OP_COUNT, "op name table");

/* the backends; all but the CPU one weak (present where linked). A weak
 * reference does not pull a member out of libimb.a, so the Makefile
 * defines IMB_NN_CUDA where it compiles the .cu files of lib/, making
 * that reference strong; the reference backend is an object on its
 * test's link line. */
#ifdef IMB_NN_CUDA
extern const imb_nn_backend imb_nn_backend_cuda;                        /* lib/nn_backend_cuda.cu */
#else
extern const imb_nn_backend imb_nn_backend_cuda __attribute__((weak));
#endif
extern const imb_nn_backend imb_nn_backend_ref __attribute__((weak));   /* tests/nn_backend_ref.c */

static const imb_nn_backend *const registry[] = {
	&imb_nn_backend_cpu,
	&imb_nn_backend_cuda,
	&imb_nn_backend_ref,
};

const imb_nn_backend *imb_nn_backend_at(int i)
{
	for (size_t k = 0; k < IMB_LEN(registry); k++)
		if (registry[k] && i-- == 0)
			return registry[k];
	return NULL;
}

static const imb_nn_backend *current = &imb_nn_backend_cpu;

const imb_nn_backend *imb_nn_be(void)
{
	return current;
}

void imb_nn_init(void)
{
	(void)current->init(0);   /* the CPU backend's, which cannot fail */
}

int imb_nn_set_backend(const char *name)
{
	const imb_nn_backend *be;
	char names[128] = "";
	/* "cuda:N": the backend "cuda", device N */
	size_t len = strcspn(name, ":");
	int ordinal = 0;
	if (name[len]) {
		char *end;
		long v = strtol(name + len + 1, &end, 10);
		if (end == name + len + 1 || *end || v < 0 || v > 255)
			return imb_seterr("device %s: the device number must be a whole number "
			                  "0..255 (cuda:0, cuda:1, ...)", name);
		ordinal = (int)v;
	}
	for (int i = 0; (be = imb_nn_backend_at(i)); i++) {
		if (strlen(be->name) == len && !strncmp(name, be->name, len)) {
			if (ordinal && strcmp(be->name, "cuda"))
				return imb_seterr("device %s: %s has no device numbers", name, be->name);
			if (be->init(ordinal) < 0)
				return -1;
			current = be;
			return 0;
		}
		size_t k = strlen(names);
		snprintf(names + k, sizeof names - k, "%s%s", k ? ", " : "", be->name);
	}
	if (len == 4 && !strncmp(name, "cuda", 4))
		return imb_seterr("device %s: this build has no CUDA backend (use %s; build on a "
		                  "machine with nvcc, see docs/engine.md)", name, names);
	return imb_seterr("device %s: unknown (use %s)", name, names);
}

/* the precision last set, and on which backend */
static const imb_nn_backend *prec_be;
static int prec_now = IMB_NN_FP32;

int imb_nn_set_precision(const char *name)
{
	static const char *const names[] = { "fp32", "tf32", "bf16" };
	for (int p = 0; p < (int)IMB_LEN(names); p++)
		if (!strcmp(name, names[p])) {
			if (current->set_precision(p) < 0)
				return -1;
			prec_be = current;
			prec_now = p;
			return 0;
		}
	return imb_seterr("precision %s: unknown (use fp32, tf32 or bf16)", name);
}

int imb_nn_precision(void)
{
	return prec_be == current ? prec_now : IMB_NN_FP32;
}

const char *imb_nn_backend_missing(const imb_nn_backend *be)
{
	if (!be->init)
		return "init";
	if (!be->set_threads)
		return "set_threads";
	if (!be->set_precision)
		return "set_precision";
	if (!be->mark_step)
		return "mark_step";
	const imb_nn_fnptr *ops = (const imb_nn_fnptr *)((const char *)be +
	                          sizeof(const char *) + IMB_NN_HOOKS * sizeof(imb_nn_fnptr));
	for (int k = 0; k < IMB_NN_OP_COUNT; k++)
		if (!ops[k])
			return imb_nn_op_names[k];
	return NULL;
}

int imb_nn_conv2d_shape_init(imb_nn_conv2d_shape *s, int N, int C, int H, int W,
                             int OC, int KH, int KW, int stride, int pad)
{
	if (N < 1 || C < 1 || H < 1 || W < 1 || OC < 1 || KH < 1 || KW < 1 ||
	    stride < 1 || pad < 0)
		return imb_seterr("conv2d: sizes must be positive (pad >= 0)");
	if (H + 2 * pad < KH || W + 2 * pad < KW)
		return imb_seterr("conv2d: kernel %dx%d larger than padded input %dx%d",
		                  KH, KW, H + 2 * pad, W + 2 * pad);
	*s = (imb_nn_conv2d_shape){ N, C, H, W, OC, KH, KW, stride, pad,
	                            (H + 2 * pad - KH) / stride + 1,
	                            (W + 2 * pad - KW) / stride + 1 };
	return 0;
}
