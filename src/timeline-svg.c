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
#include "task.h"
#include "timeline.h"
#include "xmalloc.h"

/*
 * Sized for a 1280-pixel slide: text of 14 px and more, bars a projector
 * shows. Each worker's row has a band above its bars for the labels of
 * bars too short to hold them.
 */
#define TIMELINE_SVG_WIDTH 1280
#define TIMELINE_SVG_LEFT 150
#define TIMELINE_SVG_RIGHT 40
#define TIMELINE_SVG_ROW 32
#define TIMELINE_SVG_BAND 18
#define TIMELINE_SVG_BAR 30
#define TIMELINE_SVG_TASK_ROW (TIMELINE_SVG_BAND + TIMELINE_SVG_BAR + 6)
#define TIMELINE_SVG_ROWS 40
#define TIMELINE_SVG_BUSY_PX 2
#define TIMELINE_SVG_FONT                                                      \
	"font-family=\"Helvetica, Arial, 'DejaVu Sans', sans-serif\""
#define TIMELINE_SVG_FONT_LABEL 16
#define TIMELINE_SVG_FONT_BAND 14
#define TIMELINE_SVG_FONT_ROW 17
#define TIMELINE_SVG_FONT_AXIS 15
/* Pixels between axis ticks at least. */
#define TIMELINE_SVG_TICK 70
/* How far a band label may move right to clear the one before it. */
#define TIMELINE_SVG_DRIFT 160

struct timeline_svg {
	FILE *f;
	double span;
	double width;
	double y;
	double clip; /* a fixed time axis: runs longer are clipped */
};

/* A worker's row while its bars are drawn (timeline_bars). */
struct timeline_svg_row {
	struct timeline_svg *s;
	const char *worker;
	int pass;
	double after; /* the right edge of the thin bar before, or 0 */
};

/* Where a bar goes and where its label goes. */
struct timeline_svg_place {
	double x;
	double w;
	int thin; /* shorter than TIMELINE_SVG_MIN_BAR: drawn that wide */
	int clipped; /* goes on past the time axis */
	int inside; /* the label fits in the bar */
	double lx;
	char label[TIMELINE_TEXT + 16];
};

/* A kind's colours: fills light enough for black text, strokes dark. */
static const char *
timeline_svg_fill(int kind)
{
	return task_ops((enum task_kind)kind)->fill;
}

static const char *
timeline_svg_stroke(int kind)
{
	return task_ops((enum task_kind)kind)->stroke;
}

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
	if (t > s->span)
		t = s->span;
	return TIMELINE_SVG_LEFT + t / s->span * s->width;
}

/*
 * Pixels that text of this size takes at most, in the widest of the
 * fonts named (DejaVu Sans): narrow, wide and other characters in ems.
 */
static double
timeline_svg_text_width(const char *text, int size)
{
	const unsigned char *p = (const unsigned char *)text;
	double em = 0;

	for (; *p != '\0'; p++) {
		if ((*p & 0xc0) == 0x80)
			continue; /* a UTF-8 continuation byte */
		if (*p == 0xc2 && p[1] == 0xb7)
			em += 0.34; /* the middle dot */
		else if (strchr(" .,:;!|'()[]/-ijlrtf", *p) != NULL)
			em += 0.34;
		else if (strchr("MWmw@%", *p) != NULL || *p >= 0x80)
			em += 1.0;
		else if (*p >= 'A' && *p <= 'Z')
			em += 0.78;
		else
			em += 0.64;
	}
	return em * size;
}

/* A row's label on the left, centred on a band of height h from y. */
static void
timeline_svg_label(
    struct timeline_svg *s, double y, double h, const char *label, int strong)
{
	fprintf(s->f,
	    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"%d\"%s>",
	    TIMELINE_SVG_LEFT - 10, y + h / 2 + 5,
	    strong ? TIMELINE_SVG_FONT_ROW : TIMELINE_SVG_FONT_BAND,
	    strong ? " font-weight=\"bold\"" : "");
	timeline_svg_text(s->f, label);
	fputs("</text>\n", s->f);
}

/*
 * Place a bar, at least TIMELINE_SVG_MIN_BAR wide and inside the axis,
 * and its label: "3 · delay 3", else "delay 3", else "3 s" inside it
 * (right of a thin bar drawn over its start, whose right edge is after),
 * else "delay 3" in the band above. 0, or -1 when past the axis.
 */
