/*
 * factorial: the exact value with GMP, by the same multiplications in every
 * mode. In async mode the product is built yield_every multiplications
 * per loop turn, on the loop's thread as asyncio would, whatever they
 * cost; blocking modes do them all at once. By binary splitting:
 *
 *	n! = 2^(n - popcount(n)) R_1^1 R_2^2 ... R_K^K
 *
 * where R_k is the product of the odd numbers in (n >> k, n >> (k - 1)]
 * (an odd m <= n divides the odd part of n! once for each j with
 * m <= n >> j, which is k times for m in that range). Each R_k is a
 * balanced product tree; p = R_K ... R_k and r = p_K ... p_1 give the
 * powers by multiplication, and only half the numbers up to n are
 * multiplied in at all. The last multiplications are of big numbers and
 * hold the loop, as they would in Python; the decimal conversion takes a
 * loop turn of its own. With offload (run_in_executor) the whole task,
 * product and conversion, runs on the executor's pool instead and wakes
 * the loop when it is done.
 */
#include "autoconf.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <gmp.h>

#include "clock.h"
#include "executor.h"
#include "log.h"
#include "task-factorial.h"
#include "task.h"
#include "xmalloc.h"

/* Numbers multiplied into one leaf of the product tree. */
#define FACTORIAL_LEAF 16

/* Longest run of yields, in seconds, before the loop polls again. */
#define FACTORIAL_POLL 0.001

enum factorial_helper {
	FACTORIAL_IDLE,
	FACTORIAL_BUSY, /* queued on the pool, or at work there */
	FACTORIAL_HELPED, /* the pool is done with it */
};

/* What a factorial multiplies next. */
enum factorial_stage {
	FACTORIAL_RANGE, /* the odd numbers of range k into the tree */
	FACTORIAL_P, /* p *= R_k */
	FACTORIAL_R, /* r *= p, then the next range */
	FACTORIAL_SHIFT, /* n! = r 2^(n - popcount(n)) */
	FACTORIAL_END, /* n! is in leaf */
};

/* Offloaded factorials not done yet, abandoned ones included. */
static pthread_mutex_t factorial_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t factorial_idle = PTHREAD_COND_INITIALIZER;
static unsigned factorial_nhelpers;

struct factorial {
	unsigned long n;
	enum factorial_stage stage;
	unsigned k; /* the range: odd numbers in (n >> k, n >> (k-1)] */
	unsigned long next; /* its next odd number */
	unsigned long last; /* and its end */
	mpz_t p;
	mpz_t r;
	mpz_t *stack;
	unsigned *level;
	size_t depth;
	size_t cap;
	mpz_t leaf;
	unsigned inleaf;
	unsigned lvl;
	int pushing;
	int convert; /* the pool converts the product too */
	char *value;

	pthread_mutex_t lock;
	struct executor_work work;
	enum factorial_helper helper;
	int abandoned;
	factorial_wake_cb wake;
	void *arg;

	struct event *ev;
	unsigned long yields;
	double polled;
	int offloaded;
};

/* GMP's allocations: out of memory goes to xmalloc_oom, not abort(). */
static void *
factorial_gmp_alloc(size_t size)
{
	void *p;

	if ((p = malloc(size)) == NULL)
		xmalloc_oom("GNU MP", size);
	return p;
}

/* GMP's reallocation, as factorial_gmp_alloc. */
static void *
factorial_gmp_realloc(void *old, size_t old_size, size_t size)
{
	void *p;

	if ((p = realloc(old, size)) == NULL)
		xmalloc_oom("GNU MP", size);
	return p;
}

/* GMP's free: the size is not needed. */
static void
factorial_gmp_free(void *p, size_t size)
{
	free(p);
}

/*
 * GMP aborts when it cannot allocate ("GNU MP: Cannot allocate memory"):
 * with these, a daemon writes what finished first. Once, before threads.
 */
void
factorial_memory_init(void)
{
	mp_set_memory_functions(
	    factorial_gmp_alloc, factorial_gmp_realloc, factorial_gmp_free);
}

