/*
 * exec: run a command, a check's script. A string goes through /bin/sh -c,
 * a list runs as it is (looked up in PATH, no shell). The child gets its
 * own process group, stdin from /dev/null, stdout and stderr into one
 * pipe, default signal dispositions and an empty signal mask, the task's
 * cwd and our environment with the task's env over it.
 *
 * Its exit is a pidfd: in async mode the pipe and the pidfd are events on
 * the loop (waitpid only once the pidfd says the child is gone, so never
 * blocking); the other modes wait on both as a blocking call would, with
 * job_wait, so that a stop reaches them. The output is read to its end
 * whatever its size (a child never blocks on a full pipe): its first
 * preview characters are kept, and the first TASK_EXEC_KEEP bytes when
 * expect asks about them.
 *
 * The timeout sends SIGTERM to the process group, SIGKILL TASK_EXEC_GRACE
 * seconds later. A stop (the grace already given by shutdown_timeout)
 * sends SIGKILL at once. When the command ends, whatever it left in its
 * process group is killed too, before it is reaped: nothing is left.
 */
#include "autoconf.h"

#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_SYS_PIDFD_H
#include <sys/pidfd.h>
#endif

#include <event2/event.h>

#include "clock.h"
#include "escape.h"
#include "log.h"
#include "preview.h"
#include "task.h"
#include "xmalloc.h"

extern char **environ;

/* From SIGTERM on timeout to SIGKILL. */
#define TASK_EXEC_GRACE 2.0
/* Bytes read at once, and reads per loop turn in async mode. */
#define TASK_EXEC_CHUNK (64 * 1024)
#define TASK_EXEC_READS 4
/* The most output kept for expect's body and body_regex. */
#define TASK_EXEC_KEEP (1024 * 1024)
/* The longest wait for a child sent SIGKILL to end, in ms. */
#define TASK_EXEC_REAP_MS 5000

struct task_exec {
	pid_t pid; /* 0: none (not started, or reaped) */
	int pidfd;
	int out; /* the pipe's read end, -1 at its end */
	int exited; /* the pidfd was readable: a zombie to reap */
	int status; /* waitpid's */
	int term; /* the timeout sent SIGTERM */
	struct preview *preview;
	char *buf; /* TASK_EXEC_CHUNK for reads */
	char *kept; /* for expect: the first TASK_EXEC_KEEP bytes */
	size_t nkept;
	unsigned long long bytes;
	struct event *outev;
	struct event *exitev;
};

#ifndef HAVE_PIDFD_OPEN
static int
pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}
#endif

static void
task_exec_init(struct job *job, struct task_exec *te)
{
	const struct task_expect *e = job->task->opts->expect;

	memset(te, 0, sizeof *te);
	te->pidfd = te->out = -1;
	te->preview = preview_new(job->task->opts->preview);
	te->buf = xmalloc(TASK_EXEC_CHUNK);
	if (e != NULL && (e->body != NULL || e->regex != NULL))
		te->kept = xmalloc(TASK_EXEC_KEEP);
	job->result.status = -1; /* none until the child exits */
}

/* The command's first word, its name: "pg_isready" of "pg_isready -q". */
static void
task_exec_name(const char *s, char *buf, size_t len)
{
	size_t n;

	s += strspn(s, " \t\n");
	n = strcspn(s, " \t\n");
	snprintf(buf, len, "%.*s", (int)n, s);
}

/* Our environment with the task's "NAME=value" entries over it. */
static char **
task_exec_env(char *const *add)
{
	size_t n = 0, m = 0, i, j, k, len;
	char **env;
	int over;

	while (environ != NULL && environ[n] != NULL)
		n++;
	while (add != NULL && add[m] != NULL)
		m++;
	env = xreallocarray(NULL, n + m + 1, sizeof *env);
	for (i = 0, k = 0; i < n; i++) {
		len = strcspn(environ[i], "=");
		over = 0;
		for (j = 0; j < m && !over; j++)
			over = strncmp(add[j], environ[i], len) == 0 &&
			    add[j][len] == '=';
		if (!over)
			env[k++] = environ[i];
	}
	for (i = 0; i < m; i++)
		env[k++] = add[i];
	env[k] = NULL;
	return env;
}

/* A descriptor at 3 or above, close-on-exec: not one of the child's 0-2. */
static int
task_exec_high(int fd)
{
	int high;

	if (fd > 2)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return high;
}

