/*
 * A run: one shared queue of tasks in file order, taken by the workers.
 *
 * sync         each worker in turn takes tasks until the queue is empty;
 *              the next worker then finds nothing to do
 * cooperative  workers take one task each and yield to the loop in turn,
 *              round-robin; the tasks themselves block
 * threads      each worker is a thread running blocking tasks
 * async        every worker is busy at once on the loop: tasks start
 *              without blocking and report back when done
 *
 * Blocking modes still run on the loop, one task per loop turn, so that
 * signals and output are handled between tasks.
 */
#include "autoconf.h"

#include <sys/eventfd.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "clock.h"
#include "fetch.h"
#include "log.h"
#include "report.h"
#include "run.h"
#include "signals.h"
#include "task.h"
#include "xmalloc.h"

/* Stack for each worker thread: enough for GMP and libcurl. */
#define RUN_THREAD_STACK (512 * 1024)
/*
 * url workers share kept connections in pools of this many: libcurl 7.88
 * walks all of a multi handle's connections for each transfer it starts
 * and ends, which with a thousand workers in one pool cost more CPU than
 * the rest of a small fetch (bench/analysis.md).
 */
#define RUN_POOL_WORKERS 128

struct worker {
	struct run *run;
	const char *name;
	char num[12];
	unsigned long ntasks;
	struct job *job;
	struct job spare; /* kept from task to task, in the workers' array */
	const struct task *pending; /* taken, not started yet */
	struct event *wait;
	pthread_t thread;
	int has_thread;
	TAILQ_ENTRY(worker) entry;
};
TAILQ_HEAD(workers, worker);

struct run {
	struct event_base *base;
	const struct config *cf;
	enum mode mode; /* the run's own: --compare runs one list in each */
	struct report *report;
	unsigned number;
	unsigned nworkers;
	struct worker *workers;
	size_t first;
	size_t stride;
	size_t ntasks;
	size_t taken;
	size_t ok;
	size_t failed;
	size_t unresolved; /* url tasks whose host did not resolve */
	unsigned active;
	unsigned current;
	double start;
	double end;
	double next_slot;
	struct workers ready;
	struct event *step;
	struct event *finish;
	struct event *flush;
	struct event *grace;
	/*
	 * The run's own, freed when it ends: each run opens its connections
	 * (a listener that died since the last run fails this run's check).
	 * One a pool of RUN_POOL_WORKERS workers, made on first use.
	 */
	struct fetch_loop **fetch;
	unsigned nfetch;
	struct evdns_base *dns; /* tcp tasks' resolver, made on first use */
	/*
	 * What worker threads share is under lock: taken, ok, failed,
	 * unresolved, active, next_slot, started, cancelled, stopping and
	 * stop_by. The rest is the loop thread's (results are read once
	 * run_finish has joined the threads).
	 */
	pthread_mutex_t lock;
	pthread_cond_t start_cond; /* threads: the first tasks are out */
	int started;
	int cancel_fd; /* an eventfd, readable once the run cancels */
	int cancelled;
	int stopping;
	double stop_by; /* blocking modes: when a stop cancels the task */
	struct job *sleeping; /* async: the job whose wait holds the loop */
	int finished;
	run_done_cb done;
	void *arg;
	double entered;
	double block_threshold;
	run_block_cb block;
	void *block_arg;
	double timeout_seconds;
	const struct timeval *timeout;
	const struct timeval *soon; /* the common timeout of 0 s: job_soon */
	char *timers; /* the workers' timer events, made on first use */
	size_t timer_size;
};

static const struct timeval run_now = {0, 0};

static void run_async_next(struct worker *, double);

/*
 * The lock of what worker threads share (the queue, counts, the stop).
 * Taken in every mode: uncontended it costs a few nanoseconds a task,
 * and one rule for every mode is easier to keep right than a test of
 * the mode at each use.
 */
static void
run_lock(struct run *r)
{
	pthread_mutex_lock(&r->lock);
}

