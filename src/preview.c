/*
 * A body's preview, built as the body streams in, in any chunking: the text
 * decoded as UTF-8, runs of whitespace (space, \t, \n, \v, \f, \r) collapsed
 * to one space, trimmed at both ends, then cut to the first N code points.
 * Once N code points are kept, further input costs one comparison.
 *
 * Ill-formed UTF-8 becomes U+FFFD, one per maximal subpart (the practice of
 * Unicode chapter 3 and the WHATWG decoder): a sequence that breaks off
 * gives one U+FFFD and the byte that broke it is decoded afresh; a stray
 * continuation byte or a byte that never starts a sequence (C0, C1, F5-FF)
 * gives one each; a sequence cut off by the end of the body gives one.
 * Overlong forms, surrogates and code points above U+10FFFF are ill-formed.
 * U+0000 becomes U+FFFD too, as the preview is a C string.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>

#include "preview.h"
#include "xmalloc.h"

#define PREVIEW_REPLACEMENT 0xfffd

struct preview {
	unsigned limit; /* code points wanted */
	unsigned count; /* code points kept */
	int space; /* whitespace seen after kept text */

	uint32_t cp; /* the sequence being decoded */
	unsigned need; /* its continuation bytes still to come */
	unsigned char lower; /* range of its next continuation byte */
	unsigned char upper;

	char *buf; /* kept text, UTF-8, not terminated */
	size_t len;
	size_t size;
};

/* A preview of the first limit code points; 0 keeps nothing. */
struct preview *
preview_new(unsigned limit)
{
	struct preview *p;

	p = xcalloc(1, sizeof *p);
	p->limit = limit;
	p->lower = 0x80;
	p->upper = 0xbf;
	return p;
}

/* Append one code point to the kept text as UTF-8. */
static void
preview_append(struct preview *p, uint32_t cp)
{
	char *s;

	if (p->len + 4 > p->size) {
		p->size = p->size == 0 ? 64 : p->size * 2;
		p->buf = xreallocarray(p->buf, p->size, 1);
	}
	s = p->buf + p->len;
	if (cp < 0x80) {
		s[0] = (char)cp;
		p->len += 1;
	} else if (cp < 0x800) {
		s[0] = (char)(0xc0 | cp >> 6);
		s[1] = (char)(0x80 | (cp & 0x3f));
		p->len += 2;
	} else if (cp < 0x10000) {
		s[0] = (char)(0xe0 | cp >> 12);
		s[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		p->len += 3;
	} else {
		s[0] = (char)(0xf0 | cp >> 18);
		s[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		s[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		s[3] = (char)(0x80 | (cp & 0x3f));
		p->len += 4;
	}
	p->count++;
}

/* Take one decoded code point: collapse and trim whitespace, then keep it. */
static void
preview_emit(struct preview *p, uint32_t cp)
{
	if (p->count >= p->limit)
		return;
	if (cp == ' ' || (cp >= '\t' && cp <= '\r')) {
		if (p->count != 0)
			p->space = 1;
		return;
	}
	if (p->space) {
		p->space = 0;
		preview_append(p, ' ');
		if (p->count >= p->limit)
			return;
	}
	preview_append(p, cp == 0 ? PREVIEW_REPLACEMENT : cp);
}

/* Start a sequence with its first byte, or emit a one-byte character. */
static void
preview_lead(struct preview *p, unsigned char c)
{
	if (c < 0x80)
		preview_emit(p, c);
	else if (c >= 0xc2 && c <= 0xdf) {
		p->cp = c & 0x1f;
		p->need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			p->lower = 0xa0; /* no overlong forms */
		else if (c == 0xed)
			p->upper = 0x9f; /* no surrogates */
		p->cp = c & 0x0f;
		p->need = 2;
	} else if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			p->lower = 0x90; /* no overlong forms */
		else if (c == 0xf4)
			p->upper = 0x8f; /* nothing above U+10FFFF */
		p->cp = c & 0x07;
		p->need = 3;
	} else
		preview_emit(p, PREVIEW_REPLACEMENT);
}

/* Decode one byte; 0 if it broke a sequence and must be decoded again. */
static int
preview_byte(struct preview *p, unsigned char c)
{
	if (p->need == 0) {
		preview_lead(p, c);
		return 1;
	}
	if (c < p->lower || c > p->upper) {
		p->need = 0;
		p->lower = 0x80;
		p->upper = 0xbf;
		preview_emit(p, PREVIEW_REPLACEMENT);
		return 0;
	}
	p->lower = 0x80;
	p->upper = 0xbf;
	p->cp = p->cp << 6 | (c & 0x3f);
	if (--p->need == 0)
		preview_emit(p, p->cp);
	return 1;
}

/* Feed the next piece of the body; a sequence may span pieces. */
void
preview_add(struct preview *p, const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0;

	while (i < len && p->count < p->limit) {
		if (preview_byte(p, s[i]))
			i++;
	}
}

/* The preview as a NUL-terminated string for the caller to free. */
char *
preview_finish(struct preview *p)
{
	char *s;

	if (p->need != 0)
		preview_emit(p, PREVIEW_REPLACEMENT);
	s = xreallocarray(p->buf, p->len + 1, 1);
	s[p->len] = '\0';
	free(p);
	return s;
}

/* Discard a preview without a result. */
void
preview_free(struct preview *p)
{
	if (p == NULL)
		return;
	free(p->buf);
	free(p);
}
