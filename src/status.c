/*
 * The status endpoint on the daemon's loop (evhttp): GET /status is one
 * JSON object, GET /metrics is Prometheus text, GET /events the events as
 * they come (events.c). A report sink keeps the counts as events arrive;
 * other methods get 405, other paths 404. With --ui the live view's page
 * and POST /run (ui.c) are served here too.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "clock.h"
#include "config.h"
#include "events.h"
#include "listen.h"
#include "log.h"
#include "report.h"
#include "status.h"
#include "task.h"
#include "ui.h"
#include "xmalloc.h"

/*
 * Limits on clients, so that abuse costs the runs nothing: request headers
 * up to 16 KiB (larger get 400 and are closed), a body up to 64 KiB (read
 * and dropped, so that a POST with one still gets its 405: libevent 2.1
 * answers a larger one 413 before any handler sees it), and a connection
 * silent for STATUS_TIMEOUT seconds is closed. libevent 2.1 has no cap on
 * connections: the descriptor limit is one (see listen.c for running out).
 */
#define STATUS_MAX_HEADERS 16384
#define STATUS_MAX_BODY 65536
#define STATUS_TIMEOUT 10

/* Upper bounds of the task duration histogram, seconds. */
static const double status_le[] = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
#define STATUS_NLE (sizeof status_le / sizeof status_le[0])

enum { WORKER_IDLE, WORKER_BUSY, WORKER_DONE };

struct status_worker {
	int state;
	unsigned task;
};

struct status_kind {
	unsigned long long ok;
	unsigned long long failed;
	unsigned long long le[STATUS_NLE + 1];
	double sum;
};

/*
 * A named task's last finished run, for its series in /metrics. Names
 * need not be unique (config-names.c checks only that they print), so
 * there is one per distinct (name, kind): tasks sharing both share the
 * series, and the last of them to finish sets it. Only named tasks cost
 * memory here, a file may hold a million unnamed ones.
 */
struct status_series {
	char *name;
	uint8_t kind;
	uint8_t seen; /* finished at least once: the series shows */
	uint8_t ok;
	double elapsed;
	double wall;
};

struct status {
	struct evhttp *http;
	struct events *events;
	struct ui *ui;
	char *url;
	pthread_mutex_t lock;
	const struct config *cf;
	double started;
	double next_run;
	unsigned run;
	int running;
	int stopping;
	size_t total;
	size_t done;
	size_t ok;
	size_t failed;
	size_t inflight;
	unsigned busy;
	struct status_worker *workers;
	unsigned nworkers;
	struct status_kind kinds[TASK_NKINDS];
	unsigned long long runs;
	double last_elapsed;
	double last_end;
	struct status_series *series; /* sorted by name, then kind */
	size_t nseries;
};

