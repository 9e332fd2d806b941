/*
 * The timeline as Chrome Trace Event Format JSON, for Perfetto and
 * chrome://tracing: a process per run, a thread track per worker and one
 * for the loop, a complete ("X") event per task with its arguments and
 * outcome, and the busy slices of the loop (or of the worker threads).
 */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "timeline.h"
#include "xmalloc.h"

/* Track ids: the loop, the workers from 1, their threads' CPU after. */
#define TIMELINE_TRACE_LOOP 0
#define TIMELINE_TRACE_BLOCKED 999999
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

static json_t *
timeline_trace_task(unsigned pid, const struct timeline_task *t)
{
	char *name;
	json_t *ev;

	name = xprintf("%u %s %s", t->index, config_kind_name(t->kind), t->arg);
	ev = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:{s:I, s:s, s:s, "
	               "s:b, s:b}}",
	    "name", name, "cat", config_kind_name(t->kind), "ph", "X", "ts",
	    timeline_trace_us(t->start), "dur",
	    timeline_trace_us(t->end - t->start), "pid", (json_int_t)pid, "tid",
	    (json_int_t)t->worker + 1, "args", "task", (json_int_t)t->index,
	    "kind", config_kind_name(t->kind), "arg", t->arg, "ok",
	    t->done && t->ok, "cancelled", t->cancelled);
	if (t->outcome != NULL)
		json_object_set_new(json_object_get(ev, "args"),
		    t->ok ? "result" : "error", json_string(t->outcome));
	free(name);
	return ev;
}

/* Runs of busy slices (at least a tenth busy) as "busy" events. */
static void
timeline_trace_busy(
    json_t *events, unsigned pid, long tid, const struct timeline_track *t)
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
		json_array_append_new(events,
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
    json_t *events, unsigned pid, const struct timeline_run *tr)
{
	const struct timeline_block *b;
	char *name;
	size_t i;

	if (tr->nblocks > 0)
		json_array_append_new(events,
		    timeline_trace_name(
		        pid, TIMELINE_TRACE_BLOCKED, "event loop blocked"));
	for (i = 0; i < tr->nblocks; i++) {
		b = &tr->blocks[i];
		name = xprintf("loop blocked by task %u (%s %s)", b->index,
		    config_kind_name(b->kind), b->arg);
		json_array_append_new(events,
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
    json_t *events, unsigned pid, const struct timeline_run *tr)
{
	const struct timeline_track *t;
	char *name;
	unsigned i;
	long tid;

	for (i = 0; i < tr->nworkers; i++) {
		name = xprintf("worker %s", tr->workers[i]);
		json_array_append_new(
		    events, timeline_trace_name(pid, (long)i + 1, name));
		free(name);
	}
	for (i = 0; i < tr->ntracks; i++) {
		t = &tr->tracks[i];
		tid = t->worker < 0 ? TIMELINE_TRACE_LOOP
		                    : TIMELINE_TRACE_CPU + t->worker;
		if (t->worker >= 0) {
			name = xprintf("CPU of worker %s's thread", t->name);
			json_array_append_new(
			    events, timeline_trace_name(pid, tid, name));
			free(name);
		}
		timeline_trace_busy(events, pid, tid, t);
	}
}

static void
timeline_trace_run(json_t *events, const struct timeline_run *tr, unsigned pid)
{
	char *name;
	size_t i;

	name = xprintf("%s, %s mode", tr->name, config_mode_name(tr->mode));
	json_array_append_new(events, timeline_trace_name(pid, -1, name));
	free(name);
	json_array_append_new(events,
	    timeline_trace_name(pid, TIMELINE_TRACE_LOOP, "event loop"));
	timeline_trace_tracks(events, pid, tr);
	for (i = 0; i < tr->ntask; i++)
		json_array_append_new(
		    events, timeline_trace_task(pid, &tr->tasks[i]));
	timeline_trace_blocks(events, pid, tr);
}

/* Write the runs, each as a process numbered from 1, to path. */
int
timeline_trace_write(const char *path, const struct timeline_run *const *runs,
    size_t n, char **cause)
{
	json_t *doc, *events;
	size_t i;
	int rc;

	events = json_array();
	for (i = 0; i < n; i++)
		timeline_trace_run(events, runs[i], (unsigned)i + 1);
	doc = json_pack(
	    "{s:o, s:s}", "traceEvents", events, "displayTimeUnit", "ms");
	errno = 0;
	rc = json_dump_file(doc, path, JSON_COMPACT);
	json_decref(doc);
	if (rc != 0) {
		*cause = xprintf("%s: %s", path,
		    errno != 0 ? strerror(errno) : "cannot write");
		return -1;
	}
	return 0;
}
