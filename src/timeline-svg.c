/*
 * The timeline as a self-contained SVG: no script, no external fonts.
 * One section per run, stacked on the same time scale: a row per worker
 * with its tasks as bars coloured by kind, the CPU rows, the moments the
 * loop was blocked, and a time axis; a legend at the bottom.
 */
#include "autoconf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "timeline.h"
#include "xmalloc.h"

#define TIMELINE_SVG_WIDTH 1000
#define TIMELINE_SVG_LEFT 130
#define TIMELINE_SVG_RIGHT 30
#define TIMELINE_SVG_ROW 26
#define TIMELINE_SVG_BAR 20
#define TIMELINE_SVG_ROWS 40
#define TIMELINE_SVG_BUSY_PX 2
#define TIMELINE_SVG_CHAR 6.6
#define TIMELINE_SVG_FONT "font-family=\"Helvetica, Arial, sans-serif\""

struct timeline_svg {
	FILE *f;
	double span;
	double width;
	double y;
};

static const char *const timeline_svg_fill[TASK_NKINDS] = {
    [TASK_DELAY] = "#a0cbe8",
    [TASK_FACTORIAL] = "#ffbe7d",
    [TASK_URL] = "#8cd17d",
    [TASK_FILE] = "#b6a2d8",
};

static const char *const timeline_svg_stroke[TASK_NKINDS] = {
    [TASK_DELAY] = "#4e79a7",
    [TASK_FACTORIAL] = "#f28e2b",
    [TASK_URL] = "#59a14f",
    [TASK_FILE] = "#7a5cb0",
};

/*
 * Text with XML's five special characters escaped; control characters,
 * which XML does not allow even escaped, shown as \xHH.
 */
static void
timeline_svg_text(FILE *f, const char *str)
{
	char *safe = escape_needed(str, 0) ? escape_text(str, 0) : NULL;
	const char *s = safe != NULL ? safe : str;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			fputc(*s, f);
			break;
		}
	}
	free(safe);
}

static double
timeline_svg_x(const struct timeline_svg *s, double t)
{
	return TIMELINE_SVG_LEFT + t / s->span * s->width;
}

/* A row's label on the left. */
static void
timeline_svg_label(struct timeline_svg *s, const char *label, int strong)
{
	fprintf(s->f,
	    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\"%s>",
	    TIMELINE_SVG_LEFT - 8, s->y + TIMELINE_SVG_ROW / 2.0 + 4,
	    strong ? " font-weight=\"bold\"" : "");
	timeline_svg_text(s->f, label);
	fputs("</text>\n", s->f);
}

static void
timeline_svg_bar(struct timeline_svg *s, const struct timeline_task *t)
{
	double x0 = timeline_svg_x(s, t->start), x1 = timeline_svg_x(s, t->end),
	       y, w;
	char label[64], text[TIMELINE_TEXT];
	const char *outcome;
	int n;

	w = x1 - x0 < 1.5 ? 1.5 : x1 - x0;
	y = s->y + (TIMELINE_SVG_ROW - TIMELINE_SVG_BAR) / 2.0;
	n = snprintf(
	    label, sizeof label, "%u %s", t->index, config_kind_name(t->kind));
	fprintf(s->f, "<g class=\"task\"><title>task %u: %s ", t->index,
	    config_kind_name(t->kind));
	timeline_svg_text(s->f, timeline_arg(t, text, sizeof text));
	fprintf(s->f, ", %.3f s to %.3f s, %s", t->start, t->end,
	    !t->done    ? "running"
	        : t->ok ? "ok"
	                : "FAILED");
	if ((outcome = timeline_outcome(t, text, sizeof text)) != NULL) {
		fputs(": ", s->f);
		timeline_svg_text(s->f, outcome);
	}
	fprintf(s->f,
	    "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
	    "height=\"%d\" rx=\"3\" fill=\"%s\" stroke=\"%s\"%s/>",
	    x0, y, w, TIMELINE_SVG_BAR, timeline_svg_fill[t->kind],
	    timeline_svg_stroke[t->kind],
	    t->done && !t->ok ? " stroke-width=\"2.5\" stroke-dasharray=\"4 2\""
	                      : "");
	if (w >= n * TIMELINE_SVG_CHAR + 6)
		fprintf(s->f,
		    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
		    "fill=\"#111\">%s</text>",
		    x0 + 4, y + TIMELINE_SVG_BAR / 2.0 + 4, label);
	fputs("</g>\n", s->f);
}

/* A CPU row: grey columns as dark as the thread was busy. */
static void
timeline_svg_busy(
    struct timeline_svg *s, const struct timeline_track *t, const char *label)
{
	double b, t0, t1;
	int x, cols = (int)(s->width / TIMELINE_SVG_BUSY_PX);

