/*
 * The demo/test HTTP server (--serve): delays, sized bodies, statuses,
 * redirects, stalls and offline stand-ins for the talk's sites, all on one
 * event loop, so that examples and tests run without a network.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <jansson.h>

#include "clock.h"
#include "escape.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "number.h"
#include "serve.h"
#include "xmalloc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define SERVE_SERVER "asyncdemo/" PACKAGE_VERSION
#define SERVE_TEXT "text/plain; charset=utf-8"
#define SERVE_HTML "text/html; charset=utf-8"
#define SERVE_BINARY "application/octet-stream"
#define SERVE_JSON "application/json"

/* /bytes repeats this pattern; a chunk is a whole number of them (~64 KiB). */
#define SERVE_PATTERN "abcdefghijklmnopqrstuvwxyz0123456789\n"
#define SERVE_PATTERN_LEN (sizeof SERVE_PATTERN - 1)
#define SERVE_CHUNK (SERVE_PATTERN_LEN * 1771)

#define SERVE_MAX_BYTES 10000000000ULL
#define SERVE_MAX_LINES 10000000ULL
#define SERVE_MAX_DELAY 60.0
#define SERVE_MAX_SCALE 10.0
#define SERVE_MAX_HOPS 100
#define SERVE_STALL_LENGTH "1000"
#define SERVE_STALL_BODY "stalling\n\n"
/* Seconds a connection may sit idle or half-sent, as --status allows. */
#define SERVE_TIMEOUT 10
/*
 * Request limits, as --status has them: evhttp answers a larger head 400
 * and a larger body 413 (what /echo could be sent) before any route.
 */
#define SERVE_MAX_HEADERS 16384
#define SERVE_MAX_BODY 65536

/*
 * Stand-ins for the talk's seven sites: page size in bytes and latency in
 * milliseconds, about what their home pages weighed (HTML only) and took to
 * arrive over a home connection, so that examples 5-7 keep their shape.
 */
static const struct serve_site {
	const char *name;
	const char *host;
	size_t size;
	int latency;
} serve_sites[] = {
    {"weather", "weather.com", 210000, 900},
    {"yahoo", "yahoo.com", 450000, 800},
    {"linkedin", "linkedin.com", 90000, 500},
    {"dropbox", "dropbox.com", 60000, 400},
    {"microsoft", "microsoft.com", 180000, 600},
    {"facebook", "facebook.com", 70000, 400},
    {"target", "target.com", 300000, 700},
};
#define SERVE_NSITES (sizeof serve_sites / sizeof serve_sites[0])

