/* nn_step.c: steps of the training loop (nn_step.h). */
#include "nn_step.h"

#include <string.h>

static int plain_run(imb_nn_step *s, imb_nn_step_ctx *c, const imb_nn_batch *b, float lr,
                     imb_nn_step_out *out)
{
	imb_nn_model *m = c->m;
	imb_nn_model_zero_grad(m);
	const float *z = imb_nn_model_forward(m, b->x, b->n, !c->head_only);
	c->obj->forward(c->obj, c->dout, c->losses, c->loss, z, b->y, b->n);
	imb_nn_model_backward(m, c->dout, c->head_only);
	c->opt->step(c->opt, m->params + c->off, m->grads + c->off, lr);
	out->loss = c->loss;
	out->out = z;
	out->losses = c->losses;
	return 0;
}

const imb_nn_step imb_nn_step_plain = { "plain", plain_run, NULL, NULL };

void imb_nn_step_free(imb_nn_step *s)
{
	if (!s)
		return;
	if (s->free)
		s->free(s);
	memset(s, 0, sizeof *s);
}
