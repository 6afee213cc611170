/* test_plot_boundary.c: the boundary plot's data without gnuplot: the
 * data box, the grid evaluated through the predict interface (a linear
 * SVM on 2-D blobs), the argmax borders of a hand-made grid, the classes'
 * drawing order, a panel's data files, and panels read from streams
 * (names, counts, titles, labels, the errors naming the stream) into a
 * figure's script. */
#include "check.h"
#include "cli.h"
#include "dataset.h"
#include "stream.h"
#include "plot_boundary.h"
#include "rng.h"
#include "tabular.h"
#include "util.h"

#include <stdint.h>
#include <unistd.h>

/* two 2-D blobs: class 0 around (-2, 0), class 1 around (+2, 0) */
static imb_frame *blobs2d(size_t n, uint64_t seed)
{
	imb_frame *f = imb_frame_new("dataset", "train");
	imb_rng r;
	imb_rng_seed(&r, seed);
	uint64_t xs[2] = {n, 2}, ys[1] = {n};
	float *x = imb_frame_add_tensor(f, "x", IMB_F32, 2, xs)->data;
	int32_t *y = imb_frame_add_tensor(f, "y", IMB_I32, 1, ys)->data;
	for (size_t i = 0; i < n; i++) {
		y[i] = (int32_t)(i % 2);
		x[2 * i] = (float)(0.5 * imb_rng_normal(&r) + (y[i] ? 2.0 : -2.0));
		x[2 * i + 1] = (float)(0.5 * imb_rng_normal(&r));
	}
	imb_dataset_update_counts(f);
	return f;
}

static void test_box(void)
{
	float x[6] = {0, 1, 2, 3, 1, 2};
	imb_plot_box b;
	CHECK_EQ_INT(imb_plot_data_box(x, 3, 0.1, &b), 0);
	CHECK_NEAR(b.x0, -0.2, 1e-12);
	CHECK_NEAR(b.x1, 2.2, 1e-12);
	CHECK_NEAR(b.y0, 0.8, 1e-12);
	CHECK_NEAR(b.y1, 3.2, 1e-12);
	/* one point: a unit box around it */
	CHECK_EQ_INT(imb_plot_data_box(x, 1, 0.1, &b), 0);
	CHECK_NEAR(b.x0, -0.5, 1e-12);
	CHECK_NEAR(b.y1, 1.5, 1e-12);
	CHECK_EQ_INT(imb_plot_data_box(x, 0, 0.1, &b), -1);
	float bad[2] = {0, NAN};
	CHECK_EQ_INT(imb_plot_data_box(bad, 1, 0.1, &b), -1);
	CHECK_HAS(imb_error(), "not finite");
}

static void test_grid(void)
{
	imb_frame *f = blobs2d(200, 3);
	imb_tabular_opts o;
	imb_tabular_opts_init(&o);
	o.model = "linear-svm";
	imb_frame *m = NULL;
	char s[256];
	CHECK_EQ_INT(imb_tabular_train(f, &o, &m, s, sizeof s), 0);
	imb_predictor *p = m ? imb_predictor_load(m) : NULL;
	CHECK(p != NULL);
	if (!p) {
		imb_frame_free(f);
		imb_frame_free(m);
		return;
	}
	imb_plot_box box = {-4, 4, -2, 2};
	imb_plot_grid g;
	CHECK_EQ_INT(imb_plot_grid_eval(p, &box, 1, &g), -1);
	CHECK_EQ_INT(imb_plot_grid_eval(p, &box, 41, &g), 0);
	CHECK_EQ_INT(g.n, 41);
	CHECK_EQ_INT(g.K, 2);
	CHECK_NEAR(imb_plot_grid_x(&g, 0), -4, 1e-12);
	CHECK_NEAR(imb_plot_grid_x(&g, 40), 4, 1e-12);
	CHECK_NEAR(imb_plot_grid_y(&g, 20), 0, 1e-12);
	double worst = 0;
	for (size_t i = 0; i < 41 * 41; i++) {
		double sum = g.proba[2 * i] + g.proba[2 * i + 1];
		worst = fabs(sum - 1) > worst ? fabs(sum - 1) : worst;
	}
	CHECK(worst < 1e-5);
	/* the left edge is class 0, the right edge class 1, on every row */
	int left = 0, right = 0;
	for (int j = 0; j < 41; j++) {
		left += imb_plot_grid_argmax(&g, 0, j) == 0;
		right += imb_plot_grid_argmax(&g, 40, j) == 1;
	}
	CHECK_EQ_INT(left, 41);
	CHECK_EQ_INT(right, 41);
	/* grid point (i, j) holds the model's answer at its own coordinates */
	float pt[2] = {(float)imb_plot_grid_x(&g, 7), (float)imb_plot_grid_y(&g, 31)}, pr[2];
	CHECK_EQ_INT(imb_predict_proba(p, pt, 1, 2, pr), 0);
	CHECK_NEAR(g.proba[(31 * 41 + 7) * 2 + 1], pr[1], 1e-6);
	/* one border: a vertical line of 41 segments near x = 0 */
	double *seg;
	size_t ns = imb_plot_borders(&g, &seg);
	CHECK(ns >= 41);
	for (size_t i = 0; i < ns; i++)
		CHECK(fabs(seg[4 * i]) < 1.0 && fabs(seg[4 * i + 2]) < 1.0);
	free(seg);
	imb_plot_grid_free(&g);
	imb_plot_grid_free(NULL);

	/* a model of another width is refused */
	imb_predictor_free(p);
	imb_frame_free(m);
	imb_frame_free(f);
}

