/* test_route.c: routing frames for tools that wait for several. The
 * tool's frames take the train frame's place; a consumed model frame
 * after train holds the frames between; a kept (val) frame is forwarded
 * unchanged at its place, before or after train; frames after the work
 * pass through, a second "train" too; a missing want is reported by
 * index; a failing callback stops. */
#include "check.h"
#include "cli.h"
#include "route.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/test_route.XXXXXX";

static int is_model(const imb_frame *f)
{
	return !strcmp(f->kind, "model");
}

/* the callback: one "out" frame naming what it got */
static int work(void *ctx, imb_route_want *w, int n, imb_frame **out, int *nout)
{
	int *calls = ctx;
	(*calls)++;
	char name[128] = "";
	for (int i = 0; i < n; i++)
		snprintf(name + strlen(name), sizeof name - strlen(name), "%s%s", i ? "+" : "", w[i].f->name);
	out[0] = imb_frame_new("model", "out");
	imb_val_set_str(out[0]->attrs, "got", name);
	*nout = 1;
	return 0;
}

static int fail(void *ctx, imb_route_want *w, int n, imb_frame **out, int *nout)
{
	return -1;
}

/* stream of frames "kind:name ..." through the router; returns the
 * output as "name name ..." (out frames as out(got)) and the result */
static int route(const char *in, imb_route_want *w, int nw, imb_route_fn fn, char *got,
                 size_t size, int *calls)
{
	char path[256], opath[256], spec[512];
	snprintf(path, sizeof path, "%s/in", dir);
	snprintf(opath, sizeof opath, "%s/out", dir);
	imb_writer *wr = imb_writer_open(path);
	snprintf(spec, sizeof spec, "%s", in);
	for (char *t = strtok(spec, " "); t; t = strtok(NULL, " ")) {
		char *colon = strchr(t, ':');
		*colon = 0;
		imb_frame *f = imb_frame_new(t, colon + 1);
		imb_write_frame(wr, f);
		imb_frame_free(f);
	}
	imb_writer_close(wr);
	imb_reader *r = imb_reader_open(path);
	imb_writer *ow = imb_writer_open(opath);
	long nf;
	int rc = imb_route(r, ow, w, nw, fn, calls, &nf);
	imb_reader_close(r);
	imb_writer_close(ow);
	r = imb_reader_open(opath);
	imb_frame *f;
	got[0] = 0;
	while (imb_read_frame(r, &f) == 1) {
		size_t p = strlen(got);
		if (!strcmp(f->name, "out"))
			snprintf(got + p, size - p, "%sout(%s)", p ? " " : "",
			         imb_val_as_str(imb_val_get(f->attrs, "got"), "?"));
		else
			snprintf(got + p, size - p, "%s%s", p ? " " : "", f->name);
		imb_frame_free(f);
	}
	imb_reader_close(r);
	return rc;
}

int main(void)
{
	imb_cli_init("test_route", 0, NULL);
	if (!mkdtemp(dir))
		return 1;
	char got[512];
	int calls = 0;
	imb_route_want w[3] = {{"dataset", "train", NULL, 0, NULL}};
	CHECK(route("dataset:a dataset:train dataset:test", w, 1, work, got, sizeof got, &calls) == 0);
	CHECK_STR(got, "a out(train) test");
	/* a model after train: the frames between are held, then follow */
	w[1] = (imb_route_want){NULL, NULL, is_model, 0, NULL};
	CHECK(route("dataset:a dataset:train dataset:test log:x model:init dataset:z", w, 2, work,
	            got, sizeof got, &calls) == 0);
	CHECK_STR(got, "a out(train+init) test x z");
	/* the model first: the frames between pass at once */
	CHECK(route("model:init dataset:a dataset:train dataset:train", w, 2, work, got, sizeof got,
	            &calls) == 0);
	CHECK_STR(got, "a out(train+init) train");
	/* a kept val frame, before and after train */
	w[2] = (imb_route_want){"dataset", "test", NULL, 1, NULL};
	CHECK(route("dataset:test dataset:a dataset:train model:init dataset:b", w, 3, work, got,
	            sizeof got, &calls) == 0);
	CHECK_STR(got, "test a out(train+init+test) b");
	CHECK(route("dataset:train dataset:a dataset:test model:init dataset:b", w, 3, work, got,
	            sizeof got, &calls) == 0);
	CHECK_STR(got, "out(train+init+test) a test b");
	CHECK_EQ_INT(calls, 5);
	/* missing wants, by index; the callback never runs */
	CHECK(route("dataset:a dataset:test", w, 3, work, got, sizeof got, &calls) == 1);
	CHECK(route("dataset:train dataset:test", w, 3, work, got, sizeof got, &calls) == 2);
	CHECK(route("dataset:train model:init", w, 3, work, got, sizeof got, &calls) == 3);
	CHECK_EQ_INT(calls, 5);
	CHECK(route("dataset:train model:init dataset:test", w, 3, fail, got, sizeof got, &calls) == -1);
	for (int i = 0; i < 3; i++)
		CHECK(w[i].f == NULL);
	char p[300];
	snprintf(p, sizeof p, "%s/in", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/out", dir);
	unlink(p);
	rmdir(dir);
	CHECK_DONE();
}
