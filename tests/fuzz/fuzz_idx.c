/* fuzz_idx.c: libFuzzer harness for the IDX (MNIST family) importer.
 * The first byte splits the rest into the images file and the labels
 * file (split at byte (data[0] * 4) of the rest, so headers line up
 * often), both memfds read through /proc/self/fd; bit 7 of the second
 * byte passes two class names instead of NULL. Any bytes must give a
 * frame or a clean error, never a crash, a leak or a hang. */
#include "fuzz_err.h"
#include "import.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int mkfile(const uint8_t *p, size_t n, char *path, size_t cap)
{
	int fd = memfd_create("fuzz.idx", 0);
	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_err_clear();
	if (size < 2)
		return 0;
	int named = data[1] & 128;
	size_t split = (size_t)data[0] * 4;
	data += 2, size -= 2;
	if (split > size)
		split = size;
	char pi[64], pl[64];
	int fi = mkfile(data, split, pi, sizeof pi);
	int fl = mkfile(data + split, size - split, pl, sizeof pl);
	static const char *const names[] = {"a", "b"};
	imb_frame *f = NULL;
	if (imb_import_idx(pi, pl, "train", named ? names : NULL, named ? 2 : 0, &f) == 0) {
		if (!f)
			abort();
		imb_frame_free(f);
	} else if (!fuzz_err_set()) {
		abort();
	}
	close(fi);
	close(fl);
	return 0;
}