/* Reason phrases for /status; other codes get their class's name. */
static const struct serve_reason {
	int code;
	const char *reason;
} serve_reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {413, "Content Too Large"},
    {418, "I'm a teapot"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

static const char *serve_classes[] = {
    "Success", "Redirection", "Client Error", "Server Error"};

static const char serve_index[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\">"
    "<title>asyncdemo demo server</title></head>\n"
    "<body><h1>asyncdemo demo server</h1>\n"
    "<p>asyncdemo runs YAML task lists (delays, CPU work, URLs, files) "
    "on a libevent loop, synchronously, cooperatively, on threads or "
    "asynchronously. This local server stands in for the web so that its "
    "examples and tests run offline: /delay/SECONDS, /bytes/N, /lines/N, "
    "/status/CODE, /redirect/N, /stall, /page/NAME and /echo.</p>\n"
    "</body></html>\n";

struct serve {
	struct event_base *base;
	struct evhttp *http;
	struct event *sigint;
	struct event *sigterm;
	char *block; /* the pattern, from any offset: SERVE_CHUNK readable */
	char *pages[SERVE_NSITES];
};

/* One request being answered: what it needs and how to resume it. */
struct serve_req {
	struct serve *srv;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct event *timer; /* latency, then fire() */
	struct event *watch; /* the client going away while we wait */
	struct evbuffer *chunk;
	void (*fire)(struct serve_req *);
	void (*fill)(struct serve_req *); /* appends the next chunk */
	uint64_t left; /* body bytes still to send */
	uint64_t next; /* next byte offset or line number */
	double seconds;
	size_t site;
};

/* What a route handler gets: the request and the rest of its path. */
struct serve_call {
	struct serve *srv;
	struct evhttp_request *req;
	const char *arg;
	struct evkeyvalq *query;
};

typedef void serve_handler_cb(struct serve_call *);

static serve_handler_cb serve_root, serve_delay, serve_bytes, serve_lines;
static serve_handler_cb serve_status, serve_redirect, serve_redirect_loop;
static serve_handler_cb serve_stall, serve_page, serve_echo;

/*
 * Routes: an exact path, or a prefix whose rest is the argument. Most
 * take GET and HEAD only; any_method ones take every method evhttp knows.
 */
static const struct serve_route {
	const char *path;
	int prefix;
	int any_method;
	serve_handler_cb *handler;
} serve_routes[] = {
    {"/", 0, 0, serve_root},
    {"/delay/", 1, 0, serve_delay},
    {"/bytes/", 1, 0, serve_bytes},
    {"/lines/", 1, 0, serve_lines},
    {"/status/", 1, 0, serve_status},
    {"/redirect/", 1, 0, serve_redirect},
    {"/redirect-loop", 0, 0, serve_redirect_loop},
    {"/stall", 0, 0, serve_stall},
    {"/page/", 1, 0, serve_page},
    {"/echo", 0, 1, serve_echo},
};

/* The methods evhttp 2.1 parses, by name. */
static const struct serve_method {
	enum evhttp_cmd_type cmd;
	const char *name;
} serve_methods[] = {
    {EVHTTP_REQ_GET, "GET"},
    {EVHTTP_REQ_POST, "POST"},
    {EVHTTP_REQ_HEAD, "HEAD"},
    {EVHTTP_REQ_PUT, "PUT"},
    {EVHTTP_REQ_DELETE, "DELETE"},
    {EVHTTP_REQ_OPTIONS, "OPTIONS"},
    {EVHTTP_REQ_TRACE, "TRACE"},
    {EVHTTP_REQ_CONNECT, "CONNECT"},
    {EVHTTP_REQ_PATCH, "PATCH"},
};
#define SERVE_NMETHODS (sizeof serve_methods / sizeof serve_methods[0])

static int
serve_is_head(struct evhttp_request *req)
{
	return evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
}

static void
serve_header(struct evhttp_request *req, const char *key, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), key, value);
}

static void
serve_header_length(struct evhttp_request *req, uint64_t length)
{
	char s[32];

	snprintf(s, sizeof s, "%" PRIu64, length);
	serve_header(req, "Content-Length", s);
}

/* Sends a whole response. evhttp 2.1 would send a body even to HEAD. */
static void
serve_reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, struct evbuffer *body)
{
	size_t length = evbuffer_get_length(body);

	serve_header(req, "Content-Type", type);
	if (serve_is_head(req) || code == 204 || code == 304) {
		if (code != 204 && code != 304)
			serve_header_length(req, length);
		evbuffer_drain(body, length);
	}
	evhttp_send_reply(req, code, reason, body);
}

static void serve_text(struct evhttp_request *, int, const char *, const char *,
    ...) PRINTFLIKE(4, 5);

