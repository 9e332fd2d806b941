/*
 * JSON Lines: every event on stdout (-j), and the results file (-o) that
 * gets one whole line per finished task, appended a loop turn at a time.
 */
#include "autoconf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "escape.h"
#include "outfile.h"
#include "report.h"
#include "task.h"
#include "xmalloc.h"

/*
 * Lines are written straight into a growing buffer, in a fixed key order:
 * a task_done line costs no allocation but the buffer's and no printf. The
 * output is what jansson would print (tests/unit/test_report.c parses it
 * with jansson), but for DEL and the C1 controls, escaped too so that -j
 * on a terminal drives it no more than text does; any byte that is not
 * valid UTF-8 becomes U+FFFD, so that every line is valid JSON.
 */
struct jbuf {
	char *s;
	size_t len;
	size_t size;
	char sep; /* '{' before the first key, then ',' */
};

static void
jb_grow(struct jbuf *b, size_t more)
{
	if (b->len + more <= b->size)
		return;
	b->size = b->size == 0 ? 512 : b->size;
	while (b->len + more > b->size)
		b->size *= 2;
	b->s = xreallocarray(b->s, b->size, 1);
}

static void
jb_raw(struct jbuf *b, const char *s, size_t len)
{
	jb_grow(b, len);
	memcpy(b->s + b->len, s, len);
	b->len += len;
}

static void
jb_str(struct jbuf *b, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str, *run;
	size_t n = strlen(str), k;
	char esc[6];

	jb_raw(b, "\"", 1);
	while (n > 0) {
		for (run = s; n > 0 && *s >= 0x20 && *s < 0x7f && *s != '"' &&
		     *s != '\\';
		     s++, n--)
			;
		jb_raw(b, (const char *)run, (size_t)(s - run));
		if (n == 0)
			break;
		if (*s >= 0x80) {
			if ((k = escape_utf8_len(s, n)) == 0) {
				jb_raw(b, "\xef\xbf\xbd", 3);
				k = 1;
			} else if (k == 2 && s[0] == 0xc2 && s[1] < 0xa0) {
				/* A C1 control (CSI is one): escaped, as C0. */
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[(s[1] & 0x3f) >> 4 | 0x8];
				esc[5] = hex[s[1] & 0xf];
				jb_raw(b, esc, 6);
			} else
				jb_raw(b, (const char *)s, k);
			s += k;
			n -= k;
			continue;
		}
		esc[0] = '\\';
		switch (*s) {
		case '"':
		case '\\':
			esc[1] = (char)*s;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[*s >> 4];
			esc[5] = hex[*s & 0xf];
			jb_raw(b, esc, 6);
			s++, n--;
			continue;
		}
		jb_raw(b, esc, 2);
		s++, n--;
	}
	jb_raw(b, "\"", 1);
}

static void
jb_uint(struct jbuf *b, unsigned long long v)
{
	char d[24];
	size_t i = sizeof d;

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	jb_raw(b, d + i, sizeof d - i);
}

static void
jb_int(struct jbuf *b, long long v)
{
	if (v < 0) {
		jb_raw(b, "-", 1);
		jb_uint(b, -(unsigned long long)v);
	} else
		jb_uint(b, (unsigned long long)v);
}

/* A number as jansson prints a real: 15 significant digits, always . or e. */
static void
jb_real(struct jbuf *b, double v)
{
	char d[40];
	unsigned long long us;
	int len, i;

	if (!isfinite(v)) {
		jb_raw(b, "null", 4);
		return;
	}
	/* Whole microseconds below 10^9: I.FFFFFF, trailing zeros cut. */
	if (fabs(v) < 1e9 && round(v * 1e6) == v * 1e6) {
		if (v < 0)
			jb_raw(b, "-", 1);
		us = (unsigned long long)llround(fabs(v) * 1e6);
		jb_uint(b, us / 1000000);
		us %= 1000000;
		d[0] = '.';
		for (i = 6; i > 0; i--, us /= 10)
			d[i] = (char)('0' + us % 10);
		len = 7;
		while (len > 2 && d[len - 1] == '0')
			len--;
		jb_raw(b, d, (size_t)len);
		return;
	}
	len = snprintf(d, sizeof d, "%.15g", v);
	jb_raw(b, d, (size_t)len);
	if (strpbrk(d, ".e") == NULL)
		jb_raw(b, ".0", 2);
}

/* A key: always one of the program's own names, so not escaped. */
static void
jb_key(struct jbuf *b, const char *key)
{
	size_t n = strlen(key);

	jb_grow(b, n + 4);
	b->s[b->len++] = b->sep;
	b->sep = ',';
	b->s[b->len++] = '"';
	memcpy(b->s + b->len, key, n);
	b->len += n;
	b->s[b->len++] = '"';
	b->s[b->len++] = ':';
}

static void
jb_key_str(struct jbuf *b, const char *key, const char *v)
{
	jb_key(b, key);
	jb_str(b, v);
}

