/* asyncdemo: read a task file and run it; the options, then hand over. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/thread.h>

#include "config.h"
#include "daemon.h"
#include "escape.h"
#include "fetch.h"
#include "load.h"
#include "log.h"
#include "merge.h"
#include "number.h"
#include "serve.h"
#include "factorial.h"
#include "task.h"
#include "xmalloc.h"

enum {
	OPT_SERVE = 256,
	OPT_SHARD,
	OPT_SYSLOG,
	OPT_INTERVAL,
	OPT_RUNS,
	OPT_STATUS,
	OPT_TIMELINE,
	OPT_TIMELINE_SVG,
	OPT_TRACE,
	OPT_COMPARE,
	OPT_BLOCK_THRESHOLD,
	OPT_TIME_SCALE,
	OPT_TIME_AXIS,
	OPT_UI,
	OPT_MERGE,
};

/* --time-scale at most: 1000 times slower is already a frozen demo. */
#define MAIN_TIME_SCALE_MAX 1000

static const struct option main_longopts[] = {
    {"config", required_argument, NULL, 'c'},
    {"check", no_argument, NULL, 'n'},
    {"mode", required_argument, NULL, 'm'},
    {"workers", required_argument, NULL, 'w'},
    {"json", no_argument, NULL, 'j'},
    {"results", required_argument, NULL, 'o'},
    {"log", required_argument, NULL, 'l'},
    {"syslog", no_argument, NULL, OPT_SYSLOG},
    {"daemon", no_argument, NULL, 'd'},
    {"pidfile", required_argument, NULL, 'p'},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"runs", required_argument, NULL, OPT_RUNS},
    {"status", required_argument, NULL, OPT_STATUS},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"timeline", no_argument, NULL, OPT_TIMELINE},
    {"timeline-svg", required_argument, NULL, OPT_TIMELINE_SVG},
    {"trace", required_argument, NULL, OPT_TRACE},
    {"compare", no_argument, NULL, OPT_COMPARE},
    {"block-threshold", required_argument, NULL, OPT_BLOCK_THRESHOLD},
    {"time-scale", required_argument, NULL, OPT_TIME_SCALE},
    {"time-axis", required_argument, NULL, OPT_TIME_AXIS},
    {"serve", required_argument, NULL, OPT_SERVE},
    {"ui", required_argument, NULL, OPT_UI},
    {"merge", no_argument, NULL, OPT_MERGE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Everything the command line may set. */
struct main_opts {
	struct daemon_opts d;
	const char *serve;
	int check;
	int merge;
	char *const *merge_files;
	size_t merge_n;
};

static void
main_usage(FILE *f)
{
	fprintf(f,
	    "usage: asyncdemo -c FILE [options]   run the task file\n"
	    "       asyncdemo -c FILE -n          check it, print the plan\n"
	    "       asyncdemo --ui ADDR:PORT -c FILE  the live view, in a "
	    "browser\n"
	    "       asyncdemo --serve ADDR:PORT   the demo/test HTTP server\n"
	    "       asyncdemo --merge [-c FILE] RESULTS...  shards' results "
	    "as one run\n"
	    "       asyncdemo -h | -V\n"
	    "\n"
	    "  -c, --config FILE    the task file (YAML)\n"
	    "  -n, --check          check the file and print what would run\n"
	    "  -m, --mode MODE      sync, cooperative, threads or async\n"
	    "  -w, --workers N|A,B  a worker count or comma-separated names\n"
	    "  -j, --json           JSON Lines on stdout instead of text\n"
	    "  -o, --results FILE   append one JSON line per finished task\n"
	    "  -l, --log FILE       also write diagnostics to FILE\n"
	    "      --syslog         also write diagnostics to syslog\n"
	    "  -d, --daemon         detach (diagnostics to syslog without -l)\n"
	    "  -p, --pidfile FILE   write the pid to FILE and hold it\n"
	    "      --interval DUR   run again every DUR (like 30s, 5m, 1h)\n"
	    "      --runs N         stop after N runs\n"
	    "      --status ADDR:PORT  serve GET /status, /metrics, /events\n"
	    "      --ui ADDR:PORT   the live view: a page that starts runs\n"
	    "                       and draws them as they happen\n"
	    "      --shard K/N      run only tasks i with (i-1) mod N = K\n"
	    "      --timeline       chart each run: workers, tasks, CPU busy\n"
	    "      --timeline-svg FILE  the same chart as an SVG picture\n"
	    "      --time-axis SECONDS  charts span this long, whatever the "
	    "run's\n"
	    "                       length (pictures of runs share a scale)\n"
	    "      --time-scale F   multiply every delay and retry wait by F\n"
	    "                       (0.1: ten times faster, for live demos)\n"
	    "      --trace FILE     Chrome trace JSON (Perfetto, "
	    "chrome://tracing)\n"
	    "      --compare        run in all four modes and compare them\n"
	    "      --block-threshold DUR  say when async work holds "
	    "the loop\n"
	    "                       this long (default 100ms; 0: never)\n"
	    "  -q, --quiet          nothing on stdout\n"
	    "  -v, --verbose        task starts and more detail\n"
	    "      --serve ADDR:PORT  run the demo/test HTTP server\n"
	    "      --merge RESULTS...  read shards' -o files (JSON Lines): "
	    "the whole\n"
	    "                       run's summary, the files compared, "
	    "-j, --timeline,\n"
	    "                       --timeline-svg, --trace; tasks missing "
	    "or twice: 1\n"
	    "  -h, --help           this help\n"
	    "  -V, --version        the version\n"
	    "\n"
	    "Exit status: 0 all tasks ok, 1 a task failed, 64 usage, "
	    "66 file missing,\n78 file invalid, 75 could not start, "
	    "70 internal error.\nSee asyncdemo(1) and asyncdemo.yaml(5).\n");
}

static int main_usage_error(const char *, ...)
    __attribute__((format(printf, 1, 2)));

/* A usage error: what is wrong, and where to look. */
static int
main_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "asyncdemo: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'asyncdemo -h' for help.\n");
	return EX_USAGE;
}

