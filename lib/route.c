/* route.c: routing frames for tools that wait for several (route.h). */
#include "route.h"
#include "cli.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int matches(const imb_route_want *w, const imb_frame *f)
{
	return !w->f && (!w->kind || !strcmp(f->kind, w->kind)) &&
	       (!w->name || !strcmp(f->name, w->name)) && (!w->match || w->match(f));
}

static int is_want(const imb_route_want *want, int n, const imb_frame *f)
{
	for (int i = 0; i < n; i++)
		if (want[i].f == f)
			return 1;
	return 0;
}

int imb_route(imb_reader *r, imb_writer *w, imb_route_want *want, int nwant, imb_route_fn fn,
              void *ctx, long *nframes)
{
	imb_frame *f, **held = NULL;
	size_t nheld = 0;
	int done = 0, holding = 0, ret = 0, have = 0;
	*nframes = 0;
	for (int i = 0; i < nwant; i++)
		want[i].f = NULL;
	while ((f = imb_next(r))) {
		(*nframes)++;
		int i = 0;
		while (!done && i < nwant && !matches(&want[i], f))
			i++;
		if (!done && i < nwant) {
			want[i].f = f;
			have++;
			if (i == 0)
				holding = 1;
			if (want[i].keep) {
				if (holding) {
					held = imb_xrealloc(held, (nheld + 1) * sizeof *held);
					held[nheld++] = f;
				} else {
					imb_emit(w, f);
				}
			}
		} else if (holding) {
			held = imb_xrealloc(held, (nheld + 1) * sizeof *held);
			held[nheld++] = f;
			continue;
		} else {
			imb_emit(w, f);
			imb_frame_free(f);
			continue;
		}
		if (have < nwant)
			continue;
		/* everything in hand */
		imb_frame *out[IMB_ROUTE_OUT_MAX];
		int nout = 0;
		if (fn(ctx, want, nwant, out, &nout) < 0) {
			ret = -1;
			break;
		}
		for (int k = 0; k < nout; k++) {
			imb_emit(w, out[k]);
			if (!is_want(want, nwant, out[k]))
				imb_frame_free(out[k]);
		}
		for (size_t k = 0; k < nheld; k++) {
			imb_emit(w, held[k]);
			if (!is_want(want, nwant, held[k]))
				imb_frame_free(held[k]);
		}
		nheld = 0;
		for (int k = 0; k < nwant; k++) {
			imb_frame_free(want[k].f);
			want[k].f = NULL;
		}
		done = 1;
		holding = 0;
	}
	if (ret == 0 && !done)
		for (int i = 0; i < nwant; i++)
			if (!want[i].f) {
				ret = i + 1;
				break;
			}
	for (size_t k = 0; k < nheld; k++)
		if (!is_want(want, nwant, held[k]))
			imb_frame_free(held[k]);
	for (int k = 0; k < nwant; k++) {
		imb_frame_free(want[k].f);
		want[k].f = NULL;
	}
	free(held);
	return ret;
}
