/*
 * The task options (config-options.c): one table row each, read in
 * defaults or in a task, and a task's own merged over the defaults.
 */
#ifndef CONFIG_OPTIONS_H_ASYNCDEMO
#define CONFIG_OPTIONS_H_ASYNCDEMO

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct cfgparse;
struct yaml_reader_event;

/* An option set is a bit mask of table rows. */
#define CONFIG_OPTS_MAX 32

/* How a task option's value is read. */
enum config_opt_type {
	CONFIG_OPT_DURATION, /* double seconds, 0 or more */
	CONFIG_OPT_COUNT, /* unsigned, from min to max */
	CONFIG_OPT_BYTES, /* unsigned long long, "64MiB" */
	CONFIG_OPT_FLAG, /* true or false: a task flag, not in defaults */
	CONFIG_OPT_READ, /* its own reader (config-check.c) */
};

/*
 * One task option: its name, the kinds it fits, how it is read and where
 * it goes: a field of struct task_opts, or a flag of the task. An option
 * set is a bit mask of rows (1 << row), so a new option is one row of
 * config_opts in config-options.c.
 */
struct config_opt {
	const char *name;
	unsigned kinds; /* 1 << TASK_... */
	enum config_opt_type type;
	unsigned long long min;
	unsigned long long max;
	size_t offset;
	size_t size;
	uint8_t flag;
	int (*read)(struct cfgparse *, struct yaml_reader_event *,
	    const struct config_opt *, void *);
};

#define CONFIG_KIND(k) (1U << (k))

extern const struct config_opt config_opts[];
extern const size_t config_nopts;

/*
 * Task options, in defaults or in a task: the values, what was set and
 * where. A task also takes flags, and a bad flag marks it bad.
 */
struct optctx {
	struct task_opts *opts;
	unsigned *set;
	uint8_t *flags;
	int *bad;
	unsigned line[CONFIG_OPTS_MAX];
	unsigned col[CONFIG_OPTS_MAX];
};

void config_opt_set(struct cfgparse *, struct yaml_reader_event *,
    const struct config_opt *, void *);
unsigned config_opt_values(unsigned);
int config_opt_check(struct cfgparse *, const struct optctx *, enum task_kind);
void config_opt_resolve(struct cfgparse *);

#endif
