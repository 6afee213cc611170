/* import.c: what every importer shares: reading a whole file through
 * zlib, finding a file that may be gzip-compressed, and finishing a
 * dataset frame. */
#include "import.h"
#include "dataset.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

char *imb_import_slurp(const char *path, size_t *len)
{
	int stdin_ = !path || strcmp(path, "-") == 0;
	const char *label = stdin_ ? "stdin" : path;
	errno = 0;
	gzFile g = stdin_ ? gzdopen(dup(0), "rb") : gzopen(path, "rb");
	if (!g) {
		if (errno)
			return imb_seterr("%s: %s", label, strerror(errno)), NULL;
		return imb_seterr("%s: cannot open", label), NULL;
	}
	gzbuffer(g, 1 << 17);
	size_t cap = 1 << 20, n = 0;
	char *buf = imb_xmalloc(cap + 1);
	for (;;) {
		if (cap - n < (1u << 20))
			buf = imb_xrealloc(buf, (cap *= 2) + 1);
		size_t want = cap - n;
		if (want > (1u << 30))
			want = 1u << 30;
		int r = gzread(g, buf + n, (unsigned)want);
		if (r < 0) {
			int err;
			const char *m = gzerror(g, &err);
			imb_seterr("%s: %s", label, err == Z_ERRNO ? strerror(errno) : m);
			gzclose(g);
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	gzclose(g);
	buf[n] = 0;
	*len = n;
	return buf;
}

void imb_import_finish(imb_frame *f, const char *source, const char *const *classes,
                       size_t nclasses)
{
	/* msgpack strs must be UTF-8: a class name that is not (a folder
	 * named with a 0xff byte) has each invalid byte written as \xHH */
	imb_val *cls = imb_val_arr();
	for (size_t k = 0; k < nclasses; k++) {
		char *e = imb_utf8_escape(classes[k]);
		imb_val_push(cls, imb_val_str(e));
		free(e);
	}
	if (nclasses)
		imb_val_set(f->attrs, "classes", cls);
	else
		imb_val_free(cls);
	imb_val_set_str(f->attrs, "source", source);
	if (imb_frame_tensor(f, "y")) {
		imb_dataset_update_counts(f);
	} else {
		imb_tensor *x = imb_frame_tensor(f, "x");
		imb_val_set_int(f->attrs, "n", x && x->ndim ? (int64_t)x->shape[0] : 0);
	}
}

char *imb_import_dataset_name(const char *path)
{
	if (!path || !strcmp(path, "-") || !strcmp(path, "stdin"))
		return imb_xstrdup("stdin");
	char *p = imb_xstrdup(path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = 0;
	char *slash = strrchr(p, '/');
	char *base = slash && slash[1] ? slash + 1 : p;
	/* extensions that say how the data is stored, not what it is */
	static const char *const ext[] = {
		".gz", ".bz2", ".xz", ".zst", ".zip", ".tgz", ".tar", ".csv", ".tsv", ".txt", ".data",
		".dat", ".libsvm", ".svm", ".svmlight", ".test", ".train",
	};
	for (int again = 1; again;) {
		again = 0;
		size_t bl = strlen(base);
		for (size_t k = 0; k < IMB_LEN(ext); k++) {
			size_t el = strlen(ext[k]);
			if (bl > el && !strcasecmp(base + bl - el, ext[k])) {
				base[bl - el] = 0;
				again = 1;
				break;
			}
		}
	}
	char *e = imb_utf8_escape(base);
	free(p);
	return e;
}

void imb_import_set_path(imb_frame *f, const char *key, const char *path)
{
	char *e = imb_utf8_escape(path);
	imb_val_set_str(f->attrs, key, e);
	free(e);
}

char *imb_import_path(const char *dir, const char *base)
{
	char *p;
	if (asprintf(&p, "%s/%s.gz", dir, base) < 0)
		abort();
	if (access(p, F_OK) == 0)
		return p;
	char *q;
	if (asprintf(&q, "%s/%s", dir, base) < 0)
		abort();
	if (access(q, F_OK) == 0) {
		free(p);
		return q;
	}
	free(q);
	return p;
}
