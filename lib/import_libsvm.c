/* import_libsvm.c: LIBSVM / SVMlight sparse text into a dense table. */
#include "import.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { size_t row; uint32_t col; float v; } entry;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int imb_import_libsvm(const char *path, long nfeatures, const char *name, imb_frame **out)
{
	size_t len;
	const char *label = (!path || strcmp(path, "-") == 0) ? "stdin" : path;
	char *buf = imb_import_slurp(path, &len);
	if (!buf)
		return -1;
	size_t ne = 0, cape = 1024, nr = 0, capr = 1024;
	entry *e = imb_xmalloc(cape * sizeof *e);
	double *lab = imb_xmalloc(capr * sizeof *lab);
	long maxcol = 0, line = 0;
	int rc = -1;
	imb_frame *f = NULL;
	char *p = buf, *end = buf + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		*le = 0;
		line++;
		char *hash = strchr(p, '#');
		if (hash)
			*hash = 0;
		char *s = p;
		p = le + 1;
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s)
			continue;
		char *q;
		errno = 0;
		double lv = strtod(s, &q);
		if (q == s || !isfinite(lv) || (*q && *q != ' ' && *q != '\t' && *q != '\r')) {
			imb_seterr("%s: line %ld: the label is not a number", label, line);
			goto out;
		}
		if (nr == capr)
			lab = imb_xrealloc(lab, (capr *= 2) * sizeof *lab);
		lab[nr] = lv;
		s = q;
		long prev = 0;
		for (;;) {
			while (*s == ' ' || *s == '\t' || *s == '\r')
				s++;
			if (!*s)
				break;
			if (strncmp(s, "qid:", 4) == 0) {
				s += 4;
				while (*s && *s != ' ' && *s != '\t')
					s++;
				continue;
			}
			errno = 0;
			long col = strtol(s, &q, 10);
			if (q == s || *q != ':' || errno || col < 1 || col > 0x7fffffffL) {
				imb_seterr("%s: line %ld: bad feature '%.*s' (want index:value, index from 1)", label,
				           line, (int)strcspn(s, " \t"), s);
				goto out;
			}
			if (col <= prev) {
				imb_seterr("%s: line %ld: feature indices must ascend (%ld after %ld)", label, line,
				           col, prev);
				goto out;
			}
			prev = col;
			s = q + 1;
			double v = strtod(s, &q);
			if (q == s || (*q && *q != ' ' && *q != '\t' && *q != '\r')) {
				imb_seterr("%s: line %ld: feature %ld: value is not a number", label, line, col);
				goto out;
			}
			s = q;
			if (nfeatures > 0 && col > nfeatures) {
				imb_seterr("%s: line %ld: feature index %ld exceeds --n-features %ld", label, line,
				           col, nfeatures);
				goto out;
			}
			if (col > maxcol)
				maxcol = col;
			if (ne == cape)
				e = imb_xrealloc(e, (cape *= 2) * sizeof *e);
			e[ne++] = (entry){nr, (uint32_t)(col - 1), (float)v};
		}
		nr++;
	}
	if (nr == 0) {
		imb_seterr("%s: empty file (no samples)", label);
		goto out;
	}
	size_t d = nfeatures > 0 ? (size_t)nfeatures : (size_t)maxcol;
	/* the dense x must fit one tensor of the format (a stray huge index
	 * would otherwise ask for gigabytes and die out of memory) */
	if (d && nr > IMB_MAX_TENSOR_BYTES / sizeof(float) / d) {
		imb_seterr("%s: %zu rows of %zu features (the largest index) make a dense x of "
		           "more than %llu bytes, the format's tensor limit", label, nr, d,
		           (unsigned long long)IMB_MAX_TENSOR_BYTES);
		goto out;
	}
	/* classes: distinct labels, ascending */
	double *u = imb_xmalloc(nr * sizeof *u);
	memcpy(u, lab, nr * sizeof *u);
	qsort(u, nr, sizeof *u, cmp_double);
	size_t k = 0;
	for (size_t j = 0; j < nr; j++)
		if (j == 0 || u[j] != u[k - 1])
			u[k++] = u[j];
	f = imb_frame_new("dataset", name ? name : "train");
	uint64_t xs[2] = {nr, d};
	imb_tensor *xt = imb_frame_add_tensor(f, "x", IMB_F32, 2, xs);
	imb_tensor *yt = imb_frame_add_tensor(f, "y", IMB_I32, 1, xs);
	/* adding y may move the tensor array: look x up again */
	xt = imb_frame_tensor(f, "x");
	float *x = xt->data;
	for (size_t j = 0; j < ne; j++)
		x[e[j].row * d + e[j].col] = e[j].v;
	int32_t *y = yt->data;
	for (size_t j = 0; j < nr; j++) {
		double *hit = bsearch(&lab[j], u, k, sizeof *u, cmp_double);
		y[j] = (int32_t)(hit - u);
	}
	char **names = imb_xmalloc(k * sizeof *names);
	for (size_t j = 0; j < k; j++) {
		char b[40];
		snprintf(b, sizeof b, "%g", u[j]);
		names[j] = imb_xstrdup(b);
	}
	imb_import_finish(f, "libsvm", (const char *const *)names, k);
	imb_val_set_str(f->attrs, "file", label);
	for (size_t j = 0; j < k; j++)
		free(names[j]);
	free(names);
	free(u);
	*out = f;
	rc = 0;
out:
	free(e);
	free(lab);
	free(buf);
	return rc;
}
