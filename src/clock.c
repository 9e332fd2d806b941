/* Monotonic seconds, RFC 3339 stamps and a signal-proof sleep. */
#include "autoconf.h"

#include <sys/time.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

/* Seconds on the monotonic clock. */
double
clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds since the epoch, for stamps. */
double
clock_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Split seconds into whole seconds and parts of per a second, rounded to
 * the nearest part. Not positive (or NaN) is 0; past what time_t holds
 * (kept well inside it: 1e15 s, or INT_MAX for a 32-bit one) is that.
 */
static void
clock_split(double seconds, long per, time_t *whole, long *part)
{
	double w, max;

	max = sizeof(time_t) > 4 ? 1e15 : (double)INT_MAX;
	if (!(seconds > 0)) {
		*whole = 0;
		*part = 0;
		return;
	}
	if (seconds >= max) {
		*whole = (time_t)max;
		*part = 0;
		return;
	}
	*part = lround(modf(seconds, &w) * (double)per);
	*whole = (time_t)w;
	if (*part >= per) {
		*part -= per;
		(*whole)++;
	}
}

static __thread time_t clock_format_t;
static __thread char clock_format_day[24];

/* A wall time as RFC 3339, UTC, microseconds. */
void
clock_format(double wall, char *buf, size_t len)
{
	char s[sizeof clock_format_day + 8];
	struct tm tm;
	long usec;
	time_t t;
	size_t n;
	int i;

	clock_split(wall, 1000000, &t, &usec);
	/* Events come many to a second: format the second once. */
	if (t != clock_format_t || clock_format_day[0] == '\0') {
		gmtime_r(&t, &tm);
		strftime(clock_format_day, sizeof clock_format_day,
		    "%Y-%m-%dT%H:%M:%S", &tm);
		clock_format_t = t;
	}
	/* "%s.%06ldZ" by hand: printf was ~10 % of a million results (-o). */
	n = strlen(clock_format_day);
	memcpy(s, clock_format_day, n);
	s[n] = '.';
	for (i = 6; i > 0; i--, usec /= 10)
		s[n + i] = (char)('0' + usec % 10);
	s[n + 7] = 'Z';
	n += 8;
	if (len == 0)
		return;
	if (n > len - 1)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/*
 * The inverse of clock_format: "2026-01-02T03:04:05.123456Z" (the
 * fraction optional, any number of its digits) as seconds since the
 * epoch. 0, or -1 when s is not such a stamp.
 */
int
clock_parse(const char *s, double *out)
{
	struct tm tm;
	static const char form[] = "dddd-dd-ddTdd:dd:dd";
	double frac = 0, unit = 0.1;
	int n;

	for (n = 0; form[n] != '\0'; n++) {
		if (form[n] == 'd' ? !isdigit((unsigned char)s[n])
		                   : s[n] != form[n])
			return -1;
	}
	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -1;
	s += n;
	if (*s == '.' && isdigit((unsigned char)s[1])) {
		for (s++; isdigit((unsigned char)*s); s++, unit /= 10)
			frac += (*s - '0') * unit;
	}
	if (strcmp(s, "Z") != 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	*out = (double)timegm(&tm) + frac;
	return 0;
}

/* The wall time now as RFC 3339. */
void
clock_stamp(char *buf, size_t len)
{
	clock_format(clock_wall(), buf, len);
}

/* Seconds as a struct timeval, for libevent. */
struct timeval
clock_tv(double seconds)
{
	struct timeval tv;
	time_t whole;
	long part;

	clock_split(seconds, 1000000, &whole, &part);
	tv.tv_sec = whole;
	tv.tv_usec = (suseconds_t)part;
	return tv;
}

/* Seconds as a struct timespec, for deadlines. */
struct timespec
clock_ts(double seconds)
{
	struct timespec ts;
	time_t whole;
	long part;

	clock_split(seconds, 1000000000, &whole, &part);
	ts.tv_sec = whole;
	ts.tv_nsec = part;
	return ts;
}

/* Sleep the whole duration, resuming after signals. */
void
clock_sleep(double seconds)
{
	struct timespec until;

	until = clock_ts(clock_now() + seconds);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) ==
	    EINTR)
		;
}
