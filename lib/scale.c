/* scale.c: per-feature scaling of tabular features (scale.h). */
#include "scale.h"
#include "util.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int imb_scale_known(const char *kind)
{
	return kind && (!strcmp(kind, "standard") || !strcmp(kind, "minmax"));
}

void imb_scale_fit(const char *kind, const float *x, size_t n, size_t d, double *center,
                   double *scale)
{
	int standard = !strcmp(kind, "standard");
	for (size_t j = 0; j < d; j++) {
		double a = 0, b = 0;
		if (standard) {   /* two passes: the mean, then the squares about it */
			for (size_t i = 0; i < n; i++)
				a += x[i * d + j];
			a /= (double)n;
			for (size_t i = 0; i < n; i++) {
				double e = x[i * d + j] - a;
				b += e * e;
			}
			b = sqrt(b / (double)n);
		} else {
			double lo = INFINITY, hi = -INFINITY;
			for (size_t i = 0; i < n; i++) {
				lo = fmin(lo, x[i * d + j]);
				hi = fmax(hi, x[i * d + j]);
			}
			a = lo;
			b = hi - lo;
		}
		center[j] = a;
		scale[j] = b < 10 * DBL_EPSILON ? 1 : b;   /* a constant feature */
	}
}

void imb_scale_apply(const float *x, size_t n, size_t d, const double *center,
                     const double *scale, float *out)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++)
			out[i * d + j] = (float)((x[i * d + j] - center[j]) / scale[j]);
}

void imb_scale_put(imb_frame *f, const double *center, const double *scale, size_t d)
{
	uint64_t shape[1] = {d};
	imb_tensor *c = imb_frame_add_tensor(f, "scale_center", IMB_F64, 1, shape);
	memcpy(c->data, center, d * sizeof *center);
	imb_tensor *s = imb_frame_add_tensor(f, "scale_scale", IMB_F64, 1, shape);
	memcpy(s->data, scale, d * sizeof *scale);
}

static int get(const imb_frame *f, const char *key, size_t d, double **out)
{
	const imb_tensor *t = imb_frame_tensor(f, key);
	if (!t || t->dtype != IMB_F64 || t->ndim != 1 || t->shape[0] != d)
		return imb_seterr("attrs.params.scale needs tensor '%s' (%zu) f64", key, d);
	*out = imb_xmalloc(d * sizeof **out);
	memcpy(*out, t->data, d * sizeof **out);
	return 0;
}

int imb_scale_get(const imb_frame *f, size_t d, double **center, double **scale)
{
	*center = *scale = NULL;
	const char *kind = imb_val_as_str(imb_val_get(imb_val_get(f->attrs, "params"), "scale"),
	                                  NULL);
	if (!kind || !strcmp(kind, "none"))
		return 0;
	if (!imb_scale_known(kind))
		return imb_seterr("attrs.params.scale: unknown scaling '%s' (known: standard, "
		                  "minmax, none)", kind);
	if (get(f, "scale_center", d, center) < 0 || get(f, "scale_scale", d, scale) < 0)
		goto fail;
	for (size_t j = 0; j < d; j++)
		if (!isfinite((*center)[j]) || !isfinite((*scale)[j]) || !((*scale)[j] > 0)) {
			imb_seterr("tensor scale_center or scale_scale: feature %zu is not finite, or its "
			           "scale not > 0", j);
			goto fail;
		}
	return 0;
fail:
	free(*center);
	free(*scale);
	*center = *scale = NULL;
	return -1;
}
