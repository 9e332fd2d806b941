/* ${VAR} and ${VAR:-default} in a task file's scalars (envsubst.c). */
#ifndef ENVSUBST_H_ASYNCDEMO
#define ENVSUBST_H_ASYNCDEMO

#include <stddef.h>

int envsubst(const char *, char **, size_t *, char **);

#endif
