/*
 * The task list as the command line asks for it: the file, with -m, -w,
 * -i, --time-scale and --compare laid over it, and what it needs to run.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <sysexits.h>

#include "config.h"
#include "daemon.h"
#include "fetch.h"
#include "load.h"
#include "log.h"

/* Load the task file and lay the command line over it; log any error. */
int
load_file(const struct daemon_opts *o, struct config **out)
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

/*
 * A task list with url tasks needs libcurl, which loads on first use: load
 * it before the list is taken, so that a missing one is said at once.
 */
int
load_can_run(const struct config *cf)
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