	timeline_svg_label(s, label, 0);
	fprintf(s->f,
	    "<rect class=\"cpu\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" "
	    "height=\"%d\" fill=\"#f4f4f4\"/>\n",
	    TIMELINE_SVG_LEFT, s->y + 3, s->width, TIMELINE_SVG_ROW - 6);
	for (x = 0; x < cols; x++) {
		t0 = s->span * x / cols;
		t1 = s->span * (x + 1) / cols;
		if ((b = timeline_busy(t, t0, t1)) < 0.02)
			continue;
		fprintf(s->f,
		    "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" "
		    "fill=\"#333\" fill-opacity=\"%.2f\"/>\n",
		    TIMELINE_SVG_LEFT + x * TIMELINE_SVG_BUSY_PX, s->y + 3,
		    TIMELINE_SVG_BUSY_PX, TIMELINE_SVG_ROW - 6, b);
	}
	s->y += TIMELINE_SVG_ROW;
}

static void
timeline_svg_blocks(struct timeline_svg *s, const struct timeline_run *tr)
{
	const struct timeline_block *b;
	size_t i;

	if (tr->nblocks == 0)
		return;
	timeline_svg_label(s, "loop blocked", 0);
	for (i = 0; i < tr->nblocks; i++) {
		b = &tr->blocks[i];
		fprintf(s->f,
		    "<g class=\"blocked\"><title>event loop blocked %.2f s by "
		    "task %u (%s ",
		    b->end - b->start, b->index, config_kind_name(b->kind));
		timeline_svg_text(s->f, b->arg);
		fprintf(s->f,
		    "); %u ready tasks waited</title><rect x=\"%.1f\" "
		    "y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"#d62728\" "
		    "fill-opacity=\"0.75\"/></g>\n",
		    b->waited, timeline_svg_x(s, b->start), s->y + 3,
		    fmax(
		        timeline_svg_x(s, b->end) - timeline_svg_x(s, b->start),
		        1.5),
		    TIMELINE_SVG_ROW - 6);
	}
	s->y += TIMELINE_SVG_ROW;
}

/* Ticks 1, 2 or 5 times a power of ten apart, 60 px apart at least. */
static double
timeline_svg_step(const struct timeline_svg *s)
{
	static const double mult[] = {1, 2, 5};
	double p = pow(10, floor(log10(s->span / 100)));
	int i;

	for (;; p *= 10) {
		for (i = 0; i < 3; i++) {
			if (mult[i] * p / s->span * s->width >= 60)
				return mult[i] * p;
		}
	}
}

static void
timeline_svg_axis(struct timeline_svg *s, double top)
{
	double step = timeline_svg_step(s), t, x;

	fprintf(s->f,
	    "<g class=\"axis\" font-size=\"11\" fill=\"#444\">\n"
	    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"#444\"/>\n",
	    TIMELINE_SVG_LEFT, s->y + 2, TIMELINE_SVG_LEFT + s->width,
	    s->y + 2);
	for (t = 0; t <= s->span * (1 + 1e-9); t += step) {
		x = timeline_svg_x(s, t);
		fprintf(s->f,
		    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#ddd\"/>\n<line x1=\"%.1f\" y1=\"%.1f\" "
		    "x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n"
		    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g "
		    "s</text>\n",
		    x, top, x, s->y + 2, x, s->y + 2, x, s->y + 7, x, s->y + 19,
		    round(t / step) * step);
	}
	fputs("</g>\n", s->f);
	s->y += 30;
}

static void
timeline_svg_heading(
    struct timeline_svg *s, const struct timeline_run *tr, int many)
{
	if (!many)
		return;
	fprintf(s->f,
	    "<text x=\"%d\" y=\"%.1f\" font-size=\"14\" "
	    "font-weight=\"bold\">%s mode: %.2f s</text>\n",
	    TIMELINE_SVG_LEFT, s->y + 16, config_mode_name(tr->mode),
	    tr->elapsed);
	s->y += 24;
}

/* Worker w's bars; the thinnest last, so that they stay visible. */
static void
timeline_svg_bars(
    struct timeline_svg *s, const struct timeline_run *tr, unsigned w)
{
	const struct timeline_task *t;
	int pass, thin;
	size_t k;

	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < tr->ntask; k++) {
			t = &tr->tasks[k];
			thin = (t->end - t->start) / s->span * s->width < 3;
			if (t->worker == w && thin == pass)
				timeline_svg_bar(s, t);
		}
	}
}

/* One run: the worker rows, the CPU rows, blocks, the axis. */
static void
timeline_svg_run(
    struct timeline_svg *s, const struct timeline_run *tr, int many)
{
	const struct timeline_track *t;
	unsigned i,
	    rows = tr->nworkers < TIMELINE_SVG_ROWS ? tr->nworkers
	                                            : TIMELINE_SVG_ROWS;
	double top;

