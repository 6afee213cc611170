/* nn_pool.h: the CPU backend's thread pool.
 *
 * imb_nn_parallel, imb_nn_set_threads and imb_nn_threads (declared in
 * nn_backend.h) are its public face; these are for the backend's ops:
 * how many threads to split for, and which thread is running (for
 * per-thread scratch). See nn_pool.c for how tasks are handed out. */
#ifndef IMB_NN_POOL_H
#define IMB_NN_POOL_H

#define IMB_NN_MAXT 256     /* threads at most */

/* Threads the next parallel call will use (starting or resizing the pool
 * to imb_nn_threads()); 1 inside a task, where calls run serially. */
int imb_nn_pool_threads(void);

/* 0 on the calling thread, i on worker i */
int imb_nn_thread_id(void);

/* nonzero while the running thread is inside a pool task */
int imb_nn_in_task(void);

#endif
