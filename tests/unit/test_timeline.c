/* Timelines: recording from events, the chart, the SVG, the trace. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "clock.h"
#include "config.h"
#include "report.h"
#include "run.h"
#include "summary.h"
#include "task.h"
#include "timeline.h"

/* Example 4's queue: what the talk's timelines show. */
#define TALK                                                                   \
	"workers: [One, Two]\nmode: async\ntasks:\n  - delay: 4.0\n"           \
	"  - factorial: 40\n  - delay: 3.0\n  - delay: 2.0\n"                  \
	"  - factorial: 50\n  - url: http://127.0.0.1:9/x\n"

static struct config *
load(const char *yaml)
{
	struct config *cf = NULL;
	char *cause = NULL;

	if (config_load_buffer("t.yaml", yaml, strlen(yaml), &cf, &cause) != 0)
		fail_msg("%s", cause);
	return cf;
}

static void
emit(struct timeline *tl, const struct config *cf, enum report_type type,
    double at, int worker, size_t task, const struct result *r)
{
	struct report_event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = type;
	ev.run = 1;
	ev.at = at;
	ev.cf = cf;
	ev.mode = cf->mode;
	ev.nworkers = cf->nworkers;
	ev.ntasks = cf->ntasks;
	if (worker >= 0) {
		ev.worker = cf->workers[worker];
		ev.worker_index = (unsigned)worker;
	}
	if (task > 0)
		ev.task = &cf->tasks[task - 1];
	ev.result = r;
	if (type == REPORT_RUN_DONE) {
		ev.elapsed = at;
		ev.ok = 5;
		ev.failed = 1;
	}
	timeline_emit(&ev, tl);
}

/* One task from start to end; task 6 (the url) fails. */
static void
emit_task(struct timeline *tl, const struct config *cf, int worker, size_t task,
    double start, double end)
{
	struct result r;

	memset(&r, 0, sizeof r);
	r.ok = task != 6;
	r.elapsed = end - start;
	r.digits = 48;
	r.error = task == 6 ? strdup("Couldn't connect to server") : NULL;
	emit(tl, cf, REPORT_TASK_START, start, worker, task, NULL);
	emit(tl, cf, REPORT_TASK_DONE, end, worker, task, &r);
	free(r.error);
}

/* Example 4 as async runs it: One takes 1, 5, 6; Two takes 2, 3, 4. */
static const struct timeline_run *
record_talk(struct timeline *tl, const struct config *cf)
{
	emit(tl, cf, REPORT_RUN_START, 0, -1, 0, NULL);
	emit(tl, cf, REPORT_WORKER_START, 0, 0, 0, NULL);
	emit(tl, cf, REPORT_WORKER_START, 0, 1, 0, NULL);
	emit(tl, cf, REPORT_TASK_START, 0, 0, 1, NULL);
	emit_task(tl, cf, 1, 2, 0, 0.5);
	emit_task(tl, cf, 1, 3, 0.5, 3.5);
	emit_task(tl, cf, 1, 4, 3.5, 5.5);
	{
		struct result r = {.ok = 1, .elapsed = 4};

		emit(tl, cf, REPORT_TASK_DONE, 4, 0, 1, &r);
	}
	emit_task(tl, cf, 0, 5, 4, 4.5);
	emit_task(tl, cf, 0, 6, 4.5, 5);
	emit(tl, cf, REPORT_RUN_DONE, 5.5, -1, 0, NULL);
	return timeline_last(tl);
}

static void
test_records_tasks(void **state)
{
	struct config *cf = load(TALK);
	struct timeline *tl = timeline_new(0);
	const struct timeline_run *tr = record_talk(tl, cf);
	const struct timeline_task *t;
	char buf[TIMELINE_TEXT];

	assert_non_null(tr);
	assert_string_equal(tr->name, "t");
	assert_int_equal(tr->mode, MODE_ASYNC);
	assert_int_equal(tr->nworkers, 2);
	assert_string_equal(tr->workers[1], "Two");
	assert_int_equal(tr->ntask, 6);
	t = &tr->tasks[0];
	assert_int_equal(t->worker, 0);
	assert_int_equal(t->index, 1);
	assert_int_equal(t->kind, TASK_DELAY);
	assert_string_equal(timeline_arg(t, buf, sizeof buf), "4");
	assert_true(t->start == 0 && t->end == 4 && t->done && t->ok);
	t = &tr->tasks[2];
	assert_int_equal(t->worker, 1);
	assert_int_equal(t->index, 3);
	assert_true(t->start == 0.5 && t->end == 3.5);
	t = &tr->tasks[5];
	assert_int_equal(t->index, 6);
	assert_int_equal(t->kind, TASK_URL);
	assert_string_equal(
	    timeline_arg(t, buf, sizeof buf), "http://127.0.0.1:9/x");
	assert_false(t->ok);
	assert_string_equal(
	    timeline_outcome(t, buf, sizeof buf), "Couldn't connect to server");
	assert_true(tr->elapsed == 5.5);
	assert_int_equal(tr->ntracks, 0);
	timeline_free(tl);
	config_free(cf);
}

