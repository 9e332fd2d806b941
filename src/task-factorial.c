/*
 * The factorial task: the engine (factorial.c) run by the same
 * multiplications in every mode. In async mode the product is built
 * yield_every multiplications per loop turn, on the loop's thread as
 * asyncio would, whatever they cost; blocking modes do them all at once.
 * The last multiplications are of big numbers and hold the loop, as they
 * would in Python; the decimal conversion takes a loop turn of its own.
 * With offload (run_in_executor) the whole task, product and conversion,
 * runs on the executor's pool instead and wakes the loop when it is done.
 */
#include "autoconf.h"

#include <limits.h>
#include <stdlib.h>

#include <event2/event.h>

#include "clock.h"
#include "factorial.h"
#include "log.h"
#include "task.h"
#include "xmalloc.h"

/* Longest run of yields, in seconds, before the loop polls again. */
#define FACTORIAL_POLL 0.001

/* An async factorial task: its product and its loop turns. */
struct task_factorial {
	struct factorial *f;
	struct event *ev;
	unsigned long yields;
	double polled;
	int offloaded;
};

/*
 * Blocking modes: the same multiplications as async mode's, all at once,
 * so that a comparison of the modes compares their scheduling and not
 * two algorithms. The value as digits when a sink prints it, else only
 * their count.
 */
static void
task_factorial_run(struct job *job)
{
	struct factorial *f;

	f = factorial_new(job->task->arg.n);
	while (factorial_step(f, UINT_MAX) != FACTORIAL_DONE)
		;
	if (!job_wants_value(job)) {
		job->result.digits = factorial_digits(f);
		factorial_free(f);
	} else
		job->result.value = factorial_finish(f, &job->result.digits);
	job->result.ok = 1;
}

/* Free the task; from then on the pool wakes no one through its event. */
static void
task_factorial_free(struct task_factorial *tf)
{
	if (tf == NULL)
		return;
	factorial_free(tf->f);
	event_free(tf->ev);
	free(tf);
}

/*
 * Back to the loop without a timer (a 0 s timer costs a timerfd_settime
 * with precise timers). An active event runs after the others already
 * active, but libevent would run it again before polling: so at least
 * every FACTORIAL_POLL the loop is told to poll for I/O and timers first.
 */
static void
task_factorial_yield(struct job *job, struct task_factorial *tf)
{
	double now;

	tf->yields++;
	event_active(tf->ev, EV_TIMEOUT, 0);
	now = clock_now();
	if (now - tf->polled >= FACTORIAL_POLL) {
		tf->polled = now;
		event_base_loopcontinue(job->base);
	}
}

/* The pool is done: the loop finishes the task. */
static void
task_factorial_wake(void *arg)
{
	event_active(arg, EV_TIMEOUT, 0);
}

/*
 * Offload the task. Its event waits first as a timer that never comes
 * due, so that a loop with nothing else to wait for waits for the wake
 * (added after the wake, the timer would cancel it).
 */
static int
task_factorial_offload(struct job *job, struct task_factorial *tf)
{
	static const struct timeval forever = {365 * 24 * 3600, 0};

	factorial_set_convert(tf->f, job_wants_value(job));
	event_add(tf->ev, &forever);
	if (factorial_offload(tf->f, task_factorial_wake, tf->ev) == 0) {
		tf->offloaded = 1;
		return 0;
	}
	event_del(tf->ev);
	return -1;
}

/*
 * The product is complete (and converted, when a sink prints values):
 * record it and finish the job.
 */
static void
task_factorial_done(struct job *job, struct task_factorial *tf)
{
	job->result.yields = tf->yields;
	job->state = NULL;
	if (job_wants_value(job))
		job->result.value =
		    factorial_finish(tf->f, &job->result.digits);
	else {
		job->result.digits = factorial_digits(tf->f);
		factorial_free(tf->f);
	}
	tf->f = NULL;
	task_factorial_free(tf);
	job->result.ok = 1;
}

