/* fuzz_cifar.c: libFuzzer harness for the CIFAR-10 binary importer. A
 * private temp directory holds the six batch files; the fuzz input
 * (after its first byte) becomes the file picked by the first byte
 * (data_batch_1..5.bin or test_batch.bin), every other file one valid
 * record. Bit 3 of the first byte reads the train part, else the test
 * part. Any bytes must give frames or a clean error, never a crash, a
 * leak or a hang. */
#include "fuzz_err.h"
#include "fuzz_dir.h"
#include "import.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_err_clear();
	static const char *const files[6] = {"data_batch_1.bin", "data_batch_2.bin",
	                                     "data_batch_3.bin", "data_batch_4.bin",
	                                     "data_batch_5.bin", "test_batch.bin"};
	static uint8_t rec[3073];
	if (fuzz_dir("fuzz_cifar")) {
		for (size_t i = 0; i < sizeof rec; i++)
			rec[i] = (uint8_t)(i * 7);
		rec[0] = 3;
	}
	if (size < 1)
		return 0;
	int which = data[0] % 6, train = data[0] & 8;
	for (int i = 0; i < 6; i++)
		if (i == which)
			put(files[i], data + 1, size - 1);
		else
			put(files[i], rec, sizeof rec);
	imb_frame *f = NULL;
	int rc = train ? imb_import_cifar10(dir, &f, NULL) : imb_import_cifar10(dir, NULL, &f);
	if (rc == 0) {
		if (!f)
			abort();
		imb_frame_free(f);
	} else if (!fuzz_err_set()) {
		abort();
	}
	return 0;
}
