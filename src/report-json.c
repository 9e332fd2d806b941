/*
 * JSON Lines: every event on stdout (-j), and the results file (-o) that
 * gets one whole line per finished task, appended a loop turn at a time.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "log.h"
#include "report.h"
#include "task.h"
#include "xmalloc.h"

#define REPORT_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Seconds to the microsecond, so that JSON shows 4.000432, not noise. */
static json_t *
report_json_seconds(double s)
{
	return json_real(round(s * 1e6) / 1e6);
}

/* The task's argument as written: numbers for delay and factorial. */
static json_t *
report_json_arg(const struct task *t)
{
	switch (t->kind) {
	case TASK_DELAY:
		return json_real(t->num.seconds);
	case TASK_FACTORIAL:
		return json_integer((json_int_t)t->num.n);
	default:
		return json_string(t->str);
	}
}

/* result: seconds slept, the value, the HTTP status or the lines. */
static json_t *
report_json_result(const struct task *t, const struct result *r)
{
	if (r->cancelled)
		return json_null();
	switch (t->kind) {
	case TASK_DELAY:
		return r->ok ? json_real(t->num.seconds) : json_null();
	case TASK_FACTORIAL:
		return r->value != NULL ? json_string(r->value) : json_null();
	case TASK_URL:
		return r->status > 0 ? json_integer(r->status) : json_null();
	default:
		return r->ok ? json_integer((json_int_t)r->lines) : json_null();
	}
}

/* What each kind adds to task_done. */
static void
report_json_extra(json_t *o, const struct task *t, const struct result *r)
{
	switch (t->kind) {
	case TASK_FACTORIAL:
		if (r->value != NULL)
			json_object_set_new(
			    o, "digits", json_integer((json_int_t)r->digits));
		if (r->yields > 0)
			json_object_set_new(
			    o, "yields", json_integer((json_int_t)r->yields));
		break;
	case TASK_URL:
		json_object_set_new(o, "status", json_integer(r->status));
		json_object_set_new(
		    o, "bytes", json_integer((json_int_t)r->bytes));
		json_object_set_new(o, "preview",
		    json_string(r->preview != NULL ? r->preview : ""));
		json_object_set_new(o, "attempt", json_integer(r->attempt));
		break;
	case TASK_FILE:
		json_object_set_new(
		    o, "bytes", json_integer((json_int_t)r->bytes));
		json_object_set_new(
		    o, "lines", json_integer((json_int_t)r->lines));
		break;
	default:
		break;
	}
}

static void
report_json_task(json_t *o, const struct report_event *ev)
{
	const struct task *t = ev->task;
	const struct result *r = ev->result;
	char shard[32];

	json_object_set_new(o, "worker", json_string(ev->worker));
	json_object_set_new(o, "task", json_integer(t->index));
	json_object_set_new(o, "kind", json_string(config_kind_name(t->kind)));
	json_object_set_new(o, "arg", report_json_arg(t));
	if (t->name != NULL)
		json_object_set_new(o, "name", json_string(t->name));
	if (ev->shard_n > 1) {
		snprintf(
		    shard, sizeof shard, "%u/%u", ev->shard_k, ev->shard_n);
		json_object_set_new(o, "shard", json_string(shard));
	}
	if (ev->type != REPORT_TASK_DONE)
		return;
	json_object_set_new(o, "ok", json_boolean(r->ok));
	json_object_set_new(o, "elapsed", report_json_seconds(r->elapsed));
	json_object_set_new(o, "result", report_json_result(t, r));
	if (!r->ok)
		json_object_set_new(o, "error",
		    json_string(r->error != NULL ? r->error : "failed"));
	if (r->cancelled)
		json_object_set_new(o, "cancelled", json_true());
	report_json_extra(o, t, r);
}

