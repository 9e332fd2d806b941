/*
 * The one module that owns the event loop and its lifecycle: detaching,
 * the pidfile, signals as libevent events, runs one after another at a
 * fixed interval, reloads that apply from the next run, and the stop.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "executor.h"
#include "fetch.h"
#include "log.h"
#include "loop.h"
#include "output.h"
#include "pidfile.h"
#include "run.h"
#include "signals.h"
#include "status.h"
#include "task-factorial.h"
#include "xmalloc.h"

/* After a second stop signal, seconds before giving up on tasks that
 * cannot be cancelled (a factorial on a worker thread). */
#define DAEMON_HARD_STOP 1.0

/*
 * A reload read off the loop's thread, with its own copy of what it reads:
 * stuck on a slow file system, it may outlive the daemon.
 */
struct daemon_reload {
	pthread_mutex_t lock;
	struct daemon_opts opts; /* its strings are copies, freed with it */
	struct event *done; /* made active when the thread is done */
	struct config *cf;
	int finished;
	int abandoned; /* the daemon is gone: the thread frees this */
	pthread_t thread;
};

struct daemon {
	struct event_base *base;
	struct config *cf;
	struct config *next_cf;
	struct daemon_opts *opts;
	struct output *output;
	struct run *run;
	struct run *old_run;
	struct event *tick;
	struct event *reloaded;
	struct event *hard;
	struct daemon_reload *reload;
	int reload_again;
	struct pidfile *pidfile;
	struct status *status;
	struct fetch_loop *fetch; /* one for every run: connections stay */
	unsigned runs;
	double due;
	size_t failed;
	int stopping;
	int ready_fd;
	int output_rc; /* EX_IOERR: output was lost */
	int abandoned; /* a reload thread was left running */
};

/* The daemon that runs, for the out-of-memory hook. */
static struct daemon *daemon_current;

static void daemon_start_run(struct daemon *);
static void daemon_exit_now(struct daemon *, int) __attribute__((noreturn));

/* Load the task file and lay the command line over it; log any error. */
int
daemon_load(const struct daemon_opts *o, struct config **out)
{
	struct config *cf;
	const char *near;
	char *cause;
	int rc;

	if ((rc = config_load(o->file, &cf, &cause)) != 0) {
		log_raw("%s", cause);
		free(cause);
		return rc;
	}
	if (o->mode != NULL && config_mode_parse(o->mode, &cf->mode) != 0) {
		if ((near = config_mode_suggest(o->mode)) != NULL)
			log_warnx("--mode: unknown mode '%s' (did you mean "
			          "'%s'?)",
			    o->mode, near);
		else
			log_warnx("--mode: expected sync, cooperative, "
			          "threads or async, got '%s'",
			    o->mode);
		config_free(cf);
		return EX_USAGE;
	}
	if (o->workers != NULL &&
	    config_set_workers(cf, o->workers, &cause) != 0) {
		log_warnx("--workers: %s", cause);
		free(cause);
		config_free(cf);
		return EX_USAGE;
	}
	if (o->interval > 0)
		cf->interval = o->interval;
	/* Here, so that a reloaded file is scaled as the first was. */
	if (o->time_scale > 0)
		config_scale_time(cf, o->time_scale);
	if (o->compare)
		cf->interval = cf->jitter = 0;
	*out = cf;
	return 0;
}

static struct timeval
daemon_tv(double s)
{
	struct timeval tv;
	double whole;

	if (s < 0)
		s = 0;
	tv.tv_usec = (suseconds_t)(modf(s, &whole) * 1e6);
	tv.tv_sec = (time_t)whole;
	return tv;
}

/* How many runs: --runs, else one, or no end with an interval. */
static unsigned
daemon_max_runs(const struct daemon *d)
{
	if (d->opts->compare)
		return MODE_COUNT;
	if (d->opts->runs > 0)
		return d->opts->runs;
	return d->cf->interval > 0 ? 0 : 1;
}

/* A random delay up to the jitter. */
static double
daemon_jitter(const struct daemon *d)
{
	if (d->cf->jitter <= 0)
		return 0;
	return d->cf->jitter * ((double)random() / (double)RAND_MAX);
}

