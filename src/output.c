/*
 * What a daemon prints and where: text or JSON Lines on stdout unless
 * quiet, results to -o, the timeline the summary and charts read, the
 * --timeline-svg and --trace files when runs end, and an account of the
 * lines that could not be written (exit 74).
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "outfile.h"
#include "output.h"
#include "report.h"
#include "run.h"
#include "summary.h"
#include "timeline.h"
#include "xmalloc.h"

/* Seconds the outputs get to take what waits, at the end. */
#define OUTPUT_DRAIN 5.0

struct output {
	const struct daemon_opts *opts;
	struct report *report;
	struct timeline *timeline;
	struct outfile *out; /* stdout, unless quiet */
	struct outfile *results;
	FILE *stream; /* onto out */
	struct event *gone; /* stdout's reader went away */
	output_gone_cb gone_cb;
	void *gone_arg;
	int color;
	int unwritten; /* a picture or trace could not be written */
	int hinted; /* the offline hint was given */
};

/* Colour only on a terminal, and never with NO_COLOR set. */
int
output_color(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc != NULL && *nc != '\0')
		return 0;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(STDOUT_FILENO);
}

/* The pictures written when a run ends can be written: 0, or -1 said. */
int
output_check(const struct daemon_opts *opts)
{
	const char *paths[2] = {opts->timeline_svg, opts->trace};
	char *cause;
	int i;

	for (i = 0; i < 2; i++) {
		if (paths[i] == NULL || outfile_check(paths[i], &cause) == 0)
			continue;
		log_warnx("cannot start: cannot write %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* stdout's reader went away (any thread): tell the owner, on the loop. */
static void
output_gone(struct outfile *of, void *arg)
{
	struct output *o = arg;

	event_active(o->gone, EV_TIMEOUT, 0);
}

static void
output_gone_now(evutil_socket_t fd, short what, void *arg)
{
	struct output *o = arg;

	o->gone_cb(o->gone_arg);
}

/*
 * The recorder first: the summary reads it when a run is done. Quiet or
 * JSON runs that draw nothing do without it (it costs per task).
 */
static void
output_sinks(struct output *o)
{
	const struct daemon_opts *opts = o->opts;
	int draw;

	draw = opts->timeline || opts->timeline_svg != NULL ||
	    opts->trace != NULL || opts->compare;
	if (draw || (!opts->quiet && !opts->json)) {
		o->timeline = timeline_new(draw);
		timeline_keep(o->timeline, opts->compare);
		timeline_add(o->report, o->timeline);
	}
	if (!opts->quiet && opts->json)
		report_json_add(o->report, o->stream);
	else if (!opts->quiet) {
		summary_add(o->report, o->stream, o->timeline,
		    opts->timeline && !opts->compare, opts->time_axis,
		    o->color);
		report_text_add(o->report, o->stream, opts->verbose, o->color);
	}
	if (opts->json && opts->timeline)
		log_warnx("--timeline draws no chart with --json; "
		          "--timeline-svg and --trace do");
}

/*
 * stdout gets text or JSON Lines unless quiet; -o gets results. Both are
 * outputs that never block the loop. NULL, said, if -o cannot be opened.
 */
struct output *
output_new(struct event_base *base, const struct daemon_opts *opts,
    output_gone_cb cb, void *arg)
{
	struct output *o;
	char *cause;

	o = xcalloc(1, sizeof *o);
	o->opts = opts;
	o->gone_cb = cb;
	o->gone_arg = arg;
	o->color = output_color();
	if ((o->gone = event_new(base, -1, 0, output_gone_now, o)) == NULL)
		fatalx("event_new failed");
	o->report = report_new();
	/* Quiet, --compare still prints its table: the answer asked for. */
	if (!opts->quiet || (opts->compare && !opts->json)) {
		o->out = outfile_stdout(base, opts->stdout_closed);
		outfile_set_gone(o->out, output_gone, o);
		o->stream = outfile_stream(o->out);
	}
	output_sinks(o);
	if (opts->results != NULL) {
		o->results = outfile_open(base, opts->results, &cause);
		if (o->results == NULL) {
			log_warnx("cannot open results file %s", cause);
			free(cause);
			output_free(o);
			return NULL;
		}
		report_results_add(o->report, o->results);
	}
	/* The timeline and the summary need no values, only counts. */
	report_set_values(o->report, !opts->quiet || opts->results != NULL);
	return o;
}

/* The report runs write their events to. */
struct report *
output_report(struct output *o)
{
	return o->report;
}

/* A run about to start: its loop-blocked moments go on the timeline. */
void
output_run_start(struct output *o, struct run *run)
{
	run_set_block(
	    run, o->opts->block_threshold, timeline_blocked, o->timeline);
}

/*
 * Url tasks failed as their host did not resolve: no network, most
 * likely. Say once where the examples that need none are.
 */
static void
output_offline_hint(struct output *o, const struct run *run)
{
	size_t n = run_unresolved(run);

	if (n == 0 || o->hinted)
		return;
	o->hinted = 1;
	log_warnx("hint: %zu url task%s failed as no host could be resolved "
	          "(no network?); conf/offline/ (installed: %s/examples/"
	          "offline/) has the same examples for the built-in demo "
	          "server: asyncdemo --serve 127.0.0.1:8000 & asyncdemo -c "
	          "conf/offline/example_6.yaml",
	    n, n == 1 ? "" : "s", PKGDATADIR);
}

/* --compare's table and its charts, once every mode has run. */
static void
output_compare(struct output *o, const struct timeline_run **runs, size_t n)
{
	const struct daemon_opts *opts = o->opts;
	size_t i;

	summary_compare(o->stream, o->timeline);
	for (i = 0; opts->timeline && !opts->quiet && i < n; i++) {
		fputc('\n', o->stream);
		timeline_text_print(o->stream, runs[i],
		    opts->time_axis > 0 ? opts->time_axis
		                        : summary_span(o->timeline),
		    timeline_text_width(), o->color);
	}
	fflush(o->stream);
}

/*
 * After a run, or the last of --compare (or the last before a stop):
 * the table, charts and files.
 */
void
output_run_done(struct output *o, const struct run *run, int stopping)
{
	const struct daemon_opts *opts = o->opts;
	const struct timeline_run *runs[MODE_COUNT];
	size_t n = 0;
	char *cause;

	output_offline_hint(o, run);
	if (o->timeline == NULL)
		return;
	while (n < MODE_COUNT && (runs[n] = timeline_get(o->timeline, n)))
		n++;
	if (n == 0 || (opts->compare && n < MODE_COUNT && !stopping))
		return;
	if (opts->compare && !opts->json)
		output_compare(o, runs, n);
	if ((opts->timeline_svg != NULL &&
	        timeline_svg_write(opts->timeline_svg, runs, n, opts->time_axis,
	            &cause) != 0) ||
	    (opts->trace != NULL &&
	        timeline_trace_write(opts->trace, runs, n, &cause) != 0)) {
		log_warnx("cannot write %s", cause);
		free(cause);
		o->unwritten = 1;
	}
}

/* SIGUSR1: the log file and the results file again, after a rotation. */
void
output_reopen(struct output *o)
{
	char *cause;

	if (log_reopen(&cause) != 0) {
		log_warnx("cannot reopen log file %s", cause);
		free(cause);
	}
	if (o != NULL && o->results != NULL &&
	    outfile_reopen(o->results, &cause) != 0) {
		log_warnx("cannot reopen results file %s", cause);
		free(cause);
	}
}

/*
 * Ending now: what finished is written, each output given a moment.
 * Whether a line was lost.
 */
int
output_emergency(struct output *o)
{
	if (o != NULL)
		report_flush_within(o->report, 1.0);
	outfile_emergency(1.0);
	if (o == NULL)
		return 0;
	return (o->out != NULL && outfile_lost(o->out) > 0) ||
	    (o->results != NULL && outfile_lost(o->results) > 0);
}

/* An output takes what waits (a few seconds at most); what not, lost. */
static unsigned long long
output_close(struct outfile *of)
{
	unsigned long long lost;

	if (of == NULL)
		return 0;
	outfile_drain(of, OUTPUT_DRAIN);
	lost = outfile_lost(of);
	outfile_close(of, 0);
	return lost;
}

/*
 * Free it all; the outputs take what waits first. 0, or EX_IOERR when a
 * line (said here) or a picture could not be written.
 */
int
output_free(struct output *o)
{
	unsigned long long lost;
	int rc;

	if (o == NULL)
		return 0;
	/* A reader found gone in the last drain has nobody left to tell. */
	if (o->out != NULL)
		outfile_set_gone(o->out, NULL, NULL);
	event_free(o->gone);
	report_free(o->report);
	lost = output_close(o->results);
	lost += output_close(o->out);
	rc = o->unwritten ? EX_IOERR : 0;
	if (lost > 0) {
		log_warnx("%llu line%s of output could not be written: exit %d",
		    lost, lost == 1 ? "" : "s", EX_IOERR);
		rc = EX_IOERR;
	}
	free(o);
	return rc;
}

/* A line for stdout that is no event's (--ui's address), at once. */
void
output_say(struct output *o, const char *fmt, ...)
{
	FILE *f = o->stream != NULL ? o->stream : stdout;
	va_list ap;

	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fflush(f);
}