static void
run_unlock(struct run *r)
{
	pthread_mutex_unlock(&r->lock);
}

/* Is the run stopping: no new task starts? */
static int
run_stopping(struct run *r)
{
	int stopping;

	run_lock(r);
	stopping = r->stopping;
	run_unlock(r);
	return stopping;
}

struct run *
run_new(struct event_base *base, const struct config *cf, enum mode mode,
    struct report *report, unsigned number)
{
	struct run *r;
	unsigned i;

	r = xcalloc(1, sizeof *r);
	r->base = base;
	r->cf = cf;
	r->mode = mode;
	r->report = report;
	r->number = number;
	r->nworkers = cf->nworkers;
	r->stride = 1;
	r->ntasks = cf->ntasks;
	r->workers = xcalloc(r->nworkers, sizeof *r->workers);
	xhuge(r->workers, r->nworkers * sizeof *r->workers);
	r->nfetch = (r->nworkers + RUN_POOL_WORKERS - 1) / RUN_POOL_WORKERS;
	r->fetch = xcalloc(r->nfetch, sizeof *r->fetch);
	for (i = 0; i < r->nworkers; i++) {
		r->workers[i].run = r;
		r->workers[i].name = config_worker_name(
		    cf, i, r->workers[i].num, sizeof r->workers[i].num);
	}
	TAILQ_INIT(&r->ready);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->start_cond, NULL);
	if ((r->cancel_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatal("eventfd");
	return r;
}

/* Run only tasks i with (i - 1) mod n == k. */
void
run_set_shard(struct run *r, unsigned k, unsigned n)
{
	r->first = k;
	r->stride = n;
	r->ntasks = r->cf->ntasks > k ? (r->cf->ntasks - k + n - 1) / n : 0;
}

/* Report async task callbacks that hold the loop threshold seconds. */
void
run_set_block(struct run *r, double threshold, run_block_cb cb, void *arg)
{
	r->block_threshold = threshold;
	r->block = cb;
	r->block_arg = arg;
}

/* Free what a worker's job kept from task to task. */
static void
run_job_free(struct job *job)
{
	if (job->soon != NULL)
		event_free(job->soon);
	if (job->timer != NULL)
		event_del(job->timer);
}

/* Close the run's connections: every pool's multi handle. */
static void
run_fetch_free(struct run *r)
{
	unsigned i;

	for (i = 0; i < r->nfetch; i++) {
		fetch_loop_free(r->fetch[i]);
		r->fetch[i] = NULL;
	}
}

void
run_free(struct run *r)
{
	unsigned i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nworkers; i++) {
		if (r->workers[i].has_thread)
			pthread_join(r->workers[i].thread, NULL);
		if (r->workers[i].wait != NULL)
			event_free(r->workers[i].wait);
		run_job_free(&r->workers[i].spare);
	}
	if (r->step != NULL)
		event_free(r->step);
	if (r->finish != NULL)
		event_free(r->finish);
	if (r->flush != NULL)
		event_free(r->flush);
	if (r->grace != NULL)
		event_free(r->grace);
	run_fetch_free(r);
	free(r->fetch);
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->start_cond);
	close(r->cancel_fd);
	free(r->timers);
	free(r->workers);
	free(r);
}

size_t
run_failed(const struct run *r)
{
	return r->failed;
}

size_t
run_ok(const struct run *r)
{
	return r->ok;
}

/* Failed url tasks whose host name did not resolve. */
size_t
run_unresolved(const struct run *r)
{
	return r->unresolved;
}

double
run_elapsed(const struct run *r)
{
	return (r->finished ? r->end : clock_now()) - r->start;
}

const struct config *
job_config(const struct job *job)
{
	return job->run->cf;
}

/* Has the run's stop cancelled what still runs? And when will it? */
static int
run_cancelling(struct run *r, double now, double *stop_by)
{
	int cancelled;

	run_lock(r);
	*stop_by = r->stop_by;
	cancelled = r->cancelled || (r->stop_by > 0 && now >= r->stop_by);
	run_unlock(r);
	return cancelled;
}

