/* test_scoring.c: thresholds chosen on labelled scores (worked by hand
 * below), predictions by argmax and by threshold, the text rows. */
#include "check.h"
#include "scoring.h"
#include "util.h"

#include <math.h>

static void test_threshold(void)
{
	/* scores 0.9 0.8 0.8 0.3 0.2 with labels 1 0 1 0 0: P = 2, N = 3.
	 * t = 0.9: TP 1, FP 0: TPR 1/2, TNR 1: BA 0.75, F1 2/3, G sqrt(1/2)
	 * t = 0.8: TP 2, FP 1: TPR 1, TNR 2/3: BA 5/6, F1 4/5, G sqrt(2/3)
	 * t = 0.3: TP 2, FP 2: BA 2/3, F1 2/3, G sqrt(1/3)
	 * t = 0.2: everything positive: BA 1/2, F1 4/7, G 0 */
	float s[5] = {0.9f, 0.8f, 0.8f, 0.3f, 0.2f};
	unsigned char pos[5] = {1, 0, 1, 0, 0};
	double t, v;
	CHECK(imb_threshold_best(s, pos, 5, IMB_THR_BALANCED_ACCURACY, &t, &v) == 0);
	CHECK_NEAR(t, 0.8f, 0);
	CHECK_NEAR(v, 5.0 / 6, 1e-12);
	CHECK(imb_threshold_best(s, pos, 5, IMB_THR_F1, &t, &v) == 0);
	CHECK_NEAR(v, 0.8, 1e-12);
	CHECK(imb_threshold_best(s, pos, 5, IMB_THR_GMEAN, &t, &v) == 0);
	CHECK_NEAR(t, 0.8f, 0);
	CHECK_NEAR(v, sqrt(2.0 / 3), 1e-12);
	/* scores that rank the positive last: BA 1/4 at 0.9, 0 at 0.5, 1/2 at
	 * 0.1, and 1/2 with nothing positive (a threshold above every score),
	 * which is first in descending order and so kept */
	float r[3] = {0.9f, 0.5f, 0.1f};
	unsigned char q[3] = {0, 0, 1};
	CHECK(imb_threshold_best(r, q, 3, IMB_THR_BALANCED_ACCURACY, &t, &v) == 0);
	CHECK_NEAR(v, 0.5, 1e-12);
	CHECK(t > (double)r[0]);
	unsigned char none[3] = {0, 0, 0};
	CHECK(imb_threshold_best(r, none, 3, IMB_THR_F1, &t, &v) < 0);
	CHECK_HAS(imb_error(), "no positive row");
	imb_thr_metric m;
	CHECK(imb_thr_metric_parse("g-mean", &m) == 0 && m == IMB_THR_GMEAN);
	CHECK(imb_thr_metric_parse("accuracy", &m) < 0);
}

static void test_pred(void)
{
	float p[6] = {0.7f, 0.3f, 0.4f, 0.6f, 0.5f, 0.5f};
	int32_t y[3];
	imb_score_pred(y, p, 3, 2, 1, -1);
	CHECK(y[0] == 0 && y[1] == 1 && y[2] == 0);   /* ties: the first */
	imb_score_pred(y, p, 3, 2, 1, 0.3);
	CHECK(y[0] == 1 && y[1] == 1 && y[2] == 1);
	imb_score_pred(y, p, 3, 2, 0, 0.65);
	CHECK(y[0] == 0 && y[1] == 1 && y[2] == 1);
}

int main(void)
{
	test_threshold();
	test_pred();
	CHECK_DONE();
}
