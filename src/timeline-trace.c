/*
 * The timeline as Chrome Trace Event Format JSON, for Perfetto and
 * chrome://tracing: a process per run, a thread track per worker and one
 * for the loop, a complete ("X") event per task with its arguments and
 * outcome, and the busy slices of the loop (or of the worker threads).
 * Each event is made with jansson and written at once, one a line: a
 * run of a million tasks costs no more memory than one event.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "timeline.h"
#include "xmalloc.h"

/* Where the events go: a file, and whether one was written yet. */
struct timeline_trace {
	FILE *f;
	int any;
};

/* Track ids: the loop, the workers from 1, their threads' CPU after. */
#define TIMELINE_TRACE_LOOP 0
#define TIMELINE_TRACE_BLOCKED 999999
#define TIMELINE_TRACE_EXECUTOR 999998
#define TIMELINE_TRACE_CPU 1000000

static json_int_t
timeline_trace_us(double s)
{
	return (json_int_t)(s * 1e6 + 0.5);
}

/* A metadata event naming a process (tid < 0) or a thread. */
static json_t *
timeline_trace_name(unsigned pid, long tid, const char *name)
{
	json_t *ev;

	ev = json_pack("{s:s, s:s, s:I, s:{s:s}}", "name",
	    tid < 0 ? "process_name" : "thread_name", "ph", "M", "pid",
	    (json_int_t)pid, "args", "name", name);
	if (tid >= 0)
		json_object_set_new(ev, "tid", json_integer(tid));
	return ev;
}

/* Write an event and let it go; one that could not be made is left out. */
static void
timeline_trace_put(struct timeline_trace *tt, json_t *ev)
{
	if (ev == NULL)
		return;
	fputs(tt->any ? ",\n" : "\n", tt->f);
	tt->any = 1;
	json_dumpf(ev, tt->f, JSON_COMPACT);
	json_decref(ev);
}

static json_t *
timeline_trace_task(unsigned pid, const struct timeline_task *t)
{
	char *name, abuf[TIMELINE_TEXT], obuf[TIMELINE_TEXT];
	const char *arg = timeline_arg(t, abuf, sizeof abuf), *outcome;
	json_t *ev;

	name = xprintf("%u %s %s", t->index, config_kind_name(t->kind), arg);
	ev = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:{s:I, s:s, s:s, "
	               "s:b, s:b}}",
	    "name", name, "cat", config_kind_name(t->kind), "ph", "X", "ts",
	    timeline_trace_us(t->start), "dur",
	    timeline_trace_us(t->end - t->start), "pid", (json_int_t)pid, "tid",
	    (json_int_t)t->worker + 1, "args", "task", (json_int_t)t->index,
	    "kind", config_kind_name(t->kind), "arg", arg, "ok",
	    t->done && t->ok, "cancelled", t->cancelled);
	if (ev != NULL &&
	    (outcome = timeline_outcome(t, obuf, sizeof obuf)) != NULL)
		json_object_set_new(json_object_get(ev, "args"),
		    t->ok ? "result" : "error", json_string(outcome));
	free(name);
	return ev;
}

/* Runs of busy slices (at least a tenth busy) as "busy" events. */
static void
timeline_trace_busy(struct timeline_trace *tt, unsigned pid, long tid,
    const struct timeline_track *t)
{
	const struct timeline_slice *s;
	double start, cpu;
	size_t i, j;

	for (i = 0; i < t->nslices; i = j) {
		if (t->slices[i].busy < 0.1) {
			j = i + 1;
			continue;
		}
		start = t->slices[i].start;
		cpu = 0;
		for (j = i; j < t->nslices && t->slices[j].busy >= 0.1; j++) {
			s = &t->slices[j];
			cpu += (s->end - s->start) * s->busy;
		}
		timeline_trace_put(tt,
		    json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:{s:f}}",
		        "name", "busy", "cat", "cpu", "ph", "X", "ts",
		        timeline_trace_us(start), "dur",
		        timeline_trace_us(t->slices[j - 1].end - start), "pid",
		        (json_int_t)pid, "tid", (json_int_t)tid, "args",
		        "cpu_seconds", cpu));
	}
}