/*
 * Wait, blocking, up to seconds (< 0: no limit) for fd to be ready for
 * events (fd -1: for nothing): 1 ready, 0 the time is up, -1 the run's
 * stop cancelled the wait. Sync and cooperative modes block the loop's
 * own thread, so signals are dispatched meanwhile: SIGTERM reaches them.
 */
static int
run_wait(struct run *r, int fd, short events, double seconds)
{
	struct pollfd pfd[3];
	double now, end, until, stop_by;
	int n, ms, sig = r->mode != MODE_THREADS && signals_fd() >= 0;

	end = clock_now() + seconds;
	for (;;) {
		now = clock_now();
		if (run_cancelling(r, now, &stop_by))
			return -1;
		until = seconds >= 0 ? end : -1;
		if (stop_by > 0 && (until < 0 || stop_by < until))
			until = stop_by;
		if (until < 0)
			ms = -1;
		else if (until <= now)
			ms = 0;
		else
			ms = (int)fmin(ceil((until - now) * 1e3), INT_MAX);
		n = 0;
		if (fd >= 0) {
			pfd[n].fd = fd;
			pfd[n++].events = events;
		}
		pfd[n].fd = r->cancel_fd;
		pfd[n++].events = POLLIN;
		if (sig) {
			pfd[n].fd = signals_fd();
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, ms) == -1 && errno != EINTR)
			return 1; /* let the caller's own call say what is wrong */
		if (fd >= 0 && pfd[0].revents != 0)
			return 1;
		if (sig && pfd[n - 1].revents != 0 && signals_dispatch() > 0)
			continue;
		if (seconds >= 0 && clock_now() >= end)
			return 0;
	}
}

/* A blocking task waits for fd, as run_wait; job_sleep waits for none. */
int
job_wait(struct job *job, int fd, short events, double seconds)
{
	struct run *r = job->run;
	struct job *outer;
	int rc;

	/*
	 * Only an async stop cares which job waits (and worker threads,
	 * waiting at once, would race on sleeping).
	 */
	if (r->mode != MODE_ASYNC)
		return run_wait(r, fd, events, seconds);
	/* It holds the loop a while, so what happened is out first. */
	report_flush(r->report);
	/* A stop dispatched meanwhile must not finish the job under us. */
	outer = r->sleeping;
	r->sleeping = job;
	rc = run_wait(r, fd, events, seconds);
	r->sleeping = outer;
	return rc;
}

/* A blocking delay: 0 when it is over, -1 when a stop cancelled it. */
int
job_sleep(struct job *job, double seconds)
{
	return job_wait(job, -1, 0, seconds) < 0 ? -1 : 0;
}

/* Between two steps of a blocking task: has a stop cancelled it? */
int
job_stopped(struct job *job)
{
	return run_wait(job->run, -1, 0, 0) < 0;
}

/* A task's callback starts work on the loop (async mode). */
void
job_enter(struct job *job)
{
	job->run->entered = clock_now();
}

/* Tasks other than job that could have run: delays only once due. */
static unsigned
run_waiting(struct run *r, struct job *job, double now)
{
	struct job *other;
	unsigned i, n = 0;

	for (i = 0; i < r->nworkers; i++) {
		if ((other = r->workers[i].job) == NULL || other == job)
			continue;
		if (other->task->kind != TASK_DELAY ||
		    other->start + other->task->arg.seconds <= now)
			n++;
	}
	return n;
}

static void run_event(struct run *, struct report_event *, enum report_type,
    struct worker *, struct job *, double);
static void run_send(struct run *, struct report_event *);

/*
 * Say that a callback held the loop: on stderr (and the log) at once,
 * as a loop_blocked event, and to the run's block callback (the
 * timeline). -v adds how many tasks were ready and waited.
 */
