/* Task kinds: each a small table of operations on a job. */
#ifndef TASK_H
#define TASK_H

#include <stddef.h>
#include <stdio.h>

#include <event2/event.h>

#include "config.h"

struct evdns_base;
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

	/* url: dns, connect, tls, ttfb, total in seconds (< 0: unknown). */
	double timings[5];
	int has_timings;
	long long cert_expires; /* url, https: the certificate's end (unix) */
	char *output; /* exec: the start of stdout and stderr */
	int signal; /* exec: the signal that ended it, or 0 */
};

/* The names of a url result's timings, in order. */
extern const char *const task_timing_names[5];

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

/* A typed value a kind gives JSON; report-json.c decides how it looks. */
enum json_value {
	JSON_VALUE_NULL,
	JSON_VALUE_INT,
	JSON_VALUE_UINT,
	JSON_VALUE_REAL,
	JSON_VALUE_STR,
	JSON_VALUE_REALS, /* an object of n reals by name; < 0 is null */
};

struct task_json {
	const char *key; /* only for the fields a kind adds */
	enum json_value type;
	union {
		long long i;
		unsigned long long u;
		double d;
		const char *s;
		struct {
			const char *const *keys;
			const double *d;
			size_t n;
		} reals;
	} v;
};

/* The most fields a kind adds to task_done. */
#define TASK_JSON_FIELDS 8

/*
 * run blocks until the task is done and fills the result. start begins it
 * on the job's loop without blocking and calls job_finish later, never
 * from inside start. cancel stops a started task without finishing it.
 *
 * The rest is how a kind reads, so that no report switches on the kind.
 * Text comes back raw: whoever writes it escapes it for its medium,
 * except outcome, which escapes what the task did not make itself (a
 * url's preview). A url's str is already the masked form; the real one
 * (config_url) is never shown.
 */
struct task_ops {
	void (*run)(struct job *);
	void (*start)(struct job *);
	void (*cancel)(struct job *);

	/* The argument as written ("4", "40", the url): in buf or its own. */
	const char *(*arg)(const struct task *, char *, size_t);
	/* A finished task's result for the text report; int: verbose. */
	void (*outcome)(
	    FILE *, const struct task *, const struct result *, int);
	/* task_start's and task_done's "arg". */
	void (*json_arg)(const struct task *, struct task_json *);
	/* task_done's "result" when not cancelled. */
	void (*json_result)(
	    const struct task *, const struct result *, struct task_json *);
	/* The fields it adds to task_done (TASK_JSON_FIELDS at most). */
	size_t (*json_fields)(
	    const struct task *, const struct result *, struct task_json *);
	/* A timeline bar's label into buf; int: brief ("4 s", "40!"). */
	void (*label)(const struct task *, int, char *, size_t);
	/* The one number of an ok result a timeline keeps for brief. */
	unsigned long long (*tally)(const struct result *);
	/* An ok result in a few words from its tally and bytes, into buf. */
	void (*brief)(const struct task *, unsigned long long,
	    unsigned long long, char *, size_t);
	/*
	 * Colours: a bar's SVG fill (light enough for black text) and
	 * stroke (dark enough for a projector), the text chart's SGR.
	 */
	const char *fill;
	const char *stroke;
	const char *sgr;
};

extern const struct task_ops task_delay_ops;
extern const struct task_ops task_factorial_ops;
extern const struct task_ops task_url_ops;
extern const struct task_ops task_file_ops;
extern const struct task_ops task_tcp_ops;
extern const struct task_ops task_exec_ops;

const struct task_ops *task_ops(enum task_kind);
void task_json_null(struct task_json *, const char *);
void task_json_int(struct task_json *, const char *, long long);
void task_json_uint(struct task_json *, const char *, unsigned long long);
void task_json_real(struct task_json *, const char *, double);
void task_json_str(struct task_json *, const char *, const char *);
void task_json_reals(struct task_json *, const char *, const char *const *,
    const double *, size_t);
void job_finish(struct job *);
void job_finish_soon(struct job *);
void job_soon(struct job *, event_callback_fn);
void job_timer(struct job *, double, event_callback_fn);
void job_timer_stop(struct job *);
void job_fail(struct job *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
const struct config *job_config(const struct job *);
struct fetch_loop *job_fetch_loop(struct job *);
struct evdns_base *job_dns_base(struct job *);
int job_wants_value(const struct job *);
void job_retrying(struct job *, double);
void job_enter(struct job *);
void job_leave(struct job *);
int job_sleep(struct job *, double);
int job_wait(struct job *, int, short, double);
int job_stopped(struct job *);
void result_clear(struct result *);

#endif
