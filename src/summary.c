/*
 * A summary worth reading at the end of a text run: failures first,
 * counts by kind, the overlap factor (task time over wall time: what
 * concurrency buys), percentiles per kind and the slowest tasks. And the
 * table that compares the modes.
 */
#include "autoconf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "report.h"
#include "summary.h"
#include "timeline.h"
#include "xmalloc.h"

/* Failures listed at most, and slowest tasks listed. */
#define SUMMARY_FAILURES 10
#define SUMMARY_SLOWEST 3

struct summary {
	FILE *f;
	struct timeline *tl;
	int chart;
	int color;
	double axis;
};

/* A duration for people: "4.00 s", "12.3 ms". */
static const char *
summary_time(double s, char *buf, size_t len)
{
	if (s >= 1 || s == 0)
		snprintf(buf, len, "%.2f s", s);
	else if (s >= 0.01)
		snprintf(buf, len, "%.0f ms", s * 1e3);
	else
		snprintf(buf, len, "%.2f ms", s * 1e3);
	return buf;
}

/* qsort order of task times, shortest first. */
static int
summary_cmp_time(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Slowest first; by task number when equal. */
static int
summary_cmp_task(const void *a, const void *b)
{
	const struct timeline_task *x = *(const struct timeline_task *const *)a;
	const struct timeline_task *y = *(const struct timeline_task *const *)b;

	if (x->elapsed != y->elapsed)
		return x->elapsed > y->elapsed ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static void
summary_failures(FILE *f, const struct timeline_run *tr, int color)
{
	const struct timeline_task *t;
	size_t i, n = 0;
	char buf[24], text[TIMELINE_TEXT];

	for (i = 0; i < tr->ntask; i++) {
		t = &tr->tasks[i];
		if (!t->done || t->ok)
			continue;
		if (n++ >= SUMMARY_FAILURES)
			continue;
		fprintf(f, "  %sFAILED%s task %u %s ",
		    color ? "\033[1;31m" : "", color ? "\033[0m" : "", t->index,
		    config_kind_name(t->kind));
		escape_fputs(f, timeline_arg(t, text, sizeof text), 0);
		fprintf(
		    f, " (%s): ", summary_time(t->elapsed, buf, sizeof buf));
		escape_fputs(f, timeline_outcome(t, text, sizeof text), 0);
		fputc('\n', f);
	}
	if (n > SUMMARY_FAILURES)
		fprintf(f, "  ... and %zu more failed\n", n - SUMMARY_FAILURES);
}

/*
 * The times of a run's finished tasks of kind, shortest first, in a new
 * array of *n (with room for one more), and how many failed.
 */
double *
summary_times(const struct timeline_run *tr, enum task_kind kind, size_t *n,
    size_t *failed)
{
	double *times;
	size_t i;

	times = xcalloc(tr->ntask + 1, sizeof *times);
	*n = *failed = 0;
	for (i = 0; i < tr->ntask; i++) {
		if (tr->tasks[i].kind != kind || !tr->tasks[i].done)
			continue;
		times[(*n)++] = tr->tasks[i].elapsed;
		*failed += !tr->tasks[i].ok;
	}
	qsort(times, *n, sizeof *times, summary_cmp_time);
	return times;
}

/* The p-quantile (0 < p <= 1) of n > 0 sorted times: the nearest rank. */
double
summary_percentile(const double *times, size_t n, double p)
{
	return times[(size_t)ceil(p * (double)n) - 1];
}

/* One line per kind: count, failures, p50, p95, max. */
static void
summary_kind(FILE *f, const struct timeline_run *tr, enum task_kind kind)
{
	double *times;
	size_t n, failed;
	char a[24], b[24], c[24];

	times = summary_times(tr, kind, &n, &failed);
	if (n > 0) {
		fprintf(f, "  %-9s %6zu  p50 %-9s p95 %-9s max %s",
		    config_kind_name(kind), n,
		    summary_time(
		        summary_percentile(times, n, 0.5), a, sizeof a),
		    summary_time(
		        summary_percentile(times, n, 0.95), b, sizeof b),
		    summary_time(times[n - 1], c, sizeof c));
		if (failed > 0)
			fprintf(f, "  (%zu failed)", failed);
		fputc('\n', f);
	}
	free(times);
}

/*
 * A run's finished tasks, slowest first (by task number when equal), in
 * a new array of *n pointers into tr.
 */
const struct timeline_task **
summary_slowest_order(const struct timeline_run *tr, size_t *n)
{
	const struct timeline_task **order;
	size_t i;

	order = xcalloc(tr->ntask + 1, sizeof *order);
	*n = 0;
	for (i = 0; i < tr->ntask; i++) {
		if (tr->tasks[i].done)
			order[(*n)++] = &tr->tasks[i];
	}
	qsort(order, *n, sizeof *order, summary_cmp_task);
	return order;
}

static void
summary_slowest(FILE *f, const struct timeline_run *tr)
{
	const struct timeline_task **order;
	size_t i, n;
	char buf[24], text[TIMELINE_TEXT];

	order = summary_slowest_order(tr, &n);
	for (i = 0; i < n && i < SUMMARY_SLOWEST; i++) {
		fprintf(f, "%s%u %s ", i == 0 ? "  slowest: " : ", ",
		    order[i]->index, config_kind_name(order[i]->kind));
		escape_fputs(f, timeline_arg(order[i], text, sizeof text), 0);
		fprintf(f, " (%s)",
		    summary_time(order[i]->elapsed, buf, sizeof buf));
	}
	if (n > 0)
		fputc('\n', f);
	free(order);
}

/* The summary of a finished run. */
void
summary_print(FILE *f, const struct timeline_run *tr, int color)
{
	double sum = 0;
	size_t i, done = 0;
	char a[24], b[24];

	for (i = 0; i < tr->ntask; i++) {
		if (tr->tasks[i].done) {
			sum += tr->tasks[i].elapsed;
			done++;
		}
	}
	fprintf(f,
	    "Summary: %zu task%s, %zu ok, %zu failed; overlap %.2fx (%s "
	    "of tasks in %s)\n",
	    done, done == 1 ? "" : "s", tr->ok, tr->failed,
	    tr->elapsed > 0 ? sum / tr->elapsed : 0,
	    summary_time(sum, a, sizeof a),
	    summary_time(tr->elapsed, b, sizeof b));
	summary_failures(f, tr, color);
	for (i = 0; i < TASK_NKINDS; i++)
		summary_kind(f, tr, (enum task_kind)i);
	summary_slowest(f, tr);
}

static void
summary_emit(const struct report_event *ev, void *arg)
{
	struct summary *s = arg;
	const struct timeline_run *tr;

	if (ev->type != REPORT_RUN_DONE || (tr = timeline_last(s->tl)) == NULL)
		return;
	if (s->chart)
		timeline_text_print(
		    s->f, tr, s->axis, timeline_text_width(), s->color);
	summary_print(s->f, tr, s->color);
}

/*
 * Print the summary, and the chart when asked (axis: the time it spans,
 * 0 the run's), when a run is done. Add it after tl's recorder and before
 * the text report's total line.
 */
void
summary_add(struct report *r, FILE *f, struct timeline *tl, int chart,
    double axis, int color)
{
	struct summary *s;

	s = xcalloc(1, sizeof *s);
	s->f = f;
	s->tl = tl;
	s->chart = chart;
	s->axis = axis;
	s->color = color;
	report_add(r, summary_emit, NULL, free, s);
}

/* The longest of the recorded runs: a common time scale. */
double
summary_span(const struct timeline *tl)
{
	const struct timeline_run *tr;
	double span = 0;
	size_t i;

	for (i = 0; (tr = timeline_get(tl, i)) != NULL; i++) {
		if (tr->elapsed > span)
			span = tr->elapsed;
	}
	return span;
}

/* The modes side by side: total, speed-up over the first, CPU busy. */
void
summary_compare(FILE *f, const struct timeline *tl)
{
	const struct timeline_run *tr, *first = timeline_get(tl, 0);
	size_t i;

	if (first == NULL)
		return;
	fprintf(f,
	    "\nComparison of %s: %zu task%s, %u worker%s\n"
	    "  %-12s %9s  %8s  %8s  %s\n",
	    first->name, first->ntasks, first->ntasks == 1 ? "" : "s",
	    first->nworkers, first->nworkers == 1 ? "" : "s", "mode", "total",
	    "speed-up", "CPU busy", "ok/failed");
	for (i = 0; (tr = timeline_get(tl, i)) != NULL; i++)
		fprintf(f, "  %-12s %7.2f s  %7.2fx  %7.1f%%  %zu/%zu\n",
		    config_mode_name(tr->mode), tr->elapsed,
		    tr->elapsed > 0 ? first->elapsed / tr->elapsed : 0,
		    tr->elapsed > 0 ? 100 * timeline_cpu(tr) / tr->elapsed : 0,
		    tr->ok, tr->failed);
}