static int
status_series_cmp(const void *a, const void *b)
{
	const struct status_series *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

/*
 * The series of a new task list: one for each (name, kind) in it, with
 * what the old list knew of it kept, so that they live across runs and
 * reloads; those of names the list no longer has go.
 */
static void
status_series_set(struct status *st, const struct config *cf)
{
	struct status_series *s = NULL, *old = st->series;
	size_t i, j, k, n = 0, nold = st->nseries;

	for (i = 0; cf != NULL && i < cf->ntasks; i++)
		n += config_task_name(cf, &cf->tasks[i]) != NULL;
	if (n > 0)
		s = xcalloc(n, sizeof *s);
	for (i = n = 0; cf != NULL && i < cf->ntasks; i++) {
		if (config_task_name(cf, &cf->tasks[i]) == NULL)
			continue;
		/* The list's own name until it is kept or copied below. */
		s[n].name = (char *)config_task_name(cf, &cf->tasks[i]);
		s[n++].kind = cf->tasks[i].kind;
	}
	if (n > 0)
		qsort(s, n, sizeof *s, status_series_cmp);
	/* Both sorted: one pass drops repeats and takes the old values. */
	for (i = j = k = 0; i < n; i++) {
		if (j > 0 && status_series_cmp(&s[j - 1], &s[i]) == 0)
			continue;
		s[j] = s[i];
		while (k < nold && status_series_cmp(&old[k], &s[j]) < 0)
			k++;
		if (k < nold && status_series_cmp(&old[k], &s[j]) == 0) {
			s[j] = old[k];
			old[k++].name = NULL;
		} else
			s[j].name = xstrdup(s[j].name);
		j++;
	}
	for (k = 0; k < nold; k++)
		free(old[k].name);
	free(old);
	if (j == 0) {
		free(s);
		s = NULL;
	} else if (j < n)
		s = xreallocarray(s, j, sizeof *s);
	st->series = s;
	st->nseries = j;
}

/*
 * A named task finished: its series. A cancelled one (a stop cut it
 * short) says nothing of what it checks and leaves the series as it was.
 */
static void
status_series_done(struct status *st, const struct report_event *ev)
{
	struct status_series key, *s;

	key.name = (char *)config_task_name(ev->cf, ev->task);
	if (key.name == NULL || ev->result->cancelled || st->nseries == 0)
		return;
	key.kind = ev->task->kind;
	/* Not there only for a task of a list status was never given. */
	s = bsearch(
	    &key, st->series, st->nseries, sizeof *s, status_series_cmp);
	if (s == NULL)
		return;
	s->seen = 1;
	s->ok = ev->result->ok != 0;
	s->elapsed = ev->result->elapsed;
	s->wall = ev->wall;
}

static void
status_task_done(struct status *st, const struct report_event *ev)
{
	struct status_kind *k = &st->kinds[ev->task->kind];
	double e = ev->result->elapsed;
	size_t i;

	st->done++;
	if (ev->result->ok) {
		st->ok++;
		k->ok++;
	} else {
		st->failed++;
		k->failed++;
	}
	for (i = 0; i < STATUS_NLE && e > status_le[i]; i++)
		;
	k->le[i]++;
	k->sum += e;
	status_series_done(st, ev);
}

static void
status_run_start(struct status *st, const struct report_event *ev)
{
	st->running = 1;
	st->total = ev->ntasks;
	st->done = st->ok = st->failed = st->inflight = 0;
	st->busy = 0;
	free(st->workers);
	st->nworkers = ev->nworkers;
	st->workers = xcalloc(ev->nworkers, sizeof *st->workers);
	st->next_run = 0;
}

/* Keep the counts as the run's events arrive. */
static void
status_emit(const struct report_event *ev, void *arg)
{
	struct status *st = arg;
	struct status_worker *w = NULL;

	pthread_mutex_lock(&st->lock);
	if (ev->worker != NULL && ev->worker_index < st->nworkers)
		w = &st->workers[ev->worker_index];
	switch (ev->type) {
	case REPORT_RUN_START:
		status_run_start(st, ev);
		break;
	case REPORT_TASK_START:
		if (w != NULL) {
			w->state = WORKER_BUSY;
			w->task = config_task_index(ev->cf, ev->task);
		}
		st->inflight++;
		st->busy++;
		break;
	case REPORT_TASK_DONE:
		if (w != NULL)
			w->state = WORKER_IDLE;
		st->inflight--;
		st->busy--;
		status_task_done(st, ev);
		break;
	case REPORT_WORKER_DONE:
		if (w != NULL)
			w->state = WORKER_DONE;
		break;
	case REPORT_RUN_DONE:
		st->running = 0;
		st->runs++;
		st->last_elapsed = ev->elapsed;
		st->last_end = clock_wall();
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&st->lock);
}

static const char *
status_state(const struct status *st)
{
	if (st->stopping)
		return "stopping";
	return st->running ? "running" : "idle";
}

static json_t *
status_workers(const struct status *st)
{
	static const char *const states[] = {"idle", "busy", "done"};
	json_t *arr = json_array(), *w;
	char buf[16];
	unsigned i;

	for (i = 0; i < st->nworkers && st->cf != NULL; i++) {
		w = json_object();
		json_object_set_new(w, "name",
		    json_string(
		        config_worker_name(st->cf, i, buf, sizeof buf)));
		json_object_set_new(
		    w, "state", json_string(states[st->workers[i].state]));
		json_object_set_new(w, "task",
		    st->workers[i].state == WORKER_BUSY
		        ? json_integer(st->workers[i].task)
		        : json_null());
		json_array_append_new(arr, w);
	}
	return arr;
}

/* GET /status: one JSON object. */
static char *
status_json(struct status *st)
{
	json_t *o, *c;
	char stamp[CLOCK_STAMP_SIZE], *s;

	o = json_object();
	json_object_set_new(
	    o, "name", json_string(st->cf != NULL ? st->cf->name : ""));
	json_object_set_new(o, "mode",
	    json_string(st->cf != NULL ? config_mode_name(st->cf->mode) : ""));
	json_object_set_new(o, "state", json_string(status_state(st)));
	json_object_set_new(o, "run", json_integer(st->run));
	if (st->next_run > 0) {
		clock_format(st->next_run, stamp, sizeof stamp);
		json_object_set_new(o, "next_run", json_string(stamp));
	} else
		json_object_set_new(o, "next_run", json_null());
	json_object_set_new(o, "uptime", json_real(clock_now() - st->started));
	c = json_object();
	json_object_set_new(c, "total", json_integer((json_int_t)st->total));
	json_object_set_new(c, "done", json_integer((json_int_t)st->done));
	json_object_set_new(c, "ok", json_integer((json_int_t)st->ok));
	json_object_set_new(c, "failed", json_integer((json_int_t)st->failed));
	json_object_set_new(
	    c, "in_flight", json_integer((json_int_t)st->inflight));
	json_object_set_new(c, "queued",
	    json_integer(
	        (json_int_t)(st->running ? st->total - st->done - st->inflight
	                                 : 0)));
	json_object_set_new(o, "counts", c);
	json_object_set_new(o, "workers", status_workers(st));
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
	json_decref(o);
	return s;
}

/* One kind's histogram lines. */
static void
status_metrics_histogram(
    struct evbuffer *b, const struct status_kind *k, const char *kind)
{
	unsigned long long cum = 0;
	size_t i;

	for (i = 0; i < STATUS_NLE; i++) {
		cum += k->le[i];
		evbuffer_add_printf(b,
		    "asyncdemo_task_duration_seconds_bucket"
		    "{kind=\"%s\",le=\"%g\"} %llu\n",
		    kind, status_le[i], cum);
	}
	cum += k->le[STATUS_NLE];
	evbuffer_add_printf(b,
	    "asyncdemo_task_duration_seconds_bucket{kind="
	    "\"%s\",le=\"+Inf\"} %llu\n",
	    kind, cum);
	evbuffer_add_printf(b,
	    "asyncdemo_task_duration_seconds_sum{kind="
	    "\"%s\"} %.6f\n",
	    kind, k->sum);
	evbuffer_add_printf(b,
	    "asyncdemo_task_duration_seconds_count{kind="
	    "\"%s\"} %llu\n",
	    kind, cum);
}

/* A label value: backslash, double quote and newline escaped. */
static void
status_label(struct evbuffer *b, const char *s)
{
	size_t n;

	for (;;) {
		n = strcspn(s, "\\\"\n");
		evbuffer_add(b, s, n);
		s += n;
		if (*s == '\0')
			break;
		evbuffer_add_printf(b, "\\%c", *s == '\n' ? 'n' : *s);
		s++;
	}
}

/* The named tasks' series, one metric after another as the format wants. */
static void
status_metrics_named(struct status *st, struct evbuffer *b)
{
	static const char *const metrics[][2] = {
	    {"asyncdemo_task_up", "Whether a named task's last run was ok."},
	    {"asyncdemo_task_last_duration_seconds",
	        "How long a named task's last run took."},
	    {"asyncdemo_task_last_run_timestamp_seconds",
	        "When a named task's last run ended."},
	};
	const struct status_series *s;
	size_t i, m;

	for (i = 0; i < st->nseries && !st->series[i].seen; i++)
		;
	if (i == st->nseries)
		return;
	for (m = 0; m < sizeof metrics / sizeof metrics[0]; m++) {
		evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n",
		    metrics[m][0], metrics[m][1], metrics[m][0]);
		for (i = 0; i < st->nseries; i++) {
			s = &st->series[i];
			if (!s->seen)
				continue;
			evbuffer_add_printf(b, "%s{name=\"", metrics[m][0]);
			status_label(b, s->name);
			evbuffer_add_printf(b, "\",kind=\"%s\"} ",
			    config_kind_name((enum task_kind)s->kind));
			if (m == 0)
				evbuffer_add_printf(b, "%d\n", s->ok);
			else if (m == 1)
				evbuffer_add_printf(b, "%.6f\n", s->elapsed);
			else
				evbuffer_add_printf(b, "%.3f\n", s->wall);
		}
	}
}

