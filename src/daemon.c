/*
 * The one module that owns the event loop and its lifecycle: detaching,
 * the pidfile, signals as libevent events, runs one after another at a
 * fixed interval, reloads that apply from the next run, and the stop.
 */
#include "autoconf.h"

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
#include "detach.h"
#include "executor.h"
#include "fetch.h"
#include "load.h"
#include "log.h"
#include "loop.h"
#include "output.h"
#include "pidfile.h"
#include "reload.h"
#include "run.h"
#include "signals.h"
#include "status.h"
#include "factorial.h"
#include "xmalloc.h"

/* After a second stop signal, seconds before giving up on tasks that
 * cannot be cancelled (a factorial on a worker thread). */
#define DAEMON_HARD_STOP 1.0

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
	struct reload *reload;
	int reload_again;
	struct pidfile *pidfile;
	struct status *status;
	unsigned runs;
	enum mode ui_mode; /* --ui: the mode the page asked for */
	double ui_scale; /* --ui: the time scale the list has now */
	double due;
	size_t failed;
	int stopping;
	struct detach *detach; /* -d */
	int output_rc; /* EX_IOERR: output was lost */
	int abandoned; /* a reload thread was left running */
};

/* The daemon that runs, for the out-of-memory hook. */
static struct daemon *daemon_current;

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

/* The mode the next run takes: with --compare, each in turn. */
static enum mode
daemon_run_mode(const struct daemon *d)
{
	static const enum mode modes[MODE_COUNT] = {
	    MODE_SYNC, MODE_COOPERATIVE, MODE_THREADS, MODE_ASYNC};

	if (d->opts->ui != NULL)
		return d->ui_mode;
	if (!d->opts->compare || d->runs >= MODE_COUNT)
		return d->cf->mode;
	return modes[d->runs];
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
	if (d->opts->ui != NULL) {
		/* The next run is the page's to ask for. */
		if (d->stopping)
			event_base_loopexit(d->base, NULL);
		return;
	}
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
	tv = clock_tv(wait);
	evtimer_add(d->tick, &tv);
	status_set_next(d->status, clock_wall() + wait);
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
	status_set_run(d->status, d->runs);
	run_start(d->run, daemon_run_done, d);
}

static void
daemon_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	/* A stop between runs may come in the loop turn the tick fires in. */
	if (!d->stopping)
		daemon_start_run(d);
}

/*
 * End now (a second stop with tasks that cannot be cancelled, or out of
 * memory): what finished is written, each output given a moment, the
 * pidfile removed; then _exit, for other threads may still run.
 */
static __attribute__((noreturn)) void
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

/* SIGHUP: read the file again; keep the running list if it is bad. */
static void
daemon_reload(struct daemon *d)
{
	if (d->reload != NULL) {
		/* One is being read: read once more when it is done. */
		d->reload_again = 1;
		return;
	}
	d->reload = reload_start(d->opts, d->reloaded);
}

