/* The typed values of a task file (config-value.c). */
#ifndef CONFIG_VALUE_H_ASYNCDEMO
#define CONFIG_VALUE_H_ASYNCDEMO

struct cfgparse;
struct yaml_reader_event;

char *config_quote(const char *);
const char *config_scalar(
    struct cfgparse *, struct yaml_reader_event *, const char *, const char *);
void config_bad_value(struct cfgparse *, struct yaml_reader_event *,
    const char *, const char *, const char *);
int config_duration(
    struct cfgparse *, struct yaml_reader_event *, const char *, int, double *);
int config_uint(struct cfgparse *, struct yaml_reader_event *, const char *,
    unsigned long long, unsigned long long, unsigned long long *);
char *config_string(
    struct cfgparse *, struct yaml_reader_event *, const char *);
char *config_name(struct cfgparse *, struct yaml_reader_event *, const char *);
int config_bool(
    struct cfgparse *, struct yaml_reader_event *, const char *, int *);
int config_bytes(struct cfgparse *, struct yaml_reader_event *, const char *,
    unsigned long long *);

#endif