/* The digits of x > 0 in decimal, exactly, without converting it. */
size_t
factorial_mpz_digits(mpz_srcptr x)
{
	size_t d = mpz_sizeinbase(x, 10);
	double lg;
	long e;
	mpz_t p;
	int below;

	/* d is exact or one too many: is x below 10^(d-1)? */
	if (d <= 1)
		return 1;
	lg = log10(mpz_get_d_2exp(&e, x)) + (double)e * log10(2.0);
	if (lg - (double)(d - 1) > 1e-6)
		return d;
	if ((double)(d - 1) - lg > 1e-6)
		return d - 1;
	mpz_init(p);
	mpz_ui_pow_ui(p, 10, d - 1);
	below = mpz_cmp(x, p) < 0;
	mpz_clear(p);
	return below ? d - 1 : d;
}

/*
 * x >= 0 in decimal, on the calling thread: every mode converts on the
 * thread that computed the value (a second thread would make one worker
 * look like two).
 */
char *
factorial_mpz_string(mpz_srcptr x)
{
	return mpz_get_str(NULL, 10, x);
}

/* n! as a decimal string, with its digit count: the reference value. */
char *
factorial_compute(unsigned long n, size_t *digits)
{
	mpz_t x;
	char *s;

	mpz_init(x);
	mpz_fac_ui(x, n);
	s = factorial_mpz_string(x);
	mpz_clear(x);
	*digits = strlen(s);
	return s;
}

/* The digit count of n!, without the decimal conversion. */
size_t
factorial_compute_digits(unsigned long n)
{
	mpz_t x;
	size_t d;

	mpz_init(x);
	mpz_fac_ui(x, n);
	d = factorial_mpz_digits(x);
	mpz_clear(x);
	return d;
}

/* Start range k: its odd numbers into an empty tree. */
static void
factorial_range(struct factorial *f)
{
	unsigned long lo;

	lo = f->k >= sizeof f->n * 8 ? 0 : f->n >> f->k;
	f->next = (lo + 1) | 1;
	f->last = f->n >> (f->k - 1);
	f->inleaf = 0;
	f->pushing = 0;
}

