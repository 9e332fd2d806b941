/* JSON Lines events and text lines: the fields the contract promises. */
#include "autoconf.h"

#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "log.h"
#include "outfile.h"
#include "report.h"
#include "task.h"

static struct config *
load(const char *yaml)
{
	struct config *cf = NULL;
	char *cause = NULL;

	if (config_load_buffer("t.yaml", yaml, strlen(yaml), &cf, &cause) != 0)
		fail_msg("%s", cause);
	return cf;
}

static json_t *
parse(const struct report_event *ev)
{
	json_error_t err;
	json_t *o;
	char *s;

	s = report_json_line(ev);
	assert_null(strchr(s, '\n'));
	o = json_loads(s, 0, &err);
	if (o == NULL)
		fail_msg("not JSON: %s: %s", s, err.text);
	free(s);
	return o;
}

static void
event_init(
    struct report_event *ev, enum report_type type, const struct config *cf)
{
	memset(ev, 0, sizeof *ev);
	ev->type = type;
	ev->run = 3;
	ev->cf = cf;
	ev->mode = MODE_ASYNC;
	ev->nworkers = 2;
	ev->ntasks = cf->ntasks;
	ev->wall = 1764100000.25;
}

static void
test_stamp_format(void **state)
{
	char ts[CLOCK_STAMP_SIZE];
	regex_t re;

	clock_stamp(ts, sizeof ts);
	assert_int_equal(regcomp(&re,
	                     "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
	                     "[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$",
	                     REG_EXTENDED | REG_NOSUB),
	    0);
	assert_int_equal(regexec(&re, ts, 0, NULL, 0), 0);
	regfree(&re);
}

static void
test_run_events(void **state)
{
	struct config *cf = load("name: demo\ntasks:\n  - delay: 1\n");
	struct report_event ev;
	json_t *o;

	event_init(&ev, REPORT_RUN_START, cf);
	o = parse(&ev);
	assert_string_equal(
	    json_string_value(json_object_get(o, "event")), "run_start");
	assert_int_equal(json_integer_value(json_object_get(o, "run")), 3);
	assert_string_equal(
	    json_string_value(json_object_get(o, "name")), "demo");
	assert_string_equal(
	    json_string_value(json_object_get(o, "mode")), "async");
	assert_int_equal(json_integer_value(json_object_get(o, "workers")), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "tasks")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "ts")),
	    "2025-11-25T19:46:40.250000Z");
	json_decref(o);

	event_init(&ev, REPORT_RUN_DONE, cf);
	ev.elapsed = 5.0012344;
	ev.ok = 5;
	ev.failed = 1;
	o = parse(&ev);
	assert_string_equal(
	    json_string_value(json_object_get(o, "event")), "run_done");
	assert_true(json_real_value(json_object_get(o, "elapsed")) == 5.001234);
	assert_int_equal(json_integer_value(json_object_get(o, "ok")), 5);
	assert_int_equal(json_integer_value(json_object_get(o, "failed")), 1);
	json_decref(o);

	event_init(&ev, REPORT_WORKER_DONE, cf);
	ev.worker = "One";
	ev.worker_tasks = 3;
	o = parse(&ev);
	assert_string_equal(
	    json_string_value(json_object_get(o, "worker")), "One");
	assert_int_equal(json_integer_value(json_object_get(o, "tasks")), 3);
	json_decref(o);
	config_free(cf);
}

/* loop_blocked: the worker, the task's number and the seconds held. */
static void
test_loop_blocked(void **state)
{
	struct config *cf = load("tasks:\n  - delay: 1\n  - delay: 1\n"
	                         "    blocking: true\n");
	struct report_event ev;
	char *line;

	event_init(&ev, REPORT_LOOP_BLOCKED, cf);
	ev.worker = "One";
	ev.task = &cf->tasks[1];
	ev.held = 1.0000004;
	line = report_json_line(&ev);
	assert_non_null(strstr(line,
	    "\"event\":\"loop_blocked\",\"run\":3,\"worker\":\"One\","
	    "\"task\":2,\"held\":1.0}"));
	free(line);
	assert_int_equal(cf->tasks[1].flags & TASK_BLOCKING, TASK_BLOCKING);
	assert_int_equal(cf->tasks[0].flags & TASK_BLOCKING, 0);
	config_free(cf);
}

