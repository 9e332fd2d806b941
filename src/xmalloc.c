/* Allocation wrappers: callers never see NULL. */
#include "autoconf.h"

#include <sys/mman.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "xmalloc.h"

static xmalloc_oom_cb xmalloc_oom_fn;

/* Who is told when memory runs out (the daemon writes what finished). */
void
xmalloc_on_oom(xmalloc_oom_cb fn)
{
	xmalloc_oom_fn = fn;
}

/* Memory ran out: what could not have size bytes. Never returns. */
void
xmalloc_oom(const char *what, size_t size)
{
	if (xmalloc_oom_fn != NULL)
		xmalloc_oom_fn(what, size);
	fatalx("out of memory: %s could not allocate %zu bytes", what, size);
}

void *
xmalloc(size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		xmalloc_oom("malloc", size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		xmalloc_oom("calloc", n * size);
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	if (SIZE_MAX / n < size)
		fatalx("reallocarray: %zu x %zu overflows", n, size);
	if ((p = realloc(old, n * size)) == NULL)
		xmalloc_oom("realloc", n * size);
	return p;
}

/*
 * Advise huge pages under a large array before it is touched: one page
 * fault per 2 MiB instead of 512, which a million tasks feel. Advice
 * only. The whole pages it lies on, so that the advice does not split
 * malloc's own mapping of the array (realloc could not mremap it).
 */
void
xhuge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	uintptr_t page, start, end;

	if (len < XHUGE_MIN)
		return;
	page = (uintptr_t)sysconf(_SC_PAGESIZE);
	start = (uintptr_t)p & ~(page - 1);
	end = ((uintptr_t)p + len + page - 1) & ~(page - 1);
	madvise((void *)start, end - start, MADV_HUGEPAGE);
#endif
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t len)
{
	char *p;

	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vasprintf");
	return n;
}

/* Format into a new string: the caller frees it. */
char *
xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		fatal("vasprintf");
	va_end(ap);
	return s;
}

/* path made absolute against the current folder, as a new string. */
char *
xabspath(const char *path)
{
	char *cwd, *abs;

	if (*path == '/' || (cwd = getcwd(NULL, 0)) == NULL)
		return xstrdup(path);
	abs = xprintf("%s/%s", cwd, path);
	free(cwd);
	return abs;
}
