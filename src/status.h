/* The status endpoint: GET /status (JSON) and GET /metrics (Prometheus). */
#ifndef STATUS_H
#define STATUS_H

#include "ui.h"

struct config;
struct evbuffer;
struct evhttp_request;
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
const char *status_url(const struct status *);
void status_set_ui(struct status *, ui_run_cb, void *);
void status_send(struct evhttp_request *, int, const char *, struct evbuffer *);

#endif