static void
test_task_done_fields(void **state)
{
	struct config *cf = load("tasks:\n  - delay: 250ms\n  - factorial: 5\n"
	                         "  - url: http://127.0.0.1/\n    name: home\n"
	                         "  - file: a.txt\n");
	struct result r;
	struct report_event ev;
	json_t *o;

	memset(&r, 0, sizeof r);
	r.ok = 1;
	r.elapsed = 0.25;
	event_init(&ev, REPORT_TASK_DONE, cf);
	ev.worker = "One";
	ev.task = &cf->tasks[0];
	ev.result = &r;
	o = parse(&ev);
	assert_string_equal(
	    json_string_value(json_object_get(o, "kind")), "delay");
	assert_true(json_is_real(json_object_get(o, "arg")));
	assert_true(json_real_value(json_object_get(o, "arg")) == 0.25);
	assert_true(json_real_value(json_object_get(o, "result")) == 0.25);
	assert_true(json_is_true(json_object_get(o, "ok")));
	assert_int_equal(json_integer_value(json_object_get(o, "task")), 1);
	assert_null(json_object_get(o, "error"));
	json_decref(o);

	r.value = (char *)"120";
	r.digits = 3;
	ev.task = &cf->tasks[1];
	o = parse(&ev);
	assert_int_equal(json_integer_value(json_object_get(o, "arg")), 5);
	assert_string_equal(
	    json_string_value(json_object_get(o, "result")), "120");
	assert_int_equal(json_integer_value(json_object_get(o, "digits")), 3);
	json_decref(o);

	r.value = NULL;
	r.ok = 0;
	r.status = 404;
	r.bytes = 12;
	r.preview = (char *)"not found";
	r.attempt = 2;
	r.error = (char *)"HTTP 404";
	ev.task = &cf->tasks[2];
	o = parse(&ev);
	assert_string_equal(
	    json_string_value(json_object_get(o, "arg")), "http://127.0.0.1/");
	assert_string_equal(
	    json_string_value(json_object_get(o, "name")), "home");
	assert_true(json_is_false(json_object_get(o, "ok")));
	assert_int_equal(json_integer_value(json_object_get(o, "result")), 404);
	assert_int_equal(json_integer_value(json_object_get(o, "status")), 404);
	assert_int_equal(json_integer_value(json_object_get(o, "bytes")), 12);
	assert_int_equal(json_integer_value(json_object_get(o, "attempt")), 2);
	assert_string_equal(
	    json_string_value(json_object_get(o, "preview")), "not found");
	assert_string_equal(
	    json_string_value(json_object_get(o, "error")), "HTTP 404");
	json_decref(o);

	memset(&r, 0, sizeof r);
	r.ok = 1;
	r.lines = 7;
	r.bytes = 70;
	ev.task = &cf->tasks[3];
	o = parse(&ev);
	assert_int_equal(json_integer_value(json_object_get(o, "result")), 7);
	assert_int_equal(json_integer_value(json_object_get(o, "lines")), 7);
	assert_int_equal(json_integer_value(json_object_get(o, "bytes")), 70);
	json_decref(o);

	r.ok = 0;
	r.cancelled = 1;
	r.error = (char *)"stopped before it finished";
	o = parse(&ev);
	assert_true(json_is_true(json_object_get(o, "cancelled")));
	assert_true(json_is_null(json_object_get(o, "result")));
	json_decref(o);
	config_free(cf);
}

/* The line as written, for checks of its exact text. */
static char *
line(const struct report_event *ev)
{
	return report_json_line(ev);
}

/* Strings: escapes where JSON needs them, U+FFFD for bytes not UTF-8. */
/*
 * Every kind describes itself through its ops, so that no report switches
 * on the kind; a url reads in its masked form wherever it is shown.
 */
static void
test_every_kind_describes_itself(void **state)
{
	struct config *cf = load("tasks:\n  - delay: 4\n  - factorial: 40\n"
	                         "  - url: http://me:sekrit@example.com:8/x\n"
	                         "  - file: /srv/a.txt\n");
	static const char *const args[] = {
	    "4", "40", "http://me:***@example.com:8/x", "/srv/a.txt"};
	static const char *const labels[] = {
	    "delay 4", "factorial 40", "example.com", "a.txt"};
	struct task_json j[TASK_JSON_FIELDS];
	const struct task_ops *ops;
	struct result r;
	char buf[96];
	size_t i;

	memset(&r, 0, sizeof r);
	r.ok = 1;
	r.value = (char *)"815915283247897734345611269596115894272000000000";
	r.digits = strlen(r.value);
	for (i = 0; i < TASK_NKINDS; i++) {
		ops = task_ops((enum task_kind)i);
		assert_non_null(ops->arg);
		assert_non_null(ops->outcome);
		assert_non_null(ops->json_arg);
		assert_non_null(ops->json_result);
		assert_non_null(ops->json_fields);
		assert_non_null(ops->label);
		assert_non_null(ops->tally);
		assert_non_null(ops->brief);
		assert_non_null(ops->fill);
		assert_non_null(ops->stroke);
		assert_non_null(ops->sgr);
	}
	for (i = 0; i < cf->ntasks; i++) {
		ops = task_ops(cf->tasks[i].kind);
		assert_string_equal(
		    ops->arg(&cf->tasks[i], buf, sizeof buf), args[i]);
		ops->label(&cf->tasks[i], 0, buf, sizeof buf);
		assert_string_equal(buf, labels[i]);
		assert_true(
		    ops->json_fields(&cf->tasks[i], &r, j) <= TASK_JSON_FIELDS);
	}
	config_free(cf);
}

