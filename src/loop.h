/* What every event loop of ours needs: the base, descriptors, SIGPIPE. */
#ifndef LOOP_H
#define LOOP_H

struct event_base;

struct event_base *loop_base_new(void);
void loop_raise_nofile(void);
void loop_ignore_sigpipe(void);

#endif
