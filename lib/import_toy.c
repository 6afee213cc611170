/* import_toy.c: imbalanced 2-D toy data (moons, blobs, circles). */
#include "import.h"
#include "rng.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const toy_classes[] = {"majority", "minority"};

int imb_import_toy(const char *shape, size_t n, double ratio, double noise,
                   uint64_t seed, const char *name, imb_frame **out)
{
	int kind;
	if (strcmp(shape, "moons") == 0)
		kind = 0;
	else if (strcmp(shape, "circles") == 0)
		kind = 1;
	else if (strcmp(shape, "blobs") == 0)
		kind = 2;
	else
		return imb_seterr("unknown toy shape '%s' (moons, blobs or circles)", shape);
	if (n < 2)
		return imb_seterr("toy data needs at least 2 points, got %zu", n);
	if (!(ratio > 0) || !isfinite(ratio))
		return imb_seterr("toy ratio must be positive, got %g", ratio);
	if (noise < 0)
		noise = kind == 0 ? 0.1 : kind == 1 ? 0.05 : 0.5;
	/* n / (1 + 1/ratio): no overflow to inf/inf for a huge ratio */
	double e1 = round((double)n / (1.0 + 1.0 / ratio));
	size_t n1 = e1 < 1 ? 1 : e1 > (double)(n - 1) ? n - 1 : (size_t)e1;
	if (n1 < 1)
		n1 = 1;
	if (n1 > n - 1)
		n1 = n - 1;
	imb_rng r;
	imb_rng_seed(&r, seed);
	imb_frame *f = imb_frame_new("dataset", name ? name : "train");
	uint64_t xs[2] = {n, 2};
	imb_tensor *xt = imb_frame_add_tensor(f, "x", IMB_F32, 2, xs);
	imb_tensor *yt = imb_frame_add_tensor(f, "y", IMB_I32, 1, xs);
	/* adding y may move the tensor array: look x up again */
	xt = imb_frame_tensor(f, "x");
	float *x = xt->data;
	int32_t *y = yt->data;
	size_t *idx = imb_xmalloc(n * sizeof *idx);
	for (size_t k = 0; k < n; k++)
		idx[k] = k;
	imb_rng_shuffle(&r, idx, n);
	for (size_t k = 0; k < n; k++) {
		int c = k >= n - n1; /* the last n1 draws are the minority */
		double a, b;
		switch (kind) {
		case 0: { /* two interleaving half circles (scikit-learn's make_moons) */
			double t = M_PI * imb_rng_uniform(&r);
			a = c ? 1.0 - cos(t) : cos(t);
			b = c ? 0.5 - sin(t) : sin(t);
			break;
		}
		case 1: { /* minority on the inner circle (radius 0.5) */
			double t = 2.0 * M_PI * imb_rng_uniform(&r), rad = c ? 0.5 : 1.0;
			a = rad * cos(t);
			b = rad * sin(t);
			break;
		}
		default: /* blobs centred at (-1, 0) and (1, 0) */
			a = c ? 1.0 : -1.0;
			b = 0.0;
			break;
		}
		a += noise * imb_rng_normal(&r);
		b += noise * imb_rng_normal(&r);
		size_t row = idx[k];
		x[2 * row] = (float)a;
		x[2 * row + 1] = (float)b;
		y[row] = c;
	}
	free(idx);
	imb_import_finish(f, "toy", toy_classes, 2);
	imb_val *t = imb_val_map();
	imb_val_set_str(t, "shape", shape);
	imb_val_set_float(t, "ratio", ratio);
	imb_val_set_float(t, "noise", noise);
	imb_val_set_int(t, "seed", (int64_t)seed);
	imb_val_set(f->attrs, "toy", t);
	const char *feat[] = {"x1", "x2"};
	imb_val_set(f->attrs, "features", imb_val_str_array(feat, 2));
	*out = f;
	return 0;
}
