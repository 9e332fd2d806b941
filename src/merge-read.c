/*
 * --merge reads results files: each line a task_done object of the JSON
 * Lines contract, kept as a record without its result value (a factorial's
 * may be 450,000 digits). The contract's other events are passed over, so
 * that what -j printed merges as well.
 */
#include "autoconf.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "merge.h"
#include "report.h"
#include "task.h"
#include "xmalloc.h"

/* Errors listed before reading stops. */
#define MERGE_ERRORS 20

/* Where an ok result's one number for a timeline (its tally) is. */
static const struct merge_tally {
	const char *key;
	double scale;
} merge_tallies[TASK_NKINDS] = {
    [TASK_FACTORIAL] = {"digits", 1},
    [TASK_URL] = {"status", 1},
    [TASK_FILE] = {"lines", 1},
    [TASK_TCP] = {"result", 1e6},
    [TASK_EXEC] = {"result", 1},
};

/* An event of the contract that is not a task's result. */
static int
merge_other_event(const char *s)
{
	int i;

	for (i = REPORT_RUN_START; i <= REPORT_LOOP_BLOCKED; i++) {
		if (i != REPORT_TASK_DONE &&
		    strcmp(s, report_event_name((enum report_type)i)) == 0)
			return 1;
	}
	return 0;
}

/*
 * Field key of o if it has the type asked for ('i' integer, 'n' number,
 * 's' string, 'b' boolean); else NULL and why in *why.
 */
static json_t *
merge_get(json_t *o, const char *key, int type, char **why)
{
	json_t *v = json_object_get(o, key);
	const char *what;
	int fits;

	if (v == NULL) {
		*why = xprintf("'%s' is missing", key);
		return NULL;
	}
	fits = type == 'i' ? json_is_integer(v)
	    : type == 'n'  ? json_is_number(v)
	    : type == 's'  ? json_is_string(v)
	                   : json_is_boolean(v);
	if (fits)
		return v;
	what = type == 'i' ? "an integer"
	    : type == 'n'  ? "a number"
	    : type == 's'  ? "a string"
	                   : "true or false";
	*why = xprintf("'%s' is not %s", key, what);
	return NULL;
}

