/* A pidfile written atomically and locked for the process's life. */
#ifndef PIDFILE_H
#define PIDFILE_H

struct pidfile;

struct pidfile *pidfile_create(const char *, char **);
void pidfile_remove(struct pidfile *);

#endif
