/*
 * The task file loader: the events of yaml-reader.c, checked against a
 * table of keys per mapping. Every problem is collected as
 * "file:line:col: message" before the load fails; nothing runs unless the
 * whole file is valid.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "config-check.h"
#include "config-keys.h"
#include "config-options.h"
#include "config-parse.h"
#include "config-url.h"
#include "config-value.h"
#include "escape.h"
#include "fetch.h"
#include "log.h"
#include "number.h"
#include "xmalloc.h"
#include "yaml-reader.h"

/* Record "file:line:col: message"; the first errors are kept. */
void
config_error(
    struct cfgparse *p, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	/* One error per spot: the first says what went wrong there. */
	if (p->nerrors > 0 && line == p->lastline && col == p->lastcol)
		return;
	p->lastline = line;
	p->lastcol = col;
	p->nerrors++;
	if (p->nerrors > CONFIG_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		fatal("vasprintf");
	va_end(ap);
	p->errors = xreallocarray(p->errors, p->nerrors, sizeof *p->errors);
	xasprintf(&p->errors[p->nerrors - 1], "%s:%u:%u: %s", p->file, line,
	    col, msg);
	free(msg);
}
/* An error of the YAML reader: one list with ours, in order. */
static void
config_reader_error(void *arg, unsigned line, unsigned col, const char *msg)
{
	config_error(arg, line, col, "%s", msg);
}

static void
config_key_name(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	char *s;

	if ((s = config_name(p, v, "name")) != NULL) {
		free(p->cf->name);
		p->cf->name = s;
	}
}

static void
config_key_description(
    struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	const char *s;

	if ((s = config_scalar(p, v, "description", "a string")) != NULL) {
		free(p->cf->description);
		p->cf->description = xstrdup(s);
	}
}

static void
config_key_mode(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	const char *s, *near;
	char *q;

	s = config_scalar(p, v, "mode", "sync, cooperative, threads or async");
	if (s == NULL || config_mode_parse(s, &p->cf->mode) == 0)
		return;
	q = config_quote(s);
	near = config_mode_suggest(s);
	if (near != NULL)
		config_error(p, v->line, v->col,
		    "mode: unknown mode '%s' (did you mean '%s'?)", q, near);
	else
		config_error(p, v->line, v->col,
		    "mode: unknown mode '%s' "
		    "(expected sync, cooperative, threads or async)",
		    q);
	free(q);
}

/* Why a worker name cannot join the n names before it. */
enum config_worker_fault {
	CONFIG_WORKER_OK,
	CONFIG_WORKER_EMPTY,
	CONFIG_WORKER_UNPRINTABLE, /* config_name_error says why */
	CONFIG_WORKER_DUPLICATE,
	CONFIG_WORKER_TOO_MANY,
};

/*
 * The one set of rules for worker names, the file's workers: list and
 * -w A,B alike: non-empty, printable, unique, at most CONFIG_MAX_WORKERS.
 */
static enum config_worker_fault
config_worker_check(const char *name, char *const *names, size_t n)
{
	size_t i;

	if (*name == '\0')
		return CONFIG_WORKER_EMPTY;
	if (config_name_error(name) != NULL)
		return CONFIG_WORKER_UNPRINTABLE;
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return CONFIG_WORKER_DUPLICATE;
	}
	if (n == CONFIG_MAX_WORKERS)
		return CONFIG_WORKER_TOO_MANY;
	return CONFIG_WORKER_OK;
}

/* A worker name the file's list cannot take, in the file's words. */
static void
config_worker_fault(struct cfgparse *p, struct yaml_reader_event *e,
    enum config_worker_fault fault, int bad)
{
	char *q;

