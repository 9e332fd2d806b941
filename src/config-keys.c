/*
 * A mapping of the task file read through its table of keys: each key to
 * its handler or task option, duplicates and unknown keys reported, YAML
 * merge keys ("<<") folded in.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-keys.h"
#include "config-options.h"
#include "config-parse.h"
#include "config-value.h"
#include "yaml-reader.h"

/* Keys seen in one mapping, for duplicates and merges. */
struct seen {
	uint32_t mask;
	uint32_t merged;
	unsigned line[32];
	unsigned col[32];
};

/* Does a mapping with this key table take task option o? */
static int
config_keys_take(const struct keys *keys, const struct config_opt *o)
{
	if (keys->opts == CONFIG_OPTS_VALUES)
		return o->type != CONFIG_OPT_FLAG;
	return keys->opts == CONFIG_OPTS_ALL;
}

/* A key's row: its handler's index, or after them its option's; or -1. */
static int
config_keys_find(const struct keys *keys, const char *name)
{
	size_t i, n;

	for (n = 0; keys->fns[n].name != NULL; n++) {
		if (strcmp(keys->fns[n].name, name) == 0)
			return (int)n;
	}
	for (i = 0; i < config_nopts; i++) {
		if (config_keys_take(keys, &config_opts[i]) &&
		    strcmp(config_opts[i].name, name) == 0)
			return (int)(n + i);
	}
	return -1;
}

/* The names of a key table, for suggestions. */
static void
config_key_names(const struct keys *keys, const char **names, size_t max)
{
	size_t i, n = 0;

	for (i = 0; keys->fns[i].name != NULL && n + 1 < max; i++)
		names[n++] = keys->fns[i].name;
	for (i = 0; i < config_nopts && n + 1 < max; i++) {
		if (config_keys_take(keys, &config_opts[i]))
			names[n++] = config_opts[i].name;
	}
	names[n] = NULL;
}

static void
config_unknown_key(
    struct cfgparse *p, struct yaml_reader_event *k, const struct keys *keys)
{
	const char *names[33], *near;
	char *q = config_quote(k->value);

	config_key_names(keys, names, 33);
	near = config_suggest(k->value, names);
	if (near != NULL && strcmp(near, "tasks") == 0)
		p->suggested_tasks = 1;
	if (near != NULL)
		config_error(p, k->line, k->col,
		    "unknown key '%s' (did you mean '%s'?)", q, near);
	else
		config_error(p, k->line, k->col, "unknown key '%s'", q);
	free(q);
}

/* Take one key's value: a handler, a duplicate, or a merged key. */
static void
config_pair(struct cfgparse *p, struct yaml_reader_event *k,
    struct yaml_reader_event *v, const struct keys *keys, void *ctx,
    struct seen *seen, int merging)
{
	uint32_t bit;
	size_t nfns;
	int i;

	if ((i = config_keys_find(keys, k->value)) == -1) {
		/* An extension field, for anchors. */
		if (keys != p->extensible || strncmp(k->value, "x-", 2) != 0)
			config_unknown_key(p, k, keys);
		yaml_reader_skip(p->yr, v);
		return;
	}
	bit = 1U << i;
	if ((seen->mask & bit) && merging) {
		yaml_reader_skip(p->yr, v);
		return;
	}
	if ((seen->mask & bit) && !(seen->merged & bit)) {
		config_error(p, k->line, k->col,
		    "duplicate key '%s' (first at line %u, column %u)",
		    k->value, seen->line[i], seen->col[i]);
		yaml_reader_skip(p->yr, v);
		return;
	}
	seen->mask |= bit;
	if (merging)
		seen->merged |= bit;
	else
		seen->merged &= ~bit;
	seen->line[i] = k->line;
	seen->col[i] = k->col;
	for (nfns = 0; keys->fns[nfns].name != NULL; nfns++)
		;
	if ((size_t)i < nfns)
		keys->fns[i].fn(p, v, ctx);
	else
		config_opt_set(p, v, &config_opts[i - nfns], ctx);
}

/* A merge key's value: a mapping, or a list of mappings. */
static void
config_merge(struct cfgparse *p, struct yaml_reader_event *v,
    const struct keys *keys, void *ctx, struct seen *seen)
{
	struct yaml_reader_event item;

	if (v->type == YAML_MAPPING_START_EVENT) {
		config_mapping(p, v, keys, ctx, seen);
		return;
	}
	if (v->type != YAML_SEQUENCE_START_EVENT) {
		config_error(p, v->line, v->col,
		    "<<: expected a mapping or a list of mappings to merge");
		return;
	}
	while (yaml_reader_next(p->yr, &item) == 0 &&
	    item.type != YAML_SEQUENCE_END_EVENT) {
		if (item.type == YAML_MAPPING_START_EVENT)
			config_mapping(p, &item, keys, ctx, seen);
		else {
			config_error(p, item.line, item.col,
			    "<<: expected a mapping to merge, got %s",
			    yaml_reader_what(&item));
			yaml_reader_skip(p->yr, &item);
		}
		yaml_reader_event_clear(&item);
	}
	yaml_reader_event_clear(&item);
}

/*
 * Read a mapping (its start event already read) through a key table.
 * With a seen set from a caller, the pairs are merged into that mapping.
 */
void
config_mapping(struct cfgparse *p, struct yaml_reader_event *start,
    const struct keys *keys, void *ctx, struct seen *outer)
{
	struct seen own;
	struct seen *seen = outer != NULL ? outer : &own;
	struct yaml_reader_event k, v;

	memset(&own, 0, sizeof own);
	for (;;) {
		if (yaml_reader_next(p->yr, &k) != 0 ||
		    k.type == YAML_MAPPING_END_EVENT)
			break;
		if (k.type != YAML_SCALAR_EVENT) {
			config_error(p, k.line, k.col,
			    "expected a key name, got %s",
			    yaml_reader_what(&k));
			yaml_reader_skip(p->yr, &k);
		}
		if (yaml_reader_next(p->yr, &v) != 0) {
			yaml_reader_event_clear(&k);
			break;
		}
		if (k.type != YAML_SCALAR_EVENT)
			yaml_reader_skip(p->yr, &v);
		else if (k.plain && strcmp(k.value, "<<") == 0)
			config_merge(p, &v, keys, ctx, seen);
		else
			config_pair(p, &k, &v, keys, ctx, seen, outer != NULL);
		yaml_reader_event_clear(&k);
		yaml_reader_event_clear(&v);
	}
	yaml_reader_event_clear(&k);
}

/* A value that must be a mapping read through a key table. */
void
config_submapping(struct cfgparse *p, struct yaml_reader_event *v,
    const char *key, const struct keys *keys, void *ctx)
{
	if (v->type != YAML_MAPPING_START_EVENT) {
		config_error(p, v->line, v->col,
		    "%s: expected a mapping, got %s", key, yaml_reader_what(v));
		yaml_reader_skip(p->yr, v);
		return;
	}
	config_mapping(p, v, keys, ctx, NULL);
}