static void
jb_key_int(struct jbuf *b, const char *key, long long v)
{
	jb_key(b, key);
	jb_int(b, v);
}

/* Seconds to the microsecond, so that JSON shows 4.000432, not noise. */
static void
jb_key_seconds(struct jbuf *b, const char *key, double s)
{
	jb_key(b, key);
	jb_real(b, round(s * 1e6) / 1e6);
}

static void
jb_key_raw(struct jbuf *b, const char *key, const char *v)
{
	jb_key(b, key);
	jb_raw(b, v, strlen(v));
}

/* A value a kind gave, as JSON. */
static void
report_json_value(struct jbuf *b, const struct task_json *j)
{
	size_t i;

	switch (j->type) {
	case JSON_VALUE_NULL:
		jb_raw(b, "null", 4);
		break;
	case JSON_VALUE_INT:
		jb_int(b, j->v.i);
		break;
	case JSON_VALUE_UINT:
		jb_uint(b, j->v.u);
		break;
	case JSON_VALUE_REAL:
		jb_real(b, j->v.d);
		break;
	case JSON_VALUE_STR:
		jb_str(b, j->v.s);
		break;
	case JSON_VALUE_REALS:
		b->sep = '{'; /* the first key opens the object */
		if (j->v.reals.n == 0)
			jb_raw(b, "{", 1);
		for (i = 0; i < j->v.reals.n; i++) {
			jb_key(b, j->v.reals.keys[i]);
			if (j->v.reals.d[i] < 0)
				jb_raw(b, "null", 4);
			else
				jb_real(b, j->v.reals.d[i]);
		}
		jb_raw(b, "}", 1);
		b->sep = ',';
		break;
	}
}

/* The task's argument as written: numbers for delay and factorial. */
static void
report_json_arg(struct jbuf *b, const struct task *t)
{
	struct task_json j;

	task_ops(t->kind)->json_arg(t, &j);
	jb_key(b, "arg");
	report_json_value(b, &j);
}

/* result: seconds slept, the value, the HTTP status or the lines. */
static void
report_json_result(struct jbuf *b, const struct task *t, const struct result *r)
{
	struct task_json j;

	if (r->cancelled)
		task_json_null(&j, NULL);
	else
		task_ops(t->kind)->json_result(t, r, &j);
	jb_key(b, "result");
	report_json_value(b, &j);
}

/* What each kind adds to task_done. */
static void
report_json_extra(struct jbuf *b, const struct task *t, const struct result *r)
{
	struct task_json j[TASK_JSON_FIELDS];
	size_t i, n;

	n = task_ops(t->kind)->json_fields(t, r, j);
	for (i = 0; i < n; i++) {
		jb_key(b, j[i].key);
		report_json_value(b, &j[i]);
	}
}

static void
report_json_task(struct jbuf *b, const struct report_event *ev)
{
	const struct task *t = ev->task;
	const struct result *r = ev->result;
	char shard[32];

	jb_key_str(b, "worker", ev->worker);
	jb_key_int(b, "task", config_task_index(ev->cf, t));
	jb_key_str(b, "kind", config_kind_name(t->kind));
	report_json_arg(b, t);
	if (config_task_name(ev->cf, t) != NULL)
		jb_key_str(b, "name", config_task_name(ev->cf, t));
	if (ev->shard_n > 1) {
		snprintf(
		    shard, sizeof shard, "%u/%u", ev->shard_k, ev->shard_n);
		jb_key_str(b, "shard", shard);
	}
	if (ev->type != REPORT_TASK_DONE)
		return;
	jb_key_raw(b, "ok", r->ok ? "true" : "false");
	jb_key_seconds(b, "elapsed", r->elapsed);
	report_json_result(b, t, r);
	if (!r->ok)
		jb_key_str(b, "error", r->error != NULL ? r->error : "failed");
	if (r->cancelled)
		jb_key_raw(b, "cancelled", "true");
	report_json_extra(b, t, r);
}

/* Append the event as one line of JSON, without the newline, to b. */
static void
report_json_write(struct jbuf *b, const struct report_event *ev)
{
	char ts[CLOCK_STAMP_SIZE];

	clock_format(ev->wall, ts, sizeof ts);
	b->sep = '{';
	jb_key_str(b, "ts", ts);
	jb_key_str(b, "event", report_event_name(ev->type));
	jb_key_int(b, "run", ev->run);
	switch (ev->type) {
	case REPORT_RUN_START:
		jb_key_str(b, "name", ev->cf->name);
		jb_key_str(b, "mode", config_mode_name(ev->mode));
		jb_key_int(b, "workers", ev->nworkers);
		jb_key_int(b, "tasks", (long long)ev->ntasks);
		if (ev->cf->time_scale != 1) {
			jb_key(b, "time_scale");
			jb_real(b, ev->cf->time_scale);
		}
		break;
	case REPORT_WORKER_START:
		jb_key_str(b, "worker", ev->worker);
		break;
	case REPORT_TASK_START:
	case REPORT_TASK_DONE:
		report_json_task(b, ev);
		break;
	case REPORT_TASK_RETRY:
		report_json_task(b, ev);
		jb_key_int(b, "attempt", ev->result->attempt);
		jb_key_str(b, "error",
		    ev->result->error != NULL ? ev->result->error : "failed");
		if (ev->result->status > 0)
			jb_key_int(b, "status", ev->result->status);
		jb_key_seconds(b, "retry_in", ev->wait);
		break;
	case REPORT_WORKER_DONE:
		jb_key_str(b, "worker", ev->worker);
		jb_key_int(b, "tasks", (long long)ev->worker_tasks);
		break;
	case REPORT_RUN_DONE:
		jb_key_seconds(b, "elapsed", ev->elapsed);
		jb_key_int(b, "ok", (long long)ev->ok);
		jb_key_int(b, "failed", (long long)ev->failed);
		break;
	case REPORT_LOOP_BLOCKED:
		jb_key_str(b, "worker", ev->worker);
		jb_key_int(b, "task", config_task_index(ev->cf, ev->task));
		jb_key_seconds(b, "held", ev->held);
		break;
	}
	jb_raw(b, "}", 1);
}

