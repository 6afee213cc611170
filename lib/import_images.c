/* import_images.c: folders and tars of JPEG/PNG images, with the
 * semantics of torchvision's ImageFolder (classes are the sorted folder
 * names, samples sorted by path within their class). */
#include "import.h"
#include "cli.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	char *cls;       /* class (folder) name */
	char *path;      /* sort key and name in messages */
	uint8_t *px;     /* h x w x c, interleaved */
	int c;           /* 1 or 3 */
} img;

typedef struct {
	img *v;
	size_t n, cap;
	int h, w;        /* 0 until the first image (or --size) */
} imgset;

static void set_free(imgset *s)
{
	for (size_t k = 0; k < s->n; k++) {
		free(s->v[k].cls);
		free(s->v[k].path);
		free(s->v[k].px);
	}
	free(s->v);
}

/* ---- decoding ---- */

struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
};

static void jerr_exit(j_common_ptr c)
{
	struct jerr *e = (struct jerr *)c->err;
	(*c->err->format_message)(c, e->msg);
	longjmp(e->jb, 1);
}

static void jerr_quiet(j_common_ptr c, int level)
{
	(void)c;
	(void)level;
}

/* the largest decoded image taken (w * h * channels bytes): a few bytes
 * of header can declare 65535 x 65535 pixels, so refuse before asking
 * for the memory */
#define IMG_MAX_BYTES ((size_t)1 << 28)

static int too_big(const char *name, const char *what, size_t w, size_t h, size_t c)
{
	return imb_seterr("%s: %s of %zu x %zu pixels x %zu channels is over %zu MiB decoded "
	                  "(the limit for one image)", name, what, w, h, c, IMG_MAX_BYTES >> 20);
}

static int decode_jpeg(const unsigned char *b, size_t len, const char *name, uint8_t **px,
                       int *h, int *w, int *ch)
{
	struct jpeg_decompress_struct ci;
	struct jerr e;
	uint8_t *volatile out = NULL;
	ci.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = jerr_exit;
	e.pub.emit_message = jerr_quiet;
	if (setjmp(e.jb)) {
		jpeg_destroy_decompress(&ci);
		free(out);
		return imb_seterr("%s: bad JPEG: %s", name, e.msg);
	}
	jpeg_create_decompress(&ci);
	jpeg_mem_src(&ci, b, (unsigned long)len);
	jpeg_read_header(&ci, TRUE);
	if (ci.num_components != 1 && ci.num_components != 3) {
		jpeg_destroy_decompress(&ci);
		return imb_seterr("%s: JPEG with %d colour components (only greyscale and RGB)", name,
		                  ci.num_components);
	}
	ci.out_color_space = ci.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
	if ((size_t)ci.image_width * ci.image_height * ci.num_components > IMG_MAX_BYTES) {
		int rc = too_big(name, "JPEG", ci.image_width, ci.image_height, ci.num_components);
		jpeg_destroy_decompress(&ci);
		return rc;
	}
	jpeg_start_decompress(&ci);
	int c = ci.output_components;
	size_t stride = (size_t)ci.output_width * c;
	out = imb_xmalloc(stride * ci.output_height);
	while (ci.output_scanline < ci.output_height) {
		JSAMPROW row = out + stride * ci.output_scanline;
		jpeg_read_scanlines(&ci, &row, 1);
	}
	*h = (int)ci.output_height;
	*w = (int)ci.output_width;
	*ch = c;
	jpeg_finish_decompress(&ci);
	jpeg_destroy_decompress(&ci);
	*px = out;
	return 0;
}

