/* Text safe for a terminal: control characters shown escaped. */
#ifndef ESCAPE_H
#define ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* Keep newlines as they are (a description), or show them as \n. */
#define ESCAPE_NEWLINES 1

size_t escape_utf8_len(const unsigned char *, size_t);
int escape_utf8_valid(const char *);
const char *escape_control(const char *);
int escape_needed(const char *, int);
char *escape_text(const char *, int);
void escape_fputs(FILE *, const char *, int);

#endif
