/* One run of a task list: the queue, the workers, the four modes. */
#ifndef RUN_H
#define RUN_H

#include <stddef.h>

#include "config.h"

struct event_base;
struct fetch_loop;
struct report;
struct run;

typedef void (*run_done_cb)(struct run *, void *);

/* A task callback that held the loop longer than the threshold. */
struct run_block {
	double at;
	double held;
	unsigned worker;
	const struct task *task;
	unsigned index; /* the task's */
	unsigned waited;
};
typedef void (*run_block_cb)(const struct run_block *, void *);

struct run *run_new(struct event_base *, const struct config *, enum mode,
    struct report *, unsigned);
void run_set_shard(struct run *, unsigned, unsigned);
void run_set_block(struct run *, double, run_block_cb, void *);
void run_start(struct run *, run_done_cb, void *);
void run_stop(struct run *, double);
void run_free(struct run *);
size_t run_failed(const struct run *);
size_t run_ok(const struct run *);
size_t run_unresolved(const struct run *);
double run_elapsed(const struct run *);

#endif