/* Sends a short text/plain response. */
static void
serve_text(struct evhttp_request *req, int code, const char *reason,
    const char *fmt, ...)
{
	struct evbuffer *body;
	va_list ap;

	if ((body = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	va_start(ap, fmt);
	evbuffer_add_vprintf(body, fmt, ap);
	va_end(ap);
	serve_reply(req, code, reason, SERVE_TEXT, body);
	evbuffer_free(body);
}

/* Parses a route's whole number in [MIN, MAX], or answers 400 and fails. */
static int
serve_uint(struct serve_call *call, const char *what, const char *s,
    unsigned long long min, unsigned long long max, unsigned long long *out)
{
	const char *why;

	if (number_uint(s, min, max, out, &why) == 0)
		return 0;
	serve_text(call->req, 400, NULL, "bad %s: %s (expected %llu to %llu)\n",
	    what, why, min, max);
	return -1;
}

/* Parses a route's number in [0, MAX], or answers 400 and fails. */
static int
serve_real(struct serve_call *call, const char *what, const char *s, double max,
    double *out)
{
	const char *why = "out of range";

	if (number_real(s, out, &why) == 0 && *out >= 0 && *out <= max)
		return 0;
	serve_text(call->req, 400, NULL, "bad %s: %s (expected 0 to %g)\n",
	    what, why, max);
	return -1;
}

static void serve_req_closed(struct evhttp_connection *, void *);

/* Starts the state of a response that outlives its callback. */
static struct serve_req *
serve_req_new(struct serve *srv, struct evhttp_request *req)
{
	struct serve_req *sr;

	sr = xcalloc(1, sizeof *sr);
	sr->srv = srv;
	sr->req = req;
	sr->evcon = evhttp_request_get_connection(req);
	evhttp_connection_set_closecb(sr->evcon, serve_req_closed, sr);
	return sr;
}

/* Frees the state only; the request belongs to evhttp or the caller. */
static void
serve_req_free(struct serve_req *sr)
{
	evhttp_connection_set_closecb(sr->evcon, NULL, NULL);
	if (sr->timer != NULL)
		event_free(sr->timer);
	if (sr->watch != NULL)
		event_free(sr->watch);
	if (sr->chunk != NULL)
		evbuffer_free(sr->chunk);
	free(sr);
}

/*
 * The connection is going away before the response was complete. When the
 * client hung up, evhttp has detached the unfinished request from the
 * connection and no longer frees it: that is left to us. When evhttp itself
 * frees the connection (evhttp_free, or our watch), it frees the request.
 */
static void
serve_req_closed(struct evhttp_connection *evcon, void *arg)
{
	struct serve_req *sr = arg;
	struct evhttp_request *req = sr->req;

	serve_req_free(sr);
	if (evhttp_request_get_connection(req) == NULL)
		evhttp_request_free(req);
}

/*
 * The client sent something or hung up while its response waits. evhttp
 * does not read during a response, so without this a vanished client would
 * hold its state until the wait ends (or forever, for /stall). Like most
 * servers we take a half-close for a hang-up; pipelined requests not yet
 * read by evhttp end the connection too.
 */
static void
serve_req_readable(evutil_socket_t fd, short what, void *arg)
{
	struct serve_req *sr = arg;

	evhttp_connection_free(sr->evcon);
}

static void
serve_req_watch(struct serve_req *sr)
{
	struct bufferevent *bev;

	bev = evhttp_connection_get_bufferevent(sr->evcon);
	sr->watch = event_new(sr->srv->base, bufferevent_getfd(bev), EV_READ,
	    serve_req_readable, sr);
	if (sr->watch == NULL || event_add(sr->watch, NULL) != 0)
		fatalx("cannot watch a connection");
}

static void
serve_req_timer(evutil_socket_t fd, short what, void *arg)
{
	struct serve_req *sr = arg;

	sr->fire(sr);
}

/* Calls FIRE after SECONDS without blocking the loop. */
static void
serve_req_wait(
    struct serve_req *sr, double seconds, void (*fire)(struct serve_req *))
{
	struct timeval tv;

	tv = clock_tv(seconds);
	sr->fire = fire;
	sr->timer = evtimer_new(sr->srv->base, serve_req_timer, sr);
	/* The loop's cached time may be a callback old: count from now. */
	event_base_update_cache_time(sr->srv->base);
	if (sr->timer == NULL || evtimer_add(sr->timer, &tv) != 0)
		fatalx("cannot add a timer");
	serve_req_watch(sr);
}

static void serve_stream_next(struct serve_req *);

static void
serve_stream_written(struct evhttp_connection *evcon, void *arg)
{
	serve_stream_next(arg);
}

/* Sends the next chunk once the last one is written, or ends the reply. */
static void
serve_stream_next(struct serve_req *sr)
{
	struct evhttp_request *req = sr->req;

	if (sr->left != 0 && !serve_is_head(req)) {
		sr->fill(sr);
		evhttp_send_reply_chunk_with_cb(
		    req, sr->chunk, serve_stream_written, sr);
		if (sr->left != 0)
			return;
	}
	serve_req_free(sr);
	evhttp_send_reply_end(req);
}

/*
 * Streams a 200 response of LENGTH bytes made by FILL, a chunk at a time.
 * With Content-Length set, evhttp sends a plain body instead of chunks.
 */
static void
serve_stream(struct serve_req *sr, const char *type, uint64_t length,
    void (*fill)(struct serve_req *))
{
	serve_header(sr->req, "Content-Type", type);
	serve_header_length(sr->req, length);
	sr->left = length;
	sr->fill = fill;
	if ((sr->chunk = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	evhttp_send_reply_start(sr->req, 200, NULL);
	serve_stream_next(sr);
}

/* Adds the next piece of the pattern, by reference: nothing is copied. */
static void
serve_bytes_fill(struct serve_req *sr)
{
	size_t len = SERVE_CHUNK, start = sr->next % SERVE_PATTERN_LEN;

	if (sr->left < len)
		len = (size_t)sr->left;
	evbuffer_add_reference(
	    sr->chunk, sr->srv->block + start, len, NULL, NULL);
	sr->next += len;
	sr->left -= len;
}

/* Adds about a chunk of "line N\n" lines. */
static void
serve_lines_fill(struct serve_req *sr)
{
	struct evbuffer_iovec v;
	char *p, *end;
	int n;

	if (evbuffer_reserve_space(sr->chunk, SERVE_CHUNK, &v, 1) < 1)
		fatalx("evbuffer_reserve_space failed");
	p = v.iov_base;
	end = p + SERVE_CHUNK;
	while (sr->left != 0 && end - p >= 32) {
		n = snprintf(p, 32, "line %" PRIu64 "\n", sr->next++);
		p += n;
		sr->left -= (uint64_t)n;
	}
	v.iov_len = (size_t)(p - (char *)v.iov_base);
	evbuffer_commit_space(sr->chunk, &v, 1);
}

/* The exact size of lines 1..N: "line " + digits + "\n" each. */
static uint64_t
serve_lines_length(uint64_t n)
{
	uint64_t total = 0, low = 1, high, digits = 1;

	for (; low <= n; low *= 10, digits++) {
		high = low * 10 - 1 < n ? low * 10 - 1 : n;
		total += (high - low + 1) * (6 + digits);
	}
	return total;
}

static void
serve_root(struct serve_call *call)
{
	struct evbuffer *body;

	if ((body = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	evbuffer_add_reference(
	    body, serve_index, sizeof serve_index - 1, NULL, NULL);
	serve_reply(call->req, 200, NULL, SERVE_HTML, body);
	evbuffer_free(body);
}

static void
serve_delay_fire(struct serve_req *sr)
{
	struct evhttp_request *req = sr->req;
	double seconds = sr->seconds;

	serve_req_free(sr);
	serve_text(req, 200, NULL, "delayed %g s\n", seconds);
}

/* /delay/SECONDS: 200 after that long, 0 to 60, fractions allowed. */
static void
serve_delay(struct serve_call *call)
{
	struct serve_req *sr;
	double secs;

	if (serve_real(call, "delay", call->arg, SERVE_MAX_DELAY, &secs) != 0)
		return;
	sr = serve_req_new(call->srv, call->req);
	sr->seconds = secs;
	serve_req_wait(sr, secs, serve_delay_fire);
}

/* /bytes/N: N bytes of the repeating pattern, streamed. */
static void
serve_bytes(struct serve_call *call)
{
	unsigned long long n;

	if (serve_uint(call, "size", call->arg, 0, SERVE_MAX_BYTES, &n) != 0)
		return;
	serve_stream(serve_req_new(call->srv, call->req), SERVE_BINARY, n,
	    serve_bytes_fill);
}

/* /lines/N: "line 1" to "line N", streamed. */
static void
serve_lines(struct serve_call *call)
{
	struct serve_req *sr;
	unsigned long long n;

	if (serve_uint(call, "count", call->arg, 0, SERVE_MAX_LINES, &n) != 0)
		return;
	sr = serve_req_new(call->srv, call->req);
	sr->next = 1;
	serve_stream(sr, SERVE_TEXT, serve_lines_length(n), serve_lines_fill);
}

static const char *
serve_reason(int code)
{
	size_t i;

	for (i = 0; i < sizeof serve_reasons / sizeof serve_reasons[0]; i++) {
		if (serve_reasons[i].code == code)
			return serve_reasons[i].reason;
	}
	return serve_classes[code / 100 - 2];
}

/* /status/CODE[?retry_after=S]: that status, 200 to 599. */
static void
serve_status(struct serve_call *call)
{
	const char *retry, *reason;
	unsigned long long code, seconds;

	if (serve_uint(call, "status", call->arg, 200, 599, &code) != 0)
		return;
	retry = evhttp_find_header(call->query, "retry_after");
	if (retry != NULL) {
		if (serve_uint(call, "retry_after", retry, 0, UINT32_MAX,
		        &seconds) != 0)
			return;
		serve_header(call->req, "Retry-After", retry);
	}
	reason = serve_reason((int)code);
	serve_text(call->req, (int)code, reason, "%d %s\n", (int)code, reason);
}

static void
serve_redirect_to(struct evhttp_request *req, const char *location)
{
	serve_header(req, "Location", location);
	serve_text(req, 302, "Found", "redirecting to %s\n", location);
}

/* /redirect/N: N redirects, as httpbin counts them, then /; 0 is /. */
static void
serve_redirect(struct serve_call *call)
{
	unsigned long long n;
	char location[32];

	if (serve_uint(call, "count", call->arg, 0, SERVE_MAX_HOPS, &n) != 0)
		return;
	if (n == 0) {
		serve_root(call);
		return;
	}
	if (n == 1)
		snprintf(location, sizeof location, "/");
	else
		snprintf(location, sizeof location, "/redirect/%llu", n - 1);
	serve_redirect_to(call->req, location);
}

static void
serve_redirect_loop(struct serve_call *call)
{
	serve_redirect_to(call->req, "/redirect-loop");
}

/* /stall: headers and a little of the body, then nothing until hang-up. */
static void
serve_stall(struct serve_call *call)
{
	struct serve_req *sr;
	struct evbuffer *part;

	serve_header(call->req, "Content-Type", SERVE_TEXT);
	serve_header(call->req, "Content-Length", SERVE_STALL_LENGTH);
	evhttp_send_reply_start(call->req, 200, NULL);
	if (serve_is_head(call->req)) {
		evhttp_send_reply_end(call->req);
		return;
	}
	if ((part = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	evbuffer_add(part, SERVE_STALL_BODY, sizeof SERVE_STALL_BODY - 1);
	evhttp_send_reply_chunk(call->req, part);
	evbuffer_free(part);
	sr = serve_req_new(call->srv, call->req);
	serve_req_watch(sr);
}

/* Builds a stand-in page: title first, then paragraphs up to its size. */
static char *
serve_page_make(const struct serve_site *site)
{
	static const char tail[] = "</body></html>\n";
	char *page, para[256];
	size_t used, room = site->size - (sizeof tail - 1);
	unsigned int i;
	int n;

	page = xmalloc(site->size + 1);
	n = snprintf(page, site->size + 1,
	    "<!DOCTYPE html><html><head><title>%s (asyncdemo offline "
	    "stand-in)</title></head>\n<body><h1>%s</h1>\n",
	    site->name, site->host);
	for (used = (size_t)n, i = 1;; i++) {
		n = snprintf(para, sizeof para,
		    "<p>Paragraph %u of the offline stand-in for %s: "
		    "asyncdemo serves it so that the talk's examples run "
		    "without a network.</p>\n",
		    i, site->host);
		if (used + (size_t)n > room)
			break;
		memcpy(page + used, para, (size_t)n);
		used += (size_t)n;
	}
	memset(page + used, ' ', room - used);
	memcpy(page + room, tail, sizeof tail);
	return page;
}

static void
serve_page_fire(struct serve_req *sr)
{
	struct evhttp_request *req = sr->req;
	const char *page = sr->srv->pages[sr->site];
	size_t size = serve_sites[sr->site].size;
	struct evbuffer *body;

	serve_req_free(sr);
	if ((body = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	evbuffer_add_reference(body, page, size, NULL, NULL);
	serve_reply(req, 200, NULL, SERVE_HTML, body);
	evbuffer_free(body);
}

/* /page/NAME[?scale=F]: a site's stand-in after its latency times F. */
static void
serve_page(struct serve_call *call)
{
	struct serve_req *sr;
	const char *s;
	double scale = 1;
	size_t i;

	for (i = 0; i < SERVE_NSITES; i++) {
		if (strcmp(call->arg, serve_sites[i].name) == 0)
			break;
	}
	if (i == SERVE_NSITES) {
		serve_text(call->req, 404, NULL, "no such page\n");
		return;
	}
	s = evhttp_find_header(call->query, "scale");
	if (s != NULL &&
	    serve_real(call, "scale", s, SERVE_MAX_SCALE, &scale) != 0)
		return;
	if (scale == 0) {
		serve_text(
		    call->req, 400, NULL, "bad scale: must be above 0\n");
		return;
	}
	sr = serve_req_new(call->srv, call->req);
	sr->site = i;
	serve_req_wait(
	    sr, serve_sites[i].latency / 1000.0 * scale, serve_page_fire);
}

/*
 * A JSON string of N bytes as valid UTF-8: a byte that is not becomes
 * U+FFFD (a NUL stays, as \u0000).
 */
static json_t *
serve_json_text(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	char *out, *p;
	size_t k;
	json_t *j;

	p = out = xreallocarray(NULL, n + 1, 3);
	while (n > 0) {
		if (*s < 0x80)
			k = 1;
		else if ((k = escape_utf8_len(s, n)) == 0) {
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
			s++;
			n--;
			continue;
		}
		memcpy(p, s, k);
		p += k;
		s += k;
		n -= k;
	}
	if ((j = json_stringn(out, (size_t)(p - out))) == NULL)
		fatalx("json_stringn failed");
	free(out);
	return j;
}

/*
 * The request's headers as one object, each name as first sent; a name
 * sent again (in any case) has its values joined with ", ", as HTTP
 * allows, so that no value is lost to a repeated key.
 */
static json_t *
serve_echo_headers(struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyval *h, *o;
	struct evbuffer *v;
	json_t *obj = json_object(), *key;

	if ((v = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	TAILQ_FOREACH(h, in, next)
	{
		for (o = TAILQ_FIRST(in); o != h; o = TAILQ_NEXT(o, next)) {
			if (strcasecmp(o->key, h->key) == 0)
				break;
		}
		if (o != h)
			continue;
		evbuffer_add(v, h->value, strlen(h->value));
		for (o = TAILQ_NEXT(h, next); o != NULL;
		     o = TAILQ_NEXT(o, next)) {
			if (strcasecmp(o->key, h->key) == 0)
				evbuffer_add_printf(v, ", %s", o->value);
		}
		key = serve_json_text(h->key, strlen(h->key));
		json_object_set_new(obj, json_string_value(key),
		    serve_json_text((const char *)evbuffer_pullup(v, -1),
		        evbuffer_get_length(v)));
		json_decref(key);
		evbuffer_drain(v, evbuffer_get_length(v));
	}
	evbuffer_free(v);
	return obj;
}

/*
 * /echo, any method: 200 with what came, as JSON: method, path (with its
 * query), headers, body (as text, see serve_json_text) and its size in
 * bytes. A body over SERVE_MAX_BODY never gets here: evhttp answers 413.
 */
static void
serve_echo(struct serve_call *call)
{
	struct evhttp_request *req = call->req;
	struct evbuffer *in = evhttp_request_get_input_buffer(req), *body;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *method = "?", *uri = evhttp_request_get_uri(req);
	size_t i, len = evbuffer_get_length(in);
	json_t *o;
	char *s;

	for (i = 0; i < SERVE_NMETHODS; i++) {
		if (serve_methods[i].cmd == cmd)
			method = serve_methods[i].name;
	}
	o = json_object();
	json_object_set_new(o, "method", json_string(method));
	json_object_set_new(o, "path", serve_json_text(uri, strlen(uri)));
	json_object_set_new(o, "headers", serve_echo_headers(req));
	json_object_set_new(o, "body",
	    serve_json_text((const char *)evbuffer_pullup(in, -1), len));
	json_object_set_new(o, "bytes", json_integer((json_int_t)len));
	if ((s = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("json_dumps failed");
	json_decref(o);
	if ((body = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	evbuffer_add_printf(body, "%s\n", s);
	free(s);
	serve_reply(req, 200, NULL, SERVE_JSON, body);
	evbuffer_free(body);
}

/* Finds the route for PATH and the argument that follows its prefix. */
static const struct serve_route *
serve_route_find(const char *path, const char **arg)
{
	const struct serve_route *r;
	size_t i, len;

	for (i = 0; i < sizeof serve_routes / sizeof serve_routes[0]; i++) {
		r = &serve_routes[i];
		len = strlen(r->path);
		if (r->prefix ? strncmp(path, r->path, len) == 0
		              : strcmp(path, r->path) == 0) {
			*arg = path + (r->prefix ? len : 0);
			return r;
		}
	}
	return NULL;
}

/* Every request: method check, query, then its route or 404. */
static void
serve_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const struct serve_route *route;
	struct serve_call call;
	struct evkeyvalq query;
	const char *path, *q;

	serve_header(req, "Server", SERVE_SERVER);
	if ((path = evhttp_uri_get_path(uri)) == NULL)
		path = "";
	route = serve_route_find(path, &call.arg);
	if ((route == NULL || !route->any_method) &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    !serve_is_head(req)) {
		serve_header(req, "Allow", "GET, HEAD");
		serve_text(req, 405, NULL, "method not allowed\n");
		return;
	}
	TAILQ_INIT(&query);
	q = evhttp_uri_get_query(uri);
	if (q != NULL && evhttp_parse_query_str(q, &query) != 0)
		serve_text(req, 400, NULL, "bad query\n");
	else if (route == NULL)
		serve_text(req, 404, NULL, "not found\n");
	else {
		call.srv = arg;
		call.req = req;
		call.query = &query;
		route->handler(&call);
	}
	evhttp_clear_headers(&query);
}

/* Prints where we listen, with the real port: the line scripts wait for. */
static void
serve_print_address(evutil_socket_t fd)
{
	char *url;

	url = listen_url(fd);
	printf("listening on %s\n", url);
	fflush(stdout);
	free(url);
}

/* Listens on ADDR:PORT; prints the address with the port it got. */
static int
serve_listen(struct serve *srv, const char *addrport)
{
	struct evhttp_bound_socket *bound;
	char *cause;
	int rc;

	if ((rc = listen_http(srv->http, addrport, &bound, &cause)) != 0) {
		log_warnx("%s", cause);
		free(cause);
		return rc;
	}
	serve_print_address(evhttp_bound_socket_get_fd(bound));
	return 0;
}

static void
serve_signal(evutil_socket_t sig, short what, void *arg)
{
	struct serve *srv = arg;

	log_debug("serve: signal %d, stopping", (int)sig);
	event_base_loopbreak(srv->base);
}

static struct event *
serve_signal_add(struct serve *srv, int sig)
{
	struct event *ev;

	ev = evsignal_new(srv->base, sig, serve_signal, srv);
	if (ev == NULL || evsignal_add(ev, NULL) != 0)
		fatalx("cannot handle signal %d", sig);
	return ev;
}

/* Fills the pattern block; SERVE_CHUNK bytes can be read from any phase. */
static char *
serve_block_make(void)
{
	size_t i, len = SERVE_CHUNK + SERVE_PATTERN_LEN;
	char *block;

	block = xmalloc(len);
	for (i = 0; i < len; i++)
		block[i] = SERVE_PATTERN[i % SERVE_PATTERN_LEN];
	return block;
}

static struct serve *
serve_new(void)
{
	struct serve *srv;
	size_t i;

	srv = xcalloc(1, sizeof *srv);
	/* Precise timers: /delay/S must not answer a few ms early. */
	srv->base = loop_base_new();
	if ((srv->http = evhttp_new(srv->base)) == NULL)
		fatalx("evhttp_new failed");
	/* Every method reaches serve_request: /echo, or 405 from it. */
	evhttp_set_allowed_methods(srv->http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	        EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(srv->http, SERVE_MAX_HEADERS);
	evhttp_set_max_body_size(srv->http, SERVE_MAX_BODY);
	evhttp_set_timeout(srv->http, SERVE_TIMEOUT);
	evhttp_set_gencb(srv->http, serve_request, srv);
	srv->block = serve_block_make();
	for (i = 0; i < SERVE_NSITES; i++)
		srv->pages[i] = serve_page_make(&serve_sites[i]);
	return srv;
}

/* Frees the server; evhttp_free ends the open connections first. */
static void
serve_free(struct serve *srv)
{
	size_t i;

	evhttp_free(srv->http);
	if (srv->sigint != NULL)
		event_free(srv->sigint);
	if (srv->sigterm != NULL)
		event_free(srv->sigterm);
	for (i = 0; i < SERVE_NSITES; i++)
		free(srv->pages[i]);
	free(srv->block);
	event_base_free(srv->base);
	free(srv);
}

int
serve_main(const char *addrport)
{
	struct serve *srv;
	int status;

	loop_ignore_sigpipe();
	loop_raise_nofile();
	srv = serve_new();
	if ((status = serve_listen(srv, addrport)) == 0) {
		srv->sigint = serve_signal_add(srv, SIGINT);
		srv->sigterm = serve_signal_add(srv, SIGTERM);
		if (event_base_dispatch(srv->base) == -1) {
			log_warnx("event loop failed");
			status = EX_SOFTWARE;
		}
	}
	serve_free(srv);
	return status;
}