/* GET /metrics: Prometheus text format 0.0.4. */
static void
status_metrics(struct status *st, struct evbuffer *b)
{
	const char *kind;
	int k;

	evbuffer_add_printf(b,
	    "# HELP asyncdemo_tasks_total Tasks finished, "
	    "by kind and outcome.\n# TYPE asyncdemo_tasks_total counter\n");
	for (k = 0; k < TASK_NKINDS; k++) {
		kind = config_kind_name((enum task_kind)k);
		evbuffer_add_printf(b,
		    "asyncdemo_tasks_total{kind=\"%s\","
		    "outcome=\"ok\"} %llu\n",
		    kind, st->kinds[k].ok);
		evbuffer_add_printf(b,
		    "asyncdemo_tasks_total{kind=\"%s\","
		    "outcome=\"failed\"} %llu\n",
		    kind, st->kinds[k].failed);
	}
	evbuffer_add_printf(b,
	    "# HELP asyncdemo_task_duration_seconds Task "
	    "durations, by kind.\n# TYPE asyncdemo_task_duration_seconds "
	    "histogram\n");
	for (k = 0; k < TASK_NKINDS; k++)
		status_metrics_histogram(
		    b, &st->kinds[k], config_kind_name((enum task_kind)k));
	evbuffer_add_printf(b,
	    "# HELP asyncdemo_runs_total Runs finished.\n"
	    "# TYPE asyncdemo_runs_total counter\nasyncdemo_runs_total %llu\n",
	    st->runs);
	evbuffer_add_printf(b,
	    "# HELP asyncdemo_run_duration_seconds How long "
	    "the last run took.\n# TYPE asyncdemo_run_duration_seconds gauge\n"
	    "asyncdemo_run_duration_seconds %.6f\n",
	    st->last_elapsed);
	evbuffer_add_printf(b,
	    "# HELP asyncdemo_last_run_timestamp_seconds "
	    "When the last run ended.\n# TYPE "
	    "asyncdemo_last_run_timestamp_seconds gauge\n"
	    "asyncdemo_last_run_timestamp_seconds %.3f\n",
	    st->last_end);
	evbuffer_add_printf(b,
	    "# HELP asyncdemo_workers_busy Workers running "
	    "a task now.\n# TYPE asyncdemo_workers_busy gauge\n"
	    "asyncdemo_workers_busy %u\n",
	    st->busy);
	evbuffer_add_printf(b,
	    "# HELP asyncdemo_tasks_in_flight Tasks "
	    "running now.\n# TYPE asyncdemo_tasks_in_flight gauge\n"
	    "asyncdemo_tasks_in_flight %zu\n",
	    st->inflight);
	status_metrics_named(st, b);
}

