/*
 * check — the smallest test harness: CHECK(cond, "what") prints one line
 * per check; check_done() prints "N passed, N failed" and gives the exit
 * status.  One instance per test program (file-scope counters).
 */
#ifndef ZW_CHECK_H
#define ZW_CHECK_H

#include <stdio.h>

static unsigned check_passed, check_failed;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (cond) {                                                     \
			check_passed++;                                         \
		} else {                                                        \
			check_failed++;                                         \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);             \
			printf(__VA_ARGS__);                                    \
			printf("  [%s]\n", #cond);                              \
		}                                                               \
	} while (0)

static inline int check_done(void)
{
	printf("%u passed, %u failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