struct factorial *
factorial_new(unsigned long n)
{
	struct factorial *f;

	f = xcalloc(1, sizeof *f);
	f->n = n;
	mpz_init_set_ui(f->leaf, 1);
	mpz_init_set_ui(f->p, 1);
	mpz_init_set_ui(f->r, 1);
	for (f->k = 0; f->k < sizeof n * 8 && n >> f->k != 0; f->k++)
		continue;
	if (f->k == 0)
		f->stage = FACTORIAL_SHIFT;
	else {
		f->stage = FACTORIAL_RANGE;
		factorial_range(f);
	}
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

/* Should the pool convert the product as well as compute it? */
void
factorial_set_convert(struct factorial *f, int convert)
{
	f->convert = convert;
}

/* Are the range's numbers all in the tree? */
static int
factorial_exhausted(const struct factorial *f)
{
	return f->next > f->last;
}

/* Can the leaf take the top of the stack into it now? */
static int
factorial_mergeable(const struct factorial *f)
{
	if (f->depth == 0)
		return 0;
	if (f->pushing)
		return f->level[f->depth - 1] == f->lvl;
	return factorial_exhausted(f);
}

/* Multiply the top of the stack into the leaf. */
static void
factorial_merge(struct factorial *f)
{
	if (mpz_cmp_ui(f->leaf, 1) == 0)
		mpz_swap(f->leaf, f->stack[f->depth - 1]);
	else
		mpz_mul(f->leaf, f->leaf, f->stack[f->depth - 1]);
	mpz_clear(f->stack[--f->depth]);
	if (f->pushing)
		f->lvl++;
}

/* Push a finished leaf, now that no equal level is left to merge. */
static void
factorial_push(struct factorial *f)
{
	if (f->depth == f->cap) {
		f->cap = f->cap == 0 ? 16 : f->cap * 2;
		f->stack = xreallocarray(f->stack, f->cap, sizeof *f->stack);
		f->level = xreallocarray(f->level, f->cap, sizeof *f->level);
	}
	mpz_init(f->stack[f->depth]);
	mpz_swap(f->stack[f->depth], f->leaf);
	f->level[f->depth++] = f->lvl;
	mpz_set_ui(f->leaf, 1);
	f->inleaf = 0;
	f->pushing = 0;
}

/*
 * The range's product tree, one step: leaves are merged as a binary
 * counter and what is left at the end is folded smallest first; R_k is
 * then in the leaf. 1 if the step multiplied.
 */
static int
factorial_range_step(struct factorial *f)
{
	if (f->pushing || factorial_exhausted(f)) {
		if (factorial_mergeable(f)) {
			factorial_merge(f);
			return 1;
		}
		if (f->pushing || f->depth > 0)
			factorial_push(f);
		else
			f->stage = FACTORIAL_P;
		return 0;
	}
	mpz_mul_ui(f->leaf, f->leaf, f->next);
	f->next += 2;
	if (++f->inleaf == FACTORIAL_LEAF) {
		f->pushing = 1;
		f->lvl = 0;
	}
	return 1;
}

/* The next step of the product; 1 if it multiplied. */
static int
factorial_advance(struct factorial *f)
{
	switch (f->stage) {
	case FACTORIAL_RANGE:
		return factorial_range_step(f);
	case FACTORIAL_P:
		if (mpz_cmp_ui(f->p, 1) == 0)
			mpz_swap(f->p, f->leaf);
		else
			mpz_mul(f->p, f->p, f->leaf);
		mpz_set_ui(f->leaf, 1);
		f->stage = FACTORIAL_R;
		return 1;
	case FACTORIAL_R:
		if (mpz_cmp_ui(f->r, 1) == 0)
			mpz_set(f->r, f->p);
		else
			mpz_mul(f->r, f->r, f->p);
		if (--f->k == 0)
			f->stage = FACTORIAL_SHIFT;
		else {
			f->stage = FACTORIAL_RANGE;
			factorial_range(f);
		}
		return 1;
	case FACTORIAL_SHIFT:
		mpz_mul_2exp(f->leaf, f->r,
		    f->n - (unsigned long)__builtin_popcountl(f->n));
		mpz_clear(f->p);
		mpz_clear(f->r);
		mpz_init(f->p);
		mpz_init(f->r);
		f->stage = FACTORIAL_END;
		return 1;
	default:
		return 0;
	}
}

static int
factorial_complete(const struct factorial *f)
{
	return f->stage == FACTORIAL_END;
}

/*
 * Do about budget multiplications, whatever each costs: FACTORIAL_DONE
 * when the product is complete, else FACTORIAL_MORE.
 */
int
factorial_step(struct factorial *f, unsigned budget)
{
	unsigned done = 0;

	while (done < budget && !factorial_complete(f))
		done += factorial_advance(f);
	return factorial_complete(f) ? FACTORIAL_DONE : FACTORIAL_MORE;
}

static int
factorial_abandoned(struct factorial *f)
{
	int abandoned;

	pthread_mutex_lock(&f->lock);
	abandoned = f->abandoned;
	pthread_mutex_unlock(&f->lock);
	return abandoned;
}

/* Free what the factorial holds; the pool, if it had it, is done. */
static void
factorial_release(struct factorial *f)
{
	while (f->depth > 0)
		mpz_clear(f->stack[--f->depth]);
	free(f->stack);
	free(f->level);
	mpz_clear(f->leaf);
	mpz_clear(f->p);
	mpz_clear(f->r);
	free(f->value);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* One offloaded factorial less; the last wakes factorial_helpers_wait. */
static void
factorial_helper_gone(void)
{
	pthread_mutex_lock(&factorial_lock);
	if (--factorial_nhelpers == 0)
		pthread_cond_broadcast(&factorial_idle);
	pthread_mutex_unlock(&factorial_lock);
}

/*
 * On a pool thread: the rest of the product, one multiplication at a
 * time so that an abandoned one stops at its next, and its conversion
 * when asked for. Done, it wakes its owner; abandoned, it is the owner
 * and frees the factorial.
 */
static void
factorial_pool_work(struct executor_work *w)
{
	struct factorial *f = (struct factorial *)(void *)((char *)w -
	    offsetof(struct factorial, work));
	char *value = NULL;
	int abandoned;

	while (!factorial_complete(f) && !factorial_abandoned(f))
		factorial_advance(f);
	if (f->convert && factorial_complete(f) && !factorial_abandoned(f))
		value = factorial_mpz_string(f->leaf);
	pthread_mutex_lock(&f->lock);
	f->value = value;
	f->helper = FACTORIAL_HELPED;
	abandoned = f->abandoned;
	if (!abandoned)
		f->wake(f->arg);
	pthread_mutex_unlock(&f->lock);
	if (abandoned)
		factorial_release(f);
	factorial_helper_gone();
}

/* How many offloaded factorials are not done: for tests and clean exits. */
unsigned
factorial_helpers(void)
{
	unsigned n;

	pthread_mutex_lock(&factorial_lock);
	n = factorial_nhelpers;
	pthread_mutex_unlock(&factorial_lock);
	return n;
}

/*
 * Wait up to seconds for every offloaded factorial to end (an abandoned
 * one stops at its next step, or when its conversion is done), so that
 * an exit frees all. Returns how many still run after that.
 */
unsigned
factorial_helpers_wait(double seconds)
{
	struct timespec until;
	unsigned n;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)seconds;
	until.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&factorial_lock);
	while (factorial_nhelpers > 0 &&
	    pthread_cond_timedwait(&factorial_idle, &factorial_lock, &until) ==
	        0)
		;
	n = factorial_nhelpers;
	pthread_mutex_unlock(&factorial_lock);
	return n;
}