/* A new run replaces the last, unless runs are kept for --compare. */
static void
test_keeps_runs(void **state)
{
	struct config *cf = load(TALK);
	struct timeline *tl = timeline_new(0);

	record_talk(tl, cf);
	record_talk(tl, cf);
	assert_int_equal(timeline_count(tl), 1);
	timeline_keep(tl, 1);
	record_talk(tl, cf);
	assert_int_equal(timeline_count(tl), 2);
	timeline_free(tl);
	config_free(cf);
}

/* The chart's lines that start with label, and '[' or '|' bars in them. */
static int
chart_row(const char *chart, const char *label, int *bars)
{
	const char *p = chart, *end, *cells;
	size_t n = strlen(label);
	int rows = 0;

	*bars = 0;
	for (; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		if (strncmp(p, label, n) != 0 || p[n] != ' ')
			continue;
		rows++;
		cells = strchr(p, '|') + 1;
		for (; cells < end - 1; cells++)
			*bars += *cells == '[' || *cells == '|';
	}
	return rows;
}

static void
test_chart_rows_and_bars(void **state)
{
	struct config *cf = load(TALK);
	struct timeline *tl = timeline_new(0);
	const struct timeline_run *tr = record_talk(tl, cf);
	size_t len;
	FILE *f;
	char *out = NULL, *line;
	int bars;

	f = open_memstream(&out, &len);
	timeline_text_print(f, tr, 0, 100, 0);
	fclose(f);
	assert_non_null(strstr(out, "Timeline of t: async mode, 2 workers"));
	assert_int_equal(chart_row(out, "One", &bars), 1);
	assert_int_equal(bars, 3);
	assert_int_equal(chart_row(out, "Two", &bars), 1);
	assert_int_equal(bars, 3);
	assert_non_null(strstr(out, "[1 delay---"));
	assert_non_null(strstr(out, "[3 delay---"));
	assert_non_null(strstr(out, "[6 url"));
	/* No colour unless asked; the axis from 0 s to the end. */
	assert_null(strchr(out, '\033'));
	assert_non_null(strstr(out, " 0s "));
	assert_non_null(strstr(out, "5s"));
	/* Every line fits the width. */
	for (line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n"))
		assert_true(strlen(line) <= 100);
	free(out);
	timeline_free(tl);
	config_free(cf);
}

/* More than 40 workers: 40 rows and a line for the rest. */
static void
test_chart_many_workers(void **state)
{
	struct config *cf = load("workers: 50\ntasks:\n  - delay: 1\n");
	struct timeline *tl = timeline_new(0);
	struct report_event ev;
	size_t len;
	FILE *f;
	char *out = NULL;
	int bars, rows = 0;
	char name[8];
	unsigned i;

	memset(&ev, 0, sizeof ev);
	ev.type = REPORT_RUN_START;
	ev.cf = cf;
	ev.nworkers = 50;
	timeline_emit(&ev, tl);
	ev.type = REPORT_RUN_DONE;
	ev.elapsed = 1;
	timeline_emit(&ev, tl);
	f = open_memstream(&out, &len);
	timeline_text_print(f, timeline_last(tl), 0, 80, 0);
	fclose(f);
	for (i = 1; i <= 50; i++) {
		snprintf(name, sizeof name, "%u", i);
		rows += chart_row(out, name, &bars);
	}
	assert_int_equal(rows, 40);
	assert_non_null(strstr(out, "... and 10 more workers"));
	free(out);
	timeline_free(tl);
	config_free(cf);
}

static void
test_summary(void **state)
{
	struct config *cf = load(TALK);
	struct timeline *tl = timeline_new(0);
	const struct timeline_run *tr = record_talk(tl, cf);
	size_t len;
	FILE *f;
	char *out = NULL, *failed, *kind;

	f = open_memstream(&out, &len);
	summary_print(f, tr, 0);
	fclose(f);
	/* 4 + 0.5 + 3 + 2 + 0.5 + 0.5 s of tasks in 5.5 s. */
	assert_non_null(strstr(out,
	    "Summary: 6 tasks, 5 ok, 1 failed; "
	    "overlap 1.91x (10.50 s of tasks in "
	    "5.50 s)\n"));
	failed = strstr(out,
	    "  FAILED task 6 url http://127.0.0.1:9/x "
	    "(500 ms): Couldn't connect to server\n");
	kind = strstr(out,
	    "  delay          3  p50 3.00 s    p95 4.00 s    "
	    "max 4.00 s\n");
	assert_non_null(failed);
	assert_non_null(kind);
	assert_true(failed < kind);
	assert_non_null(strstr(out, "  url            1  "));
	assert_non_null(strstr(out, "(1 failed)"));
	assert_non_null(strstr(out,
	    "  slowest: 1 delay 4 (4.00 s), 3 delay 3 "
	    "(3.00 s), 4 delay 2 (2.00 s)\n"));
	free(out);
	timeline_free(tl);
	config_free(cf);
}

/* A minimal XML check: tags balance, attributes are quoted. */
static void
assert_xml(const char *s)
{
	char stack[32][32];
	int depth = 0;
	size_t n;
	const char *p, *end;

	for (p = strchr(s, '<'); p != NULL; p = strchr(end, '<')) {
		end = strchr(p, '>');
		assert_non_null(end);
		if (p[1] == '?' || end[-1] == '/')
			continue;
		if (p[1] == '/') {
			assert_true(depth > 0);
			n = strlen(stack[depth - 1]);
			assert_memory_equal(p + 2, stack[--depth], n);
			continue;
		}
		n = strcspn(p + 1, " >");
		assert_true(n < 32 && depth < 32);
		memcpy(stack[depth], p + 1, n);
		stack[depth++][n] = '\0';
	}
	assert_int_equal(depth, 0);
}

static int
count(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return n;
}

static char *
slurp(const char *path)
{
	char *buf;
	FILE *f;
	long n;

	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void
test_svg(void **state)
{
	struct config *cf = load(TALK);
	struct timeline *tl = timeline_new(0);
	const struct timeline_run *tr = record_talk(tl, cf);
	char path[] = "/tmp/test_timeline.XXXXXX", *svg, *cause;
	int fd = mkstemp(path);

	assert_true(fd != -1);
	close(fd);
	assert_int_equal(timeline_svg_write(path, &tr, 1, 0, &cause), 0);
	svg = slurp(path);
	unlink(path);
	assert_xml(svg);
	assert_non_null(
	    strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_null(strstr(svg, "<script"));
	assert_non_null(
	    strstr(svg, ">t: async mode, 2 workers, 5.50 s</text>"));
	assert_int_equal(count(svg, "<g class=\"task\">"), 6);
	assert_non_null(strstr(svg, ">1 \xc2\xb7 delay 4</text>"));
	assert_non_null(strstr(svg, ">3 \xc2\xb7 delay 3</text>"));
	assert_non_null(strstr(svg, ">One</text>"));
	assert_non_null(strstr(svg, ">Two</text>"));
	assert_non_null(strstr(svg, "<g class=\"axis\""));
	assert_non_null(strstr(svg, ">5 s</text>"));
	assert_non_null(strstr(svg, "<g class=\"legend\""));
	free(svg);
	assert_int_equal(
	    timeline_svg_write("/nonexistent/x.svg", &tr, 1, 0, &cause), -1);
	assert_string_equal(
	    cause, "/nonexistent/x.svg: No such file or directory");
	free(cause);
	timeline_free(tl);
	config_free(cf);
}

/* Bar labels: a url's host only, a demo page's site, a file's name. */
static void
test_labels(void **state)
{
	static const struct {
		const char *url;
		const char *label;
	} urls[] = {
	    {"https://weather.com/", "weather.com"},
	    {"https://user:***@www.yahoo.com:8443/a/b?token=x#f",
	        "www.yahoo.com"},
	    {"http://[2001:db8::1]:80/x", "[2001:db8::1]"},
	    {"http://127.0.0.1:8000/page/weather", "weather"},
	    {"http://[::1]:8000/page/target?x=1", "target"},
	    {"http://127.0.0.1:8000/delay/1", "127.0.0.1"},
	    {"http://example.com/page/weather", "example.com"},
	    {"http://a@b@host.example", "host.example"},
	};
	struct timeline_task t;
	char buf[TIMELINE_TEXT];
	size_t i;

	memset(&t, 0, sizeof t);
	t.kind = TASK_URL;
	for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		t.str = (char *)urls[i].url;
		assert_string_equal(
		    timeline_label(&t, 0, buf, sizeof buf), urls[i].label);
	}
	t.kind = TASK_FILE;
	t.str = (char *)"/srv/data/textfile1.txt";
	assert_string_equal(
	    timeline_label(&t, 0, buf, sizeof buf), "textfile1.txt");
	t.str = NULL;
	t.kind = TASK_DELAY;
	t.num.seconds = 0.4;
	assert_string_equal(
	    timeline_label(&t, 0, buf, sizeof buf), "delay 0.4");
	assert_string_equal(timeline_label(&t, 1, buf, sizeof buf), "0.4 s");
	t.kind = TASK_FACTORIAL;
	t.num.n = 40;
	assert_string_equal(
	    timeline_label(&t, 0, buf, sizeof buf), "factorial 40");
	assert_string_equal(timeline_label(&t, 1, buf, sizeof buf), "40!");
}

/* --time-axis: a run longer than the axis is clipped and says so. */
static void
test_fixed_axis(void **state)
{
	struct config *cf = load(TALK);
	struct timeline *tl = timeline_new(0);
	const struct timeline_run *tr = record_talk(tl, cf);
	char path[] = "/tmp/test_timeline.XXXXXX", *svg, *cause, *out = NULL;
	int fd = mkstemp(path);
	size_t len;
	FILE *f;

	assert_true(fd != -1);
	close(fd);
	assert_int_equal(timeline_svg_write(path, &tr, 1, 11, &cause), 0);
	svg = slurp(path);
	assert_non_null(strstr(svg, "data-time-axis=\"11\""));
	assert_non_null(strstr(svg, ">10 s</text>"));
	assert_null(strstr(svg, "clipped"));
	free(svg);
	assert_int_equal(timeline_svg_write(path, &tr, 1, 4, &cause), 0);
	svg = slurp(path);
	unlink(path);
	assert_non_null(
	    strstr(svg, "clipped at the 4 s time axis: the run took 5.50 s"));
	/* Tasks 5 and 6 start at 4 s or later: not drawn. */
	assert_int_equal(count(svg, "<rect class=\"bar\""), 4);
	assert_null(strstr(svg, "data-task=\"5\""));
	free(svg);
	f = open_memstream(&out, &len);
	timeline_text_print(f, tr, 4, 80, 0);
	fclose(f);
	assert_non_null(
	    strstr(out, "(clipped at the 4 s time axis: the run took 5.50 s)"));
	assert_non_null(strstr(out, ">|\n"));
	assert_null(strstr(out, "[5 "));
	assert_non_null(strstr(out, "Legend: [3 delay--] task 3"));
	free(out);
	timeline_free(tl);
	config_free(cf);
}

static void
test_trace(void **state)
{
	struct config *cf = load(TALK);
	struct timeline *tl = timeline_new(0);
	const struct timeline_run *tr = record_talk(tl, cf);
	char path[] = "/tmp/test_timeline.XXXXXX", *cause;
	json_t *doc, *ev, *third = NULL;
	json_error_t err;
	int fd = mkstemp(path), tasks = 0, names = 0;
	size_t i;

	assert_true(fd != -1);
	close(fd);
	assert_int_equal(timeline_trace_write(path, &tr, 1, &cause), 0);
	doc = json_load_file(path, 0, &err);
	unlink(path);
	if (doc == NULL)
		fail_msg("not JSON: %s", err.text);
	json_array_foreach(json_object_get(doc, "traceEvents"), i, ev)
	{
		const char *ph = json_string_value(json_object_get(ev, "ph"));

		if (strcmp(ph, "X") == 0)
			tasks++;
		if (strcmp(ph, "M") == 0)
			names++;
		if (json_integer_value(json_object_get(
		        json_object_get(ev, "args"), "task")) == 3)
			third = ev;
	}
	/* A process, the loop and two workers; one X event per task. */
	assert_int_equal(names, 4);
	assert_int_equal(tasks, 6);
	assert_non_null(third);
	assert_int_equal(
	    json_integer_value(json_object_get(third, "ts")), 500000);
	assert_int_equal(
	    json_integer_value(json_object_get(third, "dur")), 3000000);
	assert_int_equal(json_integer_value(json_object_get(third, "tid")), 2);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(third, "args"), "kind")),
	    "delay");
	json_decref(doc);
	timeline_free(tl);
	config_free(cf);
}