	switch (fault) {
	case CONFIG_WORKER_OK:
		break;
	case CONFIG_WORKER_EMPTY:
		config_error(
		    p, e->line, e->col, "workers: a name must not be empty");
		break;
	case CONFIG_WORKER_UNPRINTABLE:
		q = escape_text(e->value, 0);
		config_error(p, e->line, e->col, "workers: '%s' %s", q,
		    config_name_error(e->value));
		free(q);
		break;
	case CONFIG_WORKER_DUPLICATE:
		q = config_quote(e->value);
		config_error(p, e->line, e->col,
		    "workers: duplicate worker name '%s'", q);
		free(q);
		break;
	case CONFIG_WORKER_TOO_MANY:
		if (!bad)
			config_error(p, e->line, e->col,
			    "workers: more than %d names", CONFIG_MAX_WORKERS);
		break;
	}
}

/* Worker names: unique, non-empty, printable. */
static void
config_worker_list(struct cfgparse *p, struct yaml_reader_event *v)
{
	struct config *cf = p->cf;
	struct yaml_reader_event e;
	enum config_worker_fault fault;
	size_t n = 0, cap = 0, i;
	char **names = NULL;
	const char *s;
	int bad = 0;

	while (yaml_reader_next(p->yr, &e) == 0 &&
	    e.type != YAML_SEQUENCE_END_EVENT) {
		s = config_scalar(p, &e, "workers", "a worker name");
		if (s == NULL)
			bad = 1;
		else if ((fault = config_worker_check(s, names, n)) !=
		    CONFIG_WORKER_OK) {
			config_worker_fault(p, &e, fault, bad);
			bad = 1;
		} else {
			if (n == cap) {
				cap = cap == 0 ? 8 : cap * 2;
				names =
				    xreallocarray(names, cap, sizeof *names);
			}
			names[n++] = xstrdup(s);
		}
		yaml_reader_event_clear(&e);
	}
	yaml_reader_event_clear(&e);
	if (n == 0 && !bad && !yaml_reader_broken(p->yr))
		config_error(p, v->line, v->col,
		    "workers: the list is empty (expected at least one name)");
	if (n == 0 || bad) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return;
	}
	for (i = 0; cf->workers != NULL && i < cf->nworkers; i++)
		free(cf->workers[i]);
	free(cf->workers);
	cf->workers = names;
	cf->nworkers = (unsigned)n;
}

static void
config_key_workers(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	unsigned long long n;

	if (v->type == YAML_SEQUENCE_START_EVENT) {
		config_worker_list(p, v);
		return;
	}
	if (v->type == YAML_MAPPING_START_EVENT) {
		config_error(p, v->line, v->col,
		    "workers: expected a count or "
		    "a list of names, got a mapping");
		yaml_reader_skip(p->yr, v);
		return;
	}
	if (config_uint(p, v, "workers", 1, CONFIG_MAX_WORKERS, &n) == 0)
		p->cf->nworkers = (unsigned)n;
}

static void
config_key_interval(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	config_duration(p, v, "interval", 1, &p->cf->interval);
}

static void
config_key_jitter(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	config_duration(p, v, "jitter", 0, &p->cf->jitter);
}

static void
config_key_shutdown_timeout(
    struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	config_duration(p, v, "shutdown_timeout", 0, &p->cf->shutdown_timeout);
}

static void
config_key_rate(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	const char *s, *why;

	s = config_scalar(p, v, "rate", "a rate such as 20/s or 5/m");
	if (s != NULL && number_rate(s, &p->cf->rate, &why) != 0)
		config_bad_value(p, v, "rate", "rate", why);
}

static const struct key config_no_keys[] = {{NULL, NULL}};
static const struct keys config_default_keys = {
    config_no_keys, CONFIG_OPTS_VALUES};

static void
config_key_defaults(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct optctx o;
	unsigned set = 0;

	memset(&o, 0, sizeof o);
	o.opts = &p->cf->defaults;
	o.set = &set;
	config_submapping(p, v, "defaults", &config_default_keys, &o);
	p->defaults_set |= set;
}

/* One task being read. */
struct taskctx {
	struct optctx o;
	struct task_opts opts;
	unsigned set;
	struct task t;
	char *name;
	const char *kind;
	unsigned kline;
	unsigned kcol;
	int bad;
};