/*
 * Send the reply; HEAD gets the headers a GET would, Content-Length
 * included, and no body (evhttp would send the body and no length, which
 * corrupts the next response on a kept-alive connection).
 */
void
status_send(struct evhttp_request *req, int code, const char *reason,
    struct evbuffer *b)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char len[32];

	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_send_reply(req, code, reason, b);
		return;
	}
	snprintf(len, sizeof len, "%zu", evbuffer_get_length(b));
	evhttp_add_header(h, "Content-Length", len);
	evbuffer_drain(b, evbuffer_get_length(b));
	evhttp_send_reply(req, code, reason, NULL);
}

static void
status_request(struct evhttp_request *req, void *arg)
{
	struct status *st = arg;
	const char *path =
	    evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();
	char *s;

	evhttp_add_header(h, "Server", "asyncdemo/" PACKAGE_VERSION);
	/* Not under the lock: a run started here reports to status_emit. */
	if (path != NULL && st->ui != NULL && ui_request(st->ui, req, path)) {
		evbuffer_free(b);
		return;
	}
	if (path != NULL && strcmp(path, "/events") == 0) {
		if (evhttp_request_get_command(req) == EVHTTP_REQ_GET)
			events_request(st->events, req);
		else {
			evbuffer_add_printf(b, "method not allowed: use GET\n");
			evhttp_add_header(h, "Allow", "GET");
			evhttp_add_header(h, "Content-Type", "text/plain");
			evhttp_send_reply(req, 405, "Method Not Allowed", b);
		}
		evbuffer_free(b);
		return;
	}
	pthread_mutex_lock(&st->lock);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evbuffer_add_printf(b, "method not allowed: use GET or HEAD\n");
		evhttp_add_header(h, "Allow", "GET, HEAD");
		evhttp_add_header(h, "Content-Type", "text/plain");
		evhttp_send_reply(req, 405, "Method Not Allowed", b);
	} else if (path != NULL && strcmp(path, "/status") == 0) {
		s = status_json(st);
		evbuffer_add_printf(b, "%s\n", s);
		free(s);
		evhttp_add_header(h, "Content-Type", "application/json");
		status_send(req, HTTP_OK, "OK", b);
	} else if (path != NULL && strcmp(path, "/metrics") == 0) {
		status_metrics(st, b);
		evhttp_add_header(
		    h, "Content-Type", "text/plain; version=0.0.4");
		status_send(req, HTTP_OK, "OK", b);
	} else {
		evbuffer_add_printf(b,
		    "not found: try %s/status, /metrics or /events\n",
		    st->ui != NULL ? "/, " : "");
		evhttp_add_header(h, "Content-Type", "text/plain");
		status_send(req, HTTP_NOTFOUND, "Not Found", b);
	}
	pthread_mutex_unlock(&st->lock);
	evbuffer_free(b);
}

