/*
 * url: fetch a page; ok for a final 2xx, or for what expect asks. Async
 * mode goes through the run's libcurl multi handle, the other modes block
 * in libcurl's easy interface. Failed attempts that are worth it are
 * retried with exponential backoff from retry_delay, or after the
 * server's Retry-After.
 */
#include "autoconf.h"

#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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
	const struct task_opts *o = job->task->opts;

	memset(fo, 0, sizeof *fo);
	fo->timeout = job->task->opts->timeout;
	fo->preview = job->task->opts->preview;
	fo->max_bytes = job->task->opts->max_bytes;
	fo->method = o->method;
	fo->headers = o->headers;
	fo->body = o->body;
	fo->ca_file = o->ca_file;
	fo->client_cert = o->client_cert;
	fo->client_key = o->client_key;
	fo->insecure = o->insecure != 0;
	fo->keep_body = o->expect != NULL &&
	    (o->expect->body != NULL || o->expect->regex != NULL);
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

/* Is status one that e accepts? */
static int
task_url_status_ok(const struct task_expect *e, long status)
{
	size_t i;

	for (i = 0; i < e->nstatus; i++) {
		if (status >= e->status[i].lo && status <= e->status[i].hi)
			return 1;
	}
	return 0;
}

/* What e accepts in words: "200 or 204", "2xx", "200, 204 or 3xx". */
static char *
task_url_status_words(const struct task_expect *e)
{
	char *s = xstrdup(""), *t;
	size_t i;

	for (i = 0; i < e->nstatus; i++) {
		if (e->status[i].lo == e->status[i].hi)
			t = xprintf("%s%s%u", s,
			    i == 0                    ? ""
			        : i + 1 == e->nstatus ? " or "
			                              : ", ",
			    e->status[i].lo);
		else
			t = xprintf("%s%s%uxx", s,
			    i == 0                    ? ""
			        : i + 1 == e->nstatus ? " or "
			                              : ", ",
			    e->status[i].lo / 100);
		free(s);
		s = t;
	}
	return s;
}

/* Text of a check for a message: at most 40 bytes, whole UTF-8. */
static char *
task_url_short(const char *s)
{
	size_t n = strlen(s);

	if (n <= 40)
		return xstrdup(s);
	n = 40;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return xprintf("%.*s\xe2\x80\xa6", (int)n, s);
}

/* Does the kept body match the expectation's regular expression? */
static int
task_url_regex(const struct task_expect *e, const struct fetch_result *fr)
{
	regmatch_t m[1];
	int flags = 0;

	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)fr->body_len;
#ifdef REG_STARTEND
	flags = REG_STARTEND; /* the whole body, NUL bytes and all */
#endif
	return regexec(e->regex, fr->body, 1, m, flags) == 0;
}

/* The body check that fails, as an error, or NULL. */
static char *
task_url_expect_body(const struct task_expect *e, const struct fetch_result *fr)
{
	char *s, *msg = NULL;

	if (e->body != NULL &&
	    (fr->body == NULL ||
	        memmem(fr->body, fr->body_len, e->body, strlen(e->body)) ==
	            NULL)) {
		s = task_url_short(e->body);
		msg = xprintf("body does not contain '%s'", s);
		free(s);
	} else if (e->regex != NULL &&
	    (fr->body == NULL || !task_url_regex(e, fr))) {
		s = task_url_short(e->body_regex);
		msg = xprintf("body does not match '%s'", s);
		free(s);
	}
	return msg;
}

/* The certificate's days left, if under cert_days, as an error, or NULL. */
static char *
task_url_expect_cert(const struct task_expect *e, const struct fetch_result *fr)
{
	long long days;

	if (e->cert_days == 0)
		return NULL;
	if (fr->cert_expires == 0)
		return xstrdup(
		    "no certificate to check (cert_days needs https)");
	days = (long long)floor(
	    difftime((time_t)fr->cert_expires, time(NULL)) / 86400);
	if (days >= e->cert_days)
		return NULL;
	if (days < 0)
		return xprintf("certificate expired %lld days ago (< %u)",
		    -days, e->cert_days);
	return xprintf("certificate expires in %lld day%s (< %u)", days,
	    days == 1 ? "" : "s", e->cert_days);
}

/*
 * A whole response came: does it pass what expect asks? The first check
 * that fails gives the error: status, body, body_regex, cert_days,
 * max_time. Only a status that is not the expected one may be retried,
 * and only when the status itself is worth it (429, 5xx, as without
 * expect): a body, a time or a certificate that is wrong now would be
 * wrong again a moment later, and retrying would only hide it.
 */
