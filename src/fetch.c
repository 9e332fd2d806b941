/*
 * HTTP(S) fetches through libcurl; the only file that includes it, and
 * the one that loads it (dlopen) the first time a fetch needs it.
 *
 * On a loop: one CURLM per fetch_loop, driven by the loop's event_base
 * through CURLMOPT_SOCKETFUNCTION (an event per socket) and
 * CURLMOPT_TIMERFUNCTION (one non-persistent timer), in the shape of curl's
 * docs/examples/multi-event.c. libcurl's callbacks only arm events or
 * record data; finished fetches wait on a list that one event delivers
 * on the next loop turn, so the caller's callback may start, cancel or
 * free anything. Easy handles are reset and reused, as are connections.
 *
 * Blocking: the easy interface on a cached handle per thread, left reset
 * between uses so its connections are reused.
 *
 * Both set a handle up with fetch_setup and read the outcome with
 * fetch_finish.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "clock.h"
#include "fetch.h"
#include "log.h"
#include "preview.h"
#include "xmalloc.h"

#define FETCH_MAX_REDIRECTS 10
#define FETCH_PROTOCOLS "http,https"

/*
 * A transfer whose decoding held a loop turn this long (seconds) pauses
 * until its turn comes again: paused transfers resume one a loop turn.
 */
#define FETCH_SLICE 0.005

/*
 * A host's certificate end, from the handshake of a connection this run
 * opened: a transfer over a connection reused in it gets no certificate
 * from libcurl, but the connection's is that one.
 */
struct fetch_cert {
	struct fetch_cert *next;
	long long expires;
	char key[]; /* scheme://user@host:port of the effective URL */
};

/* What one transfer collects while it runs, on either interface. */
struct fetch_xfer {
	double timeout;
	unsigned limit;
	unsigned long long max_bytes;
	struct fetch *fetch; /* on a loop; NULL when blocking */
	int (*stopped)(void *);
	void *stop_arg;
	int too_big;
	struct preview *preview;
	unsigned long long bytes;
	int keep_body;
	char *body; /* keep_body: the final response's decoded body */
	size_t body_len;
	size_t body_cap;
	struct curl_slist *headers; /* the request's, freed after it */
	char retry_after[64]; /* the final response's header value */
	char errbuf[CURL_ERROR_SIZE];
};

struct fetch {
	struct fetch_loop *loop;
	CURL *easy; /* non-NULL while in the multi */
	struct event *watchdog; /* its timeout, should libcurl's timer lapse */
	unsigned long turn; /* the loop turn of its first write in it */
	double slice; /* when that was */
	int paused; /* on the loop's paused list */
	int resuming; /* its first write goes through, whatever the turn */
	struct fetch_xfer xfer;
	struct fetch_result result;
	int finished; /* on the done list, waiting for delivery */
	fetch_cb cb;
	void *arg;
	TAILQ_ENTRY(fetch) entry;
	TAILQ_ENTRY(fetch) done_entry;
	TAILQ_ENTRY(fetch) paused_entry;
};

/* Easy handles kept for reuse, at most. */
#define FETCH_SPARE_MAX 1024

struct fetch_loop {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct event *deliver; /* made active when fetches finish */
	int delivering;
	int dying; /* freed by a callback while delivering */
	unsigned long turn; /* counts the loop turns that called libcurl */
	int in_turn; /* turn is counted; turn_end clears it next turn */
	CURLMcode broken; /* curl_multi_assign failed: fail every fetch */
	struct event *turn_end;
	TAILQ_HEAD(, fetch)
	paused; /* decoding held a turn: one resumes a turn */
	struct event *resume;
	TAILQ_HEAD(, fetch) fetches;
	TAILQ_HEAD(, fetch) done;
	CURL **spare;
	size_t nspare;
	struct fetch_cert *certs; /* of the connections it opened */
};

/* CURLcodes with a fixed message, some followed by curl's detail. */
static const struct fetch_error_entry {
	CURLcode code;
	const char *message;
	int detail;
	int retryable;
} fetch_errors[] = {
    {CURLE_UNSUPPORTED_PROTOCOL, "unsupported URL scheme", 0, 0},
    {CURLE_URL_MALFORMAT, "malformed URL", 1, 0},
    {CURLE_GOT_NOTHING, "empty reply from server", 0, 1},
    {CURLE_PARTIAL_FILE, "connection closed early", 1, 1},
    {CURLE_WEIRD_SERVER_REPLY, "malformed response", 1, 0},
    {CURLE_BAD_CONTENT_ENCODING, "bad content encoding", 1, 0},
    {CURLE_HTTP2, "HTTP/2 error", 1, 1},
    {CURLE_HTTP2_STREAM, "HTTP/2 error", 1, 1},
    {CURLE_SSL_CONNECT_ERROR, "TLS error", 1, 0},
    {CURLE_PEER_FAILED_VERIFICATION, "TLS error", 1, 0},
    {CURLE_SSL_CERTPROBLEM, "TLS error", 1, 0},
    {CURLE_SSL_CIPHER, "TLS error", 1, 0},
    {CURLE_SSL_CACERT_BADFILE, "TLS error", 1, 0},
    {CURLE_SSL_CRL_BADFILE, "TLS error", 1, 0},
    {CURLE_SSL_ISSUER_ERROR, "TLS error", 1, 0},
    {CURLE_SSL_PINNEDPUBKEYNOTMATCH, "TLS error", 1, 0},
    {CURLE_SSL_INVALIDCERTSTATUS, "TLS error", 1, 0},
    {CURLE_SSL_SHUTDOWN_FAILED, "TLS error", 1, 0},
    {CURLE_SSL_ENGINE_NOTFOUND, "TLS error", 1, 0},
    {CURLE_SSL_ENGINE_SETFAILED, "TLS error", 1, 0},
    {CURLE_SSL_ENGINE_INITFAILED, "TLS error", 1, 0},
    {CURLE_USE_SSL_FAILED, "TLS error", 1, 0},
};

/*
 * libcurl is loaded when the first fetch needs it: with the thirty-odd
 * libraries under it (TLS, HTTP/2, LDAP, Kerberos, ...) it is most of a
 * start-up's time, which runs without a url task and -n never pay.
 */
