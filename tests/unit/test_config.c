/* The task file loader: valid files load, invalid ones say where and why. */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

/* An invalid file and every message it must give, in order. */
struct bad {
	const char *yaml;
	const char *messages;
};

static const struct bad bad_files[] = {
    {"mode: async\ntaks:\n  - delay: 1\n",
        "t.yaml:2:1: unknown key 'taks' (did you mean 'tasks'?)"},
    {"mode: asnyc\ntasks:\n  - delay: 1\n",
        "t.yaml:1:7: mode: unknown mode 'asnyc' (did you mean 'async'?)"},
    {"mode: parallel\ntasks:\n  - delay: 1\n",
        "t.yaml:1:7: mode: unknown mode 'parallel' (expected sync, "
        "cooperative, threads or async)"},
    {"tasks:\n\t- delay: 1\n",
        "t.yaml:2:1: tab character: YAML indents with spaces only"},
    {"mode: sync\nmode: async\ntasks:\n  - delay: 1\n",
        "t.yaml:2:1: duplicate key 'mode' (first at line 1, column 1)"},
    {"tasks:\n  - delay: 1\n---\ntasks:\n  - delay: 2\n",
        "t.yaml:3:1: a second YAML document: a task file holds exactly one"},
    {"",
        "t.yaml:1:1: the file is empty (expected a mapping with at least "
        "'tasks')"},
    {"# only a comment\n",
        "t.yaml:2:1: the file is empty (expected a "
        "mapping with at least 'tasks')"},
    {"tasks:\n  - name: x\n",
        "t.yaml:2:5: a task needs a kind: one of delay, factorial, url, "
        "file, tcp or exec"},
    {"tasks:\n  - delay: 1\n    url: http://x/\n",
        "t.yaml:3:10: a task has one kind, but this one has 'delay' and "
        "'url'"},
    {"tasks:\n  - delay: 1\n    timeout: 5s\n",
        "t.yaml:3:14: timeout: does not apply to a delay task (only to url, "
        "file, tcp and exec tasks)"},
    {"mode: Asnyc\ntasks:\n  - delay: 1\n",
        "t.yaml:1:7: mode: unknown mode 'Asnyc' (did you mean 'async'?)"},
    {"mode: SINK\ntasks:\n  - delay: 1\n",
        "t.yaml:1:7: mode: unknown mode 'SINK' (did you mean 'sync'?)"},
    {"tasks:\n  - file: x\n    retries: 2\n",
        "t.yaml:3:14: retries: does not apply to a file task (only to url "
        "tasks)"},
    {"tasks:\n  - url: http://a/\n    yield_every: 5\n",
        "t.yaml:3:18: yield_every: does not apply to a url task (only to "
        "factorial tasks)"},
    {"tasks:\n  - delay: 4x\n",
        "t.yaml:2:12: delay: invalid duration '4x': unknown unit (expected "
        "ms, s, m or h)"},
    {"tasks:\n  - delay: -1\n",
        "t.yaml:2:12: delay: invalid duration '-1': negative"},
    {"tasks:\n  - delay: 400d\n",
        "t.yaml:2:12: delay: invalid duration '400d': unknown unit (expected "
        "ms, s, m or h)"},
    {"tasks:\n  - delay: 9000h\n",
        "t.yaml:2:12: delay: invalid duration '9000h': too long (at most 365 "
        "days)"},
    {"tasks:\n  - factorial: 2000000\n",
        "t.yaml:2:16: factorial: invalid number '2000000': too large "
        "(expected 0 to 1000000)"},
    {"tasks:\n  - factorial: 4.5\n",
        "t.yaml:2:16: factorial: invalid number '4.5': not a whole number "
        "(expected 0 to 1000000)"},
    {"tasks:\n  - factorial: -3\n",
        "t.yaml:2:16: factorial: invalid number '-3': negative (expected 0 "
        "to 1000000)"},
    {"workers: 0\ntasks:\n  - delay: 1\n",
        "t.yaml:1:10: workers: invalid number '0': too small (expected 1 to "
        "100000)"},
    {"workers: 100001\ntasks:\n  - delay: 1\n",
        "t.yaml:1:10: workers: invalid number '100001': too large (expected "
        "1 to 100000)"},
    {"workers: [One, One]\ntasks:\n  - delay: 1\n",
        "t.yaml:1:16: workers: duplicate worker name 'One'"},
    {"workers: []\ntasks:\n  - delay: 1\n",
        "t.yaml:1:10: workers: the list is empty (expected at least one "
        "name)"},
    {"workers: {a: 1}\ntasks:\n  - delay: 1\n",
        "t.yaml:1:10: workers: expected a count or a list of names, got a "
        "mapping"},
    {"mode: sync\n",
        "t.yaml:1:1: missing key 'tasks' (the list of tasks "
        "to run)"},
    {"tasks: []\n",
        "t.yaml:1:8: tasks: the list is empty (expected at "
        "least one task)"},
    {"tasks:\n  - 4.0\n",
        "t.yaml:2:5: tasks: expected a task such as '- "
        "delay: 4.0', got a value"},
    {"tasks: {delay: 1}\n",
        "t.yaml:1:8: tasks: expected a list of tasks, "
        "got a mapping"},
    {"tasks:\n  - url: ftp://x/\n",
        "t.yaml:2:10: url: invalid URL 'ftp://x/': expected http:// or "
        "https:// and a host, without spaces"},
    {"tasks:\n  - file: \"\"\n", "t.yaml:2:11: file: must not be empty"},
    {"tasks:\n  - delay: *nope\n", "t.yaml:2:12: unknown alias '*nope'"},
    {"just a string\n",
        "t.yaml:1:1: expected a mapping with keys such as "
        "'mode', 'workers' and 'tasks', got a value"},
    {"- delay: 1\n",
        "t.yaml:1:1: expected a mapping with keys such as "
        "'mode', 'workers' and 'tasks', got a list"},
    {"tasks:\n  - delay: 1\n   - delay: 2\n",
        "t.yaml:3:4: YAML syntax error: did not find expected '-' indicator "
        "while parsing a block collection (which starts at line 2)"},
    {"mode:\ntasks:\n  - delay: 1\n",
        "t.yaml:1:6: mode: missing value (expected sync, cooperative, "
        "threads or async)"},
    {"rate: 20/h\ntasks:\n  - delay: 1\n",
        "t.yaml:1:7: rate: invalid rate '20/h': unknown unit (expected /s or "
        "/m)"},
    {"rate: 0/s\ntasks:\n  - delay: 1\n",
        "t.yaml:1:7: rate: invalid rate '0/s': must be more than 0"},
    {"interval: 0\ntasks:\n  - delay: 1\n",
        "t.yaml:1:11: interval: invalid duration '0': must be more than 0"},
    {"defaults:\n  timeot: 5\ntasks:\n  - delay: 1\n",
        "t.yaml:2:3: unknown key 'timeot' (did you mean 'timeout'?)"},
    {"defaults: 5\ntasks:\n  - delay: 1\n",
        "t.yaml:1:11: defaults: expected a mapping, got a value"},
    {"tasks:\n  - url: http://a/\n    retries: 1000\n",
        "t.yaml:3:14: retries: invalid number '1000': too large (expected 0 "
        "to 100)"},
    {"defaults: {yield_every: 0}\ntasks:\n  - factorial: 5\n",
        "t.yaml:1:25: yield_every: invalid number '0': too small (expected 1 "
        "to 1000000)"},
    {"tasks:\n  - delay: 1\n  - dealy: 2\n",
        "t.yaml:3:5: unknown key 'dealy' (did you mean 'delay'?)"},
    {"tasks:\n  - delay: a\n  - delay: b\n  - factorial: c\n",
        "t.yaml:2:12: delay: invalid duration 'a': not a duration\n"
        "t.yaml:3:12: delay: invalid duration 'b': not a duration\n"
        "t.yaml:4:16: factorial: invalid number 'c': not a whole number "
        "(expected 0 to 1000000)"},
    {"tasks:\n  - delay: 1\n  - file: \"\xff\"\n",
        "t.yaml:3:12: invalid leading UTF-8 octet (the file must be UTF-8 "
        "text)"},
    {"tasks:\n  - delay: [1]\n",
        "t.yaml:2:12: delay: expected a duration such as 4.0, 250ms or 1.5m, "
        "got a list"},
    {"name: \"\"\ntasks:\n  - delay: 1\n",
        "t.yaml:1:7: name: must not be "
        "empty"},
    {"tasks:\n  - delay: 1\n    delay: 2\n",
        "t.yaml:3:5: duplicate key 'delay' (first at line 2, column 5)"},
    {"tasks:\n  - delay: 1\n  foo: 2\n",
        "t.yaml:3:3: YAML syntax error: did not find expected '-' indicator "
        "while parsing a block collection (which starts at line 2)"},
    {"? [a]\n: 1\ntasks:\n  - delay: 1\n",
        "t.yaml:1:3: expected a key name, got a list"},
    {"tasks:\n  - file: \"a\\0/../../etc/passwd\"\n",
        "t.yaml:2:11: a NUL character (\\0) is not allowed in a value"},
    {"tasks:\n  - url: \"http://127.0.0.1:1/\\0/x\"\n",
        "t.yaml:2:10: a NUL character (\\0) is not allowed in a value"},
    {"name: \"run\\e[2J\"\ntasks:\n  - delay: 1\n",
        "t.yaml:1:7: name: 'run\\x1b[2J' holds a control character "
        "(\\x1b)"},
    {"workers: [One, \"T\\nwo\"]\ntasks:\n  - delay: 1\n",
        "t.yaml:1:16: workers: 'T\\x0awo' holds a control character "
        "(\\x0a)"},
    {"tasks:\n  - delay: 1\n    name: \"\\x9b\"\n",
        "t.yaml:3:11: name: '\\u009b' holds a control character "
        "(\\u009b)"},
    {"tasks:\n  - url: http://a/\n    max_bytes: 10XB\n",
        "t.yaml:3:16: max_bytes: invalid size '10XB': unknown unit "
        "(expected B, KiB, MiB, GiB, kB, MB or GB)"},
    {"tasks:\n  - url: http://a/\n    max_bytes: 0\n",
        "t.yaml:3:16: max_bytes: invalid size '0': too small"},
    {"tasks:\n  - delay: 1\n    retry_max_delay: 5s\n",
        "t.yaml:3:22: retry_max_delay: does not apply to a delay task "
        "(only to url tasks)"},
    {"tasks:\n  - url: \"http://user:pw@127.0.0.1:99999/\"\n",
        "t.yaml:2:10: url: invalid URL 'http://user:***@127.0.0.1:99999/': "
        "libcurl cannot parse it: Port number was not a decimal number "
        "between 0 and 65535"},
    /* Checks for operators. */
    {"tasks:\n  - url: http://a/\n    method: post\n",
        "t.yaml:3:13: method: unknown method 'post' (did you mean 'POST'?)"},
    {"tasks:\n  - url: http://a/\n    method: TRACE\n",
        "t.yaml:3:13: method: invalid method 'TRACE': expected GET, HEAD, "
        "POST, PUT, PATCH, DELETE or OPTIONS"},
    {"tasks:\n  - url: http://a/\n    expect: {body_regex: 'a(b'}\n",
        "t.yaml:3:26: expect: body_regex: invalid regular expression "
        "'a(b': Unmatched ( or \\("},
    {"tasks:\n  - url: http://a/\n    expect: {status: 6xx}\n",
        "t.yaml:3:22: expect: status: invalid status '6xx': expected a "
        "code 0 to 599 or a class 1xx to 5xx"},
    {"tasks:\n  - url: http://a/\n    expect: {status: [200, 2]}\n",
        "t.yaml:3:13: expect: status: 2 is not an HTTP status (100 to 599)"},
    {"tasks:\n  - url: http://a/\n    expect: {stauts: 200}\n",
        "t.yaml:3:14: unknown key 'stauts' (did you mean 'status'?)"},
    {"tasks:\n  - url: http://a/\n    ca_file: /nonexistent/ca.pem\n",
        "t.yaml:3:14: ca_file: cannot read '/nonexistent/ca.pem': No such "
        "file or directory"},
    {"tasks:\n  - url: http://a/\n    headers: {'a b': c}\n",
        "t.yaml:3:15: headers: 'a b' is not a valid header name"},
    {"tasks:\n  - url: http://a/\n    headers: {A: b, a: c}\n",
        "t.yaml:3:21: headers: 'a' is given twice"},
    {"tasks:\n  - exec: ' '\n",
        "t.yaml:2:11: exec: the command is empty (expected a command such "
        "as 'pg_isready -q')"},
    {"tasks:\n  - exec: []\n",
        "t.yaml:2:11: exec: the command is empty (expected a list such as "
        "[pg_isready, -q])"},
    {"tasks:\n  - exec: true\n    expect: {status: 256}\n",
        "t.yaml:3:13: expect: status: an exec task's status is an exit "
        "status, 0 to 255"},
    {"tasks:\n  - exec: true\n    expect: {cert_days: 3}\n",
        "t.yaml:3:13: expect: cert_days applies only to url tasks"},
    {"tasks:\n  - tcp: localhost\n",
        "t.yaml:2:10: tcp: invalid target 'localhost': expected HOST:PORT "
        "or [IPV6]:PORT, port 1 to 65535"},
    {"tasks:\n  - tcp: 'a:70000'\n",
        "t.yaml:2:10: tcp: invalid target 'a:70000': expected HOST:PORT or "
        "[IPV6]:PORT, port 1 to 65535"},
    {"tasks:\n  - tcp: a:1\n    expect: {status: 200}\n",
        "t.yaml:3:13: expect: status does not apply to a tcp task (a tcp "
        "check is ok when it connects)"},
    {"tasks:\n  - tcp: a:1\n    method: GET\n",
        "t.yaml:3:13: method: does not apply to a tcp task (only to url "
        "tasks)"},
    {"tasks:\n  - exec: true\n    cwd: /nonexistent\n",
        "t.yaml:3:10: cwd: '/nonexistent' is not a folder: No such file or "
        "directory"},
    {"tasks:\n  - exec: true\n    env: {1X: y}\n",
        "t.yaml:3:11: env: '1X' is not a valid variable name"},
    {"tasks:\n  - url: http://a/${ASYNCDEMO_TEST_UNSET}\n",
        "t.yaml:2:10: environment variable ASYNCDEMO_TEST_UNSET is not set "
        "(set it, or write ${ASYNCDEMO_TEST_UNSET:-default})"},
    {"tasks:\n  - url: http://a/${ASYNCDEMO_TEST_UNSET\n",
        "t.yaml:2:10: '${' without its closing '}'"},
    {"tasks:\n  - url: http://a/${}\n",
        "t.yaml:2:10: '${' must be followed by a variable name and '}' or "
        "':-default}' (write $$ for a $)"},
};