/*
 * Claim the task's kind; a second kind is an error. The same kind again
 * is a key overriding the one a merge brought: its value replaces.
 */
static int
config_kind(struct cfgparse *p, struct taskctx *tc, struct yaml_reader_event *v,
    enum task_kind kind)
{
	const char *name = config_kind_name(kind);

	if (tc->kind != NULL && tc->kind != name) {
		config_error(p, v->line, v->col,
		    "a task has one kind, but this "
		    "one has '%s' and '%s'",
		    tc->kind, name);
		tc->bad = 1;
		yaml_reader_skip(p->yr, v);
		return -1;
	}
	tc->kind = name;
	tc->t.kind = (uint8_t)kind;
	return 0;
}

static void
config_task_delay(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct taskctx *tc = ctx;

	if (config_kind(p, tc, v, TASK_DELAY) != 0)
		return;
	if (config_duration(p, v, "delay", 0, &tc->t.arg.seconds) != 0)
		tc->bad = 1;
}

static void
config_task_factorial(
    struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct taskctx *tc = ctx;
	unsigned long long n;

	if (config_kind(p, tc, v, TASK_FACTORIAL) != 0)
		return;
	if (config_uint(p, v, "factorial", 0, CONFIG_MAX_FACTORIAL, &n) != 0)
		tc->bad = 1;
	else
		tc->t.arg.n = (unsigned long)n;
}

/* url: checked by libcurl's own parser; a password kept out of sight. */
static void
config_task_url(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct taskctx *tc = ctx;
	char *s, *shown, *q, *why = NULL;

	if (config_kind(p, tc, v, TASK_URL) != 0)
		return;
	if ((s = config_string(p, v, "url")) == NULL) {
		tc->bad = 1;
		return;
	}
	if (!config_url_ok(s) || fetch_check_url(s, &why) != 0) {
		shown = config_mask_bad_url(s);
		q = config_quote(shown);
		config_error(p, v->line, v->col, "url: invalid URL '%s': %s", q,
		    why != NULL ? why
		                : "expected http:// or https:// and a host, "
		                  "without spaces");
		free(q);
		free(shown);
		free(why);
		free(s);
		tc->bad = 1;
		return;
	}
	free(tc->t.arg.str);
	tc->t.flags &= ~TASK_SECRET;
	tc->t.arg.str = config_url_secret(s, &tc->t.flags);
}

static void
config_task_file(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct taskctx *tc = ctx;

	if (config_kind(p, tc, v, TASK_FILE) != 0)
		return;
	free(tc->t.arg.str);
	if ((tc->t.arg.str = config_string(p, v, "file")) == NULL)
		tc->bad = 1;
}

/* tcp: HOST:PORT or [V6]:PORT. */
static void
config_task_tcp(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct taskctx *tc = ctx;
	unsigned port;
	char *s, *host, *q;

	if (config_kind(p, tc, v, TASK_TCP) != 0)
		return;
	if ((s = config_string(p, v, "tcp")) == NULL) {
		tc->bad = 1;
		return;
	}
	if (config_tcp_target(s, &host, &port) != 0) {
		q = config_quote(s);
		config_error(p, v->line, v->col,
		    "tcp: invalid target '%s': "
		    "expected HOST:PORT or [IPV6]:PORT, port 1 to 65535",
		    q);
		free(q);
		free(s);
		tc->bad = 1;
		return;
	}
	free(host);
	free(tc->t.arg.str);
	tc->t.arg.str = s;
}

/*
 * exec: a string for /bin/sh -c, or a list run as it is (no shell): kept
 * as the command shown, then each argument after it (TASK_ARGV).
 */
