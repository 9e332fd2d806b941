/*
 * The operators' check options of a task file: method, headers, expect,
 * the TLS files, exec's cwd and env. Each is read and checked when the
 * file loads; what they allocate the config keeps, and frees with it.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "config-check.h"
#include "config-keys.h"
#include "config-options.h"
#include "config-parse.h"
#include "config-value.h"
#include "escape.h"
#include "xmalloc.h"
#include "yaml-reader.h"

/* Something a config owns, with how to free it. */
struct config_kept {
	void *p;
	void (*free)(void *);
};

/* Keep p until the config is freed; returns p. */
void *
config_keep(struct config *cf, void *p, void (*fn)(void *))
{
	if (cf->nkept == cf->keptcap) {
		cf->keptcap = cf->keptcap == 0 ? 8 : cf->keptcap * 2;
		cf->kept =
		    xreallocarray(cf->kept, cf->keptcap, sizeof *cf->kept);
	}
	cf->kept[cf->nkept].p = p;
	cf->kept[cf->nkept].free = fn != NULL ? fn : free;
	cf->nkept++;
	return p;
}

void
config_kept_free(struct config *cf)
{
	size_t i;

	for (i = cf->nkept; i > 0; i--)
		cf->kept[i - 1].free(cf->kept[i - 1].p);
	free(cf->kept);
}

static void
config_regex_free(void *p)
{
	regfree(p);
	free(p);
}

static void
config_field(void *field, const void *value)
{
	memcpy(field, &value, sizeof value);
}

/* A string option (body, send), kept. */
int
config_read_string(struct cfgparse *p, struct yaml_reader_event *v,
    const struct config_opt *opt, void *field)
{
	char *s;

	if ((s = config_string(p, v, opt->name)) == NULL)
		return -1;
	config_field(field, config_keep(p->cf, s, NULL));
	return 0;
}

/* method: one of HTTP's, upper case as HTTP has them. */
int
config_read_method(struct cfgparse *p, struct yaml_reader_event *v,
    const struct config_opt *opt, void *field)
{
	static const char *const methods[] = {
	    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", NULL};
	const char *s, *near;
	char *upper, *c;
	size_t i;

	if ((s = config_scalar(p, v, opt->name, "an HTTP method")) == NULL)
		return -1;
	for (i = 0; methods[i] != NULL; i++) {
		if (strcmp(s, methods[i]) == 0) {
			config_field(field, methods[i]);
			return 0;
		}
	}
	upper = xstrdup(s);
	for (c = upper; *c != '\0'; c++)
		*c = (char)toupper((unsigned char)*c);
	near = config_suggest(upper, methods);
	free(upper);
	if (near != NULL) {
		config_error(p, v->line, v->col,
		    "method: unknown method '%s' (did you mean '%s'?)", s,
		    near);
	} else {
		config_bad_value(p, v, "method", "method",
		    "expected GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");
	}
	return -1;
}

/* A file the task reads at each run (ca_file, client_cert, client_key). */
int
config_read_file(struct cfgparse *p, struct yaml_reader_event *v,
    const struct config_opt *opt, void *field)
{
	char *s, *path;

	if ((s = config_string(p, v, opt->name)) == NULL)
		return -1;
	path = config_resolve(p->cf, s);
	free(s);
	if (access(path, R_OK) != 0) {
		config_error(p, v->line, v->col, "%s: cannot read '%s': %s",
		    opt->name, path, strerror(errno));
		free(path);
		return -1;
	}
	config_field(field, config_keep(p->cf, path, NULL));
	return 0;
}

/* cwd: a folder that exists. */
int
config_read_dir(struct cfgparse *p, struct yaml_reader_event *v,
    const struct config_opt *opt, void *field)
{
	struct stat sb;
	char *s, *path;

	if ((s = config_string(p, v, opt->name)) == NULL)
		return -1;
	path = config_resolve(p->cf, s);
	free(s);
	errno = 0;
	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		config_error(p, v->line, v->col, "%s: '%s' is not a folder%s%s",
		    opt->name, path, errno != 0 ? ": " : "",
		    errno != 0 ? strerror(errno) : "");
		free(path);
		return -1;
	}
	config_field(field, config_keep(p->cf, path, NULL));
	return 0;
}

