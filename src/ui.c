/*
 * The live view (--ui): GET / is one self-contained page (ui/page.html,
 * made a C string in ui-page.inc by the build) with the task list put in;
 * POST /run?mode=MODE[&time_scale=F] asks the daemon for a run. The page
 * draws the run from GET /events (events.c); /status and /metrics are the
 * status endpoint's.
 */
#include "autoconf.h"

#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config.h"
#include "number.h"
#include "report.h"
#include "status.h"
#include "ui.h"
#include "xmalloc.h"

/* Where the page takes the task list, as JSON. */
#define UI_MARK "@CONFIG@"
/* As --time-scale. */
#define UI_TIME_SCALE_MAX 1000

static const char ui_page[] =
#include "ui-page.inc"
    ;

struct ui {
	char *origin; /* http://HOST:PORT as served */
	char *origin_alt; /* http://localhost:PORT when HOST is 127.0.0.1 */
	const struct config *cf;
	ui_run_cb run;
	void *arg;
};

/* origin is the served URL, "http://HOST:PORT/". */
struct ui *
ui_new(const char *url, ui_run_cb run, void *arg)
{
	struct ui *ui;
	size_t n = strlen(url);

	ui = xcalloc(1, sizeof *ui);
	ui->origin = xstrndup(url, n > 0 && url[n - 1] == '/' ? n - 1 : n);
	if (strncmp(ui->origin, "http://127.0.0.1:", 17) == 0)
		ui->origin_alt =
		    xprintf("http://localhost:%s", ui->origin + 17);
	ui->run = run;
	ui->arg = arg;
	return ui;
}

void
ui_free(struct ui *ui)
{
	if (ui == NULL)
		return;
	free(ui->origin);
	free(ui->origin_alt);
	free(ui);
}

void
ui_set_config(struct ui *ui, const struct config *cf)
{
	if (ui != NULL)
		ui->cf = cf;
}

/* The page with the task list in; '<' escaped, it sits in a script. */
static void
ui_page_write(struct ui *ui, struct evbuffer *b)
{
	const char *mark = strstr(ui_page, UI_MARK), *p;
	char *json;

	evbuffer_add(b, ui_page, (size_t)(mark - ui_page));
	json = report_json_tasks(ui->cf);
	for (p = json; *p != '\0'; p++) {
		if (*p == '<')
			evbuffer_add(b, "\\u003c", 6);
		else
			evbuffer_add(b, p, 1);
	}
	free(json);
	mark += strlen(UI_MARK);
	evbuffer_add(b, mark, strlen(mark));
}

static void
ui_text(struct evhttp_request *req, int code, const char *reason,
    const char *allow, const char *msg)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	if (allow != NULL)
		evhttp_add_header(h, "Allow", allow);
	evhttp_add_header(h, "Content-Type", "text/plain");
	evbuffer_add_printf(b, "%s\n", msg);
	status_send(req, code, reason, b);
	evbuffer_free(b);
}

/* An Origin header, when there is one, must be the page's own. */
static int
ui_origin_ok(struct ui *ui, struct evhttp_request *req)
{
	const char *o =
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Origin");

	return o == NULL || strcmp(o, ui->origin) == 0 ||
	    (ui->origin_alt != NULL && strcmp(o, ui->origin_alt) == 0);
}

/* POST /run?mode=MODE[&time_scale=F] */
static void
ui_post_run(struct ui *ui, struct evhttp_request *req)
{
	struct evkeyvalq q;
	const char *query, *m, *s, *why;
	enum mode mode;
	double scale = 0;
	unsigned run;
	char msg[128];
	struct evbuffer *b;

	if (!ui_origin_ok(ui, req)) {
		ui_text(req, 403, "Forbidden", NULL,
		    "forbidden: runs start only from this page");
		return;
	}
	memset(&q, 0, sizeof q);
	TAILQ_INIT(&q);
	query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
		ui_text(req, 400, "Bad Request", NULL, "bad query");
		return;
	}
	m = evhttp_find_header(&q, "mode");
	s = evhttp_find_header(&q, "time_scale");
	if (m == NULL || config_mode_parse(m, &mode) != 0) {
		ui_text(req, 400, "Bad Request", NULL,
		    "mode: expected sync, cooperative, threads or async");
		goto out;
	}
	if (s != NULL &&
	    (number_real(s, &scale, &why) != 0 || scale <= 0 ||
	        scale > UI_TIME_SCALE_MAX)) {
		ui_text(req, 400, "Bad Request", NULL,
		    "time_scale: expected a factor greater than 0, at most "
		    "1000");
		goto out;
	}
	if ((run = ui->run(mode, scale, ui->arg)) == 0) {
		ui_text(req, 409, "Conflict", NULL,
		    "conflict: a run is going; wait for its run_done");
		goto out;
	}
	b = evbuffer_new();
	snprintf(msg, sizeof msg, "{\"run\":%u,\"mode\":\"%s\"}", run,
	    config_mode_name(mode));
	evbuffer_add_printf(b, "%s\n", msg);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, 202, "Accepted", b);
	evbuffer_free(b);
out:
	evhttp_clear_headers(&q);
}

/* GET / and POST /run: 1 when the path is the live view's. */
int
ui_request(struct ui *ui, struct evhttp_request *req, const char *path)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evbuffer *b;

	if (strcmp(path, "/") == 0) {
		if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
			ui_text(req, 405, "Method Not Allowed", "GET, HEAD",
			    "method not allowed: use GET or HEAD");
			return 1;
		}
		b = evbuffer_new();
		ui_page_write(ui, b);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "text/html; charset=utf-8");
		status_send(req, HTTP_OK, "OK", b);
		evbuffer_free(b);
		return 1;
	}
	if (strcmp(path, "/run") == 0) {
		if (cmd != EVHTTP_REQ_POST)
			ui_text(req, 405, "Method Not Allowed", "POST",
			    "method not allowed: use POST");
		else
			ui_post_run(ui, req);
		return 1;
	}
	return 0;
}