static void
daemon_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	/* A stop between runs may come in the loop turn the tick fires in. */
	if (!d->stopping)
		daemon_start_run(d);
}

/* A run ended: stop, or schedule the next at a fixed rate. */
static void
daemon_run_done(struct run *run, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv;
	double now = clock_now(), wait;
	unsigned max = daemon_max_runs(d);

	d->failed += run_failed(run);
	d->old_run = run;
	d->run = NULL;
	output_run_done(d->output, run, d->stopping);
	if (d->stopping || (max > 0 && d->runs >= max)) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	d->due += d->cf->interval;
	if (now > d->due) {
		/* Late by the run itself, not by the jitter before it. */
		if (d->cf->interval > 0 && run_elapsed(run) >= d->cf->interval)
			log_warnx(
			    "run %u took %.3f s, longer than the interval "
			    "of %g s: the next starts now",
			    d->runs, run_elapsed(run), d->cf->interval);
		d->due = now;
	}
	wait = d->due - now + daemon_jitter(d);
	tv = daemon_tv(wait);
	evtimer_add(d->tick, &tv);
	status_set_next(d->status, clock_wall() + wait);
}

/* The mode the next run takes: with --compare, each in turn. */
static enum mode
daemon_run_mode(const struct daemon *d)
{
	static const enum mode modes[MODE_COUNT] = {
	    MODE_SYNC, MODE_COOPERATIVE, MODE_THREADS, MODE_ASYNC};

	if (!d->opts->compare || d->runs >= MODE_COUNT)
		return d->cf->mode;
	return modes[d->runs];
}

/* Start the next run, with a reloaded task list if there is one. */
static void
daemon_start_run(struct daemon *d)
{
	enum mode mode;

	run_free(d->old_run);
	d->old_run = NULL;
	if (d->next_cf != NULL) {
		config_free(d->cf);
		d->cf = d->next_cf;
		d->next_cf = NULL;
		status_set_config(d->status, d->cf);
	}
	mode = daemon_run_mode(d);
	d->run =
	    run_new(d->base, d->cf, mode, output_report(d->output), ++d->runs);
	output_run_start(d->output, d->run);
	if (d->opts->shard_n > 0)
		run_set_shard(d->run, d->opts->shard_k, d->opts->shard_n);
	run_set_fetch_loop(d->run, &d->fetch);
	status_set_run(d->status, d->runs);
	run_start(d->run, daemon_run_done, d);
}

/* A second stop's moment is over: end without what still runs. */
static void
daemon_hard_stop(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	log_warnx("tasks that cannot be cancelled still run: exiting "
	          "without them");
	daemon_exit_now(d, 1);
}

/*
 * Stop gracefully (SIGINT, SIGTERM, a reader gone): no new task starts,
 * running ones get shutdown_timeout. A second stop cancels them at once,
 * and exits after a moment whatever still runs; a signal's first says so.
 */
static void
daemon_stop(struct daemon *d, const char *why, int sig)
{
	struct timeval tv = {(time_t)DAEMON_HARD_STOP, 0};

	d->stopping++;
	status_set_stopping(d->status);
	if (d->run == NULL) {
		log_info("%s: stopping", why);
		/* Between runs nothing is left to finish: end this turn. */
		evtimer_del(d->tick);
		event_base_loopbreak(d->base);
		return;
	}
	if (d->stopping > 1) {
		log_warnx("%s again: cancelling what still runs", why);
		if (d->hard == NULL) {
			d->hard = evtimer_new(d->base, daemon_hard_stop, d);
			if (d->hard == NULL)
				fatalx("evtimer_new failed");
			evtimer_add(d->hard, &tv);
		}
	} else
		log_info("%s: stopping; running tasks get %g s%s", why,
		    d->cf->shutdown_timeout, sig ? " (again to stop now)" : "");
	run_stop(d->run, d->stopping > 1 ? 0 : d->cf->shutdown_timeout);
}

/* stdout's reader went away (EPIPE): the rest of the run is for nobody. */
static void
daemon_gone(void *arg)
{
	struct daemon *d = arg;

	if (!d->stopping)
		daemon_stop(d, "stdout closed by its reader", 0);
}

