/* Unit tests for fetch.c, against an evhttp server on the loopback. */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "clock.h"
#include "fetch.h"

#define BIG_SIZE (50 * 1024 * 1024)
#define BIG_CHUNK (64 * 1024)
#define DELAY 0.3
#define MAX_RESULTS 16

/*
 * A request answered later: /delay after a timer, /gate/N once N are held,
 * /stall at the end.
 */
struct held {
	struct server *server;
	struct evhttp_request *req;
	struct event *timer; /* NULL for /stall and /gate */
	int gate; /* 1 for /gate */
	TAILQ_ENTRY(held) entry;
};

/* A /big reply being streamed. */
struct big {
	struct evhttp_request *req;
	size_t left;
};

struct server {
	struct event_base *base;
	struct evhttp *http;
	int port;
	struct evconnlistener *resetter; /* resets every connection */
	int reset_port;
	TAILQ_HEAD(, held) held;
};

struct fixture {
	struct event_base *base;
	struct server *server;
	struct fetch_loop *loop; /* NULL for blocking tests */
	struct event *guard;
	int expired;
	pthread_t thread; /* runs the server for blocking tests */
	struct event *stop; /* stops that thread's loop */

	struct fetch *victim; /* cancelled from a callback */
	int done;
	struct fetch_result results[MAX_RESULTS];
	char url[256];
};

static char big_data[BIG_CHUNK];

/* Reply with a status and a body. */
static void
server_reply(struct evhttp_request *req, int code, const char *body)
{
	struct evbuffer *b;

	b = evbuffer_new();
	evbuffer_add(b, body, strlen(body));
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

/* Add a response header. */
static void
server_header(struct evhttp_request *req, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), name, value);
}

/* Answer a /delay request once its time is up. */
static void
server_delay_done(evutil_socket_t fd, short what, void *arg)
{
	struct held *hd = arg;

	TAILQ_REMOVE(&hd->server->held, hd, entry);
	server_reply(hd->req, 200, "late");
	event_free(hd->timer);
	free(hd);
}

/* Hold a request: /delay answers after DELAY, /stall never goes on. */
static void
server_hold(struct server *s, struct evhttp_request *req, int delay)
{
	struct timeval tv = {0, (suseconds_t)(DELAY * 1e6)};
	struct evbuffer *b;
	struct held *hd;

	hd = calloc(1, sizeof *hd);
	hd->server = s;
	hd->req = req;
	TAILQ_INSERT_TAIL(&s->held, hd, entry);
	if (delay) {
		hd->timer = evtimer_new(s->base, server_delay_done, hd);
		evtimer_add(hd->timer, &tv);
		return;
	}
	evhttp_send_reply_start(req, 200, "OK");
	b = evbuffer_new();
	evbuffer_add(b, "partial ", 8);
	evhttp_send_reply_chunk(req, b);
	evbuffer_free(b);
}

/*
 * Hold a /gate/N request until N are held, then answer them all: only
 * fetches that are in flight together get through (the others time out),
 * which proves they overlap whatever the load, with no clock.
 */
static void
server_gate(struct server *s, struct evhttp_request *req, int n)
{
	struct held *hd, *next;
	int held = 0;

	hd = calloc(1, sizeof *hd);
	hd->server = s;
	hd->req = req;
	hd->gate = 1;
	TAILQ_INSERT_TAIL(&s->held, hd, entry);
	for (hd = TAILQ_FIRST(&s->held); hd != NULL; hd = TAILQ_NEXT(hd, entry))
		held += hd->gate;
	if (held < n)
		return;
	for (hd = TAILQ_FIRST(&s->held); hd != NULL; hd = next) {
		next = TAILQ_NEXT(hd, entry);
		if (!hd->gate)
			continue;
		TAILQ_REMOVE(&s->held, hd, entry);
		server_reply(hd->req, 200, "late");
		free(hd);
	}
}

