/* A task file, loaded and validated: immutable once loaded. */
#ifndef CONFIG_H_ASYNCDEMO
#define CONFIG_H_ASYNCDEMO

#include <stddef.h>
#include <stdint.h>

enum task_kind {
	TASK_DELAY,
	TASK_FACTORIAL,
	TASK_URL,
	TASK_FILE,
	TASK_TCP,
	TASK_EXEC,
};
#define TASK_NKINDS 6

enum mode {
	MODE_SYNC,
	MODE_COOPERATIVE,
	MODE_THREADS,
	MODE_ASYNC,
};
#define MODE_COUNT 4

#define CONFIG_MAX_WORKERS 100000
#define CONFIG_MAX_FACTORIAL 1000000
#define CONFIG_MAX_ERRORS 20

/* A status a check accepts: a code (lo == hi) or a class such as 2xx. */
struct status_range {
	uint16_t lo;
	uint16_t hi;
};

/* What a check expects (expect:); 0 or NULL for what it does not ask. */
struct task_expect {
	const struct status_range *status; /* none: the kind's own rule */
	size_t nstatus;
	const char *body; /* the body (or output, or answer) contains it */
	const char *body_regex; /* as written, for messages */
	const void *regex; /* its regex_t, compiled with REG_EXTENDED */
	double max_time; /* slower is a failure */
	unsigned cert_days; /* https: the certificate lasts this long */
};

/* Options a task may set itself or take from defaults. */
struct task_opts {
	double timeout;
	double retry_delay;
	double retry_max_delay;
	unsigned long long max_bytes;
	unsigned retries;
	unsigned preview;
	unsigned yield_every;
	double time_scale; /* a server's Retry-After is scaled too */

	/* Checks (url, tcp, exec): NULL or 0 unless the file set them. */
	const struct task_expect *expect;
	const char *method; /* url: NULL is GET */
	char *const *headers; /* url: "Name: value", NULL-ended */
	const char *body; /* url: the request's body */
	const char *send; /* tcp: sent once connected */
	const char *ca_file; /* url: resolved paths */
	const char *client_cert;
	const char *client_key;
	unsigned insecure; /* url: no certificate check */
	const char *cwd; /* exec: resolved */
	char *const *env; /* exec: "NAME=value" added, NULL-ended */
};

/* The task's str is a URL shown with its password as ***; the one to
 * fetch follows it, after its NUL. */
#define TASK_SECRET 0x1
/* factorial: run on the executor pool in async mode (run_in_executor). */
#define TASK_OFFLOAD 0x2
/* delay: sleep holding the thread, as time.sleep() in a coroutine. */
#define TASK_BLOCKING 0x4
/* exec: str is the command shown; after its NUL come the arguments, each
 * NUL-ended, then an empty string (config_exec_argv). Without it, str is
 * a command for /bin/sh -c. */
#define TASK_ARGV 0x8

/* One task: kept small, a file may hold a million. */
struct task {
	uint8_t kind;
	uint8_t flags;
	uint32_t line; /* its number is its place: config_task_index */
	union {
		double seconds; /* delay */
		unsigned long n; /* factorial */
		char *str; /* url, file, tcp, exec: see config_has_str */
	} arg;
	const struct task_opts *opts;
};

struct config {
	char *path;
	char *dir;
	char *name;
	char *description;
	enum mode mode;
	enum mode file_mode; /* as the file says: its description's */
	unsigned nworkers;
	char **workers;
	double interval;
	double jitter;
	double shutdown_timeout;
	double rate;
	double time_scale; /* --time-scale: delays already multiplied */
	struct task_opts defaults;
	struct task_opts file_defaults; /* no timeout unless the file's */
	struct task *tasks;
	size_t ntasks;
	char **names; /* by a task's place: config_task_name */
	size_t nnames; /* the places it covers; the rest have no name */
	size_t nkind[TASK_NKINDS]; /* tasks of each kind */
	size_t nowned; /* tasks that may hold memory of their own */
	size_t noffload; /* factorials with offload: true */
	struct config_kept *kept; /* what the check options allocated */
	size_t nkept;
	size_t keptcap;
};

int config_load(const char *, struct config **, char **);
int config_load_buffer(
    const char *, const char *, size_t, struct config **, char **);
void config_free(struct config *);
int config_set_workers(struct config *, const char *, char **);
void config_scale_time(struct config *, double);
unsigned config_task_index(const struct config *, const struct task *);
const char *config_task_name(const struct config *, const struct task *);
int config_has_str(const struct task *);
const char *config_url(const struct task *);
size_t config_exec_argv(const struct task *, const char **, size_t);
int config_tcp_target(const char *, char **, unsigned *);
const char *config_header_shown(const char *, char *, size_t);
char *config_mask_url(const char *);
const char *config_name_error(const char *);

const char *config_mode_name(enum mode);
int config_mode_parse(const char *, enum mode *);
const char *config_mode_suggest(const char *);
const char *config_mode_story(enum mode);
const char *config_kind_name(enum task_kind);
int config_kind_parse(const char *, enum task_kind *);
const char *config_worker_name(const struct config *, unsigned, char *, size_t);
char *config_resolve(const struct config *, const char *);
const char *config_suggest(const char *, const char *const *);

#endif
