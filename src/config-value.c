/*
 * The typed values of a task file: a scalar read as a duration, a count,
 * a size, a boolean, a string or a name, each with its error message.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-parse.h"
#include "config-value.h"
#include "escape.h"
#include "number.h"
#include "xmalloc.h"
#include "yaml-reader.h"

/* A scalar shortened for a message. */
char *
config_quote(const char *v)
{
	size_t len = strlen(v);

	if (len <= 40)
		return xstrdup(v);
	return xprintf("%.37s...", v);
}

/* The scalar text of a value, or NULL (and an error) for anything else. */
const char *
config_scalar(struct cfgparse *p, struct yaml_reader_event *v, const char *key,
    const char *expected)
{
	if (v->type != YAML_SCALAR_EVENT) {
		config_error(p, v->line, v->col, "%s: expected %s, got %s", key,
		    expected, yaml_reader_what(v));
		yaml_reader_skip(p->yr, v);
		return NULL;
	}
	if (yaml_reader_is_null(v)) {
		config_error(p, v->line, v->col,
		    "%s: missing value (expected %s)", key, expected);
		return NULL;
	}
	return v->value;
}

/* One error for a value that did not parse. */
void
config_bad_value(struct cfgparse *p, struct yaml_reader_event *v,
    const char *key, const char *what, const char *why)
{
	char *q = config_quote(v->value);

	config_error(
	    p, v->line, v->col, "%s: invalid %s '%s': %s", key, what, q, why);
	free(q);
}

/* A duration value of at least min seconds (min > 0 means "more than 0"). */
int
config_duration(struct cfgparse *p, struct yaml_reader_event *v,
    const char *key, int positive, double *out)
{
	const char *s, *why;
	double d;

	s = config_scalar(p, v, key, "a duration such as 4.0, 250ms or 1.5m");
	if (s == NULL)
		return -1;
	if (number_duration(s, &d, &why) != 0) {
		config_bad_value(p, v, key, "duration", why);
		return -1;
	}
	if (positive && d <= 0) {
		config_bad_value(p, v, key, "duration", "must be more than 0");
		return -1;
	}
	*out = d;
	return 0;
}

/* A whole number in [min, max]. */
int
config_uint(struct cfgparse *p, struct yaml_reader_event *v, const char *key,
    unsigned long long min, unsigned long long max, unsigned long long *out)
{
	const char *s, *why;
	char expected[64];

	snprintf(expected, sizeof expected, "a whole number from %llu to %llu",
	    min, max);
	s = config_scalar(p, v, key, expected);
	if (s == NULL)
		return -1;
	if (number_uint(s, min, max, out, &why) != 0) {
		char *q = config_quote(s);

		config_error(p, v->line, v->col,
		    "%s: invalid number '%s': %s "
		    "(expected %llu to %llu)",
		    key, q, why, min, max);
		free(q);
		return -1;
	}
	return 0;
}

/* A non-empty string. */
char *
config_string(struct cfgparse *p, struct yaml_reader_event *v, const char *key)
{
	const char *s;

	s = config_scalar(p, v, key, "a string");
	if (s == NULL)
		return NULL;
	if (*s == '\0') {
		config_error(p, v->line, v->col, "%s: must not be empty", key);
		return NULL;
	}
	return xstrdup(s);
}

/* A non-empty name that can go into any output, or NULL. */
char *
config_name(struct cfgparse *p, struct yaml_reader_event *v, const char *key)
{
	const char *why;
	char *s, *q;

	if ((s = config_string(p, v, key)) == NULL)
		return NULL;
	if ((why = config_name_error(s)) != NULL) {
		q = escape_text(s, 0);
		config_error(p, v->line, v->col, "%s: '%s' %s", key, q, why);
		free(q);
		free(s);
		return NULL;
	}
	return s;
}

/* true or false, as YAML's core schema writes them. */
int
config_bool(
    struct cfgparse *p, struct yaml_reader_event *v, const char *key, int *out)
{
	static const char *const yes[] = {"true", "True", "TRUE"};
	static const char *const no[] = {"false", "False", "FALSE"};
	const char *s;
	size_t i;

	if ((s = config_scalar(p, v, key, "true or false")) == NULL)
		return -1;
	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
			*out = strcmp(s, yes[i]) == 0;
			return 0;
		}
	}
	config_bad_value(p, v, key, "value", "expected true or false");
	return -1;
}

/* A size in bytes, "1048576" or "64MiB". */
int
config_bytes(struct cfgparse *p, struct yaml_reader_event *v, const char *key,
    unsigned long long *out)
{
	const char *s, *why;

	s = config_scalar(p, v, key, "a size such as 1048576 or 64MiB");
	if (s == NULL)
		return -1;
	if (number_bytes(s, out, &why) != 0) {
		config_bad_value(p, v, key, "size", why);
		return -1;
	}
	return 0;
}
