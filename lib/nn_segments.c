/* nn_segments.c: a model's parameter tensors, read off its op list
 * (nn_net.h), for optimisers that treat weights and biases apart. */
#include "nn_model.h"
#include "nn_net.h"

/* one tensor at params[off], count floats; n listed so far */
static size_t put(imb_nn_segment *seg, size_t max, size_t n, size_t from, size_t off,
                  size_t count, int adapt)
{
	if (off == IMB_NN_NONE || off < from)
		return n;
	if (n < max)
		seg[n] = (imb_nn_segment){ off - from, count, adapt };
	return n + 1;
}

size_t imb_nn_model_segments(const imb_nn_model *m, size_t from, imb_nn_segment *seg,
                             size_t max)
{
	const imb_nn_net *net = m->net;
	size_t n = 0;
	/* ops in build order hold their parameters in ascending order: per
	 * conv its weight (no bias), per BN weight then bias, per linear
	 * weight then bias */
	for (int i = 0; i < net->nops; i++) {
		const imb_nn_netop *o = &net->ops[i];
		switch (o->kind) {
		case IMB_NN_NET_CONV:
			n = put(seg, max, n, from, o->w, (size_t)o->OC * o->C * o->K * o->K, 1);
			break;
		case IMB_NN_NET_BN:
			n = put(seg, max, n, from, o->w, (size_t)o->C, 0);
			n = put(seg, max, n, from, o->b, (size_t)o->C, 0);
			break;
		case IMB_NN_NET_LINEAR:
			n = put(seg, max, n, from, o->w, (size_t)o->OC * o->C, 1);
			n = put(seg, max, n, from, o->b, (size_t)o->OC, 0);
			break;
		}
	}
	return n;
}
