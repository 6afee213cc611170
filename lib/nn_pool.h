/* nn_pool.h: the engine's host thread pool (the CPU backend's threads).
 *
 * imb_nn_parallel, imb_nn_set_threads and imb_nn_threads are its public
 * face (layers and augmentation may split host work with it; tools set
 * a backend's threads through the table, be->set_threads, which is
 * imb_nn_set_threads for the CPU backend); the rest is for the CPU
 * backend's ops: how many threads to split for, and which thread is
 * running (for per-thread scratch). See nn_pool.c for how tasks are
 * handed out. */
#ifndef IMB_NN_POOL_H
#define IMB_NN_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

/* Threads of the pool: n > 0 sets the count, n <= 0 means one per online
 * core (the default). Takes effect at the next parallel call. */
void imb_nn_set_threads(int n);
int imb_nn_threads(void);

/* Run fn(ctx, t) for t = 0..nt-1 on the pool; the pool's threads (the
 * caller among them) claim tasks as they come free, and all tasks finish
 * before it returns. So task t must compute the same piece whichever
 * thread runs it (per-thread scratch for temporaries only) for results
 * to be deterministic. Calls from inside a task run serially. Exposed
 * for layers/augmentation that want to split host work the same way. */
void imb_nn_parallel(int nt, void (*fn)(void *ctx, int t), void *ctx);

#define IMB_NN_MAXT 256     /* threads at most */

/* Threads the next parallel call will use (starting or resizing the pool
 * to imb_nn_threads()); 1 inside a task, where calls run serially. */
int imb_nn_pool_threads(void);

/* 0 on the calling thread, i on worker i */
int imb_nn_thread_id(void);

/* nonzero while the running thread is inside a pool task */
int imb_nn_in_task(void);

#ifdef __cplusplus
}
#endif

#endif