/*
 * A task list with url tasks needs libcurl, which loads on first use: load
 * it before the list is taken, so that a missing one is said at once.
 */
static int
daemon_can_run(const struct config *cf)
{
	char *cause;
	size_t i;

	if (cf->nkind[TASK_URL] == 0 || fetch_available(&cause) == 0)
		return 0;
	/* Name the first url task, where the need comes from. */
	for (i = 0; cf->tasks[i].kind != TASK_URL; i++)
		;
	log_warnx("%s:%u: %s", cf->path, cf->tasks[i].line, cause);
	free(cause);
	return -1;
}

/* Free a reload and its copies of the options. */
static void
daemon_reload_free(struct daemon_reload *rl)
{
	pthread_mutex_destroy(&rl->lock);
	free((char *)rl->opts.file);
	free((char *)rl->opts.mode);
	free((char *)rl->opts.workers);
	free(rl);
}

/*
 * SIGHUP's work, on a thread of its own: a large task file or a slow file
 * system must not hold the loop, whose status endpoint and timers go on.
 */
static void *
daemon_reload_thread(void *arg)
{
	struct daemon_reload *rl = arg;
	struct config *cf = NULL;
	int abandoned;

	if (daemon_load(&rl->opts, &cf) != 0)
		cf = NULL;
	else if (daemon_can_run(cf) != 0) {
		config_free(cf);
		cf = NULL;
	}
	pthread_mutex_lock(&rl->lock);
	rl->cf = cf;
	rl->finished = 1;
	if (!(abandoned = rl->abandoned))
		event_active(rl->done, EV_TIMEOUT, 0);
	pthread_mutex_unlock(&rl->lock);
	if (abandoned) {
		config_free(cf);
		daemon_reload_free(rl);
	}
	return NULL;
}

/* SIGHUP: read the file again; keep the running list if it is bad. */
static void
daemon_reload(struct daemon *d)
{
	struct daemon_reload *rl;

	if (d->reload != NULL) {
		/* One is being read: read once more when it is done. */
		d->reload_again = 1;
		return;
	}
	rl = xcalloc(1, sizeof *rl);
	pthread_mutex_init(&rl->lock, NULL);
	rl->opts = *d->opts;
	rl->opts.file = xstrdup(d->opts->file);
	if (d->opts->mode != NULL)
		rl->opts.mode = xstrdup(d->opts->mode);
	if (d->opts->workers != NULL)
		rl->opts.workers = xstrdup(d->opts->workers);
	rl->done = d->reloaded;
	if (pthread_create(&rl->thread, NULL, daemon_reload_thread, rl) != 0) {
		log_warn("reload of %s: cannot start a thread; keeping the "
		         "running task list",
		    d->opts->file);
		daemon_reload_free(rl);
		return;
	}
	d->reload = rl;
}

/* The reload thread is done: take its list, or keep the running one. */
static void
daemon_reloaded(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct daemon_reload *rl = d->reload;
	struct config *cf;

	if (rl == NULL)
		return;
	pthread_join(rl->thread, NULL);
	cf = rl->cf;
	daemon_reload_free(rl);
	d->reload = NULL;
	if (cf == NULL)
		log_warnx("reload of %s failed: keeping the running task list",
		    d->opts->file);
	else {
		config_free(d->next_cf);
		d->next_cf = cf;
		log_info("reloaded %s: %zu tasks, %s mode, %u workers; "
		         "applies from the next run",
		    d->opts->file, cf->ntasks, config_mode_name(cf->mode),
		    cf->nworkers);
	}
	if (d->reload_again) {
		d->reload_again = 0;
		daemon_reload(d);
	}
}

/*
 * A reload still being read when the daemon ends is left to itself: 1
 * then, and the program must end without its global clean-up (libcurl's,
 * the log's), which the thread may still use.
 */
