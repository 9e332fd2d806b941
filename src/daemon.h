/* The lifecycle around runs: loop, signals, repeated runs, stop. */
#ifndef DAEMON_H
#define DAEMON_H

struct config;

/* What the command line asked for. */
struct daemon_opts {
	const char *file;
	const char *mode;
	const char *workers;
	const char *results;
	const char *pidfile;
	const char *status;
	const char *ui; /* --ui ADDR:PORT: runs when the page asks */
	const char *log;
	const char *timeline_svg;
	const char *trace;
	double interval;
	double block_threshold;
	double time_scale; /* --time-scale, 0: not given */
	double time_axis; /* --time-axis, 0: each chart its run's length */
	unsigned runs;
	unsigned shard_k;
	unsigned shard_n;
	int json;
	int quiet;
	int verbose;
	int detach;
	int syslog;
	int timeline;
	int compare;
	int stdout_closed; /* descriptor 1 was closed at start */
};

int daemon_main(struct config *, struct daemon_opts *);

#endif
