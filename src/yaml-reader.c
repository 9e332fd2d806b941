/*
 * The task file's YAML, read as a stream of libyaml events (a file may
 * hold a million tasks), each with its line and column.
 *
 * Aliases are supported by recording the events of each anchored node and
 * replaying them where an alias stands, with a budget against alias bombs.
 * Nesting is bounded too: libyaml slows down with depth and merges recurse.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <search.h>
#include <yaml.h>

#include "envsubst.h"
#include "log.h"
#include "xmalloc.h"
#include "yaml-reader.h"

/* Events replayed for aliases, at most: an alias bomb stops here. */
#define YAML_READER_MAX_EXPANSION 1000000
/* Text copied for anchors and aliases, at most. */
#define YAML_READER_MAX_EXPANSION_MIB 64
/* Mappings and lists inside one another, at most. */
#define YAML_READER_MAX_DEPTH 100

/* The recorded events of an anchored node. */
struct anchor {
	char *name;
	struct yaml_reader_event *evs;
	size_t n;
	size_t cap;
	size_t bytes;
	int depth;
	int open;
	struct anchor *next;
};

struct replay {
	struct anchor *anchor;
	size_t pos;
};

struct yaml_reader {
	yaml_parser_t yp;
	const char *file;
	const char *buf;
	size_t len;
	yaml_reader_error_cb error;
	void *arg;
	int broken;
	struct anchor *anchors;
	void *names;
	struct anchor **open;
	size_t nopen;
	size_t opencap;
	struct replay *stack;
	size_t depth;
	size_t stackcap;
	size_t expanded;
	size_t expanded_bytes;
	size_t recorded;
	size_t recorded_bytes;
	size_t level;
};

/* Hand "message" at line:col to the reader's owner. */
static void yaml_reader_error(struct yaml_reader *, unsigned, unsigned,
    const char *, ...) __attribute__((format(printf, 4, 5)));

static void
yaml_reader_error(
    struct yaml_reader *r, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		fatal("vasprintf");
	va_end(ap);
	r->error(r->arg, line, col, msg);
	free(msg);
}

void
yaml_reader_event_clear(struct yaml_reader_event *ev)
{
	free(ev->value);
	free(ev->anchor);
	ev->value = ev->anchor = NULL;
	ev->type = YAML_NO_EVENT;
}

/* What a node is, for messages. */
const char *
yaml_reader_what(const struct yaml_reader_event *ev)
{
	switch (ev->type) {
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_SCALAR_EVENT:
		return "a value";
	default:
		return "nothing";
	}
}

