/* fuzz_images.c: libFuzzer harness for the image importer (tar reading
 * and PNG/JPEG decoding). The first byte picks the mode:
 *   0: the rest is a tar (any libarchive filter), read as a file;
 *   1: the rest is one image file cls/a/img in a private temp folder,
 *      beside a valid 1x1 PNG in cls/b (so the size and colour checks
 *      meet a decoded fuzz image too);
 *   2: as 1 but the image alone.
 * Bit 2 asks for size 1 instead of 0 (the first image decides). Any
 * bytes must give a frame or a clean error, never a crash, a leak or a
 * hang. */
#include "fuzz_err.h"
#include "fuzz_dir.h"
#include "import.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* a 1x1 greyscale PNG */
static const uint8_t png1[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
	0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a,
	0x7e, 0x9b, 0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60,
	0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x48, 0xaf, 0xa4, 0x71, 0x00, 0x00, 0x00, 0x00, 0x49,
	0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

static void check(int rc, imb_frame *f)
{
	if (rc == 0) {
		if (!f)
			abort();
		imb_frame_free(f);
	} else if (!fuzz_err_set()) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_err_clear();
	if (fuzz_dir("fuzz_images")) {
		char p[160];
		snprintf(p, sizeof p, "%s/cls", dir);
		mkdir(p, 0700);
		snprintf(p, sizeof p, "%s/cls/a", dir);
		mkdir(p, 0700);
		snprintf(p, sizeof p, "%s/cls/b", dir);
		mkdir(p, 0700);
	}
	if (size < 1)
		return 0;
	int mode = data[0] & 3, isize = (data[0] & 4) ? 1 : 0;
	data++, size--;
	imb_frame *f = NULL;
	if (mode == 0 || mode == 3) {
		int fd = memfd_create("fuzz.tar", 0);
		if (fd < 0 || write(fd, data, size) != (ssize_t)size)
			abort();
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		check(imb_import_images(path, isize, "train", &f), f);
		close(fd);
	} else {
		put("cls/a/img", data, size);
		char p[160];
		snprintf(p, sizeof p, "%s/cls/b/one.png", dir);
		if (mode == 1)
			put("cls/b/one.png", png1, sizeof png1);
		else
			unlink(p);
		snprintf(p, sizeof p, "%s/cls", dir);
		check(imb_import_images(p, isize, "train", &f), f);
	}
	return 0;
}
