/* Task kinds: each a small table of operations on a job. */
#ifndef TASK_H
#define TASK_H

#include <stddef.h>

#include <event2/event.h>

#include "config.h"

struct fetch_loop;
struct run;
struct worker;

/* What a finished task recorded; fields beyond the first few per kind. */
struct result {
	int ok;
	int cancelled;
	double elapsed;
	char *error;
	char *value;
	size_t digits;
	unsigned long yields;
	long status;
	unsigned long long bytes;
	unsigned long long lines;
	char *preview;
	unsigned attempt;
	int unresolved; /* url: its host name did not resolve */
};

/* One task being run by one worker. */
struct job {
	struct run *run;
	struct worker *worker;
	const struct task *task;
	struct event_base *base;
	double start;
	struct result result;
	void *state;
	struct event *soon;
	struct event *timer;
};

/*
 * run blocks until the task is done and fills the result. start begins it
 * on the job's loop without blocking and calls job_finish later, never
 * from inside start. cancel stops a started task without finishing it.
 */
struct task_ops {
	void (*run)(struct job *);
	void (*start)(struct job *);
	void (*cancel)(struct job *);
};

extern const struct task_ops task_delay_ops;
extern const struct task_ops task_factorial_ops;
extern const struct task_ops task_url_ops;
extern const struct task_ops task_file_ops;

const struct task_ops *task_ops(enum task_kind);
void job_finish(struct job *);
void job_finish_soon(struct job *);
void job_soon(struct job *, event_callback_fn);
void job_timer(struct job *, double, event_callback_fn);
void job_timer_stop(struct job *);
void job_fail(struct job *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
const struct config *job_config(const struct job *);
struct fetch_loop *job_fetch_loop(struct job *);
int job_wants_value(const struct job *);
void job_retrying(struct job *, double);
void job_enter(struct job *);
void job_leave(struct job *);
int job_sleep(struct job *, double);
int job_wait(struct job *, int, short, double);
int job_stopped(struct job *);
void result_clear(struct result *);

#endif
