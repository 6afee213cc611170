/* route.h: routing the frames of a stream for a tool that waits for
 * several frames (a train set, a validation set, a model to start from)
 * before it can work, keeping every other frame in order.
 *
 * The tool names what it wants; want[0] is the anchor (the train set):
 * what the tool makes takes its place in the stream.
 *   - a frame that matches an unfilled want is taken: consumed, or with
 *     keep also forwarded unchanged (at its own place);
 *   - frames before the anchor pass through at once; from the anchor on,
 *     frames are held until every want is filled;
 *   - then fn runs, its frames are written (in place of the anchor), then
 *     the held frames follow, and every later frame passes through.
 * A frame matches a want when its kind and name equal the want's (NULL:
 * any) and match (NULL: none) says 1. The first unfilled want that
 * matches takes it; each want takes one frame. */
#ifndef IMB_ROUTE_H
#define IMB_ROUTE_H

#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	const char *kind;                      /* "dataset", "model", or NULL */
	const char *name;                      /* frame name, or NULL */
	int (*match)(const imb_frame *f);      /* further test, or NULL */
	int keep;                              /* forward it unchanged too */
	imb_frame *f;                          /* the frame, once found (the router's) */
} imb_route_want;

#define IMB_ROUTE_OUT_MAX 8

/* The tool's work, with every want[i].f in hand: put up to
 * IMB_ROUTE_OUT_MAX frames to write into out and their count into *nout.
 * The router writes and frees them (a want's frame among them is written,
 * and freed once). 0, or -1 to stop (imb_route returns -1). */
typedef int (*imb_route_fn)(void *ctx, imb_route_want *want, int nwant, imb_frame **out,
                            int *nout);

/* Route all of r to w (reading and writing die on bad frames, as cli.h's
 * imb_next and imb_emit do). Returns 0 when fn ran; -1 when fn failed;
 * i + 1 when the stream ended without want i (the first unfilled).
 * *nframes counts the frames read. */
int imb_route(imb_reader *r, imb_writer *w, imb_route_want *want, int nwant, imb_route_fn fn,
              void *ctx, long *nframes);

#ifdef __cplusplus
}
#endif

#endif
