/*
 * pagetouch: what the first write to a fresh page of memory costs on this
 * machine, the price of every byte of RSS a program grows by.
 *
 * usage: pagetouch [MIB]   (default 64)
 * Maps MIB of anonymous memory and writes one byte to each page, timed
 * with CLOCK_MONOTONIC; then the same after MAP_POPULATE has faulted the
 * pages in with one system call. Prints microseconds per page for both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Microseconds per page to write one byte to each of n bytes at p. */
static double
touch(volatile char *p, size_t n, size_t page)
{
	double t0 = now();
	size_t i;

	for (i = 0; i < n; i += page)
		p[i] = 1;
	return (now() - t0) * 1e6 / (n / page);
}

int
main(int argc, char **argv)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = (size_t)(argc > 1 ? atol(argv[1]) : 64) << 20;
	double t0, populate;
	char *p;

	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("first write to a fresh page: %.2f us\n", touch(p, n, page));
	munmap(p, n);
	t0 = now();
	p = mmap(NULL, n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	populate = (now() - t0) * 1e6 / (n / page);
	printf("MAP_POPULATE: %.2f us, then first write: %.2f us\n", populate,
	    touch(p, n, page));
	munmap(p, n);
	return 0;
}