static void
config_task_exec(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct taskctx *tc = ctx;
	struct yaml_reader_event item;
	char *s, *shown = NULL, *args = NULL;
	size_t slen = 0, alen = 0, n;
	int bad = 0;

	if (config_kind(p, tc, v, TASK_EXEC) != 0)
		return;
	free(tc->t.arg.str);
	tc->t.arg.str = NULL;
	tc->t.flags &= ~TASK_ARGV;
	if (v->type != YAML_SEQUENCE_START_EVENT) {
		if ((s = config_string(p, v, "exec")) == NULL)
			tc->bad = 1;
		else if (s[strspn(s, " \t\n")] == '\0') {
			config_error(p, v->line, v->col,
			    "exec: the command is "
			    "empty (expected a command such as 'pg_isready "
			    "-q')");
			free(s);
			tc->bad = 1;
		} else
			tc->t.arg.str = s;
		return;
	}
	while (yaml_reader_next(p->yr, &item) == 0 &&
	    item.type != YAML_SEQUENCE_END_EVENT) {
		if ((s = config_string(p, &item, "exec")) == NULL)
			bad = 1;
		else if (*s == '\0') {
			config_error(p, item.line, item.col,
			    "exec: an argument is empty");
			bad = 1;
		} else {
			n = strlen(s);
			args = xreallocarray(args, alen + n + 2, 1);
			memcpy(args + alen, s, n + 1);
			alen += n + 1;
			shown = xreallocarray(shown, slen + n + 2, 1);
			if (slen > 0)
				shown[slen++] = ' ';
			memcpy(shown + slen, s, n + 1);
			slen += n;
		}
		free(s);
		yaml_reader_event_clear(&item);
	}
	yaml_reader_event_clear(&item);
	if (!bad && alen == 0) {
		config_error(p, v->line, v->col,
		    "exec: the command is empty "
		    "(expected a list such as [pg_isready, -q])");
		bad = 1;
	}
	if (bad) {
		free(args);
		free(shown);
		tc->bad = 1;
		return;
	}
	/* "shown\0arg\0arg\0\0" */
	tc->t.arg.str = xmalloc(slen + 1 + alen + 1);
	memcpy(tc->t.arg.str, shown, slen + 1);
	memcpy(tc->t.arg.str + slen + 1, args, alen);
	tc->t.arg.str[slen + 1 + alen] = '\0';
	tc->t.flags |= TASK_ARGV;
	free(args);
	free(shown);
}

/* A task's name: kept beside the task (config_task_named). */
static void
config_task_name_key(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct taskctx *tc = ctx;

	free(tc->name);
	if ((tc->name = config_name(p, v, "name")) == NULL)
		tc->bad = 1;
}

/* Does the task's argument, by its kind, hold a string of its own? */
int
config_has_str(const struct task *t)
{
	return t->kind != TASK_DELAY && t->kind != TASK_FACTORIAL;
}

/* Free the string a task owns (not its name, nor its options). */
static void
config_task_clear(struct task *t)
{
	if (config_has_str(t))
		free(t->arg.str);
}

/*
 * Keep the name of task i. The names are an array beside the tasks, made
 * when a first task has one: a list without names spends nothing on them.
 */
static void
config_task_named(struct cfgparse *p, size_t i, char *name)
{
	struct config *cf = p->cf;

	if (i >= cf->nnames) {
		cf->names =
		    xreallocarray(cf->names, p->taskcap, sizeof *cf->names);
		memset(cf->names + cf->nnames, 0,
		    (p->taskcap - cf->nnames) * sizeof *cf->names);
		cf->nnames = p->taskcap;
	}
	cf->names[i] = name;
}

static const struct key config_task_fns[] = {
    {"delay", config_task_delay},
    {"factorial", config_task_factorial},
    {"url", config_task_url},
    {"file", config_task_file},
    {"tcp", config_task_tcp},
    {"exec", config_task_exec},
    {"name", config_task_name_key},
    {NULL, NULL},
};
static const struct keys config_task_keys = {config_task_fns, CONFIG_OPTS_ALL};

/* A million tasks take 24 MB: what grows struct task grows that. */
_Static_assert(sizeof(struct task) <= 24, "struct task grew");

