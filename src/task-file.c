/*
 * file: read a regular file, FIFO or character device to its end,
 * counting bytes and lines. Blocking modes read in a loop; async mode
 * reads one bounded chunk per loop turn, and waits for a FIFO's writer
 * on the loop, so a large or slow file holds back no other task. A
 * timeout, when the task has one, fails a read not done by then: a FIFO
 * whose writer never comes, in any mode.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "task.h"
#include "xmalloc.h"

/* Bytes read per loop turn in async mode. */
#define TASK_FILE_CHUNK (128 * 1024)

struct task_file {
	int fd;
	int last;
	int fifo;
	struct event *ev;
};

/* Open the task's file without blocking on a FIFO; -1 with the job failed. */
static int
task_file_open(struct job *job, int *fifo)
{
	const char *arg = job->task->arg.str;
	struct stat sb;
	char *path;
	int fd;

	path = config_resolve(job_config(job), arg);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	free(path);
	if (fd == -1) {
		job_fail(job, "%s: %s", arg, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		job_fail(job, "%s: %s", arg, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		job_fail(job, "%s: is a directory", arg);
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISFIFO(sb.st_mode) &&
	    !S_ISCHR(sb.st_mode)) {
		job_fail(job,
		    "%s: not a regular file, FIFO or character device", arg);
		close(fd);
		return -1;
	}
	*fifo = S_ISFIFO(sb.st_mode);
	return fd;
}

/* Count bytes and newlines of one chunk. */
static void
task_file_count(struct job *job, const char *buf, size_t len, int *last)
{
	const char *p = buf, *end = buf + len;

	job->result.bytes += len;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		job->result.lines++;
		p++;
	}
	if (len > 0)
		*last = (unsigned char)buf[len - 1];
}

/* A last line without a newline counts. */
static void
task_file_done(struct job *job, int last)
{
	if (job->result.bytes > 0 && last != '\n')
		job->result.lines++;
	job->result.ok = 1;
}

/* A blocking read cancelled by a stop. */
static void
task_file_cancelled(struct job *job)
{
	job->result.cancelled = 1;
	job_fail(job, "stopped before it finished");
}

/* The task's timeout is over. */
static void
task_file_timed_out(struct job *job)
{
	job_fail(job, "%s: timed out after %g s", job->task->arg.str,
	    job->task->opts->timeout);
}

/*
 * Blocking modes: wait for fd to be readable until the deadline (< 0:
 * none). 0, or -1 with the job failed: stopped or timed out.
 */
static int
task_file_wait(struct job *job, int fd, double deadline)
{
	double left = deadline < 0 ? -1 : fmax(deadline - clock_now(), 0);
	int rc;

	if ((rc = job_wait(job, fd, POLLIN, left)) < 0)
		task_file_cancelled(job);
	else if (rc == 0)
		task_file_timed_out(job);
	return rc > 0 ? 0 : -1;
}

/* Blocking modes, between two chunks: 0, or -1 stopped or timed out. */
static int
task_file_between(struct job *job, double deadline)
{
	if (job_stopped(job)) {
		task_file_cancelled(job);
		return -1;
	}
	if (deadline >= 0 && clock_now() >= deadline) {
		task_file_timed_out(job);
		return -1;
	}
	return 0;
}

/*
 * Blocking modes: read to the end, waiting as open() and read() would
 * for a FIFO's writer or a device's data, but so that a stop or the
 * timeout can end the wait. Both are checked between chunks too:
 * /dev/zero never ends.
 */
static void
task_file_run(struct job *job)
{
	double timeout = job->task->opts->timeout, deadline = -1;
	char *buf;
	ssize_t n;
	int fd, last = '\n', fifo;

	if (timeout > 0)
		deadline = job->start + timeout;
	if ((fd = task_file_open(job, &fifo)) == -1)
		return;
	buf = xmalloc(TASK_FILE_CHUNK);
	for (;;) {
		/* A FIFO with no writer yet reads as empty: wait for one. */
		if (fifo ? task_file_wait(job, fd, deadline) != 0
		         : task_file_between(job, deadline) != 0)
			break;
		n = read(fd, buf, TASK_FILE_CHUNK);
		if (n > 0) {
			task_file_count(job, buf, (size_t)n, &last);
			continue;
		}
		if (n == 0) {
			task_file_done(job, last);
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			job_fail(
			    job, "%s: %s", job->task->arg.str, strerror(errno));
			break;
		}
		if (task_file_wait(job, fd, deadline) != 0)
			break;
	}
	free(buf);
	close(fd);
}

static void
task_file_free(struct task_file *tf)
{
	if (tf->ev != NULL)
		event_free(tf->ev);
	if (tf->fd != -1)
		close(tf->fd);
	free(tf);
}

/*
 * Read one chunk, then come back: next loop turn for a file, when a FIFO
 * is readable (epoll takes pipes, not files), after a pause for a device
 * with nothing to read yet.
 */
static void
task_file_chunk(evutil_socket_t fd, short what, void *arg)
{
	static char buf[TASK_FILE_CHUNK];
	static const struct timeval now = {0, 0}, pause = {0, 10000};
	struct job *job = arg;
	struct task_file *tf = job->state;
	ssize_t n;

	n = read(tf->fd, buf, sizeof buf);
	if (n > 0) {
		task_file_count(job, buf, (size_t)n, &tf->last);
		event_add(tf->ev, tf->fifo ? NULL : &now);
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
		event_add(tf->ev, tf->fifo ? NULL : &pause);
		return;
	}
	if (n == -1)
		job_fail(job, "%s: %s", job->task->arg.str, strerror(errno));
	else
		task_file_done(job, tf->last);
	job->state = NULL;
	task_file_free(tf);
	job_finish(job);
}

/* Async mode: the timeout came before the end of the file. */
static void
task_file_expired(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;

	task_file_free(job->state);
	job->state = NULL;
	task_file_timed_out(job);
	job_finish(job);
}

static void
task_file_start(struct job *job)
{
	static const struct timeval now = {0, 0};
	struct task_file *tf;

	tf = xcalloc(1, sizeof *tf);
	tf->last = '\n';
	job->state = tf;
	if ((tf->fd = task_file_open(job, &tf->fifo)) == -1) {
		job->state = NULL;
		task_file_free(tf);
		job_finish_soon(job);
		return;
	}
	if (tf->fifo) {
		tf->ev =
		    event_new(job->base, tf->fd, EV_READ, task_file_chunk, job);
		if (tf->ev == NULL)
			fatalx("event_new failed");
		event_add(tf->ev, NULL);
	} else {
		if ((tf->ev = evtimer_new(job->base, task_file_chunk, job)) ==
		    NULL)
			fatalx("evtimer_new failed");
		event_add(tf->ev, &now);
	}
	if (job->task->opts->timeout > 0)
		job_timer(job, job->task->opts->timeout, task_file_expired);
}

static void
task_file_cancel(struct job *job)
{
	if (job->state != NULL)
		task_file_free(job->state);
	job->state = NULL;
}

/* The file's name as written. */
static const char *
task_file_arg(const struct task *t, char *buf, size_t len)
{
	return t->arg.str != NULL ? t->arg.str : "";
}

static void
task_file_outcome(
    FILE *f, const struct task *t, const struct result *r, int verbose)
{
	fprintf(f, "%llu line%s, %llu bytes", r->lines,
	    r->lines == 1 ? "" : "s", r->bytes);
}

static void
task_file_json_arg(const struct task *t, struct task_json *j)
{
	task_json_str(j, NULL, t->arg.str);
}

static void
task_file_json_result(
    const struct task *t, const struct result *r, struct task_json *j)
{
	if (r->ok)
		task_json_uint(j, NULL, r->lines);
	else
		task_json_null(j, NULL);
}

static size_t
task_file_json_fields(
    const struct task *t, const struct result *r, struct task_json *j)
{
	task_json_int(&j[0], "bytes", (long long)r->bytes);
	task_json_int(&j[1], "lines", (long long)r->lines);
	return 2;
}

/* A bar's label is the file's base name. */
static void
task_file_label(const struct task *t, int brief, char *buf, size_t len)
{
	const char *s = t->arg.str != NULL ? t->arg.str : "", *slash;

	slash = strrchr(s, '/');
	snprintf(
	    buf, len, "%s", slash != NULL && slash[1] != '\0' ? slash + 1 : s);
}

static unsigned long long
task_file_tally(const struct result *r)
{
	return r->lines;
}

static void
task_file_brief(const struct task *t, unsigned long long lines,
    unsigned long long bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%llu lines, %llu bytes", lines, bytes);
}

const struct task_ops task_file_ops = {
    .run = task_file_run,
    .start = task_file_start,
    .cancel = task_file_cancel,
    .arg = task_file_arg,
    .outcome = task_file_outcome,
    .json_arg = task_file_json_arg,
    .json_result = task_file_json_result,
    .json_fields = task_file_json_fields,
    .label = task_file_label,
    .tally = task_file_tally,
    .brief = task_file_brief,
    .fill = "#bba5e0",
    .stroke = "#5b3a9e",
    .sgr = "\033[30;106m",
};