static int
timeline_svg_place(const struct timeline_svg *s, const struct timeline_task *t,
    double after, struct timeline_svg_place *p)
{
	char what[TIMELINE_TEXT];
	double right = TIMELINE_SVG_LEFT + s->width, room;
	int form;

	if (t->start >= s->span && s->clip > 0)
		return -1;
	p->x = timeline_svg_x(s, t->start);
	p->w = timeline_svg_x(s, t->end) - p->x;
	p->clipped = t->end > s->span;
	p->thin = p->w < TIMELINE_SVG_MIN_BAR;
	if (p->thin) {
		p->w = TIMELINE_SVG_MIN_BAR;
		if (p->x + p->w > right)
			p->x = right - p->w;
	}
	p->lx = p->x + 5;
	if (after > p->x && after < p->x + p->w)
		p->lx = after + 3;
	room = p->x + p->w - 3 - p->lx;
	for (form = 0; form < 3; form++) {
		if (form == 0)
			snprintf(p->label, sizeof p->label, "%u \xc2\xb7 %s",
			    t->index, timeline_label(t, 0, what, sizeof what));
		else
			timeline_label(t, form == 2, p->label, sizeof p->label);
		if (timeline_svg_text_width(
		        p->label, TIMELINE_SVG_FONT_LABEL) <= room) {
			p->inside = 1;
			return 0;
		}
	}
	/* In the band there is room for more than "40!". */
	p->inside = 0;
	p->lx = p->x;
	timeline_label(t, 0, p->label, sizeof p->label);
	return 0;
}

/* The bar of a task, with its hover title and, if it fits, its label. */
static void
timeline_svg_bar(struct timeline_svg *s, const struct timeline_task *t,
    const char *worker, const struct timeline_svg_place *p)
{
	char text[TIMELINE_TEXT];
	const char *outcome;
	double y = s->y + TIMELINE_SVG_BAND;

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
	    "</title><rect class=\"bar\" data-task=\"%u\" data-worker=\"",
	    t->index);
	timeline_svg_text(s->f, worker);
	fprintf(s->f,
	    "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" rx=\"3\" "
	    "fill=\"%s\" stroke=\"%s\" stroke-width=\"%s\"%s/>",
	    p->x, y, p->w, TIMELINE_SVG_BAR, timeline_svg_fill(t->kind),
	    timeline_svg_stroke(t->kind), p->thin ? "2" : "1.5",
	    t->done && !t->ok ? " stroke-dasharray=\"5 3\"" : "");
	/* Going on past the axis: an arrow at the edge. */
	if (p->clipped)
		fprintf(s->f,
		    "<path d=\"M%.1f %.1fl10 %dl-10 %dz\" fill=\"%s\"/>",
		    p->x + p->w, y, TIMELINE_SVG_BAR / 2, TIMELINE_SVG_BAR / 2,
		    timeline_svg_stroke(t->kind));
	if (p->inside) {
		fprintf(s->f,
		    "<text class=\"label\" data-task=\"%u\" x=\"%.1f\" "
		    "y=\"%.1f\" font-size=\"%d\" fill=\"#000\">",
		    t->index, p->lx, y + TIMELINE_SVG_BAR / 2.0 + 5.5,
		    TIMELINE_SVG_FONT_LABEL);
		timeline_svg_text(s->f, p->label);
		fputs("</text>", s->f);
	}
	fputs("</g>\n", s->f);
}

/* A label in the band above its bar; where it goes next, or -1 if not. */
static double
timeline_svg_band_label(struct timeline_svg *s, const struct timeline_task *t,
    const struct timeline_svg_place *p, double free_x)
{
	double x = p->x > free_x ? p->x : free_x,
	       tw = timeline_svg_text_width(p->label, TIMELINE_SVG_FONT_BAND),
	       right = TIMELINE_SVG_LEFT + s->width + TIMELINE_SVG_RIGHT - 4;

	if (x + tw > right)
		x = right - tw;
	if (x - p->x > TIMELINE_SVG_DRIFT || x < free_x)
		return -1; /* no room near it: the bar's title still says */
	fprintf(s->f,
	    "<text class=\"label band\" data-task=\"%u\" x=\"%.1f\" "
	    "y=\"%.1f\" font-size=\"%d\" font-weight=\"bold\" fill=\"%s\">",
	    t->index, x, s->y + TIMELINE_SVG_BAND - 4, TIMELINE_SVG_FONT_BAND,
	    timeline_svg_stroke(t->kind));
	timeline_svg_text(s->f, p->label);
	fputs("</text>\n", s->f);
	return x + tw + 8;
}

