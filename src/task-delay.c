/* delay: sleep (blocking) or a libevent timer (async). */
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

static void
task_delay_start(struct job *job)
{
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
