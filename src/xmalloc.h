/* Allocation that never fails for callers: on exhaustion it calls fatalx. */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

typedef void (*xmalloc_oom_cb)(const char *, size_t);

void xmalloc_on_oom(xmalloc_oom_cb);
__attribute__((noreturn)) void xmalloc_oom(const char *, size_t);
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
/* Arrays at least this large are worth huge pages (x86-64's 2 MiB). */
#define XHUGE_MIN ((size_t)2 << 20)
void xhuge(void *, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
int xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));
char *xabspath(const char *);
char *xprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
