/* The end of a text run in numbers, and the table of --compare. */
#ifndef SUMMARY_H
#define SUMMARY_H

#include <stdio.h>

struct report;
struct timeline;
struct timeline_run;

void summary_add(struct report *, FILE *, struct timeline *, int, double, int);
void summary_print(FILE *, const struct timeline_run *, int);
void summary_compare(FILE *, const struct timeline *);
double summary_span(const struct timeline *);

#endif
