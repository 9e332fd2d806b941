/* Signals as loop events, through a self-pipe blocking waits can watch. */
#ifndef SIGNALS_H
#define SIGNALS_H

struct event_base;

typedef void (*signals_cb)(int, void *);

int signals_init(struct event_base *, signals_cb, void *);
void signals_free(void);
int signals_fd(void);
int signals_dispatch(void);

#endif