/* Send the next piece of /big once the last one is written. */
static void
server_big_more(struct evhttp_connection *conn, void *arg)
{
	struct big *bg = arg;
	struct evbuffer *b;
	size_t n;

	if (bg->left == 0) {
		evhttp_send_reply_end(bg->req);
		free(bg);
		return;
	}
	n = bg->left < BIG_CHUNK ? bg->left : BIG_CHUNK;
	bg->left -= n;
	b = evbuffer_new();
	evbuffer_add_reference(b, big_data, n, NULL, NULL);
	evhttp_send_reply_chunk_with_cb(bg->req, b, server_big_more, bg);
	evbuffer_free(b);
}

/* Stream BIG_SIZE bytes, chunked, never holding them all. */
static void
server_big(struct evhttp_request *req)
{
	struct big *bg;

	bg = calloc(1, sizeof *bg);
	bg->req = req;
	bg->left = BIG_SIZE;
	evhttp_send_reply_start(req, 200, "OK");
	server_big_more(NULL, bg);
}

/* Reply 503 with Retry-After as an HTTP-date ten seconds from now. */
static void
server_date(struct evhttp_request *req)
{
	char date[64];
	time_t t = time(NULL) + 10;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	server_header(req, "Retry-After", date);
	server_reply(req, 503, "busy");
}

/* Read a request, then close the connection with a TCP reset. */
static void
reset_read(evutil_socket_t fd, short what, void *arg)
{
	struct linger l = {1, 0};
	char buf[4096];

	(void)recv(fd, buf, sizeof buf, 0);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	close(fd);
	event_free(arg);
}

/* A connection to the resetting listener. */
static void
reset_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int len, void *arg)
{
	struct event *ev;

	ev = event_new(evconnlistener_get_base(l), fd, EV_READ, reset_read,
	    event_self_cbarg());
	event_add(ev, NULL);
}

/* /echo: "METHOD X-Test BODY" of the request, "-" for what it lacks. */
static void
server_echo(struct evhttp_request *req)
{
	static const struct {
		enum evhttp_cmd_type cmd;
		const char *name;
	} cmds[] = {{EVHTTP_REQ_GET, "GET"}, {EVHTTP_REQ_POST, "POST"},
	    {EVHTTP_REQ_HEAD, "HEAD"}, {EVHTTP_REQ_PUT, "PUT"},
	    {EVHTTP_REQ_DELETE, "DELETE"}, {EVHTTP_REQ_PATCH, "PATCH"},
	    {EVHTTP_REQ_OPTIONS, "OPTIONS"}};
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *method = "?", *h;
	char body[64], reply[160];
	size_t i, n;

	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (cmds[i].cmd == evhttp_request_get_command(req))
			method = cmds[i].name;
	}
	h = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Test");
	n = evbuffer_remove(in, body, sizeof body - 1);
	body[n > 0 ? n : 0] = '\0';
	snprintf(reply, sizeof reply, "%s %s %s", method, h != NULL ? h : "-",
	    body[0] != '\0' ? body : "-");
	server_reply(req, 200, reply);
}

/* Route a request by its path. */
static void
server_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	const char *path = evhttp_request_get_uri(req);
	char location[64];
	int n;

	if (strcmp(path, "/ok") == 0)
		server_reply(req, 200, "hello  world\n");
	else if (strcmp(path, "/500") == 0) {
		server_header(req, "Retry-After", "3");
		server_reply(req, 500, "oops");
	} else if (sscanf(path, "/redirect/%d", &n) == 1 && n > 0) {
		snprintf(location, sizeof location, "/redirect/%d", n - 1);
		server_header(req, "Location", location);
		server_reply(req, 302, "");
	} else if (strcmp(path, "/redirect/0") == 0)
		server_reply(req, 200, "arrived");
	else if (strcmp(path, "/loop") == 0) {
		server_header(req, "Location", "/loop");
		server_reply(req, 302, "");
	} else if (strcmp(path, "/redirect-after") == 0) {
		server_header(req, "Retry-After", "99");
		server_header(req, "Location", "/ok");
		server_reply(req, 302, "");
	} else if (strcmp(path, "/date") == 0)
		server_date(req);
	else if (strcmp(path, "/big") == 0)
		server_big(req);
	else if (strcmp(path, "/delay") == 0)
		server_hold(s, req, 1);
	else if (strcmp(path, "/stall") == 0)
		server_hold(s, req, 0);
	else if (sscanf(path, "/gate/%d", &n) == 1 && n > 0)
		server_gate(s, req, n);
	else if (strcmp(path, "/echo") == 0)
		server_echo(req);
	else
		server_reply(req, 404, "not found");
}

