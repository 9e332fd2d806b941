/* Unit tests for preview.c: streaming UTF-8 text previews. */
#include "autoconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preview.h"

#define FFFD "\xef\xbf\xbd"

/* The preview of len bytes of s, fed in pieces of step bytes. */
static char *
preview_of(const char *s, size_t len, unsigned limit, size_t step)
{
	struct preview *p;
	size_t off, n;

	p = preview_new(limit);
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		preview_add(p, s + off, n);
	}
	return preview_finish(p);
}

/* Check the preview of s, fed whole and one byte at a time. */
static void
check(const char *s, unsigned limit, const char *want)
{
	char *got;

	got = preview_of(s, strlen(s), limit, strlen(s) + 1);
	assert_string_equal(got, want);
	free(got);
	got = preview_of(s, strlen(s), limit, 1);
	assert_string_equal(got, want);
	free(got);
}

static void
test_ascii_is_kept(void **state)
{
	check("hello", 50, "hello");
	check("hello world", 5, "hello");
}

static void
test_whitespace_collapses_and_trims(void **state)
{
	check("  \t\n hello \r\n\f\v  world \n\n", 50, "hello world");
	check(" \t\r\n\f\v ", 50, "");
	check("", 50, "");
}

static void
test_limit_counts_code_points(void **state)
{
	check("héllo wörld", 4, "héll");
	check("héllo wörld", 9, "héllo wör");
	check("日本語のテキスト", 3, "日本語");
	check("a😀b", 2, "a😀");
}

static void
test_multibyte_split_across_pieces(void **state)
{
	const char *s = "€ 😀 é";
	char *got;
	size_t step;

	for (step = 1; step <= 4; step++) {
		got = preview_of(s, strlen(s), 50, step);
		assert_string_equal(got, s);
		free(got);
	}
}

static void
test_invalid_bytes_become_replacement(void **state)
{
	check("a\xffz", 50, "a" FFFD "z");
	check("\x80", 50, FFFD);
	check("\xc0\xaf", 50, FFFD FFFD); /* overlong '/' */
	check("\xe0\x80\xaf", 50, FFFD FFFD FFFD); /* overlong */
	check("\xed\xa0\x80", 50, FFFD FFFD FFFD); /* surrogate */
	check("\xf4\x90\x80\x80", 50, FFFD FFFD FFFD FFFD); /* > U+10FFFF */
	check("\xe2\x82z", 50, FFFD "z"); /* one per maximal subpart */
	check("\xf0\x9f\x98z", 50, FFFD "z");
	check("x\xe2\x82", 50, "x" FFFD); /* cut off at the end */
	check("x\xf0\x9f\x98", 50, "x" FFFD);
}

static void
test_nul_becomes_replacement(void **state)
{
	char *got;

	got = preview_of("a\0b", 3, 50, 1);
	assert_string_equal(got, "a" FFFD "b");
	free(got);
}

static void
test_limit_zero_keeps_nothing(void **state)
{
	check("hello world", 0, "");
}

static void
test_trailing_whitespace_not_counted(void **state)
{
	check("hello   \n\t", 10, "hello");
	check("hello   \n\t", 5, "hello");
	check("ab cd", 2, "ab");
	/* Cut after the collapse and trim, as the contract orders. */
	check("ab cd", 3, "ab ");
}

static void
test_markup_is_kept(void **state)
{
	check("<html>\n  <p class=\"x\">Hi &amp; bye</p>", 50,
	    "<html> <p class=\"x\">Hi &amp; bye</p>");
}

/*
 * Once full, a preview reads no more of what it is fed: 10 MiB of which
 * only the first page (at least 4096 bytes) may be read, the rest of it
 * unreadable (PROT_NONE), so that a byte read past it is a crash, not a
 * time that depends on the machine.
 */
static void
test_huge_input_stops_early(void **state)
{
	size_t len = 10 * 1024 * 1024, page = (size_t)sysconf(_SC_PAGESIZE);
	size_t readable = page < 4096 ? 4096 : page;
	char *s, *got;

	s = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	assert_true(s != MAP_FAILED);
	memset(s, 'x', readable);
	memcpy(s, "  The quick brown fox ", 22);
	assert_int_equal(mprotect(s + readable, len - readable, PROT_NONE), 0);
	got = preview_of(s, len, 50, 4096);
	assert_int_equal(strlen(got), 50);
	assert_memory_equal(got, "The quick brown fox xxx", 23);
	free(got);
	munmap(s, len);
}

static void
test_free_discards(void **state)
{
	struct preview *p;

	p = preview_new(10);
	preview_add(p, "some text \xe2", 11);
	preview_free(p);
	preview_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ascii_is_kept),
	    cmocka_unit_test(test_whitespace_collapses_and_trims),
	    cmocka_unit_test(test_limit_counts_code_points),
	    cmocka_unit_test(test_multibyte_split_across_pieces),
	    cmocka_unit_test(test_invalid_bytes_become_replacement),
	    cmocka_unit_test(test_nul_becomes_replacement),
	    cmocka_unit_test(test_limit_zero_keeps_nothing),
	    cmocka_unit_test(test_trailing_whitespace_not_counted),
	    cmocka_unit_test(test_markup_is_kept),
	    cmocka_unit_test(test_huge_input_stops_early),
	    cmocka_unit_test(test_free_discards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
