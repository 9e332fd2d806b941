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
};

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
struct fetch_loop *fetch_loop_new(struct event_base *);
void fetch_loop_free(struct fetch_loop *);
struct fetch *fetch_start(struct fetch_loop *, const char *,
    const struct fetch_opts *, fetch_cb, void *);
void fetch_cancel(struct fetch *);

/* Blocking, on any thread: 0 if ok, else -1; r is filled either way. */
int fetch_blocking(
    const char *, const struct fetch_opts *, struct fetch_result *);
void fetch_thread_done(void);

#endif
