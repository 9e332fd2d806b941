/*
 * The timeline as a terminal chart: a row per worker with each task a
 * bar "[5 factorial--]", a CPU row from idle ' ' to busy '#', a row of
 * '!' where the loop was blocked, a time axis with ticks and a legend.
 */
#include "autoconf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "task.h"
#include "timeline.h"
#include "xmalloc.h"

/* Worker rows drawn at most; a line says how many more there are. */
#define TIMELINE_TEXT_ROWS 40

/* Columns for worker names at most. */
#define TIMELINE_TEXT_NAME 12

/* Columns between axis labels at least. */
#define TIMELINE_TEXT_TICK 8

/* One row of cells, each a character and the kind painting it (or -1). */
struct timeline_text_row {
	char *cells;
	signed char *kinds;
};

/* Rows to draw bars in, and the chart's scale. */
struct timeline_text_bars {
	struct timeline_text_row *rows;
	unsigned nrows;
	double span;
	int cols;
};

/* Characters of the chart: the terminal's width, or 80. */
int
timeline_text_width(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* The column of time t on a chart of cols columns spanning span. */
static int
timeline_text_col(double t, double span, int cols)
{
	int c = (int)floor(t / span * cols);

	return c < 0 ? 0 : c >= cols ? cols - 1 : c;
}

static void
timeline_text_row_init(struct timeline_text_row *row, int cols)
{
	row->cells = xmalloc((size_t)cols + 1);
	row->kinds = xmalloc((size_t)cols);
	memset(row->cells, ' ', (size_t)cols);
	row->cells[cols] = '\0';
	memset(row->kinds, -1, (size_t)cols);
}

/* Draw one task as a bar labelled with its number and kind. */
static void
timeline_text_bar(struct timeline_text_row *row, const struct timeline_task *t,
    double span, int cols)
{
	char label[32];
	int c0, c1, w, i, n;

	c0 = timeline_text_col(t->start, span, cols);
	c1 = (int)ceil(t->end / span * cols) - 1;
	if (c1 >= cols)
		c1 = cols - 1;
	if (c1 < c0 || (t->end - t->start) / span * cols < 1)
		c1 = c0;
	w = c1 - c0 + 1;
	n = snprintf(
	    label, sizeof label, "%u %s", t->index, config_kind_name(t->kind));
	for (i = 0; i < w; i++) {
		row->kinds[c0 + i] = (signed char)t->kind;
		row->cells[c0 + i] = i >= 1 && i - 1 < n ? label[i - 1] : '-';
	}
	row->cells[c0] = w == 1 ? '|' : '[';
	if (t->end > span)
		row->cells[c1] = '>';
	else if (w > 1)
		row->cells[c1] = t->done && !t->ok ? '!' : ']';
}

/* A task's bar in its pass: bars of one column in the second. */
static void
timeline_text_bar_pass(const struct timeline_task *t, int pass, void *arg)
{
	struct timeline_text_bars *b = arg;
	int thin = (t->end - t->start) / b->span * b->cols < 1;

	/* Past a fixed time axis: clipped. */
	if (t->start >= b->span)
		return;
	if (t->worker < b->nrows && thin == pass)
		timeline_text_bar(&b->rows[t->worker], t, b->span, b->cols);
}

/* Bars in rows; bars of one column last, so that they stay visible. */
static void
timeline_text_bars(struct timeline_text_row *rows, unsigned nrows,
    const struct timeline_run *tr, double span, int cols)
{
	struct timeline_text_bars b = {rows, nrows, span, cols};

	timeline_bars(tr, -1, timeline_text_bar_pass, &b);
}

/* Print a row, painting runs of cells by kind when in colour. */
static void
timeline_text_row_print(FILE *f, const char *label, int lw,
    const struct timeline_text_row *row, int cols, int color)
{
	int i, kind = -1;

	fprintf(f, "%-*.*s |", lw, lw, label);
	for (i = 0; i < cols; i++) {
		if (color && row->kinds[i] != kind) {
			kind = row->kinds[i];
			fputs(kind >= 0 ? task_ops((enum task_kind)kind)->sgr
			                : "\033[0m",
			    f);
		}
		fputc(row->cells[i], f);
	}
	fprintf(f, "%s|\n", color && kind >= 0 ? "\033[0m" : "");
	free(row->cells);
	free(row->kinds);
}

/* A CPU row: one character per column by how busy the thread was. */
static void
timeline_text_busy(FILE *f, const char *label, int lw,
    const struct timeline_track *t, double span, int cols)
{
	static const char levels[] = " .-=#";
	double b;
	int i;

	fprintf(f, "%-*.*s |", lw, lw, label);
	for (i = 0; i < cols; i++) {
		b = timeline_busy(t, span * i / cols, span * (i + 1) / cols);
		fputc(levels[b < 0.05    ? 0
		              : b < 0.3  ? 1
		              : b < 0.6  ? 2
		              : b < 0.85 ? 3
		                         : 4],
		    f);
	}
	fputs("|\n", f);
}

/* The axis: a tick at least a label apart, each labelled below. */
static void
timeline_text_axis(FILE *f, int lw, double span, int cols)
{
	struct timeline_ticks tk;
	char *line, *labels, buf[24];
	double t, label;
	int c, n, at, last = 0;

	line = xmalloc((size_t)cols + 1);
	labels = xmalloc((size_t)cols + 16);
	memset(line, '-', (size_t)cols);
	memset(labels, ' ', (size_t)cols + 15);
	line[cols] = '\0';
	timeline_ticks_init(
	    &tk, span, timeline_tick_step(span, cols, TIMELINE_TEXT_TICK));
	while (timeline_ticks_next(&tk, &t, &label)) {
		c = timeline_text_col(t, span, cols);
		line[c] = '+';
		n = snprintf(buf, sizeof buf, "%gs", label);
		at = c + 2 + n > cols + 3 ? cols + 3 - n : c + 2;
		if (at > last) {
			memcpy(labels + at, buf, (size_t)n);
			last = at + n;
		}
	}
	labels[last] = '\0';
	fprintf(f, "%*s  %s\n%*s%s\n", lw, "", line, lw, "", labels);
	free(line);
	free(labels);
}

/* Label columns: the longest shown name, at least "blocked" (or "executor"). */
static int
timeline_text_label_width(const struct timeline_run *tr, unsigned rows)
{
	unsigned i;
	int w = timeline_track_of(tr, TIMELINE_EXECUTOR) != NULL ? 8 : 7, n;

	for (i = 0; i < rows; i++) {
		n = (int)strlen(tr->workers[i]);
		if (n > w)
			w = n;
	}
	return w > TIMELINE_TEXT_NAME ? TIMELINE_TEXT_NAME : w;
}

static void
timeline_text_blocks(FILE *f, const struct timeline_run *tr, int lw,
    double span, int cols, int color)
{
	struct timeline_text_row row;
	size_t i;
	int c, c1;

	if (tr->nblocks == 0)
		return;
	timeline_text_row_init(&row, cols);
	for (i = 0; i < tr->nblocks; i++) {
		if (tr->blocks[i].start >= span)
			continue;
		c = timeline_text_col(tr->blocks[i].start, span, cols);
		c1 = timeline_text_col(tr->blocks[i].end, span, cols);
		for (; c <= c1; c++)
			row.cells[c] = '!';
	}
	if (color)
		fputs("\033[1;31m", f);
	timeline_text_row_print(f, "blocked", lw, &row, cols, 0);
	if (color)
		fputs("\033[0m", f);
}

/* What the characters mean: what this chart can show. */
static void
timeline_text_legend(FILE *f, const struct timeline_run *tr, double span)
{
	fputs("Legend: [3 delay--] task 3 from start to end, | a task shorter "
	      "than a column\n",
	    f);
	if (tr->failed > 0)
		fputs("        [6 url---! a task that failed\n", f);
	if (tr->elapsed > span)
		fputs("        [1 delay-->| a task that goes on past the time "
		      "axis\n",
		    f);
	if (tr->ntracks > 0)
		fputs(
		    "        CPU busy: ' ' under 5%, . under 30%, - under 60%,"
		    " = under 85%, # more\n",
		    f);
	if (tr->nblocks > 0)
		fputs("        blocked: ! one task held the event loop, "
		      "every other task waited\n",
		    f);
}

/*
 * Print the chart of a run in width columns; span is the time the chart
 * covers (0: the run's), the same for every mode of a comparison or, with
 * --time-axis, for every run; a run longer is clipped, and says so.
 */
void
timeline_text_print(
    FILE *f, const struct timeline_run *tr, double span, int width, int color)
{
	struct timeline_text_row *rows;
	const struct timeline_track *t;
	unsigned nrows, i;
	int lw, cols;

	nrows = tr->nworkers < TIMELINE_TEXT_ROWS ? tr->nworkers
	                                          : TIMELINE_TEXT_ROWS;
	lw = timeline_text_label_width(tr, nrows);
	cols = width - lw - 3;
	if (cols < 20)
		cols = 20;
	if (span <= 0)
		span = tr->elapsed > 0 ? tr->elapsed : 1;
	if (tr->merged > 0)
		fprintf(f, "Timeline of %s, run %u: %u file%s merged", tr->name,
		    tr->number, tr->merged, tr->merged == 1 ? "" : "s");
	else
		fprintf(f, "Timeline of %s: %s mode", tr->name,
		    config_mode_name(tr->mode));
	fprintf(f, ", %u worker%s, %.2f s", tr->nworkers,
	    tr->nworkers == 1 ? "" : "s", tr->elapsed);
	if (tr->time_scale != 1)
		fprintf(f, ", time scale %g", tr->time_scale);
	fputc('\n', f);
	if (tr->elapsed > span)
		fprintf(f,
		    "(clipped at the %g s time axis: the run took %.2f s)\n",
		    span, tr->elapsed);
	rows = xcalloc(nrows, sizeof *rows);
	for (i = 0; i < nrows; i++)
		timeline_text_row_init(&rows[i], cols);
	timeline_text_bars(rows, nrows, tr, span, cols);
	for (i = 0; i < nrows; i++) {
		timeline_text_row_print(
		    f, tr->workers[i], lw, &rows[i], cols, color);
		if (tr->mode == MODE_THREADS &&
		    (t = timeline_track_of(tr, (int)i)) != NULL)
			timeline_text_busy(f, "  cpu", lw, t, span, cols);
	}
	free(rows);
	if (tr->nworkers > nrows)
		fprintf(f, "%*s  ... and %u more worker%s\n", lw, "",
		    tr->nworkers - nrows, tr->nworkers - nrows == 1 ? "" : "s");
	if (tr->mode != MODE_THREADS && (t = timeline_track_of(tr, -1)) != NULL)
		timeline_text_busy(f, "CPU", lw, t, span, cols);
	if ((t = timeline_track_of(tr, TIMELINE_EXECUTOR)) != NULL)
		timeline_text_busy(f, "executor", lw, t, span, cols);
	timeline_text_blocks(f, tr, lw, span, cols, color);
	timeline_text_axis(f, lw, span, cols);
	timeline_text_legend(f, tr, span);
}