/* Keep a valid task; its own options are resolved at the end. */
static void
config_task_add(struct cfgparse *p, struct taskctx *tc)
{
	struct config *cf = p->cf;
	struct override *o;

	if (cf->ntasks == UINT32_MAX) {
		config_error(p, tc->t.line, 1, "too many tasks");
		yaml_reader_stop(p->yr);
		return;
	}
	if (cf->ntasks == p->taskcap) {
		p->taskcap = p->taskcap == 0 ? 64 : p->taskcap * 2;
		cf->tasks =
		    xreallocarray(cf->tasks, p->taskcap, sizeof *cf->tasks);
		xhuge(cf->tasks, p->taskcap * sizeof *cf->tasks);
	}
	tc->t.opts = &cf->defaults;
	cf->tasks[cf->ntasks++] = tc->t;
	if (tc->name != NULL)
		config_task_named(p, cf->ntasks - 1, tc->name);
	cf->nkind[tc->t.kind]++;
	if (tc->t.flags & TASK_OFFLOAD)
		cf->noffload++;
	/* Flags live in the task: only values need options of its own. */
	if (config_has_str(&tc->t) || tc->name != NULL ||
	    config_opt_values(tc->set))
		cf->nowned++;
	if (config_opt_values(tc->set) == 0)
		return;
	if (p->noverrides == p->overcap) {
		p->overcap = p->overcap == 0 ? 8 : p->overcap * 2;
		p->overrides = xreallocarray(
		    p->overrides, p->overcap, sizeof *p->overrides);
	}
	o = &p->overrides[p->noverrides++];
	o->task = cf->ntasks - 1;
	o->set = tc->set;
	o->opts = tc->opts;
}

static void
config_task(struct cfgparse *p, struct yaml_reader_event *start)
{
	struct taskctx tc;

	memset(&tc, 0, sizeof tc);
	tc.o.opts = &tc.opts;
	tc.o.set = &tc.set;
	tc.o.flags = &tc.t.flags;
	tc.o.bad = &tc.bad;
	tc.t.line = start->line;
	config_mapping(p, start, &config_task_keys, &tc, NULL);
	if (tc.kind == NULL && !tc.bad && !yaml_reader_broken(p->yr)) {
		config_error(p, start->line, start->col,
		    "a task needs a kind: "
		    "one of delay, factorial, url, file, tcp or exec");
		tc.bad = 1;
	}
	if (tc.kind != NULL && config_opt_check(p, &tc.o, tc.t.kind) != 0)
		tc.bad = 1;
	if (tc.bad || p->nerrors > 0) {
		config_task_clear(&tc.t);
		free(tc.name);
		return;
	}
	config_task_add(p, &tc);
}

static void
config_key_tasks(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct config *cf = p->cf;
	struct yaml_reader_event item;
	int any = 0;

	/* A list of the mapping's own replaces one that a merge brought. */
	while (cf->ntasks > 0) {
		cf->ntasks--;
		cf->nkind[cf->tasks[cf->ntasks].kind]--;
		if (cf->tasks[cf->ntasks].flags & TASK_OFFLOAD)
			cf->noffload--;
		config_task_clear(&cf->tasks[cf->ntasks]);
		if (cf->ntasks < cf->nnames) {
			free(cf->names[cf->ntasks]);
			cf->names[cf->ntasks] = NULL;
		}
	}
	p->noverrides = 0;
	p->have_tasks = 1;
	if (v->type != YAML_SEQUENCE_START_EVENT) {
		config_error(p, v->line, v->col,
		    "tasks: expected a list of tasks, got %s",
		    yaml_reader_what(v));
		yaml_reader_skip(p->yr, v);
		return;
	}
	while (yaml_reader_next(p->yr, &item) == 0 &&
	    item.type != YAML_SEQUENCE_END_EVENT) {
		any = 1;
		if (item.type == YAML_MAPPING_START_EVENT)
			config_task(p, &item);
		else {
			config_error(p, item.line, item.col,
			    "tasks: expected a "
			    "task such as '- delay: 4.0', got %s",
			    yaml_reader_what(&item));
			yaml_reader_skip(p->yr, &item);
		}
		yaml_reader_event_clear(&item);
	}
	yaml_reader_event_clear(&item);
	if (!any && !yaml_reader_broken(p->yr))
		config_error(p, v->line, v->col,
		    "tasks: the list is empty (expected at least one task)");
}

