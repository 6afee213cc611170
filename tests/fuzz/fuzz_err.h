/* fuzz_err.h: a harness's check that a failure says why. Each input
 * starts with no message (fuzz_err_clear); a call that fails must have
 * set one (fuzz_err_set), else the harness aborts. imb_error() itself
 * never returns an empty string, so testing it for emptiness proves
 * nothing. */
#ifndef FUZZ_ERR_H
#define FUZZ_ERR_H

#include "util.h"

#include <string.h>

static inline void fuzz_err_clear(void)
{
	imb_seterr("%s", "");
}

/* 1 if a message was set since fuzz_err_clear */
static inline int fuzz_err_set(void)
{
	return strcmp(imb_error(), "unknown error") != 0;
}

#endif
