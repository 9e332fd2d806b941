/* Time: a monotonic clock for elapsed times, wall time for stamps. */
#ifndef CLOCK_H
#define CLOCK_H

#include <sys/time.h>

#include <stddef.h>
#include <time.h>

#define CLOCK_STAMP_SIZE 32

double clock_now(void);
double clock_wall(void);
void clock_format(double, char *, size_t);
void clock_stamp(char *, size_t);
int clock_parse(const char *, double *);
void clock_sleep(double);
struct timeval clock_tv(double);
struct timespec clock_ts(double);

#endif
