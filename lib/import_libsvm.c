/* import_libsvm.c: LIBSVM / SVMlight sparse text into a dense table. */
#include "import.h"
#include "cli.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { size_t row; uint32_t col; float v; } entry;

/* A label: its value, and, when it is an integer of 2^53 or more in
 * magnitude (where doubles no longer hold every integer), its decimal
 * digits without leading zeros: labels past a double's 53 bits
 * (10000000000000001 and 10000000000000000) stay apart. Labels order by
 * (value, digits): a total order. */
typedef struct {
	double v;
	const char *dig; /* NULL below 2^53 or for a non-integer */
	size_t ndig;
	int neg, owned;
} label_t;

static const label_t *g_labs;

static int cmp_label(const label_t *a, const label_t *b)
{
	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	if (!a->dig || !b->dig)
		return 0; /* equal doubles below 2^53: the same number */
	int s = a->neg ? -1 : 1; /* equal doubles: the same sign */
	if (a->ndig != b->ndig)
		return a->ndig < b->ndig ? -s : s;
	int c = memcmp(a->dig, b->dig, a->ndig);
	return c < 0 ? -s : c > 0 ? s : 0;
}

static int cmp_row(const void *a, const void *b)
{
	return cmp_label(&g_labs[*(const size_t *)a], &g_labs[*(const size_t *)b]);
}

/* tok[0..n), read as v, as a label */
static label_t make_label(const char *tok, size_t n, double v)
{
	label_t l = {v, NULL, 0, v < 0, 0};
	if (!(fabs(v) >= 9007199254740992.0))
		return l;
	size_t i = 0;
	if (i < n && (tok[i] == '+' || tok[i] == '-'))
		i++;
	int integer = i < n;
	for (size_t j = i; j < n; j++)
		if (tok[j] < '0' || tok[j] > '9')
			integer = 0;
	if (integer) {
		while (i + 1 < n && tok[i] == '0')
			i++;
		l.dig = tok + i;
		l.ndig = n - i;
	} else {
		/* 1e17 or 1.0e17: the double's exact digits (every double of
		 * 2^53 or more is an integer) */
		char b[400];
		snprintf(b, sizeof b, "%.0f", fabs(v));
		l.dig = imb_xstrdup(b);
		l.ndig = strlen(b);
		l.owned = 1;
	}
	return l;
}

static int v_integral(double v)
{
	return v == floor(v) && fabs(v) < 9007199254740992.0;
}

static void label_name(const label_t *l, char **out)
{
	if (l->dig) {
		*out = imb_xmalloc(l->ndig + 2);
		sprintf(*out, "%s%.*s", l->neg ? "-" : "", (int)l->ndig, l->dig);
		return;
	}
	char b[400];
	if (v_integral(l->v))
		snprintf(b, sizeof b, "%.0f", l->v);
	else
		imb_fmt_double(b, sizeof b, l->v);
	*out = imb_xstrdup(b);
}

int imb_import_libsvm(const char *path, long nfeatures, const char *name, imb_frame **out)
{
	return imb_import_libsvm_base(path, nfeatures, -1, name, out);
}

