/* model_frame.c: the attrs every model frame shares (model_frame.h). */
#include "model_frame.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

imb_frame *imb_model_frame_new(const char *model, imb_val *extra, size_t n_features, int K,
                               const imb_frame *train, const int64_t *counts, imb_val *params)
{
	imb_frame *f = imb_frame_new("model", "model");
	imb_val *a = f->attrs;
	imb_val_set_str(a, "model", model);
	for (size_t i = 0; extra && i < extra->n; i++)
		imb_val_set(a, extra->keys[i], imb_val_copy(extra->items[i]));
	imb_val_free(extra);
	imb_val_set_int(a, "n_features", (int64_t)n_features);
	imb_val_set_int(a, "n_classes", K);
	imb_val *cl = train ? imb_val_get(train->attrs, "classes") : NULL;
	if (cl && cl->t == IMB_V_ARR && cl->n == (size_t)K) {
		imb_val_set(a, "classes", imb_val_copy(cl));
	} else {
		imb_val *names = imb_val_arr();
		for (int k = 0; k < K; k++) {
			char b[32];
			snprintf(b, sizeof b, "%d", k);
			imb_val_push(names, imb_val_str(b));
		}
		imb_val_set(a, "classes", names);
	}
	const imb_val *feat = train ? imb_val_get(train->attrs, "features") : NULL;
	if (imb_model_feature_names(feat, n_features))
		imb_val_set(a, "features", imb_val_copy(feat));
	imb_val_set(a, "params", params ? params : imb_val_map());
	imb_val *tr = imb_val_map();
	imb_val *src = train ? imb_val_get(train->attrs, "source") : NULL;
	imb_val_set(tr, "source", src ? imb_val_copy(src) : imb_val_nil());
	imb_val *split = train ? imb_val_get(train->attrs, "split") : NULL;
	imb_val_set(tr, "split", split ? imb_val_copy(split) : imb_val_nil());
	int64_t n = 0;
	for (int k = 0; counts && k < K; k++)
		n += counts[k];
	imb_val_set_int(tr, "n", n);
	if (counts)
		imb_val_set(tr, "counts", imb_val_int_array(counts, (size_t)K));
	imb_val *os = train ? imb_val_get(train->attrs, "oversample") : NULL;
	if (os && os->t == IMB_V_MAP)
		imb_val_set(tr, "oversample", imb_val_copy(os));
	imb_val_set(a, "train", tr);
	imb_val *h = train ? imb_val_get(train->attrs, "history") : NULL;
	if (h && h->t == IMB_V_ARR)
		imb_val_set(a, "history", imb_val_copy(h));
	return f;
}

int imb_model_frame_bytes(const imb_frame *f, const void **p, size_t *n)
{
	imb_tensor *t = imb_frame_tensor(f, "bytes");
	if (!t)
		return imb_seterr("tensor 'bytes' is missing");
	if (t->dtype != IMB_U8 || t->ndim != 1)
		return imb_seterr("tensor 'bytes' must be (B) u8, not %s with %d dimensions",
		                  imb_dtype_name(t->dtype), t->ndim);
	if (t->nbytes == 0)
		return imb_seterr("tensor 'bytes' is empty");
	*p = t->data;
	*n = t->nbytes;
	return 0;
}

int imb_model_feature_names(const imb_val *v, size_t d)
{
	if (!v || v->t != IMB_V_ARR || v->n != d)
		return 0;
	for (size_t i = 0; i < v->n; i++)
		if (v->items[i]->t != IMB_V_STR)
			return 0;
	return 1;
}

int imb_model_features_check(const imb_val *mattrs, const char *mlabel, const imb_frame *ds)
{
	const imb_val *mf = imb_val_get(mattrs, "features");
	const imb_val *df = imb_val_get(ds->attrs, "features");
	if (!imb_model_feature_names(mf, mf ? mf->n : 0) ||
	    !imb_model_feature_names(df, df ? df->n : 0))
		return 0;
	size_t n = mf->n > df->n ? mf->n : df->n;
	for (size_t i = 0; i < n; i++) {
		const char *a = i < mf->n ? mf->items[i]->s : NULL;
		const char *b = i < df->n ? df->items[i]->s : NULL;
		if (a && b && !strcmp(a, b))
			continue;
		char dl[300];
		imb_frame_label(ds, dl, sizeof dl);
		return imb_seterr("%s: attrs.features differ from the model's (%s) at feature %zu "
		                  "(from 1): the model's is %s%s%s, the data's is %s%s%s (%zu and %zu "
		                  "features)", dl, mlabel, i + 1, a ? "'" : "", a ? a : "none",
		                  a ? "'" : "", b ? "'" : "", b ? b : "none", b ? "'" : "", mf->n,
		                  df->n);
	}
	return 0;
}
