/*
 * asyncdemo --merge FILE...: the results files of a run's shards read
 * back as one run: checked for tasks missing or there twice, summed up
 * as a run's own summary is, compared file by file, and drawn with
 * --timeline-svg and --trace, each file's workers on rows of their own.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "daemon.h"
#include "escape.h"
#include "load.h"
#include "log.h"
#include "merge.h"
#include "output.h"
#include "timeline.h"
#include "xmalloc.h"

/*
 * A file's tag: its base name without ".jsonl" or ".json", control
 * characters shown escaped, as its workers' names must not hold them.
 */
static char *
merge_tag(const char *path)
{
	char *copy = xstrdup(path), *tag, *dot;

	tag = escape_text(basename(copy), 0);
	free(copy);
	if ((dot = strrchr(tag, '.')) != NULL && dot != tag &&
	    (strcmp(dot, ".jsonl") == 0 || strcmp(dot, ".json") == 0))
		*dot = '\0';
	return tag;
}

/* The files, tagged by name; by their number when two names are one. */
static void
merge_files(struct merge *m, char *const *paths, size_t n)
{
	size_t i, j;
	int same = 0;

	m->files = xcalloc(n, sizeof *m->files);
	m->nfiles = n;
	for (i = 0; i < n; i++) {
		m->files[i].path = paths[i];
		m->files[i].tag = merge_tag(paths[i]);
		m->files[i].busiest = -1;
		for (j = 0; j < i; j++)
			same |= strcmp(m->files[i].tag, m->files[j].tag) == 0;
	}
	for (i = 0; same && i < n; i++) {
		free(m->files[i].tag);
		m->files[i].tag = xprintf("%zu", i + 1);
	}
}

/*
 * 0, or 64 when a file is given twice, under one name or two: its tasks
 * would all be there twice, each at one place.
 */
static int
merge_twice_given(const struct merge *m)
{
	struct stat *st;
	size_t i, j;
	int rc = 0;

	st = xcalloc(m->nfiles, sizeof *st);
	for (i = 0; i < m->nfiles && rc == 0; i++) {
		if (stat(m->files[i].path, &st[i]) != 0)
			continue;
		for (j = 0; j < i && rc == 0; j++) {
			/* No link: a file stat could not see, left zero. */
			if (st[j].st_ino != st[i].st_ino ||
			    st[j].st_dev != st[i].st_dev || st[j].st_nlink == 0)
				continue;
			log_warnx("--merge: %s and %s are the same file",
			    m->files[j].path, m->files[i].path);
			rc = EX_USAGE;
		}
	}
	free(st);
	return rc;
}

/* Every file, each read whole for its errors: 0, or the first failure. */
static int
merge_read_all(struct merge *m)
{
	size_t i;
	int rc = 0, one;

	m->ids = json_object();
	for (i = 0; i < m->nfiles; i++) {
		if ((one = merge_read(m, (unsigned)i)) != 0 && rc == 0)
			rc = one;
	}
	return rc;
}

static const struct merge *merge_sorting;

/* Rows by file, then by name as people count: "2" before "10". */
static int
merge_cmp_worker(const void *a, const void *b)
{
	const struct merge_worker *x, *y;

	x = &merge_sorting->workers[*(const unsigned *)a];
	y = &merge_sorting->workers[*(const unsigned *)b];
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return strverscmp(x->name, y->name);
}

/* Put the workers in row order, and each file's busiest in its place. */
static void
merge_order(struct merge *m)
{
	struct merge_worker *sorted;
	unsigned *order, *at, w;
	size_t i;

	order = xcalloc(m->nworkers + 1, sizeof *order);
	at = xcalloc(m->nworkers + 1, sizeof *at);
	for (w = 0; w < m->nworkers; w++)
		order[w] = w;
	merge_sorting = m;
	qsort(order, m->nworkers, sizeof *order, merge_cmp_worker);
	sorted = xcalloc(m->nworkers + 1, sizeof *sorted);
	for (w = 0; w < m->nworkers; w++) {
		sorted[w] = m->workers[order[w]];
		at[order[w]] = w;
	}
	for (i = 0; i < m->nrecs; i++)
		m->recs[i].t.worker = at[m->recs[i].t.worker];
	free(m->workers);
	m->workers = sorted;
	for (w = 0; w < m->nworkers; w++) {
		struct merge_file *f = &m->files[sorted[w].file];

		if (f->busiest < 0 || sorted[w].busy > sorted[f->busiest].busy)
			f->busiest = w;
	}
	free(order);
	free(at);
}

/* A run's record with no task yet: every file's workers, by name. */
static struct timeline_run *
merge_run_new(const struct merge *m, unsigned run)
{
	struct timeline_run *tr;
	unsigned w;

	tr = xcalloc(1, sizeof *tr);
	tr->number = run;
	tr->name = xstrdup(m->cf != NULL ? m->cf->name : "merged");
	tr->mode = m->cf != NULL ? m->cf->mode : MODE_ASYNC;
	tr->merged = (unsigned)m->nfiles;
	tr->time_scale = 1;
	tr->nworkers = m->nworkers;
	tr->workers = xcalloc(m->nworkers + 1, sizeof *tr->workers);
	for (w = 0; w < m->nworkers; w++)
		tr->workers[w] = xstrdup(m->workers[w].name);
	return tr;
}

