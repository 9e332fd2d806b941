/* Monotonic seconds, RFC 3339 stamps and a signal-proof sleep. */
#include "autoconf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
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

static __thread time_t clock_format_t;
static __thread char clock_format_day[24];

/* A wall time as RFC 3339, UTC, microseconds. */
void
clock_format(double wall, char *buf, size_t len)
{
	struct tm tm;
	double whole;
	long usec;
	time_t t;

	usec = lround(modf(wall, &whole) * 1e6);
	t = (time_t)whole;
	if (usec >= 1000000) {
		usec -= 1000000;
		t++;
	}
	/* Events come many to a second: format the second once. */
	if (t != clock_format_t || clock_format_day[0] == '\0') {
		gmtime_r(&t, &tm);
		strftime(clock_format_day, sizeof clock_format_day,
		    "%Y-%m-%dT%H:%M:%S", &tm);
		clock_format_t = t;
	}
	snprintf(buf, len, "%s.%06ldZ", clock_format_day, usec);
}

/* The wall time now as RFC 3339. */
void
clock_stamp(char *buf, size_t len)
{
	clock_format(clock_wall(), buf, len);
}

/* Sleep the whole duration, resuming after signals. */
void
clock_sleep(double seconds)
{
	struct timespec until;
	double end, whole;

	end = clock_now() + seconds;
	until.tv_nsec = (long)(modf(end, &whole) * 1e9);
	until.tv_sec = (time_t)whole;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) ==
	    EINTR)
		;
}
