/*
 * libFuzzer target for the task-file loader: any bytes must load or fail
 * with a message, without a crash, a leak, a hang or unbounded memory.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cf = NULL;
	char *cause = NULL;

	if (config_load_buffer(
	        "fuzz.yaml", (const char *)data, size, &cf, &cause) == 0) {
		/* A loaded file must be whole: touch what the run reads. */
		if (cf->ntasks == 0 || cf->nworkers == 0 || cf->name == NULL)
			abort();
		if (cf->tasks[cf->ntasks - 1].opts == NULL)
			abort();
		config_free(cf);
	} else if (cause == NULL || *cause == '\0')
		abort(); /* every failure says why */
	free(cause);
	return 0;
}
