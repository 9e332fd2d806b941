/*
 * ADDR:PORT ("127.0.0.1:8000", "[::1]:0", "localhost:80", ":9100" for
 * loopback) resolved and bound here rather than by
 * evhttp_bind_socket_with_handle: that one resolves with AI_ADDRCONFIG (no
 * [::1] on an IPv4-only host), prints its own warnings, loses errno when
 * resolving fails and listens with a backlog of only 128. When accept()
 * fails for want of descriptors, the listener pauses instead of spinning.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "listen.h"
#include "log.h"
#include "number.h"
#include "xmalloc.h"

#define LISTEN_BACKLOG 4096
#define LISTEN_PAUSE_USEC 250000 /* after accept() failed */
#define LISTEN_WARN_EVERY 60 /* seconds between warnings of that */

/* Splits ADDR:PORT or [ADDR]:PORT; an empty ADDR is loopback. */
static int
listen_split(const char *s, char **host, char **port)
{
	const char *colon, *end, *why;
	unsigned long long n;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			return -1;
		colon = end + 1;
		s++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL ||
		    memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -1;
		end = colon;
	}
	if (number_uint(colon + 1, 0, 65535, &n, &why) != 0)
		return -1;
	*host =
	    end == s ? xstrdup("127.0.0.1") : xstrndup(s, (size_t)(end - s));
	*port = xstrdup(colon + 1);
	return 0;
}

/* Binds and listens on the first address that works; -1 and errno if none. */
static evutil_socket_t
listen_bind(const struct addrinfo *ai)
{
	evutil_socket_t fd = -1;
	int saved = EADDRNOTAVAIL;

	for (; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if (evutil_make_listen_socket_reuseable(fd) == 0 &&
		    evutil_make_socket_closeonexec(fd) == 0 &&
		    evutil_make_socket_nonblocking(fd) == 0 &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, LISTEN_BACKLOG) == 0)
			return fd;
		saved = errno;
		evutil_closesocket(fd);
	}
	errno = saved;
	return -1;
}

/* "http://HOST:PORT/" of a listening socket, with the port it got. */
char *
listen_url(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, port,
	        sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return xstrdup("http://?/");
	if (ss.ss_family == AF_INET6)
		return xprintf("http://[%s]:%s/", host, port);
	return xprintf("http://%s:%s/", host, port);
}

static void
listen_resume(evutil_socket_t fd, short what, void *arg)
{
	evconnlistener_enable(arg);
}

/*
 * accept() failed, out of descriptors (EMFILE, ENFILE) or memory: libevent
 * would warn and try again at once, a busy loop for as long as it lasts.
 * Pause instead, and say so at most once a minute.
 */
static void
listen_accept_error(struct evconnlistener *lev, void *arg)
{
	static time_t last;
	struct timeval tv = {0, LISTEN_PAUSE_USEC};
	int saved = EVUTIL_SOCKET_ERROR();
	time_t now = time(NULL);
	char *url;

	if (last == 0 || now - last >= LISTEN_WARN_EVERY) {
		last = now;
		url = listen_url(evconnlistener_get_fd(lev));
		log_warnx("%s: cannot accept connections: %s; trying again "
		          "every %g s",
		    url, evutil_socket_error_to_string(saved),
		    LISTEN_PAUSE_USEC / 1e6);
		free(url);
	}
	evconnlistener_disable(lev);
	event_base_once(evconnlistener_get_base(lev), -1, EV_TIMEOUT,
	    listen_resume, lev, &tv);
}

/*
 * Listen on ADDR:PORT: 0, or with *cause EX_USAGE when it is not of that
 * form, EX_TEMPFAIL when it cannot be resolved or bound.
 */
int
listen_http(struct evhttp *http, const char *addrport,
    struct evhttp_bound_socket **bound, char **cause)
{
	struct addrinfo hints, *res;
	evutil_socket_t fd;
	char *host, *port;
	int error;

	if (listen_split(addrport, &host, &port) != 0) {
		xasprintf(cause,
		    "bad address '%s': expected ADDR:PORT, like "
		    "127.0.0.1:8000 or [::1]:0",
		    addrport);
		return EX_USAGE;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	error = getaddrinfo(host, port, &hints, &res);
	free(host);
	free(port);
	if (error != 0) {
		/* Well formed, but not an address here: cannot start. */
		xasprintf(cause, "cannot listen on %s: %s", addrport,
		    gai_strerror(error));
		return EX_TEMPFAIL;
	}
	fd = listen_bind(res);
	freeaddrinfo(res);
	if (fd == -1 ||
	    (*bound = evhttp_accept_socket_with_handle(http, fd)) == NULL) {
		xasprintf(cause, "cannot listen on %s: %s", addrport,
		    strerror(errno));
		if (fd != -1)
			evutil_closesocket(fd);
		return EX_TEMPFAIL;
	}
	evconnlistener_set_error_cb(
	    evhttp_bound_socket_get_listener(*bound), listen_accept_error);
	return 0;
}
