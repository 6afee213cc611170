/* nn_objective.c: objectives (nn_objective.h); the CE family over nn_loss. */
#include "nn_objective.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void xent_forward(const imb_nn_objective *ob, float *dout, float *losses, float *loss,
                         const float *out, const int32_t *y, int N)
{
	imb_nn_loss_forward_to(ob->state, dout, losses, loss, out, y, N);
}

static void xent_free(imb_nn_objective *ob)
{
	imb_nn_loss_free(ob->state);
	free(ob->state);
}

int imb_nn_objective_xent(imb_nn_objective *ob, imb_nn_loss_kind kind, int K,
                          const int64_t *counts, float focal_gamma, float tau)
{
	memset(ob, 0, sizeof *ob);
	imb_nn_loss *L = imb_xcalloc(1, sizeof *L);
	float *cw = imb_xmalloc((size_t)K * sizeof *cw);
	imb_nn_class_weights_inverse(cw, counts, K);
	int r = 0;
	switch (kind) {
	case IMB_NN_LOSS_CE: imb_nn_loss_ce(L, K); break;
	case IMB_NN_LOSS_WEIGHTED_CE: r = imb_nn_loss_weighted_ce(L, K, cw); break;
	case IMB_NN_LOSS_FOCAL: r = imb_nn_loss_focal(L, K, focal_gamma, NULL); break;
	case IMB_NN_LOSS_LOGIT_ADJUSTED: r = imb_nn_loss_logit_adjusted(L, K, counts, tau); break;
	case IMB_NN_LOSS_LDAM:
		r = imb_nn_loss_ldam(L, K, counts, IMB_NN_LDAM_MAX_M, IMB_NN_LDAM_S, NULL);
		break;
	default: r = imb_seterr("unknown loss %d", (int)kind);
	}
	free(cw);
	if (r < 0) {
		free(L);
		return -1;
	}
	ob->name = imb_nn_loss_kind_name(kind);
	ob->K = K;
	ob->needs_labels = 1;
	ob->forward = xent_forward;
	ob->free = xent_free;
	ob->state = L;
	return 0;
}

void imb_nn_objective_free(imb_nn_objective *ob)
{
	if (!ob || !ob->free)
		return;
	ob->free(ob);
	memset(ob, 0, sizeof *ob);
}
