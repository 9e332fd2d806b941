/*
 * Is every task of every run there exactly once? The records are sorted
 * by run and task; a task present twice is said with both places, the
 * missing ones as ranges ("7, 12-15"). Without the task file, only the
 * tasks up to the highest seen can be checked.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "merge.h"
#include "task.h"
#include "xmalloc.h"

/* Problems said one by one; the rest are counted. */
#define MERGE_SAID 20

/* Ranges listed in one message. */
#define MERGE_RANGES 20

/* Tasks named (with -c) when missing, per run. */
#define MERGE_NAMED 10

/* By run, task, then file and line: the order of a whole run's file. */
static int
merge_cmp(const void *a, const void *b)
{
	const struct merge_record *x = a, *y = b;

	if (x->run != y->run)
		return x->run < y->run ? -1 : 1;
	if (x->t.index != y->t.index)
		return x->t.index < y->t.index ? -1 : 1;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort the records; none is no array at all, which qsort may not take. */
void
merge_sort(struct merge *m)
{
	if (m->nrecs > 0)
		qsort(m->recs, m->nrecs, sizeof *m->recs, merge_cmp);
}

static void merge_say(struct merge *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* A problem: said, while there have not been too many. */
static void
merge_say(struct merge *m, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (m->problems++ >= MERGE_SAID)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	log_warnx("%s", msg);
	free(msg);
}

/* Missing ranges as they are found. */
struct merge_gaps {
	char *s;
	size_t ranges;
	size_t missing;
};

/* Add the range a to b: "a" or "a-b", after a comma unless first. */
static void
merge_gap(struct merge_gaps *g, unsigned a, unsigned b)
{
	const char *sep = *g->s != '\0' ? ", " : "";
	char *next;

	g->missing += (size_t)(b - a) + 1;
	if (++g->ranges > MERGE_RANGES + 1)
		return;
	if (g->ranges > MERGE_RANGES)
		next = xprintf("%s, ...", g->s);
	else if (a == b)
		next = xprintf("%s%s%u", g->s, sep, a);
	else
		next = xprintf("%s%s%u-%u", g->s, sep, a, b);
	free(g->s);
	g->s = next;
}

/*
 * The numbers from 1 to last that tasks (n of them, ascending, repeats
 * allowed) lacks, as ranges: "7, 12-15", the first MERGE_RANGES of them
 * then ", ...". NULL when none is; how many are, in *missing.
 */
char *
merge_ranges(const unsigned *tasks, size_t n, unsigned last, size_t *missing)
{
	struct merge_gaps g = {xstrdup(""), 0, 0};
	unsigned long long next = 1;
	size_t i;

	for (i = 0; i < n && next <= last; i++) {
		if (tasks[i] < next)
			continue;
		if (tasks[i] > next)
			merge_gap(&g, (unsigned)next,
			    tasks[i] <= last ? tasks[i] - 1 : last);
		next = tasks[i] + 1ULL;
	}
	if (next <= last)
		merge_gap(&g, (unsigned)next, last);
	*missing = g.missing;
	if (g.missing == 0) {
		free(g.s);
		return NULL;
	}
	return g.s;
}

/* Where the records from i to j are: "a.jsonl:2, b.jsonl:5". */
static char *
merge_places(const struct merge *m, size_t i, size_t j)
{
	const struct merge_record *r;
	char *s = xstrdup(""), *next;
	size_t k;

	for (k = i; k < j && k < i + MERGE_NAMED; k++) {
		r = &m->recs[k];
		next = xprintf("%s%s%s:%u", s, k > i ? ", " : "",
		    m->files[r->file].path, r->line);
		free(s);
		s = next;
	}
	if (k < j) {
		next = xprintf("%s, ...", s);
		free(s);
		s = next;
	}
	return s;
}

/* Tasks of a run (records i to j) that are there more than once. */
static void
merge_twice(struct merge *m, unsigned run, size_t i, size_t j)
{
	size_t k, same;
	char *where;

	for (k = i; k < j; k += same) {
		for (same = 1; k + same < j &&
		     m->recs[k + same].t.index == m->recs[k].t.index;
		     same++)
			;
		if (same == 1)
			continue;
		where = merge_places(m, k, k + same);
		merge_say(m, "run %u: task %u is there %zu times: %s", run,
		    m->recs[k].t.index, same, where);
		free(where);
	}
}

/* With -c: a missing task's kind, argument and line in the file. */
static void
merge_name(const struct merge *m, unsigned run, unsigned index)
{
	const struct task *t = &m->cf->tasks[index - 1];
	char buf[TIMELINE_TEXT];

	log_warnx("run %u: task %u missing: %s %s (%s:%u)", run, index,
	    config_kind_name((enum task_kind)t->kind),
	    task_ops((enum task_kind)t->kind)->arg(t, buf, sizeof buf),
	    m->cf->path, t->line);
}

/* With -c, the first MERGE_NAMED missing tasks by name. */
static void
merge_name_missing(
    const struct merge *m, unsigned run, const unsigned *tasks, size_t n)
{
	unsigned t, named = 0;
	size_t i = 0;

	for (t = 1; t <= m->cf->ntasks && named < MERGE_NAMED; t++) {
		while (i < n && tasks[i] < t)
			i++;
		if (i < n && tasks[i] == t)
			continue;
		merge_name(m, run, t);
		named++;
	}
}

/* The tasks from 1 to the last expected that no file has. */
static void
merge_missing(struct merge *m, unsigned run, const unsigned *tasks, size_t n)
{
	unsigned last = m->cf != NULL ? (unsigned)m->cf->ntasks
	    : n > 0                   ? tasks[n - 1]
	                              : 0;
	size_t missing;
	char *s;

	if ((s = merge_ranges(tasks, n, last, &missing)) == NULL)
		return;
	merge_say(m, "run %u: %zu task%s missing: %s", run, missing,
	    missing == 1 ? "" : "s", s);
	free(s);
	if (m->cf != NULL)
		merge_name_missing(m, run, tasks, n);
}

/* With -c: a result for a task the file does not have, or not so. */
static void
merge_unlike(struct merge *m, const struct merge_record *r)
{
	const char *path = m->files[r->file].path;
	const struct task *t;

	if (r->t.index > m->cf->ntasks) {
		merge_say(m, "%s:%u: task %u is not in %s (%zu tasks)", path,
		    r->line, r->t.index, m->cf->path, m->cf->ntasks);
		return;
	}
	t = &m->cf->tasks[r->t.index - 1];
	if (t->kind != r->t.kind)
		merge_say(m, "%s:%u: task %u is a %s, but %s:%u is a %s task",
		    path, r->line, r->t.index,
		    config_kind_name((enum task_kind)r->t.kind), m->cf->path,
		    t->line, config_kind_name((enum task_kind)t->kind));
}

/* Run r's records, i to j: twice, missing, unlike the task file. */
static void
merge_check_run(struct merge *m, unsigned run, size_t i, size_t j)
{
	unsigned *tasks;
	size_t k;

	tasks = xcalloc(j - i + 1, sizeof *tasks);
	for (k = i; k < j; k++) {
		tasks[k - i] = m->recs[k].t.index;
		if (m->cf != NULL)
			merge_unlike(m, &m->recs[k]);
	}
	merge_twice(m, run, i, j);
	merge_missing(m, run, tasks, j - i);
	free(tasks);
}

/* The runs from 1 to the highest seen that no file has a result of. */
static void
merge_runs_missing(struct merge *m)
{
	unsigned *runs;
	size_t i, n = 0, missing;
	char *s;

	runs = xcalloc(m->nrecs + 1, sizeof *runs);
	for (i = 0; i < m->nrecs; i++) {
		if (n == 0 || runs[n - 1] != m->recs[i].run)
			runs[n++] = m->recs[i].run;
	}
	if ((s = merge_ranges(runs, n, m->maxrun, &missing)) != NULL)
		merge_say(m, "no task results for run%s %s",
		    missing == 1 ? "" : "s", s);
	free(s);
	free(runs);
}

/* Check the sorted records, run by run; problems are said and counted. */
void
merge_check(struct merge *m)
{
	size_t i, j;

	if (m->nrecs == 0 && m->cf == NULL)
		merge_say(m, "no task results in the file%s",
		    m->nfiles == 1 ? "" : "s");
	if (m->nrecs == 0 && m->cf != NULL)
		merge_check_run(m, 1, 0, 0);
	for (i = 0; i < m->nrecs; i = j) {
		for (j = i; j < m->nrecs && m->recs[j].run == m->recs[i].run;
		     j++)
			;
		merge_check_run(m, m->recs[i].run, i, j);
	}
	merge_runs_missing(m);
	if (m->problems > MERGE_SAID)
		log_warnx(
		    "... and %zu more problems", m->problems - MERGE_SAID);
}