static const struct key config_top_fns[] = {
    {"name", config_key_name},
    {"description", config_key_description},
    {"mode", config_key_mode},
    {"workers", config_key_workers},
    {"interval", config_key_interval},
    {"jitter", config_key_jitter},
    {"shutdown_timeout", config_key_shutdown_timeout},
    {"rate", config_key_rate},
    {"defaults", config_key_defaults},
    {"tasks", config_key_tasks},
    {NULL, NULL},
};
static const struct keys config_top_keys = {config_top_fns, CONFIG_OPTS_NONE};

/* Stream → one document → one top-level mapping. */
static void
config_document(struct cfgparse *p)
{
	struct yaml_reader_event ev;

	if (yaml_reader_next(p->yr, &ev) != 0)
		return;
	yaml_reader_event_clear(&ev); /* stream start */
	if (yaml_reader_next(p->yr, &ev) != 0)
		return;
	if (ev.type == YAML_STREAM_END_EVENT) {
		config_error(p, ev.line, ev.col,
		    "the file is empty "
		    "(expected a mapping with at least 'tasks')");
		yaml_reader_event_clear(&ev);
		return;
	}
	yaml_reader_event_clear(&ev); /* document start */
	if (yaml_reader_next(p->yr, &ev) != 0)
		return;
	if (ev.type == YAML_MAPPING_START_EVENT) {
		p->extensible = &config_top_keys;
		config_mapping(p, &ev, &config_top_keys, NULL, NULL);
		if (!p->have_tasks && !yaml_reader_broken(p->yr) &&
		    !p->suggested_tasks)
			config_error(p, ev.line, ev.col,
			    "missing key 'tasks' (the list of tasks to run)");
	} else if (yaml_reader_is_null(&ev))
		config_error(p, ev.line, ev.col,
		    "the file is empty "
		    "(expected a mapping with at least 'tasks')");
	else {
		config_error(p, ev.line, ev.col,
		    "expected a mapping with keys "
		    "such as 'mode', 'workers' and 'tasks', got %s",
		    yaml_reader_what(&ev));
		yaml_reader_skip(p->yr, &ev);
	}
	yaml_reader_event_clear(&ev);
	if (yaml_reader_next(p->yr, &ev) != 0) /* document end */
		return;
	yaml_reader_event_clear(&ev);
	if (yaml_reader_next(p->yr, &ev) != 0)
		return;
	if (ev.type == YAML_DOCUMENT_START_EVENT)
		config_error(p, ev.line, ev.col,
		    "a second YAML document: a task "
		    "file holds exactly one");
	yaml_reader_event_clear(&ev);
}

/* The file's base name without .yaml or .yml. */
static char *
config_default_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name, *safe;
	size_t len;

	base = base != NULL ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	else if (len > 4 && strcmp(base + len - 4, ".yml") == 0)
		len -= 4;
	name = xstrndup(base, len);
	if (config_name_error(name) == NULL)
		return name;
	/* A file's name may hold anything; the run's may not. */
	safe = escape_text(name, 0);
	free(name);
	return safe;
}

/* The absolute folder holding the file, for relative task paths. */
static char *
config_dir(const char *path)
{
	char *copy, *slash, *real, cwd[PATH_MAX];

	copy = xstrdup(path);
	if ((slash = strrchr(copy, '/')) == NULL) {
		free(copy);
		if (getcwd(cwd, sizeof cwd) == NULL)
			return xstrdup(".");
		return xstrdup(cwd);
	}
	if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	real = realpath(copy, NULL);
	if (real == NULL)
		real = xstrdup(copy);
	free(copy);
	return real;
}