/* Is this scalar YAML's null (empty, ~ or null)? */
int
yaml_reader_is_null(const struct yaml_reader_event *ev)
{
	const char *v = ev->value;

	if (ev->type != YAML_SCALAR_EVENT || !ev->plain)
		return 0;
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* The text of one line of the source, for looking at an error's spot. */
static int
yaml_reader_char_at(struct yaml_reader *r, unsigned line, unsigned col)
{
	char *text = NULL;
	size_t cap = 0, i, start;
	unsigned n = 1;
	ssize_t got;
	FILE *f;
	int c = -1;

	if (r->buf != NULL) {
		for (i = 0; i < r->len && n < line; i++) {
			if (r->buf[i] == '\n')
				n++;
		}
		start = i;
		if (start + col - 1 < r->len)
			c = (unsigned char)r->buf[start + col - 1];
		return c;
	}
	if ((f = fopen(r->file, "r")) == NULL)
		return -1;
	while ((got = getline(&text, &cap, f)) != -1) {
		if (n++ == line) {
			if (col >= 1 && (size_t)got >= col)
				c = (unsigned char)text[col - 1];
			break;
		}
	}
	free(text);
	fclose(f);
	return c;
}

/* Line and column of a byte offset: libyaml's reader gives only that. */
static void
yaml_reader_offset_position(
    struct yaml_reader *r, size_t offset, unsigned *line, unsigned *col)
{
	size_t i;
	FILE *f;
	int c;

	*line = *col = 1;
	f = r->buf == NULL ? fopen(r->file, "rb") : NULL;
	if (r->buf == NULL && f == NULL)
		return;
	for (i = 0; i < offset; i++) {
		if (f != NULL)
			c = getc(f);
		else
			c = i < r->len ? (unsigned char)r->buf[i] : EOF;
		if (c == EOF)
			break;
		if (c == '\n') {
			(*line)++;
			*col = 1;
		} else if ((c & 0xc0) != 0x80)
			(*col)++;
	}
	if (f != NULL)
		fclose(f);
}

/* Report libyaml's own error, in our words where we can. */
static void
yaml_reader_syntax_error(struct yaml_reader *r)
{
	yaml_parser_t *yp = &r->yp;
	unsigned line = (unsigned)yp->problem_mark.line + 1;
	unsigned col = (unsigned)yp->problem_mark.column + 1;

	r->broken = 1;
	if (yp->error == YAML_READER_ERROR) {
		yaml_reader_offset_position(r, yp->problem_offset, &line, &col);
		yaml_reader_error(r, line, col,
		    "%s (the file must be UTF-8 text)", yp->problem);
		return;
	}
	if (yp->error == YAML_MEMORY_ERROR) {
		yaml_reader_error(r, line, col, "out of memory");
		return;
	}
	if (yaml_reader_char_at(r, line, col) == '\t') {
		yaml_reader_error(r, line, col,
		    "tab character: YAML indents with spaces only");
		return;
	}
	if (yp->context != NULL)
		yaml_reader_error(r, line, col,
		    "YAML syntax error: %s %s (which starts at line %zu)",
		    yp->problem, yp->context, yp->context_mark.line + 1);
	else
		yaml_reader_error(r, line, col, "YAML syntax error: %s",
		    yp->problem != NULL ? yp->problem : "unknown");
}

/* Append a copy of an event to an anchor's recording. */
static void
yaml_reader_record(struct anchor *a, const struct yaml_reader_event *ev)
{
	struct yaml_reader_event *copy;

	if (a->n == a->cap) {
		a->cap = a->cap == 0 ? 8 : a->cap * 2;
		a->evs = xreallocarray(a->evs, a->cap, sizeof *a->evs);
	}
	copy = &a->evs[a->n++];
	*copy = *ev;
	copy->anchor = NULL;
	if (ev->value != NULL) {
		copy->value = xstrdup(ev->value);
		a->bytes += strlen(ev->value);
	}
	if (ev->type == YAML_SEQUENCE_START_EVENT ||
	    ev->type == YAML_MAPPING_START_EVENT)
		a->depth++;
	else if (ev->type == YAML_SEQUENCE_END_EVENT ||
	    ev->type == YAML_MAPPING_END_EVENT)
		a->depth--;
	if (a->depth == 0)
		a->open = 0;
}

static int
yaml_reader_anchor_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct anchor *)a)->name, ((const struct anchor *)b)->name);
}

/* The newest anchor of a name: a tree, as a file may hold many. */
static struct anchor *
yaml_reader_anchor_find(struct yaml_reader *r, const char *name)
{
	struct anchor key;
	void *node;

	key.name = (char *)name;
	node = tfind(&key, &r->names, yaml_reader_anchor_cmp);
	return node != NULL ? *(struct anchor **)node : NULL;
}

/* Start recording a newly anchored node; a redefinition replaces. */
static void
yaml_reader_anchor_start(struct yaml_reader *r, struct yaml_reader_event *ev)
{
	struct anchor *a;
	void *node;

	a = xcalloc(1, sizeof *a);
	a->name = ev->anchor;
	ev->anchor = NULL;
	a->open = 1;
	a->next = r->anchors;
	r->anchors = a;
	if ((node = tsearch(a, &r->names, yaml_reader_anchor_cmp)) == NULL)
		fatalx("tsearch: out of memory");
	*(struct anchor **)node = a;
	yaml_reader_record(a, ev);
	if (!a->open)
		return;
	if (r->nopen == r->opencap) {
		r->opencap = r->opencap == 0 ? 8 : r->opencap * 2;
		r->open = xreallocarray(r->open, r->opencap, sizeof *r->open);
	}
	r->open[r->nopen++] = a;
}

/* Start replaying an anchor where an alias stands. */
static int
yaml_reader_alias(struct yaml_reader *r, struct yaml_reader_event *ev)
{
	struct anchor *a;

	a = yaml_reader_anchor_find(r, ev->anchor);
	if (a == NULL) {
		yaml_reader_error(
		    r, ev->line, ev->col, "unknown alias '*%s'", ev->anchor);
		return -1;
	}
	if (a->open) {
		yaml_reader_error(r, ev->line, ev->col,
		    "alias '*%s' refers to a node that contains it",
		    ev->anchor);
		return -1;
	}
	r->expanded += a->n;
	r->expanded_bytes += a->bytes;
	if (r->expanded > YAML_READER_MAX_EXPANSION) {
		yaml_reader_error(r, ev->line, ev->col,
		    "aliases expand to more than %d nodes",
		    YAML_READER_MAX_EXPANSION);
		r->broken = 1;
		return -1;
	}
	if (r->expanded_bytes > (size_t)YAML_READER_MAX_EXPANSION_MIB << 20) {
		yaml_reader_error(r, ev->line, ev->col,
		    "aliases expand to more than %d MiB of text",
		    YAML_READER_MAX_EXPANSION_MIB);
		r->broken = 1;
		return -1;
	}
	if (r->depth == r->stackcap) {
		r->stackcap = r->stackcap == 0 ? 8 : r->stackcap * 2;
		r->stack =
		    xreallocarray(r->stack, r->stackcap, sizeof *r->stack);
	}
	r->stack[r->depth].anchor = a;
	r->stack[r->depth].pos = 0;
	r->depth++;
	return 0;
}

