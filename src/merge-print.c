/*
 * What --merge prints: for each run its span and the summary a run
 * prints at its end, then the files compared; with -j, one JSON object.
 */
#include "autoconf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "escape.h"
#include "merge.h"
#include "output.h"
#include "summary.h"
#include "timeline.h"
#include "xmalloc.h"

/* Slowest tasks in the JSON summary. */
#define MERGE_SLOWEST 3

/* The percentiles of the JSON summary, nearest rank as the text's. */
static const struct {
	const char *key;
	double p;
} merge_percentiles[] = {
    {"p50", 0.5}, {"p90", 0.9}, {"p95", 0.95}, {"p99", 0.99}, {"max", 1}};

/* A run's header: its span, and what could not be checked. */
static void
merge_print_run(
    const struct merge *m, const struct timeline_run *tr, double t0, FILE *f)
{
	char a[CLOCK_STAMP_SIZE], b[CLOCK_STAMP_SIZE];

	if (tr->ntask == 0) {
		fprintf(f, "%sRun %u: no task results in the file%s\n",
		    tr->number > 1 ? "\n" : "", tr->number,
		    m->nfiles == 1 ? "" : "s");
		return;
	}
	clock_format(t0, a, sizeof a);
	clock_format(t0 + tr->elapsed, b, sizeof b);
	fprintf(f, "%sRun %u merged from %zu file%s: %s to %s (%.2f s)\n",
	    tr->number > 1 ? "\n" : "", tr->number, m->nfiles,
	    m->nfiles == 1 ? "" : "s", a, b, tr->elapsed);
	if (m->cf == NULL && tr->ntask > 0)
		fprintf(f,
		    "  (tasks after %zu, the highest seen, cannot be checked "
		    "without -c TASKFILE)\n",
		    tr->ntasks);
}

/* One file's line of the comparison, times from t0 (the earliest start). */
static void
merge_print_file(const struct merge *m, const struct merge_file *mf, double t0,
    int width, FILE *f)
{
	char *path = escape_text(mf->path, 0);

	fprintf(f, "  %-*s %6zu %6zu %7zu", width, path, mf->tasks, mf->ok,
	    mf->failed);
	free(path);
	if (mf->tasks > 0)
		fprintf(f, " %8.2f s %8.2f s %8.2f s  ", mf->first - t0,
		    mf->last - t0, mf->busy);
	if (mf->busiest >= 0) {
		escape_fputs(f, m->workers[mf->busiest].name, 0);
		fprintf(f, " (%.2f s)", m->workers[mf->busiest].busy);
	}
	fputc('\n', f);
}

/* The files side by side: what each ran, when, and its busiest worker. */
static void
merge_print_files(const struct merge *m, FILE *f)
{
	const struct merge_file *mf;
	double t0 = 0;
	size_t i, len;
	int width = 4, any = 0;

	for (i = 0; i < m->nfiles; i++) {
		mf = &m->files[i];
		if (mf->tasks > 0 && (!any || mf->first < t0))
			t0 = mf->first;
		any |= mf->tasks > 0;
		len = strlen(mf->path);
		if (len > (size_t)width)
			width = len > 40 ? 40 : (int)len;
	}
	fprintf(f, "\nFiles compared:\n  %-*s %6s %6s %7s %10s %10s %10s  %s\n",
	    width, "file", "tasks", "ok", "failed", "start", "end", "task time",
	    "busiest worker");
	for (i = 0; i < m->nfiles; i++)
		merge_print_file(m, &m->files[i], t0, width, f);
}

/* The text: each run's header, chart (--timeline) and summary; files. */
void
merge_print(const struct merge *m)
{
	const struct daemon_opts *o = m->opts;
	int color = output_color();
	size_t i;

	for (i = 0; i < m->nruns; i++) {
		merge_print_run(m, m->runs[i], m->t0[i], stdout);
		if (o->timeline)
			timeline_text_print(stdout, m->runs[i], o->time_axis,
			    timeline_text_width(), color);
		summary_print(stdout, m->runs[i], color);
	}
	merge_print_files(m, stdout);
}

/* A kind's count, failures and percentiles in a run, or NULL if none. */
static json_t *
merge_json_kind(const struct timeline_run *tr, enum task_kind kind)
{
	json_t *o = NULL;
	double *times;
	size_t i, n, failed;

	times = summary_times(tr, kind, &n, &failed);
	if (n > 0) {
		o = json_pack("{s:I, s:I}", "count", (json_int_t)n, "failed",
		    (json_int_t)failed);
		for (i = 0;
		     i < sizeof merge_percentiles / sizeof merge_percentiles[0];
		     i++)
			json_object_set_new(o, merge_percentiles[i].key,
			    json_real(summary_percentile(
			        times, n, merge_percentiles[i].p)));
	}
	free(times);
	return o;
}