static void
run_blocked(struct run *r, struct job *job, const struct run_block *b)
{
	const struct task *t = job->task;
	struct report_event ev;
	char arg[64], what[128], waited[48] = "";

	/* The url's argument is the masked one: never its password. */
	snprintf(what, sizeof what, "%s %s%s", config_kind_name(t->kind),
	    task_ops(t->kind)->arg(t, arg, sizeof arg),
	    t->flags & TASK_BLOCKING ? ", blocking" : "");
	if (log_verbose())
		snprintf(waited, sizeof waited, "; %u ready task%s waited",
		    b->waited, b->waited == 1 ? "" : "s");
	log_warnx("event loop blocked %.2f s by task %u (%s)%s", b->held,
	    b->index, what, waited);
	if (report_listening(r->report)) {
		run_event(
		    r, &ev, REPORT_LOOP_BLOCKED, job->worker, job, clock_now());
		ev.held = b->held;
		run_send(r, &ev);
	}
	if (r->block != NULL)
		r->block(b, r->block_arg);
}

/* The callback is done: did it hold the loop too long? */
void
job_leave(struct job *job)
{
	struct run *r = job->run;
	struct run_block b;
	double now = clock_now();

	if (r->mode != MODE_ASYNC || r->block_threshold <= 0 ||
	    now - r->entered < r->block_threshold)
		return;
	b.at = r->entered - r->start;
	b.held = now - r->entered;
	b.worker = (unsigned)(job->worker - r->workers);
	b.task = job->task;
	b.index = config_task_index(r->cf, job->task);
	b.waited = run_waiting(r, job, now);
	run_blocked(r, job, &b);
}

/* Does any sink print the task's value (a factorial's digits)? */
int
job_wants_value(const struct job *job)
{
	return report_values(job->run->report);
}

/*
 * The libcurl multi handle of the job's pool of workers, made when a url
 * task first needs it.
 */
struct fetch_loop *
job_fetch_loop(struct job *job)
{
	struct run *r = job->run;
	size_t i = (size_t)(job->worker - r->workers) / RUN_POOL_WORKERS;

	if (r->fetch[i] == NULL)
		r->fetch[i] = fetch_loop_new(r->base, RUN_POOL_WORKERS);
	return r->fetch[i];
}

/*
 * The loop's DNS resolver (async tcp tasks), made when one first needs
 * it, from /etc/resolv.conf and /etc/hosts; NULL if it cannot be. It
 * lasts the run, and keeps no loop alive while idle.
 */
