/* GET /events: the run's events as Server-Sent Events, late clients too. */
#ifndef EVENTS_H
#define EVENTS_H

struct event_base;
struct evhttp_request;
struct events;
struct report;

struct events *events_new(struct event_base *, struct report *);
void events_request(struct events *, struct evhttp_request *);

#endif
