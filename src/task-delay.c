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
	if (job_sleep(job, job->task->num.seconds) == 0) {
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
		job_timer(job, job->task->num.seconds, task_delay_fire);
}

static void
task_delay_cancel(struct job *job)
{
	job_timer_stop(job);
}

const struct task_ops task_delay_ops = {
    task_delay_run,
    task_delay_start,
    task_delay_cancel,
};
