/* Exact factorials, at once and step by step. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <gmp.h>
#include <pthread.h>
#include <time.h>

#include "config.h"
#include "executor.h"
#include "factorial.h"
#include "loop.h"
#include "report.h"
#include "run.h"
#include "task.h"

/* Wakes from the executor's pool, for the thread that waits for them. */
struct wakes {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned n;
};

static struct wakes wakes = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static void
wake(void *arg)
{
	struct wakes *w = arg;

	pthread_mutex_lock(&w->lock);
	w->n++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Wait for the pool to wake us; its work is then done. */
static void
wait_wake(struct factorial *f, unsigned before)
{
	pthread_mutex_lock(&wakes.lock);
	while (wakes.n == before)
		pthread_cond_wait(&wakes.cond, &wakes.lock);
	pthread_mutex_unlock(&wakes.lock);
	assert_int_equal(wakes.n, before + 1);
	assert_false(factorial_helping(f));
}

static unsigned
wakes_now(void)
{
	unsigned n;

	pthread_mutex_lock(&wakes.lock);
	n = wakes.n;
	pthread_mutex_unlock(&wakes.lock);
	return n;
}

/* Abandoned offloads finish and free what they hold (10 s at most). */
static void
wait_helpers(void)
{
	struct timespec ms = {0, 1000000};
	unsigned i;

	for (i = 0; i < 10000 && factorial_helpers() > 0; i++)
		nanosleep(&ms, NULL);
	assert_int_equal(factorial_helpers(), 0);
}

/* Step to the end on this thread, big multiplications and all. */
static struct factorial *
product(unsigned long n)
{
	struct factorial *f;

	f = factorial_new(n);
	while (factorial_step(f, 1000000) != FACTORIAL_DONE)
		;
	return f;
}

static void
test_small_values(void **state)
{
	static const char *const want[] = {"1", "1", "2", "6", "24", "120",
	    "720", "5040", "40320", "362880", "3628800"};
	size_t digits, n;
	char *s;

	for (n = 0; n < sizeof want / sizeof want[0]; n++) {
		s = factorial_compute(n, &digits);
		assert_string_equal(s, want[n]);
		assert_int_equal(digits, strlen(want[n]));
		free(s);
	}
}

static void
test_fifty(void **state)
{
	size_t digits;
	char *s;

	s = factorial_compute(50, &digits);
	assert_string_equal(s,
	    "304140932017133780436126081660647688443776415"
	    "68960512000000000000");
	assert_int_equal(digits, 65);
	free(s);
	s = factorial_compute(40, &digits);
	assert_string_equal(s,
	    "815915283247897734345611269596115894272000000"
	    "000");
	free(s);
}

static void
test_thousand_digits(void **state)
{
	size_t digits;
	char *s;

	s = factorial_compute(1000, &digits);
	assert_int_equal(digits, 2568);
	assert_int_equal(strncmp(s, "402387260077", 12), 0);
	free(s);
}

/* Stepping with any budget gives exactly what mpz_fac_ui gives. */
static void
test_steps_match(void **state)
{
	static const unsigned long ns[] = {
	    0, 1, 2, 15, 16, 17, 40, 50, 255, 1000, 5000};
	static const unsigned budgets[] = {1, 3, 10, 1000000};
	struct factorial *f;
	size_t i, j, d1, d2, steps;
	char *a, *b;

	for (i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		a = factorial_compute(ns[i], &d1);
		for (j = 0; j < sizeof budgets / sizeof budgets[0]; j++) {
			f = factorial_new(ns[i]);
			steps = 1;
			while (!factorial_step(f, budgets[j]))
				steps++;
			b = factorial_finish(f, &d2);
			assert_string_equal(a, b);
			assert_int_equal(d1, d2);
			/*
			 * A budget of 1 yields once per multiplication, and
			 * every odd number up to n is multiplied in once.
			 */
			if (budgets[j] == 1 && ns[i] > 2)
				assert_true(steps >= (ns[i] - 1) / 2);
			free(b);
		}
		free(a);
	}
}

/* The talk's factorial(40) with yields every 10 multiplications. */
static void
test_yields_every_ten(void **state)
{
	struct factorial *f;
	unsigned yields = 0;
	size_t d;
	char *s;

	f = factorial_new(40);
	while (!factorial_step(f, 10))
		yields++;
	assert_true(yields >= 3 && yields <= 5);
	s = factorial_finish(f, &d);
	assert_int_equal(d, 48);
	free(s);
}

/* The digit count without conversion is exact for every n up to 3000. */
static void
test_digits_without_conversion(void **state)
{
	struct factorial *f;
	unsigned long n;
	size_t d;
	char *s;

	for (n = 0; n <= 3000; n++) {
		s = factorial_compute(n, &d);
		assert_int_equal(factorial_compute_digits(n), strlen(s));
		free(s);
	}
	for (n = 0; n <= 3000; n += 97) {
		f = product(n);
		d = factorial_digits(f);
		s = factorial_finish(f, &d);
		assert_int_equal(d, strlen(s));
		free(s);
	}
}

/* Around each power of ten, where mpz_sizeinbase can be one too many. */
static void
test_digits_at_powers_of_ten(void **state)
{
	mpz_t p, x;
	size_t k;

	mpz_init(p);
	mpz_init(x);
	for (k = 1; k <= 3000; k += k < 40 ? 1 : 37) {
		mpz_ui_pow_ui(p, 10, k);
		mpz_sub_ui(x, p, 1);
		assert_int_equal(factorial_mpz_digits(x), k);
		assert_int_equal(factorial_mpz_digits(p), k + 1);
		mpz_add_ui(x, p, 1);
		assert_int_equal(factorial_mpz_digits(x), k + 1);
	}
	mpz_set_ui(x, 1);
	assert_int_equal(factorial_mpz_digits(x), 1);
	mpz_set_ui(x, 9);
	assert_int_equal(factorial_mpz_digits(x), 1);
	mpz_clear(p);
	mpz_clear(x);
}

/* A long value converts exactly, on the calling thread. */
static void
test_long_conversion(void **state)
{
	mpz_t x;
	size_t d;
	char *a, *b;

	mpz_init(x);
	a = factorial_compute(100000, &d);
	mpz_fac_ui(x, 100000);
	b = mpz_get_str(NULL, 10, x);
	assert_string_equal(a, b);
	assert_int_equal(d, strlen(b));
	assert_int_equal(d, 456574);
	free(a);
	free(b);
	mpz_clear(x);
}

/*
 * Stepping never leaves work behind: any budget, even one, ends the
 * product on this thread (there is no hand-over to another), and every
 * step multiplies at most budget times.
 */
static void
test_steps_do_all_the_work(void **state)
{
	struct factorial *f;
	unsigned long steps = 0;
	size_t d1, d2;
	char *a, *b;

	a = factorial_compute(20000, &d1);
	f = factorial_new(20000);
	while (factorial_step(f, 1) != FACTORIAL_DONE)
		steps++;
	/* Every odd number up to n is multiplied in once. */
	assert_true(steps >= 20000 / 2 - 1);
	assert_int_equal(factorial_helpers(), 0);
	b = factorial_finish(f, &d2);
	assert_string_equal(a, b);
	assert_int_equal(d1, d2);
	free(a);
	free(b);
}

/* The pool computes and converts to exactly what mpz_get_str gives. */
static void
test_offload_converts(void **state)
{
	static const unsigned long ns[] = {0, 1, 50, 1000, 100000};
	struct factorial *f;
	size_t i, d1, d2;
	unsigned before;
	char *a, *b;

	for (i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		a = factorial_compute(ns[i], &d1);
		f = factorial_new(ns[i]);
		factorial_set_convert(f, 1);
		before = wakes_now();
		assert_int_equal(factorial_offload(f, wake, &wakes), 0);
		wait_wake(f, before);
		assert_true(factorial_converted(f));
		b = factorial_finish(f, &d2);
		assert_string_equal(a, b);
		assert_int_equal(d1, d2);
		free(a);
		free(b);
	}
	assert_true(executor_threads() >= 1);
	assert_true(executor_threads() <= executor_size());
	wait_helpers();
}

/* A product begun here is finished by the pool, converted or not. */
static void
test_offload_midway(void **state)
{
	struct factorial *f;
	unsigned before;
	size_t d1, d2;
	char *a, *b;
	int i, convert;

	a = factorial_compute(20000, &d1);
	for (convert = 0; convert <= 1; convert++) {
		f = factorial_new(20000);
		for (i = 0; i < 50; i++)
			assert_int_equal(factorial_step(f, 10), FACTORIAL_MORE);
		factorial_set_convert(f, convert);
		before = wakes_now();
		assert_int_equal(factorial_offload(f, wake, &wakes), 0);
		wait_wake(f, before);
		assert_int_equal(factorial_step(f, 0), FACTORIAL_DONE);
		assert_int_equal(factorial_converted(f), convert);
		b = factorial_finish(f, &d2);
		assert_string_equal(a, b);
		assert_int_equal(d1, d2);
		free(b);
	}
	free(a);
	wait_helpers();
}

/* Freed while the pool converts: no wake, and the pool frees it. */
static void
test_cancel_during_conversion(void **state)
{
	struct factorial *f;
	unsigned before;

	f = product(300000);
	factorial_set_convert(f, 1);
	before = wakes_now();
	assert_int_equal(factorial_offload(f, wake, &wakes), 0);
	assert_true(factorial_helping(f));
	factorial_free(f);
	wait_helpers();
	assert_int_equal(wakes_now(), before);
}

/*
 * The pool is bounded: one offload more than it has threads waits in its
 * queue, and freed there it is taken back at once; those at work are
 * abandoned and stop at their next step. No wake for any.
 */
static void
test_cancel_queued_and_running(void **state)
{
	struct factorial *f[65];
	unsigned before, i, n = executor_size();

	assert_true(n >= 1 && n < 65);
	before = wakes_now();
	for (i = 0; i <= n; i++) {
		f[i] = factorial_new(1000000);
		assert_int_equal(factorial_offload(f[i], wake, &wakes), 0);
	}
	assert_int_equal(factorial_helpers(), n + 1);
	assert_true(executor_threads() <= n);
	/* The last waits: a million's factorial takes its thread a while. */
	factorial_free(f[n]);
	assert_int_equal(factorial_helpers(), n);
	for (i = 0; i < n; i++)
		factorial_free(f[i]);
	wait_helpers();
	assert_int_equal(wakes_now(), before);
}

/* A run of a factorial task list, and what its task_done events said. */
struct stopper {
	struct config *cf;
	struct report *report;
	struct event_base *base;
	struct run *run;
	struct event *poll;
	int cancelled;
	int stop;
	unsigned most_helpers;
	int done;
	int values;
	size_t digits;
	int finished;
};

static void
stopper_emit(const struct report_event *ev, void *arg)
{
	struct stopper *s = arg;

	if (ev->type != REPORT_TASK_DONE)
		return;
	s->done++;
	s->cancelled += ev->result->cancelled;
	s->values += ev->result->value != NULL;
	s->digits = ev->result->digits;
}

static void
stopper_poll(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval ms = {0, 1000};
	struct stopper *s = arg;
	unsigned n = factorial_helpers();

	if (n > s->most_helpers)
		s->most_helpers = n;
	if (s->stop && n > 0)
		run_stop(s->run, 0);
	else
		evtimer_add(s->poll, &ms);
}

static void
stopper_done(struct run *run, void *arg)
{
	struct stopper *s = arg;

	s->finished = 1;
	event_del(s->poll);
	event_base_loopexit(s->base, NULL);
}

/*
 * Run yaml to its end, counting in most_helpers the offloads seen at
 * work. With sink, its task_done events are counted in s (values:
 * whether that sink prints values); with stop, the run is stopped as
 * soon as an offload is at work.
 */
static void
stopper_run(struct stopper *s, const char *yaml, int sink, int values, int stop)
{
	static const struct timeval ms = {0, 1000};
	char *cause = NULL;

	memset(s, 0, sizeof *s);
	if (config_load_buffer("t.yaml", yaml, strlen(yaml), &s->cf, &cause) !=
	    0)
		fail_msg("%s", cause);
	s->base = loop_base_new();
	s->report = report_new();
	if (sink)
		report_add(s->report, stopper_emit, NULL, NULL, s);
	report_set_values(s->report, values);
	s->run = run_new(s->base, s->cf, s->cf->mode, s->report, 1);
	s->poll = evtimer_new(s->base, stopper_poll, s);
	s->stop = stop;
	evtimer_add(s->poll, &ms);
	run_start(s->run, stopper_done, s);
	event_base_dispatch(s->base);
}

static void
stopper_free(struct stopper *s)
{
	event_free(s->poll);
	run_free(s->run);
	report_free(s->report);
	config_free(s->cf);
	event_base_free(s->base);
}

/* With no sink printing values, a run records digits and no value. */
static void
test_no_values_no_conversion(void **state)
{
	static const char *const modes[] = {"sync", "async", "threads"};
	struct stopper s;
	char yaml[128];
	size_t m;

	for (m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		snprintf(yaml, sizeof yaml,
		    "mode: %s\nworkers: 2\n"
		    "tasks:\n  - factorial: 1000\n  - factorial: 3000\n",
		    modes[m]);
		stopper_run(&s, yaml, 1, 0, 0);
		assert_int_equal(s.done, 2);
		assert_int_equal(s.values, 0);
		assert_true(s.digits == 2568 || s.digits == 9131);
		stopper_free(&s);
	}
	wait_helpers();
}

/*
 * async is one thread: a factorial's work, big multiplications and
 * conversion included, is done on the loop's own thread. Nothing is
 * handed to the pool, and the loop thread's CPU time holds the work.
 */
static void
test_async_on_the_loop(void **state)
{
	struct timespec c0, c1, p0, p1;
	struct stopper s;
	double cpu, all;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p0);
	stopper_run(&s,
	    "mode: async\nworkers: 2\ntasks:\n  - factorial: 200000\n"
	    "  - factorial: 200000\n",
	    1, 1, 0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p1);
	assert_int_equal(s.done, 2);
	assert_int_equal(s.values, 2);
	assert_int_equal(s.most_helpers, 0);
	cpu = (double)(c1.tv_sec - c0.tv_sec) +
	    (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	all = (double)(p1.tv_sec - p0.tv_sec) +
	    (double)(p1.tv_nsec - p0.tv_nsec) / 1e9;
	/*
	 * This thread did the work: nearly all the CPU the process used
	 * meanwhile (however busy the machine; a sanitizer's own thread
	 * may take a little), where a helper thread would have taken half.
	 */
	assert_true(all > 0);
	assert_true(cpu > 0.8 * all);
	stopper_free(&s);
}

/*
 * An offloaded task and no sink: the loop, with nothing else pending,
 * waits for the pool instead of returning early.
 */
static void
test_async_waits_for_offload(void **state)
{
	struct stopper s;

	stopper_run(&s,
	    "mode: async\nworkers: 1\ntasks:\n  - factorial: 100000\n"
	    "    offload: true\n",
	    0, 1, 0);
	assert_int_equal(s.finished, 1);
	assert_int_equal(run_ok(s.run), 1);
	assert_true(s.most_helpers <= 1);
	stopper_free(&s);
	wait_helpers();
}

/* An async run stopped while its offloaded task works: cancelled. */
static void
test_async_stop_while_offloaded(void **state)
{
	struct stopper s;

	stopper_run(&s,
	    "mode: async\nworkers: 1\ntasks:\n  - factorial: 300000\n"
	    "    offload: true\n",
	    1, 1, 1);
	assert_int_equal(s.done, 1);
	assert_int_equal(s.cancelled, 1);
	stopper_free(&s);
	wait_helpers();
}

/* offload outside async mode: the task runs on its worker as any other. */
static void
test_offload_ignored_in_blocking_modes(void **state)
{
	static const char *const modes[] = {"sync", "cooperative", "threads"};
	struct stopper s;
	char yaml[160];
	size_t m;

	for (m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		snprintf(yaml, sizeof yaml,
		    "mode: %s\nworkers: 1\ntasks:\n  - factorial: 100000\n"
		    "    offload: true\n",
		    modes[m]);
		stopper_run(&s, yaml, 1, 1, 0);
		assert_int_equal(s.done, 1);
		assert_int_equal(s.values, 1);
		assert_int_equal(s.digits, 456574);
		assert_int_equal(s.most_helpers, 0);
		stopper_free(&s);
	}
}

static void
test_free_unfinished(void **state)
{
	struct factorial *f;

	f = factorial_new(10000);
	factorial_step(f, 100);
	factorial_free(f);
	factorial_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_small_values),
	    cmocka_unit_test(test_fifty),
	    cmocka_unit_test(test_thousand_digits),
	    cmocka_unit_test(test_steps_match),
	    cmocka_unit_test(test_yields_every_ten),
	    cmocka_unit_test(test_free_unfinished),
	    cmocka_unit_test(test_digits_without_conversion),
	    cmocka_unit_test(test_digits_at_powers_of_ten),
	    cmocka_unit_test(test_long_conversion),
	    cmocka_unit_test(test_steps_do_all_the_work),
	    cmocka_unit_test(test_offload_converts),
	    cmocka_unit_test(test_offload_midway),
	    cmocka_unit_test(test_cancel_during_conversion),
	    cmocka_unit_test(test_cancel_queued_and_running),
	    cmocka_unit_test(test_async_stop_while_offloaded),
	    cmocka_unit_test(test_no_values_no_conversion),
	    cmocka_unit_test(test_async_on_the_loop),
	    cmocka_unit_test(test_async_waits_for_offload),
	    cmocka_unit_test(test_offload_ignored_in_blocking_modes),
	};

	/* The pool wakes the loop from its own threads. */
	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
