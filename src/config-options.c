/*
 * The task options: the table of rows, each read through its type into
 * struct task_opts or a task's flags; checked against a task's kind, and
 * a task's own merged over the file's defaults at the end.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-check.h"
#include "config-options.h"
#include "config-parse.h"
#include "config-value.h"
#include "log.h"
#include "xmalloc.h"
#include "yaml-reader.h"

#define CONFIG_OPT_FIELD(f)                                                    \
	offsetof(struct task_opts, f), sizeof(((struct task_opts *)0)->f), 0
#define CONFIG_OPT_TASK_FLAG(fl) 0, 0, (fl)
#define CONFIG_CHECKS                                                          \
	(CONFIG_KIND(TASK_URL) | CONFIG_KIND(TASK_TCP) | CONFIG_KIND(TASK_EXEC))

/* The options, in the order of their bits. */
const struct config_opt config_opts[] = {
    {"timeout", CONFIG_CHECKS | CONFIG_KIND(TASK_FILE), CONFIG_OPT_DURATION, 0,
        0, CONFIG_OPT_FIELD(timeout), NULL},
    {"retries", CONFIG_KIND(TASK_URL), CONFIG_OPT_COUNT, 0, 100,
        CONFIG_OPT_FIELD(retries), NULL},
    {"retry_delay", CONFIG_KIND(TASK_URL), CONFIG_OPT_DURATION, 0, 0,
        CONFIG_OPT_FIELD(retry_delay), NULL},
    {"preview", CONFIG_KIND(TASK_URL) | CONFIG_KIND(TASK_EXEC),
        CONFIG_OPT_COUNT, 0, 100000, CONFIG_OPT_FIELD(preview), NULL},
    {"yield_every", CONFIG_KIND(TASK_FACTORIAL), CONFIG_OPT_COUNT, 1, 1000000,
        CONFIG_OPT_FIELD(yield_every), NULL},
    /* The longest wait between two attempts. */
    {"retry_max_delay", CONFIG_KIND(TASK_URL), CONFIG_OPT_DURATION, 0, 0,
        CONFIG_OPT_FIELD(retry_max_delay), NULL},
    /* The most body a fetch takes, once decoded. */
    {"max_bytes", CONFIG_KIND(TASK_URL), CONFIG_OPT_BYTES, 0, 0,
        CONFIG_OPT_FIELD(max_bytes), NULL},
    /* A factorial runs on the executor pool in async mode. */
    {"offload", CONFIG_KIND(TASK_FACTORIAL), CONFIG_OPT_FLAG, 0, 0,
        CONFIG_OPT_TASK_FLAG(TASK_OFFLOAD), NULL},
    /* A delay holds its thread (the loop, in async mode). */
    {"blocking", CONFIG_KIND(TASK_DELAY), CONFIG_OPT_FLAG, 0, 0,
        CONFIG_OPT_TASK_FLAG(TASK_BLOCKING), NULL},
    /* Checks for operators. */
    {"method", CONFIG_KIND(TASK_URL), CONFIG_OPT_READ, 0, 0,
        CONFIG_OPT_FIELD(method), config_read_method},
    {"headers", CONFIG_KIND(TASK_URL), CONFIG_OPT_READ, 0, 0,
        CONFIG_OPT_FIELD(headers), config_read_headers},
    {"body", CONFIG_KIND(TASK_URL), CONFIG_OPT_READ, 0, 0,
        CONFIG_OPT_FIELD(body), config_read_string},
    {"expect", CONFIG_CHECKS, CONFIG_OPT_READ, 0, 0, CONFIG_OPT_FIELD(expect),
        config_read_expect},
    {"ca_file", CONFIG_KIND(TASK_URL), CONFIG_OPT_READ, 0, 0,
        CONFIG_OPT_FIELD(ca_file), config_read_file},
    {"client_cert", CONFIG_KIND(TASK_URL), CONFIG_OPT_READ, 0, 0,
        CONFIG_OPT_FIELD(client_cert), config_read_file},
    {"client_key", CONFIG_KIND(TASK_URL), CONFIG_OPT_READ, 0, 0,
        CONFIG_OPT_FIELD(client_key), config_read_file},
    {"insecure", CONFIG_KIND(TASK_URL), CONFIG_OPT_READ, 0, 0,
        CONFIG_OPT_FIELD(insecure), config_read_bool},
    {"send", CONFIG_KIND(TASK_TCP), CONFIG_OPT_READ, 0, 0,
        CONFIG_OPT_FIELD(send), config_read_string},
    {"cwd", CONFIG_KIND(TASK_EXEC), CONFIG_OPT_READ, 0, 0,
        CONFIG_OPT_FIELD(cwd), config_read_dir},
    {"env", CONFIG_KIND(TASK_EXEC), CONFIG_OPT_READ, 0, 0,
        CONFIG_OPT_FIELD(env), config_read_env},
};
#define CONFIG_NOPTS (sizeof config_opts / sizeof config_opts[0])
const size_t config_nopts = CONFIG_NOPTS;

_Static_assert(CONFIG_NOPTS <= CONFIG_OPTS_MAX, "too many task options");

/* Read a flag option into the task's flags. */
static int
config_opt_flag(struct cfgparse *p, struct yaml_reader_event *v,
    const struct config_opt *opt, struct optctx *o)
{
	int on;

	if (config_bool(p, v, opt->name, &on) != 0) {
		*o->bad = 1;
		return -1;
	}
	if (on)
		*o->flags |= opt->flag;
	else
		*o->flags &= (uint8_t)~opt->flag;
	return 0;
}

