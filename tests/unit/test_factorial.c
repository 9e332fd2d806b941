/* Exact factorials, at once and step by step. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "task-factorial.h"

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
			/* A budget of 1 yields about once per multiplication. */
			if (budgets[j] == 1 && ns[i] > 2)
				assert_true(steps >= ns[i] - 1);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