/* A server on 127.0.0.1, a port of its own, driven by base. */
static struct server *
server_new(struct event_base *base)
{
	struct evhttp_bound_socket *bound;
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	struct server *s;

	s = calloc(1, sizeof *s);
	s->base = base;
	TAILQ_INIT(&s->held);
	s->http = evhttp_new(base);
	evhttp_set_gencb(s->http, server_request, s);
	bound = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
	assert_non_null(bound);
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bound),
	                     (struct sockaddr *)&sin, &len),
	    0);
	s->port = ntohs(sin.sin_port);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->resetter = evconnlistener_new_bind(base, reset_accept, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1,
	    (struct sockaddr *)&sin, sizeof sin);
	assert_non_null(s->resetter);
	len = sizeof sin;
	assert_int_equal(getsockname(evconnlistener_get_fd(s->resetter),
	                     (struct sockaddr *)&sin, &len),
	    0);
	s->reset_port = ntohs(sin.sin_port);
	return s;
}

/* Finish every held request, then stop. */
static void
server_free(struct server *s)
{
	struct held *hd;

	while ((hd = TAILQ_FIRST(&s->held)) != NULL) {
		TAILQ_REMOVE(&s->held, hd, entry);
		if (hd->timer != NULL) {
			event_free(hd->timer);
			server_reply(hd->req, 200, "late");
		} else if (hd->gate)
			server_reply(hd->req, 200, "late");
		else
			evhttp_send_reply_end(hd->req);
		free(hd);
	}
	evconnlistener_free(s->resetter);
	evhttp_free(s->http);
	free(s);
}

/* A loopback port with nothing listening on it. */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* The URL of path on the test server. */
static const char *
url(struct fixture *fx, const char *path)
{
	snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d%s",
	    fx->server->port, path);
	return fx->url;
}

static void
fixture_expire(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *fx = arg;

	fx->expired = 1;
}

/* A loop with a server and a fetch_loop on it. */
static int
setup_async(void **state)
{
	struct fixture *fx;

	fx = calloc(1, sizeof *fx);
	fx->base = event_base_new();
	fx->server = server_new(fx->base);
	fx->loop = fetch_loop_new(fx->base, 0);
	fx->guard = evtimer_new(fx->base, fixture_expire, fx);
	*state = fx;
	return 0;
}

/* Stop the server's thread, from its own loop. */
static void
fixture_stop(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *fx = arg;

	event_base_loopbreak(fx->base);
}

static void *
fixture_serve(void *arg)
{
	struct fixture *fx = arg;

	event_base_dispatch(fx->base);
	return NULL;
}