/* --shard K/N with 0 <= K < N. */
static int
main_shard(const char *s, struct daemon_opts *d)
{
	unsigned long long k, n;
	const char *slash = strchr(s, '/'), *why;
	char *ks;
	int rc;

	if (slash == NULL)
		return -1;
	ks = xstrndup(s, (size_t)(slash - s));
	rc = number_uint(ks, 0, 1000000, &k, &why);
	free(ks);
	if (rc != 0 || number_uint(slash + 1, 1, 1000000, &n, &why) != 0 ||
	    k >= n)
		return -1;
	d->shard_k = (unsigned)k;
	d->shard_n = (unsigned)n;
	return 0;
}

/* Descriptor 1 was closed when the program started. */
static int main_stdout_closed;

/* Did what went to stdout get there? 0, or 74 with why not. */
static int
main_written(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout) && !main_stdout_closed)
		return 0;
	fprintf(stderr, "asyncdemo: cannot write to stdout: %s\n",
	    strerror(main_stdout_closed ? EBADF
	            : errno != 0        ? errno
	                                : EIO));
	return EX_IOERR;
}

/* The first option given that --merge has no use for, or NULL. */
static const char *
main_merge_unfit(const struct main_opts *o)
{
	const struct daemon_opts *d = &o->d;
	const struct {
		int set;
		const char *name;
	} unfit[] = {{d->ui != NULL, "--ui"}, {o->serve != NULL, "--serve"},
	    {d->status != NULL, "--status"}, {d->interval > 0, "--interval"},
	    {d->detach, "-d"}, {d->shard_n > 0, "--shard"},
	    {d->mode != NULL, "-m"}, {d->workers != NULL, "-w"},
	    {d->compare, "--compare"}, {o->check, "-n"},
	    {d->results != NULL, "-o"}, {d->pidfile != NULL, "-p"},
	    {d->runs > 0, "--runs"}, {d->time_scale > 0, "--time-scale"}};
	size_t i;

	for (i = 0; i < sizeof unfit / sizeof unfit[0]; i++) {
		if (unfit[i].set)
			return unfit[i].name;
	}
	return NULL;
}

/* --merge: the arguments are results files; -c is the task file. */
static int
main_merge_args(struct main_opts *o, char *const *files, int n)
{
	const char *unfit;

	if ((unfit = main_merge_unfit(o)) != NULL)
		return main_usage_error("--merge reads results and runs "
		                        "nothing: %s does not go with it",
		    unfit);
	if (n == 0)
		return main_usage_error("--merge: no results file given");
	o->merge_files = files;
	o->merge_n = (size_t)n;
	return 0;
}

