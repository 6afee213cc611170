/* fuzz_frame.c: libFuzzer harness for the frame reader. Any bytes must
 * give frames or a clean error, never a crash, a leak or a hang; frames
 * that read must pack and read back to the same bytes. */
#include "stream.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	imb_reader *r = imb_reader_fd(fd, "fuzz");
	imb_frame *f;
	while (imb_read_frame(r, &f) == 1) {
		char *a, *b;
		size_t na, nb;
		if (imb_frame_pack(f, &a, &na) == 0) {
			int fd2 = memfd_create("fuzz2", 0);
			if (write(fd2, a, na) != (ssize_t)na)
				abort();
			lseek(fd2, 0, SEEK_SET);
			imb_reader *r2 = imb_reader_fd(fd2, "again");
			imb_frame *g;
			if (imb_read_frame(r2, &g) != 1)
				abort(); /* what we wrote must read back */
			if (imb_frame_pack(g, &b, &nb) || nb != na || memcmp(a, b, na))
				abort();
			free(b);
			imb_frame_free(g);
			imb_reader_close(r2);
			close(fd2);
			free(a);
		}
		imb_frame_free(f);
	}
	imb_reader_close(r);
	close(fd);
	return 0;
}
