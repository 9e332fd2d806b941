/*
 * Diagnostics go to stderr (unless detached), to an optional log file
 * (appended, reopened on request for rotation) and to syslog when asked.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <paths.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "log.h"
#include "xmalloc.h"

static const char *log_name = "asyncdemo";
static int log_verbosity;
static int log_to_stderr = 1;
static int log_to_syslog;
static FILE *log_file;
static char *log_path;
static int log_file_errno; /* the log file's write error, said once */
static int log_err_fd = -1; /* stderr without blocking: log_stderr_nonblock */
static int log_err_sock;
static unsigned long long log_err_dropped; /* lines stderr did not take */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_vwrite_as(
    int, const char *, const char *, const char *, va_list) PRINTFLIKE(4, 0);
static void log_vwrite(int, const char *, const char *, va_list)
    PRINTFLIKE(3, 0);
static char *log_errno(int, const char *, va_list) PRINTFLIKE(2, 0);

void
log_init(const char *name, int verbose)
{
	log_name = name;
	log_verbosity = verbose;
}

int
log_verbose(void)
{
	return log_verbosity;
}

/*
 * Open (append) the log file; on failure keep the old one. Its path is
 * kept absolute, so that a reopen finds it after the daemon left its
 * folder.
 */
int
log_open_file(const char *path, char **cause)
{
	FILE *f;
	char *abs;

	if ((f = fopen(path, "ae")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	pthread_mutex_lock(&log_lock);
	if (log_file != NULL)
		fclose(log_file);
	log_file = f;
	log_file_errno = 0;
	if (path != log_path) {
		abs = xabspath(path);
		free(log_path);
		log_path = abs;
	}
	pthread_mutex_unlock(&log_lock);
	return 0;
}

/* Reopen the log file after it was rotated away. */
int
log_reopen(char **cause)
{
	if (log_path == NULL)
		return 0;
	return log_open_file(log_path, cause);
}

/* Does a syslog daemon listen on /dev/log? (Containers often lack one.) */
int
log_syslog_works(void)
{
	static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
	struct sockaddr_un sun;
	size_t i;
	int fd, ok = 0;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", _PATH_LOG);
	for (i = 0; i < 2 && !ok; i++) {
		if ((fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0)) == -1)
			continue;
		ok = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
		close(fd);
	}
	return ok;
}

void
log_syslog(int on)
{
	if (on && !log_to_syslog)
		openlog(log_name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && log_to_syslog)
		closelog();
	log_to_syslog = on;
}

void
log_stderr(int on)
{
	log_to_stderr = on;
}

/*
 * From now on stderr never blocks: a pipe, FIFO or terminal gets a
 * non-blocking descriptor of its own (the shell's stays as it was), a
 * socket is sent to with MSG_DONTWAIT. A reader that stops reading
 * stderr then loses diagnostics, counted and said once it reads again,
 * instead of stopping the daemon's loop.
 */
void
log_stderr_nonblock(void)
{
	struct stat sb;
	int fd;

	if (fstat(STDERR_FILENO, &sb) != 0)
		return;
	if (S_ISSOCK(sb.st_mode)) {
		log_err_fd = STDERR_FILENO;
		log_err_sock = 1;
		return;
	}
	if (!S_ISFIFO(sb.st_mode) && !S_ISCHR(sb.st_mode))
		return;
	fd = open(
	    "/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd != -1)
		log_err_fd = fd;
}

/* Write all of s to stderr's own descriptor, or none of it: 0 or -1. */
static int
log_err_write(const char *s, size_t len)
{
	ssize_t n;

	do {
		if (log_err_sock)
			n = send(
			    log_err_fd, s, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(log_err_fd, s, len);
	} while (n == -1 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

/* A line on stderr; without blocking once log_stderr_nonblock was called. */
static void
log_err_line(const char *name, const char *prefix, const char *line)
{
	char *s, note[128];
	int len;

	if (log_err_fd == -1) {
		if (name != NULL)
			fprintf(stderr, "%s: %s%s\n", name, prefix, line);
		else
			fprintf(stderr, "%s%s\n", prefix, line);
		return;
	}
	if (log_err_dropped > 0) {
		len = snprintf(note, sizeof note,
		    "%s: %llu line%s of diagnostics dropped: stderr was not "
		    "read\n",
		    log_name, log_err_dropped, log_err_dropped == 1 ? "" : "s");
		if (log_err_write(note, (size_t)len) != 0) {
			log_err_dropped++;
			return;
		}
		log_err_dropped = 0;
	}
	if ((len = asprintf(&s, "%s%s%s%s\n", name != NULL ? name : "",
	         name != NULL ? ": " : "", prefix, line)) < 0)
		return;
	if (log_err_write(s, (size_t)len) != 0)
		log_err_dropped++;
	free(s);
}

void
log_close(void)
{
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
	free(log_path);
	log_path = NULL;
	log_syslog(0);
}

/*
 * Append a line to the log file. When that fails (disk full), say so once
 * on stderr and syslog, with the error, until a line goes through again.
 */
static void
log_file_line(const char *prefix, const char *msg)
{
	char stamp[32], what[PATH_MAX + 128];
	struct tm tm;
	time_t now;
	int saved;

	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	errno = 0;
	if (fprintf(log_file, "%s %s[%ld]: %s%s\n", stamp, log_name,
	        (long)getpid(), prefix, msg) >= 0 &&
	    fflush(log_file) == 0 && !ferror(log_file)) {
		log_file_errno = 0;
		return;
	}
	saved = errno != 0 ? errno : EIO;
	clearerr(log_file);
	if (log_file_errno != 0)
		return;
	log_file_errno = saved;
	if (log_to_stderr) {
		snprintf(
		    what, sizeof what, "%s: %s", log_path, strerror(saved));
		log_err_line(log_name, "cannot write log file ", what);
	}
	if (log_to_syslog)
		syslog(LOG_ERR, "cannot write log file %s: %s", log_path,
		    strerror(saved));
}

/* One line to every destination; on stderr it starts with name if given. */
static void
log_line(int pri, const char *name, const char *prefix, const char *line)
{
	if (log_to_stderr)
		log_err_line(name, prefix, line);
	if (log_file != NULL)
		log_file_line(prefix, line);
	if (log_to_syslog)
		syslog(pri, "%s%s", prefix, line);
}

/*
 * Write a message: each of its lines gets the prefix (a time stamp and
 * the pid in the log file) and control characters show escaped.
 */
static void
log_vwrite_as(
    int pri, const char *name, const char *prefix, const char *fmt, va_list ap)
{
	static __thread int depth; /* escaping failed to allocate: fatal */
	char *msg, *text, *line, *next;
	va_list ap2;

	va_copy(ap2, ap);
	if (vasprintf(&msg, fmt, ap2) < 0)
		msg = NULL;
	va_end(ap2);
	if (msg == NULL)
		return;
	text = msg;
	if (depth++ == 0 && escape_needed(msg, ESCAPE_NEWLINES))
		text = escape_text(msg, ESCAPE_NEWLINES);
	pthread_mutex_lock(&log_lock);
	for (line = text;; line = next + 1) {
		if ((next = strchr(line, '\n')) != NULL)
			*next = '\0';
		log_line(pri, name, prefix, line);
		if (next == NULL || next[1] == '\0')
			break;
	}
	pthread_mutex_unlock(&log_lock);
	depth--;
	if (text != msg)
		free(text);
	free(msg);
}

static void
log_vwrite(int pri, const char *prefix, const char *fmt, va_list ap)
{
	log_vwrite_as(pri, log_name, prefix, fmt, ap);
}

/* The message and strerror(saved), as one new string. */
static char *
log_errno(int saved, const char *fmt, va_list ap)
{
	char *s, *msg;

	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	msg = xprintf("%s: %s", s != NULL ? s : fmt, strerror(saved));
	free(s);
	return msg;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int saved = errno;

	va_start(ap, fmt);
	msg = log_errno(saved, fmt, ap);
	va_end(ap);
	log_warnx("%s", msg);
	free(msg);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, "", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 2)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, "debug: ", fmt, ap);
	va_end(ap);
}

/* A message as given, without the program's name on stderr. */
void
log_raw(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite_as(LOG_ERR, NULL, "", fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int saved = errno;

	va_start(ap, fmt);
	msg = log_errno(saved, fmt, ap);
	va_end(ap);
	log_warnx("fatal: %s", msg);
	exit(EX_SOFTWARE);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(EX_SOFTWARE);
}
