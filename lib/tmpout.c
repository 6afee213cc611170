/* tmpout.c: the temp files that outputs are written to before they are
 * renamed into place, and their removal from a signal handler or exit. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fixed slots, never freed: a signal handler (or a thread calling exit)
 * may read a slot at any time. state: 0 free, 2 being made, 1 a temp file
 * that exists and is ours to remove. */
#define SLOTS 64
static struct {
	int state;
	char path[PATH_MAX];
} slot[SLOTS];

static mode_t file_mode(void)
{
	static int have;
	static mode_t mode;
	if (!have) {
		mode_t um = umask(0);
		umask(um);
		mode = 0666 & ~um;
		have = 1;
	}
	return mode;
}

int imb_tmp_create(const char *path, char **tmp)
{
	*tmp = NULL;
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
	const char *base = path + dl;
	size_t bl = strlen(base);
	if (!bl || !strcmp(base, ".") || !strcmp(base, "..")) {
		errno = EISDIR;
		return -1;
	}
	if (bl > 200)   /* ".BASE.tmp.XXXXXX" must fit NAME_MAX (255) */
		bl = 200;
	if (dl + 1 + bl + sizeof ".tmp.XXXXXX" > PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	mode_t mode = file_mode();
	int k;
	for (k = 0; k < SLOTS; k++) {
		int zero = 0;
		if (__atomic_compare_exchange_n(&slot[k].state, &zero, 2, 0, __ATOMIC_ACQ_REL,
		                                __ATOMIC_RELAXED))
			break;
	}
	if (k == SLOTS) {
		errno = EMFILE;
		return -1;
	}
	char *p = slot[k].path;
	memcpy(p, path, dl);
	p[dl] = '.';
	memcpy(p + dl + 1, base, bl);
	memcpy(p + dl + 1 + bl, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
	/* no signal between making the file and listing it */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	int fd = mkostemp(p, O_CLOEXEC | O_NOFOLLOW);
	int e = errno;
	if (fd >= 0)
		__atomic_store_n(&slot[k].state, 1, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&slot[k].state, 0, __ATOMIC_RELEASE);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (fd < 0) {
		errno = e;
		return -1;
	}
	/* mkstemp's 0600 becomes what a shell's > or fopen would give */
	if (fchmod(fd, mode) < 0) {
		e = errno;
		close(fd);
		imb_tmp_remove(p);
		errno = e;
		return -1;
	}
	*tmp = imb_xstrdup(p);
	return fd;
}

static int find(const char *tmp)
{
	for (int k = 0; k < SLOTS; k++)
		if (__atomic_load_n(&slot[k].state, __ATOMIC_ACQUIRE) == 1 &&
		    !strcmp(slot[k].path, tmp))
			return k;
	return -1;
}

void imb_tmp_done(const char *tmp)
{
	int k = tmp ? find(tmp) : -1;
	if (k >= 0)
		__atomic_store_n(&slot[k].state, 0, __ATOMIC_RELEASE);
}

void imb_tmp_remove(const char *tmp)
{
	if (!tmp)
		return;
	unlink(tmp);
	imb_tmp_done(tmp);
}

void imb_tmp_unlink_all(void)
{
	int e = errno;
	for (int k = 0; k < SLOTS; k++)
	{
		int one = 1;
		if (__atomic_compare_exchange_n(&slot[k].state, &one, 0, 0, __ATOMIC_ACQ_REL,
		                                __ATOMIC_RELAXED))
			unlink(slot[k].path);
	}
	errno = e;
}
