/*
 * tcp: connect to HOST:PORT, trying each of its addresses in turn; ok once
 * connected. With send, write it once connected and read the answer until
 * expect.body and expect.body_regex match it (without them, until its
 * first bytes come). The result is the seconds from the task's start to
 * the connection, name resolution included.
 *
 * One step function does the work that never blocks: it runs until the
 * socket must be waited for. Blocking modes resolve with getaddrinfo and
 * wait with job_wait, so that a stop still reaches them; async mode
 * resolves with libevent's evdns on the loop and waits with an event, so
 * that nothing holds the loop.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "clock.h"
#include "escape.h"
#include "log.h"
#include "preview.h"
#include "task.h"
#include "xmalloc.h"

/* The most of an answer kept to match; reading stops there. */
#define TASK_TCP_ANSWER_MAX (64 * 1024)
/* Characters of the answer shown, as a url's preview. */
#define TASK_TCP_PREVIEW 50
/* The slot of struct result's timings that holds the connect time. */
#define TASK_TCP_CONNECT 1

/* What the socket waits for next. */
enum task_tcp_wait {
	TASK_TCP_DONE,
	TASK_TCP_READ,
	TASK_TCP_WRITE,
};

enum task_tcp_phase {
	TASK_TCP_RESOLVING,
	TASK_TCP_CONNECTING,
	TASK_TCP_SENDING,
	TASK_TCP_READING,
};

struct task_tcp {
	struct job *job;
	char *host;
	char port[8];
	enum task_tcp_phase phase;
	struct evutil_addrinfo *ai; /* every address */
	struct evutil_addrinfo *next; /* the next to try */
	int fd;
	int error; /* the errno of the last address that failed */
	size_t sent;
	char *answer; /* NUL-ended, for regexec */
	size_t len;

	/* async mode */
	struct event *ev;
	struct evdns_getaddrinfo_request *req;
	int inside; /* in evdns_getaddrinfo: its answer may come at once */
	int resolve_err;
};

static struct task_tcp *
task_tcp_new(struct job *job)
{
	struct task_tcp *tt;
	unsigned port = 0;

	tt = xcalloc(1, sizeof *tt);
	tt->job = job;
	tt->fd = -1;
	/* The loader checked the target: it always splits. */
	if (config_tcp_target(job->task->arg.str, &tt->host, &port) != 0)
		tt->host = xstrdup(job->task->arg.str);
	snprintf(tt->port, sizeof tt->port, "%u", port);
	tt->answer = xmalloc(1);
	tt->answer[0] = '\0';
	return tt;
}

static void
task_tcp_close(struct task_tcp *tt)
{
	if (tt->ev != NULL)
		event_del(tt->ev);
	if (tt->fd != -1)
		close(tt->fd);
	tt->fd = -1;
}

/*
 * Close the socket and free everything. A resolution still under way is
 * cancelled: evdns then calls back once more, with EVUTIL_EAI_CANCEL,
 * and that call touches nothing of the task.
 */
static void
task_tcp_free(struct task_tcp *tt)
{
	if (tt == NULL)
		return;
	if (tt->req != NULL)
		evdns_getaddrinfo_cancel(tt->req);
	task_tcp_close(tt);
	if (tt->ev != NULL)
		event_free(tt->ev);
	if (tt->ai != NULL)
		evutil_freeaddrinfo(tt->ai);
	free(tt->answer);
	free(tt->host);
	free(tt);
}

static void
task_tcp_hints(struct evutil_addrinfo *hints)
{
	memset(hints, 0, sizeof *hints);
	hints->ai_family = AF_UNSPEC;
	hints->ai_socktype = SOCK_STREAM;
	hints->ai_protocol = IPPROTO_TCP;
}

