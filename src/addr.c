/* Split "127.0.0.1:8000", "[::1]:0", "localhost:80" or ":9100" (loopback). */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "number.h"
#include "xmalloc.h"

int
addr_parse(const char *s, char **host, unsigned short *port, char **cause)
{
	const char *colon, *why, *h = s;
	unsigned long long p;
	size_t hlen;

	if ((colon = strrchr(s, ':')) == NULL) {
		xasprintf(cause, "'%s': expected ADDR:PORT", s);
		return -1;
	}
	hlen = (size_t)(colon - s);
	if (*s == '[') {
		if (hlen < 3 || s[hlen - 1] != ']') {
			xasprintf(cause, "'%s': expected [IPV6]:PORT", s);
			return -1;
		}
		h = s + 1;
		hlen -= 2;
	} else if (memchr(s, ':', hlen) != NULL) {
		xasprintf(cause, "'%s': an IPv6 address goes in brackets", s);
		return -1;
	}
	if (number_uint(colon + 1, 0, 65535, &p, &why) != 0) {
		xasprintf(cause, "'%s': invalid port: %s", s, why);
		return -1;
	}
	*host = hlen == 0 ? xstrdup("127.0.0.1") : xstrndup(h, hlen);
	*port = (unsigned short)p;
	return 0;
}
