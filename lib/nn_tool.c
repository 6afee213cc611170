/* nn_tool.c: a network training tool's frames and training (nn_tool.h). */
#include "nn_tool.h"
#include "cli.h"
#include "nn_frame.h"
#include "route.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	int keep;
	imb_nn_train_opts *o;
	imb_writer *w;
	imb_nn_trainer fn;
	void *ctx;
} job;

/* imb_nn_train as a trainer: one model frame */
static int plain(void *ctx, const imb_frame *train, const imb_frame *init,
                 const imb_nn_train_opts *o, imb_frame ***models, size_t *nmodels,
                 imb_frame **log, char *summary, size_t size)
{
	imb_frame *m;
	if (imb_nn_train(train, init, o, &m, log, summary, size) < 0)
		return -1;
	*models = imb_xmalloc(sizeof **models);
	(*models)[0] = m;
	*nmodels = 1;
	return 0;
}

/* the frames made are written here, in the train frame's place (the
 * router then writes the frames it held): a model may come in more parts
 * than the router's out array holds */
static int run(void *ctx, imb_route_want *want, int nwant, imb_frame **out, int *nout)
{
	job *j = ctx;
	imb_frame *train = want[0].f, **models, *log;
	const imb_frame *init = NULL;
	size_t nmodels;
	char summary[256] = "";
	for (int i = 1; i < nwant; i++)
		if (want[i].match)
			init = want[i].f;
		else if (j->o->val_frame && !strcmp(want[i].name, j->o->val_frame))
			j->o->val = want[i].f;
		else
			j->o->monitor = want[i].f;
	if (j->o->monitor_frame && j->o->val_frame && !strcmp(j->o->monitor_frame, j->o->val_frame))
		j->o->monitor = j->o->val;
	if (j->fn(j->ctx, train, init, j->o, &models, &nmodels, &log, summary, sizeof summary) < 0)
		return -1;
	imb_log("%s", summary);
	*nout = 0;
	if (j->keep)
		imb_emit(j->w, train);
	for (size_t i = 0; i < nmodels; i++) {
		imb_history_append(models[i], (int64_t)j->o->seed);
		imb_emit(j->w, models[i]);
		imb_frame_free(models[i]);
	}
	free(models);
	imb_history_append(log, (int64_t)j->o->seed);
	out[(*nout)++] = log;
	return 0;
}

int imb_nn_tool_train(imb_reader *r, imb_writer *w, const char *frame, int keep,
                      imb_nn_train_opts *o)
{
	return imb_nn_tool_train_with(r, w, frame, keep, o, plain, NULL);
}

int imb_nn_tool_train_with(imb_reader *r, imb_writer *w, const char *frame, int keep,
                           imb_nn_train_opts *o, imb_nn_trainer fn, void *ctx)
{
	if (o->device && imb_nn_set_backend(o->device) < 0)
		return -1;
	if (o->precision && imb_nn_set_precision(o->precision) < 0)
		return -1;
	imb_route_want want[4] = {{"dataset", frame, NULL, 0, NULL}};
	int nwant = 1, wi = 0, wv = 0, wm = 0;
	if (o->init)
		want[wi = nwant++] = (imb_route_want){NULL, NULL, imb_nn_is_model_frame, 0, NULL};
	if (o->val_frame)
		want[wv = nwant++] = (imb_route_want){"dataset", o->val_frame, NULL, 1, NULL};
	if (o->monitor_frame && !(o->val_frame && !strcmp(o->monitor_frame, o->val_frame)))
		want[wm = nwant++] = (imb_route_want){"dataset", o->monitor_frame, NULL, 1, NULL};
	job j = {keep, o, w, fn, ctx};
	long nframes;
	int rc = imb_route(r, w, want, nwant, run, &j, &nframes);
	const char *s = nframes == 1 ? "" : "s";
	if (rc == 1)
		return imb_seterr("no dataset frame named '%s' in the input (%ld frame%s read)", frame,
		                  nframes, s);
	if (rc > 1 && rc - 1 == wi)
		return imb_seterr("--init: no network model frame (kind 'model', attrs.model an architecture) "
		                  "in the input (%ld frame%s read)", nframes, s);
	if (rc > 1 && rc - 1 == wv)
		return imb_seterr("--val-frame: no dataset frame named '%s' in the input (%ld "
		                  "frame%s read)", o->val_frame, nframes, s);
	if (rc > 1 && rc - 1 == wm)
		return imb_seterr("--monitor-frame: no dataset frame named '%s' in the input (%ld "
		                  "frame%s read)", o->monitor_frame, nframes, s);
	return rc < 0 ? -1 : 0;
}
