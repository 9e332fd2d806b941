/*
 * Names of modes, kinds, workers and tasks; "did you mean" for misspelt
 * ones.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "escape.h"
#include "xmalloc.h"

static const char *const config_modes[] = {
    "sync", "cooperative", "threads", "async", NULL};
static const char *const config_kinds[] = {
    "delay", "factorial", "url", "file", "tcp", "exec", NULL};

const char *
config_mode_name(enum mode mode)
{
	return config_modes[mode];
}

const char *
config_kind_name(enum task_kind kind)
{
	return config_kinds[kind];
}

/* s's place in a NULL-ended list of names, compared by cmp, or -1. */
static int
config_names_find(const char *const *names, const char *s,
    int (*cmp)(const char *, const char *))
{
	int i;

	for (i = 0; names[i] != NULL; i++) {
		if (cmp(s, names[i]) == 0)
			return i;
	}
	return -1;
}

/* A kind by its name, as the JSON Lines write it. */
int
config_kind_parse(const char *s, enum task_kind *kind)
{
	int i;

	if ((i = config_names_find(config_kinds, s, strcmp)) == -1)
		return -1;
	*kind = (enum task_kind)i;
	return 0;
}

/* A task's number in its file, from 1. */
unsigned
config_task_index(const struct config *cf, const struct task *t)
{
	return (unsigned)(t - cf->tasks) + 1;
}

/* A task's name, or NULL. */
const char *
config_task_name(const struct config *cf, const struct task *t)
{
	size_t i = (size_t)(t - cf->tasks);

	return i < cf->nnames ? cf->names[i] : NULL;
}

/* The name of worker i (0-based): its listed name or its number. */
const char *
config_worker_name(const struct config *cf, unsigned i, char *buf, size_t len)
{
	if (cf->workers != NULL)
		return cf->workers[i];
	snprintf(buf, len, "%u", i + 1);
	return buf;
}

/*
 * Why a name (of the run, a worker or a task) cannot be taken, or NULL:
 * names go into every output, where a control character could forge a
 * line or drive a terminal, and JSON and SVG need valid UTF-8.
 */
const char *
config_name_error(const char *s)
{
	static __thread char why[64];
	const char *c;

	if (!escape_utf8_valid(s))
		return "is not valid UTF-8";
	if ((c = escape_control(s)) == NULL)
		return NULL;
	snprintf(why, sizeof why, "holds a control character (%s)", c);
	return why;
}

/* A mode by its name, in any case: "Async" is what it says. */
int
config_mode_parse(const char *s, enum mode *mode)
{
	int i;

	if ((i = config_names_find(config_modes, s, strcasecmp)) == -1)
		return -1;
	*mode = (enum mode)i;
	return 0;
}

/* The mode nearest to a name that is none, or NULL. */
const char *
config_mode_suggest(const char *s)
{
	const char *near;
	char *lower;
	size_t i;

	lower = xstrdup(s);
	for (i = 0; lower[i] != '\0'; i++)
		lower[i] = (char)tolower((unsigned char)lower[i]);
	near = config_suggest(lower, config_modes);
	free(lower);
	return near;
}

/*
 * What a mode does, for people, when a run is not in the mode its task
 * file's description was written for (-m, --compare).
 */
const char *
config_mode_story(enum mode mode)
{
	static const char *const stories[MODE_COUNT] = {
	    [MODE_SYNC] = "Synchronous: one task after another. The first "
	                  "worker takes every task\nand each blocks until it "
	                  "is done; any other worker finds the queue empty.\n"
	                  "The total is the sum of the tasks.",
	    [MODE_COOPERATIVE] = "Cooperative: the workers take turns at the "
	                         "event loop between tasks,\nbut each task "
	                         "blocks while it runs, so only one runs at a "
	                         "time.\nThe total is still the sum of the "
	                         "tasks.",
	    [MODE_THREADS] = "Threads: each worker is a thread of its own "
	                     "running blocking tasks.\nDelays, fetches and "
	                     "file reads run in parallel, and CPU work\n"
	                     "(factorial) uses several cores.",
	    [MODE_ASYNC] = "Async: one thread. The workers' timers and I/O "
	                   "overlap on the event loop,\nso waits run "
	                   "concurrently; CPU work (factorial) does not: it "
	                   "only\ntakes turns with the rest.",
	};

	return stories[mode];
}

/* Edit distance with transpositions, for "did you mean". */
static size_t
config_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[34][34], best;

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* The nearest word of a NULL-terminated list, if near enough. */
const char *
config_suggest(const char *word, const char *const *list)
{
	const char *best = NULL;
	size_t d, bestd = 3, len = strlen(word);

	for (; *list != NULL; list++) {
		d = config_distance(word, *list);
		if (d < bestd && d < len) {
			bestd = d;
			best = *list;
		}
	}
	return best;
}