static void
test_invalid_files(void **state)
{
	struct config *cf;
	char *cause;
	size_t i;
	int rc;

	for (i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
		cf = NULL;
		cause = NULL;
		rc = config_load_buffer("t.yaml", bad_files[i].yaml,
		    strlen(bad_files[i].yaml), &cf, &cause);
		if (cause == NULL || strcmp(cause, bad_files[i].messages) != 0)
			fail_msg("case %zu:\n%s\nexpected:\n%s\ngot:\n%s", i,
			    bad_files[i].yaml, bad_files[i].messages,
			    cause != NULL ? cause : "(nothing)");
		assert_int_equal(rc, EX_CONFIG);
		assert_null(cf);
		free(cause);
	}
	assert_true(i >= 30);
}

static struct config *
load(const char *yaml)
{
	struct config *cf = NULL;
	char *cause = NULL;

	if (config_load_buffer("t.yaml", yaml, strlen(yaml), &cf, &cause) != 0)
		fail_msg("unexpected error: %s", cause);
	return cf;
}

static void
test_example_shape(void **state)
{
	struct config *cf;

	cf = load("name: talk\ndescription: hi\nmode: cooperative\n"
	          "workers: [One, Two]\ntasks:\n  - delay: 4.0\n"
	          "  - factorial: 40\n  - url: https://weather.com/\n"
	          "  - file: textfile1.txt\n");
	assert_string_equal(cf->name, "talk");
	assert_string_equal(cf->description, "hi");
	assert_int_equal(cf->mode, MODE_COOPERATIVE);
	assert_int_equal(cf->nworkers, 2);
	assert_string_equal(cf->workers[1], "Two");
	assert_int_equal(cf->ntasks, 4);
	assert_int_equal(cf->tasks[0].kind, TASK_DELAY);
	assert_true(cf->tasks[0].arg.seconds == 4.0);
	assert_int_equal(cf->tasks[1].kind, TASK_FACTORIAL);
	assert_int_equal(cf->tasks[1].arg.n, 40);
	assert_string_equal(cf->tasks[2].arg.str, "https://weather.com/");
	assert_int_equal(config_task_index(cf, &cf->tasks[3]), 4);
	assert_int_equal(cf->tasks[3].line, 9);
	config_free(cf);
}

