/* The checked parsers: numbers, durations, rates. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "number.h"

static void
test_duration_valid(void **state)
{
	static const struct {
		const char *in;
		double out;
	} ok[] = {{"0", 0}, {"0.5", 0.5}, {"4", 4}, {"4.0", 4}, {"250ms", 0.25},
	    {"2s", 2}, {"1.5m", 90}, {"1h", 3600}, {"+3", 3}, {".5", 0.5},
	    {"1e2", 100}, {"365h", 365 * 3600.0}};
	const char *why;
	double d;
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		why = NULL;
		if (number_duration(ok[i].in, &d, &why) != 0)
			fail_msg("%s: %s", ok[i].in, why);
		assert_float_equal(d, ok[i].out, 1e-9);
	}
}

static void
test_duration_invalid(void **state)
{
	static const struct {
		const char *in;
		const char *why;
	} bad[] = {{"", "not a duration"}, {"s", "not a duration"},
	    {"-1", "negative"}, {"4x", "unknown unit (expected ms, s, m or h)"},
	    {"4 s", "unknown unit (expected ms, s, m or h)"},
	    {"4sec", "unknown unit (expected ms, s, m or h)"},
	    {"nan", "not a duration"}, {"inf", "not a duration"},
	    {"0x10", "unknown unit (expected ms, s, m or h)"},
	    {"1e400", "out of range"},
	    {"366d",
	        "unknown unit (expected ms, s, "
	        "m or h)"},
	    {"9000h", "too long (at most 365 days)"}};
	const char *why;
	double d;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		if (number_duration(bad[i].in, &d, &why) == 0)
			fail_msg("'%s' was accepted", bad[i].in);
		assert_string_equal(why, bad[i].why);
	}
}

static void
test_uint(void **state)
{
	unsigned long long v;
	const char *why;

	assert_int_equal(number_uint("40", 0, 100, &v, &why), 0);
	assert_int_equal(v, 40);
	assert_int_equal(number_uint("+7", 0, 100, &v, &why), 0);
	assert_int_equal(v, 7);
	assert_int_equal(number_uint("0", 0, 0, &v, &why), 0);
	assert_int_equal(number_uint("101", 0, 100, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(number_uint("0", 1, 100, &v, &why), -1);
	assert_string_equal(why, "too small");
	assert_int_equal(number_uint("-1", 0, 100, &v, &why), -1);
	assert_string_equal(why, "negative");
	assert_int_equal(number_uint("4.5", 0, 100, &v, &why), -1);
	assert_string_equal(why, "not a whole number");
	assert_int_equal(number_uint("12abc", 0, 100, &v, &why), -1);
	assert_string_equal(why, "not a whole number");
	assert_int_equal(number_uint("", 0, 100, &v, &why), -1);
	assert_int_equal(number_uint(" 4", 0, 100, &v, &why), -1);
	assert_int_equal(
	    number_uint("99999999999999999999999", 0, ~0ULL, &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(
	    number_uint("18446744073709551615", 0, ~0ULL, &v, &why), 0);
	assert_true(v == ~0ULL);
}

static void
test_real(void **state)
{
	const char *why;
	double d;

	assert_int_equal(number_real("-2.5", &d, &why), 0);
	assert_float_equal(d, -2.5, 0);
	assert_int_equal(number_real("2.5.1", &d, &why), -1);
	assert_string_equal(why, "not a number");
	assert_int_equal(number_real("1e", &d, &why), -1);
	assert_int_equal(number_real(".", &d, &why), -1);
}

/* Short decimals skip strtod: the same double, to the last bit. */
static void
test_real_exact(void **state)
{
	static const char *const cases[] = {"0.5", "0.1", "0.3", "-0.7", "+3",
	    "5.", ".25", "123456789012345", "0.000000000000001",
	    "9007199.254740993", "1234567890123456", "0.1234567890123456",
	    "2.5e3", "-0", "0.01", "86400.000001"};
	const char *why;
	double d, want;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		want = strtod(cases[i], NULL);
		assert_int_equal(number_real(cases[i], &d, &why), 0);
		assert_memory_equal(&d, &want, sizeof d);
	}
}

static void
test_rate(void **state)
{
	const char *why;
	double r;

	assert_int_equal(number_rate("20/s", &r, &why), 0);
	assert_float_equal(r, 20, 1e-12);
	assert_int_equal(number_rate("30/m", &r, &why), 0);
	assert_float_equal(r, 0.5, 1e-12);
	assert_int_equal(number_rate("0.5/s", &r, &why), 0);
	assert_int_equal(number_rate("20", &r, &why), -1);
	assert_int_equal(number_rate("20/h", &r, &why), -1);
	assert_string_equal(why, "unknown unit (expected /s or /m)");
	assert_int_equal(number_rate("0/s", &r, &why), -1);
	assert_string_equal(why, "must be more than 0");
	assert_int_equal(number_rate("/s", &r, &why), -1);
	assert_int_equal(number_rate("x/s", &r, &why), -1);
	assert_int_equal(number_rate("2000000/s", &r, &why), -1);
}

static void
test_bytes(void **state)
{
	unsigned long long v;
	const char *why;

	assert_int_equal(number_bytes("1048576", &v, &why), 0);
	assert_true(v == 1048576);
	assert_int_equal(number_bytes("64MiB", &v, &why), 0);
	assert_true(v == 64ULL << 20);
	assert_int_equal(number_bytes("1GiB", &v, &why), 0);
	assert_true(v == 1ULL << 30);
	assert_int_equal(number_bytes("5kB", &v, &why), 0);
	assert_true(v == 5000);
	assert_int_equal(number_bytes("7B", &v, &why), 0);
	assert_true(v == 7);
	assert_int_equal(number_bytes("0", &v, &why), -1);
	assert_string_equal(why, "too small");
	assert_int_equal(number_bytes("-5", &v, &why), -1);
	assert_string_equal(why, "not a size");
	assert_int_equal(number_bytes("1.5MiB", &v, &why), -1);
	assert_int_equal(number_bytes("10 MiB", &v, &why), -1);
	assert_int_equal(number_bytes("10mb", &v, &why), -1);
	assert_string_equal(
	    why, "unknown unit (expected B, KiB, MiB, GiB, kB, MB or GB)");
	assert_int_equal(number_bytes("99999999TiB", &v, &why), -1);
	assert_string_equal(why, "too large");
	assert_int_equal(number_bytes("18446744073709551616", &v, &why), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration_valid),
	    cmocka_unit_test(test_duration_invalid),
	    cmocka_unit_test(test_uint),
	    cmocka_unit_test(test_real),
	    cmocka_unit_test(test_real_exact),
	    cmocka_unit_test(test_rate),
	    cmocka_unit_test(test_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
