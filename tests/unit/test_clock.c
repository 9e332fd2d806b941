/* Seconds to struct timeval and struct timespec; stamps read back. */
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

/* RFC 3339 stamps read back: clock_format's own, and what is not one. */
static void
test_clock_parse(void **state)
{
	static const char *const bad[] = {"", "2026-01-02T03:04:05",
	    "2026-01-02T03:04:05.1Z ", "2026-01-02 03:04:05Z",
	    "+026-01-02T03:04:05Z", "2026-13-02T03:04:05Z",
	    "2026-01-02T03:04:05+00:00", "2026-01-02T03:04:05.Z"};
	char buf[CLOCK_STAMP_SIZE];
	double t;
	size_t i;

	assert_int_equal(clock_parse("1970-01-01T00:00:00Z", &t), 0);
	assert_true(t == 0);
	assert_int_equal(clock_parse("2026-01-02T03:04:05.25Z", &t), 0);
	assert_true(t == 1767323045.25);
	clock_format(1767323045.123456, buf, sizeof buf);
	assert_int_equal(clock_parse(buf, &t), 0);
	assert_true(fabs(t - 1767323045.123456) < 1e-6);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(clock_parse(bad[i], &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clock_tv),
	    cmocka_unit_test(test_clock_ts),
	    cmocka_unit_test(test_clock_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