static void
test_json_strings_and_numbers(void **state)
{
	struct config *cf =
	    load("tasks:\n  - delay: 4\n  - delay: 0.0000001\n");
	struct result r;
	struct report_event ev;
	json_t *o;
	char *s;

	memset(&r, 0, sizeof r);
	r.error = (char *)"q\" b\\ nl\n tab\t ctl\x01\x1f del\x7f csi\xc2\x9b "
	                  "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
	                  "bad\xff \xc3( \xed\xa0\x80 \xc0\xaf end";
	r.elapsed = 4.0004321;
	event_init(&ev, REPORT_TASK_DONE, cf);
	ev.worker = "W\"1";
	ev.task = &cf->tasks[0];
	ev.result = &r;
	o = parse(&ev);
	assert_string_equal(json_string_value(json_object_get(o, "error")),
	    "q\" b\\ nl\n tab\t ctl\x01\x1f del\x7f csi\xc2\x9b \xc3\xa9 "
	    "\xe2\x82\xac "
	    "\xf0\x9f\x98\x80 bad\xef\xbf\xbd \xef\xbf\xbd( "
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
	    "\xef\xbf\xbd\xef\xbf\xbd end");
	assert_string_equal(
	    json_string_value(json_object_get(o, "worker")), "W\"1");
	json_decref(o);

	s = line(&ev);
	assert_non_null(strstr(s, "\"elapsed\":4.000432,"));
	assert_non_null(strstr(s, "\"arg\":4.0,"));
	/* DEL and C1 (CSI here) escaped as C0 is: no terminal acts on them. */
	assert_non_null(strstr(s, "ctl\\u0001\\u001f del\\u007f csi\\u009b "));
	free(s);

	r.elapsed = 0;
	ev.task = &cf->tasks[1];
	s = line(&ev);
	assert_non_null(strstr(s, "\"elapsed\":0.0,"));
	assert_non_null(strstr(s, "\"arg\":1e-07,"));
	free(s);
	config_free(cf);
}

/* Text: the talk's lines, and the total. */
static void
test_text_lines(void **state)
{
	struct config *cf = load("name: ex\nworkers: [One, Two]\ntasks:\n"
	                         "  - delay: 4.0\n  - factorial: 40\n");
	struct report *rep;
	struct report_event ev;
	struct result r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	rep = report_new();
	report_text_add(rep, f, 0, 0);
	event_init(&ev, REPORT_RUN_START, cf);
	report_emit(rep, &ev);
	event_init(&ev, REPORT_WORKER_START, cf);
	ev.worker = "One";
	report_emit(rep, &ev);
	memset(&r, 0, sizeof r);
	r.ok = 1;
	r.elapsed = 4.0012;
	event_init(&ev, REPORT_TASK_DONE, cf);
	ev.worker = "One";
	ev.task = &cf->tasks[0];
	ev.result = &r;
	ev.at = 4.0012;
	report_emit(rep, &ev);
	event_init(&ev, REPORT_WORKER_DONE, cf);
	ev.worker = "One";
	ev.worker_tasks = 1;
	report_emit(rep, &ev);
	event_init(&ev, REPORT_RUN_DONE, cf);
	ev.elapsed = 5.004;
	ev.ok = 1;
	report_emit(rep, &ev);
	report_free(rep);
	fclose(f);
	assert_non_null(strstr(buf,
	    "Running ex: 2 tasks, async mode, 2 workers "
	    "(One, Two), run 3\n"));
	assert_non_null(strstr(buf, "Worker One starting to run tasks\n"));
	assert_non_null(strstr(buf, "   4.001  One  task 1  delay 4"));
	assert_non_null(strstr(buf, "ok       4.001 s  slept 4 s\n"));
	assert_non_null(strstr(buf,
	    "Worker One finished as there are no more "
	    "tasks (1 done)\n"));
	assert_non_null(strstr(buf,
	    "Total elapsed time: 5.00 seconds (1 ok, "
	    "0 failed)\n"));
	assert_null(strchr(buf, '\033'));
	free(buf);
	config_free(cf);
}

