/* The operators' check options (config-check.c), read for the table. */
#ifndef CONFIG_CHECK_H_ASYNCDEMO
#define CONFIG_CHECK_H_ASYNCDEMO

#include "config.h"

struct cfgparse;
struct config_opt;
struct yaml_reader_event;

typedef int (*config_read_fn)(struct cfgparse *, struct yaml_reader_event *,
    const struct config_opt *, void *);

void *config_keep(struct config *, void *, void (*)(void *));
void config_kept_free(struct config *);

int config_read_string(struct cfgparse *, struct yaml_reader_event *,
    const struct config_opt *, void *);
int config_read_method(struct cfgparse *, struct yaml_reader_event *,
    const struct config_opt *, void *);
int config_read_file(struct cfgparse *, struct yaml_reader_event *,
    const struct config_opt *, void *);
int config_read_dir(struct cfgparse *, struct yaml_reader_event *,
    const struct config_opt *, void *);
int config_read_bool(struct cfgparse *, struct yaml_reader_event *,
    const struct config_opt *, void *);
int config_read_headers(struct cfgparse *, struct yaml_reader_event *,
    const struct config_opt *, void *);
int config_read_env(struct cfgparse *, struct yaml_reader_event *,
    const struct config_opt *, void *);
int config_read_expect(struct cfgparse *, struct yaml_reader_event *,
    const struct config_opt *, void *);
int config_expect_fits(struct cfgparse *, const struct task_expect *,
    enum task_kind, unsigned, unsigned);

#endif
