/*
 * Text from pages, task files and the command line goes to terminals and
 * logs. Its control characters could retitle or clear a terminal, move
 * the cursor, or start a new line that forges one of ours, so every text
 * output shows them escaped: a C0 control or DEL as \xHH, a C1 control
 * (U+0080 to U+009F) as \u00HH, a byte that is not valid UTF-8 as \xHH.
 * A newline is kept only where the text is meant to have lines.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "xmalloc.h"

/* The length of the valid UTF-8 sequence at s (of n bytes), or 0. */
size_t
escape_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long c;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n < len)
		return 0;
	c = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return len;
}

/* Is s valid UTF-8 throughout? */
int
escape_utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), k;

	while (n > 0) {
		if (*s < 0x80)
			k = 1;
		else if ((k = escape_utf8_len(s, n)) == 0)
			return 0;
		s += k;
		n -= k;
	}
	return 1;
}

/*
 * How the character at s (n bytes left) is shown, written to out (at
 * least 7 bytes): its length in s, and out empty when it shows as itself.
 */
static size_t
escape_one(const unsigned char *s, size_t n, int newlines, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t k;

	out[0] = '\0';
	if (*s >= 0x20 && *s < 0x7f)
		return 1;
	if (*s == '\n' && newlines)
		return 1;
	if (*s < 0x80) {
		memcpy(out, "\\x", 2);
		out[2] = hex[*s >> 4];
		out[3] = hex[*s & 0xf];
		out[4] = '\0';
		return 1;
	}
	if ((k = escape_utf8_len(s, n)) == 0) {
		memcpy(out, "\\x", 2);
		out[2] = hex[*s >> 4];
		out[3] = hex[*s & 0xf];
		out[4] = '\0';
		return 1;
	}
	if (k == 2 && s[0] == 0xc2 && s[1] < 0xa0) {
		memcpy(out, "\\u00", 4);
		out[4] = hex[(s[1] & 0x3f) >> 4 | 0x8];
		out[5] = hex[s[1] & 0xf];
		out[6] = '\0';
	}
	return k;
}

/* Does s hold anything that shows escaped? */
int
escape_needed(const char *str, int newlines)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), k;
	char out[8];

	while (n > 0) {
		if (*s >= 0x20 && *s < 0x7f) {
			s++, n--;
			continue;
		}
		k = escape_one(s, n, newlines, out);
		if (out[0] != '\0')
			return 1;
		s += k;
		n -= k;
	}
	return 0;
}

/* The first control character of s, escaped, for a message; or NULL. */
const char *
escape_control(const char *str)
{
	static __thread char out[8];
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), k;

	while (n > 0) {
		k = escape_one(s, n, 0, out);
		if (out[0] != '\0')
			return out;
		s += k;
		n -= k;
	}
	return NULL;
}

/* s with what a terminal must not see escaped: a new string. */
char *
escape_text(const char *str, int newlines)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), k, len = 0, olen;
	char out[8], *r;

	r = xmalloc(n * 4 + 1);
	while (n > 0) {
		k = escape_one(s, n, newlines, out);
		if (out[0] == '\0') {
			memcpy(r + len, s, k);
			len += k;
		} else {
			olen = strlen(out);
			memcpy(r + len, out, olen);
			len += olen;
		}
		s += k;
		n -= k;
	}
	r[len] = '\0';
	return r;
}

/* fputs with what a terminal must not see escaped. */
void
escape_fputs(FILE *f, const char *str, int newlines)
{
	char *e;

	if (!escape_needed(str, newlines)) {
		fputs(str, f);
		return;
	}
	e = escape_text(str, newlines);
	fputs(e, f);
	free(e);
}