/*
 * Hand the rest of the product (and its conversion, if set) to the
 * executor's pool. wake(arg) is called from a pool thread when it is
 * done, unless the factorial was freed meanwhile. -1 if the pool has no
 * thread: the caller does the work itself.
 */
int
factorial_offload(struct factorial *f, factorial_wake_cb wake, void *arg)
{
	f->wake = wake;
	f->arg = arg;
	f->helper = FACTORIAL_BUSY;
	pthread_mutex_lock(&factorial_lock);
	factorial_nhelpers++;
	pthread_mutex_unlock(&factorial_lock);
	if (executor_submit(&f->work, factorial_pool_work) == 0)
		return 0;
	f->helper = FACTORIAL_IDLE;
	factorial_helper_gone();
	return -1;
}

/* Is the pool still at work on it (or is it waiting for a thread)? */
int
factorial_helping(struct factorial *f)
{
	enum factorial_helper h;

	pthread_mutex_lock(&f->lock);
	h = f->helper;
	pthread_mutex_unlock(&f->lock);
	return h == FACTORIAL_BUSY;
}

/* Has the complete product been converted already? */
int
factorial_converted(const struct factorial *f)
{
	return f->value != NULL;
}

/* The digit count of the complete product, without converting it. */
size_t
factorial_digits(const struct factorial *f)
{
	return factorial_mpz_digits(f->leaf);
}

/* The finished value as a decimal string; frees the factorial. */
char *
factorial_finish(struct factorial *f, size_t *digits)
{
	char *s;

	if ((s = f->value) == NULL)
		s = factorial_mpz_string(f->leaf);
	f->value = NULL;
	*digits = strlen(s);
	factorial_free(f);
	return s;
}

/*
 * Free a factorial. One waiting for a pool thread is taken back; one a
 * pool thread works on is left to it, to free when it stops.
 */
void
factorial_free(struct factorial *f)
{
	struct event *ev;
	int busy, taken = 0;

	if (f == NULL)
		return;
	/*
	 * Once abandoned, a busy pool thread may finish and free f at any
	 * moment: take what is still needed of it before letting go.
	 */
	pthread_mutex_lock(&f->lock);
	busy = f->helper == FACTORIAL_BUSY;
	if (busy && executor_cancel(&f->work)) {
		busy = 0;
		taken = 1;
		f->helper = FACTORIAL_IDLE;
	}
	f->abandoned = busy;
	ev = f->ev;
	f->ev = NULL;
	pthread_mutex_unlock(&f->lock);
	/* Abandoned, the pool no longer wakes anyone through ev. */
	if (ev != NULL)
		event_free(ev);
	if (taken)
		factorial_helper_gone();
	if (!busy)
		factorial_release(f);
}

/*
 * Blocking modes: the same multiplications as async mode's, all at once,
 * so that a comparison of the modes compares their scheduling and not
 * two algorithms. The value as digits when a sink prints it, else only
 * their count.
 */
