/* nn_pool.c: the CPU backend's thread pool (nn_pool.h).
 *
 * A parallel call publishes (fn, ctx) and a new ticket: one 64-bit word
 * holding the call's generation, its task count nt and the next
 * unclaimed task. The caller and the workers claim tasks from the ticket
 * with compare-and-swap until none is left, and the caller returns when
 * all nt are done. Task t always computes the same piece (and writes
 * only its own part, or its own buffer t), so which thread ran it does
 * not change a bit; and a worker that is slow to start (descheduled, or
 * asleep) leaves its share to the others instead of stalling the call.
 * The claim checks the generation and nt, so a worker that read (fn,
 * ctx) of an earlier call cannot run a task of a later one (a call only
 * ends once all its tasks were claimed, and (fn, ctx) are rewritten only
 * after that). The generation has 30 bits: a worker would have to stall
 * through 2^30 calls between reading the ticket and claiming to mistake
 * one call for another.
 *
 * Workers that finished recently are still spinning on the ticket and
 * start within a fraction of a microsecond; a worker idle for longer
 * than SPIN_NS sleeps on a condition variable and is woken by a
 * broadcast (some 10 us). So a tiny model, whose step is a chain of ops
 * of a few microseconds each, splits its gemms over the pool without a
 * wake-up per op, and an idle pool uses no CPU. Sleep/wake is race-free
 * with sequentially consistent atomics: the caller stores the ticket and
 * then reads sleepers; a worker counts itself in sleepers and then
 * re-reads the ticket under the mutex the caller broadcasts under. */

#include "nn_pool.h"
#include "nn_backend.h"
#include "blas.h"
#include "util.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAXT IMB_NN_MAXT
#define SPIN_NS 200000          /* a worker spins this long for new work */
#define TASK_BITS 17            /* nt < 2^17 (more tasks run on the caller) */
#define TASK_MASK ((1ull << TASK_BITS) - 1)
#define GEN_SHIFT (2 * TASK_BITS)   /* ticket: gen | nt | next */

static int threads_req;             /* 0: one per core */
static __thread int in_task;
static __thread int my_tid;         /* 0: the calling thread; i: worker i */

int imb_nn_thread_id(void) { return my_tid; }
int imb_nn_in_task(void) { return in_task; }

static struct {
	pthread_mutex_t mu;
	pthread_cond_t go;
	pthread_t tid[MAXT];
	int nworkers;                   /* running worker threads (T - 1) */
	atomic_ullong ticket;
	atomic_int done, sleepers, stop;
	_Atomic(void (*)(void *, int)) fn;
	_Atomic(void *) ctx;
} pool = { .mu = PTHREAD_MUTEX_INITIALIZER, .go = PTHREAD_COND_INITIALIZER };

void imb_nn_set_threads(int n)
{
	threads_req = n > MAXT ? MAXT : n;
}

