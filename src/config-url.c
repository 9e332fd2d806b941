/* The task file's URLs: checked, and their passwords kept out of sight. */
#include "autoconf.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config-url.h"
#include "xmalloc.h"

/* An http or https URL with a host and no spaces. */
int
config_url_ok(const char *s)
{
	const char *p;

	if (strncasecmp(s, "http://", 7) == 0)
		p = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		p = s + 8;
	else
		return 0;
	if (*p == '\0' || *p == '/')
		return 0;
	for (; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	}
	return 1;
}

/*
 * Where the password of an http(s) URL is, or NULL: after "user:" in the
 * part between "//" and the first "/", "?" or "#", up to its last "@".
 */
static const char *
config_url_password(const char *url, size_t *len)
{
	const char *auth = strstr(url, "//"), *end, *at, *colon;

	if (auth == NULL)
		return NULL;
	auth += 2;
	end = auth + strcspn(auth, "/?#");
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	if (at == auth)
		return NULL;
	at--;
	if ((colon = memchr(auth, ':', (size_t)(at - auth))) == NULL ||
	    colon + 1 == at)
		return NULL;
	*len = (size_t)(at - colon - 1);
	return colon + 1;
}

/* url as it may be shown: its password, if any, as "***". */
char *
config_mask_url(const char *url)
{
	const char *pw;
	size_t len;

	if ((pw = config_url_password(url, &len)) == NULL)
		return xstrdup(url);
	return xprintf("%.*s***%s", (int)(pw - url), url, pw + len);
}

/*
 * A URL that did not parse, as an error may show it: from the first ":"
 * after "//" to the last "@", all of it "***", wherever the password could
 * be (a "/" in it ends the host part for a parser, not for the user).
 */
char *
config_mask_bad_url(const char *url)
{
	const char *auth = strstr(url, "//"), *at, *colon;

	if (auth == NULL || (at = strrchr(auth, '@')) == NULL ||
	    (colon = strchr(auth + 2, ':')) == NULL || colon > at)
		return xstrdup(url);
	return xprintf("%.*s***%s", (int)(colon + 1 - url), url, at);
}

/*
 * A URL with a password is kept as "shown\0real": outputs print the task's
 * str and never see it. Takes url.
 */
char *
config_url_secret(char *url, uint8_t *flags)
{
	char *shown, *both;
	size_t a, b;

	if (config_url_password(url, &a) == NULL)
		return url;
	shown = config_mask_url(url);
	a = strlen(shown);
	b = strlen(url);
	both = xmalloc(a + b + 2);
	memcpy(both, shown, a + 1);
	memcpy(both + a + 1, url, b + 1);
	free(shown);
	free(url);
	*flags |= TASK_SECRET;
	return both;
}

/* The URL a url task fetches (its str may be the shown one). */
const char *
config_url(const struct task *t)
{
	if (t->flags & TASK_SECRET)
		return t->arg.str + strlen(t->arg.str) + 1;
	return t->arg.str;
}
