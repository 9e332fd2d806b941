/* One run of a task list: the queue, the workers, the four modes. */
#ifndef RUN_H
#define RUN_H

#include <stddef.h>

#include "config.h"

struct event_base;
struct report;
struct run;

typedef void (*run_done_cb)(struct run *, void *);

struct run *run_new(
    struct event_base *, const struct config *, struct report *, unsigned);
void run_set_shard(struct run *, unsigned, unsigned);
void run_start(struct run *, run_done_cb, void *);
void run_stop(struct run *, double);
void run_free(struct run *);
size_t run_failed(const struct run *);
size_t run_ok(const struct run *);
double run_elapsed(const struct run *);

#endif
