/* -d: into the background, telling the parent how the start went. */
#ifndef DETACH_H
#define DETACH_H

struct daemon_opts;
struct detach;

struct detach *detach_start(struct daemon_opts *);
void detach_ready(struct detach *, int);
void detach_free(struct detach *);

#endif
