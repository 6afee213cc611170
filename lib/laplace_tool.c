/* laplace_tool.c: imb-laplace's frames: wait for the network and the
 * samples, fit, put the posterior where the network was (laplace.h). */
#include "laplace.h"
#include "cli.h"
#include "dataset.h"
#include "model_frame.h"
#include "predict.h"
#include "route.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	const imb_la_opts *o;
} job;

static int run(void *ctx, imb_route_want *want, int nwant, imb_frame **out, int *nout)
{
	job *j = ctx;
	imb_frame *model = want[0].f, *train = want[1].f, *val = nwant > 2 ? want[2].f : NULL;
	char lb[128];
	imb_frame_label(model, lb, sizeof lb);
	const char *kind = imb_val_as_str(imb_val_get(model->attrs, "model"), "?");
	if (!imb_nn_is_model_frame(model)) {
		if (!strcmp(kind, "laplace"))
			return imb_seterr("%s is already a Laplace posterior", lb);
		return imb_seterr("%s is a model of kind '%s': imb-laplace needs a network "
		                  "(imb-train --model resnet8, mlp:W1,W2,..., linear)", lb, kind);
	}
	if (imb_model_features_check(model->attrs, lb, train) < 0 ||
	    (val && imb_model_features_check(model->attrs, lb, val) < 0))
		return -1;
	imb_nn_loaded net;
	if (imb_nn_frame_read(model, &net) < 0)
		return imb_preferr("%s: ", lb);
	const imb_val *classes = imb_val_get(model->attrs, "classes");
	int32_t *tmap = NULL, *vmap = NULL;
	if (imb_dataset_class_map(train, classes, net.m->K, "the model", &tmap) < 0 ||
	    (val && imb_dataset_class_map(val, classes, net.m->K, "the model", &vmap) < 0)) {
		imb_nn_loaded_free(&net);
		free(tmap);
		return -1;
	}
	imb_la *la = imb_la_fit(&net, train, tmap, val, vmap, j->o);
	free(tmap);
	free(vmap);
	imb_nn_loaded_free(&net);
	if (!la)
		return -1;
	imb_la_info in;
	imb_la_get_info(la, &in);
	imb_la_frame(la, model);
	imb_history_append(model, (int64_t)j->o->seed);
	char tuned[160] = "";
	if (j->o->tune == IMB_LA_TUNE_MARGLIK)
		snprintf(tuned, sizeof tuned, " (tuned from %.4g by the marginal likelihood: %.6g -> "
		         "%.6g)", in.delta0, in.lml0, in.lml);
	else if (j->o->tune == IMB_LA_TUNE_VAL)
		snprintf(tuned, sizeof tuned, " (the best of the grid on '%s': NLL %.4g)", val->name,
		         in.val_nll);
	imb_log("%s %s Laplace of %zu weights on %zu samples: prior precision %.4g%s, %.2f s",
	        imb_la_subset_name(j->o->subset), imb_la_hessian_name(j->o->hessian), in.np, in.n,
	        in.delta, tuned, in.seconds);
	imb_la_free(la);
	*nout = 0;
	out[(*nout)++] = model;
	return 0;
}

int imb_la_tool(imb_reader *r, imb_writer *w, const char *frame, const char *val_frame,
                const imb_la_opts *o)
{
	imb_route_want want[3] = {
		{NULL, NULL, imb_frame_is_model, 0, NULL},
		{"dataset", frame, NULL, 1, NULL},
	};
	int nwant = 2;
	if (val_frame)
		want[nwant++] = (imb_route_want){"dataset", val_frame, NULL, 1, NULL};
	job j = {o};
	long nframes;
	int rc = imb_route(r, w, want, nwant, run, &j, &nframes);
	if (rc <= 0)
		return rc;
	const char *s = nframes == 1 ? "" : "s";
	if (rc == 1)
		return imb_seterr("no network model frame in the input (%ld frame%s read): imb-train "
		                  "--model resnet8 makes one", nframes, s);
	return imb_seterr("no dataset frame named '%s' in the input (%ld frame%s read%s)",
	                  want[rc - 1].name, nframes, s,
	                  rc == 2 ? "; imb-train --keep-train forwards the train frame" : "");
}