static struct config *
config_new(const char *path)
{
	struct config *cf;

	cf = xcalloc(1, sizeof *cf);
	cf->path = xstrdup(path);
	cf->dir = config_dir(path);
	cf->mode = MODE_ASYNC;
	cf->nworkers = 1;
	cf->shutdown_timeout = 10;
	cf->time_scale = 1;
	cf->defaults.timeout = 30;
	cf->defaults.retries = 0;
	cf->defaults.retry_delay = 1;
	cf->defaults.preview = 50;
	cf->defaults.yield_every = 10;
	cf->defaults.retry_max_delay = 60;
	cf->defaults.max_bytes = 1ULL << 30;
	cf->defaults.time_scale = 1;
	return cf;
}

static void
config_parse_free(struct cfgparse *p)
{
	size_t i;

	yaml_reader_free(p->yr);
	free(p->overrides);
	for (i = 0; i < p->nerrors && i < CONFIG_MAX_ERRORS; i++)
		free(p->errors[i]);
	free(p->errors);
}

/* All errors, one a line, and a count of those left out. */
static char *
config_join_errors(struct cfgparse *p)
{
	size_t i,
	    n = p->nerrors < CONFIG_MAX_ERRORS ? p->nerrors : CONFIG_MAX_ERRORS;
	char *out = xstrdup(""), *next;

	for (i = 0; i < n; i++) {
		next = xprintf("%s%s%s", out, i > 0 ? "\n" : "", p->errors[i]);
		free(out);
		out = next;
	}
	if (p->nerrors > n) {
		next = xprintf("%s\n%s: %zu more errors not shown", out,
		    p->file, p->nerrors - n);
		free(out);
		out = next;
	}
	return out;
}

/* Parse with a set-up libyaml parser; shared by files and buffers. */
static int
config_parse(struct cfgparse *p, struct config **out, char **cause)
{
	p->cf = config_new(p->file);
	config_document(p);
	if (p->nerrors > 0) {
		*cause = config_join_errors(p);
		config_free(p->cf);
		config_parse_free(p);
		return EX_CONFIG;
	}
	if (p->cf->name == NULL)
		p->cf->name = config_default_name(p->file);
	p->cf->file_mode = p->cf->mode;
	config_opt_resolve(p);
	p->cf->tasks =
	    xreallocarray(p->cf->tasks, p->cf->ntasks, sizeof *p->cf->tasks);
	*out = p->cf;
	config_parse_free(p);
	return 0;
}