/* The event as one line of JSON, without the newline. */
char *
report_json_line(const struct report_event *ev)
{
	struct jbuf b;

	memset(&b, 0, sizeof b);
	report_json_write(&b, ev);
	jb_raw(&b, "", 1);
	return b.s;
}

static void
report_json_emit(const struct report_event *ev, void *arg)
{
	FILE *f = arg;
	char *s;

	s = report_json_line(ev);
	fputs(s, f);
	fputc('\n', f);
	free(s);
}

static void
report_json_flush(void *arg)
{
	fflush(arg);
}

/* Every event as JSON Lines on a stream. */
void
report_json_add(struct report *r, FILE *f)
{
	report_add(r, report_json_emit, report_json_flush, NULL, f);
}

struct report_results {
	struct outfile *out;
	struct jbuf buf;
};

/* Lines wait for the end of the loop turn, or for this much of them. */
#define REPORT_RESULTS_BUFFER (64 * 1024)

/*
 * Hand the waiting lines on in one piece: the output appends them in one
 * write, so that with O_APPEND they land whole even among other processes
 * appending to the same file.
 */
static void
report_results_flush(void *arg)
{
	struct report_results *rr = arg;

	outfile_lines(rr->out, rr->buf.s, rr->buf.len);
	rr->buf.len = 0;
}

/* One task_done line, whole; written with the turn's other lines. */
static void
report_results_emit(const struct report_event *ev, void *arg)
{
	struct report_results *rr = arg;

	if (ev->type != REPORT_TASK_DONE)
		return;
	report_json_write(&rr->buf, ev);
	jb_raw(&rr->buf, "\n", 1);
	if (rr->buf.len >= REPORT_RESULTS_BUFFER)
		report_results_flush(rr);
}

static void
report_results_free(void *arg)
{
	struct report_results *rr = arg;

	report_results_flush(rr);
	free(rr->buf.s);
	free(rr);
}

/* One JSON line per finished task to out (the results file). */
void
report_results_add(struct report *r, struct outfile *out)
{
	struct report_results *rr;

	rr = xcalloc(1, sizeof *rr);
	rr->out = out;
	report_add(r, report_results_emit, report_results_flush,
	    report_results_free, rr);
}

/*
 * The task list as one JSON object, for the live view's page: name,
 * description, mode, the workers' names and each task's number, kind,
 * argument (secrets as ***, as in task_start) and name.
 */
char *
report_json_tasks(const struct config *cf)
{
	struct jbuf b;
	char buf[16];
	size_t i;
	unsigned w;

	memset(&b, 0, sizeof b);
	b.sep = '{';
	jb_key_str(&b, "name", cf->name);
	if (cf->description != NULL)
		jb_key_str(&b, "description", cf->description);
	jb_key_str(&b, "mode", config_mode_name(cf->mode));
	jb_key(&b, "workers");
	for (w = 0; w < cf->nworkers; w++) {
		jb_raw(&b, w == 0 ? "[" : ",", 1);
		jb_str(&b, config_worker_name(cf, w, buf, sizeof buf));
	}
	jb_raw(&b, cf->nworkers == 0 ? "[]" : "]", cf->nworkers == 0 ? 2 : 1);
	jb_key(&b, "tasks");
	jb_raw(&b, "[", 1);
	for (i = 0; i < cf->ntasks; i++) {
		if (i > 0)
			jb_raw(&b, ",", 1);
		b.sep = '{';
		jb_key_int(&b, "task", i + 1);
		jb_key_str(&b, "kind", config_kind_name(cf->tasks[i].kind));
		report_json_arg(&b, &cf->tasks[i]);
		if (config_task_name(cf, &cf->tasks[i]) != NULL)
			jb_key_str(
			    &b, "name", config_task_name(cf, &cf->tasks[i]));
		jb_raw(&b, "}", 1);
	}
	jb_raw(&b, "]}", 3);
	return b.s;
}