static void
task_factorial_run(struct job *job)
{
	struct factorial *f;

	f = factorial_new(job->task->num.n);
	while (factorial_step(f, UINT_MAX) != FACTORIAL_DONE)
		;
	if (!job_wants_value(job)) {
		job->result.digits = factorial_digits(f);
		factorial_free(f);
	} else
		job->result.value = factorial_finish(f, &job->result.digits);
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

/* The pool is done: the loop finishes the task. */
static void
task_factorial_wake(void *arg)
{
	event_active(arg, EV_TIMEOUT, 0);
}

/*
 * Offload the task. Its event waits first as a timer that never comes
 * due, so that a loop with nothing else to wait for waits for the wake
 * (added after the wake, the timer would cancel it).
 */
static int
task_factorial_offload(struct job *job, struct factorial *f)
{
	static const struct timeval forever = {365 * 24 * 3600, 0};

	factorial_set_convert(f, job_wants_value(job));
	event_add(f->ev, &forever);
	if (factorial_offload(f, task_factorial_wake, f->ev) == 0) {
		f->offloaded = 1;
		return 0;
	}
	event_del(f->ev);
	return -1;
}

/*
 * The product is complete (and converted, when a sink prints values):
 * record it and finish the job.
 */
static void
task_factorial_done(struct job *job, struct factorial *f)
{
	job->result.yields = f->yields;
	job->state = NULL;
	if (job_wants_value(job))
		job->result.value = factorial_finish(f, &job->result.digits);
	else {
		job->result.digits = factorial_digits(f);
		factorial_free(f);
	}
	job->result.ok = 1;
}

/*
 * One loop turn of the task: yield_every multiplications; once the
 * product is complete, the conversion in a turn of its own. Offloaded,
 * the turn after the pool's wake.
 */
static void
task_factorial_slice(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;
	struct factorial *f = job->state;

	job_enter(job);
	if (f->offloaded) {
		if (factorial_helping(f)) {
			job_leave(job);
			return;
		}
	} else if (!factorial_complete(f)) {
		if (factorial_step(f, job->task->opts->yield_every) ==
		        FACTORIAL_MORE ||
		    job_wants_value(job)) {
			task_factorial_yield(job, f);
			job_leave(job);
			return;
		}
	}
	task_factorial_done(job, f);
	job_leave(job);
	job_finish(job);
}

static void
task_factorial_start(struct job *job)
{
	struct factorial *f;

	f = factorial_new(job->task->num.n);
	f->ev = event_new(job->base, -1, 0, task_factorial_slice, job);
	if (f->ev == NULL)
		fatalx("event_new failed");
	f->polled = clock_now();
	job->state = f;
	if ((job->task->flags & TASK_OFFLOAD) &&
	    task_factorial_offload(job, f) == 0)
		return;
	event_active(f->ev, EV_TIMEOUT, 0);
}

static void
task_factorial_cancel(struct job *job)
{
	factorial_free(job->state);
	job->state = NULL;
}

/* How a factorial reads. Longer values than this are shortened in text. */
#define TASK_FACTORIAL_DIGITS 70

static const char *
task_factorial_arg(const struct task *t, char *buf, size_t len)
{
	snprintf(buf, len, "%lu", t->num.n);
	return buf;
}

static void
task_factorial_outcome(
    FILE *f, const struct task *t, const struct result *r, int verbose)
{
	size_t d = r->digits;

	if (d <= TASK_FACTORIAL_DIGITS)
		fprintf(f, "= %s", r->value);
	else
		fprintf(f, "= %.20s...%s (%zu digits)", r->value,
		    r->value + d - 10, d);
	if (verbose && r->yields > 0)
		fprintf(f, ", %lu yields to the loop", r->yields);
}

static void
task_factorial_json_arg(const struct task *t, struct task_json *j)
{
	task_json_uint(j, NULL, t->num.n);
}

static void
task_factorial_json_result(
    const struct task *t, const struct result *r, struct task_json *j)
{
	if (r->value != NULL)
		task_json_str(j, NULL, r->value);
	else
		task_json_null(j, NULL);
}

static size_t
task_factorial_json_fields(
    const struct task *t, const struct result *r, struct task_json *j)
{
	size_t n = 0;

	if (r->value != NULL)
		task_json_int(&j[n++], "digits", (long long)r->digits);
	if (r->yields > 0)
		task_json_int(&j[n++], "yields", (long long)r->yields);
	return n;
}

static void
task_factorial_label(const struct task *t, int brief, char *buf, size_t len)
{
	snprintf(buf, len, brief ? "%lu!" : "factorial %lu", t->num.n);
}

static unsigned long long
task_factorial_tally(const struct result *r)
{
	return r->digits;
}

static void
task_factorial_brief(const struct task *t, unsigned long long digits,
    unsigned long long bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%llu digits", digits);
}

const struct task_ops task_factorial_ops = {
    task_factorial_run,
    task_factorial_start,
    task_factorial_cancel,
    .arg = task_factorial_arg,
    .outcome = task_factorial_outcome,
    .json_arg = task_factorial_json_arg,
    .json_result = task_factorial_json_result,
    .json_fields = task_factorial_json_fields,
    .label = task_factorial_label,
    .tally = task_factorial_tally,
    .brief = task_factorial_brief,
    .fill = "#ffb366",
    .stroke = "#b35900",
    .sgr = "\033[30;103m",
};
