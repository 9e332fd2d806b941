/* HTTP(S) fetches: on a libevent loop through libcurl's multi, or blocking. */
#ifndef FETCH_H
#define FETCH_H

struct event_base;
struct fetch;
struct fetch_loop;

struct fetch_opts {
	double timeout; /* seconds, whole transfer and connect; 0: none */
	unsigned preview; /* code points of preview text to keep */
	unsigned long long max_bytes; /* decoded body bytes at most; 0: any */
	int (*stopped)(void *); /* blocking: has a stop cancelled it? */
	void *stop_arg;

	/* The request: NULL or 0 for GET, no extra header, no body. */
	const char *method; /* "HEAD": no body; a body alone makes it POST */
	char *const *headers; /* "Name: value", NULL-ended */
	const char *body;
	const char *ca_file; /* TLS: NULL for the system's */
	const char *client_cert;
	const char *client_key;
	int insecure; /* no check of the server's certificate */
	int keep_body; /* keep the decoded body (up to max_bytes) in body */
};

/* A result's timings: cumulative seconds from the start, as curl has them. */
enum fetch_timing {
	FETCH_DNS,
	FETCH_CONNECT,
	FETCH_TLS, /* < 0 without TLS */
	FETCH_TTFB,
	FETCH_TOTAL,
};
#define FETCH_TIMINGS 5

struct fetch_result {
	int ok; /* final status 2xx */
	long status; /* final HTTP status, 0 if none */
	unsigned long long bytes; /* body bytes after content decoding */
	char *preview; /* never NULL after a fetch */
	char *error; /* message when !ok, else NULL */
	double retry_after; /* seconds from Retry-After, -1 if none */
	int retryable; /* timeout, connect failure, reset, 429, 5xx */
	int cancelled; /* a stop ended it (blocking) */
	int unresolved; /* the host name did not resolve */
	int complete; /* a whole response came: status is the final one */
	char *body; /* keep_body: the decoded body, NUL-ended, or NULL */
	size_t body_len;
	double timings[FETCH_TIMINGS]; /* valid when has_timings */
	int has_timings;
	long long cert_expires; /* https: the earliest end (unix), or 0 */
};

/*
 * Called from the loop, never from inside fetch_start, once the fetch is
 * over and already freed. The strings are the callback's to free (with
 * fetch_result_clear); the struct itself lasts only for the call. It may
 * start, cancel or free anything, fetch_loop_free included.
 */
typedef void (*fetch_cb)(struct fetch_result *, void *);

/*
 * libcurl loads on first use; fetch_available loads it now, or says why
 * it cannot. Once at the end, fetch_global_free frees what it holds.
 */
int fetch_available(char **);
int fetch_check_url(const char *, char **);
void fetch_global_free(void);
const char *fetch_user_agent(void);
void fetch_result_clear(struct fetch_result *);

/* One loop per event_base; freeing it cancels its fetches, no callbacks. */
struct fetch_loop *fetch_loop_new(struct event_base *, unsigned);
void fetch_loop_free(struct fetch_loop *);
struct fetch *fetch_start(struct fetch_loop *, const char *,
    const struct fetch_opts *, fetch_cb, void *);
void fetch_cancel(struct fetch *);

/* Blocking, on any thread: 0 if ok, else -1; r is filled either way. */
int fetch_blocking(
    const char *, const struct fetch_opts *, struct fetch_result *);
void fetch_thread_done(void);

#endif