struct evdns_base *
job_dns_base(struct job *job)
{
	struct run *r = job->run;

	if (r->dns == NULL)
		r->dns = evdns_base_new(r->base,
		    EVDNS_BASE_INITIALIZE_NAMESERVERS |
		        EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	return r->dns;
}

/* An event of the run at now, with what type, worker and job it concerns. */
static void
run_event(struct run *r, struct report_event *ev, enum report_type type,
    struct worker *w, struct job *job, double now)
{
	memset(ev, 0, sizeof *ev);
	ev->type = type;
	ev->run = r->number;
	ev->at = now - r->start;
	ev->cf = r->cf;
	ev->mode = r->mode;
	ev->nworkers = r->nworkers;
	ev->ntasks = r->ntasks;
	ev->shard_k = (unsigned)r->first;
	ev->shard_n = (unsigned)r->stride;
	if (w != NULL) {
		ev->worker = w->name;
		ev->worker_index = (unsigned)(w - r->workers);
		ev->worker_tasks = w->ntasks;
		if (w->has_thread)
			ev->thread = &w->thread;
	}
	if (job != NULL) {
		ev->task = job->task;
		ev->result = &job->result;
	}
	if (type == REPORT_RUN_DONE) {
		ev->elapsed = r->end - r->start;
		ev->ok = r->ok;
		ev->failed = r->failed;
	}
}

/* Write an event; loop modes flush the sinks once per loop turn. */
static void
run_send(struct run *r, struct report_event *ev)
{
	report_emit(r->report, ev);
	if (r->mode != MODE_THREADS && !evtimer_pending(r->flush, NULL))
		evtimer_add(r->flush, &run_now);
}

/* Report an event at now, a time the caller has read already. */
static void
run_emit_at(struct run *r, enum report_type type, struct worker *w,
    struct job *job, double now)
{
	struct report_event ev;

	if (!report_listening(r->report))
		return;
	run_event(r, &ev, type, w, job, now);
	run_send(r, &ev);
}

static void
run_emit(
    struct run *r, enum report_type type, struct worker *w, struct job *job)
{
	if (report_listening(r->report))
		run_emit_at(r, type, w, job, clock_now());
}

static void
run_flush(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	report_flush(r->report);
}

/* The next task in the queue, or NULL when it is empty or stopping. */
static const struct task *
run_take(struct run *r)
{
	const struct task *t = NULL;

	run_lock(r);
	if (!r->stopping && r->taken < r->ntasks)
		t = &r->cf->tasks[r->first + r->taken++ * r->stride];
	run_unlock(r);
	return t;
}

/*
 * The worker's job, set up for task t from now. A worker's next task
 * starts as its last ends: one read of the clock for both.
 */
static struct job *
run_job_new(struct run *r, struct worker *w, const struct task *t, double now)
{
	struct job *job;

	job = &w->spare;
	job->run = r;
	job->worker = w;
	job->base = r->base;
	job->task = t;
	memset(&job->result, 0, sizeof job->result);
	job->result.attempt = 1;
	job->state = NULL;
	job->start = now;
	w->job = job;
	run_emit_at(r, REPORT_TASK_START, w, job, now);
	return job;
}

/*
 * Count and report a finished job; the worker keeps it for its next.
 * Returns when it ended.
 */
static double
run_job_end(struct job *job)
{
	struct worker *w = job->worker;
	struct run *r = job->run;
	double now = clock_now();

	job->result.elapsed = now - job->start;
	w->ntasks++;
	run_lock(r);
	if (job->result.ok)
		r->ok++;
	else
		r->failed++;
	if (!job->result.ok && job->result.unresolved)
		r->unresolved++;
	run_unlock(r);
	run_emit_at(r, REPORT_TASK_DONE, w, job, now);
	/* Nothing of this task may fire on the job's next one. */
	if (job->soon != NULL)
		evtimer_del(job->soon);
	if (job->timer != NULL)
		evtimer_del(job->timer);
	result_clear(&job->result);
	w->job = NULL;
	return now;
}

/* An attempt failed and another follows after wait seconds. */
void
job_retrying(struct job *job, double wait)
{
	struct report_event ev;

	run_event(
	    job->run, &ev, REPORT_TASK_RETRY, job->worker, job, clock_now());
	ev.wait = wait;
	run_send(job->run, &ev);
}

/*
 * With a rate, each start takes the next free slot, 1/rate apart: the
 * seconds to wait for it, whatever the number of workers.
 */
static double
run_rate_wait(struct run *r)
{
	double now, slot;

	if (r->cf->rate <= 0)
		return 0;
	run_lock(r);
	now = clock_now();
	slot = r->next_slot > now ? r->next_slot : now;
	r->next_slot = slot + 1 / r->cf->rate;
	run_unlock(r);
	return slot - now;
}

/* Run one task to its end on the calling thread. */
static void
run_blocking(struct run *r, struct worker *w, const struct task *t)
{
	struct job *job;
	double wait;

	if ((wait = run_rate_wait(r)) > 0 && run_wait(r, -1, 0, wait) < 0)
		return;
	job = run_job_new(r, w, t, clock_now());
	/* It may hold the loop's thread a while: what happened is out first. */
	if (r->mode != MODE_THREADS)
		report_flush(r->report);
	task_ops(t->kind)->run(job);
	run_job_end(job);
}

/* The run is over once every worker is; report it on the next turn. */
static void
run_worker_done(struct worker *w)
{
	struct run *r = w->run;
	int last;

	run_emit(r, REPORT_WORKER_DONE, w, NULL);
	run_lock(r);
	last = --r->active == 0;
	run_unlock(r);
	if (last)
		event_active(r->finish, EV_TIMEOUT, 0);
}

static void
run_finish(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	unsigned i;

	for (i = 0; i < r->nworkers; i++) {
		if (r->workers[i].has_thread) {
			pthread_join(r->workers[i].thread, NULL);
			r->workers[i].has_thread = 0;
		}
	}
	if (r->grace != NULL)
		evtimer_del(r->grace);
	evtimer_del(r->finish);
	/*
	 * The run's connections close with it: the multi's (async), and the
	 * loop thread's handle (sync, cooperative; each worker thread's
	 * closed with the thread).
	 */
	run_fetch_free(r);
	fetch_thread_done();
	r->end = clock_now();
	r->finished = 1;
	run_emit(r, REPORT_RUN_DONE, NULL, NULL);
	report_flush(r->report);
	if (r->done != NULL)
		r->done(r, r->arg);
}

/* sync: the current worker goes on until the queue is empty. */
static void
run_sync_step(struct run *r)
{
	struct worker *w = &r->workers[r->current];
	const struct task *t;

	if ((t = run_take(r)) != NULL) {
		run_blocking(r, w, t);
		evtimer_add(r->step, &run_now);
		return;
	}
	run_worker_done(w);
	if (++r->current < r->nworkers) {
		run_emit(r, REPORT_WORKER_START, &r->workers[r->current], NULL);
		evtimer_add(r->step, &run_now);
	}
}

/* cooperative: the first ready worker runs one task, then goes last. */
static void
run_cooperative_step(struct run *r)
{
	struct worker *w = TAILQ_FIRST(&r->ready);
	const struct task *t;

	TAILQ_REMOVE(&r->ready, w, entry);
	if ((t = run_take(r)) != NULL) {
		run_blocking(r, w, t);
		TAILQ_INSERT_TAIL(&r->ready, w, entry);
	} else
		run_worker_done(w);
	if (!TAILQ_EMPTY(&r->ready))
		evtimer_add(r->step, &run_now);
}

static void
run_step(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	if (r->mode == MODE_SYNC)
		run_sync_step(r);
	else
		run_cooperative_step(r);
}

static void
run_async_begin(struct worker *w, const struct task *t, double now)
{
	struct job *job;

	job = run_job_new(w->run, w, t, now);
	task_ops(t->kind)->start(job);
}

/* A rate slot came: start the task, unless the run is stopping. */
static void
run_async_slot(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	const struct task *t = w->pending;

	w->pending = NULL;
	if (run_stopping(w->run))
		run_worker_done(w);
	else
		run_async_begin(w, t, clock_now());
}

/* async: take the next task and start it (now, if no rate holds it). */
static void
run_async_next(struct worker *w, double now)
{
	struct run *r = w->run;
	const struct task *t;
	struct timeval tv;
	double wait;

	if ((t = run_take(r)) == NULL) {
		run_worker_done(w);
		return;
	}
	if ((wait = run_rate_wait(r)) <= 0) {
		run_async_begin(w, t, now);
		return;
	}
	if (w->wait == NULL &&
	    (w->wait = evtimer_new(r->base, run_async_slot, w)) == NULL)
		fatalx("evtimer_new failed");
	w->pending = t;
	tv = clock_tv(wait);
	evtimer_add(w->wait, &tv);
}

/* An async task is done: report it and take the next. */
void
job_finish(struct job *job)
{
	struct worker *w = job->worker;

	run_async_next(w, run_job_end(job));
}

static void
job_finish_now(evutil_socket_t fd, short what, void *arg)
{
	job_finish(arg);
}

/* Call cb(job) on the next loop turn, on the job's own event. */
void
job_soon(struct job *job, event_callback_fn cb)
{
	struct run *r = job->run;

	/*
	 * A common timeout is a queue: jobs that ask in one loop turn run
	 * in the order they asked (equal times in the timer heap need not).
	 */
	if (r->soon == NULL &&
	    (r->soon = event_base_init_common_timeout(r->base, &run_now)) ==
	        NULL)
		r->soon = &run_now;
	if (job->soon == NULL) {
		if ((job->soon = evtimer_new(job->base, cb, job)) == NULL)
			fatalx("evtimer_new failed");
	} else
		event_assign(job->soon, job->base, -1, 0, cb, job);
	evtimer_add(job->soon, r->soon);
}

/* Finish on the next loop turn: for tasks that end as they start. */
void
job_finish_soon(struct job *job)
{
	job_soon(job, job_finish_now);
}

/*
 * The worker's timer event: all in one array, as 100,000 events each of
 * its own allocation cost a page fault every 30 or so.
 */
static struct event *
run_timer_of(struct run *r, struct worker *w)
{
	if (r->timers == NULL) {
		r->timer_size = event_get_struct_event_size();
		r->timers = xcalloc(r->nworkers, r->timer_size);
		xhuge(r->timers, r->nworkers * r->timer_size);
	}
	return (struct event *)(r->timers +
	    (size_t)(w - r->workers) * r->timer_size);
}

/*
 * Call cb(job) after seconds, on the job's own timer. Timers of one length
 * share a libevent common timeout: a queue, not the timer heap, so that
 * 100,000 waiting delays cost O(1) each to add and to expire.
 */
void
job_timer(struct job *job, double seconds, event_callback_fn cb)
{
	struct run *r = job->run;
	const struct timeval *tv;
	struct timeval plain;

	plain = clock_tv(seconds);
	if (r->timeout == NULL || r->timeout_seconds != seconds) {
		r->timeout = event_base_init_common_timeout(r->base, &plain);
		r->timeout_seconds = seconds;
	}
	tv = r->timeout != NULL ? r->timeout : &plain;
	if (job->timer == NULL)
		job->timer = run_timer_of(r, job->worker);
	event_assign(job->timer, job->base, -1, 0, cb, job);
	/* The loop's cached time may be a callback old: count from now. */
	event_base_update_cache_time(job->base);
	evtimer_add(job->timer, tv);
}

/* Stop the job's timer, if it runs. */
void
job_timer_stop(struct job *job)
{
	if (job->timer != NULL)
		evtimer_del(job->timer);
}

static void *
run_thread(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	const struct task *t;

	/* Wait for the first tasks to be handed out, in worker order. */
	run_lock(r);
	while (!r->started)
		pthread_cond_wait(&r->start_cond, &r->lock);
	run_unlock(r);
	if ((t = w->pending) != NULL) {
		w->pending = NULL;
		run_blocking(r, w, t);
	}
	while ((t = run_take(r)) != NULL)
		run_blocking(r, w, t);
	fetch_thread_done();
	run_worker_done(w);
	return NULL;
}

/*
 * One thread per worker; a worker whose thread cannot start stays idle.
 * The threads wait until each has its first task, handed out in worker
 * order: which worker takes task 1 does not depend on which thread the
 * kernel happens to run first.
 */
static void
run_threads_start(struct run *r)
{
	static const struct timeval forever = {365 * 24 * 3600, 0};
	pthread_attr_t attr;
	unsigned i, failed = 0;
	struct worker *w;

	/* Keep the loop waiting until the last thread activates finish. */
	evtimer_add(r->finish, &forever);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, RUN_THREAD_STACK);
	for (i = 0; i < r->nworkers; i++) {
		w = &r->workers[i];
		if (pthread_create(&w->thread, &attr, run_thread, w) == 0)
			w->has_thread = 1;
		else
			failed++;
	}
	pthread_attr_destroy(&attr);
	for (i = 0; i < r->nworkers; i++) {
		w = &r->workers[i];
		run_emit(r, REPORT_WORKER_START, w, NULL);
		if (w->has_thread)
			w->pending = run_take(r);
		else
			run_worker_done(w);
	}
	run_lock(r);
	r->started = 1;
	pthread_cond_broadcast(&r->start_cond);
	run_unlock(r);
	if (failed > 0)
		log_warnx("could not start %u of %u worker threads; those "
		          "workers stay idle",
		    failed, r->nworkers);
}