static void
test_defaults(void **state)
{
	struct config *cf;

	cf = load("tasks:\n  - delay: 1\n");
	assert_string_equal(cf->name, "t");
	assert_int_equal(cf->mode, MODE_ASYNC);
	assert_int_equal(cf->nworkers, 1);
	assert_null(cf->workers);
	assert_true(cf->shutdown_timeout == 10);
	assert_true(cf->tasks[0].opts->timeout == 30);
	assert_int_equal(cf->tasks[0].opts->preview, 50);
	assert_int_equal(cf->tasks[0].opts->yield_every, 10);
	assert_int_equal(cf->tasks[0].opts->retries, 0);
	assert_true(cf->tasks[0].opts->retry_max_delay == 60);
	assert_true(cf->tasks[0].opts->max_bytes == 1ULL << 30);
	config_free(cf);
}

/* Task options override defaults, whichever comes first in the file. */
static void
test_task_options(void **state)
{
	struct config *cf;

	cf = load("tasks:\n  - url: http://a/\n    timeout: 5s\n    name: A\n"
	          "  - url: http://b/\ndefaults:\n  timeout: 1m\n  retries: 2\n"
	          "  retry_delay: 250ms\n  preview: 10\n");
	assert_true(cf->tasks[0].opts->timeout == 5);
	assert_int_equal(cf->tasks[0].opts->retries, 2);
	assert_string_equal(config_task_name(cf, &cf->tasks[0]), "A");
	assert_true(cf->tasks[1].opts->timeout == 60);
	assert_true(cf->tasks[1].opts->retry_delay == 0.25);
	assert_int_equal(cf->tasks[1].opts->preview, 10);
	config_free(cf);
	cf = load("defaults:\n  max_bytes: 64MiB\n  retry_max_delay: 5s\n"
	          "tasks:\n  - url: http://a/\n  - url: http://b/\n"
	          "    max_bytes: 1000kB\n");
	assert_true(cf->tasks[0].opts->max_bytes == 64ULL << 20);
	assert_true(cf->tasks[0].opts->retry_max_delay == 5);
	assert_true(cf->tasks[1].opts->max_bytes == 1000000);
	assert_true(cf->tasks[1].opts->retry_max_delay == 5);
	config_free(cf);
}

