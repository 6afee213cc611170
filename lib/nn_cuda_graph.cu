/* nn_cuda_graph.cu: training steps recorded once as a CUDA graph and
 * replayed (what the table's wrapper does with each op: nn_cuda_graph.h).
 *
 * A step is known by the key of its marks (the loop's: the batch's rows).
 * Per key, a record is made in three stages:
 *   warm     the step runs as it comes and its ops' signatures are kept;
 *            two warm steps alike in a row (the first steps allocate,
 *            and the first SGD step differs from the rest) and the next
 *            is captured
 *   capture  the step's ops run under stream capture, each compared with
 *            the warm step's; at the step's end the graph is instantiated
 *            and launched
 *   replay   the step's ops are compared with the record and not run;
 *            at the step's end the staged bytes go up in one copy and the
 *            graph is launched: one launch for the step's few hundred
 * A step that departs from its record (other arguments, an op that waits
 * for the GPU or allocates, a step of fewer ops) runs the ops kept so far
 * as they come and goes on without a graph; the key is recorded again
 * from the warm stage; one that departs often (MISSES times, with fewer
 * than KEEP replays each) is no longer tried: a step that waits for the
 * GPU (one that reads a norm on the host) runs as it comes.
 *
 * Staging. The bytes a step uploads (the batch's indices, draws and
 * labels) and the optimisers' per-step values (lr, bias corrections) are
 * copied, in a captured or replayed step, into a pinned host area, one of
 * RING used in turn, and the graph copies each from a device mirror of
 * the area, which the replay fills with one copy before it launches; the
 * host waits for the step that last used an area before it writes it
 * again. The graphs hold addresses of the workspace and the mirror, so
 * both growing drops them (imb_cuda_graphs_forget).
 *
 * IMB_CUDA_GRAPHS=0 turns the graphs off (every op as it comes, the same
 * bits); IMB_CUDA_GRAPHS=v says on stderr what is recorded and where a
 * step departs. */
#include "nn_cuda_graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>

#define RING 3          /* staging areas used in turn */
#define ENTRIES 8       /* keys recorded */
#define MISSES 8        /* departures after which a key may run as it comes... */
#define KEEP 16         /* ...unless it was replayed KEEP times a departure */

int imb_cuda_graph_mode = IMB_CUDA_EAGER;

enum { WARM, READY, OFF };      /* a key's state */

typedef struct {
	long key;
	int state, misses;
	long replays;
	int alike;                  /* the last two warm steps had the same ops */
	std::vector<uint64_t> rec;  /* the last warm step's signatures (READY: the graph's) */
	std::vector<uint64_t> now;  /* this warm step's */
	size_t staged;              /* bytes the last warm step staged */
	cudaGraphExec_t exec;
} entry;

static entry ents[ENTRIES];
static int nents;
static entry *cur;                          /* the step under way, NULL none */
static size_t pos;                          /* its ops matched (CAPTURE, REPLAY) */
static size_t off;                          /* its bytes staged */
static int area, area_used;                 /* its staging area, whether written */
static std::vector<imb_cuda_call *> calls;  /* its calls kept */
static unsigned char *host_area[RING];
static cudaEvent_t done[RING];              /* recorded after the step that used an area */
static int done_set[RING];
static unsigned char *mirror;               /* device copy of an area */
static size_t cap;                          /* bytes an area holds */
static long counts[3];                      /* recorded, replayed, departed */

static size_t up256(size_t b)
{
	return (b + 255) & ~(size_t)255;
}