/* Load a task file: 0, or EX_NOINPUT / EX_CONFIG with *cause set. */
int
config_load(const char *path, struct config **out, char **cause)
{
	struct cfgparse p;
	struct stat sb;
	FILE *fp;
	int rc, fd, fl;

	memset(&p, 0, sizeof p);
	p.file = path;
	/* Not blocking on a FIFO: it is refused, not waited for. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) ==
	        -1 ||
	    fstat(fd, &sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return EX_NOINPUT;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		xasprintf(cause, "%s: %s", path,
		    S_ISDIR(sb.st_mode)
		        ? "is a directory, not a task file"
		        : "not a regular file (a task file must "
		          "be one)");
		return EX_NOINPUT;
	}
	/* Opened non-blocking for the check; a regular file reads alike. */
	if ((fl = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	if ((fp = fdopen(fd, "rb")) == NULL)
		fatal("fdopen");
	p.yr = yaml_reader_new_file(path, fp, config_reader_error, &p);
	rc = config_parse(&p, out, cause);
	if (rc == 0 && ferror(fp)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		config_free(*out);
		*out = NULL;
		rc = EX_NOINPUT;
	}
	fclose(fp);
	return rc;
}

/* Load a task file held in memory; name stands for the file in messages. */
int
config_load_buffer(const char *name, const char *buf, size_t len,
    struct config **out, char **cause)
{
	struct cfgparse p;

	memset(&p, 0, sizeof p);
	p.file = name;
	p.yr = yaml_reader_new_buffer(name, buf, len, config_reader_error, &p);
	return config_parse(&p, out, cause);
}

void
config_free(struct config *cf)
{
	size_t i;

	if (cf == NULL)
		return;
	/* A million plain delays own nothing: no need to visit each. */
	for (i = 0; cf->nowned > 0 && i < cf->ntasks; i++) {
		config_task_clear(&cf->tasks[i]);
		if (i < cf->nnames)
			free(cf->names[i]);
		if (cf->tasks[i].opts != &cf->defaults &&
		    cf->tasks[i].opts != &cf->file_defaults)
			free((void *)cf->tasks[i].opts);
	}
	free(cf->tasks);
	free(cf->names);
	config_kept_free(cf);
	for (i = 0; cf->workers != NULL && i < cf->nworkers; i++)
		free(cf->workers[i]);
	free(cf->workers);
	free(cf->path);
	free(cf->dir);
	free(cf->name);
	free(cf->description);
	free(cf);
}

static void
config_scale_opts(struct task_opts *o, double f)
{
	o->retry_delay *= f;
	o->retry_max_delay *= f;
	o->time_scale *= f;
}

/*
 * --time-scale: multiply every delay and delay-like wait (a url's backoff
 * and a server's Retry-After) by f, once, after the file is loaded. The
 * interval, jitter, rate and timeouts stay: they are the schedule and the
 * limits, not the lesson's waits.
 */
void
config_scale_time(struct config *cf, double f)
{
	struct task *t;
	size_t i;

	if (f == 1)
		return;
	cf->time_scale *= f;
	config_scale_opts(&cf->defaults, f);
	for (i = 0; i < cf->ntasks; i++) {
		t = &cf->tasks[i];
		if (t->kind == TASK_DELAY)
			t->arg.seconds *= f;
		/* Each task's own options are its own copy (never shared). */
		if (t->opts != &cf->defaults)
			config_scale_opts((struct task_opts *)t->opts, f);
	}
}

/* A task's path made absolute against the task file's folder. */
char *
config_resolve(const struct config *cf, const char *path)
{
	if (*path == '/')
		return xstrdup(path);
	return xprintf("%s/%s", cf->dir, path);
}

/*
 * Replace the workers with a count, or comma-separated unique names (-w):
 * 0, or -1 with why.
 */
int
config_set_workers(struct config *cf, const char *arg, char **cause)
{
	enum config_worker_fault fault;
	unsigned long long n;
	const char *why;
	char **names = NULL, *copy, *p, *name, *q;
	size_t count = 0, i;

	*cause = NULL;
	if (number_uint(arg, 1, CONFIG_MAX_WORKERS, &n, &why) != 0) {
		if (*arg >= '0' && *arg <= '9')
			goto fail;
		copy = xstrdup(arg);
		for (p = copy; (name = strsep(&p, ",")) != NULL;) {
			fault = config_worker_check(name, names, count);
			if (fault == CONFIG_WORKER_UNPRINTABLE) {
				q = escape_text(name, 0);
				xasprintf(cause, "worker name '%s' %s", q,
				    config_name_error(name));
				free(q);
			}
			if (fault != CONFIG_WORKER_OK) {
				while (count > 0)
					free(names[--count]);
				free(names);
				free(copy);
				goto fail;
			}
			names = xreallocarray(names, count + 1, sizeof *names);
			names[count++] = xstrdup(name);
		}
		free(copy);
		n = count;
	}
	for (i = 0; cf->workers != NULL && i < cf->nworkers; i++)
		free(cf->workers[i]);
	free(cf->workers);
	cf->workers = names;
	cf->nworkers = (unsigned)n;
	return 0;
fail:
	if (*cause == NULL)
		xasprintf(cause,
		    "expected a count from 1 to %d or unique comma-separated "
		    "names",
		    CONFIG_MAX_WORKERS);
	return -1;
}
