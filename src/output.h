/*
 * What a daemon prints and where: the report's sinks on stdout and -o,
 * the timeline, the charts and files written when runs end, and the
 * lines that could not be written.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

struct daemon_opts;
struct event_base;
struct output;
struct report;
struct run;

/* stdout's reader went away; called on the loop. */
typedef void (*output_gone_cb)(void *);

int output_check(const struct daemon_opts *);
int output_color(void);
struct output *output_new(
    struct event_base *, const struct daemon_opts *, output_gone_cb, void *);
struct report *output_report(struct output *);
void output_run_start(struct output *, struct run *);
void output_run_done(struct output *, const struct run *, int);
void output_reopen(struct output *);
int output_emergency(struct output *);
int output_free(struct output *);

void output_say(struct output *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

#endif