static int
daemon_reload_abandon(struct daemon *d)
{
	struct daemon_reload *rl = d->reload;
	int finished;

	if (rl == NULL)
		return 0;
	pthread_mutex_lock(&rl->lock);
	finished = rl->finished;
	rl->abandoned = !finished;
	pthread_mutex_unlock(&rl->lock);
	d->reload = NULL;
	if (!finished) {
		pthread_detach(rl->thread);
		return 1;
	}
	pthread_join(rl->thread, NULL);
	config_free(rl->cf);
	daemon_reload_free(rl);
	return 0;
}

/* SIGUSR1: the log file and the results file again, after a rotation. */
static void
daemon_reopen(struct daemon *d)
{
	char *cause;

	if (log_reopen(&cause) != 0) {
		log_warnx("cannot reopen log file %s", cause);
		free(cause);
	}
	if (d->output != NULL)
		output_reopen(d->output);
}

static void
daemon_signal(int sig, void *arg)
{
	struct daemon *d = arg;

	switch (sig) {
	case SIGHUP:
		daemon_reload(d);
		break;
	case SIGUSR1:
		daemon_reopen(d);
		break;
	default:
		daemon_stop(d, strsignal(sig), 1);
		break;
	}
}

/* Paths made absolute before the daemon leaves its folder. */
static char *
daemon_abs(const char *path)
{
	char cwd[4096];

	if (path == NULL || *path == '/')
		return NULL;
	if (getcwd(cwd, sizeof cwd) == NULL)
		fatal("getcwd");
	return xprintf("%s/%s", cwd, path);
}

/*
 * Fork into the background. The parent waits until the child says it
 * is running (a byte on a pipe: its exit status), so that a held pidfile
 * or a busy port still fails the command that started it.
 */
static int
daemon_detach(struct daemon *d, int keep_stderr)
{
	int fds[2], null;
	unsigned char status = EX_SOFTWARE;
	pid_t pid;

	if (pipe(fds) == -1)
		fatal("pipe");
	fflush(NULL);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &status, 1) != 1)
			status = EX_SOFTWARE;
		_exit(status);
	}
	close(fds[0]);
	(void)fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	d->ready_fd = fds[1];
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
		return 0;
	log_stderr(0);
	if (d->opts->log == NULL)
		log_syslog(1);
	return 0;
}

/*
 * Before detaching, say where diagnostics will go: the log file, syslog,
 * or, where no syslog daemon listens (a container), stderr as it is.
 * Whether stderr is kept.
 */
static int
daemon_say_where(const struct daemon_opts *o)
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

/* Tell whoever waits for us (the parent of -d) how the start went. */
static void
daemon_ready(struct daemon *d, int status)
{
	unsigned char c = (unsigned char)status;

	if (d->ready_fd <= 0)
		return;
	if (write(d->ready_fd, &c, 1) != 1)
		log_warn("readiness pipe");
	close(d->ready_fd);
	d->ready_fd = -1;
}

/* Free it all; the outputs take what waits first, and count what not. */
static void
daemon_free(struct daemon *d)
{
	if (d->tick != NULL)
		event_free(d->tick);
	if (d->hard != NULL)
		event_free(d->hard);
	d->abandoned = daemon_reload_abandon(d);
	if (d->reloaded != NULL)
		event_free(d->reloaded);
	signals_free();
	status_free(d->status);
	run_free(d->run);
	run_free(d->old_run);
	fetch_loop_free(d->fetch);
	d->output_rc = output_free(d->output);
	config_free(d->next_cf);
	pidfile_remove(d->pidfile);
	if (d->base != NULL)
		event_base_free(d->base);
	daemon_current = NULL;
}

/*
 * End now (a second stop with tasks that cannot be cancelled, or out of
 * memory): what finished is written, each output given a moment, the
 * pidfile removed; then _exit, for other threads may still run.
 */
static void
daemon_exit_now(struct daemon *d, int status)
{
	if (d != NULL) {
		if (output_emergency(d->output))
			status = EX_IOERR;
		pidfile_remove(d->pidfile);
		d->pidfile = NULL;
	}
	log_close();
	_exit(status);
}