/* insecure: true or false. */
int
config_read_bool(struct cfgparse *p, struct yaml_reader_event *v,
    const struct config_opt *opt, void *field)
{
	unsigned u;
	int on;

	if (config_bool(p, v, opt->name, &on) != 0)
		return -1;
	u = on != 0;
	memcpy(field, &u, sizeof u);
	return 0;
}

/* An HTTP header's name: a token (RFC 9110). */
static int
config_header_name_ok(const char *s)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	}
	return 1;
}

/* An environment variable's name, as the shell takes it. */
static int
config_env_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	}
	return 1;
}

/*
 * A mapping of names to strings (headers, env) into a NULL-ended list of
 * "name<sep>value"; a name twice (case aside for headers) is an error.
 */
static int
config_read_pairs(struct cfgparse *p, struct yaml_reader_event *v,
    const char *key, int headers, void *field)
{
	struct yaml_reader_event k, val;
	char **list = NULL, *q;
	size_t n = 0, i, klen;
	int bad = 0;

	if (v->type != YAML_MAPPING_START_EVENT) {
		config_error(p, v->line, v->col,
		    "%s: expected a mapping such "
		    "as {%s}, got %s",
		    key, headers ? "Accept: text/plain" : "LANG: C",
		    yaml_reader_what(v));
		yaml_reader_skip(p->yr, v);
		return -1;
	}
	list = xcalloc(1, sizeof *list);
	while (yaml_reader_next(p->yr, &k) == 0 &&
	    k.type != YAML_MAPPING_END_EVENT) {
		if (yaml_reader_next(p->yr, &val) != 0) {
			yaml_reader_event_clear(&k);
			break;
		}
		if (k.type != YAML_SCALAR_EVENT) {
			config_error(p, k.line, k.col,
			    "%s: expected a name, "
			    "got %s",
			    key, yaml_reader_what(&k));
			yaml_reader_skip(p->yr, &k);
			yaml_reader_skip(p->yr, &val);
			bad = 1;
		} else if (headers ? !config_header_name_ok(k.value)
		                   : !config_env_name_ok(k.value)) {
			q = config_quote(k.value);
			config_error(p, k.line, k.col,
			    "%s: '%s' is not a "
			    "valid %s name",
			    key, q, headers ? "header" : "variable");
			free(q);
			yaml_reader_skip(p->yr, &val);
			bad = 1;
		} else {
			klen = strlen(k.value);
			for (i = 0; i < n; i++) {
				if ((headers ? strncasecmp(
				                   list[i], k.value, klen)
				             : strncmp(list[i], k.value,
				                   klen)) == 0 &&
				    list[i][klen] == (headers ? ':' : '='))
					break;
			}
			if (i < n) {
				config_error(p, k.line, k.col,
				    "%s: '%s' is given twice", key, k.value);
				yaml_reader_skip(p->yr, &val);
				bad = 1;
			} else if ((q = config_string(p, &val, k.value)) ==
			    NULL)
				bad = 1;
			else if (headers && strpbrk(q, "\r\n") != NULL) {
				config_error(p, val.line, val.col,
				    "%s: %s: a "
				    "header's value cannot hold a line break",
				    key, k.value);
				free(q);
				bad = 1;
			} else {
				list = xreallocarray(list, n + 2, sizeof *list);
				list[n++] = xprintf(
				    "%s%s%s", k.value, headers ? ": " : "=", q);
				list[n] = NULL;
				free(q);
			}
		}
		yaml_reader_event_clear(&k);
		yaml_reader_event_clear(&val);
	}
	yaml_reader_event_clear(&k);
	for (i = 0; i < n; i++)
		config_keep(p->cf, list[i], NULL);
	config_keep(p->cf, list, NULL);
	if (bad)
		return -1;
	config_field(field, list);
	return 0;
}

int
config_read_headers(struct cfgparse *p, struct yaml_reader_event *v,
    const struct config_opt *opt, void *field)
{
	return config_read_pairs(p, v, opt->name, 1, field);
}

int
config_read_env(struct cfgparse *p, struct yaml_reader_event *v,
    const struct config_opt *opt, void *field)
{
	return config_read_pairs(p, v, opt->name, 0, field);
}