/*
 * libcurl's own parser checks every URL when the file loads: what it
 * cannot take is an error at its line, not a failure at run time.
 */
static void
test_urls_checked(void **state)
{
	static const char *const bad[] = {
	    "http://:18300/", "http://[::1/", "http://127.0.0.1:99999/"};
	struct config *cf;
	char yaml[128], *cause;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(
		    yaml, sizeof yaml, "tasks:\n  - url: \"%s\"\n", bad[i]);
		cf = NULL;
		cause = NULL;
		assert_int_equal(config_load_buffer(
		                     "t.yaml", yaml, strlen(yaml), &cf, &cause),
		    EX_CONFIG);
		assert_null(cf);
		if (strncmp(cause, "t.yaml:2:10: url: invalid URL '", 31) !=
		        0 ||
		    strstr(cause, "': libcurl cannot parse it") == NULL)
			fail_msg("%s: %s", bad[i], cause);
		free(cause);
	}
	cf = load("tasks:\n  - url: http://bücher.example/\n");
	assert_int_equal(cf->ntasks, 1);
	config_free(cf);
}

/* A URL's password shows as *** in the task; the real URL is kept too. */
static void
test_url_secret(void **state)
{
	static const char *const masked[][2] = {
	    {"http://u:p@h/", "http://u:***@h/"},
	    {"https://u:p:q@h:1/x?y@z", "https://u:***@h:1/x?y@z"},
	    {"http://u:p@ss@h/", "http://u:***@h/"},
	    {"http://u@h/", "http://u@h/"},
	    {"http://u:@h/", "http://u:@h/"},
	    {"http://h/a:b@c", "http://h/a:b@c"},
	    {"http://h?a:b@c", "http://h?a:b@c"},
	};
	struct config *cf;
	char *m;
	size_t i;

	for (i = 0; i < sizeof masked / sizeof masked[0]; i++) {
		m = config_mask_url(masked[i][0]);
		assert_string_equal(m, masked[i][1]);
		free(m);
	}
	cf = load("tasks:\n  - url: http://user:s3cr3t@127.0.0.1:1/\n"
	          "  - url: http://127.0.0.1:1/\n");
	assert_string_equal(
	    cf->tasks[0].arg.str, "http://user:***@127.0.0.1:1/");
	assert_string_equal(
	    config_url(&cf->tasks[0]), "http://user:s3cr3t@127.0.0.1:1/");
	assert_string_equal(config_url(&cf->tasks[1]), cf->tasks[1].arg.str);
	config_free(cf);
}