/* A server running on a thread of its own, for blocking fetches. */
static int
setup_blocking(void **state)
{
	struct fixture *fx;

	fx = calloc(1, sizeof *fx);
	fx->base = event_base_new();
	fx->server = server_new(fx->base);
	fx->guard = evtimer_new(fx->base, fixture_expire, fx);
	fx->stop = event_new(fx->base, -1, 0, fixture_stop, fx);
	assert_int_equal(
	    pthread_create(&fx->thread, NULL, fixture_serve, fx), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	int i;

	if (fx->stop != NULL) {
		/* An active event survives until the loop runs; a break not. */
		event_active(fx->stop, 0, 0);
		pthread_join(fx->thread, NULL);
		event_free(fx->stop);
		fetch_thread_done();
	}
	fetch_loop_free(fx->loop);
	for (i = 0; i < fx->done; i++)
		fetch_result_clear(&fx->results[i]);
	server_free(fx->server);
	event_free(fx->guard);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

/* Keep a result (fetch_cb). */
static void
got(struct fetch_result *r, void *arg)
{
	struct fixture *fx = arg;

	if (fx->done < MAX_RESULTS)
		fx->results[fx->done++] = *r;
	else
		fetch_result_clear(r);
}

/* Run the loop until n results are in or seconds have passed. */
static void
run(struct fixture *fx, int n, double seconds)
{
	struct timeval tv;

	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	fx->expired = 0;
	evtimer_add(fx->guard, &tv);
	while (fx->done < n && !fx->expired)
		event_base_loop(fx->base, EVLOOP_ONCE);
	evtimer_del(fx->guard);
}

/* Requests the server holds (the same loop's server, for async tests). */
static int
held(struct fixture *fx)
{
	struct held *hd;
	int n = 0;

	for (hd = TAILQ_FIRST(&fx->server->held); hd != NULL;
	     hd = TAILQ_NEXT(hd, entry))
		n++;
	return n;
}

/* Run the loop until the server holds n requests or seconds have passed. */
static void
run_until_held(struct fixture *fx, int n, double seconds)
{
	struct timeval tv;

	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	fx->expired = 0;
	evtimer_add(fx->guard, &tv);
	while (held(fx) < n && !fx->expired)
		event_base_loop(fx->base, EVLOOP_ONCE);
	evtimer_del(fx->guard);
}

/* Fetch one URL on the loop and wait for its result. */
static struct fetch_result *
fetch_one(struct fixture *fx, const char *u, double timeout)
{
	struct fetch_opts opts = {.timeout = timeout, .preview = 50};

	fetch_start(fx->loop, u, &opts, got, fx);
	assert_int_equal(fx->done, 0);
	run(fx, 1, 10);
	assert_int_equal(fx->done, 1);
	return &fx->results[0];
}

static void
test_ok_has_status_bytes_and_preview(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r = fetch_one(fx, url(fx, "/ok"), 5);

	assert_true(r->ok);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->bytes, 13);
	assert_string_equal(r->preview, "hello world");
	assert_null(r->error);
	assert_true(r->retry_after == -1);
	assert_false(r->retryable);
}

static void
test_404_fails_with_status(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r = fetch_one(fx, url(fx, "/404"), 5);

	assert_false(r->ok);
	assert_int_equal(r->status, 404);
	assert_string_equal(r->error, "HTTP 404");
	assert_string_equal(r->preview, "not found");
	assert_false(r->retryable);
}

static void
test_500_is_retryable_with_retry_after(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r = fetch_one(fx, url(fx, "/500"), 5);

	assert_false(r->ok);
	assert_string_equal(r->error, "HTTP 500");
	assert_true(r->retryable);
	assert_true(r->retry_after == 3);
}

static void
test_retry_after_http_date(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r = fetch_one(fx, url(fx, "/date"), 5);

	assert_string_equal(r->error, "HTTP 503");
	assert_true(r->retryable);
	/*
	 * Ten seconds from when the server wrote it, in whole seconds: 9 or
	 * 10 at once, less on a machine that took seconds to get the answer
	 * to the parser; a date read wrong (as local time, say) is hours off.
	 */
	assert_true(r->retry_after >= 5 && r->retry_after <= 11);
}

static void
test_retry_after_only_from_final_response(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r = fetch_one(fx, url(fx, "/redirect-after"), 5);

	assert_true(r->ok);
	assert_true(r->retry_after == -1);
}

static void
test_redirect_chain_followed(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r = fetch_one(fx, url(fx, "/redirect/3"), 5);

	assert_true(r->ok);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->bytes, 7);
	assert_string_equal(r->preview, "arrived");
}