int imb_import_libsvm_base(const char *path, long nfeatures, int base, const char *name,
                           imb_frame **out)
{
	size_t len;
	const char *label = (!path || strcmp(path, "-") == 0) ? "stdin" : path;
	char *buf = imb_import_slurp(path, &len);
	if (!buf)
		return -1;
	size_t ne = 0, cape = 1024, nr = 0, capr = 1024;
	entry *e = imb_xmalloc(cape * sizeof *e);
	label_t *lab = imb_xmalloc(capr * sizeof *lab);
	long maxcol = -1, line = 0, zero_line = 0;
	size_t nlab = 0;
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
		if (q == s || (*q && *q != ' ' && *q != '\t' && *q != '\r')) {
			imb_seterr("%s: line %ld: the label is not a number", label, line);
			goto out;
		}
		if (!isfinite(lv)) {
			imb_seterr("%s: line %ld: the label %.*s is out of range for a double", label, line,
			           (int)(q - s) > 64 ? 64 : (int)(q - s), s);
			goto out;
		}
		if (nr == capr)
			lab = imb_xrealloc(lab, (capr *= 2) * sizeof *lab);
		lab[nr] = make_label(s, (size_t)(q - s), lv);
		nlab = nr + 1;
		s = q;
		long prev = -1;
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
			if (q == s || *q != ':' || errno || col < 0 || col > 0x7ffffffeL) {
				imb_seterr("%s: line %ld: bad feature '%.*s' (want index:value, index from %d)",
				           label, line, (int)strcspn(s, " \t"), s, base == 0 ? 0 : 1);
				goto out;
			}
			if (col == 0 && base == 1) {
				imb_seterr("%s: line %ld: feature index 0 in a file read as 1-based (--one-based)",
				           label, line);
				goto out;
			}
			if (col == 0 && !zero_line)
				zero_line = line;
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
			if (nfeatures > 0 && col - (base == 0 ? 0 : 1) >= nfeatures) {
				imb_seterr("%s: line %ld: feature index %ld exceeds --n-features %ld", label, line,
				           col, nfeatures);
				goto out;
			}
			if (col > maxcol)
				maxcol = col;
			if (ne == cape)
				e = imb_xrealloc(e, (cape *= 2) * sizeof *e);
			e[ne++] = (entry){nr, (uint32_t)col, (float)v};
		}
		nr++;
	}
	if (nr == 0) {
		imb_seterr("%s: empty file (no samples)", label);
		goto out;
	}
	/* the index base: given, or 0 when an index 0 occurs */
	if (base < 0) {
		base = zero_line ? 0 : 1;
		if (zero_line)
			imb_warn("%s: line %ld has feature index 0: indices read as 0-based (--one-based "
			         "refuses index 0)", label, zero_line);
	}
	/* (1-based indices were checked against --n-features as read) */
	if (nfeatures > 0 && base == 0 && maxcol >= nfeatures) {
		imb_seterr("%s: feature index %ld exceeds --n-features %ld (0-based)", label, maxcol,
		           nfeatures);
		goto out;
	}
	size_t d = nfeatures > 0 ? (size_t)nfeatures : (size_t)(maxcol + 1 - base);
	if (maxcol < 0)
		d = nfeatures > 0 ? (size_t)nfeatures : 0;
	/* the dense x must fit one tensor of the format (a stray huge index
	 * would otherwise ask for gigabytes and die out of memory) */
	if (d && nr > IMB_MAX_TENSOR_BYTES / sizeof(float) / d) {
		imb_seterr("%s: %zu rows of %zu features (the largest index) make a dense x of "
		           "more than %llu bytes, the format's tensor limit", label, nr, d,
		           (unsigned long long)IMB_MAX_TENSOR_BYTES);
		goto out;
	}
	/* an inferred width whose dense x dwarfs the values given (a stray
	 * huge index in a small file) is refused: --n-features asks for it */
	double dense = (double)nr * (double)d * sizeof(float);
	if (nfeatures <= 0 && dense > 64.0 * (1 << 20) && dense > 1000.0 * (double)(ne ? ne : 1) * sizeof(float)) {
		imb_seterr("%s: the largest feature index, %zu, makes a dense x of %.1f GiB for %zu "
		           "values (over 1,000 times as many): a stray index? --n-features N sets the "
		           "width", label, d, dense / (1 << 30), ne);
		goto out;
	}
	/* classes: distinct labels, ascending; row order by label */
	size_t *ord = imb_xmalloc(nr * sizeof *ord);
	for (size_t j = 0; j < nr; j++)
		ord[j] = j;
	g_labs = lab;
	qsort(ord, nr, sizeof *ord, cmp_row);
	size_t *first = imb_xmalloc(nr * sizeof *first); /* class k: a row holding it */
	int32_t *cls = imb_xmalloc(nr * sizeof *cls);
	size_t k = 0;
	for (size_t j = 0; j < nr; j++) {
		if (j == 0 || cmp_label(&lab[ord[j]], &lab[first[k - 1]]) != 0) {
			if (k == INT32_MAX) {
				imb_seterr("%s: more than %d distinct labels", label, INT32_MAX);
				free(ord), free(first), free(cls);
				goto out;
			}
			first[k++] = ord[j];
		}
		cls[ord[j]] = (int32_t)(k - 1);
	}
	free(ord);
	f = imb_frame_new("dataset", name ? name : "train");
	uint64_t xs[2] = {nr, d};
	imb_tensor *xt = imb_frame_add_tensor(f, "x", IMB_F32, 2, xs);
	imb_tensor *yt = imb_frame_add_tensor(f, "y", IMB_I32, 1, xs);
	/* adding y may move the tensor array: look x up again */
	xt = imb_frame_tensor(f, "x");
	float *x = xt->data;
	for (size_t j = 0; j < ne; j++)
		x[e[j].row * d + e[j].col - (uint32_t)base] = e[j].v;
	memcpy(yt->data, cls, nr * sizeof *cls);
	free(cls);
	char **names = imb_xmalloc(k * sizeof *names);
	for (size_t j = 0; j < k; j++)
		label_name(&lab[first[j]], &names[j]);
	free(first);
	char *src = imb_import_dataset_name(label);
	imb_import_finish(f, src, (const char *const *)names, k);
	free(src);
	imb_import_set_path(f, "file", label);
	imb_val_set_int(f->attrs, "base", base);
	for (size_t j = 0; j < k; j++)
		free(names[j]);
	free(names);
	*out = f;
	rc = 0;
out:
	free(e);
	for (size_t j = 0; j < nlab; j++)
		if (lab[j].owned)
			free((char *)lab[j].dig);
	free(lab);
	free(buf);
	return rc;
}