/* Memory ran out: say so, write what finished, and end with 70. */
static void
daemon_oom(const char *what, size_t size)
{
	static __thread int here;
	static int dying;

	if (here++ > 0) /* out of memory again, while writing */
		_exit(EX_SOFTWARE);
	if (__atomic_exchange_n(&dying, 1, __ATOMIC_SEQ_CST))
		for (;;)
			pause(); /* another thread is ending the program */
	log_warnx("out of memory: %s could not allocate %zu bytes; "
	          "stopping with what finished written",
	    what, size);
	daemon_exit_now(daemon_current, EX_SOFTWARE);
}

/* Everything that can fail before the first run: 0 or an exit status. */
static int
daemon_setup(struct daemon *d)
{
	char *cause;
	int rc;

	/*
	 * Signals first: whoever sees the pidfile may signal at once, and a
	 * signal waits in the pipe until the loop runs.
	 */
	d->base = loop_base_new();
	d->reloaded = event_new(d->base, -1, 0, daemon_reloaded, d);
	d->tick = evtimer_new(d->base, daemon_tick, d);
	if (d->reloaded == NULL || d->tick == NULL)
		fatalx("event_new failed");
	if (signals_init(d->base, daemon_signal, d) != 0)
		fatal("signals");
	if (d->opts->pidfile != NULL) {
		d->pidfile = pidfile_create(d->opts->pidfile, &cause);
		if (d->pidfile == NULL) {
			log_warnx("cannot start: %s", cause);
			free(cause);
			return EX_TEMPFAIL;
		}
	}
	if (daemon_can_run(d->cf) != 0 || output_check(d->opts) != 0)
		return EX_TEMPFAIL;
	loop_raise_nofile();
	d->output = output_new(d->base, d->opts, daemon_gone, d);
	if (d->output == NULL)
		return EX_TEMPFAIL;
	if (d->opts->status != NULL) {
		rc = status_new(d->base, output_report(d->output),
		    d->opts->status, &d->status, &cause);
		if (rc != 0) {
			log_warnx("--status: %s", cause);
			free(cause);
			return rc;
		}
		status_set_config(d->status, d->cf);
	}
	return 0;
}

/* Run the task list; the exit status: 0 all ok, 1 a task failed. */
int
daemon_main(struct config *cf, struct daemon_opts *opts)
{
	struct daemon d;
	char *abs[6];
	int rc, i;

	memset(&d, 0, sizeof d);
	d.cf = cf;
	d.opts = opts;
	d.ready_fd = -1;
	memset(abs, 0, sizeof abs);
	if (opts->detach) {
		const char **paths[6] = {&opts->file, &opts->results,
		    &opts->pidfile, &opts->log, &opts->timeline_svg,
		    &opts->trace};

		for (i = 0; i < 6; i++) {
			if ((abs[i] = daemon_abs(*paths[i])) != NULL)
				*paths[i] = abs[i];
		}
		daemon_detach(&d, daemon_say_where(opts));
		opts->stdout_closed = 0; /* /dev/null now, by design */
	}
	log_stderr_nonblock();
	daemon_current = &d;
	xmalloc_on_oom(daemon_oom);
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	if ((rc = daemon_setup(&d)) != 0) {
		daemon_ready(&d, rc);
		daemon_free(&d);
		config_free(d.cf);
		for (i = 0; i < 6; i++)
			free(abs[i]);
		return rc;
	}
	daemon_ready(&d, 0);
	d.due = clock_now();
	if (cf->jitter > 0) {
		struct timeval tv = daemon_tv(daemon_jitter(&d));

		evtimer_add(d.tick, &tv);
	} else
		daemon_start_run(&d);
	event_base_dispatch(d.base);
	rc = d.failed > 0 ? 1 : 0;
	cf = d.cf;
	daemon_free(&d);
	config_free(cf);
	/* A factorial abandoned by a stop may still be on the pool. */
	factorial_helpers_wait(DAEMON_HARD_STOP);
	executor_shutdown();
	if (d.output_rc != 0)
		rc = d.output_rc;
	if (d.abandoned) {
		log_warnx("a reload of %s is still being read: exiting "
		          "without it",
		    opts->file);
		_exit(rc);
	}
	for (i = 0; i < 6; i++)
		free(abs[i]);
	return rc;
}