static void
test_redirect_loop_fails(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r = fetch_one(fx, url(fx, "/loop"), 5);

	assert_false(r->ok);
	assert_string_equal(r->error, "too many redirects (more than 10)");
	assert_false(r->retryable);
}

static void
test_refused_port(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r;
	char u[64];

	snprintf(u, sizeof u, "http://127.0.0.1:%d/", free_port());
	r = fetch_one(fx, u, 5);
	assert_false(r->ok);
	assert_int_equal(r->status, 0);
	assert_string_equal(r->error, "connection refused");
	assert_string_equal(r->preview, "");
	assert_true(r->retryable);
}

static void
test_reset_connection(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r;
	char u[64];

	snprintf(u, sizeof u, "http://127.0.0.1:%d/", fx->server->reset_port);
	r = fetch_one(fx, u, 5);
	assert_false(r->ok);
	assert_string_equal(r->error, "connection reset");
	assert_true(r->retryable);
}

static void
test_stall_times_out(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r;
	double start = clock_now(), took;

	r = fetch_one(fx, url(fx, "/stall"), 0.5);
	took = clock_now() - start;
	assert_false(r->ok);
	assert_string_equal(r->error, "timed out after 0.5 s");
	assert_string_equal(r->preview, "partial");
	assert_true(r->retryable);
	/* /stall never ends: under 5 s is the timeout, not run()'s 10 s. */
	assert_true(took >= 0.45 && took < 5);
}

static void
test_malformed_url_reported_later(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r = fetch_one(fx, "http://", 5);

	assert_false(r->ok);
	assert_non_null(strstr(r->error, "malformed URL"));
	assert_string_equal(r->preview, "");
}

static void
test_unsupported_scheme(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r = fetch_one(fx, "ftp://127.0.0.1/x", 5);

	assert_string_equal(r->error, "unsupported URL scheme");
}

/* The server answers none of the eight until all eight are in flight. */
static void
test_concurrent_fetches_overlap(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts opts = {.timeout = 5, .preview = 50};
	int i;

	for (i = 0; i < 8; i++)
		fetch_start(fx->loop, url(fx, "/gate/8"), &opts, got, fx);
	run(fx, 8, 10);
	assert_int_equal(fx->done, 8);
	for (i = 0; i < 8; i++) {
		assert_true(fx->results[i].ok);
		assert_string_equal(fx->results[i].preview, "late");
	}
}

static void
test_big_body_counted(void **state)
{
	struct fixture *fx = *state;
	struct fetch_result *r = fetch_one(fx, url(fx, "/big"), 10);

	assert_true(r->ok);
	assert_int_equal(r->bytes, 52428800);
	assert_int_equal(strlen(r->preview), 50);
}

static void
test_cancel_in_flight_no_callback(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts opts = {.timeout = 5, .preview = 50};
	struct fetch *f;

	/* In flight: the server holds it (/gate/2 alone is never answered). */
	f = fetch_start(fx->loop, url(fx, "/gate/2"), &opts, got, fx);
	run_until_held(fx, 1, 10);
	assert_int_equal(held(fx), 1);
	fetch_cancel(f);
	f = fetch_start(fx->loop, url(fx, "/delay"), &opts, got, fx);
	fetch_cancel(f);
	f = fetch_start(fx->loop, "http://", &opts, got, fx);
	fetch_cancel(f);
	run(fx, 1, 2 * DELAY);
	assert_int_equal(fx->done, 0);
}

