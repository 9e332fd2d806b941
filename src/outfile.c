/*
 * Output that never blocks the loop. Lines wait in a queue and are written
 * without blocking: a pipe, FIFO or terminal gets a descriptor of its own
 * in non-blocking mode (reopened through /proc, so that the shell's is left
 * as it was), a socket is sent to with MSG_DONTWAIT, and when it would
 * block an event on the loop takes the rest once it can. A reader that
 * stops reading fills the queue up to OUTFILE_LIMIT; lines beyond are
 * dropped. A reader that went away (EPIPE), a full disk or a closed stdout
 * lose what was queued. Every line lost is counted and said, when losing
 * starts and when writing works again, and the daemon exits 74 for them.
 * Lines stay whole: on a regular file the part of a line a failed write
 * left behind is cut off again.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "outfile.h"
#include "signals.h"
#include "xmalloc.h"

struct outfile {
	pthread_mutex_t lock;
	struct event_base *base;
	struct event *ev; /* EV_WRITE, armed when a write would block */
	int fd;
	int own; /* fd is ours to close */
	int flags; /* fd's flags to put back at the end, or -1 */
	int sock;
	int regular;
	int closed; /* stdout was closed at start: nothing reaches it */
	int gone; /* EPIPE: the reader went away */
	int saying; /* lines are being lost, and that was said */
	char *path; /* for reopening; NULL for stdout */
	char *name;
	char *buf; /* the queue: bytes head..len */
	size_t head;
	size_t len;
	size_t cap;
	size_t lines; /* lines in the queue, the one partly written included */
	size_t part; /* bytes of the queue's first line already written */
	unsigned long long lost; /* atomic: read without the lock */
	unsigned long long episode; /* lost since writing last worked */
	outfile_gone_cb gone_cb;
	void *gone_arg;
	FILE *stream;
	char *stage; /* what the stream wrote of a line not yet whole */
	size_t slen;
	size_t scap;
	struct outfile *next;
};

/* Every open output, for outfile_emergency. */
static pthread_mutex_t outfile_all_lock = PTHREAD_MUTEX_INITIALIZER;
static struct outfile *outfile_all;

static void outfile_ready(evutil_socket_t, short, void *);

/* An output named name (for messages), registered for emergencies. */
static struct outfile *
outfile_new(struct event_base *base, const char *name)
{
	struct outfile *o;

	o = xcalloc(1, sizeof *o);
	pthread_mutex_init(&o->lock, NULL);
	o->base = base;
	o->fd = -1;
	o->flags = -1;
	o->name = xstrdup(name);
	pthread_mutex_lock(&outfile_all_lock);
	o->next = outfile_all;
	outfile_all = o;
	pthread_mutex_unlock(&outfile_all_lock);
	return o;
}

/* How the descriptor is written: sent to, or a regular file. */
static void
outfile_kind(struct outfile *o)
{
	struct stat sb;

	o->sock = o->regular = 0;
	if (fstat(o->fd, &sb) == 0) {
		o->sock = S_ISSOCK(sb.st_mode);
		o->regular = S_ISREG(sb.st_mode);
	}
}

/*
 * A pipe, FIFO or terminal on stdout, shared with the shell and whoever
 * else holds it: a descriptor of our own in non-blocking mode, opened
 * through /proc. Failing that, the shared one, put back at the end.
 */
static void
outfile_nonblock(struct outfile *o)
{
	struct stat a, b;
	char path[64];
	int fd, flags;

	if ((flags = fcntl(o->fd, F_GETFL)) == -1 || (flags & O_NONBLOCK))
		return;
	snprintf(path, sizeof path, "/proc/self/fd/%d", o->fd);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd != -1 && fstat(fd, &a) == 0 && fstat(o->fd, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		o->fd = fd;
		o->own = 1;
		return;
	}
	if (fd != -1)
		close(fd);
	if (fcntl(o->fd, F_SETFL, flags | O_NONBLOCK) == 0)
		o->flags = flags;
}

/*
 * Standard output, written to without blocking. closed: descriptor 1 was
 * closed when the program started (it now holds /dev/null): whatever
 * would go there is lost, and said to be.
 */