static int
main_parse(int argc, char **argv, struct main_opts *o)
{
	int ch;

	unsigned long long n;
	const char *why;

	while ((ch = getopt_long(argc, argv, "c:nm:w:jo:l:dp:qvhV",
	            main_longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->d.file = optarg;
			break;
		case 'n':
			o->check = 1;
			break;
		case 'm':
			o->d.mode = optarg;
			break;
		case 'w':
			o->d.workers = optarg;
			break;
		case 'j':
			o->d.json = 1;
			break;
		case 'o':
			o->d.results = optarg;
			break;
		case 'l':
			o->d.log = optarg;
			break;
		case OPT_SYSLOG:
			o->d.syslog = 1;
			break;
		case 'd':
			o->d.detach = 1;
			break;
		case 'p':
			o->d.pidfile = optarg;
			break;
		case OPT_INTERVAL:
			if (number_duration(optarg, &o->d.interval, &why) !=
			        0 ||
			    o->d.interval <= 0)
				return main_usage_error(
				    "--interval: expected a "
				    "duration such as 30s or 5m, got '%s'",
				    optarg);
			break;
		case OPT_RUNS:
			if (number_uint(optarg, 1, 1000000000, &n, &why) != 0)
				return main_usage_error(
				    "--runs: expected a "
				    "count of at least 1, got '%s'",
				    optarg);
			o->d.runs = (unsigned)n;
			break;
		case OPT_STATUS:
			o->d.status = optarg;
			break;
		case 'q':
			o->d.quiet = 1;
			break;
		case 'v':
			o->d.verbose++;
			break;
		case OPT_SHARD:
			if (main_shard(optarg, &o->d) != 0)
				return main_usage_error(
				    "--shard: expected K/N "
				    "with 0 <= K < N, got '%s'",
				    optarg);
			break;
		case OPT_TIMELINE:
			o->d.timeline = 1;
			break;
		case OPT_TIMELINE_SVG:
			o->d.timeline_svg = optarg;
			break;
		case OPT_TRACE:
			o->d.trace = optarg;
			break;
		case OPT_COMPARE:
			o->d.compare = 1;
			break;
		case OPT_BLOCK_THRESHOLD:
			if (number_duration(
			        optarg, &o->d.block_threshold, &why) != 0 ||
			    o->d.block_threshold < 0)
				return main_usage_error(
				    "--block-threshold: expected a "
				    "duration such as 100ms or 1s, got '%s'",
				    optarg);
			break;
		case OPT_TIME_SCALE:
			if (number_real(optarg, &o->d.time_scale, &why) != 0 ||
			    o->d.time_scale <= 0 ||
			    o->d.time_scale > MAIN_TIME_SCALE_MAX)
				return main_usage_error(
				    "--time-scale: expected a factor greater "
				    "than 0 and at most %d, such as 0.1, got "
				    "'%s'",
				    MAIN_TIME_SCALE_MAX, optarg);
			break;
		case OPT_TIME_AXIS:
			if (number_duration(optarg, &o->d.time_axis, &why) !=
			        0 ||
			    o->d.time_axis <= 0)
				return main_usage_error(
				    "--time-axis: expected a duration greater "
				    "than 0, such as 10 or 10s, got '%s'",
				    optarg);
			break;
		case OPT_SERVE:
			o->serve = optarg;
			break;
		case OPT_UI:
			o->d.ui = optarg;
			break;
		case OPT_MERGE:
			o->merge = 1;
			break;
		case 'h':
			main_usage(stdout);
			exit(main_written());
		case 'V':
			printf("asyncdemo %s\n", PACKAGE_VERSION);
			exit(main_written());
		default:
			fprintf(stderr, "Try 'asyncdemo -h' for help.\n");
			return EX_USAGE;
		}
	}
	if (o->merge)
		return main_merge_args(o, argv + optind, argc - optind);
	if (optind < argc)
		return main_usage_error(
		    "unexpected argument '%s'", argv[optind]);
	if (o->serve == NULL && o->d.file == NULL)
		return main_usage_error("no task file: use -c FILE");
	if (o->d.ui != NULL &&
	    (o->d.status != NULL || o->d.compare || o->d.runs > 0 ||
	        o->d.interval > 0 || o->check))
		return main_usage_error(
		    "--ui runs when its page asks, and serves /status "
		    "itself: not with --status, --compare, --runs, "
		    "--interval or -n");
	return 0;
}

/*
 * A task's offload or blocking, and what it does in this mode: offload
 * is async mode's run_in_executor, and every other mode's factorials
 * already hold their worker; in those modes every delay blocks anyway.
 */
static void
main_plan_flags(const struct config *cf, const struct task *t)
{
	char shown[64];
	char *const *h;

	/* A request's method and headers, secret values as ***. */
	if (t->opts->method != NULL || t->opts->headers != NULL) {
		printf("  [%s",
		    t->opts->method != NULL     ? t->opts->method
		        : t->opts->body != NULL ? "POST"
		                                : "GET");
		for (h = t->opts->headers; h != NULL && *h != NULL; h++) {
			fputs(", ", stdout);
			escape_fputs(stdout,
			    config_header_shown(*h, shown, sizeof shown), 0);
		}
		putchar(']');
	}
	if (t->flags & TASK_OFFLOAD)
		printf("  [offload%s]",
		    cf->mode == MODE_ASYNC
		        ? ": on the executor's threads"
		        : ": ignored outside async mode, runs on its worker");
	if (t->flags & TASK_BLOCKING)
		printf("  [blocking%s]",
		    cf->mode == MODE_ASYNC
		        ? ": holds the event loop, every worker waits"
		        : ": as every delay in this mode");
}

/* -n: what would run, for people; its strings escaped for a terminal. */
static void
main_plan(const struct config *cf, const struct daemon_opts *o)
{
	char buf[16], arg[64];
	const struct task *t;
	size_t i;
	unsigned w;
	int width = snprintf(buf, sizeof buf, "%zu", cf->ntasks);

	escape_fputs(stdout, cf->path, 0);
	printf(": valid\nname: %s\nmode: %s\nworkers: %u", cf->name,
	    config_mode_name(cf->mode), cf->nworkers);
	for (w = 0; cf->workers != NULL && w < cf->nworkers && w < 20; w++)
		printf("%s%s", w == 0 ? " (" : ", ",
		    config_worker_name(cf, w, buf, sizeof buf));
	printf("%s\ntasks: %zu",
	    cf->workers != NULL ? (cf->nworkers > 20 ? ", ...)" : ")") : "",
	    cf->ntasks);
	if (o->shard_n > 0)
		printf(
		    " (shard %u/%u runs those below)", o->shard_k, o->shard_n);
	putchar('\n');
	if (cf->time_scale != 1)
		printf("time scale: %g (the delays below are scaled)\n",
		    cf->time_scale);
	for (i = 0; i < cf->ntasks; i++) {
		if (o->shard_n > 0 && i % o->shard_n != o->shard_k)
			continue;
		t = &cf->tasks[i];
		printf("  %*zu  %s ", width, i + 1, config_kind_name(t->kind));
		escape_fputs(
		    stdout, task_ops(t->kind)->arg(t, arg, sizeof arg), 0);
		if (config_task_name(cf, t) != NULL)
			printf("  (%s)", config_task_name(cf, t));
		main_plan_flags(cf, t);
		putchar('\n');
	}
}

/*
 * Descriptors 0 to 2 that are closed get /dev/null, so that no file the
 * program opens lands on them (a log file on 1 would take the report).
 * Whether stdout was closed: what would go there is then lost, and said.
 */
static int
main_std_fds(void)
{
	int fd, closed = 0;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			exit(EX_OSERR);
		closed |= fd == STDOUT_FILENO;
	}
	return closed;
}

