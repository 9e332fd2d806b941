/*
 * -d: fork into the background. The parent waits until the child says it
 * is running (a byte on a pipe: its exit status), so that a held pidfile
 * or a busy port still fails the command that started it.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "daemon.h"
#include "detach.h"
#include "log.h"
#include "xmalloc.h"

/* The paths -d makes absolute: file, results, pidfile, log, svg, trace. */
#define DETACH_PATHS 6

struct detach {
	char *abs[DETACH_PATHS];
	int ready_fd;
};

/* A path made absolute before the daemon leaves its folder, or NULL. */
static char *
detach_abs(const char *path)
{
	char cwd[4096];

	if (path == NULL || *path == '/')
		return NULL;
	if (getcwd(cwd, sizeof cwd) == NULL)
		fatal("getcwd");
	return xprintf("%s/%s", cwd, path);
}

/*
 * Before detaching, say where diagnostics will go: the log file, syslog,
 * or, where no syslog daemon listens (a container), stderr as it is.
 * Whether stderr is kept.
 */
static int
detach_say_where(const struct daemon_opts *o)
{
	if (!o->quiet && o->results == NULL)
		log_warnx("detached: the report goes to /dev/null; "
		          "use -o FILE to keep the results");
	if (o->log != NULL) {
		log_info("detached: diagnostics go to %s", o->log);
		return 0;
	}
	if (log_syslog_works()) {
		log_info("detached: diagnostics go to syslog");
		return 0;
	}
	log_warnx("detached: no syslog listens on /dev/log, so diagnostics "
	          "stay on this stderr (-l FILE keeps them in a file)");
	return 1;
}

/* The parent: wait for the child's word, and end with it. */
static void
detach_parent(int fd)
{
	unsigned char status = EX_SOFTWARE;

	if (read(fd, &status, 1) != 1)
		status = EX_SOFTWARE;
	_exit(status);
}

/* The child: a session of its own, in /, on /dev/null. */
static void
detach_child(const struct daemon_opts *o, int keep_stderr)
{
	int null;

	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (!keep_stderr)
			dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	if (keep_stderr)
		return;
	log_stderr(0);
	if (o->log == NULL)
		log_syslog(1);
}

/* Detach; only the child returns, its paths made absolute. */
struct detach *
detach_start(struct daemon_opts *o)
{
	const char **paths[DETACH_PATHS] = {&o->file, &o->results, &o->pidfile,
	    &o->log, &o->timeline_svg, &o->trace};
	struct detach *dt;
	int fds[2], i, keep_stderr;
	pid_t pid;

	dt = xcalloc(1, sizeof *dt);
	for (i = 0; i < DETACH_PATHS; i++) {
		if ((dt->abs[i] = detach_abs(*paths[i])) != NULL)
			*paths[i] = dt->abs[i];
	}
	keep_stderr = detach_say_where(o);
	if (pipe(fds) == -1)
		fatal("pipe");
	fflush(NULL);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(fds[1]);
		detach_parent(fds[0]);
	}
	close(fds[0]);
	if (fcntl(fds[1], F_SETFD, FD_CLOEXEC) == -1)
		fatal("fcntl");
	dt->ready_fd = fds[1];
	detach_child(o, keep_stderr);
	o->stdout_closed = 0; /* /dev/null now, by design */
	return dt;
}

/* Tell whoever waits for us (the parent of -d) how the start went. */
void
detach_ready(struct detach *dt, int status)
{
	unsigned char c = (unsigned char)status;

	if (dt == NULL || dt->ready_fd < 0)
		return;
	if (write(dt->ready_fd, &c, 1) != 1)
		log_warn("readiness pipe");
	close(dt->ready_fd);
	dt->ready_fd = -1;
}

/* Free the absolute paths; the options point to them until then. */
void
detach_free(struct detach *dt)
{
	int i;

	if (dt == NULL)
		return;
	for (i = 0; i < DETACH_PATHS; i++)
		free(dt->abs[i]);
	free(dt);
}