/* clang-format off */
#define FETCH_CURL_CALLS(X) \
	X(easy_cleanup) X(easy_getinfo) X(easy_init) X(easy_pause) X(easy_perform) \
	X(easy_reset) X(easy_setopt) X(easy_strerror) X(free) \
	X(getdate) X(global_cleanup) X(slist_append) X(slist_free_all) X(global_init) X(multi_add_handle) \
	X(multi_assign) X(multi_cleanup) X(multi_info_read) X(multi_init) \
	X(multi_remove_handle) X(multi_setopt) X(multi_socket_action) X(multi_strerror) \
	X(url) X(url_cleanup) X(url_get) X(url_set) \
	X(version_info)
/* clang-format on */

static struct {
#define FETCH_CURL_POINTER(f) __typeof__(curl_##f) *f;
	FETCH_CURL_CALLS(FETCH_CURL_POINTER)
#undef FETCH_CURL_POINTER
} libcurl;

/* Newer than the oldest libcurl we take (7.80): NULL when it lacks it. */
static const char *(*fetch_url_strerror)(CURLUcode);

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static int fetch_loaded;
static char fetch_load_error[512];

/* ASYNCDEMO_LIBCURL names another libcurl to load, if set. */
static void
fetch_load(void)
{
	const curl_version_info_data *v;
	const char *name = getenv("ASYNCDEMO_LIBCURL");
	void *lib, *sym;

	if (name == NULL || *name == '\0')
		name = LIBCURL_SONAME;
	if ((lib = dlopen(name, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(fetch_load_error, sizeof fetch_load_error,
		    "url tasks need libcurl: %s", dlerror());
		return;
	}
#define FETCH_CURL_SYMBOL(f)                                                   \
	if ((sym = dlsym(lib, "curl_" #f)) == NULL) {                          \
		snprintf(fetch_load_error, sizeof fetch_load_error,            \
		    "url tasks need libcurl: %s has no curl_%s", name, #f);    \
		dlclose(lib);                                                  \
		return;                                                        \
	}                                                                      \
	memcpy(&libcurl.f, &sym, sizeof sym);
	FETCH_CURL_CALLS(FETCH_CURL_SYMBOL)
#undef FETCH_CURL_SYMBOL
	if ((sym = dlsym(lib, "curl_url_strerror")) != NULL)
		memcpy(&fetch_url_strerror, &sym, sizeof sym);
	if (libcurl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(fetch_load_error, sizeof fetch_load_error,
		    "url tasks need libcurl: curl_global_init failed");
		return;
	}
	v = libcurl.version_info(CURLVERSION_NOW);
	if (~v->features & CURL_VERSION_ASYNCHDNS)
		log_warnx("libcurl %s lacks asynchronous DNS", v->version);
	fetch_loaded = 1;
}

/* Load libcurl if it is not yet: 0, or -1 with why it cannot be. */
int
fetch_available(char **cause)
{
	pthread_once(&fetch_once, fetch_load);
	if (fetch_loaded)
		return 0;
	*cause = xstrdup(fetch_load_error);
	return -1;
}

/*
 * Does libcurl's own URL parser take url? 0, or -1 with why. Without
 * libcurl it says 0: a run that needs libcurl says then that it is missing.
 */
int
fetch_check_url(const char *url, char **why)
{
	CURLUcode rc;
	CURLU *u;
	char *cause;

	if (fetch_available(&cause) != 0) {
		free(cause);
		return 0;
	}
	if ((u = libcurl.url()) == NULL)
		fatalx("curl_url: out of memory");
	rc = libcurl.url_set(u, CURLUPART_URL, url, 0);
	libcurl.url_cleanup(u);
	if (rc == CURLUE_OK)
		return 0;
	if (fetch_url_strerror != NULL)
		*why = xprintf(
		    "libcurl cannot parse it: %s", fetch_url_strerror(rc));
	else
		*why = xprintf("libcurl cannot parse it (CURLUcode %d)", rc);
	return -1;
}

/* Load and set libcurl up on first use, from any thread. */
static void
fetch_init(void)
{
	char *cause;

	if (fetch_available(&cause) != 0)
		fatalx("%s", cause);
}

/* This thread's handle for fetch_blocking, and its hosts' certificates. */
static __thread CURL *fetch_easy;
static __thread struct fetch_cert *fetch_easy_certs;

static void
fetch_certs_free(struct fetch_cert **certs)
{
	struct fetch_cert *c;

	while ((c = *certs) != NULL) {
		*certs = c->next;
		free(c);
	}
}

/* Free libcurl's global state, if it was ever loaded; at the end. */
void
fetch_global_free(void)
{
	if (fetch_loaded)
		libcurl.global_cleanup();
}

const char *
fetch_user_agent(void)
{
	return "asyncdemo/" PACKAGE_VERSION;
}

/* Free a result's strings and empty it. */
void
fetch_result_clear(struct fetch_result *r)
{
	free(r->preview);
	free(r->error);
	free(r->body);
	memset(r, 0, sizeof *r);
	r->retry_after = -1;
}

/* Forget any earlier response: a redirect or 1xx is not the final one. */
static void
fetch_xfer_reset(struct fetch_xfer *x)
{
	preview_free(x->preview);
	x->preview = preview_new(x->limit);
	x->bytes = 0;
	x->body_len = 0;
	x->retry_after[0] = '\0';
}

/* Free what a transfer holds once its handle no longer points at it. */
static void
fetch_xfer_free(struct fetch_xfer *x)
{
	preview_free(x->preview);
	x->preview = NULL;
	free(x->body);
	x->body = NULL;
	x->body_len = x->body_cap = 0;
	if (x->headers != NULL)
		libcurl.slist_free_all(x->headers);
	x->headers = NULL;
}

/* Keep len more bytes of the body, NUL-ended (keep_body). */
static void
fetch_keep(struct fetch_xfer *x, const char *data, size_t len)
{
	size_t cap;

	if (!x->keep_body || len == 0)
		return;
	if (x->body_cap - x->body_len <= len) {
		cap = x->body_cap == 0 ? 4096 : x->body_cap;
		while (cap - x->body_len <= len)
			cap *= 2;
		x->body = xreallocarray(x->body, cap, 1);
		x->body_cap = cap;
	}
	memcpy(x->body + x->body_len, data, len);
	x->body_len += len;
	x->body[x->body_len] = '\0';
}

/*
 * On a loop: has this transfer's decoding held the loop turn FETCH_SLICE?
 * Then it pauses, and waits with the others that did for its turn to
 * resume: a small body that inflates to gigabytes, or many of them, must
 * not hold every other task back. A resumed one makes progress at once.
 */
static int
fetch_pause(struct fetch *f)
{
	static const struct timeval now = {0, 0};
	struct fetch_loop *loop = f->loop;
	double t = clock_now();

	if (f->resuming) {
		f->resuming = 0;
		f->turn = loop->turn;
		f->slice = t;
		return 0;
	}
	if (f->turn != loop->turn) {
		f->turn = loop->turn;
		f->slice = t;
		return 0;
	}
	if (t - f->slice < FETCH_SLICE)
		return 0;
	if (!f->paused) {
		TAILQ_INSERT_TAIL(&loop->paused, f, paused_entry);
		f->paused = 1;
	}
	if (!evtimer_pending(loop->resume, NULL))
		evtimer_add(loop->resume, &now);
	return 1;
}

/*
 * Count and preview the decoded body (CURLOPT_WRITEFUNCTION). A body over
 * max_bytes ends the transfer; on a loop, decoding may pause it.
 */
static size_t
fetch_write(char *data, size_t size, size_t n, void *arg)
{
	struct fetch_xfer *x = arg;
	struct fetch *f = x->fetch;
	size_t len = size * n;

	if (f != NULL && fetch_pause(f))
		return CURL_WRITEFUNC_PAUSE;
	if (x->max_bytes > 0 && len > x->max_bytes - x->bytes) {
		/* Take it up to the limit, whatever the chunks: then refuse. */
		preview_add(x->preview, data, x->max_bytes - x->bytes);
		fetch_keep(x, data, x->max_bytes - x->bytes);
		x->bytes = x->max_bytes;
		x->too_big = 1;
		return 0;
	}
	x->bytes += len;
	preview_add(x->preview, data, len);
	fetch_keep(x, data, len);
	return len;
}

/* Blocking: end a transfer that a stop cancelled (XFERINFOFUNCTION). */
static int
fetch_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct fetch_xfer *x = arg;

	return x->stopped != NULL && x->stopped(x->stop_arg);
}

/* Copy a header's value, without surrounding blanks, if it fits. */
static void
fetch_header_value(char *dst, size_t size, const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
		len--;
	if (len >= size)
		len = 0;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* Note each new response and its Retry-After (CURLOPT_HEADERFUNCTION). */
static size_t
fetch_header(char *line, size_t size, size_t n, void *arg)
{
	static const char name[] = "retry-after:";
	struct fetch_xfer *x = arg;
	size_t len = size * n, skip = sizeof name - 1;

	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0)
		fetch_xfer_reset(x);
	else if (len >= skip && strncasecmp(line, name, skip) == 0) {
		fetch_header_value(x->retry_after, sizeof x->retry_after,
		    line + skip, len - skip);
	}
	return len;
}

/*
 * Whole milliseconds for a timeout in seconds, rounded up so that a tiny
 * one is not none; 0 for none (connecting keeps libcurl's 300 s limit).
 */
static long
fetch_ms(double seconds)
{
	double ms;

	if (!(seconds > 0))
		return 0;
	ms = ceil(seconds * 1000);
	return ms >= (double)LONG_MAX ? LONG_MAX : (long)ms;
}

/* Keep the first failure of a series of calls. */
static void
fetch_check(CURLcode *rc, CURLcode r)
{
	if (*rc == CURLE_OK)
		*rc = r;
}

/* The policy every fetch shares: redirects, protocols, timeouts. */
static CURLcode
fetch_setup_policy(CURL *easy, double timeout)
{
	CURLcode rc = CURLE_OK;

	fetch_check(&rc, libcurl.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L));
	fetch_check(&rc, libcurl.easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L));
	fetch_check(&rc,
	    libcurl.easy_setopt(
	        easy, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRECTS));
	fetch_check(
	    &rc, libcurl.easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, ""));
	/*
	 * 4 KiB a read: gzip inflates one to 4 MiB at most (a brotli bomb
	 * more), which libcurl decodes in one go whatever the write callback
	 * says; 16 KiB would hold the loop four times as long. Bulk downloads
	 * pay a few more reads, checks and pages nothing.
	 */
	fetch_check(&rc, libcurl.easy_setopt(easy, CURLOPT_BUFFERSIZE, 4096L));
	fetch_check(&rc,
	    libcurl.easy_setopt(easy, CURLOPT_USERAGENT, fetch_user_agent()));
	fetch_check(&rc,
	    libcurl.easy_setopt(easy, CURLOPT_TIMEOUT_MS, fetch_ms(timeout)));
	fetch_check(&rc,
	    libcurl.easy_setopt(
	        easy, CURLOPT_CONNECTTIMEOUT_MS, fetch_ms(timeout)));
	/* Without HTTP/2 in libcurl this fails and HTTP/1.1 is right. */
	libcurl.easy_setopt(
	    easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
#if LIBCURL_VERSION_NUM >= 0x075500
	fetch_check(&rc,
	    libcurl.easy_setopt(easy, CURLOPT_PROTOCOLS_STR, FETCH_PROTOCOLS));
	fetch_check(&rc,
	    libcurl.easy_setopt(
	        easy, CURLOPT_REDIR_PROTOCOLS_STR, FETCH_PROTOCOLS));
#else
	fetch_check(&rc,
	    libcurl.easy_setopt(easy, CURLOPT_PROTOCOLS,
	        (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
	fetch_check(&rc,
	    libcurl.easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS,
	        (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
#endif
	return rc;
}

/* Is url https? Then libcurl collects its certificates. */
static int
fetch_is_https(const char *url)
{
	return strncasecmp(url, "https:", 6) == 0;
}

/*
 * The request as asked: method, headers, body, TLS files. A body without
 * a method is a POST; POST goes through POSTFIELDS (a 301, 302 or 303 then
 * turns it into a GET, as curl does), the others name their method.
 */
static CURLcode
fetch_setup_request(CURL *easy, const char *url, const struct fetch_opts *opts,
    struct fetch_xfer *x)
{
	CURLcode rc = CURLE_OK;
	const char *m = opts->method;
	char *const *h;
	struct curl_slist *l;

	if (opts->body != NULL || (m != NULL && strcmp(m, "POST") == 0)) {
		fetch_check(&rc,
		    libcurl.easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
		        (curl_off_t)(opts->body != NULL ? strlen(opts->body)
		                                        : 0)));
		fetch_check(&rc,
		    libcurl.easy_setopt(easy, CURLOPT_POSTFIELDS,
		        opts->body != NULL ? opts->body : ""));
	}
	if (m != NULL && strcmp(m, "HEAD") == 0)
		fetch_check(&rc, libcurl.easy_setopt(easy, CURLOPT_NOBODY, 1L));
	else if (m != NULL && strcmp(m, "POST") != 0 &&
	    (strcmp(m, "GET") != 0 || opts->body != NULL))
		fetch_check(
		    &rc, libcurl.easy_setopt(easy, CURLOPT_CUSTOMREQUEST, m));
	for (h = opts->headers; h != NULL && *h != NULL; h++) {
		if ((l = libcurl.slist_append(x->headers, *h)) == NULL)
			return CURLE_OUT_OF_MEMORY;
		x->headers = l;
	}
	if (x->headers != NULL)
		fetch_check(&rc,
		    libcurl.easy_setopt(easy, CURLOPT_HTTPHEADER, x->headers));
	if (opts->ca_file != NULL)
		fetch_check(&rc,
		    libcurl.easy_setopt(easy, CURLOPT_CAINFO, opts->ca_file));
	if (opts->client_cert != NULL)
		fetch_check(&rc,
		    libcurl.easy_setopt(
		        easy, CURLOPT_SSLCERT, opts->client_cert));
	if (opts->client_key != NULL)
		fetch_check(&rc,
		    libcurl.easy_setopt(
		        easy, CURLOPT_SSLKEY, opts->client_key));
	if (opts->insecure) {
		fetch_check(
		    &rc, libcurl.easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L));
		fetch_check(
		    &rc, libcurl.easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L));
	}
	if (fetch_is_https(url))
		fetch_check(
		    &rc, libcurl.easy_setopt(easy, CURLOPT_CERTINFO, 1L));
	return rc;
}

/* Set a handle up to fetch url into x; priv is its CURLOPT_PRIVATE. */
static CURLcode
fetch_setup(CURL *easy, const char *url, const struct fetch_opts *opts,
    struct fetch_xfer *x, void *priv)
{
	CURLcode rc;

	memset(x, 0, sizeof *x);
	x->timeout = opts->timeout;
	x->limit = opts->preview;
	x->max_bytes = opts->max_bytes;
	x->stopped = opts->stopped;
	x->stop_arg = opts->stop_arg;
	x->keep_body = opts->keep_body;
	fetch_xfer_reset(x);

	rc = fetch_setup_policy(easy, opts->timeout);
	fetch_check(&rc, fetch_setup_request(easy, url, opts, x));
	fetch_check(&rc, libcurl.easy_setopt(easy, CURLOPT_URL, url));
	fetch_check(&rc, libcurl.easy_setopt(easy, CURLOPT_PRIVATE, priv));
	fetch_check(
	    &rc, libcurl.easy_setopt(easy, CURLOPT_ERRORBUFFER, x->errbuf));
	fetch_check(
	    &rc, libcurl.easy_setopt(easy, CURLOPT_WRITEFUNCTION, fetch_write));
	fetch_check(&rc, libcurl.easy_setopt(easy, CURLOPT_WRITEDATA, x));
	fetch_check(&rc,
	    libcurl.easy_setopt(easy, CURLOPT_HEADERFUNCTION, fetch_header));
	fetch_check(&rc, libcurl.easy_setopt(easy, CURLOPT_HEADERDATA, x));
	if (x->stopped != NULL) {
		fetch_check(&rc,
		    libcurl.easy_setopt(
		        easy, CURLOPT_XFERINFOFUNCTION, fetch_progress));
		fetch_check(
		    &rc, libcurl.easy_setopt(easy, CURLOPT_XFERINFODATA, x));
		fetch_check(
		    &rc, libcurl.easy_setopt(easy, CURLOPT_NOPROGRESS, 0L));
	}
	return rc;
}

/* Seconds from a Retry-After value (delta-seconds or HTTP-date), or -1. */
static double
fetch_retry_after(const char *s)
{
	unsigned long long n;
	char *end;
	time_t t;

	if (*s >= '0' && *s <= '9') {
		n = strtoull(s, &end, 10);
		return *end == '\0' ? (double)n : -1;
	}
	if (*s == '\0' || (t = libcurl.getdate(s, NULL)) == -1)
		return -1;
	return fmax(difftime(t, time(NULL)), 0);
}

/* The message for a failure to connect, send or receive. */
static char *
fetch_error_socket(CURL *easy, CURLcode code, const char *detail)
{
	long error = 0;

	libcurl.easy_getinfo(easy, CURLINFO_OS_ERRNO, &error);
	switch (error) {
	case ECONNREFUSED:
		return xstrdup("connection refused");
	case ECONNRESET:
	case EPIPE:
		return xstrdup("connection reset");
	case ENETUNREACH:
		return xstrdup("network unreachable");
	case EHOSTUNREACH:
		return xstrdup("host unreachable");
	}
	/*
	 * No system error: a TLS alert (the server wants a client
	 * certificate), or the server's bytes were not valid HTTP.
	 */
	if (error == 0 && strstr(detail, "SSL") != NULL)
		return xprintf("TLS error: %s", detail);
	if (error == 0 && code == CURLE_RECV_ERROR)
		return xprintf("malformed response: %s", detail);
	if (code == CURLE_COULDNT_CONNECT)
		return xprintf("could not connect: %s", detail);
	return xprintf("connection failed: %s", detail);
}

/* The message for a host name that did not resolve, naming it. */
static char *
fetch_error_resolve(CURL *easy, const char *detail)
{
	char *url = NULL, *host = NULL, *msg;
	CURLU *u;

	libcurl.easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url);
	if (url == NULL || (u = libcurl.url()) == NULL)
		return xprintf("could not resolve host: %s", detail);
	if (libcurl.url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    libcurl.url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		msg = xprintf("could not resolve host '%s'", host);
	else
		msg = xprintf("could not resolve host: %s", detail);
	libcurl.free(host);
	libcurl.url_cleanup(u);
	return msg;
}

/* A clear message for a failed transfer, and whether to try again. */
static char *
fetch_error(
    CURL *easy, CURLcode code, const struct fetch_xfer *x, int *retryable)
{
	const struct fetch_error_entry *e;
	const char *detail;
	size_t i;

	detail = x->errbuf[0] != '\0' ? x->errbuf : libcurl.easy_strerror(code);
	*retryable = 0;
	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		*retryable = 1;
		return fetch_error_socket(easy, code, detail);
	case CURLE_OPERATION_TIMEDOUT:
		*retryable = 1;
		if (x->timeout > 0)
			return xprintf("timed out after %g s", x->timeout);
		return xstrdup("timed out");
	case CURLE_COULDNT_RESOLVE_HOST:
		return fetch_error_resolve(easy, detail);
	case CURLE_WRITE_ERROR:
		if (x->too_big)
			return xprintf("the body is over max_bytes (%llu bytes "
			               "once decoded)",
			    x->max_bytes);
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		return xstrdup("stopped before it finished");
	case CURLE_TOO_MANY_REDIRECTS:
		return xprintf(
		    "too many redirects (more than %d)", FETCH_MAX_REDIRECTS);
	case CURLE_UNSUPPORTED_PROTOCOL:
		/* libcurl's answer, too, to a reply with no HTTP status line. */
		if (strstr(detail, "HTTP/0.9") != NULL)
			return xprintf(
			    "malformed response: not HTTP (%s)", detail);
		break;
	default:
		break;
	}
	for (i = 0; i < sizeof fetch_errors / sizeof fetch_errors[0]; i++) {
		e = &fetch_errors[i];
		if (e->code != code)
			continue;
		*retryable = e->retryable;
		if (e->detail)
			return xprintf("%s: %s", e->message, detail);
		return xstrdup(e->message);
	}
	return xprintf("curl: %s", detail);
}

/* The times libcurl took, cumulative from the start, in seconds. */
static void
fetch_timings(CURL *easy, struct fetch_result *r)
{
	static const CURLINFO info[FETCH_TIMINGS] = {CURLINFO_NAMELOOKUP_TIME_T,
	    CURLINFO_CONNECT_TIME_T, CURLINFO_APPCONNECT_TIME_T,
	    CURLINFO_STARTTRANSFER_TIME_T, CURLINFO_TOTAL_TIME_T};
	const char *scheme = NULL;
	curl_off_t us;
	size_t i;

	for (i = 0; i < FETCH_TIMINGS; i++) {
		if (libcurl.easy_getinfo(easy, info[i], &us) != CURLE_OK)
			return;
		r->timings[i] = (double)us / 1e6;
	}
	if (libcurl.easy_getinfo(easy, CURLINFO_SCHEME, &scheme) != CURLE_OK ||
	    scheme == NULL || strcasecmp(scheme, "https") != 0)
		r->timings[FETCH_TLS] = -1;
	r->has_timings = 1;
}

/*
 * A certificate's "Expire date" as libcurl writes it: "Dec 30 02:10:02
 * 2026 GMT" (OpenSSL) or "2026-12-30 02:10:02 GMT" (its own parser). Unix
 * time, or 0.
 */
static long long
fetch_cert_date(const char *s)
{
	struct tm tm;
	time_t t;

	while (*s == ' ')
		s++;
	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
	        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
		tm.tm_year -= 1900;
		tm.tm_mon--;
		t = timegm(&tm);
	} else
		t = libcurl.getdate(s, NULL);
	return t == -1 ? 0 : (long long)t;
}

/*
 * The earliest end of the certificates the server sent, or 0: from this
 * transfer's handshake, else from the one that opened its connection.
 */
static long long
fetch_cert_expires(CURL *easy, struct fetch_cert **certs)
{
	static const char name[] = "Expire date:";
	struct curl_certinfo *ci = NULL;
	struct curl_slist *l;
	struct fetch_cert *c;
	const char *url = NULL, *p;
	long long t, min = 0;
	size_t len;
	int i;

	if (libcurl.easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url) !=
	        CURLE_OK ||
	    url == NULL || !fetch_is_https(url))
		return 0;
	p = strstr(url, "://");
	len = p != NULL ? (size_t)(p + 3 - url) + strcspn(p + 3, "/?#") : 0;
	if (libcurl.easy_getinfo(easy, CURLINFO_CERTINFO, &ci) != CURLE_OK)
		ci = NULL;
	for (i = 0; ci != NULL && i < ci->num_of_certs; i++) {
		for (l = ci->certinfo[i]; l != NULL; l = l->next) {
			if (strncmp(l->data, name, sizeof name - 1) != 0)
				continue;
			t = fetch_cert_date(l->data + sizeof name - 1);
			if (t != 0 && (min == 0 || t < min))
				min = t;
		}
	}
	for (c = *certs; c != NULL; c = c->next) {
		if (strlen(c->key) == len && strncmp(c->key, url, len) == 0)
			break;
	}
	if (min == 0)
		return c != NULL ? c->expires : 0;
	if (c == NULL && len > 0) {
		c = xcalloc(1, sizeof *c + len + 1);
		memcpy(c->key, url, len);
		c->next = *certs;
		*certs = c;
	}
	if (c != NULL)
		c->expires = min;
	return min;
}

/* Turn a finished transfer into r; read before the handle is removed. */
static void
fetch_finish(CURL *easy, CURLcode code, struct fetch_xfer *x,
    struct fetch_result *r, struct fetch_cert **certs)
{
	long status = 0;

	memset(r, 0, sizeof *r);
	if (libcurl.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK)
		status = 0;
	r->status = status;
	r->bytes = x->bytes;
	r->preview = preview_finish(x->preview);
	x->preview = NULL;
	r->retry_after = fetch_retry_after(x->retry_after);
	r->cancelled = code == CURLE_ABORTED_BY_CALLBACK;
	r->unresolved = code == CURLE_COULDNT_RESOLVE_HOST;
	r->complete = code == CURLE_OK;
	r->body = x->body;
	r->body_len = x->body_len;
	x->body = NULL;
	x->body_len = x->body_cap = 0;
	if (x->keep_body && r->body == NULL)
		r->body = xstrdup("");
	fetch_timings(easy, r);
	r->cert_expires = fetch_cert_expires(easy, certs);
	if (code != CURLE_OK)
		r->error = fetch_error(easy, code, x, &r->retryable);
	else if (status < 200 || status > 299) {
		r->error = xprintf("HTTP %ld", status);
		r->retryable = status == 429 || status >= 500;
	} else
		r->ok = 1;
}

/* Fetch url on this thread, waiting for it; 0 if ok, else -1. */
int
fetch_blocking(
    const char *url, const struct fetch_opts *opts, struct fetch_result *r)
{
	struct fetch_xfer x;
	CURLcode rc;

	fetch_init();
	if (fetch_easy == NULL && (fetch_easy = libcurl.easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	if ((rc = fetch_setup(fetch_easy, url, opts, &x, &x)) == CURLE_OK)
		rc = libcurl.easy_perform(fetch_easy);
	fetch_finish(fetch_easy, rc, &x, r, &fetch_easy_certs);
	/*
	 * Keep the connections, forget the pointers into x. A handle whose
	 * transfer failed is not used again: libcurl (7.88) refuses
	 * CURLOPT_BUFFERSIZE on one that failed to resolve, and every later
	 * fetch on it would fail as "a bad argument".
	 */
	if (rc != CURLE_OK) {
		libcurl.easy_cleanup(fetch_easy);
		fetch_easy = NULL;
	} else
		libcurl.easy_reset(fetch_easy);
	fetch_xfer_free(&x);
	return r->ok ? 0 : -1;
}

/*
 * Free this thread's handle and its connections: at the end of a run, so
 * that the next opens its own.
 */
void
fetch_thread_done(void)
{
	if (fetch_easy != NULL) {
		libcurl.easy_cleanup(fetch_easy);
		fetch_easy = NULL;
	}
	fetch_certs_free(&fetch_easy_certs);
}

/* A handle from the spares, or a new one. */
static CURL *
fetch_easy_get(struct fetch_loop *loop)
{
	CURL *easy;

	if (loop->nspare > 0)
		return loop->spare[--loop->nspare];
	if ((easy = libcurl.easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	return easy;
}

/*
 * Take easy out of the multi: 0, or -1 (said) when libcurl refuses, and
 * then easy is not to be kept.
 */
static int
fetch_easy_remove(struct fetch_loop *loop, CURL *easy)
{
	CURLMcode mrc;

	mrc = libcurl.multi_remove_handle(loop->multi, easy);
	if (mrc == CURLM_OK)
		return 0;
	log_warnx("curl_multi_remove_handle: %s", libcurl.multi_strerror(mrc));
	return -1;
}

/* Out of the multi, reset and kept for the next fetch (or freed). */
static void
fetch_easy_put(struct fetch_loop *loop, CURL *easy)
{
	if (fetch_easy_remove(loop, easy) != 0 ||
	    loop->nspare == FETCH_SPARE_MAX) {
		/* curl_easy_cleanup takes it out of a multi, too. */
		libcurl.easy_cleanup(easy);
		return;
	}
	libcurl.easy_reset(easy);
	loop->spare[loop->nspare++] = easy;
}

/* Free a fetch, taking it out of the multi; its callback is never called. */
static void
fetch_free(struct fetch *f)
{
	if (f->easy != NULL)
		fetch_easy_put(f->loop, f->easy);
	if (f->finished)
		TAILQ_REMOVE(&f->loop->done, f, done_entry);
	if (f->paused)
		TAILQ_REMOVE(&f->loop->paused, f, paused_entry);
	if (f->watchdog != NULL)
		event_free(f->watchdog);
	TAILQ_REMOVE(&f->loop->fetches, f, entry);
	fetch_xfer_free(&f->xfer);
	fetch_result_clear(&f->result);
	free(f);
}

/*
 * Hand finished fetches' results to their callbacks, from the loop and
 * outside libcurl. A callback may free the whole fetch_loop.
 */
static void
fetch_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_loop *loop = arg;
	struct fetch_result r;
	struct fetch *f;
	fetch_cb cb;
	void *cbarg;

	loop->delivering = 1;
	while (!loop->dying && (f = TAILQ_FIRST(&loop->done)) != NULL) {
		r = f->result;
		cb = f->cb;
		cbarg = f->arg;
		memset(&f->result, 0, sizeof f->result);
		fetch_free(f);
		cb(&r, cbarg);
	}
	loop->delivering = 0;
	if (loop->dying)
		fetch_loop_free(loop);
}

/*
 * Finish a fetch whose transfer is over, or never started (removing a
 * handle that is not in the multi does nothing), and queue its callback.
 */
static void
fetch_done(struct fetch *f, CURLcode code)
{
	struct fetch_loop *loop = f->loop;

	fetch_finish(f->easy, code, &f->xfer, &f->result, &loop->certs);
	/* A failed handle is not kept (fetch_blocking says why). */
	if (code != CURLE_OK) {
		fetch_easy_remove(loop, f->easy);
		libcurl.easy_cleanup(f->easy);
	} else
		fetch_easy_put(loop, f->easy);
	f->easy = NULL;
	fetch_xfer_free(&f->xfer);
	if (f->paused) {
		TAILQ_REMOVE(&loop->paused, f, paused_entry);
		f->paused = 0;
	}
	f->finished = 1;
	TAILQ_INSERT_TAIL(&loop->done, f, done_entry);
	event_active(loop->deliver, EV_TIMEOUT, 0);
}

/* The loop turn that called libcurl is over. */
static void
fetch_loop_turn_end(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_loop *loop = arg;

	loop->in_turn = 0;
}

/*
 * libcurl is called from the loop: the first call of a loop turn counts
 * a new turn, which a timer of 0 s ends.
 */
static void
fetch_loop_turn(struct fetch_loop *loop)
{
	static const struct timeval now = {0, 0};

	if (loop->in_turn)
		return;
	loop->in_turn = 1;
	loop->turn++;
	evtimer_add(loop->turn_end, &now);
}

/* End a fetch that libcurl's multi failed, with why in its message. */
static void
fetch_fail(struct fetch *f, const char *call, CURLMcode mrc)
{
	snprintf(f->xfer.errbuf, sizeof f->xfer.errbuf, "%s: %s", call,
	    libcurl.multi_strerror(mrc));
	fetch_done(f, CURLE_FAILED_INIT);
}

/* The multi failed as a whole: end every fetch still running. */
static void
fetch_loop_fail(struct fetch_loop *loop, const char *call, CURLMcode mrc)
{
	struct fetch *f;

	log_warnx("%s: %s", call, libcurl.multi_strerror(mrc));
	/* fetch_done keeps f on the list. */
	TAILQ_FOREACH(f, &loop->fetches, entry)
	{
		if (f->easy != NULL && !f->finished)
			fetch_fail(f, call, mrc);
	}
}

/* Collect every finished transfer; after each curl_multi_socket_action. */
static void
fetch_loop_drain(struct fetch_loop *loop)
{
	struct fetch *f;
	CURLMsg *msg;
	CURLcode code;
	char *priv;
	int left;

	while ((msg = libcurl.multi_info_read(loop->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		code = msg->data.result;
		priv = NULL;
		if (libcurl.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		        &priv) != CURLE_OK ||
		    priv == NULL) {
			log_warnx("curl_multi_info_read: a transfer not ours");
			continue;
		}
		f = (struct fetch *)(void *)priv;
		fetch_done(f, code);
	}
}

/*
 * Let libcurl act on fd (or its timeouts) and collect what finished. A
 * stray event for a socket libcurl has let go is not an error.
 */
static void
fetch_loop_action(struct fetch_loop *loop, curl_socket_t fd, int action)
{
	CURLMcode mrc;
	int running;

	fetch_loop_turn(loop);
	mrc = libcurl.multi_socket_action(loop->multi, fd, action, &running);
	if (loop->broken != CURLM_OK) {
		/* Newer libcurl fails this call too: say it once. */
		mrc = loop->broken;
		loop->broken = CURLM_OK;
		fetch_loop_fail(loop, "curl_multi_assign", mrc);
	} else if (mrc == CURLM_BAD_SOCKET)
		log_debug("curl_multi_socket_action: %s",
		    libcurl.multi_strerror(mrc));
	else if (mrc != CURLM_OK)
		fetch_loop_fail(loop, "curl_multi_socket_action", mrc);
	fetch_loop_drain(loop);
}

/* A socket libcurl watches is ready. */
static void
fetch_loop_ready(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_loop *loop = arg;
	int action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	fetch_loop_action(loop, fd, action);
}

/* libcurl's timeout expired. */
static void
fetch_loop_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_loop *loop = arg;

	fetch_loop_action(loop, CURL_SOCKET_TIMEOUT, 0);
}

/*
 * A fetch's timeout is over (and a little more) and it has not ended:
 * libcurl's own timer lapsed. libcurl 7.88 has been seen to ask for none
 * (-1) with transfers still running, after a turn the loop was held past
 * their deadlines. Let it look at its timeouts; if it still does not end
 * the fetch, end it here, as a timeout.
 */
static void
fetch_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;
	struct fetch_loop *loop = f->loop;

	if (f->easy == NULL || f->finished)
		return;
	fetch_loop_action(loop, CURL_SOCKET_TIMEOUT, 0);
	if (f->easy != NULL && !f->finished)
		fetch_done(f, CURLE_OPERATION_TIMEDOUT);
}

/* A loop turn: the transfer paused longest resumes, one a turn. */
static void
fetch_resume(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval now = {0, 0};
	struct fetch_loop *loop = arg;
	struct fetch *f;
	CURLcode rc;

	if ((f = TAILQ_FIRST(&loop->paused)) == NULL)
		return;
	TAILQ_REMOVE(&loop->paused, f, paused_entry);
	f->paused = 0;
	if (!TAILQ_EMPTY(&loop->paused))
		evtimer_add(loop->resume, &now);
	fetch_loop_turn(loop);
	/*
	 * The data kept while paused is written from inside this call: a
	 * write that fails there (max_bytes) ends the transfer here, as the
	 * multi would not.
	 */
	f->resuming = 1;
	rc = libcurl.easy_pause(f->easy, CURLPAUSE_CONT);
	f->resuming = 0;
	if (rc != CURLE_OK && !f->finished)
		fetch_done(f, rc);
	fetch_loop_drain(loop);
}

/* Watch a socket as libcurl asks (CURLMOPT_SOCKETFUNCTION). */
static int
fetch_loop_socket(
    CURL *easy, curl_socket_t s, int what, void *arg, void *socketp)
{
	struct fetch_loop *loop = arg;
	struct event *ev = socketp;
	short events = EV_PERSIST;
	CURLMcode mrc;

	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL)
			event_free(ev);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	if (ev == NULL) {
		ev = event_new(loop->base, s, events, fetch_loop_ready, loop);
		if (ev == NULL)
			fatalx("event_new failed");
		/*
		 * Documented as allowed from within libcurl's callbacks. If
		 * it fails, the socket is not watched: the caller of libcurl
		 * fails every fetch, as a callback cannot.
		 */
		mrc = libcurl.multi_assign(loop->multi, s, ev);
		if (mrc != CURLM_OK) {
			event_free(ev);
			loop->broken = mrc;
			return -1;
		}
	} else {
		event_del(ev);
		event_assign(ev, loop->base, s, events, fetch_loop_ready, loop);
	}
	event_add(ev, NULL);
	return 0;
}

/* Replace the timer as libcurl asks: -1 stops it, 0 is the next loop turn. */
static int
fetch_loop_timer(CURLM *multi, long ms, void *arg)
{
	struct fetch_loop *loop = arg;
	struct timeval tv;

	if (ms < 0) {
		evtimer_del(loop->timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(loop->timer, &tv);
	return 0;
}

/* A multi option the loop cannot do without. */
static void
fetch_multi_check(CURLMcode mrc)
{
	if (mrc != CURLM_OK)
		fatalx("curl_multi_setopt: %s", libcurl.multi_strerror(mrc));
}

/*
 * A set of fetches driven by base, keeping up to keep idle connections
 * (0: libcurl's default, as many as transfers; a transfer that ends while
 * the others run would close its connection, and the next would open one).
 */
struct fetch_loop *
fetch_loop_new(struct event_base *base, unsigned keep)
{
	struct fetch_loop *loop;
	CURLMcode mrc;
	CURLM *m;

	fetch_init();
	loop = xcalloc(1, sizeof *loop);
	loop->base = base;
	TAILQ_INIT(&loop->fetches);
	TAILQ_INIT(&loop->done);
	TAILQ_INIT(&loop->paused);
	loop->spare = xcalloc(FETCH_SPARE_MAX, sizeof *loop->spare);
	if ((loop->timer = evtimer_new(base, fetch_loop_timeout, loop)) == NULL)
		fatalx("evtimer_new failed");
	loop->deliver = event_new(base, -1, 0, fetch_deliver, loop);
	if (loop->deliver == NULL)
		fatalx("event_new failed");
	if ((loop->turn_end = evtimer_new(base, fetch_loop_turn_end, loop)) ==
	    NULL)
		fatalx("evtimer_new failed");
	/*
	 * The first priority: it runs in a turn of its own, before the next
	 * turn's sockets, which then start a budget of their own.
	 */
	event_priority_set(loop->turn_end, 0);
	if ((loop->resume = evtimer_new(base, fetch_resume, loop)) == NULL)
		fatalx("evtimer_new failed");
	if ((m = loop->multi = libcurl.multi_init()) == NULL)
		fatalx("curl_multi_init failed");
	/* Without its callbacks the multi cannot run at all. */
	fetch_multi_check(libcurl.multi_setopt(
	    m, CURLMOPT_SOCKETFUNCTION, fetch_loop_socket));
	fetch_multi_check(libcurl.multi_setopt(m, CURLMOPT_SOCKETDATA, loop));
	fetch_multi_check(
	    libcurl.multi_setopt(m, CURLMOPT_TIMERFUNCTION, fetch_loop_timer));
	fetch_multi_check(libcurl.multi_setopt(m, CURLMOPT_TIMERDATA, loop));
	/* Multiplexing only saves connections: go on without it. */
	mrc = libcurl.multi_setopt(
	    m, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	if (mrc != CURLM_OK)
		log_warnx("curl_multi_setopt: CURLMOPT_PIPELINING: %s",
		    libcurl.multi_strerror(mrc));
	if (keep > 0)
		fetch_multi_check(
		    libcurl.multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)keep));
	return loop;
}

/* Cancel every fetch still running, without callbacks, and free it all. */
void
fetch_loop_free(struct fetch_loop *loop)
{
	struct fetch *f;
	CURLMcode mrc;

	if (loop == NULL)
		return;
	while ((f = TAILQ_FIRST(&loop->fetches)) != NULL)
		fetch_free(f);
	if (loop->delivering) {
		/* Inside a callback: fetch_deliver frees it on return. */
		loop->dying = 1;
		return;
	}
	while (loop->nspare > 0)
		libcurl.easy_cleanup(loop->spare[--loop->nspare]);
	free(loop->spare);
	fetch_certs_free(&loop->certs);
	if ((mrc = libcurl.multi_cleanup(loop->multi)) != CURLM_OK)
		log_warnx(
		    "curl_multi_cleanup: %s", libcurl.multi_strerror(mrc));
	event_free(loop->timer);
	event_free(loop->deliver);
	event_free(loop->turn_end);
	event_free(loop->resume);
	free(loop);
}

/*
 * Start fetching url; cb gets the result later from the loop, never from
 * inside this call, even when the fetch cannot start.
 */
struct fetch *
fetch_start(struct fetch_loop *loop, const char *url,
    const struct fetch_opts *opts, fetch_cb cb, void *arg)
{
	struct fetch *f;
	struct timeval tv;
	CURLcode rc;
	CURLMcode mrc;

	f = xcalloc(1, sizeof *f);
	f->loop = loop;
	f->cb = cb;
	f->arg = arg;
	TAILQ_INSERT_TAIL(&loop->fetches, f, entry);

	f->easy = fetch_easy_get(loop);
	rc = fetch_setup(f->easy, url, opts, &f->xfer, f);
	f->xfer.fetch = f;
	if (rc != CURLE_OK) {
		fetch_done(f, rc);
		return f;
	}
	if ((mrc = libcurl.multi_add_handle(loop->multi, f->easy)) !=
	    CURLM_OK) {
		log_warnx(
		    "curl_multi_add_handle: %s", libcurl.multi_strerror(mrc));
		fetch_fail(f, "curl_multi_add_handle", mrc);
		return f;
	}
	if (opts->timeout > 0) {
		/* A tenth more, so that libcurl's own timeout comes first. */
		tv = clock_tv(opts->timeout * 1.1 + 0.05);
		if ((f->watchdog =
		            evtimer_new(loop->base, fetch_watchdog, f)) == NULL)
			fatalx("evtimer_new failed");
		evtimer_add(f->watchdog, &tv);
	}
	return f;
}

/* Stop a fetch and free it; its callback is never called. */
void
fetch_cancel(struct fetch *f)
{
	if (f != NULL)
		fetch_free(f);
}
