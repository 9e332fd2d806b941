/* The table of task kinds, and what every kind's result shares. */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "task.h"
#include "xmalloc.h"

static const struct task_ops *const task_table[TASK_NKINDS] = {
    [TASK_DELAY] = &task_delay_ops,
    [TASK_FACTORIAL] = &task_factorial_ops,
    [TASK_URL] = &task_url_ops,
    [TASK_FILE] = &task_file_ops,
    [TASK_TCP] = &task_tcp_ops,
    [TASK_EXEC] = &task_exec_ops,
};

const struct task_ops *
task_ops(enum task_kind kind)
{
	return task_table[kind];
}

void
task_json_null(struct task_json *j, const char *key)
{
	j->key = key;
	j->type = JSON_VALUE_NULL;
}

void
task_json_int(struct task_json *j, const char *key, long long v)
{
	j->key = key;
	j->type = JSON_VALUE_INT;
	j->v.i = v;
}

void
task_json_uint(struct task_json *j, const char *key, unsigned long long v)
{
	j->key = key;
	j->type = JSON_VALUE_UINT;
	j->v.u = v;
}

void
task_json_real(struct task_json *j, const char *key, double v)
{
	j->key = key;
	j->type = JSON_VALUE_REAL;
	j->v.d = v;
}

void
task_json_str(struct task_json *j, const char *key, const char *v)
{
	j->key = key;
	j->type = JSON_VALUE_STR;
	j->v.s = v;
}

const char *const task_timing_names[5] = {
    "dns", "connect", "tls", "ttfb", "total"};

void
task_json_reals(struct task_json *j, const char *key, const char *const *keys,
    const double *d, size_t n)
{
	j->key = key;
	j->type = JSON_VALUE_REALS;
	j->v.reals.keys = keys;
	j->v.reals.d = d;
	j->v.reals.n = n;
}

/* Mark a job failed with a message (it is not finished here). */
void
job_fail(struct job *job, const char *fmt, ...)
{
	va_list ap;

	free(job->result.error);
	va_start(ap, fmt);
	if (vasprintf(&job->result.error, fmt, ap) < 0)
		job->result.error = NULL;
	va_end(ap);
	job->result.ok = 0;
}

void
result_clear(struct result *r)
{
	free(r->error);
	free(r->value);
	free(r->preview);
	free(r->output);
	r->error = r->value = r->preview = r->output = NULL;
}