/* A system error as words of a sentence: "connection refused". */
static const char *
task_tcp_strerror(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

/* What the answer began with, for a message: 'HTTP/1.0 200 OK…'. */
static void
task_tcp_seen(const struct task_tcp *tt, char *buf, size_t len)
{
	struct preview *p;
	char *s;
	size_t i, n = 0;

	if (tt->len == 0) {
		snprintf(buf, len, "got nothing");
		return;
	}
	p = preview_new(TASK_TCP_PREVIEW + 1);
	preview_add(p, tt->answer, tt->len);
	s = preview_finish(p);
	/* Keep TASK_TCP_PREVIEW code points; mark one more as a cut. */
	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 &&
		    ++n > TASK_TCP_PREVIEW)
			break;
	}
	snprintf(buf, len, "got '%.*s%s'", (int)i, s,
	    s[i] != '\0' ? "\xe2\x80\xa6" : "");
	free(s);
}

/*
 * Does the answer so far meet the expectations (without any: has it
 * begun)? Until its end, a regular expression's $ does not match where
 * the answer only pauses.
 */
static int
task_tcp_matches(const struct task_tcp *tt, int end)
{
	const struct task_expect *e = tt->job->task->opts->expect;

	if (e == NULL || (e->body == NULL && e->regex == NULL))
		return tt->len > 0;
	if (e->body != NULL &&
	    memmem(tt->answer, tt->len, e->body, strlen(e->body)) == NULL)
		return 0;
	if (e->regex != NULL &&
	    regexec(e->regex, tt->answer, 0, NULL, end ? 0 : REG_NOTEOL) != 0)
		return 0;
	return 1;
}

/* With send, the start of the answer is kept, ok or not. */
static void
task_tcp_keep_answer(struct job *job, struct task_tcp *tt)
{
	struct preview *p;

	if (job->task->opts->send == NULL)
		return;
	p = preview_new(TASK_TCP_PREVIEW);
	preview_add(p, tt->answer, tt->len);
	free(job->result.preview);
	job->result.preview = preview_finish(p);
}

static void
task_tcp_done_ok(struct job *job, struct task_tcp *tt)
{
	job->result.ok = 1;
	task_tcp_keep_answer(job, tt);
}

/*
 * The answer never met the expectations: why says how it ended ("" at
 * its end, " within 1 s", ": connection reset by peer"). Without any,
 * no answer came at all.
 */
static void
task_tcp_unmatched(struct job *job, struct task_tcp *tt, const char *why)
{
	const struct task_expect *e = job->task->opts->expect;
	char seen[TASK_TCP_PREVIEW * 4 + 16];

	task_tcp_keep_answer(job, tt);
	task_tcp_seen(tt, seen, sizeof seen);
	if (e != NULL && e->body != NULL &&
	    memmem(tt->answer, tt->len, e->body, strlen(e->body)) == NULL)
		job_fail(job, "answer does not contain '%s'%s (%s)", e->body,
		    why, seen);
	else if (e != NULL && e->regex != NULL)
		job_fail(job, "answer does not match '%s'%s (%s)",
		    e->body_regex, why, seen);
	else
		job_fail(job, "no answer%s",
		    *why != '\0' ? why : " (the connection was closed)");
}

/* The time is up, at whatever the task was doing. */
static void
task_tcp_timed_out(struct job *job, struct task_tcp *tt)
{
	double timeout = job->task->opts->timeout;
	char why[64];

	if (tt->phase != TASK_TCP_READING) {
		job_fail(job, "timed out after %g s%s", timeout,
		    tt->phase == TASK_TCP_SENDING ? " sending" : "");
		return;
	}
	snprintf(why, sizeof why, " within %g s", timeout);
	task_tcp_unmatched(job, tt, why);
}

/* Blocking modes: a stop came first. */
static void
task_tcp_cancelled(struct job *job)
{
	job->result.cancelled = 1;
	job_fail(job, "stopped before it finished");
}