/* Read one task option through its row and mark it set. */
void
config_opt_set(struct cfgparse *p, struct yaml_reader_event *v,
    const struct config_opt *opt, void *ctx)
{
	struct optctx *o = ctx; /* first in a task's context too */
	char *field = (char *)o->opts + opt->offset;
	unsigned long long n;
	double d;
	unsigned u;
	int rc = -1;

	switch (opt->type) {
	case CONFIG_OPT_DURATION:
		if ((rc = config_duration(p, v, opt->name, 0, &d)) == 0)
			memcpy(field, &d, sizeof d);
		break;
	case CONFIG_OPT_COUNT:
		rc = config_uint(p, v, opt->name, opt->min, opt->max, &n);
		if (rc == 0) {
			u = (unsigned)n;
			memcpy(field, &u, sizeof u);
		}
		break;
	case CONFIG_OPT_BYTES:
		if ((rc = config_bytes(p, v, opt->name, &n)) == 0)
			memcpy(field, &n, sizeof n);
		break;
	case CONFIG_OPT_FLAG:
		rc = config_opt_flag(p, v, opt, o);
		break;
	case CONFIG_OPT_READ:
		rc = opt->read(p, v, opt, field);
		break;
	}
	if (rc != 0 && o->bad != NULL)
		*o->bad = 1;
	if (rc != 0)
		return;
	*o->set |= 1U << (opt - config_opts);
	o->line[opt - config_opts] = v->line;
	o->col[opt - config_opts] = v->col;
}

/* The set bits of the options kept in struct task_opts, not flags. */
unsigned
config_opt_values(unsigned set)
{
	size_t i;

	for (i = 0; set != 0 && i < CONFIG_NOPTS; i++) {
		if (config_opts[i].type == CONFIG_OPT_FLAG)
			set &= ~(1U << i);
	}
	return set;
}

/* The row of an option by its name. */
static size_t
config_opt_row(const char *name)
{
	size_t i;

	for (i = 0; i < CONFIG_NOPTS; i++) {
		if (strcmp(config_opts[i].name, name) == 0)
			return i;
	}
	fatalx("no option %s", name);
}

/* The kinds an option fits, for a message: "url", "url and file", ... */
static const char *
config_opt_kinds(const struct config_opt *opt)
{
	static __thread char kinds[64];
	size_t len = 0, n = 0, seen = 0;
	int k;

	for (k = 0; k < TASK_NKINDS; k++)
		n += (opt->kinds & CONFIG_KIND(k)) != 0;
	kinds[0] = '\0';
	for (k = 0; k < TASK_NKINDS; k++) {
		if (!(opt->kinds & CONFIG_KIND(k)) || len >= sizeof kinds)
			continue;
		seen++;
		len += (size_t)snprintf(kinds + len, sizeof kinds - len, "%s%s",
		    seen == 1       ? ""
		        : seen == n ? " and "
		                    : ", ",
		    config_kind_name((enum task_kind)k));
	}
	return len > 0 ? kinds : "none";
}

/* Every option set must fit the task's kind: 0, or -1 with errors. */
int
config_opt_check(
    struct cfgparse *p, const struct optctx *o, enum task_kind kind)
{
	const struct config_opt *opt;
	size_t i;
	int rc = 0;

	/* Most tasks set none: no table walk, no name lookup. */
	if (*o->set == 0)
		return 0;
	for (i = 0; i < CONFIG_NOPTS; i++) {
		opt = &config_opts[i];
		if (!(*o->set & (1U << i)) || (opt->kinds & CONFIG_KIND(kind)))
			continue;
		config_error(p, o->line[i], o->col[i],
		    "%s: does not apply to a %s task (only to %s tasks)",
		    opt->name, config_kind_name(kind), config_opt_kinds(opt));
		rc = -1;
	}
	i = config_opt_row("expect");
	if ((*o->set & (1U << i)) && o->opts->expect != NULL &&
	    config_expect_fits(
	        p, o->opts->expect, kind, o->line[i], o->col[i]) != 0)
		rc = -1;
	return rc;
}

/* Give tasks with options of their own a merged copy of the defaults. */
void
config_opt_resolve(struct cfgparse *p)
{
	struct config *cf = p->cf;
	const struct config_opt *opt;
	struct task_opts *o;
	struct override *ov;
	size_t i, k;

	for (i = 0; i < p->noverrides; i++) {
		ov = &p->overrides[i];
		o = xmalloc(sizeof *o);
		*o = cf->defaults;
		for (k = 0; k < CONFIG_NOPTS; k++) {
			opt = &config_opts[k];
			if ((ov->set & (1U << k)) && opt->size > 0)
				memcpy((char *)o + opt->offset,
				    (const char *)&ov->opts + opt->offset,
				    opt->size);
		}
		cf->tasks[ov->task].opts = o;
	}
	/*
	 * A file has no time limit unless the file gives one: the built-in
	 * timeout is a fetch's, and a FIFO may wait for its writer long.
	 */
	cf->file_defaults = cf->defaults;
	if (!(p->defaults_set & (1U << config_opt_row("timeout"))))
		cf->file_defaults.timeout = 0;
	for (i = 0; cf->nkind[TASK_FILE] > 0 && i < cf->ntasks; i++) {
		if (cf->tasks[i].kind == TASK_FILE &&
		    cf->tasks[i].opts == &cf->defaults)
			cf->tasks[i].opts = &cf->file_defaults;
	}
}