/* The results file holds task_done lines only, each whole. */
static void
test_results_file(void **state)
{
	struct config *cf = load("tasks:\n  - delay: 1\n");
	char path[] = "/tmp/asyncdemo-results-XXXXXX", line[512];
	struct report_event ev;
	struct report *rep;
	struct outfile *out;
	struct result r;
	char *cause = NULL;
	int fd, i, n = 0;
	FILE *f;

	fd = mkstemp(path);
	close(fd);
	rep = report_new();
	assert_non_null(out = outfile_open(NULL, path, &cause));
	report_results_add(rep, out);
	memset(&r, 0, sizeof r);
	r.ok = 1;
	for (i = 0; i < 3; i++) {
		event_init(&ev, REPORT_WORKER_START, cf);
		ev.worker = "1";
		report_emit(rep, &ev);
		event_init(&ev, REPORT_TASK_DONE, cf);
		ev.worker = "1";
		ev.task = &cf->tasks[0];
		ev.result = &r;
		report_emit(rep, &ev);
	}
	report_free(rep);
	outfile_close(out, 1);
	f = fopen(path, "r");
	while (fgets(line, sizeof line, f) != NULL) {
		json_t *o = json_loads(line, 0, NULL);

		assert_non_null(o);
		assert_string_equal(
		    json_string_value(json_object_get(o, "event")),
		    "task_done");
		json_decref(o);
		n++;
	}
	fclose(f);
	assert_int_equal(n, 3);
	unlink(path);
	assert_null(outfile_open(NULL, "/nonexistent/dir/r.jsonl", &cause));
	assert_string_equal(
	    cause, "/nonexistent/dir/r.jsonl: No such file or directory");
	free(cause);
	config_free(cf);
}

/*
 * A results file that cannot be written (/dev/full): the error names the
 * file and errno, once, and the lines lost are counted at the end; the log
 * file that cannot be written either says so once on stderr.
 */
static void
test_results_file_full(void **state)
{
	struct config *cf = load("tasks:\n  - delay: 1\n");
	char path[] = "/tmp/asyncdemo-log-XXXXXX", buf[4096];
	struct report_event ev;
	struct report *rep;
	struct outfile *out;
	struct result r;
	char *cause = NULL;
	size_t n;
	int fd, i;
	FILE *f;

	fd = mkstemp(path);
	close(fd);
	assert_int_equal(log_open_file(path, &cause), 0);
	log_stderr(0);
	rep = report_new();
	assert_non_null(out = outfile_open(NULL, "/dev/full", &cause));
	report_results_add(rep, out);
	memset(&r, 0, sizeof r);
	r.ok = 1;
	for (i = 0; i < 3; i++) {
		event_init(&ev, REPORT_TASK_DONE, cf);
		ev.worker = "1";
		ev.task = &cf->tasks[0];
		ev.result = &r;
		report_emit(rep, &ev);
		report_flush(rep);
	}
	report_free(rep);
	assert_int_equal(outfile_lost(out), 3);
	outfile_close(out, 1);
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf,
	    "]: /dev/full: cannot write: No space left on device: lines are "
	    "lost until it can be written again\n"));
	assert_null(
	    strstr(strstr(buf, "cannot write") + 1, "cannot write: No space"));
	assert_non_null(
	    strstr(buf, "]: /dev/full: 3 lines were not written\n"));

	/* The log file itself on a full disk: one error on stderr. */
	assert_int_equal(log_open_file("/dev/full", &cause), 0);
	fflush(stderr);
	fd = dup(STDERR_FILENO);
	assert_non_null(freopen(path, "w", stderr));
	log_stderr(1);
	log_warnx("first");
	log_warnx("second");
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_close();
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf,
	    "asyncdemo: first\n"
	    "asyncdemo: cannot write log file /dev/full: No space left on "
	    "device\n"
	    "asyncdemo: second\n");
	unlink(path);
	config_free(cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stamp_format),
	    cmocka_unit_test(test_run_events),
	    cmocka_unit_test(test_loop_blocked),
	    cmocka_unit_test(test_task_done_fields),
	    cmocka_unit_test(test_every_kind_describes_itself),
	    cmocka_unit_test(test_json_strings_and_numbers),
	    cmocka_unit_test(test_text_lines),
	    cmocka_unit_test(test_results_file),
	    cmocka_unit_test(test_results_file_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