/* A CPU row: grey columns as dark as the thread was busy. */
static void
timeline_svg_busy(
    struct timeline_svg *s, const struct timeline_track *t, const char *label)
{
	double b, t0, t1;
	int x, cols = (int)(s->width / TIMELINE_SVG_BUSY_PX);

	timeline_svg_label(s, s->y, TIMELINE_SVG_ROW, label, 0);
	fprintf(s->f,
	    "<rect class=\"cpu\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" "
	    "height=\"%d\" fill=\"#e8e8e8\"/>\n",
	    TIMELINE_SVG_LEFT, s->y + 4, s->width, TIMELINE_SVG_ROW - 8);
	for (x = 0; x < cols; x++) {
		t0 = s->span * x / cols;
		t1 = s->span * (x + 1) / cols;
		if ((b = timeline_busy(t, t0, t1)) < 0.02)
			continue;
		fprintf(s->f,
		    "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" "
		    "fill=\"#222\" fill-opacity=\"%.2f\"/>\n",
		    TIMELINE_SVG_LEFT + x * TIMELINE_SVG_BUSY_PX, s->y + 4,
		    TIMELINE_SVG_BUSY_PX, TIMELINE_SVG_ROW - 8, b);
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
	timeline_svg_label(s, s->y, TIMELINE_SVG_ROW, "loop blocked", 0);
	for (i = 0; i < tr->nblocks; i++) {
		b = &tr->blocks[i];
		if (b->start >= s->span)
			continue;
		fprintf(s->f,
		    "<g class=\"blocked\"><title>event loop blocked %.2f s by "
		    "task %u (%s ",
		    b->end - b->start, b->index, config_kind_name(b->kind));
		timeline_svg_text(s->f, b->arg);
		fprintf(s->f,
		    "); %u ready tasks waited</title><rect x=\"%.1f\" "
		    "y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"#d62728\" "
		    "fill-opacity=\"0.85\"/></g>\n",
		    b->waited, timeline_svg_x(s, b->start), s->y + 4,
		    fmax(
		        timeline_svg_x(s, b->end) - timeline_svg_x(s, b->start),
		        TIMELINE_SVG_MIN_BAR / 2.0),
		    TIMELINE_SVG_ROW - 8);
	}
	s->y += TIMELINE_SVG_ROW;
}

/* The axis: ticks TIMELINE_SVG_TICK px apart at least, grid lines up. */
static void
timeline_svg_axis(struct timeline_svg *s, double top)
{
	struct timeline_ticks tk;
	double t, x, label;

	fprintf(s->f,
	    "<g class=\"axis\" font-size=\"%d\" fill=\"#222\">\n"
	    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"#222\" stroke-width=\"1.5\"/>\n",
	    TIMELINE_SVG_FONT_AXIS, TIMELINE_SVG_LEFT, s->y + 2,
	    TIMELINE_SVG_LEFT + s->width, s->y + 2);
	timeline_ticks_init(&tk, s->span,
	    timeline_tick_step(s->span, s->width, TIMELINE_SVG_TICK));
	while (timeline_ticks_next(&tk, &t, &label)) {
		x = timeline_svg_x(s, t);
		fprintf(s->f,
		    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#ccc\"/>\n<line x1=\"%.1f\" y1=\"%.1f\" "
		    "x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\"/>\n"
		    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g "
		    "s</text>\n",
		    x, top, x, s->y + 2, x, s->y + 2, x, s->y + 8, x, s->y + 24,
		    label);
	}
	fputs("</g>\n", s->f);
	s->y += 34;
}

/* Is the run longer than the fixed time axis? */
static int
timeline_svg_clipped(
    const struct timeline_svg *s, const struct timeline_run *tr)
{
	return s->clip > 0 && tr->elapsed > s->clip;
}

static void
timeline_svg_heading(
    struct timeline_svg *s, const struct timeline_run *tr, int many)
{
	int clipped = timeline_svg_clipped(s, tr);

