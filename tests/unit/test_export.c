/* test_export.c: NPY headers as NumPy writes them, CSV fields, the frames
 * imb-export chooses (and the errors that name the others), a metrics
 * frame's arrays. The files themselves are checked against numpy, csv
 * and scikit-learn in tests/export.bats. */
#include "check.h"
#include "export.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the header imb_npy_header makes, its dict as text */
static void npy_case(imb_dtype t, int ndim, const uint64_t *shape, const char *dict)
{
	char buf[4096];
	size_t n = imb_npy_header(buf, t, ndim, shape);
	CHECK_EQ_INT(n % 64, 0);
	CHECK(!memcmp(buf, "\x93NUMPY\x01\x00", 8));
	CHECK_EQ_INT((unsigned char)buf[8] | (unsigned char)buf[9] << 8, n - 10);
	CHECK(!strncmp(buf + 10, dict, strlen(dict)));
	CHECK_EQ_INT(buf[n - 1], '\n');
	for (size_t i = 10 + strlen(dict); i + 1 < n; i++)
		CHECK_EQ_INT(buf[i], ' ');
}

/* what imb_write_csv writes for s */
static char *csv_text(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	imb_write_csv(fp, s);
	fclose(fp);
	return buf;
}

static imb_frame *frame(const char *kind, const char *name, long index)
{
	imb_frame *f = imb_frame_new(kind, name);
	f->index = index;
	uint64_t sh[2] = {2, 3};
	if (!strcmp(kind, "dataset")) {
		imb_frame_add_tensor(f, "x", IMB_F32, 2, sh);
		imb_frame_add_tensor(f, "y", IMB_I32, 1, sh);
	}
	return f;
}

int main(void)
{
	npy_case(IMB_F32, 2, (uint64_t[]){2, 3}, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
	npy_case(IMB_I32, 1, (uint64_t[]){5}, "{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }");
	npy_case(IMB_F64, 0, NULL, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }");
	npy_case(IMB_U8, 4, (uint64_t[]){70000, 1, 28, 28},
	         "{'descr': '|u1', 'fortran_order': False, 'shape': (70000, 1, 28, 28), }");
	npy_case(IMB_I64, 1, (uint64_t[]){0}, "{'descr': '<i8', 'fortran_order': False, 'shape': (0,), }");

	char *s;
	CHECK_STR(s = csv_text("plain text"), "plain text");
	free(s);
	CHECK_STR(s = csv_text("a,b"), "\"a,b\"");
	free(s);
	CHECK_STR(s = csv_text("say \"hi\""), "\"say \"\"hi\"\"\"");
	free(s);
	CHECK_STR(s = csv_text("two\nlines"), "\"two\nlines\"");
	free(s);

	imb_export_format fmt;
	CHECK_EQ_INT(imb_export_format_parse("npz", &fmt), 0);
	CHECK_EQ_INT(fmt, IMB_EXPORT_NPZ);
	CHECK_EQ_INT(imb_export_format_parse("xlsx", &fmt), -1);

	/* the most derived kind, unless one is given; one frame for npy */
	imb_frame *f[4] = {frame("dataset", "train", 1), frame("dataset", "test", 2),
	                   frame("model", "model", 3), frame("predictions", "test", 4)};
	uint64_t n2 = 2, k2[2] = {2, 2};
	imb_frame_add_tensor(f[3], "probs", IMB_F32, 2, k2);
	imb_frame_add_tensor(f[3], "pred", IMB_I32, 1, &n2);
	imb_val *cl = imb_val_arr();
	imb_val_push(cl, imb_val_str("a"));
	imb_val_push(cl, imb_val_str("b"));
	imb_val_set(f[3]->attrs, "classes", cl);
	imb_export_opts o = {.format = IMB_EXPORT_CSV};
	size_t *sel, ns;
	const char *kind;
	CHECK_EQ_INT(imb_export_select(f, 4, &o, &sel, &ns, &kind), 0);
	CHECK_STR(kind, "predictions");
	CHECK_EQ_INT(ns, 1);
	CHECK_EQ_INT(sel[0], 3);
	free(sel);
	o.kind = "dataset";
	CHECK_EQ_INT(imb_export_select(f, 4, &o, &sel, &ns, &kind), 0);
	CHECK_EQ_INT(ns, 2);
	free(sel);
	o.format = IMB_EXPORT_NPY;
	CHECK_EQ_INT(imb_export_select(f, 4, &o, &sel, &ns, &kind), -1);
	CHECK_HAS(imb_error(), "frame 1 'train', frame 2 'test'");
	o.index = 2;
	CHECK_EQ_INT(imb_export_select(f, 4, &o, &sel, &ns, &kind), 0);
	CHECK_EQ_INT(ns == 1 && sel[0] == 1, 1);
	free(sel);
	o.index = 0;
	o.frame = "val";
	CHECK_EQ_INT(imb_export_select(f, 4, &o, &sel, &ns, &kind), -1);
	CHECK_HAS(imb_error(), "no dataset frame named 'val'");

	/* a metrics frame's arrays: nil is NaN */
	imb_frame *m = imb_frame_new("metrics", "test");
	imb_val *conf = imb_val_arr(), *pc = imb_val_arr();
	for (int i = 0; i < 2; i++) {
		imb_val *row = imb_val_arr(), *c = imb_val_map();
		imb_val_push(row, imb_val_float(i ? 0.5 : 3));
		imb_val_push(row, imb_val_int(i ? 4 : 0));
		imb_val_push(conf, row);
		imb_val_set_int(c, "support", 3 + i);
		imb_val_set(c, "precision", i ? imb_val_nil() : imb_val_float(0.25));
		imb_val_push(pc, c);
	}
	imb_val_set(m->attrs, "confusion", conf);
	imb_val_set(m->attrs, "per_class", pc);
	imb_frame *a = imb_export_arrays(m);
	const imb_tensor *t = imb_frame_tensor(a, "confusion");
	CHECK(t && t->dtype == IMB_F64 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 2);
	CHECK_NEAR(((double *)t->data)[2], 0.5, 0);
	CHECK_NEAR(((double *)t->data)[3], 4, 0);
	t = imb_frame_tensor(a, "precision");
	CHECK(t && t->shape[0] == 2 && ((double *)t->data)[0] == 0.25 && isnan(((double *)t->data)[1]));
	t = imb_frame_tensor(a, "recall");
	CHECK(t && isnan(((double *)t->data)[0]));
	CHECK_NEAR(((double *)imb_frame_tensor(a, "support")->data)[1], 4, 0);
	imb_frame_free(a);
	imb_frame_free(m);
	for (int i = 0; i < 4; i++)
		imb_frame_free(f[i]);
	CHECK_DONE();
}
