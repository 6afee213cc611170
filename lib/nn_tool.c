/* nn_tool.c: a network training tool's frames and training (nn_tool.h). */
#include "nn_tool.h"
#include "cli.h"
#include "nn_frame.h"
#include "route.h"
#include "util.h"

#include <string.h>

typedef struct {
	int keep;
	imb_nn_train_opts *o;
} job;

static int run(void *ctx, imb_route_want *want, int nwant, imb_frame **out, int *nout)
{
	job *j = ctx;
	imb_frame *train = want[0].f, *m, *log;
	const imb_frame *init = NULL;
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
	if (imb_nn_train(train, init, j->o, &m, &log, summary, sizeof summary) < 0)
		return -1;
	imb_history_append(m, (int64_t)j->o->seed);
	imb_history_append(log, (int64_t)j->o->seed);
	imb_log("%s", summary);
	*nout = 0;
	if (j->keep)
		out[(*nout)++] = train;
	out[(*nout)++] = m;
	out[(*nout)++] = log;
	return 0;
}

int imb_nn_tool_train(imb_reader *r, imb_writer *w, const char *frame, int keep,
                      imb_nn_train_opts *o)
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
	job j = {keep, o};
	long nframes;
	int rc = imb_route(r, w, want, nwant, run, &j, &nframes);
	const char *s = nframes == 1 ? "" : "s";
	if (rc == 1)
		return imb_seterr("no dataset frame named '%s' in the input (%ld frame%s read)", frame,
		                  nframes, s);
	if (rc > 1 && rc - 1 == wi)
		return imb_seterr("--init: no network model frame (kind 'model', attrs.model 'nn') "
		                  "in the input (%ld frame%s read)", nframes, s);
	if (rc > 1 && rc - 1 == wv)
		return imb_seterr("--val-frame: no dataset frame named '%s' in the input (%ld "
		                  "frame%s read)", o->val_frame, nframes, s);
	if (rc > 1 && rc - 1 == wm)
		return imb_seterr("--monitor-frame: no dataset frame named '%s' in the input (%ld "
		                  "frame%s read)", o->monitor_frame, nframes, s);
	return rc < 0 ? -1 : 0;
}
