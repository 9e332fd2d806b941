/* The live view (--ui): the page, and runs asked for from it. */
#ifndef UI_H
#define UI_H

#include "config.h"

struct config;
struct evhttp_request;
struct ui;

/* Start a run in the mode, time scale F (0: as loaded): its number, or 0
 * when one is going. */
typedef unsigned (*ui_run_cb)(enum mode, double, void *);

struct ui *ui_new(const char *, ui_run_cb, void *);
void ui_free(struct ui *);
void ui_set_config(struct ui *, const struct config *);
int ui_request(struct ui *, struct evhttp_request *, const char *);

#endif
