/*
 * Execution timelines: what each worker ran when, and when the CPU was
 * busy, recorded from run events and drawn as a terminal chart, an SVG
 * or a Chrome trace.
 */
#ifndef TIMELINE_H
#define TIMELINE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "config.h"

struct report;
struct report_event;
struct run_block;

/*
 * One task as it ran; times are seconds from the run's start. Kept small
 * (a run may hold a million): the argument and the outcome are made into
 * text only when drawn (timeline_arg, timeline_outcome).
 */
struct timeline_task {
	unsigned worker;
	unsigned index;
	uint8_t kind;
	uint8_t done;
	uint8_t ok;
	uint8_t cancelled;
	double start;
	double end;
	double elapsed;
	union {
		double seconds;
		unsigned long n;
	} num;
	char *str; /* a url's or a file's argument */
	char *error; /* when failed, shortened */
	unsigned long long count; /* digits, HTTP status or lines */
	unsigned long long bytes;
};

/* Room for a task's argument or outcome as text. */
#define TIMELINE_TEXT 96

/* How busy one thread was from start to end, 0 to 1. */
struct timeline_slice {
	double start;
	double end;
	double busy;
};

/* The executor's track: its pool's threads, together. */
#define TIMELINE_EXECUTOR (-2)

/*
 * Threads whose CPU time is sampled: the loop (worker -1), a worker's
 * thread, or the executor's pool (TIMELINE_EXECUTOR, read through cpu).
 */
struct timeline_track {
	char *name;
	int worker;
	double (*cpu)(void); /* else the thread's clock */
	clockid_t clock;
	int live;
	double cpu0;
	double last_cpu;
	double last_at;
	struct timeline_slice *slices;
	size_t nslices;
	size_t cap;
};

/* One callback or task that held the event loop too long. */
struct timeline_block {
	double start;
	double end;
	unsigned worker;
	unsigned index;
	enum task_kind kind;
	char *arg;
	unsigned waited;
};

/* One recorded run. */
struct timeline_run {
	unsigned number;
	char *name;
	enum mode mode;
	unsigned merged; /* --merge: the files it came from; 0: a real run */
	double time_scale; /* the delays were multiplied by this */
	unsigned nworkers;
	char **workers;
	size_t ntasks;
	double elapsed;
	size_t ok;
	size_t failed;
	struct timeline_task *tasks;
	size_t ntask;
	size_t cap;
	size_t *current;
	struct timeline_track *tracks;
	unsigned ntracks;
	struct timeline_block *blocks;
	size_t nblocks;
};

struct timeline;

/* Recording. */
struct timeline *timeline_new(int);
void timeline_free(void *);
void timeline_run_free(struct timeline_run *);
void timeline_add(struct report *, struct timeline *);
void timeline_emit(const struct report_event *, void *);
void timeline_keep(struct timeline *, int);
void timeline_blocked(const struct run_block *, void *);
size_t timeline_count(const struct timeline *);
const struct timeline_run *timeline_get(const struct timeline *, size_t);
const struct timeline_run *timeline_last(const struct timeline *);
const struct timeline_track *timeline_track_of(
    const struct timeline_run *, int);
double timeline_busy(const struct timeline_track *, double, double);
double timeline_cpu(const struct timeline_run *);
int timeline_track_shown(const struct timeline_run *, unsigned);
char *timeline_task_arg(const struct task *);
const char *timeline_arg(const struct timeline_task *, char *, size_t);
const char *timeline_outcome(const struct timeline_task *, char *, size_t);
const char *timeline_label(const struct timeline_task *, int, char *, size_t);

/* Drawing, shared by the charts: the axis's ticks, the bars' order. */
struct timeline_ticks {
	double span;
	double step;
	double t;
};

typedef void (*timeline_bar_cb)(const struct timeline_task *, int, void *);

double timeline_tick_step(double, double, double);
void timeline_ticks_init(struct timeline_ticks *, double, double);
int timeline_ticks_next(struct timeline_ticks *, double *, double *);
void timeline_bars(const struct timeline_run *, int, timeline_bar_cb, void *);

/* A task bar in an SVG is this many pixels wide at least. */
#define TIMELINE_SVG_MIN_BAR 6

void timeline_text_print(FILE *, const struct timeline_run *, double, int, int);
int timeline_text_width(void);
int timeline_svg_write(
    const char *, const struct timeline_run *const *, size_t, double, char **);
int timeline_trace_write(
    const char *, const struct timeline_run *const *, size_t, char **);

#endif