/* IMB_CUDA_GRAPHS: 0 off, v verbose; read at every step's start */
static int setting(void)
{
	const char *v = getenv("IMB_CUDA_GRAPHS");
	return !v || !*v ? 1 : !strcmp(v, "0") ? 0 : !strcmp(v, "v") ? 2 : 1;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	if (setting() < 2)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("imb: cuda: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void drop_calls(int run)
{
	for (imb_cuda_call *c : calls) {
		if (run)
			c->run();
		delete c;
	}
	calls.clear();
}

/* the key's graph dropped; its record stays the model of its steps (1)
 * or goes too (0: the steps departed from it) */
static void drop_graph(entry *e, int keep)
{
	if (e->exec)
		IMB_CUDA_CHECK(cudaGraphExecDestroy(e->exec));
	e->exec = NULL;
	if (e->state == READY) {
		e->state = WARM;
		e->alike = keep;    /* kept: captured again at its next step */
	}
	if (!keep) {
		e->alike = 0;
		e->rec.clear();
	}
}

void imb_cuda_graphs_forget(void)
{
	for (int i = 0; i < nents; i++)
		drop_graph(&ents[i], 1);
}

void imb_cuda_graph_counts(long out[3])
{
	memcpy(out, counts, sizeof counts);
}

/* a departure, or a warm step that waits for the GPU: a key that departs
 * often for the replays it gets runs as it comes from then on (SGHMC's
 * steps depart at each change of phase, and are replayed in between) */
static void miss(entry *e)
{
	if (++e->misses >= MISSES && e->replays < KEEP * (long)e->misses)
		e->state = OFF;
}

/* the step leaves its record at op `op` (index pos): what was captured is
 * dropped, the calls kept so far run as they come, and the rest of the
 * step too */
static void depart(int op, const char *why)
{
	entry *e = cur;
	int mode = imb_cuda_graph_mode;
	imb_cuda_graph_mode = IMB_CUDA_EAGER;
	if (mode == IMB_CUDA_CAPTURE) {
		cudaGraph_t g = NULL;
		cudaStreamEndCapture(imb_cuda.stream, &g);
		cudaGetLastError();
		if (g)
			IMB_CUDA_CHECK(cudaGraphDestroy(g));
	}
	drop_calls(1);
	drop_graph(e, 0);
	miss(e);
	counts[2]++;
	say("a step of %ld rows departs from its record at op %zu (%s: %s)%s", e->key, pos,
	    op >= 0 ? imb_nn_op_names[op] : "its end", why,
	    e->state == OFF ? "; its steps run as they come from now on" : "");
}

int imb_cuda_graph_op(int op, uint64_t sig, size_t staged)
{
	entry *e = cur;
	switch (imb_cuda_graph_mode) {
	case IMB_CUDA_WARM:
		e->now.push_back(sig);
		return 1;
	case IMB_CUDA_CAPTURE:
	case IMB_CUDA_REPLAY:
		if (pos >= e->rec.size() || e->rec[pos] != sig) {
			depart(op, pos >= e->rec.size() ? "more ops than recorded" : "other arguments");
			return 0;
		}
		if (off + staged > cap) {
			depart(op, "more bytes staged than recorded");
			return 0;
		}
		pos++;
		return 1;
	}
	return 0;
}

void imb_cuda_graph_leave(int op)
{
	if (imb_cuda_graph_mode == IMB_CUDA_WARM) {
		/* the warm step is no model for the next */
		imb_cuda_graph_mode = IMB_CUDA_EAGER;
		cur->now.clear();
		cur->alike = 0;
		miss(cur);
		say("a step of %ld rows calls %s, which waits for the GPU or allocates%s", cur->key,
		    imb_nn_op_names[op], cur->state == OFF ? ": its steps run as they come" : "");
	} else if (imb_cuda_graph_mode != IMB_CUDA_EAGER) {
		depart(op, "waits for the GPU or allocates");
	}
}

void imb_cuda_graph_keep(imb_cuda_call *c)
{
	calls.push_back(c);
}

/* ------------------------------------------------------------ staging */

/* bytes to dst on the stream: as they come, a copy from the host memory
 * itself; captured or replayed, into the step's area at off, and (when
 * captured) a device copy from the mirror */
static void stage(void *dst, const void *src, size_t bytes)
{
	int mode = imb_cuda_graph_mode;
	if (mode == IMB_CUDA_CAPTURE || mode == IMB_CUDA_REPLAY) {
		memcpy(host_area[area] + off, src, bytes);
		area_used = 1;
		if (mode == IMB_CUDA_CAPTURE)
			IMB_CUDA_CHECK(cudaMemcpyAsync(dst, mirror + off, bytes, cudaMemcpyDeviceToDevice,
			                               imb_cuda.stream));
	} else {
		IMB_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice,
		                               imb_cuda.stream));
	}
	if (mode != IMB_CUDA_EAGER)
		off += up256(bytes);
}

const void *imb_cuda_staged(const void *host, size_t bytes)
{
	int mode = imb_cuda_graph_mode;
	if (bytes > IMB_CUDA_STAGE_MAX)
		imb_cuda_fail("imb_cuda_staged", "more bytes than IMB_CUDA_STAGE_MAX");
	if (mode != IMB_CUDA_CAPTURE && mode != IMB_CUDA_REPLAY) {
		if (mode == IMB_CUDA_WARM)
			off += up256(bytes);
		return NULL;
	}
	/* the graph reads them where the step's one copy puts them */
	memcpy(host_area[area] + off, host, bytes);
	area_used = 1;
	const void *at = mirror + off;
	off += up256(bytes);
	return at;
}

static void upload_now(void *dst, const void *src, size_t bytes)
{
	IMB_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, imb_cuda.stream));
}

/* the op; from pageable memory the copy is staged before the call
 * returns (by the driver, or here into the step's area), so src may
 * change afterwards */
extern "C" void imb_nn_cuda_upload(void *dst, const void *src, size_t bytes)
{
	if (!bytes)
		return;
	int mode = imb_cuda_graph_mode;
	if (mode != IMB_CUDA_EAGER) {
		uint64_t h = imb_graph::sig(imb_graph::sig(imb_graph::sig(0xcbf29ce484222325ull,
		                                                          (int)IMB_NN_OP_upload),
		                                           dst), bytes);
		if (imb_cuda_graph_op(IMB_NN_OP_upload, h, up256(bytes)) && mode != IMB_CUDA_WARM) {
			/* kept from the area: the caller's memory may change */
			const void *copy = host_area[area] + off;
			stage(dst, src, bytes);
			imb_cuda_graph_keep(new imb_graph::call<void *, const void *, size_t>(
				upload_now, dst, copy, bytes));
			return;
		}
	}
	stage(dst, src, bytes);
}

