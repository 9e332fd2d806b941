/*
 * Events go to every sink in turn, under one lock (threads mode emits
 * from worker threads). Sinks buffer; the run flushes them once per loop
 * turn, or after each event when autoflush is on.
 */
#include "autoconf.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "report.h"
#include "xmalloc.h"

struct report_sink {
	report_emit_cb emit;
	report_flush_cb flush;
	report_free_cb free;
	void *arg;
	struct report_sink *next;
};

struct report {
	struct report_sink *sinks;
	struct report_sink **tail;
	pthread_mutex_t lock;
	int autoflush;
	int novalues;
};

static const char *const report_names[] = {
    [REPORT_RUN_START] = "run_start",
    [REPORT_WORKER_START] = "worker_start",
    [REPORT_TASK_START] = "task_start",
    [REPORT_TASK_RETRY] = "task_retry",
    [REPORT_TASK_DONE] = "task_done",
    [REPORT_WORKER_DONE] = "worker_done",
    [REPORT_RUN_DONE] = "run_done",
    [REPORT_LOOP_BLOCKED] = "loop_blocked",
};

const char *
report_event_name(enum report_type type)
{
	return report_names[type];
}

struct report *
report_new(void)
{
	struct report *r;

	r = xcalloc(1, sizeof *r);
	r->tail = &r->sinks;
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

void
report_free(struct report *r)
{
	struct report_sink *s, *next;

	if (r == NULL)
		return;
	report_flush(r);
	for (s = r->sinks; s != NULL; s = next) {
		next = s->next;
		if (s->free != NULL)
			s->free(s->arg);
		free(s);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* Sinks get events in the order they were added. */
void
report_add(struct report *r, report_emit_cb emit, report_flush_cb flush,
    report_free_cb fr, void *arg)
{
	struct report_sink *s;

	s = xcalloc(1, sizeof *s);
	s->emit = emit;
	s->flush = flush;
	s->free = fr;
	s->arg = arg;
	*r->tail = s;
	r->tail = &s->next;
}

void
report_set_autoflush(struct report *r, int on)
{
	r->autoflush = on;
}

static void
report_flush_locked(struct report *r)
{
	struct report_sink *s;

	for (s = r->sinks; s != NULL; s = s->next) {
		if (s->flush != NULL)
			s->flush(s->arg);
	}
}

/* Whether any sink listens: without one, events need not be made. */
int
report_listening(const struct report *r)
{
	return r->sinks != NULL;
}

/* No sink prints task values (quiet without results): say so. */
void
report_set_values(struct report *r, int on)
{
	r->novalues = !on;
}

/* Whether a sink prints values: a factorial converts only then. */
int
report_values(const struct report *r)
{
	return r->sinks != NULL && !r->novalues;
}

/* Stamp an event with the wall time and hand it to every sink. */
void
report_emit(struct report *r, struct report_event *ev)
{
	struct report_sink *s;

	pthread_mutex_lock(&r->lock);
	ev->wall = clock_wall();
	for (s = r->sinks; s != NULL; s = s->next)
		s->emit(ev, s->arg);
	if (r->autoflush)
		report_flush_locked(r);
	pthread_mutex_unlock(&r->lock);
}

void
report_flush(struct report *r)
{
	pthread_mutex_lock(&r->lock);
	report_flush_locked(r);
	pthread_mutex_unlock(&r->lock);
}

/*
 * Flush, unless another thread holds the lock for longer than seconds:
 * for an ending that must not hang (out of memory).
 */
void
report_flush_within(struct report *r, double seconds)
{
	struct timespec until;

	if (r == NULL)
		return;
	until = clock_ts(clock_wall() + seconds);
	if (pthread_mutex_timedlock(&r->lock, &until) != 0)
		return;
	report_flush_locked(r);
	pthread_mutex_unlock(&r->lock);
}