/*
 * The locale's character set, for libcurl's international host names
 * (it converts them from it): a task file is UTF-8, so where the locale
 * says otherwise ("C"), C.UTF-8. Numbers keep the C locale's format.
 */
static void
main_locale(void)
{
	const char *cs;

	if (setlocale(LC_CTYPE, "") == NULL ||
	    (cs = nl_langinfo(CODESET)) == NULL || strcmp(cs, "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
}

int
main(int argc, char **argv)
{
	struct main_opts o;
	struct config *cf = NULL;
	char *cause;
	int rc;

	memset(&o, 0, sizeof o);
	o.d.stdout_closed = main_stdout_closed = main_std_fds();
	o.d.block_threshold = 0.1;
	main_locale();
	factorial_memory_init();
	log_init("asyncdemo", 0);
	if ((rc = main_parse(argc, argv, &o)) != 0)
		return rc;
	log_init("asyncdemo", o.d.verbose);
	if (o.d.log != NULL && log_open_file(o.d.log, &cause) != 0) {
		log_warnx("cannot open log file %s", cause);
		free(cause);
		return EX_TEMPFAIL;
	}
	log_syslog(o.d.syslog);
	if (o.serve != NULL)
		return serve_main(o.serve);
	if (o.merge) {
		rc = merge_main(&o.d, o.merge_files, o.merge_n);
		log_close();
		return main_written() != 0 ? EX_IOERR : rc;
	}
	if ((rc = load_file(&o.d, &cf)) != 0)
		return rc;
	if (o.check) {
		main_plan(cf, &o.d);
		config_free(cf);
		return main_written();
	}
	evthread_use_pthreads();
	rc = daemon_main(cf, &o.d);
	fetch_thread_done();
	fetch_global_free();
	log_close();
	return rc;
}
