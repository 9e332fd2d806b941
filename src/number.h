/* Checked parsers for numbers, durations and rates. */
#ifndef NUMBER_H
#define NUMBER_H

/* The longest duration anything accepts: 365 days. */
#define NUMBER_DURATION_MAX (365.0 * 24 * 3600)

int number_uint(const char *, unsigned long long, unsigned long long,
    unsigned long long *, const char **);
int number_real(const char *, double *, const char **);
int number_duration(const char *, double *, const char **);
int number_bytes(const char *, unsigned long long *, const char **);
int number_rate(const char *, double *, const char **);

#endif
