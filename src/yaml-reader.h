/*
 * The libyaml layer of the task-file loader: events with their positions,
 * aliases replayed, nesting and expansion bounded. It knows nothing of
 * tasks; its errors go to a callback as (line, column, message).
 */
#ifndef YAML_READER_H_ASYNCDEMO
#define YAML_READER_H_ASYNCDEMO

#include <stddef.h>
#include <stdio.h>
#include <yaml.h>

/* One parser event, with its position (1-based) and scalar text. */
struct yaml_reader_event {
	yaml_event_type_t type;
	char *value;
	char *anchor;
	unsigned line;
	unsigned col;
	int plain;
};

typedef void (*yaml_reader_error_cb)(void *, unsigned, unsigned, const char *);

struct yaml_reader;

struct yaml_reader *yaml_reader_new_file(
    const char *, FILE *, yaml_reader_error_cb, void *);
struct yaml_reader *yaml_reader_new_buffer(
    const char *, const char *, size_t, yaml_reader_error_cb, void *);
void yaml_reader_free(struct yaml_reader *);
int yaml_reader_next(struct yaml_reader *, struct yaml_reader_event *);
void yaml_reader_skip(struct yaml_reader *, struct yaml_reader_event *);
int yaml_reader_broken(const struct yaml_reader *);
void yaml_reader_stop(struct yaml_reader *);

void yaml_reader_event_clear(struct yaml_reader_event *);
const char *yaml_reader_what(const struct yaml_reader_event *);
int yaml_reader_is_null(const struct yaml_reader_event *);

#endif
