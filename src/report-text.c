/* The text report: for people, close to the talk's own output. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "escape.h"
#include "report.h"
#include "task.h"
#include "xmalloc.h"

struct report_text {
	FILE *f;
	int verbose;
	int color;
	int wname;
	int wtask;
};

static const char *
report_text_paint(struct report_text *rt, int ok)
{
	if (!rt->color)
		return "";
	return ok ? "\033[32m" : "\033[1;31m";
}

static const char *
report_text_reset(struct report_text *rt)
{
	return rt->color ? "\033[0m" : "";
}

/* Widths for the worker and task columns. */
static void
report_text_widths(struct report_text *rt, const struct report_event *ev)
{
	const struct config *cf = ev->cf;
	char buf[16];
	unsigned i;
	int w = 0, len;

	for (i = 0; i < ev->nworkers && i < 1000; i++) {
		len = (int)strlen(config_worker_name(cf, i, buf, sizeof buf));
		if (len > w)
			w = len;
	}
	if (ev->nworkers > 1000)
		w = snprintf(buf, sizeof buf, "%u", ev->nworkers);
	rt->wname = w > 12 ? 12 : w;
	rt->wtask = snprintf(buf, sizeof buf, "%zu", cf->ntasks);
}

/*
 * What the run shows: the file's description when it runs in the file's
 * own mode, else (-m, --compare) what the mode it runs in does, for the
 * description was written for another model.
 */
static void
report_text_story(struct report_text *rt, const struct report_event *ev)
{
	const char *story = ev->cf->description;

	if (ev->mode != ev->cf->file_mode) {
		fprintf(rt->f, "%s\n", config_mode_story(ev->mode));
		return;
	}
	if (story == NULL || *story == '\0')
		return;
	escape_fputs(rt->f, story, ESCAPE_NEWLINES);
	if (story[strlen(story) - 1] != '\n')
		fputc('\n', rt->f);
}

static void
report_text_run_start(struct report_text *rt, const struct report_event *ev)
{
	const struct config *cf = ev->cf;
	char buf[16];
	unsigned i;

	report_text_widths(rt, ev);
	fprintf(rt->f, "Running %s: %zu task%s, %s mode, %u worker%s", cf->name,
	    ev->ntasks, ev->ntasks == 1 ? "" : "s", config_mode_name(ev->mode),
	    ev->nworkers, ev->nworkers == 1 ? "" : "s");
	if (cf->workers != NULL && ev->nworkers <= 8) {
		for (i = 0; i < ev->nworkers; i++)
			fprintf(rt->f, "%s%s", i == 0 ? " (" : ", ",
			    config_worker_name(cf, i, buf, sizeof buf));
		fputc(')', rt->f);
	}
	if (cf->time_scale != 1)
		fprintf(rt->f, ", time scale %g", cf->time_scale);
	if (ev->run > 1)
		fprintf(rt->f, ", run %u", ev->run);
	fputc('\n', rt->f);
	report_text_story(rt, ev);
}

/* "delay 4", "factorial 40", "url https://...". */
static void
report_text_what(struct report_text *rt, const struct report_event *ev)
{
	const struct task *t = ev->task;
	const char *arg, *name = config_task_name(ev->cf, t);
	char buf[64], *shown;
	int n;

	arg = task_ops(t->kind)->arg(t, buf, sizeof buf);
	if (escape_needed(arg, 0)) {
		shown = escape_text(arg, 0);
		n = fprintf(rt->f, "%s %s", config_kind_name(t->kind), shown);
		free(shown);
	} else
		n = fprintf(rt->f, "%s %s", config_kind_name(t->kind), arg);
	if (name != NULL)
		n += fprintf(rt->f, " (%s)", name);
	if (n < 20)
		fprintf(rt->f, "%*s", 20 - n, "");
}

/* The result in words. */
static void
report_text_result(
    struct report_text *rt, const struct task *t, const struct result *r)
{
	if (!r->ok) {
		fputs(r->cancelled ? "cancelled: " : "", rt->f);
		escape_fputs(rt->f, r->error != NULL ? r->error : "failed", 0);
		return;
	}
	task_ops(t->kind)->outcome(rt->f, t, r, rt->verbose);
}

static void
report_text_task(struct report_text *rt, const struct report_event *ev)
{
	const struct result *r = ev->result;

	fprintf(rt->f, "%8.3f  %-*s  task %*u  ", ev->at, rt->wname, ev->worker,
	    rt->wtask, config_task_index(ev->cf, ev->task));
	report_text_what(rt, ev);
	if (ev->type == REPORT_TASK_START) {
		fputs("  started\n", rt->f);
		return;
	}
	if (ev->type == REPORT_TASK_RETRY) {
		fprintf(rt->f, "  attempt %u failed (", r->attempt);
		escape_fputs(rt->f, r->error != NULL ? r->error : "failed", 0);
		fprintf(rt->f, "), retry in %g s\n", ev->wait);
		return;
	}
	fprintf(rt->f, "  %s%-6s%s %7.3f s  ", report_text_paint(rt, r->ok),
	    r->ok ? "ok" : "FAILED", report_text_reset(rt), r->elapsed);
	report_text_result(rt, ev->task, r);
	fputc('\n', rt->f);
}

static void
report_text_emit(const struct report_event *ev, void *arg)
{
	struct report_text *rt = arg;

	switch (ev->type) {
	case REPORT_RUN_START:
		report_text_run_start(rt, ev);
		break;
	case REPORT_WORKER_START:
		fprintf(rt->f, "Worker %s starting to run tasks\n", ev->worker);
		break;
	case REPORT_TASK_START:
	case REPORT_TASK_RETRY:
		if (rt->verbose)
			report_text_task(rt, ev);
		break;
	case REPORT_TASK_DONE:
		report_text_task(rt, ev);
		break;
	case REPORT_WORKER_DONE:
		fprintf(rt->f,
		    "Worker %s finished as there are no more tasks "
		    "(%lu done)\n",
		    ev->worker, ev->worker_tasks);
		break;
	case REPORT_RUN_DONE:
		fprintf(rt->f,
		    "Total elapsed time: %.2f seconds (%zu ok, "
		    "%s%zu failed%s)\n",
		    ev->elapsed, ev->ok,
		    ev->failed > 0 ? report_text_paint(rt, 0) : "", ev->failed,
		    ev->failed > 0 ? report_text_reset(rt) : "");
		break;
	case REPORT_LOOP_BLOCKED:
		/* Said on stderr when it happens, and drawn on the timeline. */
		break;
	}
}

static void
report_text_flush(void *arg)
{
	struct report_text *rt = arg;

	fflush(rt->f);
}

/* Text for people on a stream; colour only when asked. */
void
report_text_add(struct report *r, FILE *f, int verbose, int color)
{
	struct report_text *rt;

	rt = xcalloc(1, sizeof *rt);
	rt->f = f;
	rt->verbose = verbose;
	rt->color = color;
	report_add(r, report_text_emit, report_text_flush, free, rt);
}