/*
 * One loop turn of the task: yield_every multiplications; once the
 * product is complete, the conversion in a turn of its own. Offloaded,
 * the turn after the pool's wake.
 */
static void
task_factorial_slice(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;
	struct task_factorial *tf = job->state;

	job_enter(job);
	if (tf->offloaded) {
		if (factorial_helping(tf->f)) {
			job_leave(job);
			return;
		}
	} else if (!factorial_complete(tf->f)) {
		if (factorial_step(tf->f, job->task->opts->yield_every) ==
		        FACTORIAL_MORE ||
		    job_wants_value(job)) {
			task_factorial_yield(job, tf);
			job_leave(job);
			return;
		}
	}
	task_factorial_done(job, tf);
	job_leave(job);
	job_finish(job);
}

static void
task_factorial_start(struct job *job)
{
	struct task_factorial *tf;

	tf = xcalloc(1, sizeof *tf);
	tf->f = factorial_new(job->task->arg.n);
	if ((tf->ev = event_new(job->base, -1, 0, task_factorial_slice, job)) ==
	    NULL)
		fatalx("event_new");
	tf->polled = clock_now();
	job->state = tf;
	if ((job->task->flags & TASK_OFFLOAD) &&
	    task_factorial_offload(job, tf) == 0)
		return;
	event_active(tf->ev, EV_TIMEOUT, 0);
}

static void
task_factorial_cancel(struct job *job)
{
	task_factorial_free(job->state);
	job->state = NULL;
}

/* How a factorial reads. Longer values than this are shortened in text. */
#define TASK_FACTORIAL_DIGITS 70

static const char *
task_factorial_arg(const struct task *t, char *buf, size_t len)
{
	snprintf(buf, len, "%lu", t->arg.n);
	return buf;
}

static void
task_factorial_outcome(
    FILE *f, const struct task *t, const struct result *r, int verbose)
{
	size_t d = r->digits;

	if (d <= TASK_FACTORIAL_DIGITS)
		fprintf(f, "= %s", r->value);
	else
		fprintf(f, "= %.20s...%s (%zu digits)", r->value,
		    r->value + d - 10, d);
	if (verbose && r->yields > 0)
		fprintf(f, ", %lu yields to the loop", r->yields);
}

static void
task_factorial_json_arg(const struct task *t, struct task_json *j)
{
	task_json_uint(j, NULL, t->arg.n);
}

static void
task_factorial_json_result(
    const struct task *t, const struct result *r, struct task_json *j)
{
	if (r->value != NULL)
		task_json_str(j, NULL, r->value);
	else
		task_json_null(j, NULL);
}

static size_t
task_factorial_json_fields(
    const struct task *t, const struct result *r, struct task_json *j)
{
	size_t n = 0;

	if (r->value != NULL)
		task_json_int(&j[n++], "digits", (long long)r->digits);
	if (r->yields > 0)
		task_json_int(&j[n++], "yields", (long long)r->yields);
	return n;
}

static void
task_factorial_label(const struct task *t, int brief, char *buf, size_t len)
{
	snprintf(buf, len, brief ? "%lu!" : "factorial %lu", t->arg.n);
}

static unsigned long long
task_factorial_tally(const struct result *r)
{
	return r->digits;
}

static void
task_factorial_brief(const struct task *t, unsigned long long digits,
    unsigned long long bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%llu digits", digits);
}

const struct task_ops task_factorial_ops = {
    task_factorial_run,
    task_factorial_start,
    task_factorial_cancel,
    .arg = task_factorial_arg,
    .outcome = task_factorial_outcome,
    .json_arg = task_factorial_json_arg,
    .json_result = task_factorial_json_result,
    .json_fields = task_factorial_json_fields,
    .label = task_factorial_label,
    .tally = task_factorial_tally,
    .brief = task_factorial_brief,
    .fill = "#ffb366",
    .stroke = "#b35900",
    .sgr = "\033[30;103m",
};