struct outfile *
outfile_stdout(struct event_base *base, int closed)
{
	struct outfile *o;
	struct stat sb;

	o = outfile_new(base, "stdout");
	o->fd = STDOUT_FILENO;
	o->closed = closed;
	if (closed || fstat(o->fd, &sb) != 0)
		return o;
	if (S_ISFIFO(sb.st_mode) || S_ISCHR(sb.st_mode))
		outfile_nonblock(o);
	outfile_kind(o);
	return o;
}

/*
 * Open path to append to, without blocking; at start (wait set) a FIFO
 * with no reader yet is waited for, as a shell's redirection would.
 */
static int
outfile_open_fd(const char *path, int wait)
{
	int fd, flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY;

	int saved;

	fd = open(path, flags | O_NONBLOCK, 0644);
	if (fd == -1 && errno == ENXIO && wait) {
		fd = open(path, flags, 0644);
		if (fd != -1 &&
		    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
	}
	return fd;
}

/* A file to append lines to (the results file): NULL with *cause. */
struct outfile *
outfile_open(struct event_base *base, const char *path, char **cause)
{
	struct outfile *o;
	int fd;

	if ((fd = outfile_open_fd(path, 1)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	o = outfile_new(base, path);
	o->fd = fd;
	o->own = 1;
	o->path = xstrdup(path);
	outfile_kind(o);
	return o;
}

/*
 * Can path be written when a run ends (a picture, a trace)? Checked at
 * start, so that a path that cannot be stops the program before any task
 * runs. A regular file there is opened to write but not truncated: it
 * keeps what it holds until the run writes it. A path with nothing there
 * is created to see that its folder takes it, then removed. A FIFO or a
 * device is not opened (a FIFO's reader would see the end of it): its
 * permission is checked. 0, or -1 with *cause.
 */
int
outfile_check(const char *path, char **cause)
{
	struct stat sb;
	int fd, made = 0;

	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		if (S_ISDIR(sb.st_mode))
			errno = EISDIR;
		else if (access(path, W_OK) == 0)
			return 0;
		goto fail;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1 && errno == ENOENT) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		made = fd != -1;
	}
	if (fd == -1)
		goto fail;
	close(fd);
	/* Only a probe: one left behind is an empty file, worth a word. */
	if (made && unlink(path) == -1)
		log_warn("%s", path);
	return 0;
fail:
	xasprintf(cause, "%s: %s", path, strerror(errno));
	return -1;
}

/* Called (from any thread) when the reader goes away. */
void
outfile_set_gone(struct outfile *o, outfile_gone_cb cb, void *arg)
{
	o->gone_cb = cb;
	o->gone_arg = arg;
}

/*
 * Lines lost so far. Lock-free: an ending out of memory asks while this
 * thread may hold the output's lock.
 */
unsigned long long
outfile_lost(const struct outfile *o)
{
	return __atomic_load_n(&o->lost, __ATOMIC_RELAXED);
}

/* The newlines in s. */
static size_t
outfile_count(const char *s, size_t len)
{
	const char *end = s + len;
	size_t n = 0;

	while ((s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		n++;
		s++;
	}
	return n;
}

/* n lines are lost, for why (an errno, or 0: the queue is full). */
static void
outfile_lose(struct outfile *o, size_t n, int why)
{
	if (n == 0)
		return;
	__atomic_add_fetch(&o->lost, n, __ATOMIC_RELAXED);
	o->episode += n;
	if (o->saying)
		return;
	o->saying = 1;
	if (why == 0)
		log_warnx("%s: the reader is not keeping up (%d MiB wait): "
		          "lines are dropped until it reads again",
		    o->name, OUTFILE_LIMIT >> 20);
	else if (why == ETIMEDOUT)
		log_warnx("%s: the reader did not take what waited for it "
		          "before the end",
		    o->name);
	else if (why == ENOMEM)
		log_warnx("%s: out of memory for what waits: lines are lost "
		          "until it is written",
		    o->name);
	else if (why == EPIPE)
		log_warnx("%s: the reader went away: what would go there is "
		          "lost",
		    o->name);
	else if (o->closed)
		log_warnx("%s: it was closed when asyncdemo started: what "
		          "would go there is lost",
		    o->name);
	else
		log_warnx("%s: cannot write: %s: lines are lost until it can "
		          "be written again",
		    o->name, strerror(why));
}

/* Cut a partial line off the end of a file; the line is lost either way. */
static void
outfile_cut(struct outfile *o, off_t end)
{
	if (end >= 0 && ftruncate(o->fd, end) == -1)
		log_debug("%s: ftruncate: %s", o->name, strerror(errno));
}

/* A write failed for good: the queue is lost, and a partial line cut. */
static void
outfile_fail(struct outfile *o, int error)
{
	off_t end;

	if (o->regular && o->part > 0 &&
	    (end = lseek(o->fd, 0, SEEK_CUR)) >= (off_t)o->part)
		outfile_cut(o, end - (off_t)o->part);
	if (error == EPIPE) {
		o->gone = 1;
		o->saying = 0; /* for good: say so, whatever was said before */
	}
	outfile_lose(o, o->lines, error);
	o->head = o->len = o->lines = o->part = 0;
}

/* n bytes of the queue were written. */
static void
outfile_advance(struct outfile *o, size_t n)
{
	const char *s = o->buf + o->head, *nl;
	size_t k = outfile_count(s, n);

	o->lines -= k;
	if (k > 0) {
		nl = memrchr(s, '\n', n);
		o->part = n - (size_t)(nl + 1 - s);
	} else
		o->part += n;
	o->head += n;
	/* Over when lines go out again, and a full queue has room again. */
	if (o->saying && !o->gone && !o->closed && k > 0 &&
	    o->len - o->head < OUTFILE_LIMIT / 2) {
		log_warnx("%s: written again; %llu line%s lost meanwhile",
		    o->name, o->episode, o->episode == 1 ? " was" : "s were");
		o->saying = 0;
		o->episode = 0;
	}
}

/* Write what the queue holds, as far as the descriptor takes it. */
static void
outfile_write(struct outfile *o)
{
	ssize_t n;

	while (o->head < o->len) {
		if (o->sock)
			n = send(o->fd, o->buf + o->head, o->len - o->head,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(o->fd, o->buf + o->head, o->len - o->head);
		if (n > 0) {
			outfile_advance(o, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (o->base != NULL && o->ev == NULL &&
			    (o->ev = event_new(o->base, o->fd, EV_WRITE,
			         outfile_ready, o)) == NULL)
				fatalx("event_new failed");
			if (o->ev != NULL &&
			    !event_pending(o->ev, EV_WRITE, NULL))
				event_add(o->ev, NULL);
			return;
		}
		outfile_fail(o, n == 0 ? EIO : errno);
		return;
	}
	o->head = o->len = 0;
}

/* Tell whoever asked that the reader went away, once, after the lock. */
static void
outfile_unlock(struct outfile *o, int was_gone)
{
	int now_gone = o->gone;

	pthread_mutex_unlock(&o->lock);
	if (now_gone && !was_gone && o->gone_cb != NULL)
		o->gone_cb(o, o->gone_arg);
}

/* The descriptor takes more: write what waits. */
static void
outfile_ready(evutil_socket_t fd, short what, void *arg)
{
	struct outfile *o = arg;
	int was_gone;

	pthread_mutex_lock(&o->lock);
	was_gone = o->gone;
	outfile_write(o);
	outfile_unlock(o, was_gone);
}

/*
 * Room for size bytes in the queue: 0, or -1 when memory runs out. Not
 * xreallocarray: its ending would wait for this output's lock.
 */
static int
outfile_grow(struct outfile *o, size_t size)
{
	size_t cap = o->cap == 0 ? 64 * 1024 : o->cap;
	char *buf;

	while (cap < size)
		cap *= 2;
	if ((buf = realloc(o->buf, cap)) == NULL)
		return -1;
	o->buf = buf;
	o->cap = cap;
	return 0;
}

/* Queue whole lines (data ends with a newline) and write what can be. */
void
outfile_lines(struct outfile *o, const char *data, size_t n)
{
	size_t k, queued;
	int was_gone;

	if (n == 0)
		return;
	k = outfile_count(data, n);
	pthread_mutex_lock(&o->lock);
	was_gone = o->gone;
	queued = o->len - o->head;
	if (o->gone || o->closed) {
		outfile_lose(o, k, o->gone ? EPIPE : EBADF);
		pthread_mutex_unlock(&o->lock);
		return;
	}
	if (queued > 0 && queued + n > OUTFILE_LIMIT) {
		outfile_lose(o, k, 0);
		pthread_mutex_unlock(&o->lock);
		return;
	}
	if (o->head > 0 && o->len + n > o->cap) {
		memmove(o->buf, o->buf + o->head, queued);
		o->head = 0;
		o->len = queued;
	}
	if (o->len + n > o->cap && outfile_grow(o, o->len + n) != 0) {
		outfile_lose(o, k, ENOMEM);
		outfile_unlock(o, was_gone);
		return;
	}
	memcpy(o->buf + o->len, data, n);
	o->len += n;
	o->lines += k;
	outfile_write(o);
	outfile_unlock(o, was_gone);
}

/* The stream's bytes: whole lines go on, the rest waits for its end. */
static ssize_t
outfile_cookie_write(void *cookie, const char *data, size_t n)
{
	struct outfile *o = cookie;
	const char *nl = memrchr(data, '\n', n);
	size_t whole = nl != NULL ? (size_t)(nl + 1 - data) : 0;

	if (whole > 0 && o->slen == 0)
		outfile_lines(o, data, whole);
	else if (whole > 0) {
		if (o->slen + whole > o->scap) {
			o->scap = o->slen + whole;
			o->stage = xreallocarray(o->stage, o->scap, 1);
		}
		memcpy(o->stage + o->slen, data, whole);
		outfile_lines(o, o->stage, o->slen + whole);
		o->slen = 0;
	}
	if (n > whole) {
		if (o->slen + n - whole > o->scap) {
			o->scap = o->slen + n - whole;
			o->stage = xreallocarray(o->stage, o->scap, 1);
		}
		memcpy(o->stage + o->slen, data + whole, n - whole);
		o->slen += n - whole;
	}
	return (ssize_t)n;
}

/* A stdio stream onto the output, for printf-style writers. */
FILE *
outfile_stream(struct outfile *o)
{
	static const cookie_io_functions_t io = {
	    .write = outfile_cookie_write,
	};

	if (o->stream == NULL) {
		if ((o->stream = fopencookie(o, "w", io)) == NULL)
			fatal("fopencookie");
		setvbuf(o->stream, NULL, _IOFBF, 64 * 1024);
	}
	return o->stream;
}

/*
 * Write the queue out, waiting for the descriptor while the reader takes
 * something at least every seconds; a signal ends the wait at once. The
 * lock is held. 0 if all was written.
 */
static int
outfile_drain_locked(struct outfile *o, double seconds)
{
	struct pollfd pfd[2];
	double end = clock_now() + seconds, left;
	size_t before;
	int nfd;

	for (;;) {
		before = o->len - o->head;
		outfile_write(o);
		if (o->head == o->len)
			return 0;
		if (o->len - o->head <
		    before) /* a slow reader, not a stalled one */
			end = clock_now() + seconds;
		if ((left = end - clock_now()) <= 0)
			break;
		pfd[0].fd = o->fd;
		pfd[0].events = POLLOUT;
		pfd[1].fd = signals_fd();
		pfd[1].events = POLLIN;
		nfd = pfd[1].fd >= 0 ? 2 : 1;
		if (poll(pfd, (nfds_t)nfd, (int)ceil(left * 1000)) == -1 &&
		    errno != EINTR)
			break;
		if (nfd == 2 && (pfd[1].revents & POLLIN))
			break;
	}
	outfile_lose(o, o->lines, ETIMEDOUT);
	o->head = o->len = o->lines = o->part = 0;
	return -1;
}

/* What waits, written, as long as the reader takes some every seconds. */
int
outfile_drain(struct outfile *o, double seconds)
{
	int rc, was_gone;

	if (o->stream != NULL)
		fflush(o->stream);
	pthread_mutex_lock(&o->lock);
	was_gone = o->gone;
	rc = outfile_drain_locked(o, seconds);
	outfile_unlock(o, was_gone);
	return rc;
}

/*
 * Before the descriptor changes: a line partly written to it is finished
 * there or not at all (cut back, counted lost), so that no line is split
 * between the old file and the new.
 */
static void
outfile_cut_line(struct outfile *o)
{
	const char *nl;
	size_t rest;
	ssize_t n;

	while (o->part > 0 && o->head < o->len) {
		nl = memchr(o->buf + o->head, '\n', o->len - o->head);
		rest = (size_t)(nl + 1 - (o->buf + o->head));
		if ((n = write(o->fd, o->buf + o->head, rest)) > 0)
			outfile_advance(o, (size_t)n);
		else if (n == -1 && errno != EINTR)
			break;
	}
	if (o->part == 0)
		return;
	if (o->regular)
		outfile_cut(o, lseek(o->fd, 0, SEEK_CUR) - (off_t)o->part);
	nl = memchr(o->buf + o->head, '\n', o->len - o->head);
	o->head = (size_t)(nl + 1 - o->buf);
	o->lines--;
	o->part = 0;
	outfile_lose(o, 1, EAGAIN);
}

/*
 * Open the path again (SIGUSR1, after a rotation): what is queued goes
 * to the old file as far as it takes it, whole lines, the rest to the new.
 */
int
outfile_reopen(struct outfile *o, char **cause)
{
	int fd;

	if (o->path == NULL)
		return 0;
	if ((fd = outfile_open_fd(o->path, 0)) == -1) {
		xasprintf(cause, "%s: %s", o->path, strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&o->lock);
	outfile_write(o);
	outfile_cut_line(o);
	if (o->ev != NULL) {
		event_free(o->ev);
		o->ev = NULL;
	}
	close(o->fd);
	o->fd = fd;
	o->gone = 0;
	o->part = 0;
	outfile_kind(o);
	outfile_write(o);
	pthread_mutex_unlock(&o->lock);
	return 0;
}

/* Drain for up to seconds, say what was lost in all, and free. */
void
outfile_close(struct outfile *o, double seconds)
{
	struct outfile **p;

	if (o == NULL)
		return;
	if (o->stream != NULL)
		fclose(o->stream);
	o->stream = NULL;
	if (o->slen > 0) /* a last line without its newline: end it */
		outfile_cookie_write(o, "\n", 1);
	pthread_mutex_lock(&o->lock);
	outfile_drain_locked(o, seconds);
	pthread_mutex_unlock(&o->lock);
	if (outfile_lost(o) > 0)
		log_warnx("%s: %llu line%s not written", o->name,
		    outfile_lost(o), outfile_lost(o) == 1 ? " was" : "s were");
	pthread_mutex_lock(&outfile_all_lock);
	for (p = &outfile_all; *p != NULL && *p != o; p = &(*p)->next)
		;
	if (*p != NULL)
		*p = o->next;
	pthread_mutex_unlock(&outfile_all_lock);
	if (o->ev != NULL)
		event_free(o->ev);
	/* Hand a shared descriptor back as it came; it may be gone already. */
	if (o->flags != -1 && fcntl(o->fd, F_SETFL, o->flags) == -1)
		log_debug("%s: fcntl: %s", o->name, strerror(errno));
	if (o->own)
		close(o->fd);
	pthread_mutex_destroy(&o->lock);
	free(o->stage);
	free(o->buf);
	free(o->path);
	free(o->name);
	free(o);
}

/*
 * The program is about to end abruptly (out of memory): write what every
 * output holds, each given up to seconds, without waiting for a lock that
 * another thread keeps longer than that.
 */
void
outfile_emergency(double seconds)
{
	struct timespec until;
	struct outfile *o;

	pthread_mutex_lock(&outfile_all_lock);
	for (o = outfile_all; o != NULL; o = o->next) {
		until = clock_ts(clock_wall() + seconds);
		if (pthread_mutex_timedlock(&o->lock, &until) != 0)
			continue;
		outfile_drain_locked(o, seconds);
		pthread_mutex_unlock(&o->lock);
	}
	pthread_mutex_unlock(&outfile_all_lock);
}
