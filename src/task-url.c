/*
 * url: fetch a page; ok for a final 2xx. Async mode goes through the
 * loop's libcurl multi handle, the other modes block in libcurl's easy
 * interface. Failed attempts that are worth it are retried with
 * exponential backoff from retry_delay, or after the server's Retry-After.
 */
#include "autoconf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "escape.h"
#include "fetch.h"
#include "log.h"
#include "task.h"
#include "xmalloc.h"

struct task_url {
	struct fetch *fetch;
	struct event *retry;
};

static void task_url_attempt(struct job *);

/* A blocking fetch's check: has a stop cancelled the job? */
static int
task_url_stopped(void *arg)
{
	return job_stopped(arg);
}

static void
task_url_opts(struct job *job, struct fetch_opts *fo, int blocking)
{
	memset(fo, 0, sizeof *fo);
	fo->timeout = job->task->opts->timeout;
	fo->preview = job->task->opts->preview;
	fo->max_bytes = job->task->opts->max_bytes;
	if (blocking) {
		fo->stopped = task_url_stopped;
		fo->stop_arg = job;
	}
}

/*
 * Seconds to wait before the next attempt, or -1 for no more: the
 * server's Retry-After (times --time-scale), else retry_delay doubling,
 * at most retry_max_delay.
 */
static double
task_url_backoff(const struct job *job, const struct fetch_result *fr)
{
	const struct task_opts *o = job->task->opts;
	double wait;

	if (fr->ok || !fr->retryable || job->result.attempt > o->retries)
		return -1;
	if (fr->retry_after >= 0)
		wait = fr->retry_after * o->time_scale;
	else
		wait = o->retry_delay * pow(2, job->result.attempt - 1);
	return wait > o->retry_max_delay ? o->retry_max_delay : wait;
}

/* Move what a transfer found into the job's result. */
static void
task_url_take(struct job *job, struct fetch_result *fr)
{
	struct result *r = &job->result;

	result_clear(r);
	r->ok = fr->ok;
	r->status = fr->status;
	r->bytes = fr->bytes;
	r->preview = fr->preview;
	r->error = fr->error;
	r->cancelled = fr->cancelled;
	r->unresolved = fr->unresolved;
	fr->preview = fr->error = NULL;
}

static void
task_url_run(struct job *job)
{
	struct fetch_opts fo;
	struct fetch_result fr;
	double wait;

	task_url_opts(job, &fo, 1);
	for (;;) {
		fetch_blocking(config_url(job->task), &fo, &fr);
		wait = fr.cancelled ? -1 : task_url_backoff(job, &fr);
		task_url_take(job, &fr);
		fetch_result_clear(&fr);
		if (wait < 0)
			break;
		job_retrying(job, wait);
		if (job_sleep(job, wait) != 0) {
			job->result.cancelled = 1;
			job_fail(job, "stopped before it finished");
			break;
		}
		job->result.attempt++;
	}
}

static void
task_url_free(struct job *job)
{
	struct task_url *tu = job->state;

	if (tu == NULL)
		return;
	if (tu->fetch != NULL)
		fetch_cancel(tu->fetch);
	if (tu->retry != NULL)
		event_free(tu->retry);
	free(tu);
	job->state = NULL;
}

static void
task_url_retry(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;

	job->result.attempt++;
	task_url_attempt(job);
}

/* A transfer ended: finish, or wait and try again. */
static void
task_url_done(struct fetch_result *fr, void *arg)
{
	struct job *job = arg;
	struct task_url *tu = job->state;
	struct timeval tv;
	double wait;

	tu->fetch = NULL;
	wait = task_url_backoff(job, fr);
	task_url_take(job, fr);
	fetch_result_clear(fr);
	if (wait < 0) {
		task_url_free(job);
		job_finish(job);
		return;
	}
	job_retrying(job, wait);
	if (tu->retry == NULL &&
	    (tu->retry = evtimer_new(job->base, task_url_retry, job)) == NULL)
		fatalx("evtimer_new failed");
	tv = clock_tv(wait);
	evtimer_add(tu->retry, &tv);
}

