/*
 * Output that never blocks the loop: whole lines queued up to a limit and
 * written without blocking; lines a stalled or vanished reader cannot
 * take, or a full disk refuses, are counted as lost and said.
 */
#ifndef OUTFILE_H
#define OUTFILE_H

#include <stddef.h>
#include <stdio.h>

struct event_base;
struct outfile;

/* Queued bytes at most per output; lines beyond are lost. */
#define OUTFILE_LIMIT (16 * 1024 * 1024)

typedef void (*outfile_gone_cb)(struct outfile *, void *);

struct outfile *outfile_stdout(struct event_base *, int);
struct outfile *outfile_open(struct event_base *, const char *, char **);
int outfile_reopen(struct outfile *, char **);
int outfile_check(const char *, char **);
void outfile_set_gone(struct outfile *, outfile_gone_cb, void *);
void outfile_lines(struct outfile *, const char *, size_t);
FILE *outfile_stream(struct outfile *);
unsigned long long outfile_lost(const struct outfile *);
int outfile_drain(struct outfile *, double);
void outfile_close(struct outfile *, double);
void outfile_emergency(double);

#endif