/*
 * Run run's tasks, records i to j, move into its timeline record, their
 * times from the earliest start; the start, a wall time, in *t0.
 */
static struct timeline_run *
merge_run(struct merge *m, unsigned run, size_t i, size_t j, double *t0)
{
	struct timeline_run *tr = merge_run_new(m, run);
	struct timeline_task *t;
	double end = 0;
	size_t k;

	*t0 = 0;
	tr->tasks = xcalloc(j - i + 1, sizeof *tr->tasks);
	tr->ntask = tr->cap = j - i;
	for (k = i; k < j; k++) {
		t = &tr->tasks[k - i];
		*t = m->recs[k].t;
		memset(&m->recs[k].t, 0, sizeof m->recs[k].t);
		if (k == i || t->start < *t0)
			*t0 = t->start;
		if (k == i || t->end > end)
			end = t->end;
		tr->ok += t->ok;
		tr->failed += !t->ok;
	}
	for (k = 0; k < tr->ntask; k++) {
		tr->tasks[k].start -= *t0;
		tr->tasks[k].end -= *t0;
	}
	tr->elapsed = end - *t0;
	tr->ntasks = m->cf != NULL ? m->cf->ntasks
	    : j > i                ? tr->tasks[j - i - 1].index
	                           : 0;
	return tr;
}

/* How many runs the sorted records are of, at least one. */
static size_t
merge_count_runs(const struct merge *m)
{
	size_t i, n = 1;

	for (i = 1; i < m->nrecs; i++)
		n += m->recs[i].run != m->recs[i - 1].run;
	return n;
}

/*
 * The timeline records of the runs seen (run 1 with no task if none
 * is), from the sorted records, then let go: runs no file has take no
 * room, whatever their numbers.
 */
static void
merge_build(struct merge *m)
{
	size_t i = 0, j, r, n = merge_count_runs(m);
	unsigned run;

	m->runs = xcalloc(n, sizeof *m->runs);
	m->t0 = xcalloc(n, sizeof *m->t0);
	for (r = 0; r < n; r++) {
		run = i < m->nrecs ? m->recs[i].run : 1;
		for (j = i; j < m->nrecs && m->recs[j].run == run; j++)
			;
		m->runs[r] = merge_run(m, run, i, j, &m->t0[r]);
		i = j;
	}
	m->nruns = n;
	free(m->recs);
	m->recs = NULL;
	m->nrecs = m->cap = 0;
}

/* --timeline-svg and --trace of the merged runs: 0, or 75 said. */
static int
merge_draw(const struct merge *m)
{
	const struct daemon_opts *o = m->opts;
	const struct timeline_run *const *runs =
	    (const struct timeline_run *const *)m->runs;
	char *cause;

	if ((o->timeline_svg != NULL &&
	        timeline_svg_write(o->timeline_svg, runs, m->nruns,
	            o->time_axis, &cause) != 0) ||
	    (o->trace != NULL &&
	        timeline_trace_write(o->trace, runs, m->nruns, &cause) != 0)) {
		log_warnx("cannot write %s", cause);
		free(cause);
		return EX_TEMPFAIL;
	}
	return 0;
}

/* Free what the merge read and built. */
static void
merge_free(struct merge *m)
{
	size_t i;

	for (i = 0; i < m->nrecs; i++) {
		free(m->recs[i].t.str);
		free(m->recs[i].t.error);
	}
	for (i = 0; i < m->nruns; i++)
		timeline_run_free(m->runs[i]);
	for (i = 0; i < m->nworkers; i++)
		free(m->workers[i].name);
	for (i = 0; i < m->nfiles; i++)
		free(m->files[i].tag);
	json_decref(m->ids);
	free(m->recs);
	free(m->runs);
	free(m->t0);
	free(m->workers);
	free(m->files);
}

/*
 * Read, check, print and draw. 0 when every task of every run is there
 * once and succeeded; 1 when one is missing, there twice or failed; 66
 * or 78 for a file that cannot be read or is not results; 75 when a
 * picture cannot be written.
 */
int
merge_main(const struct daemon_opts *o, char *const *paths, size_t n)
{
	struct config *cf = NULL;
	struct merge m;
	int rc;

	memset(&m, 0, sizeof m);
	m.opts = o;
	if (output_check(o) != 0)
		return EX_TEMPFAIL;
	if (o->file != NULL && (rc = load_file(o, &cf)) != 0)
		return rc;
	m.cf = cf;
	merge_files(&m, paths, n);
	if ((rc = merge_twice_given(&m)) == 0 &&
	    (rc = merge_read_all(&m)) == 0) {
		merge_sort(&m);
		merge_order(&m);
		merge_check(&m);
		merge_build(&m);
		if (!o->quiet && o->json)
			merge_print_json(&m);
		else if (!o->quiet)
			merge_print(&m);
		rc = merge_draw(&m);
	}
	if (rc == 0 && (m.problems > 0 || m.failed > 0))
		rc = 1;
	merge_free(&m);
	config_free(cf);
	return rc;
}
