/* asyncdemo: read a task file and run it; the options, then hand over. */
#include "autoconf.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <event2/thread.h>

#include "config.h"
#include "daemon.h"
#include "fetch.h"
#include "log.h"
#include "number.h"
#include "serve.h"
#include "xmalloc.h"

enum {
	OPT_SERVE = 256,
	OPT_SHARD,
};

static const struct option main_longopts[] = {
    {"config", required_argument, NULL, 'c'},
    {"check", no_argument, NULL, 'n'},
    {"mode", required_argument, NULL, 'm'},
    {"workers", required_argument, NULL, 'w'},
    {"json", no_argument, NULL, 'j'},
    {"results", required_argument, NULL, 'o'},
    {"log", required_argument, NULL, 'l'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"serve", required_argument, NULL, OPT_SERVE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Everything the command line may set. */
struct main_opts {
	struct daemon_opts d;
	const char *mode;
	const char *workers;
	const char *log;
	const char *serve;
	int check;
};

static void
main_usage(FILE *f)
{
	fprintf(f,
	    "usage: asyncdemo -c FILE [options]   run the task file\n"
	    "       asyncdemo -c FILE -n          check it, print the plan\n"
	    "       asyncdemo --serve ADDR:PORT   the demo/test HTTP server\n"
	    "       asyncdemo -h | -V\n"
	    "\n"
	    "  -c, --config FILE    the task file (YAML)\n"
	    "  -n, --check          check the file and print what would run\n"
	    "  -m, --mode MODE      sync, cooperative, threads or async\n"
	    "  -w, --workers N|A,B  a worker count or comma-separated names\n"
	    "  -j, --json           JSON Lines on stdout instead of text\n"
	    "  -o, --results FILE   append one JSON line per finished task\n"
	    "  -l, --log FILE       also write diagnostics to FILE\n"
	    "      --shard K/N      run only tasks i with (i-1) mod N = K\n"
	    "  -q, --quiet          nothing on stdout\n"
	    "  -v, --verbose        task starts and more detail\n"
	    "      --serve ADDR:PORT  run the demo/test HTTP server\n"
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

static int
main_parse(int argc, char **argv, struct main_opts *o)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "c:nm:w:jo:l:qvhV", main_longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->d.file = optarg;
			break;
		case 'n':
			o->check = 1;
			break;
		case 'm':
			o->mode = optarg;
			break;
		case 'w':
			o->workers = optarg;
			break;
		case 'j':
			o->d.json = 1;
			break;
		case 'o':
			o->d.results = optarg;
			break;
		case 'l':
			o->log = optarg;
			break;
		case 'q':
			o->d.quiet = 1;
			break;
		case 'v':
			o->d.verbose++;
			break;
		case OPT_SHARD:
			if (main_shard(optarg, &o->d) != 0)
				return main_usage_error("--shard: expected K/N "
				    "with 0 <= K < N, got '%s'", optarg);
			break;
		case OPT_SERVE:
			o->serve = optarg;
			break;
		case 'h':
			main_usage(stdout);
			exit(0);
		case 'V':
			printf("asyncdemo %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			fprintf(stderr, "Try 'asyncdemo -h' for help.\n");
			return EX_USAGE;
		}
	}
	if (optind < argc)
		return main_usage_error("unexpected argument '%s'", argv[optind]);
	if (o->serve == NULL && o->d.file == NULL)
		return main_usage_error("no task file: use -c FILE");
	return 0;
}

/* -w: a count, or a comma-separated list of unique names. */
static int
main_workers(struct config *cf, const char *arg)
{
	unsigned long long n;
	const char *why;
	char **names = NULL, *copy, *p, *name;
	size_t count = 0, i;

	if (number_uint(arg, 1, CONFIG_MAX_WORKERS, &n, &why) != 0) {
		if (*arg >= '0' && *arg <= '9')
			return -1;
		copy = xstrdup(arg);
		for (p = copy; (name = strsep(&p, ",")) != NULL;) {
			for (i = 0; i < count; i++) {
				if (strcmp(names[i], name) == 0)
					break;
			}
			if (*name == '\0' || i < count || count ==
			    CONFIG_MAX_WORKERS) {
				while (count > 0)
					free(names[--count]);
				free(names);
				free(copy);
				return -1;
			}
			names = xreallocarray(names, count + 1, sizeof *names);
			names[count++] = xstrdup(name);
		}
		free(copy);
		n = count;
	}
	for (i = 0; cf->workers != NULL && i < cf->nworkers; i++)
		free(cf->workers[i]);
	free(cf->workers);
	cf->workers = names;
	cf->nworkers = (unsigned)n;
	return 0;
}

/* -n: what would run, for people. */
static void
main_plan(const struct config *cf)
{
	char buf[16];
	const struct task *t;
	size_t i;
	unsigned w;

	printf("%s: valid\nname: %s\nmode: %s\nworkers: %u", cf->path,
	    cf->name, config_mode_name(cf->mode), cf->nworkers);
	for (w = 0; cf->workers != NULL && w < cf->nworkers && w < 20; w++)
		printf("%s%s", w == 0 ? " (" : ", ",
		    config_worker_name(cf, w, buf, sizeof buf));
	printf("%s\ntasks: %zu\n", cf->workers != NULL ? (cf->nworkers > 20 ?
	    ", ...)" : ")") : "", cf->ntasks);
	for (i = 0; i < cf->ntasks; i++) {
		t = &cf->tasks[i];
		printf("  %zu  %s ", i + 1, config_kind_name(t->kind));
		if (t->kind == TASK_DELAY)
			printf("%g", t->num.seconds);
		else if (t->kind == TASK_FACTORIAL)
			printf("%lu", t->num.n);
		else
			printf("%s", t->str);
		if (t->name != NULL)
			printf("  (%s)", t->name);
		putchar('\n');
	}
}

/* Load the file and apply the command line over it. */
static int
main_config(struct main_opts *o, struct config **out)
{
	struct config *cf;
	char *cause;
	int rc;

	if ((rc = config_load(o->d.file, &cf, &cause)) != 0) {
		log_raw("%s", cause);
		free(cause);
		return rc;
	}
	if (o->mode != NULL && config_mode_parse(o->mode, &cf->mode) != 0) {
		config_free(cf);
		return main_usage_error("--mode: expected sync, cooperative, "
		    "threads or async, got '%s'", o->mode);
	}
	if (o->workers != NULL && main_workers(cf, o->workers) != 0) {
		config_free(cf);
		return main_usage_error("--workers: expected a count from 1 to "
		    "100000 or unique comma-separated names, got '%s'",
		    o->workers);
	}
	*out = cf;
	return 0;
}

int
main(int argc, char **argv)
{
	struct main_opts o;
	struct config *cf = NULL;
	char *cause;
	int rc;

	memset(&o, 0, sizeof o);
	log_init("asyncdemo", 0);
	if ((rc = main_parse(argc, argv, &o)) != 0)
		return rc;
	log_init("asyncdemo", o.d.verbose);
	if (o.log != NULL && log_open_file(o.log, &cause) != 0) {
		log_warnx("cannot open log file %s", cause);
		free(cause);
		return EX_TEMPFAIL;
	}
	if (o.serve != NULL)
		return serve_main(o.serve);
	if ((rc = main_config(&o, &cf)) != 0)
		return rc;
	if (o.check) {
		main_plan(cf);
		config_free(cf);
		return 0;
	}
	evthread_use_pthreads();
	fetch_global_init();
	rc = daemon_main(cf, &o.d);
	fetch_thread_done();
	fetch_global_free();
	config_free(cf);
	log_close();
	return rc;
}
