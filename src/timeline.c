/*
 * Record a run for its timeline: each task's worker, start and end from
 * the events, and how busy the threads were. A sampler thread reads the
 * CPU time of the loop's thread (and in threads mode of each worker's)
 * every few milliseconds; it sees the loop busy even while a blocking
 * task holds it. Events arrive under the report's lock; the sampler and
 * the loop-blocked callback take the timeline's own.
 */
#include "autoconf.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "executor.h"
#include "log.h"
#include "report.h"
#include "run.h"
#include "task.h"
#include "timeline.h"
#include "xmalloc.h"

/* Seconds between samples of the CPU clocks. */
#define TIMELINE_PERIOD 0.005

/* Outcome text longer than this is shortened. */
#define TIMELINE_OUTCOME 60

/* A bar's label longer than this is shortened (its buffer is longer). */
#define TIMELINE_LABEL 40

struct timeline {
	int sample;
	int keep;
	struct timeline_run **runs;
	size_t nruns;
	struct timeline_run *cur;
	double t0;
	pthread_t loop;
	pthread_t sampler;
	int sampling;
	int stop;
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

/* A recorder; with sample set, a sampler measures the busy rows. */
struct timeline *
timeline_new(int sample)
{
	pthread_condattr_t ca;
	struct timeline *tl;

	tl = xcalloc(1, sizeof *tl);
	tl->sample = sample;
	pthread_mutex_init(&tl->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&tl->wake, &ca);
	pthread_condattr_destroy(&ca);
	return tl;
}

/* A run's record, recorded here or put together by --merge. */
void
timeline_run_free(struct timeline_run *tr)
{
	size_t i;

	if (tr == NULL)
		return;
	for (i = 0; i < tr->ntask; i++) {
		free(tr->tasks[i].str);
		free(tr->tasks[i].error);
	}
	for (i = 0; i < tr->nworkers; i++)
		free(tr->workers[i]);
	for (i = 0; i < tr->ntracks; i++) {
		free(tr->tracks[i].name);
		free(tr->tracks[i].slices);
	}
	for (i = 0; i < tr->nblocks; i++)
		free(tr->blocks[i].arg);
	free(tr->tasks);
	free(tr->workers);
	free(tr->current);
	free(tr->tracks);
	free(tr->blocks);
	free(tr->name);
	free(tr);
}

static void timeline_sampler_stop(struct timeline *);

void
timeline_free(void *arg)
{
	struct timeline *tl = arg;
	size_t i;

	if (tl == NULL)
		return;
	timeline_sampler_stop(tl);
	for (i = 0; i < tl->nruns; i++)
		timeline_run_free(tl->runs[i]);
	free(tl->runs);
	pthread_mutex_destroy(&tl->lock);
	pthread_cond_destroy(&tl->wake);
	free(tl);
}

/* Keep every run (for --compare) instead of only the last. */
void
timeline_keep(struct timeline *tl, int keep)
{
	tl->keep = keep;
}

size_t
timeline_count(const struct timeline *tl)
{
	return tl->nruns;
}

const struct timeline_run *
timeline_get(const struct timeline *tl, size_t i)
{
	return i < tl->nruns ? tl->runs[i] : NULL;
}

const struct timeline_run *
timeline_last(const struct timeline *tl)
{
	return tl->nruns > 0 ? tl->runs[tl->nruns - 1] : NULL;
}

/* "4", "40", "https://..." : the argument as written. */
char *
timeline_task_arg(const struct task *t)
{
	char buf[TIMELINE_TEXT];

	return xstrdup(task_ops(t->kind)->arg(t, buf, sizeof buf));
}

/* Shorten s to max bytes with "...", not inside a UTF-8 character. */
static void
timeline_cut(char *s, size_t max)
{
	size_t n;

	if (strlen(s) <= max)
		return;
	for (n = max - 3; n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; n--)
		;
	strcpy(s + n, "...");
}

/* A recorded task as a task again, for its kind's ops to read. */
static const struct task_ops *
timeline_as_task(const struct timeline_task *tt, struct task *t)
{
	memset(t, 0, sizeof *t);
	t->kind = tt->kind;
	memcpy(&t->arg, &tt->num, sizeof tt->num);
	if (config_has_str(t))
		t->arg.str = tt->str;
	return task_ops(t->kind);
}

/* A recorded task's argument as written: in buf, or its own string. */
const char *
timeline_arg(const struct timeline_task *tt, char *buf, size_t len)
{
	struct task t;

	return timeline_as_task(tt, &t)->arg(&t, buf, len);
}

/*
 * What a bar says: "delay 4" and "factorial 40" (brief: "4 s", "40!"),
 * a url's host, a file's base name.
 */
const char *
timeline_label(const struct timeline_task *tt, int brief, char *buf, size_t len)
{
	struct task t;

	timeline_as_task(tt, &t)->label(&t, brief, buf, len);
	timeline_cut(buf, TIMELINE_LABEL);
	return buf;
}

/* The result or error in a few words, in buf; NULL while running. */
const char *
timeline_outcome(const struct timeline_task *tt, char *buf, size_t len)
{
	struct task t;

	if (!tt->done)
		return NULL;
	if (!tt->ok)
		snprintf(buf, len, "%s%s", tt->cancelled ? "cancelled: " : "",
		    tt->error != NULL ? tt->error : "failed");
	else
		timeline_as_task(tt, &t)->brief(
		    &t, tt->count, tt->bytes, buf, len);
	timeline_cut(buf, TIMELINE_OUTCOME);
	return buf;
}

/* CPU seconds of a thread's clock; -1 once the thread is gone. */
static int
timeline_cpu_now(clockid_t clock, double *out)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) != 0)
		return -1;
	*out = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	return 0;
}

