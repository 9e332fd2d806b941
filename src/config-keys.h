/*
 * Mappings read through a table of keys per mapping (config-keys.c):
 * handlers, then task options; duplicates, merges and unknown keys.
 */
#ifndef CONFIG_KEYS_H_ASYNCDEMO
#define CONFIG_KEYS_H_ASYNCDEMO

struct cfgparse;
struct seen;
struct yaml_reader_event;

typedef void (*key_fn)(struct cfgparse *, struct yaml_reader_event *, void *);

struct key {
	const char *name;
	key_fn fn;
};

/* Which task options a mapping takes after its own keys. */
enum config_optset {
	CONFIG_OPTS_NONE,
	CONFIG_OPTS_VALUES, /* defaults: those kept in struct task_opts */
	CONFIG_OPTS_ALL, /* a task: flags too */
};

/* The keys of one mapping: handlers, then task options. */
struct keys {
	const struct key *fns;
	enum config_optset opts;
};

void config_mapping(struct cfgparse *, struct yaml_reader_event *,
    const struct keys *, void *, struct seen *);
void config_submapping(struct cfgparse *, struct yaml_reader_event *,
    const char *, const struct keys *, void *);

#endif
