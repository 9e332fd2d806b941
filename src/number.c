/*
 * Every number, duration and rate in a task file or on the command line
 * goes through these parsers: no trailing garbage, no sign where none is
 * allowed, ranges checked. On failure they return -1 and point *why at a
 * short static explanation.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

/* An unsigned decimal integer in [min, max]. */
int
number_uint(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, const char **why)
{
	unsigned long long v = 0;
	const char *p = s;

	if (*p == '+')
		p++;
	if (!isdigit((unsigned char)*p)) {
		*why = *s == '-' ? "negative" : "not a whole number";
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (~0ULL - (unsigned)(*p - '0')) / 10) {
			*why = "too large";
			return -1;
		}
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*p != '\0') {
		*why = "not a whole number";
		return -1;
	}
	if (v < min) {
		*why = "too small";
		return -1;
	}
	if (v > max) {
		*why = "too large";
		return -1;
	}
	*out = v;
	return 0;
}

/* Length of a plain decimal number at s: [+-]digits[.digits][e[+-]digits]. */
static size_t
number_span(const char *s)
{
	const char *p = s;
	int digits = 0;

	if (*p == '+' || *p == '-')
		p++;
	for (; isdigit((unsigned char)*p); p++)
		digits++;
	if (*p == '.') {
		p++;
		for (; isdigit((unsigned char)*p); p++)
			digits++;
	}
	if (digits == 0)
		return 0;
	if (*p == 'e' || *p == 'E') {
		const char *e = p + 1;

		if (*e == '+' || *e == '-')
			e++;
		if (isdigit((unsigned char)*e)) {
			while (isdigit((unsigned char)*e))
				e++;
			p = e;
		}
	}
	return (size_t)(p - s);
}

/*
 * A checked number of at most 15 digits and no exponent, without strtod:
 * its digits and the power of ten are exact doubles, so that one division
 * rounds as strtod would (Clinger's fast path). -1 for other numbers.
 */
static int
number_real_fast(const char *s, double *out)
{
	static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
	unsigned long long m = 0;
	int digits = 0, frac = 0, point = 0;
	const char *p = s + (*s == '+' || *s == '-');

	for (; *p != '\0'; p++) {
		if (*p == '.') {
			point = 1;
			continue;
		}
		if (!isdigit((unsigned char)*p) || ++digits > 15)
			return -1;
		m = m * 10 + (unsigned)(*p - '0');
		frac += point;
	}
	*out = (double)m / pow10[frac];
	if (*s == '-')
		*out = -*out;
	return 0;
}

/* A finite decimal number, nothing after it. */
int
number_real(const char *s, double *out, const char **why)
{
	size_t n;
	double v;

	n = number_span(s);
	if (n == 0 || s[n] != '\0') {
		*why = "not a number";
		return -1;
	}
	if (number_real_fast(s, out) == 0)
		return 0;
	errno = 0;
	v = strtod(s, NULL);
	if (errno == ERANGE || !isfinite(v)) {
		*why = "out of range";
		return -1;
	}
	*out = v;
	return 0;
}

/* A duration: a number of seconds, or a number with ms, s, m or h. */
int
number_duration(const char *s, double *out, const char **why)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = {{"", 1}, {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}};
	size_t n, i;
	char num[64];
	double v;

	n = number_span(s);
	if (n == 0) {
		*why = "not a duration";
		return -1;
	}
	if (n >= sizeof num) {
		*why = "out of range";
		return -1;
	}
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(s + n, units[i].unit) == 0)
			break;
	}
	if (i == sizeof units / sizeof units[0]) {
		*why = "unknown unit (expected ms, s, m or h)";
		return -1;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (number_real(num, &v, why) != 0)
		return -1;
	if (v < 0) {
		*why = "negative";
		return -1;
	}
	v *= units[i].scale;
	if (v > NUMBER_DURATION_MAX) {
		*why = "too long (at most 365 days)";
		return -1;
	}
	*out = v;
	return 0;
}

/* A rate: "20/s" or "5/m", as starts per second. */
int
number_rate(const char *s, double *out, const char **why)
{
	const char *slash;
	char num[64];
	double v, per;
	size_t n;

	if ((slash = strchr(s, '/')) == NULL) {
		*why =
		    "expected a count per second or minute, like 20/s or 5/m";
		return -1;
	}
	if (strcmp(slash, "/s") == 0)
		per = 1;
	else if (strcmp(slash, "/m") == 0)
		per = 60;
	else {
		*why = "unknown unit (expected /s or /m)";
		return -1;
	}
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof num) {
		*why = "not a number";
		return -1;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (number_real(num, &v, why) != 0)
		return -1;
	if (v <= 0) {
		*why = "must be more than 0";
		return -1;
	}
	if (v / per > 1e6) {
		*why = "too large (at most 1000000/s)";
		return -1;
	}
	*out = v / per;
	return 0;
}

/*
 * A size in bytes, at least 1: a whole number, or one with a unit, B,
 * KiB, MiB, GiB, TiB (powers of 1024) or kB, MB, GB, TB (of 1000).
 */
int
number_bytes(const char *s, unsigned long long *out, const char **why)
{
	static const struct {
		const char *unit;
		unsigned long long scale;
	} units[] = {{"", 1}, {"B", 1}, {"KiB", 1ULL << 10},
	    {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}, {"TiB", 1ULL << 40},
	    {"kB", 1000}, {"MB", 1000000}, {"GB", 1000000000},
	    {"TB", 1000000000000ULL}};
	unsigned long long v;
	size_t n, i;
	char num[32];

	for (n = 0; isdigit((unsigned char)s[n]); n++)
		;
	if (n == 0 || n >= sizeof num) {
		*why = n == 0 ? "not a size" : "too large";
		return -1;
	}
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(s + n, units[i].unit) == 0)
			break;
	}
	if (i == sizeof units / sizeof units[0]) {
		*why = "unknown unit (expected B, KiB, MiB, GiB, kB, MB or GB)";
		return -1;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (number_uint(num, 1, ~0ULL / units[i].scale, &v, why) != 0)
		return -1;
	*out = v * units[i].scale;
	return 0;
}
