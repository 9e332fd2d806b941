/*
 * SIGHUP's work, on a thread of its own: a large task file or a slow file
 * system must not hold the loop, whose status endpoint and timers go on.
 * The thread has its own copy of what it reads: stuck on a slow file
 * system, it may outlive the daemon.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "load.h"
#include "log.h"
#include "reload.h"
#include "xmalloc.h"

struct reload {
	pthread_mutex_t lock;
	struct daemon_opts opts; /* its strings are copies, freed with it */
	struct event *done; /* made active when the thread is done */
	struct config *cf;
	int finished;
	int abandoned; /* the daemon is gone: the thread frees this */
	pthread_t thread;
};

/* Free a reload and its copies of the options. */
static void
reload_free(struct reload *rl)
{
	pthread_mutex_destroy(&rl->lock);
	free((char *)rl->opts.file);
	free((char *)rl->opts.mode);
	free((char *)rl->opts.workers);
	free(rl);
}

/* Read the file; hand the list, or NULL, to the loop or, abandoned, free. */
static void *
reload_thread(void *arg)
{
	struct reload *rl = arg;
	struct config *cf = NULL;
	int abandoned;

	if (load_file(&rl->opts, &cf) != 0)
		cf = NULL;
	else if (load_can_run(cf) != 0) {
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
		reload_free(rl);
	}
	return NULL;
}

/*
 * Read the file again on a thread; done is made active when it is read.
 * NULL, said, if no thread can be started.
 */
struct reload *
reload_start(const struct daemon_opts *opts, struct event *done)
{
	struct reload *rl;

	rl = xcalloc(1, sizeof *rl);
	pthread_mutex_init(&rl->lock, NULL);
	rl->opts = *opts;
	rl->opts.file = xstrdup(opts->file);
	if (opts->mode != NULL)
		rl->opts.mode = xstrdup(opts->mode);
	if (opts->workers != NULL)
		rl->opts.workers = xstrdup(opts->workers);
	rl->done = done;
	if (pthread_create(&rl->thread, NULL, reload_thread, rl) != 0) {
		log_warn("reload of %s: cannot start a thread; keeping the "
		         "running task list",
		    opts->file);
		reload_free(rl);
		return NULL;
	}
	return rl;
}

/* The thread is done: its list (NULL if the file was bad); rl is freed. */
struct config *
reload_finish(struct reload *rl)
{
	struct config *cf;

	pthread_join(rl->thread, NULL);
	cf = rl->cf;
	reload_free(rl);
	return cf;
}

/*
 * A reload still being read when the daemon ends is left to itself: 1
 * then, and the program must end without its global clean-up (libcurl's,
 * the log's), which the thread may still use.
 */
int
reload_abandon(struct reload *rl)
{
	int finished;

	if (rl == NULL)
		return 0;
	pthread_mutex_lock(&rl->lock);
	finished = rl->finished;
	rl->abandoned = !finished;
	pthread_mutex_unlock(&rl->lock);
	if (!finished) {
		pthread_detach(rl->thread);
		return 1;
	}
	config_free(reload_finish(rl));
	return 0;
}
