/* The status endpoint: GET /status (JSON) and GET /metrics (Prometheus). */
#ifndef STATUS_H
#define STATUS_H

struct config;
struct event_base;
struct report;
struct status;

int status_new(struct event_base *, struct report *, const char *,
    struct status **, char **);
void status_free(struct status *);
void status_set_config(struct status *, const struct config *);
void status_set_run(struct status *, unsigned);
void status_set_next(struct status *, double);
void status_set_stopping(struct status *);

#endif
