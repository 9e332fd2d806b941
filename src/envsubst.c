/*
 * Environment substitution in a task file's values, read when the file
 * is (and at each reload): ${VAR} is VAR's value and an error when VAR is
 * unset; ${VAR:-default} is the default when VAR is unset or empty, as in
 * the shell; $$ is one $. Any other $ is kept as it is, so that a file
 * written before substitution existed reads the same unless it has "${".
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envsubst.h"
#include "xmalloc.h"

struct outbuf {
	char *s;
	size_t len;
	size_t cap;
};

static void
envsubst_add(struct outbuf *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		while (o->len + n + 1 > o->cap)
			o->cap = o->cap == 0 ? 64 : o->cap * 2;
		o->s = xreallocarray(o->s, o->cap, 1);
	}
	memcpy(o->s + o->len, s, n);
	o->len += n;
	o->s[o->len] = '\0';
}

/* A variable's name: a letter or _, then letters, digits and _. */
static size_t
envsubst_name(const char *s)
{
	size_t n = 0;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

/*
 * One ${...} at s (after "${"): its value added to o, the characters it
 * took in *used. -1 with *cause for an unset variable or a bad form.
 */
static int
envsubst_one(const char *s, struct outbuf *o, size_t *used, char **cause)
{
	size_t n = envsubst_name(s);
	const char *end, *val, *def = NULL;
	char *name;

	if (n > 0 && s[n] == '\0') {
		xasprintf(cause, "'${' without its closing '}'");
		return -1;
	}
	if (n == 0 || (s[n] != '}' && strncmp(s + n, ":-", 2) != 0)) {
		xasprintf(cause,
		    "'${' must be followed by a variable name and "
		    "'}' or ':-default}' (write $$ for a $)");
		return -1;
	}
	if (s[n] == '}')
		end = s + n;
	else {
		def = s + n + 2;
		if ((end = strchr(def, '}')) == NULL) {
			xasprintf(cause, "'${' without its closing '}'");
			return -1;
		}
	}
	name = xstrndup(s, n);
	val = getenv(name);
	if (def != NULL && (val == NULL || *val == '\0'))
		envsubst_add(o, def, (size_t)(end - def));
	else if (val == NULL) {
		xasprintf(cause,
		    "environment variable %s is not set "
		    "(set it, or write ${%s:-default})",
		    name, name);
		free(name);
		return -1;
	} else
		envsubst_add(o, val, strlen(val));
	free(name);
	*used = (size_t)(end + 1 - s);
	return 0;
}

/*
 * Substitute in the len bytes of in. 0 when nothing was substituted
 * (*out NULL), 1 with a new string in *out and its length in *outlen,
 * -1 with *cause.
 */
int
envsubst(const char *in, char **out, size_t *outlen, char **cause)
{
	struct outbuf o = {NULL, 0, 0};
	const char *p = in, *d;
	size_t used;

	*out = NULL;
	if (strchr(in, '$') == NULL)
		return 0;
	while ((d = strchr(p, '$')) != NULL) {
		envsubst_add(&o, p, (size_t)(d - p));
		if (d[1] == '$') {
			envsubst_add(&o, "$", 1);
			p = d + 2;
		} else if (d[1] == '{') {
			if (envsubst_one(d + 2, &o, &used, cause) != 0) {
				free(o.s);
				return -1;
			}
			p = d + 2 + used;
		} else {
			envsubst_add(&o, "$", 1);
			p = d + 1;
		}
	}
	envsubst_add(&o, p, strlen(p));
	*out = o.s;
	*outlen = o.len;
	return 1;
}
