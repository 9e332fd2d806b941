/*
 * The set-up every event loop of ours shares (the daemon's, the demo
 * server's, the tests'): a base with precise timers and two priorities,
 * as many descriptors as allowed, and SIGPIPE ignored.
 */
#include "autoconf.h"

#include <sys/resource.h>

#include <signal.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "loop.h"

/*
 * A loop with precise timers (libevent's default clock is coarse, ms),
 * whose epoll changes wait for the next epoll_wait: a socket that libcurl
 * lets go of and takes up again within one turn (a kept connection, the
 * next request) costs one epoll_ctl or none, not two. libevent warns
 * against it for descriptors made by dup(); none of ours are watched.
 */
struct event_base *
loop_base_new(void)
{
	struct event_config *ec;
	struct event_base *base;

	if ((ec = event_config_new()) == NULL)
		fatalx("event_config_new failed");
	event_config_set_flag(ec,
	    EVENT_BASE_FLAG_PRECISE_TIMER |
	        EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (base == NULL)
		fatalx("event_base_new failed");
	/*
	 * Signals (priority 0) go before any task's next step (1), and that
	 * before writing to live view clients (2): a hundred browsers never
	 * make a timer late.
	 */
	if (event_base_priority_init(base, 3) != 0)
		fatalx("event_base_priority_init failed");
	return base;
}

/*
 * As many descriptors as the hard limit allows: a thousand url workers
 * and the status endpoint's clients need more than the usual 1,024.
 */
void
loop_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_debug("setrlimit RLIMIT_NOFILE failed");
	}
}

/* A reader gone is an EPIPE to handle, not a signal that kills. */
void
loop_ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		fatal("sigaction SIGPIPE");
}
