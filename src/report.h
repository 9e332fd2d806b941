/* Run events and the sinks that write them: text, JSON Lines, results. */
#ifndef REPORT_H
#define REPORT_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "clock.h"
#include "config.h"

struct config;
struct outfile;
struct result;
struct task;

enum report_type {
	REPORT_RUN_START,
	REPORT_WORKER_START,
	REPORT_TASK_START,
	REPORT_TASK_RETRY,
	REPORT_TASK_DONE,
	REPORT_WORKER_DONE,
	REPORT_RUN_DONE,
	REPORT_LOOP_BLOCKED,
};

/* One event; which fields are set depends on the type. */
struct report_event {
	enum report_type type;
	double wall;
	unsigned run;
	double at;
	const struct config *cf;
	enum mode mode; /* the run's, not always the file's */
	unsigned nworkers;
	size_t ntasks;
	const char *worker;
	unsigned worker_index;
	const pthread_t *thread; /* threads mode: the worker's own thread */
	unsigned shard_k;
	unsigned shard_n;
	const struct task *task;
	const struct result *result;
	unsigned long worker_tasks;
	double elapsed;
	double wait;
	double held; /* loop_blocked: seconds the loop was held */
	size_t ok;
	size_t failed;
};

typedef void (*report_emit_cb)(const struct report_event *, void *);
typedef void (*report_flush_cb)(void *);
typedef void (*report_free_cb)(void *);

struct report;

struct report *report_new(void);
void report_free(struct report *);
void report_add(
    struct report *, report_emit_cb, report_flush_cb, report_free_cb, void *);
int report_listening(const struct report *);
void report_set_values(struct report *, int);
int report_values(const struct report *);
void report_emit(struct report *, struct report_event *);
void report_flush(struct report *);
void report_flush_within(struct report *, double);
void report_set_autoflush(struct report *, int);

/* The sinks. */
void report_text_add(struct report *, FILE *, int, int);
void report_json_add(struct report *, FILE *);
void report_results_add(struct report *, struct outfile *);
char *report_json_line(const struct report_event *);
char *report_json_tasks(const struct config *);
const char *report_event_name(enum report_type);

#endif
