/* The factorial engine: exact factorials, at once or step by step. */
#ifndef FACTORIAL_H
#define FACTORIAL_H

#include <stddef.h>

#include <gmp.h>

/* What factorial_step says is next. */
enum {
	FACTORIAL_MORE,
	FACTORIAL_DONE,
};

struct factorial;

typedef void (*factorial_wake_cb)(void *);

void factorial_memory_init(void);
size_t factorial_mpz_digits(mpz_srcptr);
char *factorial_compute(unsigned long, size_t *);
size_t factorial_compute_digits(unsigned long);
struct factorial *factorial_new(unsigned long);
void factorial_set_convert(struct factorial *, int);
int factorial_step(struct factorial *, unsigned);
int factorial_complete(const struct factorial *);
int factorial_offload(struct factorial *, factorial_wake_cb, void *);
int factorial_helping(struct factorial *);
unsigned factorial_helpers(void);
unsigned factorial_helpers_wait(double);
int factorial_converted(const struct factorial *);
size_t factorial_digits(const struct factorial *);
char *factorial_finish(struct factorial *, size_t *);
void factorial_free(struct factorial *);

#endif