/* The expectation being read, and whether it went wrong. */
struct expectctx {
	struct task_expect *e;
	int bad;
};

/* One status: a code 0..599, or a class 1xx..5xx. */
static int
config_status_one(
    struct cfgparse *p, struct yaml_reader_event *v, struct status_range *r)
{
	unsigned long long n;
	const char *s;

	s = config_scalar(
	    p, v, "expect: status", "a status such as 200 or 2xx");
	if (s == NULL)
		return -1;
	if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' &&
	    strcasecmp(s + 1, "xx") == 0) {
		r->lo = (uint16_t)((s[0] - '0') * 100);
		r->hi = (uint16_t)(r->lo + 99);
		return 0;
	}
	if (strspn(s, "0123456789") != strlen(s) || strlen(s) > 3 ||
	    (n = strtoull(s, NULL, 10)) > 599) {
		config_bad_value(p, v, "expect: status", "status",
		    "expected a code 0 to 599 or a class 1xx to 5xx");
		return -1;
	}
	r->lo = r->hi = (uint16_t)n;
	return 0;
}

static void
config_expect_status(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct expectctx *x = ctx;
	struct yaml_reader_event item;
	struct status_range *r = NULL;
	size_t n = 0;

	if (v->type != YAML_SEQUENCE_START_EVENT) {
		r = xmalloc(sizeof *r);
		if (config_status_one(p, v, r) != 0) {
			free(r);
			x->bad = 1;
			return;
		}
		n = 1;
	} else {
		while (yaml_reader_next(p->yr, &item) == 0 &&
		    item.type != YAML_SEQUENCE_END_EVENT) {
			r = xreallocarray(r, n + 1, sizeof *r);
			if (config_status_one(p, &item, &r[n]) != 0)
				x->bad = 1;
			else
				n++;
			yaml_reader_event_clear(&item);
		}
		yaml_reader_event_clear(&item);
		if (n == 0 && !x->bad) {
			config_error(p, v->line, v->col,
			    "expect: status: the "
			    "list is empty (expected a status such as 200)");
			x->bad = 1;
		}
	}
	x->e->status = config_keep(p->cf, r, NULL);
	x->e->nstatus = n;
}

static void
config_expect_body(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct expectctx *x = ctx;
	char *s;

	if ((s = config_string(p, v, "expect: body")) == NULL)
		x->bad = 1;
	else
		x->e->body = config_keep(p->cf, s, NULL);
}