/* A track's CPU seconds now; -1 once its thread is gone. */
static int
timeline_track_cpu(const struct timeline_track *t, double *out)
{
	if (t->cpu != NULL) {
		*out = t->cpu();
		return 0;
	}
	return timeline_cpu_now(t->clock, out);
}

/*
 * Start sampling a new track: thread's CPU time (the calling thread's if
 * NULL), or what fn says (the executor's pool).
 */
static void
timeline_track_add(struct timeline *tl, const char *name, int worker,
    const pthread_t *thread, double (*fn)(void))
{
	struct timeline_run *tr = tl->cur;
	struct timeline_track *t;
	clockid_t clock = 0;
	double cpu;

	if (fn != NULL)
		cpu = fn();
	else if (pthread_getcpuclockid(
	             thread != NULL ? *thread : pthread_self(), &clock) != 0 ||
	    timeline_cpu_now(clock, &cpu) != 0)
		return;
	pthread_mutex_lock(&tl->lock);
	tr->tracks =
	    xreallocarray(tr->tracks, tr->ntracks + 1, sizeof *tr->tracks);
	t = &tr->tracks[tr->ntracks++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	t->worker = worker;
	t->cpu = fn;
	t->clock = clock;
	t->live = 1;
	t->cpu0 = t->last_cpu = cpu;
	t->last_at = clock_now() - tl->t0;
	pthread_mutex_unlock(&tl->lock);
}

/* Add a slice, merged with the last when equally busy. */
static void
timeline_slice_add(struct timeline_track *t, double at, double busy)
{
	struct timeline_slice *s;

	busy = round(busy * 50) / 50;
	if (t->nslices > 0) {
		s = &t->slices[t->nslices - 1];
		if (s->busy == busy && s->end == t->last_at) {
			s->end = at;
			return;
		}
	}
	if (t->nslices == t->cap) {
		t->cap = t->cap == 0 ? 256 : t->cap * 2;
		t->slices = xreallocarray(t->slices, t->cap, sizeof *t->slices);
	}
	s = &t->slices[t->nslices++];
	s->start = t->last_at;
	s->end = at;
	s->busy = busy;
}

/* One sample of every live track; the caller holds the lock. */
static void
timeline_sample(struct timeline *tl)
{
	struct timeline_run *tr = tl->cur;
	struct timeline_track *t;
	double at = clock_now() - tl->t0, cpu, busy;
	unsigned i;

	for (i = 0; i < tr->ntracks; i++) {
		t = &tr->tracks[i];
		if (!t->live || at <= t->last_at)
			continue;
		if (timeline_track_cpu(t, &cpu) != 0) {
			t->live = 0;
			continue;
		}
		busy = (cpu - t->last_cpu) / (at - t->last_at);
		timeline_slice_add(t, at, busy < 0 ? 0 : busy > 1 ? 1 : busy);
		t->last_cpu = cpu;
		t->last_at = at;
	}
}

static void *
timeline_sampler(void *arg)
{
	struct timeline *tl = arg;
	struct timespec until;
	double next;

	pthread_mutex_lock(&tl->lock);
	next = clock_now();
	while (!tl->stop) {
		next += TIMELINE_PERIOD;
		until = clock_ts(next);
		while (!tl->stop &&
		    pthread_cond_timedwait(&tl->wake, &tl->lock, &until) !=
		        ETIMEDOUT)
			;
		if (clock_now() > next + TIMELINE_PERIOD)
			next = clock_now();
		timeline_sample(tl);
	}
	pthread_mutex_unlock(&tl->lock);
	return NULL;
}

static void
timeline_sampler_start(struct timeline *tl)
{
	tl->stop = 0;
	if (pthread_create(&tl->sampler, NULL, timeline_sampler, tl) != 0) {
		log_warnx("timeline: cannot start the CPU sampler");
		return;
	}
	tl->sampling = 1;
}

/* Stop the sampler after one last sample. */
static void
timeline_sampler_stop(struct timeline *tl)
{
	if (!tl->sampling)
		return;
	pthread_mutex_lock(&tl->lock);
	tl->stop = 1;
	pthread_cond_signal(&tl->wake);
	pthread_mutex_unlock(&tl->lock);
	pthread_join(tl->sampler, NULL);
	tl->sampling = 0;
}

/* A run starts: a new record, and the loop's thread is the first track. */
static void
timeline_run_start(struct timeline *tl, const struct report_event *ev)
{
	struct timeline_run *tr;
	char buf[16];
	unsigned i;

	if (!tl->keep) {
		while (tl->nruns > 0)
			timeline_run_free(tl->runs[--tl->nruns]);
	}
	tr = xcalloc(1, sizeof *tr);
	tr->number = ev->run;
	tr->name = xstrdup(ev->cf->name);
	tr->mode = ev->mode;
	tr->time_scale = ev->cf->time_scale;
	tr->nworkers = ev->nworkers;
	tr->ntasks = ev->ntasks;
	tr->workers = xcalloc(tr->nworkers, sizeof *tr->workers);
	tr->current = xcalloc(tr->nworkers, sizeof *tr->current);
	for (i = 0; i < tr->nworkers; i++) {
		tr->workers[i] =
		    xstrdup(config_worker_name(ev->cf, i, buf, sizeof buf));
		tr->current[i] = (size_t)-1;
	}
	tl->runs = xreallocarray(tl->runs, tl->nruns + 1, sizeof *tl->runs);
	tl->runs[tl->nruns++] = tr;
	pthread_mutex_lock(&tl->lock);
	tl->cur = tr;
	tl->t0 = clock_now() - ev->at;
	pthread_mutex_unlock(&tl->lock);
	tl->loop = pthread_self();
	if (!tl->sample)
		return;
	timeline_track_add(tl, "loop", -1, NULL, NULL);
	/* Offloaded factorials run on the executor's pool: its own row. */
	if (tr->mode == MODE_ASYNC && ev->cf->noffload > 0)
		timeline_track_add(
		    tl, "executor", TIMELINE_EXECUTOR, NULL, executor_cpu);
	timeline_sampler_start(tl);
}

static void
timeline_task_start(struct timeline_run *tr, const struct report_event *ev)
{
	struct timeline_task *t;

	if (tr->ntask == tr->cap) {
		tr->cap = tr->cap == 0 ? 64 : tr->cap * 2;
		tr->tasks =
		    xreallocarray(tr->tasks, tr->cap, sizeof *tr->tasks);
	}
	t = &tr->tasks[tr->ntask];
	memset(t, 0, sizeof *t);
	t->worker = ev->worker_index;
	t->index = config_task_index(ev->cf, ev->task);
	t->kind = ev->task->kind;
	memcpy(&t->num, &ev->task->arg, sizeof t->num);
	if (config_has_str(ev->task) && ev->task->arg.str != NULL)
		t->str = xstrdup(ev->task->arg.str);
	t->start = ev->at;
	t->end = ev->at;
	if (ev->worker_index < tr->nworkers)
		tr->current[ev->worker_index] = tr->ntask;
	tr->ntask++;
}

static void
timeline_task_done(struct timeline_run *tr, const struct report_event *ev)
{
	const struct result *r = ev->result;
	struct timeline_task *t;
	size_t i;

	if (ev->worker_index >= tr->nworkers ||
	    (i = tr->current[ev->worker_index]) == (size_t)-1)
		return;
	tr->current[ev->worker_index] = (size_t)-1;
	t = &tr->tasks[i];
	t->end = ev->at;
	t->elapsed = ev->result->elapsed;
	t->done = 1;
	t->ok = r->ok;
	t->cancelled = r->cancelled;
	if (!r->ok) {
		t->error = xstrdup(r->error != NULL ? r->error : "failed");
		timeline_cut(t->error, TIMELINE_OUTCOME);
	} else
		t->count = task_ops(t->kind)->tally(r);
	t->bytes = r->bytes;
}

/* In threads mode the worker's own thread becomes its busy track. */
static void
timeline_worker_start(struct timeline *tl, const struct report_event *ev)
{
	if (!tl->sample || tl->cur->mode != MODE_THREADS || ev->thread == NULL)
		return;
	timeline_track_add(
	    tl, ev->worker, (int)ev->worker_index, ev->thread, NULL);
}

static void
timeline_run_done(struct timeline *tl, const struct report_event *ev)
{
	struct timeline_run *tr = tl->cur;

	timeline_sampler_stop(tl);
	pthread_mutex_lock(&tl->lock);
	if (tl->sample)
		timeline_sample(tl);
	tr->elapsed = ev->elapsed;
	tr->ok = ev->ok;
	tr->failed = ev->failed;
	tl->cur = NULL;
	pthread_mutex_unlock(&tl->lock);
}

/* The report sink. */
void
timeline_emit(const struct report_event *ev, void *arg)
{
	struct timeline *tl = arg;

	if (ev->type != REPORT_RUN_START && tl->cur == NULL)
		return;
	switch (ev->type) {
	case REPORT_RUN_START:
		timeline_run_start(tl, ev);
		break;
	case REPORT_WORKER_START:
		timeline_worker_start(tl, ev);
		break;
	case REPORT_TASK_START:
		timeline_task_start(tl->cur, ev);
		break;
	case REPORT_TASK_DONE:
		timeline_task_done(tl->cur, ev);
		break;
	case REPORT_RUN_DONE:
		timeline_run_done(tl, ev);
		break;
	default:
		break;
	}
}

/* Record into tl from r's events; r frees tl. */
void
timeline_add(struct report *r, struct timeline *tl)
{
	report_add(r, timeline_emit, NULL, timeline_free, tl);
}

/* The run's loop-blocked callback: mark it on the timeline. */
void
timeline_blocked(const struct run_block *b, void *arg)
{
	struct timeline *tl = arg;
	struct timeline_block *tb;
	struct timeline_run *tr;
	char *what, *tb_arg;

	if (tl == NULL)
		return;
	what = timeline_task_arg(b->task);
	if (b->task->flags & TASK_BLOCKING) {
		tb_arg = xprintf("%s, blocking", what);
		free(what);
		what = tb_arg;
	}
	pthread_mutex_lock(&tl->lock);
	if ((tr = tl->cur) == NULL) {
		pthread_mutex_unlock(&tl->lock);
		free(what);
		return;
	}
	tr->blocks =
	    xreallocarray(tr->blocks, tr->nblocks + 1, sizeof *tr->blocks);
	tb = &tr->blocks[tr->nblocks++];
	tb->start = b->at;
	tb->end = b->at + b->held;
	tb->worker = b->worker;
	tb->index = b->index;
	tb->kind = (enum task_kind)b->task->kind;
	tb->arg = what;
	tb->waited = b->waited;
	pthread_mutex_unlock(&tl->lock);
}

/* The busy track of worker w (-1: the loop), or NULL. */
const struct timeline_track *
timeline_track_of(const struct timeline_run *tr, int w)
{
	unsigned i;

	for (i = 0; i < tr->ntracks; i++) {
		if (tr->tracks[i].worker == w)
			return &tr->tracks[i];
	}
	return NULL;
}

/* How busy a track was on average from t0 to t1. */
double
timeline_busy(const struct timeline_track *t, double t0, double t1)
{
	const struct timeline_slice *s;
	size_t lo = 0, hi = t->nslices, mid;
	double sum = 0, a, b;

	if (t1 <= t0)
		return 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (t->slices[mid].end <= t0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->nslices && t->slices[lo].start < t1; lo++) {
		s = &t->slices[lo];
		a = s->start > t0 ? s->start : t0;
		b = s->end < t1 ? s->end : t1;
		if (b > a)
			sum += (b - a) * s->busy;
	}
	return sum / (t1 - t0);
}

/*
 * Threads mode draws the workers' threads; the others, the loop; the
 * executor's pool, when it has a track, in any mode.
 */
int
timeline_track_shown(const struct timeline_run *tr, unsigned i)
{
	if (tr->tracks[i].worker == TIMELINE_EXECUTOR)
		return 1;
	if (tr->mode == MODE_THREADS)
		return tr->tracks[i].worker >= 0;
	return tr->tracks[i].worker < 0;
}

/* CPU seconds of the shown tracks, over the run. */
double
timeline_cpu(const struct timeline_run *tr)
{
	const struct timeline_track *t;
	double sum = 0;
	unsigned i;

	for (i = 0; i < tr->ntracks; i++) {
		t = &tr->tracks[i];
		if (timeline_track_shown(tr, i))
			sum += t->last_cpu - t->cpu0;
	}
	return sum;
}

/*
 * A time axis's tick step: 1, 2 or 5 times a power of ten, the smallest
 * that puts ticks gap units apart on an axis size units long for span.
 */
double
timeline_tick_step(double span, double size, double gap)
{
	static const double mult[] = {1, 2, 5};
	double p = pow(10, floor(log10(span / 100)));
	int i;

	for (;; p *= 10) {
		for (i = 0; i < 3; i++) {
			if (mult[i] * p / span * size >= gap)
				return mult[i] * p;
		}
	}
}

/* Ticks from 0 to span, step apart. */
void
timeline_ticks_init(struct timeline_ticks *tk, double span, double step)
{
	tk->span = span;
	tk->step = step;
	tk->t = 0;
}

/*
 * The next tick: its time at *t, what its label says (the time rounded
 * to the step) at *label. 0 when past the end of the axis.
 */
int
timeline_ticks_next(struct timeline_ticks *tk, double *t, double *label)
{
	if (tk->t > tk->span * (1 + 1e-9))
		return 0;
	*t = tk->t;
	*label = round(tk->t / tk->step) * tk->step;
	tk->t += tk->step;
	return 1;
}

/*
 * Call bar for each task of worker w (every worker: -1) twice, in pass 0
 * and then in pass 1: a chart draws wide bars in the first and bars too
 * thin for their label in the second, over them, so that they stay
 * visible.
 */
void
timeline_bars(
    const struct timeline_run *tr, int w, timeline_bar_cb bar, void *arg)
{
	const struct timeline_task *t;
	size_t k;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < tr->ntask; k++) {
			t = &tr->tasks[k];
			if (w < 0 || t->worker == (unsigned)w)
				bar(t, pass, arg);
		}
	}
}
