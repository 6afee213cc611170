/* fuzz_csv.c: libFuzzer harness for the CSV importer. The first byte
 * picks the options (header auto/yes/no, label column, categorical
 * auto/none, separator); the rest is the file, read through
 * /proc/self/fd of a memfd. Any bytes must give a frame or a clean
 * error (-1 with imb_error() set), never a crash, a leak or a hang. */
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
	uint8_t o = data[0];
	int fd = memfd_create("fuzz.csv", 0);
	if (fd < 0 || write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	static const char *const labels[] = {"0", "1", "-1", "label"};
	imb_csv_opts opts = {0};
	opts.header = (int)(o & 3) % 3 - 1;
	opts.label = labels[(o >> 2) & 3];
	opts.categorical = (o & 16) ? "none" : "auto";
	opts.sep = (o & 32) ? ';' : 0;
	opts.label_strip = (o & 64) ? "." : NULL;
	opts.skip = (o & 128) ? 1 : 0;
	imb_frame *f = NULL;
	if (imb_import_csv(path, &opts, &f) == 0) {
		if (!f)
			abort();
		imb_frame_free(f);
	} else if (!fuzz_err_set()) {
		abort(); /* a failure must say why */
	}
	close(fd);
	return 0;
}
