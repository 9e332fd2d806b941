/*
 * n! with GMP's own mpz_fac_ui, timed in-process (CLOCK_MONOTONIC).
 * usage: fac [N]   (default 100000)
 * Prints the seconds mpz_fac_ui took, then the seconds the decimal
 * conversion took and the digit count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gmp.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	double t0, t1, t2;
	mpz_t x;
	char *s;

	mpz_init(x);
	t0 = now();
	mpz_fac_ui(x, n);
	t1 = now();
	s = mpz_get_str(NULL, 10, x);
	t2 = now();
	printf("%.6f\n%.6f %zu digits\n", t1 - t0, t2 - t1, strlen(s));
	free(s);
	mpz_clear(x);
	return 0;
}
