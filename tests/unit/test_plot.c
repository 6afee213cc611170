/* test_plot.c: the plotting library without gnuplot: the data box, the
 * grid evaluated through the predict interface (a linear SVM on 2-D
 * blobs), the argmax borders of a hand-made grid, TSV tables and series
 * selection, gnuplot quoting and the scripts' text (they name only files
 * of their own directory), and the atomic install of a picture. */
#include "check.h"
#include "dataset.h"
#include "plot.h"
#include "rng.h"
#include "tabular.h"
#include "util.h"

#include <stdint.h>
#include <sys/stat.h>
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

static int table(const char *text, imb_table *t)
{
	return imb_table_parse(imb_xstrdup(text), strlen(text), t);
}

static void test_table(void)
{
	imb_table t;
	CHECK_EQ_INT(table("a\tb\tc\r\n1\t2\t3\n\n4\t5\t6", &t), 0);
	CHECK_EQ_INT(t.ncols, 3);
	CHECK_EQ_INT(t.nrows, 2);
	CHECK_STR(t.head[2], "c");
	CHECK_STR(t.cell[2], "3");
	CHECK_STR(t.cell[3 + 1], "5");
	CHECK_EQ_INT(imb_table_col(&t, "b"), 1);
	CHECK_EQ_INT(imb_table_col(&t, "z"), -1);
	imb_table_free(&t);
	imb_table_free(NULL);
	CHECK_EQ_INT(table("a\tb\n1\t2\t3\n", &t), -1);
	CHECK_HAS(imb_error(), "line 2: 3 fields, the header has 2");
	CHECK_EQ_INT(table("", &t), -1);
	CHECK_HAS(imb_error(), "no header");
}

