/* eval_run.c: every model of a stream on every selected set, in stream
 * order whichever comes first (evaluate.h, imb_eval_run). */
#include "evaluate.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct imb_eval_run {
	imb_eval_opts o;
	imb_evaluator **ev;  /* the models so far */
	size_t *evi, nev;    /* their model_index */
	imb_frame **sets;    /* the sets so far (taken) */
	size_t nsets;
	imb_frame **f;       /* results, with their model's and set's place */
	size_t *mi, *di, n;
};

imb_eval_run *imb_eval_run_new(const imb_eval_opts *o)
{
	imb_eval_run *r = imb_xcalloc(1, sizeof *r);
	if (o)
		r->o = *o;
	else
		r->o.positive = 1;
	return r;
}

void imb_eval_run_free(imb_eval_run *r)
{
	if (!r)
		return;
	for (size_t j = 0; j < r->nev; j++)
		imb_evaluator_free(r->ev[j]);
	for (size_t i = 0; i < r->nsets; i++)
		imb_frame_free(r->sets[i]);
	for (size_t i = 0; i < r->n; i++)
		imb_frame_free(r->f[i]);
	free(r->ev);
	free(r->evi);
	free(r->sets);
	free(r->f);
	free(r->mi);
	free(r->di);
	free(r);
}

static int run_one(imb_eval_run *r, size_t j, size_t di)
{
	size_t n0 = r->n;
	if (imb_evaluate(r->ev[j], r->sets[di], &r->f, &r->n))
		return -1;
	r->mi = imb_xrealloc(r->mi, (r->n ? r->n : 1) * sizeof *r->mi);
	r->di = imb_xrealloc(r->di, (r->n ? r->n : 1) * sizeof *r->di);
	for (size_t i = n0; i < r->n; i++) {
		r->mi[i] = r->evi[j];
		r->di[i] = di;
	}
	return 0;
}

int imb_eval_run_model(imb_eval_run *r, const imb_frame *model, size_t index)
{
	imb_eval_opts o = r->o;
	o.model_index = index;
	imb_evaluator *e = imb_evaluator_new(model, &o);
	if (!e)
		return -1;
	r->ev = imb_xrealloc(r->ev, (r->nev + 1) * sizeof *r->ev);
	r->evi = imb_xrealloc(r->evi, (r->nev + 1) * sizeof *r->evi);
	r->ev[r->nev] = e;
	r->evi[r->nev++] = index;
	for (size_t i = 0; i < r->nsets; i++)
		if (run_one(r, r->nev - 1, i))
			return -1;
	return 0;
}

int imb_eval_run_set(imb_eval_run *r, imb_frame *ds)
{
	r->sets = imb_xrealloc(r->sets, (r->nsets + 1) * sizeof *r->sets);
	r->sets[r->nsets++] = ds;
	for (size_t j = 0; j < r->nev; j++)
		if (run_one(r, j, r->nsets - 1))
			return -1;
	return 0;
}

size_t imb_eval_run_models(const imb_eval_run *r) { return r->nev; }

size_t imb_eval_run_finish(imb_eval_run *r, imb_frame ***out)
{
	/* a stable insertion sort by (model, set): the evaluation order
	 * already holds each pair's frames together and in order */
	for (size_t i = 1; i < r->n; i++)
		for (size_t j = i; j > 0 && (r->mi[j - 1] > r->mi[j] ||
		                             (r->mi[j - 1] == r->mi[j] && r->di[j - 1] > r->di[j]));
		     j--) {
			imb_frame *f = r->f[j];
			r->f[j] = r->f[j - 1];
			r->f[j - 1] = f;
			size_t t = r->mi[j];
			r->mi[j] = r->mi[j - 1];
			r->mi[j - 1] = t;
			t = r->di[j];
			r->di[j] = r->di[j - 1];
			r->di[j - 1] = t;
		}
	size_t n = r->n;
	*out = r->f;
	r->f = NULL;
	r->n = 0;
	return n;
}
