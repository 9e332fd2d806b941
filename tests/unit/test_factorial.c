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
#include "daemon.h"
#include "report.h"
#include "run.h"
#include "task-factorial.h"
#include "task.h"

/* Wakes from helper threads, for the thread that waits for them. */
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

/* Wait for the helper to wake us; its work is then done. */
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

/* Abandoned helpers finish and free what they hold (10 s at most). */
static void
wait_helpers(void)
{
	struct timespec ms = {0, 1000000};
	unsigned i;

	for (i = 0; i < 10000 && factorial_helpers() > 0; i++)
		nanosleep(&ms, NULL);
	assert_int_equal(factorial_helpers(), 0);
}

/* Step to the end, doing big multiplications inline. */
static struct factorial *
product(unsigned long n)
{
	struct factorial *f;
	int rc;

	f = factorial_new(n);
	while ((rc = factorial_step(f, 1000000)) != FACTORIAL_DONE) {
		if (rc == FACTORIAL_BIG)
			factorial_big(f);
	}
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

/* A conversion split in two halves gives what mpz_get_str gives. */
static void
test_split_conversion(void **state)
{
	static const unsigned long ks[] = {99999, 100000, 100001, 123457};
	mpz_t x;
	size_t i, j;
	char *a, *b;

	mpz_init(x);
	for (i = 0; i < sizeof ks / sizeof ks[0]; i++) {
		for (j = 0; j < 4; j++) {
			/* 10^k - 1, 10^k, 10^k + 1, and 10^k + 10^(k/2 - 1). */
			mpz_ui_pow_ui(x, 10, ks[i]);
			if (j == 0)
				mpz_sub_ui(x, x, 1);
			else if (j == 2)
				mpz_add_ui(x, x, 1);
			else if (j == 3) {
				mpz_t y;

				mpz_init(y);
				mpz_ui_pow_ui(y, 10, ks[i] / 2 - 1);
				mpz_add(x, x, y);
				mpz_clear(y);
			}
			a = mpz_get_str(NULL, 10, x);
			b = factorial_mpz_string(x);
			assert_string_equal(a, b);
			free(a);
			free(b);
		}
	}
	/* Numbers with no pattern, of 100,000 to 400,000 digits. */
	{
		gmp_randstate_t rs;

		gmp_randinit_default(rs);
		gmp_randseed_ui(rs, 2026);
		for (j = 0; j < 4; j++) {
			mpz_urandomb(x, rs, 332200 + 332200 * j);
			a = mpz_get_str(NULL, 10, x);
			b = factorial_mpz_string(x);
			assert_string_equal(a, b);
			free(a);
			free(b);
		}
		gmp_randclear(rs);
	}
	a = factorial_compute(100000, &i);
	mpz_fac_ui(x, 100000);
	b = mpz_get_str(NULL, 10, x);
	assert_string_equal(a, b);
	assert_int_equal(i, strlen(b));
	free(a);
	free(b);
	mpz_clear(x);
}

/* A helper thread converts to exactly what mpz_get_str gives. */
static void
test_conversion_on_helper(void **state)
{
	static const unsigned long ns[] = {0, 1, 50, 1000, 100000};
	struct factorial *f;
	size_t i, d1, d2;
	unsigned before;
	char *a, *b;

	for (i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		a = factorial_compute(ns[i], &d1);
		f = product(ns[i]);
		assert_false(factorial_converted(f));
		before = wakes_now();
		assert_int_equal(factorial_help(f, wake, &wakes), 0);
		wait_wake(f, before);
		assert_true(factorial_converted(f));
		b = factorial_finish(f, &d2);
		assert_string_equal(a, b);
		assert_int_equal(d1, d2);
		free(a);
		free(b);
	}
	wait_helpers();
}

/*
 * Big multiplications inline leave the rest to the loop; a helper
 * finishes the whole product, and converts it when told to.
 */
static void
test_big_on_helper(void **state)
{
	struct factorial *f;
	unsigned bigs, before;
	size_t d1, d2;
	char *a, *b;
	int rc, convert;

	a = factorial_compute(20000, &d1);
	for (convert = 0; convert <= 1; convert++) {
		f = factorial_new(20000);
		factorial_set_big(f, 8);
		factorial_set_convert(f, convert);
		bigs = 0;
		while ((rc = factorial_step(f, 10)) != FACTORIAL_DONE) {
			if (rc != FACTORIAL_BIG)
				continue;
			if (++bigs < 4) {
				factorial_big(f);
				continue;
			}
			before = wakes_now();
			assert_int_equal(factorial_help(f, wake, &wakes), 0);
			wait_wake(f, before);
			assert_int_equal(factorial_step(f, 0), FACTORIAL_DONE);
		}
		assert_int_equal(bigs, 4);
		assert_int_equal(factorial_converted(f), convert);
		b = factorial_finish(f, &d2);
		assert_string_equal(a, b);
		assert_int_equal(d1, d2);
		free(b);
	}
	free(a);
	wait_helpers();
}

/* Freed while its helper converts: no wake, and the helper frees it. */
static void
test_cancel_during_conversion(void **state)
{
	struct factorial *f;
	unsigned before;

	f = product(300000);
	before = wakes_now();
	assert_int_equal(factorial_help(f, wake, &wakes), 0);
	assert_true(factorial_helping(f));
	factorial_free(f);
	wait_helpers();
	assert_int_equal(wakes_now(), before);
}

/* Freed while its helper multiplies (numbers of 20000 limbs): the same. */
static void
test_cancel_during_big(void **state)
{
	struct factorial *f;
	unsigned before;
	int rc;

	f = factorial_new(300000);
	factorial_set_big(f, 20000);
	while ((rc = factorial_step(f, 1000000)) == FACTORIAL_MORE)
		;
	assert_int_equal(rc, FACTORIAL_BIG);
	before = wakes_now();
	assert_int_equal(factorial_help(f, wake, &wakes), 0);
	factorial_free(f);
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

	if (factorial_helpers() > 0)
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
 * Run yaml to its end. With sink, its task_done events are counted in s
 * (values: whether that sink prints values); with stop, the run is
 * stopped as soon as a helper thread works.
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
	s->base = daemon_base_new();
	s->report = report_new();
	if (sink)
		report_add(s->report, stopper_emit, NULL, NULL, s);
	report_set_values(s->report, values);
	s->run = run_new(s->base, s->cf, s->report, 1);
	s->poll = evtimer_new(s->base, stopper_poll, s);
	if (stop)
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
 * An async run whose only task waits for helpers (its big multiplications)
 * and no sink: the loop, with nothing else pending, waits for them
 * instead of returning early.
 */
static void
test_async_waits_for_helper(void **state)
{
	struct stopper s;

	stopper_run(&s,
	    "mode: async\nworkers: 1\ntasks:\n  - factorial: 100000\n", 0, 1,
	    0);
	assert_int_equal(s.finished, 1);
	assert_int_equal(run_ok(s.run), 1);
	stopper_free(&s);
	wait_helpers();
}

/* An async run stopped while a helper works: a cancelled task. */
static void
test_async_stop_while_helping(void **state)
{
	struct stopper s;

	stopper_run(&s,
	    "mode: async\nworkers: 1\ntasks:\n  - factorial: 300000\n", 1, 1,
	    1);
	assert_int_equal(s.done, 1);
	assert_int_equal(s.cancelled, 1);
	stopper_free(&s);
	wait_helpers();
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
	    cmocka_unit_test(test_split_conversion),
	    cmocka_unit_test(test_conversion_on_helper),
	    cmocka_unit_test(test_big_on_helper),
	    cmocka_unit_test(test_cancel_during_conversion),
	    cmocka_unit_test(test_cancel_during_big),
	    cmocka_unit_test(test_async_stop_while_helping),
	    cmocka_unit_test(test_no_values_no_conversion),
	    cmocka_unit_test(test_async_waits_for_helper),
	};

	/* Helpers wake the loop from their own threads. */
	evthread_use_pthreads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