static void
test_yaml_features(void **state)
{
	struct config *cf;

	/* Flow style, comments, quoted values. */
	cf = load("# a comment\n{mode: sync, workers: 3, tasks: [{delay: "
	          "'1.5m'}, {factorial: \"7\"}]}  # end\n");
	assert_int_equal(cf->mode, MODE_SYNC);
	assert_int_equal(cf->nworkers, 3);
	assert_true(cf->tasks[0].arg.seconds == 90);
	assert_int_equal(cf->tasks[1].arg.n, 7);
	config_free(cf);

	/* CRLF line ends. */
	cf = load("mode: threads\r\ntasks:\r\n  - delay: 250ms\r\n");
	assert_int_equal(cf->mode, MODE_THREADS);
	assert_true(cf->tasks[0].arg.seconds == 0.25);
	config_free(cf);

	/* Aliases, extension keys and merge keys. */
	cf = load("x-slow: &slow {timeout: 9s, retries: 1}\nx-d: &d 2s\n"
	          "tasks:\n  - delay: *d\n  - url: http://a/\n    <<: *slow\n"
	          "    retries: 3\n  - &t {factorial: 5}\n  - *t\n");
	assert_int_equal(cf->ntasks, 4);
	assert_true(cf->tasks[0].arg.seconds == 2);
	assert_true(cf->tasks[1].opts->timeout == 9);
	assert_int_equal(cf->tasks[1].opts->retries, 3);
	assert_int_equal(cf->tasks[3].arg.n, 5);
	config_free(cf);

	/* A document start marker is fine. */
	cf = load("---\ntasks:\n  - delay: 0\n...\n");
	assert_int_equal(cf->ntasks, 1);
	config_free(cf);
}

