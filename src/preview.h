/* The first N characters of a body's text, collected as it streams. */
#ifndef PREVIEW_H
#define PREVIEW_H

#include <stddef.h>

struct preview;

struct preview *preview_new(unsigned);
void preview_add(struct preview *, const char *, size_t);
char *preview_finish(struct preview *);
void preview_free(struct preview *);

#endif
