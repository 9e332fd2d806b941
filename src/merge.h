/*
 * --merge: the results files of a run's shards read back as one run,
 * checked for tasks missing or present twice, summed up and drawn.
 */
#ifndef MERGE_H
#define MERGE_H

#include <stddef.h>

#include <jansson.h>

#include "timeline.h"

struct config;
struct daemon_opts;

/* One results file and what its lines add up to. */
struct merge_file {
	const char *path;
	char *tag; /* its workers' prefix, "shard-0" in "shard-0:One" */
	size_t tasks;
	size_t ok;
	size_t failed;
	double first; /* wall time of its first task's start */
	double last; /* and of its last task's end */
	double busy; /* seconds of tasks */
	long busiest; /* the merged worker with the most task time, or -1 */
};

/* A worker of one of the files: a row of its own in the merged run. */
struct merge_worker {
	char *name; /* "shard-0:One" ("One" when there is one file) */
	unsigned file;
	double busy; /* seconds of tasks */
};

/*
 * One task_done line: where it was and the task as a timeline keeps it,
 * its start and end wall times until its run is put together.
 */
struct merge_record {
	unsigned run;
	unsigned file;
	unsigned line;
	struct timeline_task t;
};

struct merge {
	const struct daemon_opts *opts;
	const struct config *cf; /* -c FILE, or NULL */
	struct merge_file *files;
	size_t nfiles;
	struct merge_record *recs;
	size_t nrecs;
	size_t cap;
	json_t *ids; /* "file number:name" to the merged worker */
	struct merge_worker *workers;
	unsigned nworkers;
	unsigned maxrun; /* the highest run number seen */
	size_t problems; /* tasks missing, twice, or not in the file */
	size_t failed; /* tasks that failed, of every run */
	struct timeline_run **runs; /* the runs seen, in order */
	size_t nruns;
	double *t0; /* and their starts, wall times */
};

int merge_main(const struct daemon_opts *, char *const *, size_t);

/* merge-read.c */
int merge_read(struct merge *, unsigned);
int merge_line(
    struct merge *, unsigned, unsigned, const char *, size_t, char **);
json_t *merge_arg_json(const struct timeline_task *);

/* merge-check.c */
void merge_sort(struct merge *);
void merge_check(struct merge *);
char *merge_ranges(const unsigned *, size_t, unsigned, size_t *);

/* merge-print.c */
void merge_print(const struct merge *);
void merge_print_json(const struct merge *);

#endif
