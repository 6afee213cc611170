/* test_scale.c: per-feature scaling (scale.h): scikit-learn's
 * StandardScaler and MinMaxScaler statistics on a small table with a
 * constant column, applying them, and their round trip through a model
 * frame with the errors for missing or bad tensors. */
#include "check.h"
#include "scale.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	/* 4 rows, 3 columns: 1..4, constant 7, -2 0 2 8 */
	const float x[12] = {1, 7, -2, 2, 7, 0, 3, 7, 2, 4, 7, 8};
	double c[3], s[3];
	CHECK(imb_scale_known("standard") && imb_scale_known("minmax"));
	CHECK(!imb_scale_known("log") && !imb_scale_known(NULL));

	imb_scale_fit("standard", x, 4, 3, c, s);
	CHECK_NEAR(c[0], 2.5, 1e-12);
	CHECK_NEAR(s[0], sqrt(1.25), 1e-12);        /* ddof 0 */
	CHECK_NEAR(c[1], 7, 1e-12);
	CHECK_NEAR(s[1], 1, 0);                     /* constant: divided by 1 */
	CHECK_NEAR(c[2], 2, 1e-12);
	CHECK_NEAR(s[2], sqrt((16 + 4 + 0 + 36) / 4.0), 1e-12);
	float y[12];
	imb_scale_apply(x, 4, 3, c, s, y);
	double m0 = 0, v0 = 0;
	for (int i = 0; i < 4; i++)
		m0 += y[i * 3] / 4.0;
	for (int i = 0; i < 4; i++)
		v0 += (y[i * 3] - m0) * (y[i * 3] - m0) / 4.0;
	CHECK_NEAR(m0, 0, 1e-6);
	CHECK_NEAR(v0, 1, 1e-6);
	CHECK_NEAR(y[1], 0, 0);                     /* the constant column centred */

	imb_scale_fit("minmax", x, 4, 3, c, s);
	CHECK_NEAR(c[0], 1, 0);
	CHECK_NEAR(s[0], 3, 0);
	CHECK_NEAR(s[1], 1, 0);
	CHECK_NEAR(c[2], -2, 0);
	CHECK_NEAR(s[2], 10, 0);
	imb_scale_apply(x, 4, 3, c, s, y);
	CHECK_NEAR(y[0], 0, 0);
	CHECK_NEAR(y[9], 1, 1e-7);
	CHECK_NEAR(y[11], 1, 1e-7);
	CHECK_NEAR(y[5], 0.2, 1e-7);
	/* in place */
	float z[12];
	for (int i = 0; i < 12; i++)
		z[i] = x[i];
	imb_scale_apply(z, 4, 3, c, s, z);
	CHECK(!memcmp(z, y, sizeof z));

	/* a model frame: none without params.scale, the statistics back */
	imb_frame *f = imb_frame_new("model", "model");
	double *gc, *gs;
	CHECK(imb_scale_get(f, 3, &gc, &gs) == 0 && !gc && !gs);
	imb_val *p = imb_val_map();
	imb_val_set_str(p, "scale", "minmax");
	imb_val_set(f->attrs, "params", p);
	CHECK(imb_scale_get(f, 3, &gc, &gs) == -1);  /* no tensors */
	CHECK_HAS(imb_error(), "scale_center");
	imb_scale_put(f, c, s, 3);
	CHECK(imb_scale_get(f, 3, &gc, &gs) == 0 && gc && gs);
	if (gc && gs)
		CHECK(!memcmp(gc, c, sizeof c) && !memcmp(gs, s, sizeof s));
	free(gc);
	free(gs);
	CHECK(imb_scale_get(f, 4, &gc, &gs) == -1);  /* other features */
	((double *)imb_frame_tensor(f, "scale_scale")->data)[1] = 0;
	CHECK(imb_scale_get(f, 3, &gc, &gs) == -1 && !gc && !gs);
	CHECK_HAS(imb_error(), "feature 1");
	imb_val_set_str(p, "scale", "log");
	CHECK(imb_scale_get(f, 3, &gc, &gs) == -1);
	CHECK_HAS(imb_error(), "unknown scaling 'log'");
	imb_val_set_str(p, "scale", "none");
	CHECK(imb_scale_get(f, 3, &gc, &gs) == 0 && !gc);
	imb_frame_free(f);
	CHECK_DONE();
}
