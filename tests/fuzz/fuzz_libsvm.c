/* fuzz_libsvm.c: libFuzzer harness for the LIBSVM text importer. The
 * first byte picks nfeatures (0: the largest index decides); the rest is
 * the file (a memfd read through /proc/self/fd). Any bytes must give a
 * frame or a clean error, never a crash, a leak or a hang. */
#include "fuzz_err.h"
#include "import.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_err_clear();
	if (size < 1)
		return 0;
	long nfeat = data[0] & 15;
	int fd = memfd_create("fuzz.libsvm", 0);
	if (fd < 0 || write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	imb_frame *f = NULL;
	if (imb_import_libsvm(path, nfeat, "train", &f) == 0) {
		if (!f)
			abort();
		imb_frame_free(f);
	} else if (!fuzz_err_set()) {
		abort();
	}
	close(fd);
	return 0;
}
