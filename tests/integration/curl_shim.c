/*
 * A libcurl whose multi calls fail as CURL_SHIM says, loaded in its place
 * with ASYNCDEMO_LIBCURL; every other call is libcurl's own.
 *   add_handle     every second curl_multi_add_handle is out of memory
 *   socket_action  the third curl_multi_socket_action fails
 *   assign         every curl_multi_assign fails
 *   remove_handle  every curl_multi_remove_handle fails
 * libcurl's own calls of these, which come here too, are let through.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

static int
shim_on(const char *call)
{
	const char *s = getenv("CURL_SHIM");

	return s != NULL && strcmp(s, call) == 0;
}

static void *
shim_real(const char *name)
{
	void *f;

	if ((f = dlsym(RTLD_NEXT, name)) == NULL)
		abort();
	return f;
}

/* Is the caller libcurl itself? */
static int
shim_from_libcurl(void *caller, void *real)
{
	Dl_info a, b;

	return dladdr(caller, &a) != 0 && dladdr(real, &b) != 0 &&
	    a.dli_fbase == b.dli_fbase;
}

CURLMcode
curl_multi_add_handle(CURLM *m, CURL *e)
{
	static int n;
	CURLMcode (*real)(CURLM *, CURL *);

	*(void **)&real = shim_real("curl_multi_add_handle");
	if (shim_on("add_handle") &&
	    !shim_from_libcurl(__builtin_return_address(0), *(void **)&real) &&
	    ++n % 2 == 0)
		return CURLM_OUT_OF_MEMORY;
	return real(m, e);
}

CURLMcode
curl_multi_socket_action(CURLM *m, curl_socket_t s, int ev, int *running)
{
	static int n;
	CURLMcode (*real)(CURLM *, curl_socket_t, int, int *), rc;

	*(void **)&real = shim_real("curl_multi_socket_action");
	rc = real(m, s, ev, running);
	if (shim_on("socket_action") && ++n == 3)
		return CURLM_INTERNAL_ERROR;
	return rc;
}

CURLMcode
curl_multi_assign(CURLM *m, curl_socket_t s, void *p)
{
	CURLMcode (*real)(CURLM *, curl_socket_t, void *);

	if (shim_on("assign"))
		return CURLM_BAD_SOCKET;
	*(void **)&real = shim_real("curl_multi_assign");
	return real(m, s, p);
}

CURLMcode
curl_multi_remove_handle(CURLM *m, CURL *e)
{
	CURLMcode (*real)(CURLM *, CURL *);

	*(void **)&real = shim_real("curl_multi_remove_handle");
	if (shim_on("remove_handle") &&
	    !shim_from_libcurl(__builtin_return_address(0), *(void **)&real))
		return CURLM_BAD_EASY_HANDLE;
	return real(m, e);
}