/* An integer field from lo to hi. */
static int
merge_count(json_t *o, const char *key, json_int_t lo, json_int_t hi,
    unsigned *out, char **why)
{
	json_t *v;
	json_int_t n;

	if ((v = merge_get(o, key, 'i', why)) == NULL)
		return -1;
	n = json_integer_value(v);
	if (n < lo || n > hi) {
		*why = xprintf("'%s' is %" JSON_INTEGER_FORMAT
		               ", expected %" JSON_INTEGER_FORMAT
		               " to %" JSON_INTEGER_FORMAT,
		    key, n, lo, hi);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/* The JSON type of a kind's arg, as its own ops write it. */
static enum json_value
merge_arg_type(enum task_kind kind)
{
	struct task_json j;
	struct task t;

	memset(&t, 0, sizeof t);
	memset(&j, 0, sizeof j);
	t.kind = kind;
	if (config_has_str(&t))
		t.arg.str = (char *)"";
	task_ops(kind)->json_arg(&t, &j);
	return j.type;
}

/* A recorded task's "arg" as its kind writes it. */
json_t *
merge_arg_json(const struct timeline_task *t)
{
	switch (merge_arg_type((enum task_kind)t->kind)) {
	case JSON_VALUE_REAL:
		return json_real(t->num.seconds);
	case JSON_VALUE_UINT:
		return json_integer((json_int_t)t->num.n);
	default:
		return json_string(t->str != NULL ? t->str : "");
	}
}

/* The task's argument ("arg") as its kind keeps it. */
static int
merge_arg(json_t *o, struct timeline_task *t, char **why)
{
	json_t *v;

	switch (merge_arg_type((enum task_kind)t->kind)) {
	case JSON_VALUE_REAL:
		if ((v = merge_get(o, "arg", 'n', why)) == NULL)
			return -1;
		t->num.seconds = json_number_value(v);
		return 0;
	case JSON_VALUE_UINT:
		if ((v = merge_get(o, "arg", 'i', why)) == NULL)
			return -1;
		t->num.n = (unsigned long)json_integer_value(v);
		return 0;
	default:
		if ((v = merge_get(o, "arg", 's', why)) == NULL)
			return -1;
		t->str = xstrdup(json_string_value(v));
		return 0;
	}
}

/* The kind, its argument and how it ended. */
static int
merge_outcome(json_t *o, struct timeline_task *t, char **why)
{
	const struct merge_tally *tally;
	json_t *kind, *ok, *elapsed, *v;
	enum task_kind k;

	if ((kind = merge_get(o, "kind", 's', why)) == NULL ||
	    (ok = merge_get(o, "ok", 'b', why)) == NULL ||
	    (elapsed = merge_get(o, "elapsed", 'n', why)) == NULL)
		return -1;
	if (config_kind_parse(json_string_value(kind), &k) != 0) {
		*why = xprintf("unknown kind '%s'", json_string_value(kind));
		return -1;
	}
	if ((t->elapsed = json_number_value(elapsed)) < 0) {
		*why = xstrdup("'elapsed' is negative");
		return -1;
	}
	t->kind = (uint8_t)k;
	t->done = 1;
	t->ok = json_is_true(ok);
	t->cancelled = json_is_true(json_object_get(o, "cancelled"));
	if (!t->ok && json_is_string(v = json_object_get(o, "error")))
		t->error = xstrdup(json_string_value(v));
	tally = &merge_tallies[k];
	if (t->ok && tally->key != NULL &&
	    json_is_number(v = json_object_get(o, tally->key)))
		t->count = (unsigned long long)llround(
		    fabs(json_number_value(v)) * tally->scale);
	if (json_is_integer(v = json_object_get(o, "bytes")))
		t->bytes = (unsigned long long)json_integer_value(v);
	return merge_arg(o, t, why);
}

/* The merged worker for a file's worker name, a new one if need be. */
static unsigned
merge_worker(struct merge *m, unsigned file, const char *name)
{
	char *key;
	json_t *v;
	unsigned w;

	key = xprintf("%u:%s", file, name);
	if ((v = json_object_get(m->ids, key)) != NULL) {
		free(key);
		return (unsigned)json_integer_value(v);
	}
	w = m->nworkers++;
	json_object_set_new_nocheck(m->ids, key, json_integer(w));
	free(key);
	m->workers = xreallocarray(m->workers, m->nworkers, sizeof *m->workers);
	m->workers[w].name = m->nfiles > 1
	    ? xprintf("%s:%s", m->files[file].tag, name)
	    : xstrdup(name);
	m->workers[w].file = file;
	m->workers[w].busy = 0;
	return w;
}

/* Count a record in its file's and its worker's totals. */
static void
merge_tally_up(struct merge *m, const struct merge_record *r)
{
	struct merge_file *f = &m->files[r->file];

	if (f->tasks == 0 || r->t.start < f->first)
		f->first = r->t.start;
	if (f->tasks == 0 || r->t.end > f->last)
		f->last = r->t.end;
	f->tasks++;
	f->ok += r->t.ok;
	f->failed += !r->t.ok;
	m->failed += !r->t.ok;
	f->busy += r->t.elapsed;
	m->workers[r->t.worker].busy += r->t.elapsed;
	if (m->maxrun < r->run)
		m->maxrun = r->run;
}

/* A task_done object as a record. */
static int
merge_task(struct merge *m, json_t *o, struct merge_record *r, char **why)
{
	json_t *ts, *worker;
	const char *bad;
	double end;

	if ((ts = merge_get(o, "ts", 's', why)) == NULL ||
	    merge_count(o, "run", 1, UINT_MAX, &r->run, why) != 0 ||
	    merge_count(o, "task", 1, UINT32_MAX, &r->t.index, why) != 0 ||
	    (worker = merge_get(o, "worker", 's', why)) == NULL ||
	    merge_outcome(o, &r->t, why) != 0)
		return -1;
	if (clock_parse(json_string_value(ts), &end) != 0) {
		*why = xprintf("'ts' is not a time such as "
		               "2026-01-02T03:04:05.000000Z: '%s'",
		    json_string_value(ts));
		return -1;
	}
	if (r->t.elapsed > end) {
		*why = xprintf("'elapsed' is %g s: the task would have started "
		               "before 1970",
		    r->t.elapsed);
		return -1;
	}
	if ((bad = config_name_error(json_string_value(worker))) != NULL) {
		*why = xprintf("'worker' %s", bad);
		return -1;
	}
	r->t.end = end;
	r->t.start = end - r->t.elapsed;
	r->t.worker = merge_worker(m, r->file, json_string_value(worker));
	return 0;
}

/* A parsed line: a record from a task_done, nothing from other events. */
static int
merge_object(
    struct merge *m, json_t *o, unsigned file, unsigned line, char **why)
{
	struct merge_record r;
	const char *ev;

	if (!json_is_object(o)) {
		*why = xstrdup("not a JSON object");
		return -1;
	}
	if ((ev = json_string_value(json_object_get(o, "event"))) == NULL) {
		*why = xstrdup("not an event of asyncdemo's JSON Lines "
		               "(no \"event\")");
		return -1;
	}
	if (merge_other_event(ev))
		return 0;
	if (strcmp(ev, "task_done") != 0) {
		*why = xprintf("unknown event '%s'", ev);
		return -1;
	}
	memset(&r, 0, sizeof r);
	r.file = file;
	r.line = line;
	if (merge_task(m, o, &r, why) != 0) {
		free(r.t.str);
		free(r.t.error);
		return -1;
	}
	if (m->nrecs == m->cap) {
		m->cap = m->cap == 0 ? 1024 : m->cap * 2;
		m->recs = xreallocarray(m->recs, m->cap, sizeof *m->recs);
	}
	m->recs[m->nrecs++] = r;
	merge_tally_up(m, &r);
	return 0;
}

/* One line (without its newline): 0, or -1 and why in *cause. */
int
merge_line(struct merge *m, unsigned file, unsigned line, const char *buf,
    size_t len, char **cause)
{
	const char *path = m->files[file].path;
	json_error_t e;
	char *why;
	json_t *o;
	int rc;

	if ((o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e)) == NULL) {
		*cause = xprintf(
		    "%s:%u:%d: not JSON: %s", path, line, e.column, e.text);
		return -1;
	}
	rc = merge_object(m, o, file, line, &why);
	json_decref(o);
	if (rc != 0) {
		*cause = xprintf("%s:%u: %s", path, line, why);
		free(why);
	}
	return rc;
}

/* Nothing but white space. */
static int
merge_blank(const char *s, size_t len)
{
	return strspn(s, " \t\r") == len;
}

/*
 * A line as read: blank ones are passed over, and a last line without
 * its newline that is not whole (a shard stopped while writing it) is
 * said and skipped: its task is then missing. 0, or -1 for an error.
 */
static int
merge_take(struct merge *m, unsigned file, unsigned line, char *buf, size_t len)
{
	int whole = buf[len - 1] == '\n';
	char *cause;

	if (whole)
		buf[--len] = '\0';
	if (merge_blank(buf, len) ||
	    merge_line(m, file, line, buf, len, &cause) == 0)
		return 0;
	if (!whole) {
		log_warnx("%s:%u: skipped: the last line is cut short (no "
		          "newline at the end of the file)",
		    m->files[file].path, line);
		free(cause);
		return 0;
	}
	log_raw("%s", cause);
	free(cause);
	return -1;
}

/*
 * Read file number file of m: 0; 66 when it cannot be read; 78 when
 * lines are not task results (each said, up to MERGE_ERRORS).
 */
int
merge_read(struct merge *m, unsigned file)
{
	const char *path = m->files[file].path;
	unsigned line = 0, errors = 0;
	size_t cap = 0;
	ssize_t len;
	char *buf = NULL;
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		log_warnx("%s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	while (errors < MERGE_ERRORS && (len = getline(&buf, &cap, f)) > 0)
		errors += merge_take(m, file, ++line, buf, (size_t)len) != 0;
	if (ferror(f)) {
		log_warnx("%s: %s", path, strerror(errno));
		rc = EX_NOINPUT;
	} else if (errors >= MERGE_ERRORS) {
		log_warnx(
		    "%s: too many errors, stopped at line %u", path, line);
		rc = EX_CONFIG;
	} else if (errors > 0)
		rc = EX_CONFIG;
	free(buf);
	fclose(f);
	return rc;
}
