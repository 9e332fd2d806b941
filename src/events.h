/* GET /events: the run's events as Server-Sent Events, late clients too. */
#ifndef EVENTS_H
#define EVENTS_H

#include <stddef.h>

struct event_base;
struct evhttp_request;
struct events;
struct report;

struct events *events_new(struct event_base *, struct report *);
void events_request(struct events *, struct evhttp_request *);
void events_counts(struct events *, size_t *, unsigned long long *);

#endif
