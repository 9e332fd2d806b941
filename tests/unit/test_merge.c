/* --merge's pieces: missing tasks as ranges, lines read as records. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "merge.h"

static void
test_merge_ranges(void **state)
{
	static const unsigned some[] = {1, 2, 3, 5, 6, 6, 11, 16};
	static const unsigned all[] = {1, 2, 2, 3};
	unsigned many[60];
	size_t missing, i;
	char *s;

	s = merge_ranges(some, 8, 16, &missing);
	assert_string_equal(s, "4, 7-10, 12-15");
	assert_int_equal(missing, 9);
	free(s);
	/* The file's count beyond the highest seen; none seen at all. */
	s = merge_ranges(some, 8, 18, &missing);
	assert_string_equal(s, "4, 7-10, 12-15, 17-18");
	free(s);
	s = merge_ranges(NULL, 0, 3, &missing);
	assert_string_equal(s, "1-3");
	free(s);
	/* A task beyond the last counts for nothing here. */
	s = merge_ranges(some, 8, 4, &missing);
	assert_string_equal(s, "4");
	free(s);
	assert_null(merge_ranges(all, 4, 3, &missing));
	assert_int_equal(missing, 0);
	assert_null(merge_ranges(NULL, 0, 0, &missing));
	/* Twenty ranges at most are listed; all are counted. */
	for (i = 0; i < 60; i++)
		many[i] = 2 * (unsigned)i + 1;
	s = merge_ranges(many, 60, 120, &missing);
	assert_int_equal(missing, 60);
	assert_non_null(strstr(s, ", 40, ..."));
	assert_null(strstr(s, "42"));
	free(s);
}

/* A merge of one file, "f.jsonl", with nothing read yet. */
static void
test_merge_init(struct merge *m, struct merge_file *f)
{
	memset(m, 0, sizeof *m);
	memset(f, 0, sizeof *f);
	f->path = "f.jsonl";
	f->busiest = -1;
	m->files = f;
	m->nfiles = 1;
	m->ids = json_object();
}

static void
test_merge_done(struct merge *m)
{
	size_t i;

	for (i = 0; i < m->nrecs; i++)
		free(m->recs[i].t.str);
	for (i = 0; i < m->nworkers; i++)
		free(m->workers[i].name);
	free(m->recs);
	free(m->workers);
	json_decref(m->ids);
}

static char *
test_merge_error(struct merge *m, const char *line)
{
	char *cause = NULL;

	assert_int_equal(merge_line(m, 0, 3, line, strlen(line), &cause), -1);
	return cause;
}

/* A task_done line of a delay task, with the worker and elapsed given. */
#define TEST_MERGE_LINE(worker, elapsed)                                       \
	"{\"ts\":\"2026-01-02T03:04:05.500000Z\",\"event\":\"task_done\","     \
	"\"run\":1,\"worker\":\"" worker "\",\"task\":1,\"kind\":\"delay\","   \
	"\"arg\":1,\"ok\":true,\"elapsed\":" elapsed ",\"result\":1}"

static void
test_merge_line(void **state)
{
	static const char ok[] =
	    "{\"ts\":\"2026-01-02T03:04:05.500000Z\",\"event\":\"task_done\","
	    "\"run\":2,\"worker\":\"One\",\"task\":7,\"kind\":\"url\","
	    "\"arg\":\"http://x/\",\"ok\":true,\"elapsed\":0.25,\"result\":200,"
	    "\"status\":200,\"bytes\":10}";
	static const struct {
		const char *line, *cause;
	} bad[] = {
	    {"{\"event\":", "f.jsonl:3:9: not JSON: "},
	    {"[1]", "f.jsonl:3: not a JSON object"},
	    {"{\"event\":\"task_dune\"}", "f.jsonl:3: unknown event "},
	    {"{\"event\":\"task_done\",\"ts\":1}",
	        "f.jsonl:3: 'ts' is not a string"},
	    {"{\"event\":\"task_done\",\"ts\":\"x\",\"run\":0}",
	        "f.jsonl:3: 'run' is 0, expected 1 to "},
	    /* One key twice: which one counts is no one's guess. */
	    {"{\"event\":\"task_done\",\"task\":1,\"task\":2}",
	        "f.jsonl:3:36: not JSON: duplicate object key"},
	    /* A name that would drive the terminal, in --timeline's rows. */
	    {TEST_MERGE_LINE("\\u001b[2J", "0.25"),
	        "f.jsonl:3: 'worker' holds a control character (\\x1b)"},
	    /* A start before 1970 is no time a chart can span. */
	    {TEST_MERGE_LINE("One", "1e300"),
	        "f.jsonl:3: 'elapsed' is 1e+300 s: the task would have "
	        "started before 1970"},
	};
	struct merge_file f;
	struct merge m;
	char *cause;
	size_t i;

	test_merge_init(&m, &f);
	assert_int_equal(merge_line(&m, 0, 1, ok, strlen(ok), &cause), 0);
	assert_int_equal(
	    merge_line(&m, 0, 2, "{\"event\":\"run_done\"}", 20, &cause), 0);
	assert_int_equal(m.nrecs, 1);
	assert_int_equal(m.recs[0].run, 2);
	assert_int_equal(m.recs[0].t.index, 7);
	assert_int_equal(m.recs[0].t.kind, TASK_URL);
	assert_string_equal(m.recs[0].t.str, "http://x/");
	assert_int_equal(m.recs[0].t.count, 200);
	assert_int_equal(m.recs[0].t.bytes, 10);
	assert_true(m.recs[0].t.start == 1767323045.25);
	assert_string_equal(m.workers[0].name, "One");
	assert_int_equal(f.tasks, 1);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = test_merge_error(&m, bad[i].line);
		assert_memory_equal(cause, bad[i].cause, strlen(bad[i].cause));
		free(cause);
	}
	test_merge_done(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge_ranges),
	    cmocka_unit_test(test_merge_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
