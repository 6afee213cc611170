/* test_plot_series.c: the line plots' data: TSV tables, series
 * selection (filters, groups, NA rows, errors naming the column), the
 * choice of the y and error columns, and data.dat's blocks. */
#include "check.h"
#include "plot_series.h"
#include "util.h"

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

int main(void)
{
	test_table();
	test_series();
	test_resolve_y();
	CHECK_DONE();
}
