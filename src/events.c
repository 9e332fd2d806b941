/*
 * GET /events: the run's events as Server-Sent Events, each the JSON
 * Lines encoder's line as one "data: {...}" message, on evhttp chunked
 * replies. A report sink (any thread: threads mode emits from workers)
 * queues the lines and wakes the loop, which hands them to every client.
 *
 * Bounds: the last EVENTS_RUNS runs' events (the current one's so far) are
 * kept for clients that come late, up to EVENTS_HISTORY bytes in all: older
 * runs go first, and past the bound the current run keeps its first
 * events. A late client gets those, an event "live" (data "caught up")
 * that marks where the live events begin, then the live ones. A client
 * whose connection holds more than EVENTS_SLOW bytes not yet sent (it
 * reads too slowly, or has vanished) is dropped, so no client holds the
 * loop or grows memory without bound.
 */
#include "autoconf.h"

#include <sys/queue.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "events.h"
#include "log.h"
#include "report.h"
#include "task.h"
#include "xmalloc.h"

#define EVENTS_HISTORY (1024 * 1024)
#define EVENTS_RUNS 4 /* one of each mode, as the page compares them */
#define EVENTS_SLOW (2 * 1024 * 1024)
/*
 * Events go out at most this often (ms): a page needs no more, and a
 * hundred clients cost a hundred writes per batch, not per loop turn.
 */
#define EVENTS_BATCH_MS 20
/* A comment line this often keeps an idle stream open through proxies. */
#define EVENTS_PING 15
/* An event stream may stay quiet between runs for long. */
#define EVENTS_TIMEOUT 3600

struct events_client {
	struct events *ev;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	TAILQ_ENTRY(events_client) entry;
};

struct events {
	pthread_mutex_t lock;
	pthread_t loop; /* the loop's thread */
	int hold; /* a task that may hold the loop starts: write first */
	int armed; /* the wake timer is set */
	struct evbuffer *runs[EVENTS_RUNS]; /* oldest first; NULL: none */
	size_t kept; /* bytes in runs */
	struct evbuffer *pending; /* messages not yet handed to clients */
	struct event *wake;
	struct event *ping;
	TAILQ_HEAD(, events_client) clients;
};

static size_t
events_output(struct events_client *c)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);

	return evbuffer_get_length(bufferevent_get_output(bev));
}

/* The connection closed (by the client, or dropped here). */
static void
events_closed(struct evhttp_connection *conn, void *arg)
{
	struct events_client *c = arg;
	struct events *ev = c->ev;

	TAILQ_REMOVE(&ev->clients, c, entry);
	/*
	 * Closed by the client, evhttp has let go of the reply that never
	 * ended (it is ours to free); dropped or at the end, it goes with
	 * the connection.
	 */
	if (evhttp_request_get_connection(c->req) == NULL)
		evhttp_request_free(c->req);
	free(c);
}

/* Too much waits for this client: let it go. */
static void
events_drop(struct events_client *c)
{
	struct evhttp_connection *conn = c->conn;

	log_info("/events: dropping a client %zu bytes behind (limit %d)",
	    events_output(c), EVENTS_SLOW);
	/* Calls events_closed, which frees c. */
	evhttp_connection_free(conn);
}