	if (!many && !clipped)
		return;
	fprintf(s->f, "<text x=\"%d\" y=\"%.1f\" font-size=\"19\">",
	    TIMELINE_SVG_LEFT, s->y + 20);
	if (many && tr->merged > 0)
		fprintf(s->f,
		    "<tspan font-weight=\"bold\">run %u: %.2f s</tspan>",
		    tr->number, tr->elapsed);
	else if (many)
		fprintf(s->f,
		    "<tspan font-weight=\"bold\">%s mode: %.2f s</tspan>",
		    config_mode_name(tr->mode), tr->elapsed);
	if (clipped)
		fprintf(s->f,
		    "<tspan fill=\"#b00\">%sclipped at the %g s time axis: the "
		    "run took %.2f s</tspan>",
		    many ? " \xe2\x80\x94 " : "", s->clip, tr->elapsed);
	fputs("</text>\n", s->f);
	s->y += 30;
}

/* A task's bar in its pass: thin bars in the second. */
static void
timeline_svg_bar_pass(const struct timeline_task *t, int pass, void *arg)
{
	struct timeline_svg_row *row = arg;
	struct timeline_svg_place p;

	/* Each pass places the bars anew, from the left. */
	if (pass != row->pass) {
		row->pass = pass;
		row->after = 0;
	}
	if (timeline_svg_place(row->s, t, row->after, &p) != 0)
		return;
	row->after = p.thin ? p.x + p.w : 0;
	if (p.thin == pass)
		timeline_svg_bar(row->s, t, row->worker, &p);
}

/*
 * Worker w's row: the bars, the thinnest last so that they stay visible,
 * then the labels that go in the band above, left to right.
 */
static void
timeline_svg_bars(
    struct timeline_svg *s, const struct timeline_run *tr, unsigned w)
{
	struct timeline_svg_row row = {s, tr->workers[w], 0, 0};
	const struct timeline_task *t;
	struct timeline_svg_place p;
	double after = 0, free_x = 0, next;
	size_t k;

	timeline_bars(tr, (int)w, timeline_svg_bar_pass, &row);
	for (k = 0; k < tr->ntask; k++) {
		t = &tr->tasks[k];
		if (t->worker != w || timeline_svg_place(s, t, after, &p) != 0)
			continue;
		after = p.thin ? p.x + p.w : 0;
		if (!p.inside &&
		    (next = timeline_svg_band_label(s, t, &p, free_x)) > 0)
			free_x = next;
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
		timeline_svg_label(s, s->y + TIMELINE_SVG_BAND,
		    TIMELINE_SVG_BAR, tr->workers[i], 1);
		timeline_svg_bars(s, tr, i);
		s->y += TIMELINE_SVG_TASK_ROW;
		if (tr->mode == MODE_THREADS &&
		    (t = timeline_track_of(tr, (int)i)))
			timeline_svg_busy(s, t, "CPU (thread)");
	}
	if (tr->nworkers > rows) {
		fprintf(s->f,
		    "<text x=\"%d\" y=\"%.1f\" font-size=\"%d\" "
		    "fill=\"#444\">... and %u more workers</text>\n",
		    TIMELINE_SVG_LEFT, s->y + 20, TIMELINE_SVG_FONT_BAND,
		    tr->nworkers - rows);
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
	const char *name;
	int k;

	fprintf(s->f, "<g class=\"legend\" font-size=\"15\">\n");
	for (k = 0; k < TASK_NKINDS; k++) {
		name = config_kind_name((enum task_kind)k);
		fprintf(s->f,
		    "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"18\" "
		    "fill=\"%s\" stroke=\"%s\"/><text x=\"%.1f\" "
		    "y=\"%.1f\">%s</text>\n",
		    x, s->y, timeline_svg_fill(k), timeline_svg_stroke(k),
		    x + 24, s->y + 14, name);
		x += strlen(name) > 6 ? 120 : 90; /* room for "factorial" */
	}
	fprintf(s->f,
	    "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"18\" "
	    "fill=\"#fff\" stroke=\"#222\" stroke-dasharray=\"5 3\"/>"
	    "<text x=\"%.1f\" y=\"%.1f\">failed</text>\n"
	    "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"18\" "
	    "fill=\"#222\"/><text x=\"%.1f\" y=\"%.1f\">CPU busy</text>\n"
	    "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"18\" "
	    "fill=\"#d62728\"/><text x=\"%.1f\" y=\"%.1f\">loop "
	    "blocked</text>\n</g>\n",
	    x, s->y, x + 24, s->y + 14, x + 100, s->y, x + 124, s->y + 14,
	    x + 220, s->y, x + 244, s->y + 14);
	s->y += 30;
}

/* Height of a run's section. */
static double
timeline_svg_run_height(
    const struct timeline_svg *s, const struct timeline_run *tr, int many)
{
	unsigned rows =
	    tr->nworkers < TIMELINE_SVG_ROWS ? tr->nworkers : TIMELINE_SVG_ROWS;
	double h = 34 + TIMELINE_SVG_TASK_ROW * rows;

	if (many || timeline_svg_clipped(s, tr))
		h += 30;
	if (tr->merged > 0)
		; /* results files hold no CPU rows */
	else if (tr->mode == MODE_THREADS)
		h += TIMELINE_SVG_ROW * rows;
	else
		h += TIMELINE_SVG_ROW;
	if (tr->nworkers > rows)
		h += TIMELINE_SVG_ROW;
	if (tr->nblocks > 0)
		h += TIMELINE_SVG_ROW;
	return h + 14;
}

/* Files merged (--merge) stand where a real run names its mode. */
static void
timeline_svg_title_merged(FILE *f, const struct timeline_run *tr, size_t n)
{
	fprintf(f, ": %u file%s merged, %u worker%s", tr->merged,
	    tr->merged == 1 ? "" : "s", tr->nworkers,
	    tr->nworkers == 1 ? "" : "s");
	if (n == 1)
		fprintf(f, ", %.2f s", tr->elapsed);
	else
		fprintf(f, ", %zu runs", n);
}

static void
timeline_svg_title(
    struct timeline_svg *s, const struct timeline_run *const *runs, size_t n)
{
	const struct timeline_run *tr = runs[0];

