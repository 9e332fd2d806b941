/* Exact factorials, at once or a few multiplications at a time. */
#ifndef TASK_FACTORIAL_H
#define TASK_FACTORIAL_H

#include <stddef.h>

struct factorial;

char *factorial_compute(unsigned long, size_t *);
struct factorial *factorial_new(unsigned long);
int factorial_step(struct factorial *, unsigned);
char *factorial_finish(struct factorial *, size_t *);
void factorial_free(struct factorial *);

#endif