/* Start the run on the loop; done is called when it is over. */
void
run_start(struct run *r, run_done_cb done, void *arg)
{
	unsigned i;

	r->done = done;
	r->arg = arg;
	r->step = evtimer_new(r->base, run_step, r);
	r->finish = evtimer_new(r->base, run_finish, r);
	r->flush = evtimer_new(r->base, run_flush, r);
	if (r->step == NULL || r->finish == NULL || r->flush == NULL)
		fatalx("evtimer_new failed");
	r->active = r->nworkers;
	r->start = clock_now();
	report_set_autoflush(r->report, r->mode == MODE_THREADS);
	run_emit(r, REPORT_RUN_START, NULL, NULL);
	switch (r->mode) {
	case MODE_SYNC:
		run_emit(r, REPORT_WORKER_START, &r->workers[0], NULL);
		evtimer_add(r->step, &run_now);
		break;
	case MODE_COOPERATIVE:
		for (i = 0; i < r->nworkers; i++) {
			run_emit(r, REPORT_WORKER_START, &r->workers[i], NULL);
			TAILQ_INSERT_TAIL(&r->ready, &r->workers[i], entry);
		}
		evtimer_add(r->step, &run_now);
		break;
	case MODE_THREADS:
		run_threads_start(r);
		break;
	case MODE_ASYNC:
		for (i = 0; i < r->nworkers; i++)
			run_emit(r, REPORT_WORKER_START, &r->workers[i], NULL);
		/* A first callback may hold the loop: the header goes first. */
		report_flush(r->report);
		for (i = 0; i < r->nworkers; i++)
			run_async_next(&r->workers[i], clock_now());
		break;
	}
}