static void
task_url_attempt(struct job *job)
{
	struct task_url *tu = job->state;
	struct fetch_opts fo;

	task_url_opts(job, &fo, 0);
	tu->fetch = fetch_start(job_fetch_loop(job), config_url(job->task), &fo,
	    task_url_done, job);
}

static void
task_url_start(struct job *job)
{
	job->state = xcalloc(1, sizeof(struct task_url));
	task_url_attempt(job);
}

/* The url as written, its password already "***". */
static const char *
task_url_arg(const struct task *t, char *buf, size_t len)
{
	return t->str != NULL ? t->str : "";
}

static void
task_url_outcome(
    FILE *f, const struct task *t, const struct result *r, int verbose)
{
	fprintf(f, "HTTP %ld, %llu bytes", r->status, r->bytes);
	if (r->preview != NULL && *r->preview != '\0') {
		fputs(": ", f);
		escape_fputs(f, r->preview, 0);
	}
}

static void
task_url_json_arg(const struct task *t, struct task_json *j)
{
	task_json_str(j, NULL, t->str);
}

static void
task_url_json_result(
    const struct task *t, const struct result *r, struct task_json *j)
{
	if (r->status > 0)
		task_json_int(j, NULL, r->status);
	else
		task_json_null(j, NULL);
}

static size_t
task_url_json_fields(
    const struct task *t, const struct result *r, struct task_json *j)
{
	task_json_int(&j[0], "status", r->status);
	task_json_int(&j[1], "bytes", (long long)r->bytes);
	task_json_str(&j[2], "preview", r->preview != NULL ? r->preview : "");
	task_json_int(&j[3], "attempt", r->attempt);
	return 4;
}

/* Is the host (len bytes) this machine: a stand-in for a site? */
static int
task_url_loopback(const char *host, size_t len)
{
	return (len == 9 && strncmp(host, "localhost", 9) == 0) ||
	    (len > 4 && strncmp(host, "127.", 4) == 0) ||
	    (len == 5 && strncmp(host, "[::1]", 5) == 0);
}

/*
 * A bar's label is the url's host, never its user or password, port,
 * path, query or fragment. A page of the demo server standing in for a
 * site (on this machine, /page/NAME: conf/offline/) is the site's NAME.
 */
static void
task_url_label(const struct task *t, int brief, char *buf, size_t len)
{
	const char *url = t->str != NULL ? t->str : "", *p, *end, *at, *h;
	size_t hl, nl;

	p = strstr(url, "://");
	p = p != NULL ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	for (h = p; (at = memchr(h, '@', (size_t)(end - h))) != NULL;)
		h = at + 1;
	if (*h == '[' && (at = memchr(h, ']', (size_t)(end - h))) != NULL)
		hl = (size_t)(at + 1 - h);
	else
		hl = strcspn(h, ":/?#");
	if (hl > (size_t)(end - h))
		hl = (size_t)(end - h);
	nl = strncmp(end, "/page/", 6) == 0 ? strcspn(end + 6, "/?#") : 0;
	if (task_url_loopback(h, hl) && nl > 0)
		snprintf(buf, len, "%.*s", (int)nl, end + 6);
	else
		snprintf(buf, len, "%.*s", (int)hl, h);
}

static unsigned long long
task_url_tally(const struct result *r)
{
	return (unsigned long long)r->status;
}

static void
task_url_brief(const struct task *t, unsigned long long status,
    unsigned long long bytes, char *buf, size_t len)
{
	snprintf(buf, len, "HTTP %llu, %llu bytes", status, bytes);
}

const struct task_ops task_url_ops = {
    .run = task_url_run,
    .start = task_url_start,
    .cancel = task_url_free,
    .arg = task_url_arg,
    .outcome = task_url_outcome,
    .json_arg = task_url_json_arg,
    .json_result = task_url_json_result,
    .json_fields = task_url_json_fields,
    .label = task_url_label,
    .tally = task_url_tally,
    .brief = task_url_brief,
    .fill = "#85cf78",
    .stroke = "#2e7d32",
    .sgr = "\033[30;102m",
};
