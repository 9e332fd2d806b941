/* A small pool of threads for work handed off the loop (run_in_executor). */
#ifndef EXECUTOR_H
#define EXECUTOR_H

#include <sys/queue.h>

struct executor_work;

typedef void (*executor_fn)(struct executor_work *);

/* One piece of work; embedded in what it works on. */
struct executor_work {
	executor_fn fn;
	int queued;
	TAILQ_ENTRY(executor_work) entry;
};

int executor_submit(struct executor_work *, executor_fn);
int executor_cancel(struct executor_work *);
unsigned executor_size(void);
unsigned executor_threads(void);
double executor_cpu(void);
void executor_shutdown(void);

#endif