/* An alias bomb is refused quickly, with bounded memory. */
static void
test_alias_bomb(void **state)
{
	static const char bomb[] = "x-a: &a [1,1,1,1,1,1,1,1,1,1]\n"
	                           "x-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	                           "x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	                           "x-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	                           "x-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	                           "x-f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	                           "x-g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	                           "x-h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	                           "tasks: *h\n";
	struct config *cf = NULL;
	char *cause = NULL;

	assert_int_equal(
	    config_load_buffer("t.yaml", bomb, strlen(bomb), &cf, &cause),
	    EX_CONFIG);
	assert_non_null(strstr(cause,
	    "aliases expand to more than 1000000 "
	    "nodes"));
	free(cause);
}

/* At most CONFIG_MAX_ERRORS are listed, then a count of the rest. */
static void
test_error_cap(void **state)
{
	struct config *cf = NULL;
	char *yaml, *cause = NULL, *p;
	size_t i, lines = 0;

	yaml = strdup("tasks:\n");
	for (i = 0; i < 30; i++) {
		char *next;

		if (asprintf(&next, "%s  - delay: bad%zu\n", yaml, i) < 0)
			fail();
		free(yaml);
		yaml = next;
	}
	assert_int_equal(
	    config_load_buffer("t.yaml", yaml, strlen(yaml), &cf, &cause),
	    EX_CONFIG);
	for (p = cause; *p != '\0'; p++)
		lines += *p == '\n';
	assert_int_equal(lines, CONFIG_MAX_ERRORS);
	assert_non_null(strstr(cause, "t.yaml: 10 more errors not shown"));
	free(cause);
	free(yaml);
}

static void
test_missing_file(void **state)
{
	struct config *cf = NULL;
	char *cause = NULL;

	assert_int_equal(
	    config_load("/nonexistent/x.yaml", &cf, &cause), EX_NOINPUT);
	assert_string_equal(
	    cause, "/nonexistent/x.yaml: No such file or directory");
	free(cause);
	assert_int_equal(config_load("/", &cf, &cause), EX_NOINPUT);
	assert_string_equal(cause, "/: is a directory, not a task file");
	free(cause);
	/* Not even opened for long: a FIFO would block, a device not end. */
	assert_int_equal(config_load("/dev/zero", &cf, &cause), EX_NOINPUT);
	assert_string_equal(
	    cause, "/dev/zero: not a regular file (a task file must be one)");
	free(cause);
}

/* Relative paths resolve against the task file's own folder. */
static void
test_resolve(void **state)
{
	char dir[] = "/tmp/asyncdemo-test-XXXXXX", path[64];
	struct config *cf = NULL;
	char *cause = NULL, *r;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/tasks.yml", dir);
	f = fopen(path, "w");
	fputs("tasks:\n  - file: data.txt\n", f);
	fclose(f);
	assert_int_equal(config_load(path, &cf, &cause), 0);
	assert_string_equal(cf->name, "tasks");
	r = config_resolve(cf, cf->tasks[0].arg.str);
	assert_true(strncmp(r, "/tmp/", 5) == 0);
	assert_non_null(strstr(r, "/data.txt"));
	free(r);
	r = config_resolve(cf, "/etc/hosts");
	assert_string_equal(r, "/etc/hosts");
	free(r);
	config_free(cf);
	unlink(path);
	rmdir(dir);
}

static void
test_suggest(void **state)
{
	static const char *const words[] = {
	    "delay", "factorial", "url", "file", NULL};

	assert_string_equal(config_suggest("dealy", words), "delay");
	assert_string_equal(config_suggest("factorail", words), "factorial");
	assert_string_equal(config_suggest("uri", words), "url");
	assert_null(config_suggest("zzzzzz", words));
	assert_null(config_suggest("x", words));
}

/* A million tasks load in bounded memory: the task struct stays small. */
/* Tasks of each kind are counted, also when a list replaces a merged one. */
static void
test_kind_counts(void **state)
{
	struct config *cf;

	cf = load("tasks:\n  - delay: 1\n  - url: http://a/\n"
	          "  - url: http://b/\n  - file: f\n");
	assert_int_equal(cf->nkind[TASK_DELAY], 1);
	assert_int_equal(cf->nkind[TASK_URL], 2);
	assert_int_equal(cf->nkind[TASK_FILE], 1);
	assert_int_equal(cf->nkind[TASK_FACTORIAL], 0);
	config_free(cf);
	cf = load("x-base: &b\n  tasks:\n    - url: http://a/\n"
	          "    - url: http://b/\n<<: *b\ntasks:\n  - factorial: 5\n");
	assert_int_equal(cf->ntasks, 1);
	assert_int_equal(cf->nkind[TASK_URL], 0);
	assert_int_equal(cf->nkind[TASK_FACTORIAL], 1);
	config_free(cf);
}