/* a 4x4 grid of three classes: columns 0-1 class 0, 2-3 class 1, but
 * row 3 all class 2: borders between columns 1|2 on rows 0..2 (3
 * vertical segments) and between rows 2|3 where the class changes (4
 * horizontal ones) */
static void test_borders(void)
{
	imb_plot_grid g = {.n = 4, .K = 3, .box = {0, 3, 0, 3}};
	float p[16 * 3] = {0};
	for (int j = 0; j < 4; j++)
		for (int i = 0; i < 4; i++) {
			int c = j == 3 ? 2 : i < 2 ? 0 : 1;
			p[(j * 4 + i) * 3 + c] = 1;
		}
	g.proba = p;
	CHECK_EQ_INT(imb_plot_grid_argmax(&g, 3, 0), 1);
	CHECK_EQ_INT(imb_plot_grid_argmax(&g, 0, 3), 2);
	double *seg;
	size_t n = imb_plot_borders(&g, &seg);
	CHECK_EQ_INT(n, 7);
	int vert = 0, horiz = 0;
	for (size_t i = 0; i < n; i++) {
		double *s = seg + 4 * i;
		if (s[0] == s[2]) {
			vert++;
			CHECK_NEAR(s[0], 1.5, 1e-12);
		} else {
			horiz++;
			CHECK_NEAR(s[1], 2.5, 1e-12);
			CHECK_NEAR(s[3], 2.5, 1e-12);
		}
	}
	CHECK_EQ_INT(vert, 3);
	CHECK_EQ_INT(horiz, 4);
	free(seg);
	/* one class everywhere: no border */
	for (int i = 0; i < 16; i++)
		p[i * 3] = 1, p[i * 3 + 1] = p[i * 3 + 2] = 0;
	CHECK_EQ_INT(imb_plot_borders(&g, &seg), 0);
	CHECK(seg == NULL);
}

static void test_order_and_files(void)
{
	size_t counts[4] = {10, 300, 10, 5};
	int order[4];
	imb_plot_class_order(counts, 4, order);
	CHECK_EQ_INT(order[0], 1);
	CHECK_EQ_INT(order[1], 0);
	CHECK_EQ_INT(order[2], 2);
	CHECK_EQ_INT(order[3], 3);

	const char *dir = imb_plot_tmpdir();
	CHECK(dir != NULL);
	if (!dir)
		return;
	float p[4 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1};
	imb_plot_grid g = {.n = 2, .K = 3, .box = {0, 1, 0, 1}, .proba = p};
	float x[6] = {0.1f, 0.2f, 0.9f, 0.8f, 0.5f, 0.5f};
	int y[3] = {2, 0, 2};
	int ord[3] = {0, 2, 1};
	CHECK_EQ_INT(imb_plot_panel_files(dir, 3, &g, x, y, 3, ord), 0);
	char path[4300];
	snprintf(path, sizeof path, "%s/points3.dat", dir);
	FILE *fp = fopen(path, "r");
	CHECK(fp != NULL);
	if (fp) {
		char buf[512] = {0};
		size_t n = fread(buf, 1, sizeof buf - 1, fp);
		fclose(fp);
		buf[n] = 0;
		/* class 0, then class 2's two points, then class 1's empty block */
		CHECK_STR(buf, "0.899999976\t0.800000012\n\n\n0.100000001\t0.200000003\n"
		               "0.5\t0.5\n\n\nNA\tNA\n");
	}
	snprintf(path, sizeof path, "%s/grid3.dat", dir);
	CHECK(access(path, F_OK) == 0);
	snprintf(path, sizeof path, "%s/borders3.dat", dir);
	CHECK(access(path, F_OK) == 0);
	imb_plot_tmpdir_remove();
}