static void
config_expect_regex(struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct expectctx *x = ctx;
	regex_t *re;
	char why[256], *s, *q;
	int rc;

	if ((s = config_string(p, v, "expect: body_regex")) == NULL) {
		x->bad = 1;
		return;
	}
	re = xmalloc(sizeof *re);
	if ((rc = regcomp(re, s, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, re, why, sizeof why);
		q = config_quote(s);
		config_error(p, v->line, v->col,
		    "expect: body_regex: invalid "
		    "regular expression '%s': %s",
		    q, why);
		free(q);
		free(re);
		free(s);
		x->bad = 1;
		return;
	}
	x->e->body_regex = config_keep(p->cf, s, NULL);
	x->e->regex = config_keep(p->cf, re, config_regex_free);
}

static void
config_expect_max_time(
    struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct expectctx *x = ctx;

	if (config_duration(p, v, "expect: max_time", 1, &x->e->max_time) != 0)
		x->bad = 1;
}

static void
config_expect_cert_days(
    struct cfgparse *p, struct yaml_reader_event *v, void *ctx)
{
	struct expectctx *x = ctx;
	unsigned long long n;

	if (config_uint(p, v, "expect: cert_days", 1, 36500, &n) != 0)
		x->bad = 1;
	else
		x->e->cert_days = (unsigned)n;
}

static const struct key config_expect_fns[] = {
    {"status", config_expect_status},
    {"body", config_expect_body},
    {"body_regex", config_expect_regex},
    {"max_time", config_expect_max_time},
    {"cert_days", config_expect_cert_days},
    {NULL, NULL},
};
static const struct keys config_expect_keys = {
    config_expect_fns, CONFIG_OPTS_NONE};

/* expect: a mapping of what a check must see. */
int
config_read_expect(struct cfgparse *p, struct yaml_reader_event *v,
    const struct config_opt *opt, void *field)
{
	struct expectctx x;
	unsigned errors = (unsigned)p->nerrors;

	x.e = config_keep(p->cf, xcalloc(1, sizeof *x.e), NULL);
	x.bad = 0;
	config_submapping(p, v, opt->name, &config_expect_keys, &x);
	if (x.bad || p->nerrors > errors)
		return -1;
	config_field(field, x.e);
	return 0;
}

/*
 * What of an expectation fits the kind: tcp has no status, exec's status
 * is an exit status, only a url has a certificate. 0, or -1 with errors.
 */
int
config_expect_fits(struct cfgparse *p, const struct task_expect *e,
    enum task_kind kind, unsigned line, unsigned col)
{
	size_t i;

	if (kind == TASK_TCP && e->nstatus > 0) {
		config_error(p, line, col,
		    "expect: status does not apply to a "
		    "tcp task (a tcp check is ok when it connects)");
		return -1;
	}
	if (kind != TASK_URL && e->cert_days > 0) {
		config_error(p, line, col,
		    "expect: cert_days applies only to "
		    "url tasks");
		return -1;
	}
	for (i = 0; kind == TASK_EXEC && i < e->nstatus; i++) {
		if (e->status[i].hi > 255 ||
		    e->status[i].lo != e->status[i].hi) {
			config_error(p, line, col,
			    "expect: status: an exec "
			    "task's status is an exit status, 0 to 255");
			return -1;
		}
	}
	for (i = 0; kind == TASK_URL && i < e->nstatus; i++) {
		if (e->status[i].lo < 100) {
			config_error(p, line, col,
			    "expect: status: %u is not "
			    "an HTTP status (100 to 599)",
			    e->status[i].lo);
			return -1;
		}
	}
	return 0;
}

/* A header as it may be shown: the value of a secret one is ***. */
const char *
config_header_shown(const char *h, char *buf, size_t len)
{
	static const char *const secret[] = {
	    "Authorization", "Proxy-Authorization", "Cookie", NULL};
	const char *colon = strchr(h, ':');
	size_t i, n;

	if (colon == NULL)
		return h;
	n = (size_t)(colon - h);
	for (i = 0; secret[i] != NULL; i++) {
		if (strlen(secret[i]) == n &&
		    strncasecmp(h, secret[i], n) == 0) {
			snprintf(buf, len, "%.*s: ***", (int)n, h);
			return buf;
		}
	}
	return h;
}

/*
 * An exec task's argv into argv (max slots, the last for NULL): the list
 * it gave, or /bin/sh -c and its command. The count, or 0 when max is
 * too small.
 */
size_t
config_exec_argv(const struct task *t, const char **argv, size_t max)
{
	const char *a;
	size_t n = 0;

	if (!(t->flags & TASK_ARGV)) {
		if (max < 4)
			return 0;
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = t->arg.str;
		argv[3] = NULL;
		return 3;
	}
	for (a = t->arg.str + strlen(t->arg.str) + 1; *a != '\0';
	     a += strlen(a) + 1) {
		if (n + 1 >= max)
			return 0;
		argv[n++] = a;
	}
	argv[n] = NULL;
	return n;
}

/*
 * A tcp target, HOST:PORT or [V6]:PORT, into its host (without brackets)
 * and port: 0, or -1 when it is not one.
 */
int
config_tcp_target(const char *s, char **host, unsigned *port)
{
	const char *colon, *end;
	unsigned long n;
	char *e;

	*host = NULL;
	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':' ||
		    end == s + 1)
			return -1;
		colon = end + 1;
		s++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL || colon == s ||
		    memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -1;
		end = colon;
	}
	if (strcspn(s, " \t\r\n/") < (size_t)(end - s))
		return -1;
	if (!isdigit((unsigned char)colon[1]))
		return -1;
	errno = 0;
	n = strtoul(colon + 1, &e, 10);
	if (*e != '\0' || errno != 0 || n < 1 || n > 65535)
		return -1;
	*host = xstrndup(s, (size_t)(end - s));
	*port = (unsigned)n;
	return 0;
}
