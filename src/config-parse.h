/* The task file loader's parse state, shared by config*.c only. */
#ifndef CONFIG_PARSE_H_ASYNCDEMO
#define CONFIG_PARSE_H_ASYNCDEMO

#include <stddef.h>

#include "config.h"

struct keys;

/* Options a task set itself, resolved against defaults at the end. */
struct override {
	size_t task;
	unsigned set;
	struct task_opts opts;
};

struct cfgparse {
	struct yaml_reader *yr;
	const char *file;
	struct config *cf;
	char **errors;
	size_t nerrors;
	size_t taskcap;
	struct override *overrides;
	size_t noverrides;
	size_t overcap;
	int have_tasks;
	int suggested_tasks;
	unsigned defaults_set; /* options the file's defaults set */
	unsigned lastline;
	unsigned lastcol;
	const struct keys *extensible;
};

/* Record "file:line:col: message"; the first errors are kept. */
void config_error(struct cfgparse *, unsigned, unsigned, const char *, ...)
    __attribute__((format(printf, 4, 5)));

#endif