/* A blocked loop is recorded, and drawn on its own row. */
static void
test_blocked(void **state)
{
	struct config *cf = load(TALK);
	struct timeline *tl = timeline_new(0);
	struct run_block b = {1.0, 1.5, 0, &cf->tasks[4], 5, 2};
	const struct timeline_run *tr;
	size_t len;
	FILE *f;
	char *out = NULL;
	int bars;

	emit(tl, cf, REPORT_RUN_START, 0, -1, 0, NULL);
	timeline_blocked(&b, tl);
	emit(tl, cf, REPORT_RUN_DONE, 5, -1, 0, NULL);
	tr = timeline_last(tl);
	assert_int_equal(tr->nblocks, 1);
	assert_int_equal(tr->blocks[0].index, 5);
	assert_string_equal(tr->blocks[0].arg, "50");
	assert_true(tr->blocks[0].end == 2.5);
	f = open_memstream(&out, &len);
	timeline_text_print(f, tr, 0, 80, 0);
	fclose(f);
	assert_int_equal(chart_row(out, "blocked", &bars), 1);
	assert_non_null(strstr(out, "!!!!"));
	free(out);
	timeline_free(tl);
	config_free(cf);
}

/* CPU seconds this thread has used. */
static double
thread_cpu(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), 0);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The sampler sees this thread busy, then idle. Other work shares the
 * cores (make -j, a loaded machine): the thread spins until it has had
 * 0.1 s of CPU, however long that takes, and the sampler's figures are
 * compared with what the thread measured of itself, not with a full core.
 */
