/* Seconds to struct timeval and struct timespec. */
#include "autoconf.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "clock.h"

static void
test_clock_tv(void **state)
{
	static const struct {
		double in;
		long sec, usec;
	} cases[] = {{0, 0, 0}, {-1.5, 0, 0}, {0.25, 0, 250000},
	    {1.5, 1, 500000}, {2.0000004, 2, 0}, {2.0000006, 2, 1},
	    {0.9999996, 1, 0}, {3600.000001, 3600, 1}};
	struct timeval tv;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tv = clock_tv(cases[i].in);
		assert_int_equal(tv.tv_sec, cases[i].sec);
		assert_int_equal(tv.tv_usec, cases[i].usec);
	}
	tv = clock_tv(NAN);
	assert_int_equal(tv.tv_sec, 0);
	assert_int_equal(tv.tv_usec, 0);
	tv = clock_tv(1e300);
	assert_true(tv.tv_sec > 0);
	assert_int_equal(tv.tv_usec, 0);
}

static void
test_clock_ts(void **state)
{
	static const struct {
		double in;
		long sec, nsec;
	} cases[] = {{0, 0, 0}, {-0.1, 0, 0}, {0.5, 0, 500000000},
	    {1.9999999999, 2, 0}, {12.000000001, 12, 1}};
	struct timespec ts;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ts = clock_ts(cases[i].in);
		assert_int_equal(ts.tv_sec, cases[i].sec);
		assert_int_equal(ts.tv_nsec, cases[i].nsec);
	}
	ts = clock_ts(1e300);
	assert_true(ts.tv_sec > 0);
	assert_int_equal(ts.tv_nsec, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clock_tv),
	    cmocka_unit_test(test_clock_ts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