static int decode_png(const unsigned char *b, size_t len, const char *name, uint8_t **px,
                      int *h, int *w, int *ch)
{
	png_image im;
	memset(&im, 0, sizeof im);
	im.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&im, b, len))
		return imb_seterr("%s: bad PNG: %s", name, im.message);
	int c = (im.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
	im.format = c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
	if ((size_t)im.width * im.height * c > IMG_MAX_BYTES) {
		int rc = too_big(name, "PNG", im.width, im.height, c);
		png_image_free(&im);
		return rc;
	}
	uint8_t *out = imb_xmalloc(PNG_IMAGE_SIZE(im));
	png_color black = {0, 0, 0};
	if (!png_image_finish_read(&im, &black, out, 0, NULL)) {
		free(out);
		int rc = imb_seterr("%s: bad PNG: %s", name, im.message);
		png_image_free(&im);
		return rc;
	}
	*h = (int)im.height;
	*w = (int)im.width;
	*ch = c;
	*px = out;
	return 0;
}

/* decode one file's bytes and append it to s */
static int add_image(imgset *s, const unsigned char *b, size_t len, const char *cls,
                     const char *path)
{
	uint8_t *px;
	int h, w, c, rc;
	if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		rc = decode_jpeg(b, len, path, &px, &h, &w, &c);
	else if (len >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
		rc = decode_png(b, len, path, &px, &h, &w, &c);
	else
		return imb_seterr("%s: not a JPEG or PNG image", path);
	if (rc)
		return -1;
	if (!s->h) {
		s->h = h;
		s->w = w;
	} else if (h != s->h || w != s->w) {
		free(px);
		return imb_seterr("%s: %dx%d image, expected %dx%d like the others (images are not resized)",
		                  path, w, h, s->w, s->h);
	}
	if (s->n == s->cap)
		s->v = imb_xrealloc(s->v, (s->cap = s->cap ? 2 * s->cap : 1024) * sizeof *s->v);
	s->v[s->n++] = (img){imb_xstrdup(cls), imb_xstrdup(path), px, c};
	return 0;
}

/* ---- sources ---- */

static int hidden(const char *p)
{
	const char *b = strrchr(p, '/');
	return (b ? b[1] : p[0]) == '.';
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* a tar member named absolutely, with a '..' component, or empty: it
 * names no CLASS/file under the tar, so it is refused as a top-level
 * entry is */
static int unsafe_member(const char *pn)
{
	if (!pn[0] || pn[0] == '/')
		return 1;
	for (const char *p = pn; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += len;
		while (*p == '/')
			p++;
	}
	return 0;
}

/* a tar (any libarchive filter): entries CLASS/.../file; a top-level
 * entry belongs to fallback (NULL: an error) */
static int read_tar(imgset *s, const char *path, const char *fallback)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		imb_seterr("%s: %s", path, archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	struct archive_entry *e;
	int r, rc = 0;
	size_t cap = 0;
	unsigned char *buf = NULL;
	char *label = NULL;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		const char *pn = archive_entry_pathname(e);
		if (!pn)
			pn = "";
		while (pn[0] == '.' && pn[1] == '/')
			pn += 2;
		free(label);
		if (asprintf(&label, "%s:%s", path, pn) < 0)
			abort();
		if (unsafe_member(pn)) {
			rc = imb_seterr("%s: an absolute path or one with '..' (want CLASS/file entries)",
			                label);
			break;
		}
		if (hidden(pn))
			continue;
		const char *slash = strchr(pn, '/');
		char *cls;
		if (slash)
			cls = strndup(pn, (size_t)(slash - pn));
		else if (fallback)
			cls = imb_xstrdup(fallback);
		else {
			rc = imb_seterr("%s: not inside a class folder (want CLASS/file entries)", label);
			break;
		}
		int64_t sz = archive_entry_size(e);
		if (sz < 0 || sz > (1ll << 30)) {
			free(cls);
			rc = imb_seterr("%s: unreasonable size", label);
			break;
		}
		if ((size_t)sz > cap)
			buf = imb_xrealloc(buf, cap = (size_t)sz);
		la_ssize_t got = 0;
		while (got < sz) {
			la_ssize_t m = archive_read_data(a, buf + got, (size_t)(sz - got));
			if (m <= 0)
				break;
			got += m;
		}
		if (got != sz) {
			free(cls);
			rc = imb_seterr("%s: truncated entry (%s)", label,
			                archive_error_string(a) ? archive_error_string(a) : "short read");
			break;
		}
		/* the sort key keeps the tar's entries under their class */
		rc = add_image(s, buf, (size_t)sz, cls, label);
		free(cls);
		if (rc)
			break;
	}
	if (!rc && r != ARCHIVE_EOF)
		rc = imb_seterr("%s: %s", path, archive_error_string(a));
	free(label);
	free(buf);
	archive_read_free(a);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sorted, non-hidden entries of a directory */
static int list_dir(const char *path, char ***out, size_t *n)
{
	DIR *d = opendir(path);
	if (!d)
		return imb_seterr("%s: %s", path, strerror(errno));
	size_t k = 0, cap = 64;
	char **v = imb_xmalloc(cap * sizeof *v);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (k == cap)
			v = imb_xrealloc(v, (cap *= 2) * sizeof *v);
		v[k++] = imb_xstrdup(de->d_name);
	}
	closedir(d);
	qsort(v, k, sizeof *v, cmp_names);
	*out = v;
	*n = k;
	return 0;
}

static void free_list(char **v, size_t n)
{
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
}

/* the directories from a class folder down to the one being read, to
 * find a symbolic link back up (a loop) */
typedef struct dirstack {
	dev_t dev;
	ino_t ino;
	const struct dirstack *up;
} dirstack;

#define MAX_IMAGE_FILE (1ll << 30)

/* one image file p of class cls; a FIFO, device or socket (which could
 * block or never end) is skipped, as hidden files are: it is not an
 * image file */
static int read_image_file(imgset *s, const char *p, const char *cls)
{
	int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return imb_seterr("%s: %s", p, strerror(errno));
	struct stat st;
	if (fstat(fd, &st)) {
		int e = errno;
		close(fd);
		return imb_seterr("%s: %s", p, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	if (st.st_size > MAX_IMAGE_FILE) {
		close(fd);
		return imb_seterr("%s: %lld bytes is too large for an image file (at most 1 GiB)", p,
		                  (long long)st.st_size);
	}
	size_t want = (size_t)st.st_size, len = 0;
	unsigned char *b = imb_xmalloc(want + 1);
	int rc = 0;
	while (len < want) {
		ssize_t got = read(fd, b + len, want - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = imb_seterr("%s: %s", p, strerror(errno));
			break;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	if (!rc && len != want)
		rc = imb_seterr("%s: read error (the file shrank while it was read)", p);
	if (!rc)
		rc = add_image(s, b, len, cls, p);
	free(b);
	return rc;
}

/* every file under dir (recursively) is an image of class cls */
static int read_class_dir(imgset *s, const char *dir, const char *cls, const dirstack *up)
{
	struct stat ds;
	if (stat(dir, &ds))
		return imb_seterr("%s: %s", dir, strerror(errno));
	for (const dirstack *a = up; a; a = a->up)
		if (a->dev == ds.st_dev && a->ino == ds.st_ino)
			return imb_seterr("%s: a link back to a folder above it (a loop)", dir);
	dirstack here = {ds.st_dev, ds.st_ino, up};
	char **v;
	size_t n;
	if (list_dir(dir, &v, &n))
		return -1;
	int rc = 0;
	for (size_t k = 0; k < n && !rc; k++) {
		char *p;
		if (asprintf(&p, "%s/%s", dir, v[k]) < 0)
			abort();
		struct stat st;
		if (stat(p, &st))
			rc = imb_seterr("%s: %s", p, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = read_class_dir(s, p, cls, &here);
		else if (S_ISREG(st.st_mode))
			rc = read_image_file(s, p, cls);
		/* FIFOs, devices, sockets: not image files, skipped */
		free(p);
	}
	free_list(v, n);
	return rc;
}

static int is_tar_name(const char *s)
{
	return ends_with(s, ".tar") || ends_with(s, ".tar.gz") || ends_with(s, ".tgz") ||
	       ends_with(s, ".tar.xz") || ends_with(s, ".tar.bz2") || ends_with(s, ".tar.zst");
}

static char *tar_stem(const char *name)
{
	static const char *const suf[] = {".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst", ".tar", ".tgz"};
	for (size_t k = 0; k < IMB_LEN(suf); k++)
		if (ends_with(name, suf[k]))
			return strndup(name, strlen(name) - strlen(suf[k]));
	return imb_xstrdup(name);
}

static int cmp_img(const void *a, const void *b)
{
	const img *x = a, *y = b;
	int c = strcmp(x->cls, y->cls);
	return c ? c : strcmp(x->path, y->path);
}

int imb_import_images(const char *path, int size, const char *name, imb_frame **out)
{
	imgset s = {0};
	s.h = s.w = size;
	struct stat st;
	int rc = 0;
	size_t ntop = 0;
	if (stat(path, &st))
		return imb_seterr("%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		char **v;
		size_t n;
		if (list_dir(path, &v, &n))
			return -1;
		ntop = n;
		for (size_t k = 0; k < n && !rc; k++) {
			imb_progress("image folders", k, n);
			char *p;
			if (asprintf(&p, "%s/%s", path, v[k]) < 0)
				abort();
			struct stat es;
			if (stat(p, &es))
				rc = imb_seterr("%s: %s", p, strerror(errno));
			else if (S_ISDIR(es.st_mode))
				rc = read_class_dir(&s, p, v[k], NULL);
			else if (S_ISREG(es.st_mode) && is_tar_name(v[k])) {
				char *stem = tar_stem(v[k]);
				rc = read_tar(&s, p, stem);
				free(stem);
			}
			/* other top-level files are ignored, as ImageFolder does */
			free(p);
		}
		free_list(v, n);
	} else {
		rc = read_tar(&s, path, NULL);
	}
	if (!rc && s.n == 0)
		rc = imb_seterr("%s: no images found (want CLASS/ folders or CLASS/file tar entries)", path);
	if (rc) {
		set_free(&s);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		imb_progress("image folders", ntop, ntop);
		imb_progress_done();
	}
	qsort(s.v, s.n, sizeof *s.v, cmp_img);
	/* classes */
	size_t k = 0;
	char **cls = imb_xmalloc(s.n * sizeof *cls);
	int c = 1;
	for (size_t j = 0; j < s.n; j++) {
		if (j == 0 || strcmp(s.v[j].cls, cls[k - 1]))
			cls[k++] = s.v[j].cls;
		if (s.v[j].c == 3)
			c = 3;
	}
	imb_frame *f = imb_frame_new("dataset", name ? name : "train");
	uint64_t xs[4] = {s.n, (uint64_t)c, (uint64_t)s.h, (uint64_t)s.w};
	imb_tensor *xt = imb_frame_add_tensor(f, "x", IMB_U8, 4, xs);
	imb_tensor *yt = imb_frame_add_tensor(f, "y", IMB_I32, 1, xs);
	/* adding y may move the tensor array: look x up again */
	xt = imb_frame_tensor(f, "x");
	uint8_t *x = xt->data;
	int32_t *y = yt->data;
	size_t hw = (size_t)s.h * s.w, ci = 0;
	for (size_t j = 0; j < s.n; j++) {
		if (j > 0 && strcmp(s.v[j].cls, s.v[j - 1].cls))
			ci++;
		y[j] = (int32_t)ci;
		uint8_t *dst = x + j * c * hw;
		const uint8_t *src = s.v[j].px;
		int sc = s.v[j].c;
		for (int ch = 0; ch < c; ch++)
			for (size_t p = 0; p < hw; p++)
				dst[ch * hw + p] = src[p * sc + (sc == 1 ? 0 : ch)];
	}
	char *dsname = imb_import_dataset_name(path);
	imb_import_finish(f, dsname, (const char *const *)cls, k);
	free(dsname);
	imb_import_set_path(f, "path", path);
	free(cls);
	set_free(&s);
	*out = f;
	return 0;
}
