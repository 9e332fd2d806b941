/*
 * The executor: a pool of at most as many threads as there are CPUs, as
 * asyncio's run_in_executor hands work to a ThreadPoolExecutor. Threads
 * start when work waits and none is idle, and stay for the next work;
 * work beyond the pool waits in a queue, first in first out. The pool's
 * CPU time is summed for the timeline's executor row.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include "executor.h"

/* Stack for a pool thread: GMP's big temporaries are on the heap. */
#define EXECUTOR_STACK (512 * 1024)

/* The most threads, whatever the number of CPUs. */
#define EXECUTOR_MAX 64

struct executor_thread {
	pthread_t thread;
	clockid_t clock;
	int has_clock;
	LIST_ENTRY(executor_thread) entry;
};

static pthread_mutex_t executor_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t executor_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t executor_gone = PTHREAD_COND_INITIALIZER;
TAILQ_HEAD(executor_works, executor_work);
LIST_HEAD(executor_threads, executor_thread);

static struct executor_works executor_queue =
    TAILQ_HEAD_INITIALIZER(executor_queue);
static struct executor_threads executor_list =
    LIST_HEAD_INITIALIZER(executor_list);
static unsigned executor_nthreads;
static unsigned executor_idle;
static unsigned executor_nqueued;
static double executor_spent; /* CPU seconds of threads that ended */
static int executor_stopping;

/* How many threads the pool may have: the CPUs online, at least one. */
unsigned
executor_size(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > EXECUTOR_MAX ? EXECUTOR_MAX : (unsigned)n;
}

static double
executor_clock(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A pool thread: take work until the pool stops. */
static void *
executor_main(void *arg)
{
	struct executor_thread *t = arg;
	struct executor_work *w;

	pthread_mutex_lock(&executor_lock);
	t->has_clock = pthread_getcpuclockid(pthread_self(), &t->clock) == 0;
	for (;;) {
		while (!executor_stopping && TAILQ_EMPTY(&executor_queue))
			pthread_cond_wait(&executor_wake, &executor_lock);
		if ((w = TAILQ_FIRST(&executor_queue)) == NULL)
			break;
		TAILQ_REMOVE(&executor_queue, w, entry);
		w->queued = 0;
		executor_nqueued--;
		executor_idle--;
		pthread_mutex_unlock(&executor_lock);
		w->fn(w);
		pthread_mutex_lock(&executor_lock);
		executor_idle++;
	}
	/* Gone from the list before its clock goes with it. */
	executor_spent += executor_clock(CLOCK_THREAD_CPUTIME_ID);
	LIST_REMOVE(t, entry);
	executor_nthreads--;
	executor_idle--;
	pthread_cond_broadcast(&executor_gone);
	pthread_mutex_unlock(&executor_lock);
	free(t);
	return NULL;
}

/* Start one more thread; the caller holds the lock. */
static int
executor_grow(void)
{
	struct executor_thread *t;
	pthread_attr_t attr;
	int error;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return -1;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, EXECUTOR_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	error = pthread_create(&t->thread, &attr, executor_main, t);
	pthread_attr_destroy(&attr);
	if (error != 0) {
		free(t);
		return -1;
	}
	LIST_INSERT_HEAD(&executor_list, t, entry);
	executor_nthreads++;
	executor_idle++;
	return 0;
}

/*
 * Queue w: fn(w) runs on a pool thread. -1 if the pool has no thread and
 * none can start: the caller does the work itself.
 */
int
executor_submit(struct executor_work *w, executor_fn fn)
{
	w->fn = fn;
	pthread_mutex_lock(&executor_lock);
	executor_stopping = 0;
	/* A thread more while the work waiting outnumbers the idle ones. */
	if (executor_nqueued + 1 > executor_idle &&
	    executor_nthreads < executor_size())
		executor_grow();
	if (executor_nthreads == 0) {
		pthread_mutex_unlock(&executor_lock);
		return -1;
	}
	TAILQ_INSERT_TAIL(&executor_queue, w, entry);
	w->queued = 1;
	executor_nqueued++;
	pthread_cond_signal(&executor_wake);
	pthread_mutex_unlock(&executor_lock);
	return 0;
}

/* Take w back if no thread has started it yet: 1 if it was taken. */
int
executor_cancel(struct executor_work *w)
{
	int taken;

	pthread_mutex_lock(&executor_lock);
	if ((taken = w->queued)) {
		TAILQ_REMOVE(&executor_queue, w, entry);
		w->queued = 0;
		executor_nqueued--;
	}
	pthread_mutex_unlock(&executor_lock);
	return taken;
}

/* How many threads the pool has now. */
unsigned
executor_threads(void)
{
	unsigned n;

	pthread_mutex_lock(&executor_lock);
	n = executor_nthreads;
	pthread_mutex_unlock(&executor_lock);
	return n;
}

/* CPU seconds the pool's threads have used, those that ended included. */
double
executor_cpu(void)
{
	struct executor_thread *t;
	double sum;

	pthread_mutex_lock(&executor_lock);
	sum = executor_spent;
	for (t = LIST_FIRST(&executor_list); t != NULL; t = LIST_NEXT(t, entry))
		sum += t->has_clock ? executor_clock(t->clock) : 0;
	pthread_mutex_unlock(&executor_lock);
	return sum;
}

/*
 * At exit: idle threads end, and are waited for when no work is left;
 * a thread still at abandoned work is not waited for.
 */
void
executor_shutdown(void)
{
	pthread_mutex_lock(&executor_lock);
	executor_stopping = 1;
	pthread_cond_broadcast(&executor_wake);
	while (executor_nthreads > 0 && executor_idle == executor_nthreads &&
	    TAILQ_EMPTY(&executor_queue))
		pthread_cond_wait(&executor_gone, &executor_lock);
	pthread_mutex_unlock(&executor_lock);
}
