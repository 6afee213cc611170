/* nn_start.h: where the GPU tests start (test_nn_cuda, test_nn_graph): a
 * model's first weights and BN buffers, made on the CPU backend from
 * the rng and copied to the host, then `rows` inputs uniform in [-1, 1)
 * and labels below K from the same rng. Leaves the CPU backend current. */
#ifndef IMB_NN_START_H
#define IMB_NN_START_H

#include "check.h"
#include "nn_backend.h"
#include "nn_model.h"
#include "rng.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct {
	float *w0, *b0;         /* (P), (B) host */
	float *x;               /* (rows, C*H*W) host */
	int32_t *y;             /* (rows) host */
} nn_start;

static nn_start nn_start_make(const char *arch, int C, int H, int W, int K, int rows, imb_rng *r)
{
	nn_start s;
	CHECK(imb_nn_set_backend("cpu") == 0);
	imb_nn_model *m = imb_nn_model_new(arch, C, H, W, K);
	imb_nn_model_init(m, r);
	s.w0 = imb_xmalloc(m->P * sizeof(float));
	s.b0 = imb_xmalloc(m->B * sizeof(float) + 4);
	m->be->download(s.w0, m->params, m->P * sizeof(float));
	m->be->download(s.b0, m->bufs, m->B * sizeof(float));
	imb_nn_model_free(m);
	size_t D = (size_t)C * H * W;
	s.x = imb_xmalloc((size_t)rows * D * sizeof(float));
	s.y = imb_xmalloc((size_t)rows * sizeof(int32_t));
	for (size_t i = 0; i < (size_t)rows * D; i++)
		s.x[i] = (float)(2 * imb_rng_uniform(r) - 1);
	for (int i = 0; i < rows; i++)
		s.y[i] = (int32_t)imb_rng_below(r, (uint64_t)K);
	return s;
}

static void nn_start_free(nn_start *s)
{
	free(s->w0);
	free(s->b0);
	free(s->x);
	free(s->y);
}

#endif