/* Make the pipe: our end non-blocking (the child's stays blocking). */
static int
task_exec_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	p[0] = task_exec_high(p[0]);
	p[1] = task_exec_high(p[1]);
	if (p[0] == -1 || p[1] == -1 ||
	    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK) == -1) {
		if (p[0] != -1)
			close(p[0]);
		if (p[1] != -1)
			close(p[1]);
		return -1;
	}
	return 0;
}

static int
task_exec_attrs(struct job *job, posix_spawn_file_actions_t *fa,
    posix_spawnattr_t *sa, int wr)
{
	const char *cwd = job->task->opts->cwd;
	sigset_t none, all;
	int rc;

	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	if ((rc = posix_spawnattr_setflags(sa,
	         POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	             POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (rc = posix_spawnattr_setpgroup(sa, 0)) != 0 ||
	    (rc = posix_spawnattr_setsigmask(sa, &none)) != 0 ||
	    (rc = posix_spawnattr_setsigdefault(sa, &all)) != 0)
		return rc;
	if ((rc = posix_spawn_file_actions_addopen(
	         fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(fa, wr, 1)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(fa, wr, 2)) != 0)
		return rc;
#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP
	/* What is not close-on-exec (a library's) stays ours too. */
	if ((rc = posix_spawn_file_actions_addclosefrom_np(fa, 3)) != 0)
		return rc;
#endif
	if (cwd != NULL) {
#ifdef HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCHDIR_NP
		if ((rc = posix_spawn_file_actions_addchdir_np(fa, cwd)) != 0)
			return rc;
#else
		return ENOSYS;
#endif
	}
	return 0;
}

/* The command's argv: NULL-ended, for the caller to free. */
static const char **
task_exec_argv(const struct task *t)
{
	const char **argv = NULL;
	size_t max = 4;

	for (;;) {
		argv = xreallocarray(argv, max, sizeof *argv);
		if (config_exec_argv(t, argv, max) > 0)
			return argv;
		max *= 2;
	}
}

/* Start the child: 0, or -1 with the job failed. */
static int
task_exec_spawn(struct job *job, struct task_exec *te)
{
	const struct task *t = job->task;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	const char **argv;
	char **env;
	pid_t pid;
	int p[2], rc;

	if (task_exec_pipe(p) == -1) {
		job_fail(job, "cannot run '%s': pipe: %s", t->arg.str,
		    strerror(errno));
		return -1;
	}
	argv = task_exec_argv(t);
	env = task_exec_env(t->opts->env);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&sa);
	rc = task_exec_attrs(job, &fa, &sa, p[1]);
	if (rc == 0 && (t->flags & TASK_ARGV))
		rc = posix_spawnp(
		    &pid, argv[0], &fa, &sa, (char *const *)argv, env);
	else if (rc == 0)
		rc = posix_spawn(
		    &pid, argv[0], &fa, &sa, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		if (t->opts->cwd != NULL)
			job_fail(job, "cannot run '%s' in %s: %s", argv[0],
			    t->opts->cwd, strerror(rc));
		else
			job_fail(
			    job, "cannot run '%s': %s", argv[0], strerror(rc));
		free(argv);
		free(env);
		return -1;
	}
	free(argv);
	free(env);
	te->pid = pid;
	te->out = p[0];
	if ((te->pidfd = pidfd_open(pid, 0)) == -1) {
		/* No pidfd (Linux before 5.3): nothing to wait on. */
		rc = errno;
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		te->pid = 0;
		job_fail(job, "cannot watch '%s': pidfd_open: %s", t->arg.str,
		    strerror(rc));
		return -1;
	}
	fcntl(te->pidfd, F_SETFD, FD_CLOEXEC);
	return 0;
}

/* Signal the child's process group (its pgid is its pid). */
static void
task_exec_signal(struct task_exec *te, int sig)
{
	if (te->pid > 0 && kill(-te->pid, sig) == -1 && errno != ESRCH)
		log_warn("exec: kill %d", -(int)te->pid);
}

/* Take a chunk of output. */
static void
task_exec_take(struct task_exec *te, const char *buf, size_t n)
{
	size_t k;

	te->bytes += n;
	preview_add(te->preview, buf, n);
	if (te->kept != NULL && te->nkept < TASK_EXEC_KEEP) {
		k = n < TASK_EXEC_KEEP - te->nkept ? n
		                                   : TASK_EXEC_KEEP - te->nkept;
		memcpy(te->kept + te->nkept, buf, k);
		te->nkept += k;
	}
}

/*
 * Read up to reads chunks (0: until there is nothing more now): 1 at the
 * pipe's end (then closed), else 0.
 */
static int
task_exec_read(struct task_exec *te, unsigned reads)
{
	unsigned i;
	ssize_t n;

	for (i = 0; te->out != -1 && (reads == 0 || i < reads); i++) {
		n = read(te->out, te->buf, TASK_EXEC_CHUNK);
		if (n > 0) {
			task_exec_take(te, te->buf, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		/* The end, or an error that ends it alike. */
		if (te->outev != NULL) {
			event_free(te->outev);
			te->outev = NULL;
		}
		close(te->out);
		te->out = -1;
		return 1;
	}
	return te->out == -1;
}

/*
 * The child has exited, or was sent SIGKILL: kill what it left in its
 * group while its zombie still holds the group's id, take the output
 * already written, and reap it. A child sent SIGKILL is waited for (at
 * most TASK_EXEC_REAP_MS: it ends at once unless stuck in the kernel).
 */
static void
task_exec_reap(struct task_exec *te)
{
	struct pollfd pfd;
	pid_t rc;
	int ms;

	if (te->pid <= 0)
		return;
	pfd.fd = te->pidfd;
	pfd.events = POLLIN;
	for (ms = TASK_EXEC_REAP_MS; !te->exited && ms > 0; ms -= 100) {
		if (poll(&pfd, 1, 100) > 0)
			te->exited = 1;
		/* Output it writes meanwhile must not hold it. */
		task_exec_read(te, TASK_EXEC_READS);
	}
	task_exec_signal(te, SIGKILL);
	/* What the child wrote is in the pipe; later writers are killed. */
	task_exec_read(te, 16);
	while ((rc = waitpid(te->pid, &te->status, WNOHANG)) == -1 &&
	    errno == EINTR)
		;
	if (rc != te->pid) {
		log_warnx(
		    "exec: process %d did not end after SIGKILL", (int)te->pid);
		te->status = W_EXITCODE(0, SIGKILL);
	}
	te->pid = 0;
}

/* Let go of everything; the child must be reaped already. */
static void
task_exec_close(struct task_exec *te)
{
	if (te->outev != NULL)
		event_free(te->outev);
	if (te->exitev != NULL)
		event_free(te->exitev);
	if (te->out != -1)
		close(te->out);
	if (te->pidfd != -1)
		close(te->pidfd);
	preview_free(te->preview);
	free(te->buf);
	free(te->kept);
	te->buf = NULL;
	te->outev = te->exitev = NULL;
	te->out = te->pidfd = -1;
	te->preview = NULL;
	te->kept = NULL;
}

/* Does the exit status pass: 0, or one that expect lists? */
static int
task_exec_accepts(const struct task_expect *e, int code)
{
	size_t i;

	if (e == NULL || e->nstatus == 0)
		return code == 0;
	for (i = 0; i < e->nstatus; i++)
		if (code >= e->status[i].lo && code <= e->status[i].hi)
			return 1;
	return 0;
}

/* "exit status 3, expected 0" or "..., expected 1, 2 or 4". */
static void
task_exec_bad_status(struct job *job, int code)
{
	const struct task_expect *e = job->task->opts->expect;
	const char *sep;
	char want[256] = "0";
	size_t i, n = e != NULL ? e->nstatus : 0, len;

	for (i = 0; i < n; i++) {
		sep = i == 0 ? "" : i + 1 < n ? ", " : " or ";
		len = i == 0 ? 0 : strlen(want);
		snprintf(want + len, sizeof want - len, "%s%u", sep,
		    e->status[i].lo);
	}
	if (code == 127 && !(job->task->flags & TASK_ARGV))
		job_fail(job, "exit status 127 (command not found?)");
	else
		job_fail(job, "exit status %d, expected %s", code, want);
}

/* The output against expect's body and body_regex: 0, or -1 failed. */
static int
task_exec_expect_output(struct job *job, struct task_exec *te)
{
	const struct task_expect *e = job->task->opts->expect;
	regmatch_t m;
	int eflags = 0;

	if (e->body != NULL && *e->body != '\0' &&
	    memmem(te->kept, te->nkept, e->body, strlen(e->body)) == NULL) {
		job_fail(job, "output does not contain '%s'", e->body);
		return -1;
	}
	if (e->regex == NULL)
		return 0;
	m.rm_so = 0;
	m.rm_eo = (regoff_t)te->nkept;
#ifdef REG_STARTEND
	eflags = REG_STARTEND;
#else
	te->kept[te->nkept < TASK_EXEC_KEEP ? te->nkept : TASK_EXEC_KEEP - 1] =
	    '\0';
#endif
	if (regexec(e->regex, te->kept, 1, &m, eflags) != 0) {
		job_fail(job, "output does not match '%s'", e->body_regex);
		return -1;
	}
	return 0;
}

/* What the reaped child left: its output, exit status or signal. */
static void
task_exec_collect(struct job *job, struct task_exec *te)
{
	struct result *r = &job->result;

	r->bytes = te->bytes;
	free(r->output);
	r->output = preview_finish(te->preview);
	te->preview = NULL;
	if (WIFEXITED(te->status))
		r->status = WEXITSTATUS(te->status);
	else if (WIFSIGNALED(te->status))
		r->signal = WTERMSIG(te->status);
}

/* The reaped child's result: ok, or why not. */
static void
task_exec_result(struct job *job, struct task_exec *te)
{
	const struct task_expect *e = job->task->opts->expect;
	struct result *r = &job->result;
	double took;
	int sig;

	task_exec_collect(job, te);
	if (r->cancelled)
		return;
	if (te->term) {
		job_fail(job, "timed out after %g s", job->task->opts->timeout);
		return;
	}
	if ((sig = r->signal) != 0) {
#ifdef HAVE_SIGABBREV_NP
		if (sigabbrev_np(sig) != NULL) {
			job_fail(job, "killed by signal %d (SIG%s)", sig,
			    sigabbrev_np(sig));
			return;
		}
#endif
		job_fail(job, "killed by signal %d", sig);
		return;
	}
	if (!task_exec_accepts(e, (int)r->status)) {
		task_exec_bad_status(job, (int)r->status);
		return;
	}
	if (te->kept != NULL && task_exec_expect_output(job, te) != 0)
		return;
	took = clock_now() - job->start;
	if (e != NULL && e->max_time > 0 && took > e->max_time) {
		job_fail(
		    job, "took %.2f s, over max_time %g s", took, e->max_time);
		return;
	}
	r->ok = 1;
}

/* Blocking modes: is the pidfd readable, the child gone? */
static int
task_exec_gone(const struct task_exec *te)
{
	struct pollfd pfd;

	pfd.fd = te->pidfd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) > 0;
}

/*
 * Blocking modes: wait on the pipe and the pidfd together (one epoll
 * descriptor, which job_wait polls beside the run's stop) until the child
 * exits, the timeout escalates, or a stop kills it.
 */
static void
task_exec_run(struct job *job)
{
	struct epoll_event ev;
	struct task_exec te;
	double timeout = job->task->opts->timeout, deadline = -1, left;
	int ep, rc;

	task_exec_init(job, &te);
	if (task_exec_spawn(job, &te) != 0) {
		task_exec_close(&te);
		return;
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, te.out, &ev) == -1 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, te.pidfd, &ev) == -1)
		fatal("epoll_ctl");
	if (timeout > 0)
		deadline = job->start + timeout;
	while (!te.exited) {
		left = deadline < 0 ? -1 : fmax(deadline - clock_now(), 0);
		rc = job_wait(job, ep, POLLIN, left);
		if (rc < 0) {
			job->result.cancelled = 1;
			job_fail(job, "stopped before it finished");
			task_exec_signal(&te, SIGKILL);
			break;
		}
		if (rc == 0) {
			/* The timeout: SIGTERM, then SIGKILL. */
			task_exec_signal(&te, te.term ? SIGKILL : SIGTERM);
			deadline = te.term ? -1 : clock_now() + TASK_EXEC_GRACE;
			te.term = 1;
			continue;
		}
		/* At its end the pipe is closed, which takes it off the set. */
		task_exec_read(&te, TASK_EXEC_READS);
		te.exited = task_exec_gone(&te);
	}
	close(ep);
	task_exec_reap(&te);
	task_exec_result(job, &te);
	task_exec_close(&te);
}

/* Async mode: the child is gone (or was killed): reap it and finish. */
static void
task_exec_end(struct job *job)
{
	struct task_exec *te = job->state;

	job_timer_stop(job);
	task_exec_reap(te);
	task_exec_result(job, te);
	task_exec_close(te);
	free(te);
	job->state = NULL;
	job_finish(job);
}

static void
task_exec_readable(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;

	task_exec_read(job->state, TASK_EXEC_READS);
}

static void
task_exec_exited(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;
	struct task_exec *te = job->state;

	te->exited = 1;
	task_exec_end(job);
}

/* Async mode: the timeout, then its grace, are over. */
static void
task_exec_expired(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;
	struct task_exec *te = job->state;

	task_exec_signal(te, te->term ? SIGKILL : SIGTERM);
	if (!te->term) {
		te->term = 1;
		job_timer(job, TASK_EXEC_GRACE, task_exec_expired);
	}
}

static void
task_exec_start(struct job *job)
{
	struct task_exec *te;

	te = xmalloc(sizeof *te);
	task_exec_init(job, te);
	if (task_exec_spawn(job, te) != 0) {
		task_exec_close(te);
		free(te);
		job_finish_soon(job);
		return;
	}
	job->state = te;
	te->outev = event_new(
	    job->base, te->out, EV_READ | EV_PERSIST, task_exec_readable, job);
	te->exitev =
	    event_new(job->base, te->pidfd, EV_READ, task_exec_exited, job);
	if (te->outev == NULL || te->exitev == NULL)
		fatalx("event_new failed");
	event_add(te->outev, NULL);
	event_add(te->exitev, NULL);
	if (job->task->opts->timeout > 0)
		job_timer(job, job->task->opts->timeout, task_exec_expired);
}

/* A stop: SIGKILL the group (the grace was given) and reap it. */
static void
task_exec_cancel(struct job *job)
{
	struct task_exec *te = job->state;

	job_timer_stop(job);
	if (te == NULL)
		return;
	task_exec_signal(te, SIGKILL);
	task_exec_reap(te);
	task_exec_collect(job, te);
	task_exec_close(te);
	free(te);
	job->state = NULL;
}

/* The command as written (a list: its words joined by spaces). */
static const char *
task_exec_arg(const struct task *t, char *buf, size_t len)
{
	return t->arg.str != NULL ? t->arg.str : "";
}

static void
task_exec_outcome(
    FILE *f, const struct task *t, const struct result *r, int verbose)
{
	fprintf(f, "exit %ld", r->status);
	if (r->output != NULL && *r->output != '\0') {
		fputs(", \"", f);
		escape_fputs(f, r->output, 0);
		fputc('"', f);
	}
}

static void
task_exec_json_arg(const struct task *t, struct task_json *j)
{
	task_json_str(j, NULL, t->arg.str);
}

static void
task_exec_json_result(
    const struct task *t, const struct result *r, struct task_json *j)
{
	if (r->status >= 0 && r->signal == 0)
		task_json_int(j, NULL, r->status);
	else
		task_json_null(j, NULL);
}

static size_t
task_exec_json_fields(
    const struct task *t, const struct result *r, struct task_json *j)
{
	size_t n = 0;

	task_json_str(&j[n++], "output", r->output != NULL ? r->output : "");
	task_json_int(&j[n++], "bytes", (long long)r->bytes);
	if (r->signal != 0)
		task_json_int(&j[n++], "signal", r->signal);
	return n;
}

/* "exec pg_isready" (brief: "pg_isready"): the command's first word. */
static void
task_exec_label(const struct task *t, int brief, char *buf, size_t len)
{
	char name[64];

	task_exec_name(t->arg.str != NULL ? t->arg.str : "", name, sizeof name);
	snprintf(buf, len, brief ? "%s" : "exec %s", name);
}

static unsigned long long
task_exec_tally(const struct result *r)
{
	return r->status >= 0 ? (unsigned long long)r->status : 0;
}

static void
task_exec_brief(const struct task *t, unsigned long long status,
    unsigned long long bytes, char *buf, size_t len)
{
	snprintf(buf, len, "exit %llu, %llu bytes", status, bytes);
}

const struct task_ops task_exec_ops = {
    .run = task_exec_run,
    .start = task_exec_start,
    .cancel = task_exec_cancel,
    .arg = task_exec_arg,
    .outcome = task_exec_outcome,
    .json_arg = task_exec_json_arg,
    .json_result = task_exec_json_result,
    .json_fields = task_exec_json_fields,
    .label = task_exec_label,
    .tally = task_exec_tally,
    .brief = task_exec_brief,
    .fill = "#c9ced6",
    .stroke = "#4a5565",
    .sgr = "\033[30;47m",
};