static void
test_loop_free_cancels_all(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts opts = {.timeout = 5, .preview = 50};

	fetch_start(fx->loop, url(fx, "/gate/2"), &opts, got, fx);
	fetch_start(fx->loop, url(fx, "/stall"), &opts, got, fx);
	fetch_start(fx->loop, url(fx, "/ok"), &opts, got, fx);
	fetch_start(fx->loop, "http://", &opts, got, fx);
	/* /ok and the malformed URL finish; /gate/2 and /stall never do. */
	run(fx, 2, 10);
	assert_int_equal(fx->done, 2);
	fetch_loop_free(fx->loop);
	fx->loop = NULL;
	run(fx, 3, 2 * DELAY);
	assert_int_equal(fx->done, 2);
}

/* Try once more after the first result (fetch_cb). */
static void
got_then_retry(struct fetch_result *r, void *arg)
{
	struct fixture *fx = arg;
	struct fetch_opts opts = {.timeout = 5, .preview = 50};

	got(r, fx);
	if (fx->done == 1)
		fetch_start(
		    fx->loop, url(fx, "/ok"), &opts, got_then_retry, fx);
}

static void
test_callback_may_start_a_fetch(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts opts = {.timeout = 5, .preview = 50};

	fetch_start(fx->loop, url(fx, "/500"), &opts, got_then_retry, fx);
	run(fx, 2, 5);
	assert_int_equal(fx->done, 2);
	assert_int_equal(fx->results[0].status, 500);
	assert_true(fx->results[1].ok);
}

/* Cancel another fetch from a callback (fetch_cb). */
static void
got_then_cancel(struct fetch_result *r, void *arg)
{
	struct fixture *fx = arg;

	got(r, fx);
	fetch_cancel(fx->victim);
}

static void
test_callback_may_cancel_a_fetch(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts opts = {.timeout = 5, .preview = 50};

	/* A victim that never finishes by itself (/gate/2 is alone). */
	fx->victim = fetch_start(fx->loop, url(fx, "/gate/2"), &opts, got, fx);
	fetch_start(fx->loop, url(fx, "/ok"), &opts, got_then_cancel, fx);
	run(fx, 1, 10);
	assert_int_equal(fx->done, 1);
	/* Nothing more comes of the victim. */
	run(fx, 2, 2 * DELAY);
	assert_int_equal(fx->done, 1);
	assert_true(fx->results[0].ok);
}

/* Free the whole loop from a callback (fetch_cb). */
static void
got_then_free_loop(struct fetch_result *r, void *arg)
{
	struct fixture *fx = arg;

	got(r, fx);
	fetch_loop_free(fx->loop);
	fx->loop = NULL;
}

static void
test_callback_may_free_the_loop(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts opts = {.timeout = 5, .preview = 50};

	/* Both fail at once and wait for the same delivery. */
	fetch_start(fx->loop, "http://", &opts, got_then_free_loop, fx);
	fetch_start(fx->loop, "http://", &opts, got, fx);
	fetch_start(fx->loop, url(fx, "/delay"), &opts, got, fx);
	run(fx, 1, 10);
	assert_int_equal(fx->done, 1);
	/* The freed loop delivers nothing more, not even /delay's answer. */
	run(fx, 3, 2 * DELAY);
	assert_int_equal(fx->done, 1);
	assert_null(fx->loop);
}

/* Fetch /500 then /ok, each from the last's callback (fetch_cb). */
static void
got_then_ok(struct fetch_result *r, void *arg)
{
	struct fixture *fx = arg;
	struct fetch_opts opts = {.timeout = 0, .preview = 0};

	got(r, fx);
	if (fx->done < 6)
		fetch_start(fx->loop,
		    url(fx, fx->done % 2 == 0 ? "/500" : "/ok"), &opts,
		    got_then_ok, fx);
}

