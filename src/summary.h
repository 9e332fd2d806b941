/* The end of a text run in numbers, and the table of --compare. */
#ifndef SUMMARY_H
#define SUMMARY_H

#include <stdio.h>

#include "config.h"

struct report;
struct timeline;
struct timeline_run;
struct timeline_task;

void summary_add(struct report *, FILE *, struct timeline *, int, double, int);
void summary_print(FILE *, const struct timeline_run *, int);
void summary_compare(FILE *, const struct timeline *);
double summary_span(const struct timeline *);
double *summary_times(
    const struct timeline_run *, enum task_kind, size_t *, size_t *);
double summary_percentile(const double *, size_t, double);
const struct timeline_task **summary_slowest_order(
    const struct timeline_run *, size_t *);

#endif