/* The next event from a replayed alias, or 0 when none is pending. */
static int
yaml_reader_next_replayed(struct yaml_reader *r, struct yaml_reader_event *out)
{
	struct replay *rp;
	struct yaml_reader_event *ev;

	while (r->depth > 0) {
		rp = &r->stack[r->depth - 1];
		if (rp->pos < rp->anchor->n) {
			ev = &rp->anchor->evs[rp->pos++];
			*out = *ev;
			out->anchor = NULL;
			if (ev->value != NULL)
				out->value = xstrdup(ev->value);
			return 1;
		}
		r->depth--;
	}
	return 0;
}

/* The next event from libyaml, converted; -1 on a syntax error. */
/*
 * ${VAR} in a scalar as the file gives it (an alias replays the value
 * already substituted, so that $$ is read once).
 */
static void
yaml_reader_env(struct yaml_reader *r, struct yaml_reader_event *out)
{
	char *sub, *why;
	size_t len;
	int rc;

	rc = envsubst(out->value, &sub, &len, &why);
	if (rc < 0) {
		yaml_reader_error(r, out->line, out->col, "%s", why);
		free(why);
	} else if (rc > 0) {
		free(out->value);
		out->value = sub;
	}
}

static int
yaml_reader_next_parsed(struct yaml_reader *r, struct yaml_reader_event *out)
{
	yaml_event_t ev;
	yaml_char_t **anchor = NULL;

	if (!yaml_parser_parse(&r->yp, &ev)) {
		yaml_reader_syntax_error(r);
		return -1;
	}
	memset(out, 0, sizeof *out);
	out->type = ev.type;
	out->line = (unsigned)ev.start_mark.line + 1;
	out->col = (unsigned)ev.start_mark.column + 1;
	switch (ev.type) {
	case YAML_SCALAR_EVENT:
		anchor = &ev.data.scalar.anchor;
		out->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		/* "a\0b" would silently read as "a". */
		if (memchr(ev.data.scalar.value, '\0', ev.data.scalar.length))
			yaml_reader_error(r, out->line, out->col,
			    "a NUL character (\\0) is not allowed in a value");
		/* libyaml's copy, NUL-terminated, is ours: it frees with free. */
		out->value = (char *)ev.data.scalar.value;
		ev.data.scalar.value = NULL;
		yaml_reader_env(r, out);
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = &ev.data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = &ev.data.mapping_start.anchor;
		break;
	case YAML_ALIAS_EVENT:
		anchor = &ev.data.alias.anchor;
		break;
	default:
		break;
	}
	if (anchor != NULL && *anchor != NULL) {
		out->anchor = (char *)*anchor;
		*anchor = NULL;
	}
	yaml_event_delete(&ev);
	return 0;
}

/*
 * Bound the work an event costs: nesting, and the copies that anchors
 * around it keep (nested anchors would copy each event many times).
 */
static int
yaml_reader_limits(struct yaml_reader *r, struct yaml_reader_event *ev)
{
	size_t len = ev->value != NULL ? strlen(ev->value) : 0;

	if (ev->type == YAML_SEQUENCE_END_EVENT ||
	    ev->type == YAML_MAPPING_END_EVENT)
		r->level--;
	else if ((ev->type == YAML_SEQUENCE_START_EVENT ||
	             ev->type == YAML_MAPPING_START_EVENT) &&
	    ++r->level > YAML_READER_MAX_DEPTH) {
		yaml_reader_error(r, ev->line, ev->col,
		    "lists and mappings nest more than %d deep",
		    YAML_READER_MAX_DEPTH);
		r->broken = 1;
		return -1;
	}
	r->recorded += r->nopen + (ev->anchor != NULL);
	r->recorded_bytes += (r->nopen + (ev->anchor != NULL)) * len;
	if (r->recorded > YAML_READER_MAX_EXPANSION ||
	    r->recorded_bytes > (size_t)YAML_READER_MAX_EXPANSION_MIB << 20) {
		yaml_reader_error(r, ev->line, ev->col,
		    "anchored nodes hold more than %d nodes or %d MiB of text",
		    YAML_READER_MAX_EXPANSION, YAML_READER_MAX_EXPANSION_MIB);
		r->broken = 1;
		return -1;
	}
	return 0;
}

