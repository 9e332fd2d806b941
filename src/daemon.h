/* The lifecycle around runs: loop, signals, repeated runs, stop. */
#ifndef DAEMON_H
#define DAEMON_H

struct config;
struct event_base;

/* What the command line asked for. */
struct daemon_opts {
	const char *file;
	const char *results;
	int json;
	int quiet;
	int verbose;
	unsigned shard_k;
	unsigned shard_n;
	unsigned runs;
};

struct event_base *daemon_base_new(void);
int daemon_main(struct config *, const struct daemon_opts *);

#endif