/* A run's slowest tasks: task, kind, arg, worker, elapsed. */
static json_t *
merge_json_slowest(const struct merge *m, const struct timeline_run *tr)
{
	const struct timeline_task **order, *t;
	json_t *a = json_array();
	size_t i, n;

	order = summary_slowest_order(tr, &n);
	for (i = 0; i < n && i < MERGE_SLOWEST; i++) {
		t = order[i];
		json_array_append_new(a,
		    json_pack("{s:I, s:s, s:o, s:s, s:f}", "task",
		        (json_int_t)t->index, "kind",
		        config_kind_name((enum task_kind)t->kind), "arg",
		        merge_arg_json(t), "worker", tr->workers[t->worker],
		        "elapsed", t->elapsed));
	}
	free(order);
	return a;
}

/* A wall time as an RFC 3339 JSON string. */
static json_t *
merge_json_time(double wall)
{
	char buf[CLOCK_STAMP_SIZE];

	clock_format(wall, buf, sizeof buf);
	return json_string(buf);
}

/* Run i of the merge as an object: its span, counts, kinds and slowest. */
static json_t *
merge_json_run(const struct merge *m, size_t i)
{
	const struct timeline_run *tr = m->runs[i];
	json_t *o, *kinds = json_object(), *k;
	double sum = 0;
	size_t t;
	int kind;

	for (t = 0; t < tr->ntask; t++)
		sum += tr->tasks[t].elapsed;
	for (kind = 0; kind < TASK_NKINDS; kind++) {
		if ((k = merge_json_kind(tr, (enum task_kind)kind)) != NULL)
			json_object_set_new(
			    kinds, config_kind_name((enum task_kind)kind), k);
	}
	o = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:f, s:f, s:o, s:o}",
	    "run", (json_int_t)tr->number, "tasks", (json_int_t)tr->ntask, "ok",
	    (json_int_t)tr->ok, "failed", (json_int_t)tr->failed, "start",
	    merge_json_time(m->t0[i]), "end",
	    merge_json_time(m->t0[i] + tr->elapsed), "elapsed",
	    round(tr->elapsed * 1e6) / 1e6, "task_time", sum, "kinds", kinds,
	    "slowest", merge_json_slowest(m, tr));
	return o;
}

/* One file's counts, span and busiest worker, as an object. */
static json_t *
merge_json_file(const struct merge *m, const struct merge_file *mf)
{
	json_t *o;

	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:f}", "path", mf->path, "tag",
	    mf->tag, "tasks", (json_int_t)mf->tasks, "ok", (json_int_t)mf->ok,
	    "failed", (json_int_t)mf->failed, "task_time", mf->busy);
	json_object_set_new(o, "start",
	    mf->tasks > 0 ? merge_json_time(mf->first) : json_null());
	json_object_set_new(
	    o, "end", mf->tasks > 0 ? merge_json_time(mf->last) : json_null());
	json_object_set_new(o, "busiest",
	    mf->busiest < 0 ? json_null()
	                    : json_pack("{s:s, s:f}", "worker",
	                          m->workers[mf->busiest].name, "task_time",
	                          m->workers[mf->busiest].busy));
	return o;
}

/* -j: the whole merge as one JSON object on one line. */
void
merge_print_json(const struct merge *m)
{
	json_t *o, *runs = json_array(), *files = json_array();
	size_t i, tasks = 0;

	for (i = 0; i < m->nruns; i++) {
		json_array_append_new(runs, merge_json_run(m, i));
		tasks += m->runs[i]->ntask;
	}
	for (i = 0; i < m->nfiles; i++)
		json_array_append_new(files, merge_json_file(m, &m->files[i]));
	o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:b, s:o, s:o}", "event",
	    "merge", "tasks", (json_int_t)tasks, "ok",
	    (json_int_t)(tasks - m->failed), "failed", (json_int_t)m->failed,
	    "problems", (json_int_t)m->problems, "complete", m->problems == 0,
	    "runs", runs, "files", files);
	json_object_set_new(o, "expected",
	    m->cf != NULL ? json_integer((json_int_t)m->cf->ntasks)
	                  : json_null());
	/* 15 digits, as the JSON Lines: 0.2, not 0.20000000000000001. */
	json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(15));
	fputc('\n', stdout);
	json_decref(o);
}