static void
timeline_trace_blocks(
    struct timeline_trace *tt, unsigned pid, const struct timeline_run *tr)
{
	const struct timeline_block *b;
	char *name;
	size_t i;

	if (tr->nblocks > 0)
		timeline_trace_put(tt,
		    timeline_trace_name(
		        pid, TIMELINE_TRACE_BLOCKED, "event loop blocked"));
	for (i = 0; i < tr->nblocks; i++) {
		b = &tr->blocks[i];
		name = xprintf("loop blocked by task %u (%s %s)", b->index,
		    config_kind_name(b->kind), b->arg);
		timeline_trace_put(tt,
		    json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:{s:I}}",
		        "name", name, "cat", "blocked", "ph", "X", "ts",
		        timeline_trace_us(b->start), "dur",
		        timeline_trace_us(b->end - b->start), "pid",
		        (json_int_t)pid, "tid",
		        (json_int_t)TIMELINE_TRACE_BLOCKED, "args", "waited",
		        (json_int_t)b->waited));
		free(name);
	}
}

/* Tracks named after the workers; CPU tracks for worker threads. */
static void
timeline_trace_tracks(
    struct timeline_trace *tt, unsigned pid, const struct timeline_run *tr)
{
	const struct timeline_track *t;
	char *name;
	unsigned i;
	long tid;

	for (i = 0; i < tr->nworkers; i++) {
		name = xprintf("worker %s", tr->workers[i]);
		timeline_trace_put(
		    tt, timeline_trace_name(pid, (long)i + 1, name));
		free(name);
	}
	for (i = 0; i < tr->ntracks; i++) {
		t = &tr->tracks[i];
		if (t->worker == TIMELINE_EXECUTOR)
			tid = TIMELINE_TRACE_EXECUTOR;
		else if (t->worker < 0)
			tid = TIMELINE_TRACE_LOOP;
		else
			tid = TIMELINE_TRACE_CPU + t->worker;
		if (t->worker == TIMELINE_EXECUTOR)
			timeline_trace_put(tt,
			    timeline_trace_name(pid, tid,
			        "executor (offloaded work, all its threads)"));
		else if (t->worker >= 0) {
			name = xprintf("CPU of worker %s's thread", t->name);
			timeline_trace_put(
			    tt, timeline_trace_name(pid, tid, name));
			free(name);
		}
		timeline_trace_busy(tt, pid, tid, t);
	}
}

static void
timeline_trace_run(
    struct timeline_trace *tt, const struct timeline_run *tr, unsigned pid)
{
	char *name;
	size_t i;

	if (tr->merged > 0)
		name = xprintf("%s, run %u, merged from %u file%s", tr->name,
		    tr->number, tr->merged, tr->merged == 1 ? "" : "s");
	else
		name = xprintf(
		    "%s, %s mode", tr->name, config_mode_name(tr->mode));
	timeline_trace_put(tt, timeline_trace_name(pid, -1, name));
	free(name);
	timeline_trace_put(
	    tt, timeline_trace_name(pid, TIMELINE_TRACE_LOOP, "event loop"));
	timeline_trace_tracks(tt, pid, tr);
	for (i = 0; i < tr->ntask; i++)
		timeline_trace_put(tt, timeline_trace_task(pid, &tr->tasks[i]));
	timeline_trace_blocks(tt, pid, tr);
}

/* Write the runs, each as a process numbered from 1, to path. */
int
timeline_trace_write(const char *path, const struct timeline_run *const *runs,
    size_t n, char **cause)
{
	struct timeline_trace tt;
	size_t i;

	memset(&tt, 0, sizeof tt);
	if ((tt.f = fopen(path, "w")) == NULL)
		goto fail;
	fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[", tt.f);
	for (i = 0; i < n; i++)
		timeline_trace_run(&tt, runs[i], (unsigned)i + 1);
	fputs("\n]}\n", tt.f);
	if (ferror(tt.f)) {
		fclose(tt.f);
		errno = EIO;
		goto fail;
	}
	if (fclose(tt.f) != 0)
		goto fail;
	return 0;
fail:
	*cause = xprintf("%s: %s", path, strerror(errno));
	return -1;
}