	fprintf(s->f,
	    "<text x=\"20\" y=\"32\" font-size=\"24\" font-weight=\"bold\">");
	timeline_svg_text(s->f, tr->name);
	if (tr->merged > 0)
		timeline_svg_title_merged(s->f, tr, n);
	else if (n == 1)
		fprintf(s->f, ": %s mode, %u worker%s, %.2f s",
		    config_mode_name(tr->mode), tr->nworkers,
		    tr->nworkers == 1 ? "" : "s", tr->elapsed);
	else
		fprintf(s->f, ": %zu modes compared, %u worker%s", n,
		    tr->nworkers, tr->nworkers == 1 ? "" : "s");
	if (tr->time_scale != 1)
		fprintf(s->f, ", time scale %g", tr->time_scale);
	fputs("</text>\n", s->f);
	s->y = 48;
}

/* The document; axis: the time the axis spans, 0 the longest run's. */
static void
timeline_svg_document(
    FILE *f, const struct timeline_run *const *runs, size_t n, double axis)
{
	struct timeline_svg s;
	double h = 48 + 44;
	size_t i;

	memset(&s, 0, sizeof s);
	s.f = f;
	s.width = TIMELINE_SVG_WIDTH - TIMELINE_SVG_LEFT - TIMELINE_SVG_RIGHT;
	s.clip = axis;
	for (i = 0; i < n; i++) {
		if (runs[i]->elapsed > s.span)
			s.span = runs[i]->elapsed;
	}
	if (axis > 0)
		s.span = axis;
	if (s.span <= 0)
		s.span = 1;
	for (i = 0; i < n; i++)
		h += timeline_svg_run_height(&s, runs[i], n > 1);
	fprintf(f,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%.0f\" viewBox=\"0 0 %d %.0f\" data-time-axis=\"%g\" "
	    "data-px-per-second=\"%g\" %s>\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
	    TIMELINE_SVG_WIDTH, h, TIMELINE_SVG_WIDTH, h, s.span,
	    s.width / s.span, TIMELINE_SVG_FONT);
	timeline_svg_title(&s, runs, n);
	for (i = 0; i < n; i++) {
		timeline_svg_run(&s, runs[i], n > 1);
		s.y += 14;
	}
	timeline_svg_legend(&s);
	fputs("</svg>\n", f);
}

/*
 * Write the runs' timelines, stacked on one time scale, to path: axis
 * seconds wide (runs longer are clipped, and say so), or with axis 0 the
 * longest run's length.
 */
int
timeline_svg_write(const char *path, const struct timeline_run *const *runs,
    size_t n, double axis, char **cause)
{
	FILE *f;

	if (n == 0) {
		*cause = xprintf("%s: no run to draw", path);
		return -1;
	}
	if ((f = fopen(path, "w")) == NULL)
		goto fail;
	timeline_svg_document(f, runs, n, axis);
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