/* Read what has come of the answer. */
static enum task_tcp_wait
task_tcp_read(struct job *job, struct task_tcp *tt)
{
	char err[128], why[160];
	size_t room;
	ssize_t n;

	for (;;) {
		room = TASK_TCP_ANSWER_MAX - tt->len;
		if (room == 0) {
			snprintf(why, sizeof why, " in its first %d bytes",
			    TASK_TCP_ANSWER_MAX);
			task_tcp_unmatched(job, tt, why);
			return TASK_TCP_DONE;
		}
		tt->answer =
		    xreallocarray(tt->answer, TASK_TCP_ANSWER_MAX + 1, 1);
		n = recv(tt->fd, tt->answer + tt->len, room, 0);
		if (n > 0) {
			tt->len += (size_t)n;
			tt->answer[tt->len] = '\0';
			job->result.bytes = tt->len;
			if (task_tcp_matches(tt, 0)) {
				task_tcp_done_ok(job, tt);
				return TASK_TCP_DONE;
			}
			continue;
		}
		if (n == 0) {
			if (task_tcp_matches(tt, 1))
				task_tcp_done_ok(job, tt);
			else
				task_tcp_unmatched(job, tt, "");
			return TASK_TCP_DONE;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return TASK_TCP_READ;
		snprintf(why, sizeof why, ": %s",
		    task_tcp_strerror(errno, err, sizeof err));
		task_tcp_unmatched(job, tt, why);
		return TASK_TCP_DONE;
	}
}

/* Write what is left of send, then read the answer. */
static enum task_tcp_wait
task_tcp_send(struct job *job, struct task_tcp *tt)
{
	const char *s = job->task->opts->send;
	size_t len = strlen(s);
	char err[128];
	ssize_t n;

	while (tt->sent < len) {
		n = send(tt->fd, s + tt->sent, len - tt->sent, MSG_NOSIGNAL);
		if (n >= 0) {
			tt->sent += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return TASK_TCP_WRITE;
		job_fail(
		    job, "send: %s", task_tcp_strerror(errno, err, sizeof err));
		return TASK_TCP_DONE;
	}
	tt->phase = TASK_TCP_READING;
	return task_tcp_read(job, tt);
}

/* Connected: the result, then what send asks. */
static enum task_tcp_wait
task_tcp_connected(struct job *job, struct task_tcp *tt)
{
	const struct task_expect *e = job->task->opts->expect;
	double took = round((clock_now() - job->start) * 1e6) / 1e6;

	job->result.timings[TASK_TCP_CONNECT] = took;
	if (e != NULL && e->max_time > 0 && took > e->max_time) {
		/* 0.73 s, 0.012 s, 0.000052 s */
		job_fail(job, "took %.*f s, over max_time %g s",
		    took >= 0.1         ? 2
		        : took >= 0.001 ? 3
		                        : 6,
		    took, e->max_time);
		return TASK_TCP_DONE;
	}
	if (job->task->opts->send == NULL) {
		task_tcp_done_ok(job, tt);
		return TASK_TCP_DONE;
	}
	tt->phase = TASK_TCP_SENDING;
	return task_tcp_send(job, tt);
}

/* Start connecting to the next address; the job fails when none is left. */
static enum task_tcp_wait
task_tcp_connect(struct job *job, struct task_tcp *tt)
{
	struct evutil_addrinfo *ai;
	char err[128];

	tt->phase = TASK_TCP_CONNECTING;
	while ((ai = tt->next) != NULL) {
		tt->next = ai->ai_next;
		tt->fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (tt->fd == -1) {
			tt->error = errno;
			continue;
		}
		if (connect(tt->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			return task_tcp_connected(job, tt);
		if (errno == EINPROGRESS || errno == EINTR)
			return TASK_TCP_WRITE;
		tt->error = errno;
		task_tcp_close(tt);
	}
	job_fail(job, "%s",
	    task_tcp_strerror(
	        tt->error != 0 ? tt->error : EADDRNOTAVAIL, err, sizeof err));
	return TASK_TCP_DONE;
}

/* The socket is ready for what it waited for: go on. */
static enum task_tcp_wait
task_tcp_step(struct job *job, struct task_tcp *tt)
{
	socklen_t len = sizeof(int);
	int error = 0;

	switch (tt->phase) {
	case TASK_TCP_CONNECTING:
		if (getsockopt(tt->fd, SOL_SOCKET, SO_ERROR, &error, &len) ==
		    -1)
			error = errno;
		if (error == 0)
			return task_tcp_connected(job, tt);
		tt->error = error;
		task_tcp_close(tt);
		return task_tcp_connect(job, tt);
	case TASK_TCP_SENDING:
		return task_tcp_send(job, tt);
	case TASK_TCP_READING:
		return task_tcp_read(job, tt);
	case TASK_TCP_RESOLVING:
		break;
	}
	return TASK_TCP_DONE;
}

/* The host did not resolve: the resolver's own words. */
static void
task_tcp_unresolved(struct job *job, struct task_tcp *tt, const char *why)
{
	job_fail(job, "cannot resolve '%s': %s", tt->host, why);
}

/*
 * Blocking modes: resolve as blocking code does, then wait for the
 * non-blocking socket until the timeout, or until a stop cancels the wait.
 */
static void
task_tcp_run(struct job *job)
{
	struct task_tcp *tt = task_tcp_new(job);
	double timeout = job->task->opts->timeout, left;
	struct evutil_addrinfo hints;
	enum task_tcp_wait w;
	char err[128];
	int rc;

	task_tcp_hints(&hints);
	rc = getaddrinfo(tt->host, tt->port, &hints, &tt->ai);
	if (rc != 0) {
		task_tcp_unresolved(job, tt,
		    rc == EAI_SYSTEM ? task_tcp_strerror(errno, err, sizeof err)
		                     : gai_strerror(rc));
		task_tcp_free(tt);
		return;
	}
	tt->next = tt->ai;
	w = task_tcp_connect(job, tt);
	while (w != TASK_TCP_DONE) {
		left = timeout > 0 ? fmax(job->start + timeout - clock_now(), 0)
		                   : -1;
		rc = job_wait(
		    job, tt->fd, w == TASK_TCP_READ ? POLLIN : POLLOUT, left);
		if (rc < 0) {
			task_tcp_cancelled(job);
			break;
		}
		if (rc == 0) {
			task_tcp_timed_out(job, tt);
			break;
		}
		w = task_tcp_step(job, tt);
	}
	task_tcp_free(tt);
}

static void task_tcp_ready(evutil_socket_t, short, void *);

/* Async mode: wait on the loop for what the socket needs, or finish. */
static void
task_tcp_wait(struct job *job, struct task_tcp *tt, enum task_tcp_wait w)
{
	short what = w == TASK_TCP_READ ? EV_READ : EV_WRITE;

	if (w == TASK_TCP_DONE) {
		job->state = NULL;
		task_tcp_free(tt);
		job_finish(job);
		return;
	}
	if (tt->ev == NULL) {
		tt->ev =
		    event_new(job->base, tt->fd, what, task_tcp_ready, job);
		if (tt->ev == NULL)
			fatalx("event_new failed");
	} else
		event_assign(
		    tt->ev, job->base, tt->fd, what, task_tcp_ready, job);
	event_add(tt->ev, NULL);
}

static void
task_tcp_ready(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;
	struct task_tcp *tt = job->state;

	task_tcp_wait(job, tt, task_tcp_step(job, tt));
}

/* Async mode: the addresses came, or the name did not resolve. */
static void
task_tcp_go(struct job *job, struct task_tcp *tt)
{
	if (tt->resolve_err != 0) {
		task_tcp_unresolved(job, tt, gai_strerror(tt->resolve_err));
		task_tcp_wait(job, tt, TASK_TCP_DONE);
		return;
	}
	tt->next = tt->ai;
	task_tcp_wait(job, tt, task_tcp_connect(job, tt));
}

/* evdns answers: at once from inside evdns_getaddrinfo, or later. */
static void
task_tcp_resolved(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct task_tcp *tt = arg;

	/* Cancelled: its task has freed tt already. */
	if (err == EVUTIL_EAI_CANCEL) {
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		return;
	}
	tt->req = NULL;
	tt->resolve_err = err;
	tt->ai = ai;
	if (!tt->inside)
		task_tcp_go(tt->job, tt);
}

/*
 * Resolve on the loop (a turn after start: an answer from the hosts
 * file or of a numeric address comes at once, and may finish the job).
 */
static void
task_tcp_resolve(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;
	struct task_tcp *tt = job->state;
	struct evdns_getaddrinfo_request *req;
	struct evutil_addrinfo hints;
	struct evdns_base *dns;

	if ((dns = job_dns_base(job)) == NULL) {
		task_tcp_unresolved(job, tt, "no DNS resolver");
		task_tcp_wait(job, tt, TASK_TCP_DONE);
		return;
	}
	task_tcp_hints(&hints);
	tt->inside = 1;
	req = evdns_getaddrinfo(
	    dns, tt->host, tt->port, &hints, task_tcp_resolved, tt);
	tt->inside = 0;
	if (req != NULL)
		tt->req = req;
	else
		task_tcp_go(job, tt);
}

/* Async mode: the timeout came first. */
static void
task_tcp_expired(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;
	struct task_tcp *tt = job->state;

	task_tcp_timed_out(job, tt);
	task_tcp_wait(job, tt, TASK_TCP_DONE);
}

static void
task_tcp_start(struct job *job)
{
	job->state = task_tcp_new(job);
	if (job->task->opts->timeout > 0)
		job_timer(job, job->task->opts->timeout, task_tcp_expired);
	job_soon(job, task_tcp_resolve);
}

static void
task_tcp_cancel(struct job *job)
{
	task_tcp_free(job->state);
	job->state = NULL;
}

/* The target as written: "db.internal:5432", "[::1]:22". */
static const char *
task_tcp_arg(const struct task *t, char *buf, size_t len)
{
	return t->arg.str != NULL ? t->arg.str : "";
}

static void
task_tcp_outcome(
    FILE *f, const struct task *t, const struct result *r, int verbose)
{
	fprintf(f, "connected in %.3f s", r->timings[TASK_TCP_CONNECT]);
	if (r->preview != NULL && *r->preview != '\0') {
		fputs(": ", f);
		escape_fputs(f, r->preview, 0);
	}
}

static void
task_tcp_json_arg(const struct task *t, struct task_json *j)
{
	task_json_str(j, NULL, t->arg.str);
}

static void
task_tcp_json_result(
    const struct task *t, const struct result *r, struct task_json *j)
{
	if (r->ok)
		task_json_real(j, NULL, r->timings[TASK_TCP_CONNECT]);
	else
		task_json_null(j, NULL);
}

/* With send: the start of the answer, and its size. */
static size_t
task_tcp_json_fields(
    const struct task *t, const struct result *r, struct task_json *j)
{
	if (t->opts->send == NULL)
		return 0;
	task_json_str(&j[0], "answer", r->preview != NULL ? r->preview : "");
	task_json_uint(&j[1], "bytes", r->bytes);
	return 2;
}

static void
task_tcp_label(const struct task *t, int brief, char *buf, size_t len)
{
	snprintf(buf, len, brief ? "%s" : "tcp %s",
	    t->arg.str != NULL ? t->arg.str : "");
}

/* The connect time in microseconds. */
static unsigned long long
task_tcp_tally(const struct result *r)
{
	return (unsigned long long)llround(r->timings[TASK_TCP_CONNECT] * 1e6);
}

static void
task_tcp_brief(const struct task *t, unsigned long long us,
    unsigned long long bytes, char *buf, size_t len)
{
	snprintf(buf, len, "connected in %.3f s", (double)us / 1e6);
}

const struct task_ops task_tcp_ops = {
    .run = task_tcp_run,
    .start = task_tcp_start,
    .cancel = task_tcp_cancel,
    .arg = task_tcp_arg,
    .outcome = task_tcp_outcome,
    .json_arg = task_tcp_json_arg,
    .json_result = task_tcp_json_result,
    .json_fields = task_tcp_json_fields,
    .label = task_tcp_label,
    .tally = task_tcp_tally,
    .brief = task_tcp_brief,
    .fill = "#f4a9c8",
    .stroke = "#a3285f",
    .sgr = "\033[30;105m",
};
