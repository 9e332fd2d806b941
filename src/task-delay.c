/*
 * delay: sleep (blocking modes) or a libevent timer (async). A blocking
 * delay sleeps holding its thread in every mode, as time.sleep() inside
 * a coroutine does: in async mode that thread is the loop's, and every
 * worker waits with it.
 */
#include "autoconf.h"

#include "task.h"

static void
task_delay_run(struct job *job)
{
	if (job_sleep(job, job->task->arg.seconds) == 0) {
		job->result.ok = 1;
		return;
	}
	job->result.cancelled = 1;
	job_fail(job, "stopped before it finished");
}

static void
task_delay_fire(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;

	job->result.ok = 1;
	job_finish(job);
}

/* The loop turn of a blocking delay: it sleeps, and the loop with it. */
static void
task_delay_block(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;

	job_enter(job);
	task_delay_run(job);
	job_leave(job);
	job_finish(job);
}

static void
task_delay_start(struct job *job)
{
	if (job->task->flags & TASK_BLOCKING)
		job_soon(job, task_delay_block);
	else
		job_timer(job, job->task->arg.seconds, task_delay_fire);
}

static void
task_delay_cancel(struct job *job)
{
	job_timer_stop(job);
}

/* "4": the seconds as written. */
static const char *
task_delay_arg(const struct task *t, char *buf, size_t len)
{
	snprintf(buf, len, "%g", t->arg.seconds);
	return buf;
}

static void
task_delay_outcome(
    FILE *f, const struct task *t, const struct result *r, int verbose)
{
	fprintf(f, "slept %g s", t->arg.seconds);
}

static void
task_delay_json_arg(const struct task *t, struct task_json *j)
{
	task_json_real(j, NULL, t->arg.seconds);
}

static void
task_delay_json_result(
    const struct task *t, const struct result *r, struct task_json *j)
{
	if (r->ok)
		task_json_real(j, NULL, t->arg.seconds);
	else
		task_json_null(j, NULL);
}

static size_t
task_delay_json_fields(
    const struct task *t, const struct result *r, struct task_json *j)
{
	return 0;
}

static void
task_delay_label(const struct task *t, int brief, char *buf, size_t len)
{
	snprintf(buf, len, brief ? "%g s" : "delay %g", t->arg.seconds);
}

static unsigned long long
task_delay_tally(const struct result *r)
{
	return 0;
}

static void
task_delay_brief(const struct task *t, unsigned long long tally,
    unsigned long long bytes, char *buf, size_t len)
{
	snprintf(buf, len, "slept %g s", t->arg.seconds);
}

const struct task_ops task_delay_ops = {
    .run = task_delay_run,
    .start = task_delay_start,
    .cancel = task_delay_cancel,
    .arg = task_delay_arg,
    .outcome = task_delay_outcome,
    .json_arg = task_delay_json_arg,
    .json_result = task_delay_json_result,
    .json_fields = task_delay_json_fields,
    .label = task_delay_label,
    .tally = task_delay_tally,
    .brief = task_delay_brief,
    .fill = "#8fc0ea",
    .stroke = "#2c5d8f",
    .sgr = "\033[30;104m",
};