/* Hand the waiting messages to every client; the lock is held. */
static void
events_deliver(struct events *ev)
{
	struct events_client *c, *next;
	struct evbuffer *chunk;
	size_t n = evbuffer_get_length(ev->pending);

	if (n == 0)
		return;
	if ((chunk = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	for (c = TAILQ_FIRST(&ev->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (evbuffer_add_buffer_reference(chunk, ev->pending) != 0)
			fatalx("evbuffer_add_buffer_reference failed");
		evhttp_send_reply_chunk(c->req, chunk);
		evbuffer_drain(chunk, evbuffer_get_length(chunk));
		if (events_output(c) > EVENTS_SLOW)
			events_drop(c);
	}
	evbuffer_free(chunk);
	evbuffer_drain(ev->pending, n);
}

/*
 * The run flushes its sinks once per loop turn, and before a task that
 * may hold the loop (sync, cooperative, blocking: true): what waits goes
 * out now, or a bar would show only once its task is done. The sockets
 * are non-blocking: what does not fit waits for the loop as usual.
 */
static void
events_flush(void *arg)
{
	struct events *ev = arg;
	struct events_client *c;
	struct bufferevent *bev;
	struct evbuffer *out;

	if (!pthread_equal(pthread_self(), ev->loop))
		return;
	pthread_mutex_lock(&ev->lock);
	if (!ev->hold) {
		pthread_mutex_unlock(&ev->lock);
		return;
	}
	ev->hold = 0;
	events_deliver(ev);
	TAILQ_FOREACH(c, &ev->clients, entry)
	{
		bev = evhttp_connection_get_bufferevent(c->conn);
		/* A socket bufferevent's output is frozen at the front
		 * but while it writes itself: do as it does. */
		out = bufferevent_get_output(bev);
		evbuffer_unfreeze(out, 1);
		(void)evbuffer_write(out, bufferevent_getfd(bev));
		evbuffer_freeze(out, 1);
	}
	pthread_mutex_unlock(&ev->lock);
}

static void
events_wake(evutil_socket_t fd, short what, void *arg)
{
	struct events *ev = arg;

	pthread_mutex_lock(&ev->lock);
	ev->armed = 0;
	events_deliver(ev);
	pthread_mutex_unlock(&ev->lock);
}

/* A comment line to every client: the quiet between runs stays open. */
static void
events_ping(evutil_socket_t fd, short what, void *arg)
{
	struct events *ev = arg;

	pthread_mutex_lock(&ev->lock);
	if (!TAILQ_EMPTY(&ev->clients))
		evbuffer_add(ev->pending, ":\n\n", 3);
	events_deliver(ev);
	pthread_mutex_unlock(&ev->lock);
}

/* Drop the oldest run kept; 0 when only the current one is left. */
static int
events_drop_run(struct events *ev)
{
	struct evbuffer *old = ev->runs[0];

	if (old == NULL || ev->runs[1] == NULL)
		return 0;
	ev->kept -= evbuffer_get_length(old);
	evbuffer_free(old);
	memmove(ev->runs, ev->runs + 1, (EVENTS_RUNS - 1) * sizeof old);
	ev->runs[EVENTS_RUNS - 1] = NULL;
	return 1;
}

static void
events_new_run(struct events *ev)
{
	int i;

	if (ev->runs[EVENTS_RUNS - 1] != NULL)
		(void)events_drop_run(ev);
	for (i = 0; ev->runs[i] != NULL; i++)
		;
	if ((ev->runs[i] = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
}

/* Keep a message of the current run, within the bound. */
static void
events_keep(struct events *ev, const char *line)
{
	size_t n = strlen(line) + 8;
	int i;

	for (i = 0; i + 1 < EVENTS_RUNS && ev->runs[i + 1] != NULL; i++)
		;
	if (ev->runs[i] == NULL)
		return; /* an event before any run_start */
	while (ev->kept + n > EVENTS_HISTORY)
		if (!events_drop_run(ev))
			return;
	for (i = 0; i + 1 < EVENTS_RUNS && ev->runs[i + 1] != NULL; i++)
		;
	evbuffer_add_printf(ev->runs[i], "data: %s\n\n", line);
	ev->kept += n;
}

/* The sink: every event, as the JSON Lines encoder writes it. */
static void
events_emit(const struct report_event *rev, void *arg)
{
	static const struct timeval batch = {0, EVENTS_BATCH_MS * 1000};
	struct events *ev = arg;
	char *line = report_json_line(rev);

	pthread_mutex_lock(&ev->lock);
	if (rev->type == REPORT_RUN_START)
		events_new_run(ev);
	events_keep(ev, line);
	if (!TAILQ_EMPTY(&ev->clients)) {
		evbuffer_add_printf(ev->pending, "data: %s\n\n", line);
		if (!ev->armed) {
			ev->armed = 1;
			evtimer_add(ev->wake, &batch);
		}
		if (rev->type == REPORT_TASK_START &&
		    (rev->mode == MODE_SYNC || rev->mode == MODE_COOPERATIVE ||
		        (rev->task->flags & TASK_BLOCKING)))
			ev->hold = 1;
	}
	pthread_mutex_unlock(&ev->lock);
	free(line);
}

static void events_free(void *);

struct events *
events_new(struct event_base *base, struct report *report)
{
	struct events *ev;
	struct timeval tv = {EVENTS_PING, 0};

	ev = xcalloc(1, sizeof *ev);
	pthread_mutex_init(&ev->lock, NULL);
	TAILQ_INIT(&ev->clients);
	ev->loop = pthread_self();
	ev->pending = evbuffer_new();
	ev->wake = event_new(base, -1, 0, events_wake, ev);
	ev->ping = event_new(base, -1, EV_PERSIST, events_ping, ev);
	if (ev->pending == NULL || ev->wake == NULL || ev->ping == NULL)
		fatalx("events_new failed");
	event_add(ev->ping, &tv);
	report_add(report, events_emit, events_flush, events_free, ev);
	return ev;
}

/* GET /events: the run so far, then each event as it comes. */
void
events_request(struct events *ev, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct events_client *c;
	struct evbuffer *b;
	int i;

	c = xcalloc(1, sizeof *c);
	c->ev = ev;
	c->req = req;
	c->conn = evhttp_request_get_connection(req);
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_connection_set_timeout(c->conn, EVENTS_TIMEOUT);
	/* Its writes wait while the tasks have work (loop.c). */
	if (bufferevent_priority_set(
	        evhttp_connection_get_bufferevent(c->conn), 2) != 0)
		log_warnx("events: cannot lower a client's priority");
	pthread_mutex_lock(&ev->lock);
	/* What waits is in the history too: the others get it first. */
	events_deliver(ev);
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	evbuffer_add(b, "retry: 1000\n\n", 13);
	for (i = 0; i < EVENTS_RUNS && ev->runs[i] != NULL; i++)
		evbuffer_add_buffer_reference(b, ev->runs[i]);
	evbuffer_add_printf(b, "event: live\ndata: caught up\n\n");
	evhttp_send_reply_chunk(req, b);
	evbuffer_free(b);
	TAILQ_INSERT_TAIL(&ev->clients, c, entry);
	evhttp_connection_set_closecb(c->conn, events_closed, c);
	pthread_mutex_unlock(&ev->lock);
}

/* With the report, after the evhttp (which closes the connections). */
static void
events_free(void *arg)
{
	struct events *ev = arg;
	struct events_client *c;
	int i;

	while ((c = TAILQ_FIRST(&ev->clients)) != NULL) {
		TAILQ_REMOVE(&ev->clients, c, entry);
		free(c);
	}
	event_free(ev->wake);
	event_free(ev->ping);
	for (i = 0; i < EVENTS_RUNS; i++)
		if (ev->runs[i] != NULL)
			evbuffer_free(ev->runs[i]);
	evbuffer_free(ev->pending);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}