/* The reload thread is done: take its list, or keep the running one. */
static void
daemon_reloaded(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct config *cf;

	if (d->reload == NULL)
		return;
	cf = reload_finish(d->reload);
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

/* SIGHUP reloads, SIGUSR1 reopens after a rotation, the others stop. */
static void
daemon_signal(int sig, void *arg)
{
	struct daemon *d = arg;

	if (sig == SIGHUP)
		daemon_reload(d);
	else if (sig == SIGUSR1)
		output_reopen(d->output);
	else
		daemon_stop(d, strsignal(sig), 1);
}

/* Free it all; the outputs take what waits first, and count what not. */
static void
daemon_free(struct daemon *d)
{
	if (d->tick != NULL)
		event_free(d->tick);
	if (d->hard != NULL)
		event_free(d->hard);
	d->abandoned = reload_abandon(d->reload);
	d->reload = NULL;
	if (d->reloaded != NULL)
		event_free(d->reloaded);
	signals_free();
	status_free(d->status);
	run_free(d->run);
	run_free(d->old_run);
	d->output_rc = output_free(d->output);
	config_free(d->next_cf);
	pidfile_remove(d->pidfile);
	if (d->base != NULL)
		event_base_free(d->base);
	config_free(d->cf);
	daemon_current = NULL;
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

/*
 * --ui: the page asks for a run in a mode, at a time scale (0: the one
 * given at start). Its number, or 0 while one is going or on a stop.
 */
static unsigned
daemon_ui_run(enum mode mode, double scale, void *arg)
{
	struct daemon *d = arg;
	double base = d->opts->time_scale > 0 ? d->opts->time_scale : 1;

	if (d->run != NULL || d->stopping)
		return 0;
	if (scale <= 0)
		scale = base;
	/*
	 * The list that runs has ui_scale applied, or a reloaded one the
	 * scale it was loaded with: scale it from there.
	 */
	if (d->next_cf == NULL && scale != d->ui_scale)
		config_scale_time(d->cf, scale / d->ui_scale);
	else if (d->next_cf != NULL && scale != base)
		config_scale_time(d->next_cf, scale / base);
	d->ui_mode = mode;
	daemon_start_run(d);
	d->ui_scale = scale;
	return d->runs;
}

/* --status or --ui: the endpoint, and for --ui the page. */
static int
daemon_status(struct daemon *d)
{
	const char *addr = d->opts->ui != NULL ? d->opts->ui : d->opts->status;
	char *cause;
	int rc;

	rc = status_new(
	    d->base, output_report(d->output), addr, &d->status, &cause);
	if (rc != 0) {
		log_warnx(
		    "%s: %s", d->opts->ui != NULL ? "--ui" : "--status", cause);
		free(cause);
		return rc;
	}
	status_set_config(d->status, d->cf);
	if (d->opts->ui != NULL) {
		status_set_ui(d->status, daemon_ui_run, d);
		output_say(
		    d->output, "listening on %s\n", status_url(d->status));
	}
	return 0;
}

/* Everything that can fail before the first run: 0 or an exit status. */
static int
daemon_setup(struct daemon *d)
{
	char *cause;

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
	if (load_can_run(d->cf) != 0 || output_check(d->opts) != 0)
		return EX_TEMPFAIL;
	loop_raise_nofile();
	d->output = output_new(d->base, d->opts, daemon_gone, d);
	if (d->output == NULL)
		return EX_TEMPFAIL;
	if (d->opts->status != NULL || d->opts->ui != NULL)
		return daemon_status(d);
	return 0;
}

/* The first run: now, or after a random moment up to the jitter. */
static void
daemon_first_run(struct daemon *d)
{
	struct timeval tv = clock_tv(daemon_jitter(d));

	d->due = clock_now();
	d->ui_scale = d->opts->time_scale > 0 ? d->opts->time_scale : 1;
	if (d->opts->ui != NULL)
		return; /* the page asks for runs */
	if (d->cf->jitter > 0)
		evtimer_add(d->tick, &tv);
	else
		daemon_start_run(d);
}

/* Run the task list; the exit status: 0 all ok, 1 a task failed. */
int
daemon_main(struct config *cf, struct daemon_opts *opts)
{
	struct daemon d;
	int rc;

	memset(&d, 0, sizeof d);
	d.cf = cf;
	d.opts = opts;
	if (opts->detach)
		d.detach = detach_start(opts);
	log_stderr_nonblock();
	daemon_current = &d;
	xmalloc_on_oom(daemon_oom);
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	rc = daemon_setup(&d);
	detach_ready(d.detach, rc);
	if (rc == 0) {
		daemon_first_run(&d);
		event_base_dispatch(d.base);
		rc = d.failed > 0 ? 1 : 0;
	}
	daemon_free(&d);
	/* A factorial abandoned by a stop may still be on the pool. */
	factorial_helpers_wait(DAEMON_HARD_STOP);
	executor_shutdown();
	if (rc <= 1 && d.output_rc != 0)
		rc = d.output_rc;
	if (d.abandoned) {
		log_warnx("a reload of %s is still being read: exiting "
		          "without it",
		    opts->file);
		_exit(rc);
	}
	detach_free(d.detach);
	return rc;
}