static void
test_reused_handles_start_clean(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts opts = {.timeout = 5, .preview = 50};
	int i;

	fetch_start(fx->loop, url(fx, "/500"), &opts, got_then_ok, fx);
	run(fx, 6, 5);
	assert_int_equal(fx->done, 6);
	for (i = 0; i < 6; i += 2) {
		assert_int_equal(fx->results[i].status, 500);
		assert_true(fx->results[i].retry_after >= 0);
		assert_int_equal(fx->results[i + 1].status, 200);
		assert_true(fx->results[i + 1].ok);
		/* No Retry-After, no preview (0): nothing from the last. */
		assert_true(fx->results[i + 1].retry_after < 0);
		assert_string_equal(fx->results[i + 1].preview, "");
	}
	assert_string_not_equal(fx->results[0].preview, "");
}

static void
test_blocking_ok(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts opts = {.timeout = 5, .preview = 50};
	struct fetch_result r;
	int i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(fetch_blocking(url(fx, "/ok"), &opts, &r), 0);
		assert_true(r.ok);
		assert_int_equal(r.status, 200);
		assert_int_equal(r.bytes, 13);
		assert_string_equal(r.preview, "hello world");
		assert_null(r.error);
		fetch_result_clear(&r);
	}
}

/* A request as asked: method, header, body; the body kept, timings. */
static void
check_request(struct fetch_result *r, const char *want)
{
	assert_true(r->ok);
	assert_true(r->complete);
	assert_non_null(r->body);
	assert_string_equal(r->body, want);
	assert_int_equal(r->body_len, strlen(want));
	assert_true(r->has_timings);
	assert_true(r->timings[FETCH_TLS] < 0);
	assert_true(r->timings[FETCH_DNS] >= 0);
	assert_true(r->timings[FETCH_TTFB] >= r->timings[FETCH_CONNECT]);
	assert_true(r->timings[FETCH_TOTAL] >= r->timings[FETCH_TTFB]);
	assert_int_equal(r->cert_expires, 0);
}

static char test_header[] = "X-Test: yes";
static char *const test_headers[] = {test_header, NULL};

static void
test_request_options(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts put = {.timeout = 5,
	    .method = "PUT",
	    .headers = test_headers,
	    .body = "abc",
	    .keep_body = 1};
	struct fetch_opts post = {.timeout = 5, .body = "x=1", .keep_body = 1};
	struct fetch_opts head = {
	    .timeout = 5, .method = "HEAD", .keep_body = 1};
	struct fetch_opts get = {.timeout = 5};

	/* One after the other, so that the results come in order. */
	fetch_start(fx->loop, url(fx, "/echo"), &put, got, fx);
	run(fx, 1, 10);
	fetch_start(fx->loop, url(fx, "/echo"), &post, got, fx);
	run(fx, 2, 10);
	fetch_start(fx->loop, url(fx, "/echo"), &head, got, fx);
	run(fx, 3, 10);
	fetch_start(fx->loop, url(fx, "/echo"), &get, got, fx);
	run(fx, 4, 10);
	assert_int_equal(fx->done, 4);
	check_request(&fx->results[0], "PUT yes abc");
	check_request(&fx->results[1], "POST - x=1");
	check_request(&fx->results[2], "");
	assert_int_equal(fx->results[2].bytes, 0);
	assert_true(fx->results[3].ok);
	assert_null(fx->results[3].body);
	assert_int_equal(fx->results[3].bytes, strlen("GET - -"));
}

static void
test_blocking_request_options(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts opts = {.timeout = 5,
	    .method = "DELETE",
	    .headers = test_headers,
	    .body = "abc",
	    .keep_body = 1};
	struct fetch_result r;

	assert_int_equal(fetch_blocking(url(fx, "/echo"), &opts, &r), 0);
	check_request(&r, "DELETE yes abc");
	fetch_result_clear(&r);
}

static void
test_blocking_404(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts opts = {.timeout = 5, .preview = 50};
	struct fetch_result r;

	assert_int_equal(fetch_blocking(url(fx, "/404"), &opts, &r), -1);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.error, "HTTP 404");
	fetch_result_clear(&r);
}

