/* Diagnostics: stderr in the foreground, a log file or syslog when asked. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#define PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))

void log_init(const char *, int);
int log_open_file(const char *, char **);
int log_reopen(char **);
void log_syslog(int);
int log_syslog_works(void);
void log_stderr(int);
void log_stderr_nonblock(void);
void log_close(void);
int log_verbose(void);

void log_warn(const char *, ...) PRINTFLIKE(1, 2);
void log_warnx(const char *, ...) PRINTFLIKE(1, 2);
void log_info(const char *, ...) PRINTFLIKE(1, 2);
void log_debug(const char *, ...) PRINTFLIKE(1, 2);
void log_raw(const char *, ...) PRINTFLIKE(1, 2);
__attribute__((noreturn)) void fatal(const char *, ...) PRINTFLIKE(1, 2);
__attribute__((noreturn)) void fatalx(const char *, ...) PRINTFLIKE(1, 2);

#endif
