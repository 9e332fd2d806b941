/*
 * The daemon's signals: a handler writes each signal's number into a
 * non-blocking pipe whose read end is an event on the loop, as libevent's
 * own signal events do. Its pipe is ours, though: a task that holds the
 * loop's thread (sync and cooperative modes block it on purpose) polls it
 * too, so that SIGTERM reaches a run that is in the middle of a delay.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "signals.h"

static const int signals_list[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};
#define SIGNALS_N (sizeof signals_list / sizeof signals_list[0])

static int signals_pipe[2] = {-1, -1};
static struct event *signals_ev;
static signals_cb signals_fn;
static void *signals_arg;

/* Async-signal-safe: one byte; a full pipe drops it (the loop is stuck). */
static void
signals_handler(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	if (write(signals_pipe[1], &c, 1) != 1) {
		/* Nothing to do: the signals already waiting will be seen. */
	}
	errno = saved;
}

/* Call the callback for every signal waiting; how many there were. */
int
signals_dispatch(void)
{
	unsigned char buf[64];
	ssize_t n, i;
	int count = 0;

	if (signals_pipe[0] == -1)
		return 0;
	while ((n = read(signals_pipe[0], buf, sizeof buf)) > 0) {
		for (i = 0; i < n; i++, count++) {
			if (signals_fn != NULL)
				signals_fn(buf[i], signals_arg);
		}
	}
	return count;
}

/* The loop sees a signal waiting in the pipe. */
static void
signals_ready(evutil_socket_t fd, short what, void *arg)
{
	signals_dispatch();
}

/* The pipe's read end, readable while a signal waits; -1 before init. */
int
signals_fd(void)
{
	return signals_pipe[0];
}

/*
 * SIGINT, SIGTERM, SIGHUP and SIGUSR1 to cb on base's loop (priority 0,
 * before any task); SIGPIPE ignored. 0, or -1 with errno.
 */
int
signals_init(struct event_base *base, signals_cb cb, void *arg)
{
	struct sigaction sa;
	size_t i;

	if (signals_pipe[0] == -1 &&
	    pipe2(signals_pipe, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	signals_free();
	signals_fn = cb;
	signals_arg = arg;
	signals_ev = event_new(
	    base, signals_pipe[0], EV_READ | EV_PERSIST, signals_ready, NULL);
	if (signals_ev == NULL)
		fatalx("event_new failed");
	event_priority_set(signals_ev, 0);
	event_add(signals_ev, NULL);
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = signals_handler;
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < SIGNALS_N; i++)
		sigaction(signals_list[i], &sa, NULL);
	return 0;
}

/*
 * The loop is gone: its event goes. The handlers and the pipe stay, so
 * that a signal during the last writes is seen (signals_fd) and ends
 * them, instead of killing the process before they are done.
 */
void
signals_free(void)
{
	if (signals_ev != NULL)
		event_free(signals_ev);
	signals_ev = NULL;
	signals_fn = NULL;
}