static void
task_url_expect(struct job *job, struct fetch_result *fr)
{
	const struct task_expect *e = job->task->opts->expect;
	double took;
	char *s;

	if (e == NULL || !fr->complete)
		return;
	if (e->nstatus > 0) {
		free(fr->error);
		fr->error = NULL;
		fr->ok = task_url_status_ok(e, fr->status);
		fr->retryable = fr->status == 429 || fr->status >= 500;
		if (!fr->ok) {
			s = task_url_status_words(e);
			fr->error =
			    xprintf("status %ld, expected %s", fr->status, s);
			free(s);
			return;
		}
	}
	if (!fr->ok)
		return;
	fr->retryable = 0;
	if ((fr->error = task_url_expect_body(e, fr)) == NULL &&
	    (fr->error = task_url_expect_cert(e, fr)) == NULL &&
	    e->max_time > 0 && (took = clock_now() - job->start) > e->max_time)
		fr->error = xprintf(
		    "took %.2f s, over max_time %g s", took, e->max_time);
	fr->ok = fr->error == NULL;
}

/*
 * Replace each s in text with ***, in place (s is at least 4 long), and
 * a start of s that a preview's cut left at the end of text.
 */
static void
task_url_mask(char *text, const char *s)
{
	size_t n = strlen(s), len, k;
	char *at;

	while ((at = strstr(text, s)) != NULL) {
		memcpy(at, "***", 3);
		memmove(at + 3, at + n, strlen(at + n) + 1);
		text = at + 3;
	}
	len = strlen(text);
	for (k = n - 1 < len ? n - 1 : len; k >= 4; k--) {
		if (memcmp(text + len - k, s, k) == 0) {
			memcpy(text + len - k, "***", 4);
			return;
		}
	}
}

/*
 * What a server sends back may repeat a secret the task sent (an echo, an
 * error page quoting the request): a secret header's value, and its
 * credential alone ("Bearer TOKEN"), shown as *** in the preview and the
 * error. Values shorter than 4 are left: masking them would garble text.
 */
static void
task_url_scrub(const struct job *job, char *text)
{
	char *const *h = job->task->opts->headers;
	char buf[16];
	const char *v, *word;

	for (; text != NULL && h != NULL && *h != NULL; h++) {
		if (config_header_shown(*h, buf, sizeof buf) == *h)
			continue; /* not a secret one */
		v = strchr(*h, ':') + 1;
		v += strspn(v, " ");
		if (strlen(v) >= 4)
			task_url_mask(text, v);
		if ((word = strrchr(v, ' ')) != NULL && strlen(++word) >= 4)
			task_url_mask(text, word);
	}
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
	memcpy(r->timings, fr->timings, sizeof r->timings);
	r->has_timings = fr->has_timings;
	r->cert_expires = fr->cert_expires;
	fr->preview = fr->error = NULL;
	task_url_scrub(job, r->preview);
	task_url_scrub(job, r->error);
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
		task_url_expect(job, &fr);
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
	task_url_expect(job, fr);
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
	return t->arg.str != NULL ? t->arg.str : "";
}

static void
task_url_outcome(
    FILE *f, const struct task *t, const struct result *r, int verbose)
{
	size_t i;

	fprintf(f, "HTTP %ld, %llu bytes", r->status, r->bytes);
	if (r->preview != NULL && *r->preview != '\0') {
		fputs(": ", f);
		escape_fputs(f, r->preview, 0);
	}
	if (!verbose || !r->has_timings)
		return;
	/* -v: the timings, cumulative as in JSON, in ms. */
	for (i = 0; i < 5; i++) {
		if (r->timings[i] >= 0)
			fprintf(f, "%s%s %.1f", i == 0 ? " (" : ", ",
			    task_timing_names[i], r->timings[i] * 1000);
	}
	fputs(" ms)", f);
}

/* An RFC 3339 time in UTC, into buf. */
static const char *
task_url_rfc3339(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return buf;
}

static void
task_url_json_arg(const struct task *t, struct task_json *j)
{
	task_json_str(j, NULL, t->arg.str);
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
	/* Kept by the thread until the caller has written it. */
	static __thread char expires[32];
	size_t n = 4;

	task_json_int(&j[0], "status", r->status);
	task_json_int(&j[1], "bytes", (long long)r->bytes);
	task_json_str(&j[2], "preview", r->preview != NULL ? r->preview : "");
	task_json_int(&j[3], "attempt", r->attempt);
	if (r->has_timings)
		task_json_reals(
		    &j[n++], "timings", task_timing_names, r->timings, 5);
	if (r->cert_expires != 0 &&
	    task_url_rfc3339(r->cert_expires, expires, sizeof expires) != NULL)
		task_json_str(&j[n++], "cert_expires", expires);
	else if (t->arg.str != NULL &&
	    strncasecmp(t->arg.str, "https:", 6) == 0)
		task_json_null(&j[n++], "cert_expires");
	return n;
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
	const char *url = t->arg.str != NULL ? t->arg.str : "", *p, *end, *at,
	           *h;
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