static void
test_sampler_busy_then_idle(void **state)
{
	struct config *cf = load(TALK);
	struct timeline *tl = timeline_new(1);
	const struct timeline_run *tr;
	volatile double x = 0;
	double start = clock_now(), cpu0 = thread_cpu(), spun, used, cpu;
	double busy, idle;

	emit(tl, cf, REPORT_RUN_START, 0, -1, 0, NULL);
	while ((clock_now() - start < 0.2 || thread_cpu() - cpu0 < 0.1) &&
	    clock_now() - start < 30)
		x += 1;
	assert_true(x > 0);
	spun = clock_now() - start;
	used = thread_cpu() - cpu0;
	assert_true(used >= 0.1);
	clock_sleep(0.2);
	emit(tl, cf, REPORT_RUN_DONE, clock_now() - start, -1, 0, NULL);
	tr = timeline_last(tl);
	assert_int_equal(tr->ntracks, 1);
	assert_true(tr->tracks[0].nslices > 0);
	busy = timeline_busy(&tr->tracks[0], 0.02, spun - 0.02);
	idle = timeline_busy(&tr->tracks[0], spun + 0.02, spun + 0.18);
	cpu = timeline_cpu(tr);
	print_message("spun %.2f s for %.2f s of CPU: busy %.2f, idle %.2f, "
	              "CPU %.2f s\n",
	    spun, used, busy, idle, cpu);
	/* At least half the share of a core the thread had while spinning. */
	assert_true(busy > 0.5 * used / spun);
	assert_true(idle < busy / 2);
	/* The CPU it used, give or take what the sampler's slices miss. */
	assert_true(cpu > 0.5 * used && cpu < used + 0.1);
	timeline_free(tl);
	config_free(cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_records_tasks),
	    cmocka_unit_test(test_keeps_runs),
	    cmocka_unit_test(test_chart_rows_and_bars),
	    cmocka_unit_test(test_chart_many_workers),
	    cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_svg),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_fixed_axis),
	    cmocka_unit_test(test_trace),
	    cmocka_unit_test(test_blocked),
	    cmocka_unit_test(test_sampler_busy_then_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
