/*
 * The pidfile: the old file is locked first, so that two starters cannot
 * both proceed; the pid is written to a temporary file, locked too, then
 * renamed into place, so a reader never sees a partial pid. Both locks are
 * held until exit; a second instance finds them and names the running pid.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"
#include "xmalloc.h"

struct pidfile {
	char *path;
	int fd;
	int tmpfd;
	dev_t dev;
	ino_t ino;
};

/* Who holds a locked pidfile, for the message. */
static long
pidfile_holder(int fd)
{
	char buf[32];
	ssize_t n;

	n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int
pidfile_lock(const char *path, int *fdp, char **cause)
{
	long pid;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		pid = pidfile_holder(fd);
		if (pid > 0)
			xasprintf(cause, "%s: held by running process %ld",
			    path, pid);
		else
			xasprintf(cause, "%s: held by another process", path);
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

struct pidfile *
pidfile_create(const char *path, char **cause)
{
	struct pidfile *pf;
	struct stat sb;
	char *tmp, buf[32];
	int len;

	pf = xcalloc(1, sizeof *pf);
	pf->fd = pf->tmpfd = -1;
	pf->path = xstrdup(path);
	tmp = xprintf("%s.%ld.tmp", path, (long)getpid());
	if (pidfile_lock(path, &pf->fd, cause) != 0 ||
	    pidfile_lock(tmp, &pf->tmpfd, cause) != 0)
		goto fail;
	len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(pf->tmpfd, 0) == -1 ||
	    write(pf->tmpfd, buf, (size_t)len) != len ||
	    fsync(pf->tmpfd) == -1 || rename(tmp, path) == -1 ||
	    fstat(pf->tmpfd, &sb) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto fail;
	}
	pf->dev = sb.st_dev;
	pf->ino = sb.st_ino;
	free(tmp);
	return pf;
fail:
	free(tmp);
	pidfile_remove(pf);
	return NULL;
}

/* Remove the file if it is still ours, and let go of the locks. */
void
pidfile_remove(struct pidfile *pf)
{
	struct stat sb;

	if (pf == NULL)
		return;
	if (pf->ino != 0 && stat(pf->path, &sb) == 0 && sb.st_dev == pf->dev &&
	    sb.st_ino == pf->ino)
		unlink(pf->path);
	if (pf->fd != -1)
		close(pf->fd);
	if (pf->tmpfd != -1)
		close(pf->tmpfd);
	free(pf->path);
	free(pf);
}
