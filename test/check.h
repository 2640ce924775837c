/*
 * check.h
 *		What the C checks of one pure file of src/ share (test/balance,
 *		test/concurrency): CHECK prints "ok NAME", or "FAIL NAME: why" and
 *		counts a failure; main returns the count.  test/c_checks.py builds,
 *		runs and reads them.
 */
#ifndef IC_TEST_CHECK_H
#define IC_TEST_CHECK_H

#include <stdio.h>

static int	failures = 0;

#define CHECK(name, cond, ...) \
	do { \
		if (cond) printf("ok %s\n", name); \
		else { printf("FAIL %s: ", name); printf(__VA_ARGS__); printf("\n"); failures++; } \
	} while (0)

#endif							/* IC_TEST_CHECK_H */
