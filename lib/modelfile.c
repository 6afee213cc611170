/* modelfile.c: models of libraries that save and load only through
 * named files, through temp files (modelfile.h). */
#include "modelfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* temp file directory: $TMPDIR or /tmp */
static int tmp_open(char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, size, "%s/imb-model-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		imb_seterr("cannot create a temporary file in %s: %s", dir, strerror(errno));
	return fd;
}

/* Read a whole file into a new aligned buffer. */
static int slurp(const char *path, void **out, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return imb_seterr("%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return imb_seterr("%s: %s", path, strerror(errno));
	}
	size_t n = (size_t)st.st_size;
	char *buf = imb_xmalloc_aligned(n ? n : 1);
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0) {
			free(buf);
			close(fd);
			return imb_seterr("%s: short read", path);
		}
		got += (size_t)r;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
}

/* Write bytes to a new temp file; its name goes to path. */
static int spill(const void *p, size_t n, char *path, size_t size)
{
	int fd = tmp_open(path, size);
	if (fd < 0)
		return -1;
	const char *c = p;
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, c + done, n - done);
		if (w <= 0) {
			int e = errno;
			close(fd);
			unlink(path);
			return imb_seterr("%s: %s", path, strerror(e));
		}
		done += (size_t)w;
	}
	if (close(fd) < 0) {
		unlink(path);
		return imb_seterr("%s: %s", path, strerror(errno));
	}
	return 0;
}

int imb_modelfile_save(int (*save)(const char *path, const void *model), const void *model,
                       const char *lib, void **bytes, size_t *len)
{
	char path[4096];
	if (spill("", 0, path, sizeof path) < 0)
		return -1;
	if (save(path, model) != 0) {
		unlink(path);
		return imb_seterr("%s: cannot save the model to %s", lib, path);
	}
	int r = slurp(path, bytes, len);
	unlink(path);
	return r;
}

int imb_modelfile_load(const void *p, size_t n, void *(*load)(const char *path), void **out)
{
	char path[4096];
	if (spill(p, n, path, sizeof path) < 0)
		return -1;
	/* the text was checked whole before (svm.c): the loaders no longer
	 * meet anything to complain about on stderr, so stderr is left as
	 * it is (a sanitizer's report must reach it) */
	*out = load(path);
	unlink(path);
	return 0;
}
