/* HTTP listeners on ADDR:PORT, for the demo server and the status endpoint. */
#ifndef LISTEN_H
#define LISTEN_H

struct evhttp;
struct evhttp_bound_socket;

char *listen_url(int);
int listen_http(
    struct evhttp *, const char *, struct evhttp_bound_socket **, char **);

#endif