static void
test_blocking_500_retry_after(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts opts = {.timeout = 5, .preview = 50};
	struct fetch_result r;

	assert_int_equal(fetch_blocking(url(fx, "/500"), &opts, &r), -1);
	assert_true(r.retryable);
	assert_true(r.retry_after == 3);
	fetch_result_clear(&r);
}

static void
test_blocking_refused(void **state)
{
	struct fetch_opts opts = {.timeout = 5, .preview = 50};
	struct fetch_result r;
	char u[64];

	snprintf(u, sizeof u, "http://127.0.0.1:%d/", free_port());
	assert_int_equal(fetch_blocking(u, &opts, &r), -1);
	assert_string_equal(r.error, "connection refused");
	assert_string_equal(r.preview, "");
	fetch_result_clear(&r);
}

static void
test_blocking_stall_times_out(void **state)
{
	struct fixture *fx = *state;
	struct fetch_opts opts = {.timeout = 0.5, .preview = 50};
	struct fetch_result r;

	assert_int_equal(fetch_blocking(url(fx, "/stall"), &opts, &r), -1);
	assert_string_equal(r.error, "timed out after 0.5 s");
	fetch_result_clear(&r);
}

/* Fetch blocking on a thread of its own. */
static void *
blocking_thread(void *arg)
{
	struct fetch_opts opts = {.timeout = 5, .preview = 50};
	struct fetch_result r;
	intptr_t failed;

	failed = fetch_blocking(arg, &opts, &r) != 0;
	fetch_result_clear(&r);
	fetch_thread_done();
	return (void *)failed;
}

/* Each thread's fetch gets through only once all four are in flight. */
static void
test_blocking_threads_overlap(void **state)
{
	struct fixture *fx = *state;
	pthread_t t[4];
	void *failed;
	int i;

	url(fx, "/gate/4");
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, blocking_thread, fx->url);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &failed);
		assert_null(failed);
	}
}

#define ASYNC(t) cmocka_unit_test_setup_teardown(t, setup_async, teardown)
#define BLOCKING(t) cmocka_unit_test_setup_teardown(t, setup_blocking, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    ASYNC(test_ok_has_status_bytes_and_preview),
	    ASYNC(test_404_fails_with_status),
	    ASYNC(test_500_is_retryable_with_retry_after),
	    ASYNC(test_retry_after_http_date),
	    ASYNC(test_retry_after_only_from_final_response),
	    ASYNC(test_redirect_chain_followed),
	    ASYNC(test_redirect_loop_fails),
	    ASYNC(test_refused_port),
	    ASYNC(test_reset_connection),
	    ASYNC(test_stall_times_out),
	    ASYNC(test_malformed_url_reported_later),
	    ASYNC(test_unsupported_scheme),
	    ASYNC(test_concurrent_fetches_overlap),
	    ASYNC(test_big_body_counted),
	    ASYNC(test_cancel_in_flight_no_callback),
	    ASYNC(test_loop_free_cancels_all),
	    ASYNC(test_callback_may_start_a_fetch),
	    ASYNC(test_callback_may_cancel_a_fetch),
	    ASYNC(test_callback_may_free_the_loop),
	    ASYNC(test_reused_handles_start_clean),
	    ASYNC(test_request_options),
	    BLOCKING(test_blocking_ok),
	    BLOCKING(test_blocking_404),
	    BLOCKING(test_blocking_request_options),
	    BLOCKING(test_blocking_500_retry_after),
	    BLOCKING(test_blocking_refused),
	    BLOCKING(test_blocking_stall_times_out),
	    BLOCKING(test_blocking_threads_overlap),
	};
	int failed;

	signal(SIGPIPE, SIG_IGN);
	setenv("no_proxy", "*", 1);
	setenv("NO_PROXY", "*", 1);
	evthread_use_pthreads();
	memset(big_data, 'a', sizeof big_data);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	fetch_global_free();
	libevent_global_shutdown();
	return failed;
}