int imb_nn_threads(void)
{
	if (threads_req > 0)
		return threads_req;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAXT ? MAXT : (int)n;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static inline unsigned long long ticket_gen(unsigned long long k)
{
	return k >> GEN_SHIFT;
}

/* wait until the generation moves past seen (or stop): spin first, then
 * sleep; returns the ticket seen */
static unsigned long long await_ticket(unsigned long long seen)
{
	double t0 = 0;
	for (unsigned i = 0;; i++) {
		unsigned long long k = atomic_load(&pool.ticket);
		if (ticket_gen(k) != seen || atomic_load(&pool.stop))
			return k;
		cpu_relax();
		if ((i & 255) == 255) {
			double t = imb_now();
			if (t0 == 0)
				t0 = t;
			else if (t - t0 > SPIN_NS * 1e-9)
				break;
		}
	}
	pthread_mutex_lock(&pool.mu);
	atomic_fetch_add(&pool.sleepers, 1);
	while (ticket_gen(atomic_load(&pool.ticket)) == seen && !atomic_load(&pool.stop))
		pthread_cond_wait(&pool.go, &pool.mu);
	atomic_fetch_sub(&pool.sleepers, 1);
	pthread_mutex_unlock(&pool.mu);
	return atomic_load(&pool.ticket);
}

/* claim the next task of the call whose ticket had gen and nt as in k0;
 * -1 when that call has none left (or is over) */
static int claim(unsigned long long k0)
{
	unsigned long long head = k0 & ~TASK_MASK;     /* gen | nt */
	unsigned long long nt = (k0 >> TASK_BITS) & TASK_MASK;
	unsigned long long k = atomic_load(&pool.ticket);
	while ((k & ~TASK_MASK) == head && (k & TASK_MASK) < nt)
		if (atomic_compare_exchange_weak(&pool.ticket, &k, k + 1))
			return (int)(k & TASK_MASK);
	return -1;
}

/* run tasks of the call with ticket k0 until none is left */
static void run_tasks(unsigned long long k0, void (*fn)(void *, int), void *ctx)
{
	in_task = 1;
	for (int t; (t = claim(k0)) >= 0;) {
		fn(ctx, t);
		atomic_fetch_add(&pool.done, 1);
	}
	in_task = 0;
}

typedef struct { int id; unsigned long long gen; } worker_arg;

static void *worker(void *arg)
{
	worker_arg a = *(worker_arg *)arg;
	free(arg);
	my_tid = a.id;
	unsigned long long seen = a.gen;
	for (;;) {
		unsigned long long k = await_ticket(seen);
		if (atomic_load(&pool.stop))
			break;
		seen = ticket_gen(k);
		/* (fn, ctx) are at least this call's (stored before the ticket);
		 * if they are a later call's, this call is over and no claim
		 * succeeds */
		run_tasks(k, atomic_load(&pool.fn), atomic_load(&pool.ctx));
	}
	return NULL;
}

static void wake_all(void)
{
	pthread_mutex_lock(&pool.mu);
	pthread_cond_broadcast(&pool.go);
	pthread_mutex_unlock(&pool.mu);
}

static void pool_resize(int T)
{
	imb_blas_single();     /* before any sgemm: OpenBLAS on one thread */
	if (pool.nworkers == T - 1)
		return;
	if (pool.nworkers) {
		atomic_store(&pool.stop, 1);
		wake_all();
		for (int i = 0; i < pool.nworkers; i++)
			pthread_join(pool.tid[i], NULL);
		atomic_store(&pool.stop, 0);
		pool.nworkers = 0;
	}
	for (int i = 0; i < T - 1; i++) {
		worker_arg *a = imb_xmalloc(sizeof *a);
		a->id = i + 1;
		a->gen = ticket_gen(atomic_load(&pool.ticket));
		if (pthread_create(&pool.tid[i], NULL, worker, a)) {
			free(a);
			fprintf(stderr, "imb: cannot start thread %d, running on %d\n",
			        i + 1, i + 1);
			break;
		}
		pool.nworkers++;
	}
}

void imb_nn_parallel(int nt, void (*fn)(void *ctx, int t), void *ctx)
{
	int T = imb_nn_threads();
	if (!in_task)
		pool_resize(T);
	T = pool.nworkers + 1;
	if (T == 1 || nt <= 1 || in_task || (unsigned long long)nt > TASK_MASK) {
		for (int t = 0; t < nt; t++)
			fn(ctx, t);
		return;
	}
	atomic_store(&pool.fn, fn);
	atomic_store(&pool.ctx, ctx);
	atomic_store(&pool.done, 0);
	unsigned long long gen = ticket_gen(atomic_load(&pool.ticket)) + 1;
	unsigned long long k = (gen << GEN_SHIFT) | ((unsigned long long)nt << TASK_BITS);
	atomic_store(&pool.ticket, k);
	if (atomic_load(&pool.sleepers))
		wake_all();
	run_tasks(k, fn, ctx);
	/* every task is claimed; wait for those still running elsewhere,
	 * yielding now and then in case their thread lost its core */
	for (unsigned i = 0; atomic_load(&pool.done) < nt; i++) {
		cpu_relax();
		if ((i & 1023) == 1023)
			sched_yield();
	}
}

int imb_nn_pool_threads(void)
{
	if (in_task)
		return 1;
	pool_resize(imb_nn_threads());
	return pool.nworkers + 1;
}