/* frames into a new file under dir; the path in path */
static void write_stream(const char *dir, const char *name, imb_frame **f, int n, char *path,
                         size_t size)
{
	snprintf(path, size, "%s/%s", dir, name);
	imb_writer *w = imb_writer_open(path);
	CHECK(w != NULL);
	if (!w)
		return;
	for (int i = 0; i < n; i++)
		CHECK_EQ_INT(imb_write_frame(w, f[i]), 0);
	CHECK_EQ_INT(imb_writer_close(w), 0);
}

static char *file_text(const char *dir, const char *name)
{
	char path[4300];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int ch;
	while ((ch = fgetc(fp)) != EOF)
		fputc(ch, out);
	fclose(out);
	fclose(fp);
	return buf;
}

static void test_panels(void)
{
	imb_quiet(1); /* no grid timing lines */
	char sdir[] = "/tmp/imb-test-plot-boundary.XXXXXX";
	CHECK(mkdtemp(sdir) != NULL);
	const char *dir = imb_plot_tmpdir();
	CHECK(dir != NULL);
	if (!dir)
		return;
	/* 200 points, classes 0 and 1 alternating, named; features named */
	imb_frame *train = blobs2d(200, 5);
	const char *cls[] = {"maj", "min"}, *feat[] = {"income", "age"};
	imb_val_set(train->attrs, "classes", imb_val_str_array(cls, 2));
	imb_val_set(train->attrs, "features", imb_val_str_array(feat, 2));
	imb_tabular_opts o;
	imb_tabular_opts_init(&o);
	o.model = "linear-svm";
	imb_frame *model = NULL;
	char s[256];
	CHECK_EQ_INT(imb_tabular_train(train, &o, &model, s, sizeof s), 0);
	if (!model)
		return;
	imb_val *h = imb_val_arr(), *e1 = imb_val_map(), *e2 = imb_val_map();
	imb_val_set_str(e1, "tool", "imb-split");
	imb_val_set_str(e2, "tool", "imb-sam");
	imb_val_push(h, e1);
	imb_val_push(h, e2);
	imb_val_set(model->attrs, "history", h);
	imb_val_set_str(model->attrs, "arch", "svm-linear");
	char good[4300], nomodel[4300], three[4300];
	imb_frame *both[] = {train, model};
	write_stream(sdir, "good.imb", both, 2, good, sizeof good);
	write_stream(sdir, "nomodel.imb", both, 1, nomodel, sizeof nomodel);
	imb_frame *d3 = imb_frame_new("dataset", "train");
	uint64_t xs[2] = {4, 3}, ys[1] = {4};
	imb_frame_add_tensor(d3, "x", IMB_F32, 2, xs);
	imb_frame_add_tensor(d3, "y", IMB_I32, 1, ys);
	imb_frame *three_f[] = {model, d3};
	write_stream(sdir, "three.imb", three_f, 2, three, sizeof three);

	imb_plot_boundary_opts b = {.frame = "train", .grid = 12, .margin = 0.1};
	imb_plot_panel_data pd;
	CHECK_EQ_INT(imb_plot_panel_read(dir, 2, good, &b, &pd), 0);
	CHECK_EQ_INT(pd.K, 2);
	CHECK_STR(pd.names[0], "maj");
	CHECK_STR(pd.names[1], "min");
	CHECK_EQ_INT(pd.counts[0], 100);
	CHECK_EQ_INT(pd.counts[1], 100);
	CHECK_EQ_INT(pd.order[0], 0);
	/* the model's maker: the first tool past the data tools */
	CHECK_STR(pd.title, "svm-linear by imb-sam on the train set (200 points)");
	CHECK_STR(pd.xlabel, "income (feature 1, data units)");
	CHECK_STR(pd.ylabel, "age (feature 2, data units)");
	/* panel 2's files: 12 rows of 12 grid points, two point blocks */
	char *g = file_text(dir, "grid2.dat");
	size_t lines = 0;
	for (char *c = g; c && *c; c++)
		lines += *c == '\n';
	CHECK_EQ_INT(lines, 12 * 12 + 11);
	free(g);
	char *pts = file_text(dir, "points2.dat");
	CHECK(pts && strstr(pts, "\n\n\n"));
	free(pts);
	imb_plot_panel_data_free(&pd);
	imb_plot_panel_data_free(&pd);
	imb_plot_panel_data_free(NULL);

	/* errors name the stream */
	CHECK_EQ_INT(imb_plot_panel_read(dir, 0, nomodel, &b, &pd), -1);
	CHECK_HAS(imb_error(), "nomodel.imb: no model frame (kind 'model'): imb-train makes one");
	CHECK(pd.names == NULL && pd.title == NULL);
	b.frame = "val";
	CHECK_EQ_INT(imb_plot_panel_read(dir, 0, good, &b, &pd), -1);
	CHECK_HAS(imb_error(), "good.imb: no dataset frame named 'val' (--frame;");
	b.frame = "train";
	CHECK_EQ_INT(imb_plot_panel_read(dir, 0, three, &b, &pd), -1);
	CHECK_HAS(imb_error(), "three.imb: dataset 'train': x has 3 features per sample; a "
	                       "boundary plot needs 2-D feature vectors");
	char missing[4300];
	snprintf(missing, sizeof missing, "%s/none.imb", sdir);
	CHECK_EQ_INT(imb_plot_panel_read(dir, 0, missing, &b, &pd), -1);
	CHECK_HAS(imb_error(), "none.imb");

	/* a figure: one panel takes the panel's title; with a figure title
	 * and a panel title, both */
	imb_plot_opts po = {.png = 1};
	char *one[] = {good};
	CHECK_EQ_INT(imb_plot_boundary_files(dir, one, 1, &b, &po), 0);
	char *gp = file_text(dir, "plot.gp");
	CHECK_HAS(gp, "set title 'svm-linear by imb-sam on the train set (200 points)' noenhanced");
	CHECK_HAS(gp, "set xlabel 'income (feature 1, data units)'");
	CHECK_HAS(gp, "title 'class min (n = 100)'");
	CHECK(!strstr(gp, "multiplot"));
	free(gp);
	char *titles[] = {"SAM", "SGD"};
	b.titles = titles;
	b.ntitles = 1;
	po.title = "Moons";
	po.xlabel = "mine";
	CHECK_EQ_INT(imb_plot_boundary_files(dir, one, 1, &b, &po), 0);
	CHECK_STR(po.title, "Moons"); /* o is not changed */
	gp = file_text(dir, "plot.gp");
	CHECK_HAS(gp, "set title 'Moons: SAM' noenhanced");
	CHECK_HAS(gp, "set xlabel 'mine'");
	free(gp);
	/* two panels side by side, the default figure title */
	char *two[] = {good, good};
	b.ntitles = 2;
	po.title = NULL;
	CHECK_EQ_INT(imb_plot_boundary_files(dir, two, 2, &b, &po), 0);
	gp = file_text(dir, "plot.gp");
	CHECK_HAS(gp, "set multiplot layout 1,2 title 'Decision regions'");
	CHECK_HAS(gp, "set title 'SGD' noenhanced");
	free(gp);
	char path[4300];
	snprintf(path, sizeof path, "%s/points1.dat", dir);
	CHECK(access(path, F_OK) == 0);
	/* a bad second stream fails the figure */
	char *bad[] = {good, nomodel};
	CHECK_EQ_INT(imb_plot_boundary_files(dir, bad, 2, &b, &po), -1);
	CHECK_HAS(imb_error(), "no model frame");
	CHECK_EQ_INT(imb_plot_boundary_files(dir, bad, 0, &b, &po), -1);

	imb_plot_tmpdir_remove();
	const char *made[] = {"good.imb", "nomodel.imb", "three.imb"};
	for (size_t i = 0; i < IMB_LEN(made); i++) {
		snprintf(path, sizeof path, "%s/%s", sdir, made[i]);
		unlink(path);
	}
	CHECK_EQ_INT(rmdir(sdir), 0);
	imb_frame_free(d3);
	imb_frame_free(model);
	imb_frame_free(train);
}

int main(void)
{
	test_box();
	test_grid();
	test_borders();
	test_order_and_files();
	test_panels();
	CHECK_DONE();
}
