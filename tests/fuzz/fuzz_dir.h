/* fuzz_dir.h: a private temp folder for the harnesses that need files on
 * disk (removed at exit), and put() to write one file into it. */
#ifndef IMB_FUZZ_DIR_H
#define IMB_FUZZ_DIR_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[64];

static void put(const char *name, const uint8_t *p, size_t n)
{
	char path[160];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		abort();
}

static void cleanup(void)
{
	char cmd[96];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd)) {
	}
}

/* Make the folder /tmp/NAME.XXXXXX once; 1 on the first call, else 0. */
static int fuzz_dir(const char *name)
{
	if (dir[0])
		return 0;
	snprintf(dir, sizeof dir, "/tmp/%s.XXXXXX", name);
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	return 1;
}

#endif
