#ifndef SERVE_H
#define SERVE_H
/* Run the demo/test HTTP server on ADDR:PORT until SIGINT/SIGTERM; returns an exit status (sysexits). */
int serve_main(const char *addrport);
#endif