/* The next event, aliases resolved, anchored nodes recorded. */
int
yaml_reader_next(struct yaml_reader *r, struct yaml_reader_event *out)
{
	size_t i;

	memset(out, 0, sizeof *out);
	if (r->broken)
		return -1;
	for (;;) {
		if (yaml_reader_next_replayed(r, out))
			break;
		if (yaml_reader_next_parsed(r, out) != 0)
			return -1;
		if (out->type != YAML_ALIAS_EVENT)
			break;
		if (yaml_reader_alias(r, out) != 0) {
			/* Stand in a null so that parsing goes on. */
			free(out->anchor);
			out->anchor = NULL;
			out->type = YAML_SCALAR_EVENT;
			out->value = xstrdup("");
			out->plain = 0;
			if (r->broken) {
				yaml_reader_event_clear(out);
				return -1;
			}
			break;
		}
		yaml_reader_event_clear(out);
	}
	if (yaml_reader_limits(r, out) != 0) {
		yaml_reader_event_clear(out);
		return -1;
	}
	for (i = 0; i < r->nopen; i++)
		yaml_reader_record(r->open[i], out);
	while (r->nopen > 0 && !r->open[r->nopen - 1]->open)
		r->nopen--;
	if (out->anchor != NULL)
		yaml_reader_anchor_start(r, out);
	return 0;
}

/* Consume the rest of a node whose first event is ev. */
void
yaml_reader_skip(struct yaml_reader *r, struct yaml_reader_event *ev)
{
	struct yaml_reader_event e;
	int depth = 0;

	if (ev->type != YAML_SEQUENCE_START_EVENT &&
	    ev->type != YAML_MAPPING_START_EVENT)
		return;
	depth = 1;
	while (depth > 0 && yaml_reader_next(r, &e) == 0) {
		if (e.type == YAML_SEQUENCE_START_EVENT ||
		    e.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (e.type == YAML_SEQUENCE_END_EVENT ||
		    e.type == YAML_MAPPING_END_EVENT)
			depth--;
		yaml_reader_event_clear(&e);
	}
}

static struct yaml_reader *
yaml_reader_new(const char *name, yaml_reader_error_cb error, void *arg)
{
	struct yaml_reader *r;

	r = xcalloc(1, sizeof *r);
	r->file = name;
	r->error = error;
	r->arg = arg;
	if (!yaml_parser_initialize(&r->yp))
		fatalx("yaml_parser_initialize: out of memory");
	return r;
}

/* A reader of an open file; name stands for it in messages. */
struct yaml_reader *
yaml_reader_new_file(
    const char *name, FILE *fp, yaml_reader_error_cb error, void *arg)
{
	struct yaml_reader *r;

	r = yaml_reader_new(name, error, arg);
	yaml_parser_set_input_file(&r->yp, fp);
	return r;
}

/* A reader of text in memory, which must outlive it. */
struct yaml_reader *
yaml_reader_new_buffer(const char *name, const char *buf, size_t len,
    yaml_reader_error_cb error, void *arg)
{
	struct yaml_reader *r;

	r = yaml_reader_new(name, error, arg);
	r->buf = buf;
	r->len = len;
	yaml_parser_set_input_string(&r->yp, (const unsigned char *)buf, len);
	return r;
}

/* tdestroy's node callback: the anchors are freed from their own list. */
static void
yaml_reader_anchor_nofree(void *a)
{
}

void
yaml_reader_free(struct yaml_reader *r)
{
	struct anchor *a, *next;
	size_t i;

	if (r == NULL)
		return;
	tdestroy(r->names, yaml_reader_anchor_nofree);
	free(r->open);
	for (a = r->anchors; a != NULL; a = next) {
		next = a->next;
		for (i = 0; i < a->n; i++)
			yaml_reader_event_clear(&a->evs[i]);
		free(a->evs);
		free(a->name);
		free(a);
	}
	free(r->stack);
	yaml_parser_delete(&r->yp);
	free(r);
}

/* Did reading stop (a syntax error or a limit)? No event follows. */
int
yaml_reader_broken(const struct yaml_reader *r)
{
	return r->broken;
}

/* Stop reading: the owner has seen enough (too many tasks). */
void
yaml_reader_stop(struct yaml_reader *r)
{
	r->broken = 1;
}
