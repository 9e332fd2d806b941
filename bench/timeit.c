/*
 * timeit: run a command and say how long it took, as bench/run records
 * it: wall seconds from just before the child is created to just after it
 * is reaped (CLOCK_MONOTONIC), the child's user and system CPU seconds and
 * its peak RSS in KiB (wait4). One line on the file named by -o, so that
 * the command's own stdout and stderr stay its own.
 *
 * usage: timeit [-c CPU] -o FILE COMMAND [ARG...]
 * -c runs the command on that CPU alone (sched_setaffinity, inherited).
 * Exits with the command's status (128 + the signal if one killed it).
 *
 * GNU time run from bash costs two extra process starts in the wall time
 * (bash's fork and time's own exec), a few milliseconds on a machine where
 * /bin/true takes 2; this starts only the command, with posix_spawn.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

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
	struct rusage ru;
	cpu_set_t cpus;
	double t0, t1;
	pid_t pid;
	FILE *out;
	int status, error;

	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		CPU_ZERO(&cpus);
		CPU_SET(atoi(argv[2]), &cpus);
		if (sched_setaffinity(0, sizeof cpus, &cpus) == -1) {
			fprintf(stderr, "timeit: CPU %s: %s\n", argv[2],
			    strerror(errno));
			return 71;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 4 || strcmp(argv[1], "-o") != 0) {
		fprintf(stderr,
		    "usage: timeit [-c CPU] -o FILE COMMAND [ARG...]\n");
		return 64;
	}
	if ((out = fopen(argv[2], "w")) == NULL) {
		fprintf(stderr, "timeit: %s: %s\n", argv[2], strerror(errno));
		return 73;
	}
	t0 = now();
	error = posix_spawnp(&pid, argv[3], NULL, NULL, argv + 3, environ);
	if (error != 0) {
		fprintf(stderr, "timeit: %s: %s\n", argv[3], strerror(error));
		return 127;
	}
	while (wait4(pid, &status, 0, &ru) == -1) {
		if (errno != EINTR) {
			fprintf(stderr, "timeit: wait4: %s\n", strerror(errno));
			return 70;
		}
	}
	t1 = now();
	fprintf(out, "%.6f %.3f %.3f %ld\n", t1 - t0,
	    ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss);
	fclose(out);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