/* The event as one line of JSON, without the newline. */
char *
report_json_line(const struct report_event *ev)
{
	char ts[CLOCK_STAMP_SIZE], *s;
	json_t *o;

	clock_format(ev->wall, ts, sizeof ts);
	o = json_object();
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(
	    o, "event", json_string(report_event_name(ev->type)));
	json_object_set_new(o, "run", json_integer(ev->run));
	switch (ev->type) {
	case REPORT_RUN_START:
		json_object_set_new(o, "name", json_string(ev->cf->name));
		json_object_set_new(o, "mode", json_string(ev->mode));
		json_object_set_new(o, "workers", json_integer(ev->nworkers));
		json_object_set_new(
		    o, "tasks", json_integer((json_int_t)ev->ntasks));
		break;
	case REPORT_WORKER_START:
		json_object_set_new(o, "worker", json_string(ev->worker));
		break;
	case REPORT_TASK_START:
	case REPORT_TASK_DONE:
		report_json_task(o, ev);
		break;
	case REPORT_TASK_RETRY:
		report_json_task(o, ev);
		json_object_set_new(
		    o, "attempt", json_integer(ev->result->attempt));
		json_object_set_new(o, "error",
		    json_string(ev->result->error != NULL ? ev->result->error
		                                          : "failed"));
		if (ev->result->status > 0)
			json_object_set_new(
			    o, "status", json_integer(ev->result->status));
		json_object_set_new(
		    o, "retry_in", report_json_seconds(ev->wait));
		break;
	case REPORT_WORKER_DONE:
		json_object_set_new(o, "worker", json_string(ev->worker));
		json_object_set_new(
		    o, "tasks", json_integer((json_int_t)ev->worker_tasks));
		break;
	case REPORT_RUN_DONE:
		json_object_set_new(
		    o, "elapsed", report_json_seconds(ev->elapsed));
		json_object_set_new(o, "ok", json_integer((json_int_t)ev->ok));
		json_object_set_new(
		    o, "failed", json_integer((json_int_t)ev->failed));
		break;
	}
	s = json_dumps(o, REPORT_JSON_FLAGS);
	json_decref(o);
	if (s == NULL)
		fatalx("json_dumps failed");
	return s;
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
	int fd;
	char *path;
	size_t lost; /* lines not written since the last good write */
	char *buf;
	size_t len;
	size_t size;
};

/* Lines wait for the end of the loop turn, or for this much of them. */
#define REPORT_RESULTS_BUFFER (64 * 1024)

/* Write all of buf, or as much as fits: the bytes written, errno if short. */
static size_t
report_results_write(int fd, const char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			break;
		}
		done += (size_t)n;
	}
	return done;
}

/*
 * Append the waiting lines in one write: with O_APPEND the lines land
 * whole, even among other processes appending to the same file. Only a
 * short write (disk full) is followed by another, for the rest or for the
 * error; what failed is cut back to the last whole line, and the lines
 * lost are counted and said, with the error, when it starts and ends.
 */
static void
report_results_flush(void *arg)
{
	struct report_results *rr = arg;
	size_t n, whole, lost = 0, i;
	int saved;

	if (rr->len == 0)
		return;
	n = report_results_write(rr->fd, rr->buf, rr->len);
	if (n == rr->len) {
		if (rr->lost > 0)
			log_warnx("%s: results are written again; %zu were "
			          "lost",
			    rr->path, rr->lost);
		rr->lost = 0;
		rr->len = 0;
		return;
	}
	saved = errno;
	for (whole = n; whole > 0 && rr->buf[whole - 1] != '\n'; whole--)
		;
	if (whole < n)
		(void)ftruncate(
		    rr->fd, lseek(rr->fd, 0, SEEK_END) - (off_t)(n - whole));
	for (i = whole; i < rr->len; i++)
		lost += rr->buf[i] == '\n';
	if (rr->lost == 0)
		log_warnx(
		    "%s: cannot write results: %s", rr->path, strerror(saved));
	rr->lost += lost;
	rr->len = 0;
}

/* One task_done line, whole; written with the turn's other lines. */
static void
report_results_emit(const struct report_event *ev, void *arg)
{
	struct report_results *rr = arg;
	char *s;
	size_t len;

	if (ev->type != REPORT_TASK_DONE)
		return;
	s = report_json_line(ev);
	len = strlen(s);
	if (rr->len + len + 1 > rr->size) {
		rr->size = rr->len + len + 1 > REPORT_RESULTS_BUFFER
		    ? rr->len + len + 1
		    : REPORT_RESULTS_BUFFER;
		rr->buf = xreallocarray(rr->buf, rr->size, 1);
	}
	memcpy(rr->buf + rr->len, s, len);
	rr->buf[rr->len + len] = '\n';
	rr->len += len + 1;
	free(s);
	if (rr->len >= REPORT_RESULTS_BUFFER)
		report_results_flush(rr);
}

static void
report_results_free(void *arg)
{
	struct report_results *rr = arg;

	report_results_flush(rr);
	if (rr->lost > 0)
		log_warnx(
		    "%s: %zu results were not written", rr->path, rr->lost);
	close(rr->fd);
	free(rr->buf);
	free(rr->path);
	free(rr);
}

/* Append one JSON line per finished task to path. */
int
report_results_add(struct report *r, const char *path, char **cause)
{
	struct report_results *rr;
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	rr = xcalloc(1, sizeof *rr);
	rr->fd = fd;
	rr->path = xstrdup(path);
	report_add(r, report_results_emit, report_results_flush,
	    report_results_free, rr);
	return 0;
}
