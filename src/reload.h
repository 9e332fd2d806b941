/* SIGHUP's reading of the task file, on a thread of its own. */
#ifndef RELOAD_H
#define RELOAD_H

struct config;
struct daemon_opts;
struct event;
struct reload;

struct reload *reload_start(const struct daemon_opts *, struct event *);
struct config *reload_finish(struct reload *);
int reload_abandon(struct reload *);

#endif
