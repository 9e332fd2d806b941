/* delay: sleep (blocking) or a libevent timer (async). */
#include "autoconf.h"

#include <math.h>
#include <stdlib.h>

#include <event2/event.h>

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

	event_free(job->state);
	job->state = NULL;
	job->result.ok = 1;
	job_finish(job);
}

static void
task_delay_start(struct job *job)
{
	double s = job->task->num.seconds, whole;
	struct timeval tv;

	tv.tv_usec = (suseconds_t)(modf(s, &whole) * 1e6);
	tv.tv_sec = (time_t)whole;
	job->state = evtimer_new(job->base, task_delay_fire, job);
	/* The loop's cached time may be a callback old: count from now. */
	event_base_update_cache_time(job->base);
	evtimer_add(job->state, &tv);
}

static void
task_delay_cancel(struct job *job)
{
	if (job->state != NULL)
		event_free(job->state);
	job->state = NULL;
}

const struct task_ops task_delay_ops = {
    task_delay_run,
    task_delay_start,
    task_delay_cancel,
};