/* ------------------------------------------------------------ the marks */

/* areas of at least need bytes; growing them drops every graph (they
 * hold the mirror's address) */
static void areas(size_t need)
{
	if (need <= cap)
		return;
	imb_cuda_graphs_forget();
	IMB_CUDA_CHECK(cudaStreamSynchronize(imb_cuda.stream));
	for (int i = 0; i < RING; i++) {
		if (host_area[i])
			IMB_CUDA_CHECK(cudaFreeHost(host_area[i]));
		IMB_CUDA_CHECK(cudaHostAlloc((void **)&host_area[i], need, cudaHostAllocDefault));
		if (!done[i])
			IMB_CUDA_CHECK(cudaEventCreateWithFlags(&done[i], cudaEventDisableTiming));
		done_set[i] = 0;
	}
	imb_nn_cuda_free(mirror);
	mirror = (unsigned char *)imb_nn_cuda_alloc(need);
	cap = need;
}

/* the next staging area, once the step that last used it is done */
static void next_area(void)
{
	area = (area + 1) % RING;
	if (done_set[area])
		IMB_CUDA_CHECK(cudaEventSynchronize(done[area]));
	area_used = 0;
}

/* the step's staged bytes up, its graph launched */
static void launch(entry *e)
{
	if (off)
		IMB_CUDA_CHECK(cudaMemcpyAsync(mirror, host_area[area], off, cudaMemcpyHostToDevice,
		                               imb_cuda.stream));
	IMB_CUDA_CHECK(cudaGraphLaunch(e->exec, imb_cuda.stream));
	area_used = 1;
}

static void begin(long key)
{
	entry *e = NULL;
	for (int i = 0; i < nents && !e; i++)
		if (ents[i].key == key)
			e = &ents[i];
	if (!e) {
		if (nents == ENTRIES)
			return;
		e = &ents[nents++];
		e->key = key;
	}
	if (e->state == OFF)
		return;
	cur = e;
	pos = off = 0;
	if (e->state == READY) {
		next_area();
		imb_cuda_graph_mode = IMB_CUDA_REPLAY;
	} else if (e->alike) {
		areas(up256(e->staged > 65536 ? 2 * e->staged : 65536));
		next_area();
		IMB_CUDA_CHECK(cudaStreamBeginCapture(imb_cuda.stream, cudaStreamCaptureModeRelaxed));
		imb_cuda_graph_mode = IMB_CUDA_CAPTURE;
	} else {
		e->now.clear();
		imb_cuda_graph_mode = IMB_CUDA_WARM;
	}
}

static void end(void)
{
	entry *e = cur;
	int mode = imb_cuda_graph_mode;
	imb_cuda_graph_mode = IMB_CUDA_EAGER;
	cur = NULL;
	if (mode == IMB_CUDA_WARM) {
		e->alike = !e->now.empty() && e->now == e->rec;
		e->rec.swap(e->now);
		e->staged = off;
	} else if (mode == IMB_CUDA_CAPTURE || mode == IMB_CUDA_REPLAY) {
		if (pos != e->rec.size()) {
			imb_cuda_graph_mode = mode;
			cur = e;
			depart(-1, "fewer ops than recorded");
			imb_cuda_graph_mode = IMB_CUDA_EAGER;
			cur = NULL;
		} else if (mode == IMB_CUDA_CAPTURE) {
			cudaGraph_t g = NULL;
			cudaGraphExec_t x = NULL;
			cudaError_t err = cudaStreamEndCapture(imb_cuda.stream, &g);
			if (err == cudaSuccess)
				err = cudaGraphInstantiate(&x, g, 0);
			if (g)
				cudaGraphDestroy(g);
			if (err != cudaSuccess) {
				/* run what was to be captured as it comes */
				cudaGetLastError();
				say("a step of %ld rows could not be recorded (%s); its steps run as they "
				    "come", e->key, cudaGetErrorString(err));
				e->state = OFF;
				drop_calls(1);
			} else {
				e->exec = x;
				e->state = READY;
				counts[0]++;
				say("a step of %ld rows recorded as a CUDA graph (%zu ops, %zu bytes staged)",
				    e->key, e->rec.size(), off);
				drop_calls(0);
				launch(e);
			}
		} else {
			drop_calls(0);
			counts[1]++;
			e->replays++;
			launch(e);
		}
	}
	if (area_used) {
		IMB_CUDA_CHECK(cudaEventRecord(done[area], imb_cuda.stream));
		done_set[area] = 1;
		area_used = 0;
	}
}

extern "C" void imb_cuda_mark_step(long key)
{
	if (cur)
		end();
	if (key >= 0 && setting())
		begin(key);
}