/* Mode names in any case; the file's own mode is kept beside -m's. */
static void
test_mode_names(void **state)
{
	static const char *const names[] = {"Async", "ASYNC", "async", "aSyNc"};
	struct config *cf;
	enum mode m;
	size_t i;
	int a, b;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		m = MODE_SYNC;
		assert_int_equal(config_mode_parse(names[i], &m), 0);
		assert_int_equal(m, MODE_ASYNC);
	}
	assert_int_equal(config_mode_parse("Threads", &m), 0);
	assert_int_equal(m, MODE_THREADS);
	assert_int_equal(config_mode_parse("asyncx", &m), -1);
	assert_int_equal(config_mode_parse("", &m), -1);
	assert_string_equal(config_mode_suggest("Asnyc"), "async");
	assert_string_equal(config_mode_suggest("COOPERATVE"), "cooperative");
	assert_null(config_mode_suggest("parallel"));
	cf = load("mode: Cooperative\ntasks:\n  - delay: 1\n");
	assert_int_equal(cf->mode, MODE_COOPERATIVE);
	assert_int_equal(cf->file_mode, MODE_COOPERATIVE);
	config_free(cf);
	cf = load("tasks:\n  - delay: 1\n");
	assert_int_equal(cf->file_mode, MODE_ASYNC);
	config_free(cf);
	/* Each mode has a story of its own, that starts with its name. */
	for (a = 0; a < MODE_COUNT; a++) {
		assert_true(strlen(config_mode_story((enum mode)a)) > 40);
		assert_true(strncasecmp(config_mode_story((enum mode)a),
		                config_mode_name((enum mode)a), 4) == 0);
		for (b = 0; b < a; b++)
			assert_string_not_equal(config_mode_story((enum mode)a),
			    config_mode_story((enum mode)b));
	}
}

/* timeout fits files: none unless the file gives one. */
static void
test_file_timeout(void **state)
{
	struct config *cf;

	cf = load("tasks:\n  - file: a\n  - file: b\n    timeout: 2s\n"
	          "  - url: http://a/\n");
	assert_true(cf->tasks[0].opts->timeout == 0);
	assert_true(cf->tasks[1].opts->timeout == 2);
	assert_true(cf->tasks[2].opts->timeout == 30);
	config_free(cf);
	cf = load("defaults:\n  timeout: 5s\ntasks:\n  - file: a\n"
	          "  - url: http://a/\n");
	assert_true(cf->tasks[0].opts->timeout == 5);
	assert_true(cf->tasks[1].opts->timeout == 5);
	config_free(cf);
}

/*
 * --time-scale: delays and the waits between url attempts scale, each
 * task's own options once; the schedule and the limits do not.
 */
static void
test_scale_time(void **state)
{
	struct config *cf;

	cf = load("interval: 1m\nrate: 10/s\ndefaults:\n  retry_delay: 2s\n"
	          "tasks:\n  - delay: 4.0\n  - factorial: 40\n"
	          "  - url: http://a/\n  - url: http://b/\n"
	          "    retry_max_delay: 8s\n    timeout: 5s\n");
	assert_true(cf->time_scale == 1);
	config_scale_time(cf, 0.5);
	assert_true(cf->time_scale == 0.5);
	assert_true(cf->tasks[0].arg.seconds == 2.0);
	assert_int_equal(cf->tasks[1].arg.n, 40);
	assert_true(cf->tasks[2].opts->retry_delay == 1);
	assert_true(cf->tasks[2].opts->retry_max_delay == 30);
	assert_true(cf->tasks[2].opts->time_scale == 0.5);
	assert_true(cf->tasks[3].opts != &cf->defaults);
	assert_true(cf->tasks[3].opts->retry_delay == 1);
	assert_true(cf->tasks[3].opts->retry_max_delay == 4);
	assert_true(cf->tasks[3].opts->time_scale == 0.5);
	assert_true(cf->tasks[3].opts->timeout == 5);
	assert_true(cf->defaults.timeout == 30);
	assert_true(cf->interval == 60);
	assert_true(cf->rate == 10);
	config_free(cf);
}