	timeline_svg_heading(s, tr, many);
	top = s->y;
	for (i = 0; i < rows; i++) {
		timeline_svg_label(s, tr->workers[i], 1);
		timeline_svg_bars(s, tr, i);
		s->y += TIMELINE_SVG_ROW;
		if (tr->mode == MODE_THREADS &&
		    (t = timeline_track_of(tr, (int)i)))
			timeline_svg_busy(s, t, "CPU (thread)");
	}
	if (tr->nworkers > rows) {
		fprintf(s->f,
		    "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" "
		    "fill=\"#666\">... and %u more workers</text>\n",
		    TIMELINE_SVG_LEFT, s->y + 16, tr->nworkers - rows);
		s->y += TIMELINE_SVG_ROW;
	}
	if (tr->mode != MODE_THREADS && (t = timeline_track_of(tr, -1)) != NULL)
		timeline_svg_busy(s, t, "CPU (loop)");
	if ((t = timeline_track_of(tr, TIMELINE_EXECUTOR)) != NULL)
		timeline_svg_busy(s, t, "CPU (executor)");
	timeline_svg_blocks(s, tr);
	timeline_svg_axis(s, top);
}

static void
timeline_svg_legend(struct timeline_svg *s)
{
	double x = TIMELINE_SVG_LEFT;
	int k;

	fprintf(s->f, "<g class=\"legend\" font-size=\"12\">\n");
	for (k = 0; k < TASK_NKINDS; k++) {
		fprintf(s->f,
		    "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" "
		    "fill=\"%s\" stroke=\"%s\"/><text x=\"%.1f\" "
		    "y=\"%.1f\">%s</text>\n",
		    x, s->y, timeline_svg_fill[k], timeline_svg_stroke[k],
		    x + 20, s->y + 12, config_kind_name((enum task_kind)k));
		x += 100;
	}
	fprintf(s->f,
	    "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" "
	    "fill=\"#333\"/><text x=\"%.1f\" y=\"%.1f\">CPU busy</text>\n"
	    "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" "
	    "fill=\"#d62728\"/><text x=\"%.1f\" y=\"%.1f\">loop "
	    "blocked</text>\n</g>\n",
	    x, s->y, x + 20, s->y + 12, x + 110, s->y, x + 130, s->y + 12);
	s->y += 30;
}

/* Height of a run's section. */
static double
timeline_svg_run_height(const struct timeline_run *tr, int many)
{
	unsigned rows =
	    tr->nworkers < TIMELINE_SVG_ROWS ? tr->nworkers : TIMELINE_SVG_ROWS;
	double h = (many ? 24 : 0) + 30 + TIMELINE_SVG_ROW * (rows + 1);

	if (tr->mode == MODE_THREADS)
		h += TIMELINE_SVG_ROW * rows;
	if (tr->nworkers > rows)
		h += TIMELINE_SVG_ROW;
	if (tr->nblocks > 0)
		h += TIMELINE_SVG_ROW;
	return h + 10;
}

static void
timeline_svg_title(
    struct timeline_svg *s, const struct timeline_run *const *runs, size_t n)
{
	const struct timeline_run *tr = runs[0];

	fprintf(s->f,
	    "<text x=\"20\" y=\"28\" font-size=\"18\" font-weight=\"bold\">");
	timeline_svg_text(s->f, tr->name);
	if (n == 1)
		fprintf(s->f, ": %s mode, %u worker%s, %.2f s</text>\n",
		    config_mode_name(tr->mode), tr->nworkers,
		    tr->nworkers == 1 ? "" : "s", tr->elapsed);
	else
		fprintf(s->f, ": %zu modes compared, %u worker%s</text>\n", n,
		    tr->nworkers, tr->nworkers == 1 ? "" : "s");
	s->y = 44;
}

static void
timeline_svg_document(FILE *f, const struct timeline_run *const *runs, size_t n)
{
	struct timeline_svg s;
	double h = 44 + 40;
	size_t i;

	memset(&s, 0, sizeof s);
	s.f = f;
	s.width = TIMELINE_SVG_WIDTH - TIMELINE_SVG_LEFT - TIMELINE_SVG_RIGHT;
	for (i = 0; i < n; i++) {
		h += timeline_svg_run_height(runs[i], n > 1);
		if (runs[i]->elapsed > s.span)
			s.span = runs[i]->elapsed;
	}
	if (s.span <= 0)
		s.span = 1;
	fprintf(f,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%.0f\" viewBox=\"0 0 %d %.0f\" %s>\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
	    TIMELINE_SVG_WIDTH, h, TIMELINE_SVG_WIDTH, h, TIMELINE_SVG_FONT);
	timeline_svg_title(&s, runs, n);
	for (i = 0; i < n; i++) {
		timeline_svg_run(&s, runs[i], n > 1);
		s.y += 10;
	}
	timeline_svg_legend(&s);
	fputs("</svg>\n", f);
}

/* Write the runs' timelines, stacked on one time scale, to path. */
int
timeline_svg_write(const char *path, const struct timeline_run *const *runs,
    size_t n, char **cause)
{
	FILE *f;

	if (n == 0) {
		*cause = xprintf("%s: no run to draw", path);
		return -1;
	}
	if ((f = fopen(path, "w")) == NULL)
		goto fail;
	timeline_svg_document(f, runs, n);
	if (ferror(f)) {
		fclose(f);
		errno = EIO;
		goto fail;
	}
	if (fclose(f) != 0)
		goto fail;
	return 0;
fail:
	*cause = xprintf("%s: %s", path, strerror(errno));
	return -1;
}
