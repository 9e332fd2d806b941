/*
 * factorial: the exact value with GMP. Blocking modes call mpz_fac_ui. In
 * async mode the product is built as a balanced tree, a few
 * multiplications per loop turn (yield_every), so the loop stays free and
 * a large factorial costs little more than mpz_fac_ui.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <gmp.h>

#include "clock.h"
#include "task-factorial.h"
#include "task.h"
#include "xmalloc.h"

/* Numbers multiplied into one leaf of the product tree. */
#define FACTORIAL_LEAF 16

/* Longest run of yields, in seconds, before the loop polls again. */
#define FACTORIAL_POLL 0.001

struct factorial {
	unsigned long n;
	unsigned long next;
	mpz_t *stack;
	unsigned *level;
	size_t depth;
	size_t cap;
	mpz_t leaf;
	unsigned inleaf;
	struct event *ev;
	unsigned long yields;
	double polled;
};

/* n! as a decimal string, with its digit count. */
char *
factorial_compute(unsigned long n, size_t *digits)
{
	mpz_t x;
	char *s;

	mpz_init(x);
	mpz_fac_ui(x, n);
	s = mpz_get_str(NULL, 10, x);
	mpz_clear(x);
	*digits = strlen(s);
	return s;
}

struct factorial *
factorial_new(unsigned long n)
{
	struct factorial *f;

	f = xcalloc(1, sizeof *f);
	f->n = n;
	f->next = 2;
	mpz_init_set_ui(f->leaf, 1);
	return f;
}

/* Push a finished leaf and merge equal levels, as a binary counter. */
static unsigned
factorial_push(struct factorial *f)
{
	unsigned muls = 0, lvl = 0;

	while (f->depth > 0 && f->level[f->depth - 1] == lvl) {
		mpz_mul(f->leaf, f->leaf, f->stack[f->depth - 1]);
		mpz_clear(f->stack[--f->depth]);
		lvl++;
		muls++;
	}
	if (f->depth == f->cap) {
		f->cap = f->cap == 0 ? 16 : f->cap * 2;
		f->stack = xreallocarray(f->stack, f->cap, sizeof *f->stack);
		f->level = xreallocarray(f->level, f->cap, sizeof *f->level);
	}
	mpz_init_set(f->stack[f->depth], f->leaf);
	f->level[f->depth++] = lvl;
	mpz_set_ui(f->leaf, 1);
	f->inleaf = 0;
	return muls;
}

/* Do about budget multiplications; 1 when the product is complete. */
int
factorial_step(struct factorial *f, unsigned budget)
{
	unsigned done = 0;

	while (done < budget && f->next <= f->n) {
		mpz_mul_ui(f->leaf, f->leaf, f->next++);
		done++;
		if (++f->inleaf == FACTORIAL_LEAF)
			done += factorial_push(f);
	}
	if (f->next <= f->n)
		return 0;
	/* Fold what is left, smallest first. */
	while (done < budget && f->depth > 0) {
		mpz_mul(f->leaf, f->leaf, f->stack[f->depth - 1]);
		mpz_clear(f->stack[--f->depth]);
		done++;
	}
	return f->depth == 0;
}

/* The finished value as a decimal string; frees the factorial. */
char *
factorial_finish(struct factorial *f, size_t *digits)
{
	char *s;

	s = mpz_get_str(NULL, 10, f->leaf);
	*digits = strlen(s);
	factorial_free(f);
	return s;
}

void
factorial_free(struct factorial *f)
{
	if (f == NULL)
		return;
	while (f->depth > 0)
		mpz_clear(f->stack[--f->depth]);
	free(f->stack);
	free(f->level);
	mpz_clear(f->leaf);
	if (f->ev != NULL)
		event_free(f->ev);
	free(f);
}

static void
task_factorial_run(struct job *job)
{
	job->result.value =
	    factorial_compute(job->task->num.n, &job->result.digits);
	job->result.ok = 1;
}

/*
 * Back to the loop without a timer (a 0 s timer costs a timerfd_settime
 * with precise timers). An active event runs after the others already
 * active, but libevent would run it again before polling: so at least
 * every FACTORIAL_POLL the loop is told to poll for I/O and timers first.
 */
static void
task_factorial_yield(struct job *job, struct factorial *f)
{
	double now;

	f->yields++;
	event_active(f->ev, EV_TIMEOUT, 0);
	now = clock_now();
	if (now - f->polled >= FACTORIAL_POLL) {
		f->polled = now;
		event_base_loopcontinue(job->base);
	}
}

/* One slice of work, then back to the loop. */
static void
task_factorial_slice(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;
	struct factorial *f = job->state;

	job_enter(job);
	if (!factorial_step(f, job->task->opts->yield_every)) {
		job_leave(job);
		task_factorial_yield(job, f);
		return;
	}
	job->result.yields = f->yields;
	job->state = NULL;
	job->result.value = factorial_finish(f, &job->result.digits);
	job->result.ok = 1;
	job_leave(job);
	job_finish(job);
}

static void
task_factorial_start(struct job *job)
{
	struct factorial *f;

	f = factorial_new(job->task->num.n);
	f->ev = event_new(job->base, -1, 0, task_factorial_slice, job);
	f->polled = clock_now();
	job->state = f;
	event_active(f->ev, EV_TIMEOUT, 0);
}

static void
task_factorial_cancel(struct job *job)
{
	factorial_free(job->state);
	job->state = NULL;
}

const struct task_ops task_factorial_ops = {
    task_factorial_run,
    task_factorial_start,
    task_factorial_cancel,
};
