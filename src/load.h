/* The task list as the command line asks for it. */
#ifndef LOAD_H
#define LOAD_H

struct config;
struct daemon_opts;

int load_file(const struct daemon_opts *, struct config **);
int load_can_run(const struct config *);

#endif
