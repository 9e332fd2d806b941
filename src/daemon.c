/*
 * The one module that owns the event loop: it builds the report sinks,
 * starts each run, and turns signals (as libevent events) into a stop.
 */
#include "autoconf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "report.h"
#include "run.h"
#include "xmalloc.h"

struct daemon {
	struct event_base *base;
	struct config *cf;
	const struct daemon_opts *opts;
	struct report *report;
	struct run *run;
	struct event *sigint;
	struct event *sigterm;
	unsigned runs;
	size_t failed;
	int stopping;
};

/* A loop with precise timers: libevent's default clock is coarse (ms). */
struct event_base *
daemon_base_new(void)
{
	struct event_config *ec;
	struct event_base *base;

	if ((ec = event_config_new()) == NULL)
		fatalx("event_config_new failed");
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (base == NULL)
		fatalx("event_base_new failed");
	return base;
}

/* Colour only on a terminal, and never with NO_COLOR set. */
static int
daemon_color(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc != NULL && *nc != '\0')
		return 0;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(STDOUT_FILENO);
}

/* stdout gets text or JSON Lines unless quiet; -o gets results. */
static int
daemon_report(struct daemon *d)
{
	const struct daemon_opts *o = d->opts;
	char *cause;

	d->report = report_new();
	if (!o->quiet && o->json)
		report_json_add(d->report, stdout);
	else if (!o->quiet)
		report_text_add(d->report, stdout, o->verbose, daemon_color());
	if (o->results != NULL &&
	    report_results_add(d->report, o->results, &cause) != 0) {
		log_warnx("cannot open results file %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static void
daemon_run_done(struct run *run, void *arg)
{
	struct daemon *d = arg;

	d->failed += run_failed(run);
	event_base_loopexit(d->base, NULL);
}

/* SIGINT or SIGTERM: stop gracefully; a second one stops at once. */
static void
daemon_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	if (d->stopping)
		log_warnx("%s again: stopping now", strsignal((int)sig));
	else
		log_warnx("%s: stopping; running tasks get %g s",
		    strsignal((int)sig), d->cf->shutdown_timeout);
	d->stopping++;
	if (d->run != NULL)
		run_stop(d->run, d->stopping > 1 ? 0 : d->cf->shutdown_timeout);
}

static void
daemon_free(struct daemon *d)
{
	if (d->sigint != NULL)
		event_free(d->sigint);
	if (d->sigterm != NULL)
		event_free(d->sigterm);
	run_free(d->run);
	report_free(d->report);
	if (d->base != NULL)
		event_base_free(d->base);
}

/* Run the task list; the exit status: 0 all ok, 1 a task failed. */
int
daemon_main(struct config *cf, const struct daemon_opts *opts)
{
	struct daemon d;
	int rc;

	memset(&d, 0, sizeof d);
	d.cf = cf;
	d.opts = opts;
	signal(SIGPIPE, SIG_IGN);
	d.base = daemon_base_new();
	if (daemon_report(&d) != 0) {
		daemon_free(&d);
		return EX_TEMPFAIL;
	}
	d.sigint = evsignal_new(d.base, SIGINT, daemon_signal, &d);
	d.sigterm = evsignal_new(d.base, SIGTERM, daemon_signal, &d);
	evsignal_add(d.sigint, NULL);
	evsignal_add(d.sigterm, NULL);
	d.run = run_new(d.base, cf, d.report, 1);
	if (opts->shard_n > 0)
		run_set_shard(d.run, opts->shard_k, opts->shard_n);
	run_start(d.run, daemon_run_done, &d);
	event_base_dispatch(d.base);
	rc = d.failed > 0 ? 1 : 0;
	daemon_free(&d);
	return rc;
}