/* Stop every task still running, recorded as cancelled. */
static void
run_cancel_all(struct run *r)
{
	static const uint64_t one = 1;
	struct job *job;
	unsigned i;

	run_lock(r);
	r->cancelled = 1;
	run_unlock(r);
	/* Blocking tasks wait on it, and end as cancelled. */
	if (write(r->cancel_fd, &one, sizeof one) != sizeof one)
		log_warn("eventfd");
	if (r->mode != MODE_ASYNC)
		return;
	for (i = 0; i < r->nworkers; i++) {
		if (r->workers[i].pending != NULL) {
			/* Waiting for a rate slot: never started. */
			evtimer_del(r->workers[i].wait);
			r->workers[i].pending = NULL;
			run_worker_done(&r->workers[i]);
			continue;
		}
		/* A job in a blocking wait ends itself, as cancelled. */
		if ((job = r->workers[i].job) == NULL || job == r->sleeping)
			continue;
		task_ops(job->task->kind)->cancel(job);
		job->result.ok = 0;
		job->result.cancelled = 1;
		free(job->result.error);
		job->result.error = xstrdup("stopped before it finished");
		job_finish(job);
	}
}

static void
run_grace_over(evutil_socket_t fd, short what, void *arg)
{
	run_cancel_all(arg);
}

/*
 * Stop: no new task starts; running tasks get grace seconds, then are
 * cancelled; a second stop cancels them at once. Async tasks are
 * cancelled by the loop; blocking ones wait on the run's cancel_fd, and
 * in sync and cooperative modes (where the task holds the loop's thread
 * and no timer can fire) watch stop_by themselves.
 */
void
run_stop(struct run *r, double grace)
{
	struct timeval tv;
	int again;

	if (r->finished)
		return;
	run_lock(r);
	again = r->stopping;
	r->stopping = 1;
	if (!again && grace > 0)
		r->stop_by = clock_now() + grace;
	run_unlock(r);
	if (again || grace <= 0) {
		run_cancel_all(r);
		return;
	}
	tv = clock_tv(grace);
	if ((r->grace = evtimer_new(r->base, run_grace_over, r)) == NULL)
		fatalx("evtimer_new failed");
	evtimer_add(r->grace, &tv);
}