static void test_series(void)
{
	imb_table t;
	CHECK_EQ_INT(table("method\tratio\tacc_mean\tacc_se\tset\n"
	                   "sgd\t0.1\t0.8\t0.01\ttest\n"
	                   "sam\t0.1\t0.85\t0.02\ttest\n"
	                   "sgd\t0.01\t0.6\tNA\ttest\n"
	                   "sgd\t0.05\tNA\t0.1\ttest\n"
	                   "sgd\t0.5\t0.9\t0.01\tval\n", &t), 0);
	imb_plot_select sel = {.x = "ratio", .y = "acc_mean", .se = "acc_se", .group = "method"};
	char *where[] = {"set=test"};
	sel.where = where;
	sel.nwhere = 1;
	imb_plot_series *s;
	size_t n;
	CHECK_EQ_INT(imb_plot_series_select(&t, &sel, &s, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_STR(s[0].label, "sgd");
	CHECK_STR(s[1].label, "sam");
	/* sgd: the NA row left out, the val row filtered, sorted by x */
	CHECK_EQ_INT(s[0].n, 2);
	CHECK_NEAR(s[0].x[0], 0.01, 1e-12);
	CHECK_NEAR(s[0].y[0], 0.6, 1e-12);
	CHECK_NEAR(s[0].se[0], 0, 1e-12);
	CHECK_NEAR(s[0].x[1], 0.1, 1e-12);
	CHECK_NEAR(s[0].se[1], 0.01, 1e-12);
	/* the data file: blocks for 'index' */
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	CHECK_EQ_INT(imb_plot_write_series(fp, s, n), 0);
	fclose(fp);
	CHECK_STR(buf, "0.01\t0.6\t0\n0.1\t0.8\t0.01\n\n\n0.1\t0.85\t0.02\n");
	free(buf);
	/* the script: log x, error bars, one line a group, its name quoted */
	imb_plot_opts o = {.title = "acc against ratio", .xlabel = "ratio", .ylabel = "acc",
	                   .logx = 1, .png = 1, .svg = 1};
	buf = NULL;
	fp = open_memstream(&buf, &len);
	imb_plot_script_series(fp, &o, s, n);
	fclose(fp);
	CHECK_HAS(buf, "set logscale x\n");
	CHECK_HAS(buf, "set output 'out.png'");
	CHECK_HAS(buf, "set output 'out.svg'");
	CHECK_HAS(buf, "'data.dat' index 1 using 1:2:3 with yerrorlines");
	CHECK_HAS(buf, "title 'sam'");
	CHECK(!strstr(buf, "logscale y"));
	CHECK(!strstr(buf, "/"));  /* no path: only files of its directory */
	free(buf);
	imb_plot_series_free(s, n);

	/* no groups, no error column: one series */
	imb_plot_select one = {.x = "ratio", .y = "acc_mean"};
	CHECK_EQ_INT(imb_plot_series_select(&t, &one, &s, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(s[0].n, 4);
	CHECK(s[0].se == NULL);
	imb_plot_series_free(s, n);

	/* errors */
	imb_plot_select bad = {.x = "ratio", .y = "accuracy"};
	CHECK_EQ_INT(imb_plot_series_select(&t, &bad, &s, &n), -1);
	CHECK_HAS(imb_error(), "no column 'accuracy' (the columns: method, ratio, acc_mean");
	bad.y = "acc_mean";
	bad.group = "model";
	CHECK_EQ_INT(imb_plot_series_select(&t, &bad, &s, &n), -1);
	CHECK_HAS(imb_error(), "group: no column 'model'");
	bad.group = NULL;
	bad.y = "method";
	CHECK_EQ_INT(imb_plot_series_select(&t, &bad, &s, &n), -1);
	CHECK_HAS(imb_error(), "not a number");
	char *w2[] = {"set=train"};
	imb_plot_select none = {.x = "ratio", .y = "acc_mean", .where = w2, .nwhere = 1};
	CHECK_EQ_INT(imb_plot_series_select(&t, &none, &s, &n), -1);
	CHECK_HAS(imb_error(), "no rows");
	char *w3[] = {"set"};
	none.where = w3;
	CHECK_EQ_INT(imb_plot_series_select(&t, &none, &s, &n), -1);
	CHECK_HAS(imb_error(), "not COLUMN=VALUE");
	imb_table_free(&t);

	CHECK_EQ_INT(table("x\ty\n-1\t2\n1\t3\n", &t), 0);
	imb_plot_select lg = {.x = "x", .y = "y", .positive_x = 1};
	CHECK_EQ_INT(imb_plot_series_select(&t, &lg, &s, &n), -1);
	CHECK_HAS(imb_error(), "needs values > 0");
	imb_table_free(&t);
	imb_plot_series_free(NULL, 0);
}

static void test_resolve_y(void)
{
	imb_table t;
	CHECK_EQ_INT(table("r\tacc_mean\tacc_se\terr\terr_sd\n0.1\t1\t2\t3\t4\n", &t), 0);
	char *y, *se;
	/* acc: absent, so acc_mean with acc_se */
	imb_plot_resolve_y(&t, "acc", NULL, &y, &se);
	CHECK_STR(y, "acc_mean");
	CHECK_STR(se, "acc_se");
	free(y);
	free(se);
	/* acc_mean named: its _se too */
	imb_plot_resolve_y(&t, "acc_mean", NULL, &y, &se);
	CHECK_STR(y, "acc_mean");
	CHECK_STR(se, "acc_se");
	free(y);
	free(se);
	/* an error column given wins */
	imb_plot_resolve_y(&t, "acc", "err_sd", &y, &se);
	CHECK_STR(y, "acc_mean");
	CHECK_STR(se, "err_sd");
	free(y);
	free(se);
	/* a plain column: no error bars */
	imb_plot_resolve_y(&t, "err", NULL, &y, &se);
	CHECK_STR(y, "err");
	CHECK(se == NULL);
	free(y);
	/* unknown: left as named */
	imb_plot_resolve_y(&t, "nope", NULL, &y, &se);
	CHECK_STR(y, "nope");
	CHECK(se == NULL);
	free(y);
	imb_table_free(&t);
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

static char *quoted(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	imb_plot_quote(fp, s);
	fclose(fp);
	return buf;
}

static void test_quote(void)
{
	char *q = quoted("it's");
	CHECK_STR(q, "'it''s'");
	free(q);
	/* newlines cannot end the string and start a command */
	q = quoted("a'\nsystem 'rm -rf x'\n`id`$HOME");
	CHECK_STR(q, "'a'' system ''rm -rf x'' `id`$HOME'");
	free(q);
	q = quoted(NULL);
	CHECK_STR(q, "''");
	free(q);
}

static void test_boundary_script(void)
{
	char *names2[] = {"majority", "min'ority"};
	size_t counts[] = {90, 10};
	int order[] = {0, 1};
	imb_plot_panel p = {.K = 2, .names = names2, .counts = counts, .order = order};
	imb_plot_opts o = {.title = "moons", .png = 1};
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	imb_plot_script_boundary(fp, &o, &p, 1);
	fclose(fp);
	CHECK_HAS(buf, "set cntrparam levels discrete 0.5");
	CHECK_HAS(buf, "set table 'contour0.dat'");
	CHECK_HAS(buf, "'grid0.dat' using 1:2:5:6:7 with rgbimage");
	CHECK_HAS(buf, "'points0.dat' index 1 using 1:2 with points");
	CHECK_HAS(buf, "title 'class min''ority (n = 10)'");
	CHECK_HAS(buf, "decision boundary (p = 0.5)");
	CHECK(!strstr(buf, "out.svg"));
	CHECK(!strstr(buf, "multiplot"));
	CHECK(!strstr(buf, "/"));
	free(buf);

	/* three classes, two panels */
	char *names3[] = {"a", "b", "c"};
	size_t c3[] = {5, 50, 1};
	int o3[] = {1, 0, 2};
	imb_plot_panel pp[2] = {p, {.K = 3, .names = names3, .counts = c3, .order = o3,
	                            .title = "SAM"}};
	o.svg = 1;
	buf = NULL;
	fp = open_memstream(&buf, &len);
	imb_plot_script_boundary(fp, &o, pp, 2);
	fclose(fp);
	CHECK_HAS(buf, "set multiplot layout 1,2 title 'moons'");
	CHECK_HAS(buf, "set title 'SAM'");
	CHECK_HAS(buf, "'borders1.dat' using 1:2 with lines");
	CHECK_HAS(buf, "'points1.dat' index 2 using 1:2 with points pt 7 ps 0.45 lc rgb '#2ca02c' "
	               "title 'class c (n = 1)'");
	CHECK_HAS(buf, "set output 'out.svg'");
	CHECK(!strstr(buf, "contour1.dat"));
	free(buf);

	CHECK_EQ_INT(imb_plot_color(0, 0), 0x1f77b4);
	CHECK_EQ_INT(imb_plot_color(10, 0), 0x1f77b4);
	CHECK_EQ_INT(imb_plot_color(0, 1), 0xc7ddec);
}

static void test_files(void)
{
	const char *dir = imb_plot_tmpdir();
	CHECK(dir != NULL);
	if (!dir)
		return;
	CHECK_STR(imb_plot_tmpdir(), dir);
	CHECK_EQ_INT(imb_plot_put(dir, "a.txt", "hello", 5), 0);
	CHECK_EQ_INT(imb_plot_put(dir, "empty", "", 0), 0);
	char src[4200], dst[4200], emp[4200];
	snprintf(src, sizeof src, "%s/a.txt", dir);
	snprintf(emp, sizeof emp, "%s/empty", dir);
	snprintf(dst, sizeof dst, "%s/b.png", dir);
	CHECK_EQ_INT(imb_plot_install(src, dst), 0);
	struct stat st;
	CHECK(stat(dst, &st) == 0 && st.st_size == 5);
	/* an empty picture is refused and leaves dst as it was */
	CHECK_EQ_INT(imb_plot_install(emp, dst), -1);
	CHECK_HAS(imb_error(), "empty");
	CHECK(stat(dst, &st) == 0 && st.st_size == 5);
	/* a directory that does not exist */
	char nodir[4300];
	snprintf(nodir, sizeof nodir, "%s/no/such/x.png", dir);
	CHECK_EQ_INT(imb_plot_install(src, nodir), -1);
	/* no gnuplot: a clear error */
	setenv("IMB_GNUPLOT", "/nonexistent/gnuplot", 1);
	CHECK_EQ_INT(imb_plot_gnuplot(dir, "plot.gp"), -1);
	CHECK_HAS(imb_error(), "not found");
	/* gnuplot failing: its exit status */
	setenv("IMB_GNUPLOT", "false", 1);
	CHECK_EQ_INT(imb_plot_gnuplot(dir, "plot.gp"), -1);
	CHECK_HAS(imb_error(), "exit status 1");
	unsetenv("IMB_GNUPLOT");
	char keep[4200];
	snprintf(keep, sizeof keep, "%s", dir);
	imb_plot_tmpdir_remove();
	CHECK(access(keep, F_OK) != 0);
}

int main(void)
{
	test_box();
	test_grid();
	test_borders();
	test_table();
	test_series();
	test_resolve_y();
	test_order_and_files();
	test_quote();
	test_boundary_script();
	test_files();
	CHECK_DONE();
}