/* Listen on ADDR:PORT (":PORT" is loopback) and follow the report. */
int
status_new(struct event_base *base, struct report *report, const char *addr,
    struct status **out, char **cause)
{
	struct evhttp_bound_socket *bound;
	struct status *st;
	char *url;
	int rc;

	st = xcalloc(1, sizeof *st);
	pthread_mutex_init(&st->lock, NULL);
	st->started = clock_now();
	if ((st->http = evhttp_new(base)) == NULL)
		fatalx("evhttp_new failed");
	/* evhttp answers 501 to methods it filters: let them in, say 405. */
	evhttp_set_allowed_methods(st->http, 0xffff);
	evhttp_set_max_headers_size(st->http, STATUS_MAX_HEADERS);
	evhttp_set_max_body_size(st->http, STATUS_MAX_BODY);
	evhttp_set_timeout(st->http, STATUS_TIMEOUT);
	evhttp_set_gencb(st->http, status_request, st);
	if ((rc = listen_http(st->http, addr, &bound, cause)) != 0) {
		status_free(st);
		return rc;
	}
	url = listen_url(evhttp_bound_socket_get_fd(bound));
	log_info("status endpoint on %sstatus, %smetrics and %sevents", url,
	    url, url);
	st->url = url;
	report_add(report, status_emit, NULL, NULL, st);
	st->events = events_new(base, report);
	*out = st;
	return 0;
}

void
status_free(struct status *st)
{
	if (st == NULL)
		return;
	/* The event stream goes with the report, after its connections. */
	if (st->http != NULL)
		evhttp_free(st->http);
	ui_free(st->ui);
	free(st->url);
	pthread_mutex_destroy(&st->lock);
	free(st->workers);
	status_series_set(st, NULL);
	free(st);
}

void
status_set_config(struct status *st, const struct config *cf)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&st->lock);
	st->cf = cf;
	status_series_set(st, cf);
	ui_set_config(st->ui, cf);
	pthread_mutex_unlock(&st->lock);
}

void
status_set_run(struct status *st, unsigned n)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&st->lock);
	st->run = n;
	pthread_mutex_unlock(&st->lock);
}

/* When the next run is due, as wall time; 0 for none. */
void
status_set_next(struct status *st, double wall)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&st->lock);
	st->next_run = wall;
	pthread_mutex_unlock(&st->lock);
}

void
status_set_stopping(struct status *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&st->lock);
	st->stopping = 1;
	pthread_mutex_unlock(&st->lock);
}

/* The URL served, "http://HOST:PORT/". */
const char *
status_url(const struct status *st)
{
	return st->url;
}

/* Serve the live view too: its page and POST /run. */
void
status_set_ui(struct status *st, ui_run_cb run, void *arg)
{
	st->ui = ui_new(st->url, run, arg);
	ui_set_config(st->ui, st->cf);
}