/* The operators' options load into the task's options, kept by it. */
static void
test_checks(void **state)
{
	const struct task_expect *e;
	const struct task_opts *o;
	const char *argv[8];
	struct config *cf;
	char buf[64], *host;
	unsigned port;

	setenv("ASYNCDEMO_TEST_TOKEN", "s3cret", 1);
	setenv("ASYNCDEMO_TEST_EMPTY", "", 1);
	cf = load(
	    "tasks:\n"
	    "  - url: "
	    "http://a/${ASYNCDEMO_TEST_UNSET:-x}/$$/"
	    "${ASYNCDEMO_TEST_EMPTY:-d}\n"
	    "    method: POST\n"
	    "    headers: {Authorization: 'Bearer ${ASYNCDEMO_TEST_TOKEN}',"
	    " Accept: text/plain}\n"
	    "    body: '{\"a\": 1}'\n"
	    "    expect:\n"
	    "      status: [200, 3xx]\n"
	    "      body: up\n"
	    "      body_regex: 'u+p'\n"
	    "      max_time: 500ms\n"
	    "      cert_days: 14\n"
	    "    insecure: true\n"
	    "  - tcp: '[::1]:5432'\n"
	    "    send: PING\n"
	    "  - exec: [printf, '%s', hi]\n"
	    "    env: {LANG: C}\n"
	    "    cwd: /\n"
	    "  - exec: exit 3\n");
	assert_string_equal(cf->tasks[0].arg.str, "http://a/x/$/d");
	o = cf->tasks[0].opts;
	assert_string_equal(o->method, "POST");
	assert_string_equal(o->headers[0], "Authorization: Bearer s3cret");
	assert_string_equal(o->headers[1], "Accept: text/plain");
	assert_null(o->headers[2]);
	assert_string_equal(config_header_shown(o->headers[0], buf, sizeof buf),
	    "Authorization: ***");
	assert_string_equal(
	    config_header_shown(o->headers[1], buf, sizeof buf), o->headers[1]);
	assert_string_equal(o->body, "{\"a\": 1}");
	assert_int_equal(o->insecure, 1);
	e = o->expect;
	assert_int_equal(e->nstatus, 2);
	assert_int_equal(e->status[0].lo, 200);
	assert_int_equal(e->status[0].hi, 200);
	assert_int_equal(e->status[1].lo, 300);
	assert_int_equal(e->status[1].hi, 399);
	assert_string_equal(e->body, "up");
	assert_string_equal(e->body_regex, "u+p");
	assert_non_null(e->regex);
	assert_true(e->max_time == 0.5);
	assert_int_equal(e->cert_days, 14);
	assert_int_equal(cf->tasks[1].kind, TASK_TCP);
	assert_string_equal(cf->tasks[1].opts->send, "PING");
	assert_int_equal(
	    config_tcp_target(cf->tasks[1].arg.str, &host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 5432);
	free(host);
	assert_int_equal(cf->tasks[2].kind, TASK_EXEC);
	assert_string_equal(cf->tasks[2].arg.str, "printf %s hi");
	assert_int_equal(config_exec_argv(&cf->tasks[2], argv, 8), 3);
	assert_string_equal(argv[0], "printf");
	assert_string_equal(argv[1], "%s");
	assert_string_equal(argv[2], "hi");
	assert_null(argv[3]);
	assert_int_equal(config_exec_argv(&cf->tasks[2], argv, 3), 0);
	assert_string_equal(cf->tasks[2].opts->env[0], "LANG=C");
	assert_string_equal(cf->tasks[2].opts->cwd, "/");
	assert_int_equal(config_exec_argv(&cf->tasks[3], argv, 8), 3);
	assert_string_equal(argv[0], "/bin/sh");
	assert_string_equal(argv[2], "exit 3");
	config_free(cf);
	assert_int_equal(config_tcp_target("h:0", &host, &port), -1);
	assert_int_equal(config_tcp_target("::1:80", &host, &port), -1);
	assert_int_equal(config_tcp_target("[]:80", &host, &port), -1);
	assert_int_equal(config_tcp_target("h:80x", &host, &port), -1);
	assert_int_equal(
	    config_tcp_target("db.internal:5432", &host, &port), 0);
	assert_string_equal(host, "db.internal");
	free(host);
	/* Defaults carry check options to the kinds they fit only. */
	cf = load("defaults:\n  insecure: true\n  timeout: 2s\n"
	          "tasks:\n  - url: http://a/\n  - tcp: a:1\n  - exec: true\n");
	assert_int_equal(cf->tasks[0].opts->insecure, 1);
	assert_true(cf->tasks[1].opts->timeout == 2);
	assert_true(cf->tasks[2].opts->timeout == 2);
	config_free(cf);
	unsetenv("ASYNCDEMO_TEST_TOKEN");
}

static void
test_task_size(void **state)
{
	assert_true(sizeof(struct task) <= 48);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_invalid_files),
	    cmocka_unit_test(test_example_shape),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_task_options),
	    cmocka_unit_test(test_yaml_features),
	    cmocka_unit_test(test_urls_checked),
	    cmocka_unit_test(test_url_secret),
	    cmocka_unit_test(test_alias_bomb),
	    cmocka_unit_test(test_error_cap),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_suggest),
	    cmocka_unit_test(test_kind_counts),
	    cmocka_unit_test(test_mode_names),
	    cmocka_unit_test(test_file_timeout),
	    cmocka_unit_test(test_scale_time),
	    cmocka_unit_test(test_checks),
	    cmocka_unit_test(test_task_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
