/*
 * balance_check: src/paging/balance.c on its own, outside PostgreSQL.
 * Each check prints "ok NAME" or "FAIL NAME: why"; the exit status is the
 * number of failures. Built and run by test_balance.py (test/c_checks.py).
 */
#include <stdio.h>
#include <stdlib.h>

#include "postgres.h"
#include "balance.h"
#include "check.h"

/* a table from cuts 0, step, 2 step, ... with the counts below each */
static IcCutTable
table_of(const int64 *below, int n, int64 step)
{
	IcCutTable	t;

	ic_cut_table_init(&t, 2);
	for (int i = n - 1; i >= 0; i--)	/* inserted out of order on purpose */
		ic_cut_insert(&t, i * step, below[i]);
	return t;
}

static void
check_insert(void)
{
	int64		below[] = {0, 10, 25, 40};
	IcCutTable	t = table_of(below, 4, 100);
	bool		sorted = true;

	ic_cut_insert(&t, 100, 999);	/* a known cut keeps its count */
	for (int i = 1; i < t.n; i++)
		sorted &= t.points[i - 1].cut < t.points[i].cut;
	CHECK("insert keeps cuts sorted and grows", t.n == 4 && sorted && t.cap >= 4,
		  "n=%d sorted=%d", t.n, sorted);
	CHECK("insert ignores a known cut", t.points[1].below == 10, "below=%lld",
		  (long long) t.points[1].below);
}

static void
check_target(void)
{
	CHECK("target: two partitions per slot, whole pages",
		  ic_partition_target(100000, 8, 150) == 6300, "got %lld",
		  (long long) ic_partition_target(100000, 8, 150));
	CHECK("target: at least one page", ic_partition_target(3, 8, 150) == 150, "got %lld",
		  (long long) ic_partition_target(3, 8, 150));
}

static void
check_refine(void)
{
	/* one bracket of 1000 records over [0, 1000), limit 100: 9 even cuts */
	int64		below[] = {0, 1000};
	IcCutTable	t = table_of(below, 2, 1000);
	int64		cuts[64];
	int			n = ic_refine_cuts(&t, 100, 1, cuts, 64);
	bool		even = n == 9;

	for (int i = 0; i < n && even; i++)
		even = cuts[i] == (i + 1) * 100;
	CHECK("refine splits a full bracket evenly", even, "n=%d first=%lld", n, (long long) cuts[0]);

	/* the budget caps the cuts, and goes to the fullest bracket first */
	{
		int64		b2[] = {0, 900, 1000};
		IcCutTable	t2 = table_of(b2, 3, 1000);

		n = ic_refine_cuts(&t2, 100, 1, cuts, 4);
		CHECK("refine respects the budget, fullest first",
			  n == 4 && cuts[0] > 0 && cuts[3] < 1000, "n=%d cuts[0]=%lld cuts[3]=%lld", n,
			  (long long) cuts[0], (long long) cuts[n > 0 ? n - 1 : 0]);
	}
	/* a bracket narrower than two steps (one day by day) is not split */
	{
		int64		b3[] = {0, 5000};
		IcCutTable	t3 = table_of(b3, 2, 86400 + 1);

		n = ic_refine_cuts(&t3, 100, 86400, cuts, 64);
		CHECK("refine leaves a bracket narrower than two steps", n == 0, "n=%d", n);
	}
	/* nothing over the limit: nothing to refine */
	{
		int64		b4[] = {0, 50, 100, 150};
		IcCutTable	t4 = table_of(b4, 4, 10);

		n = ic_refine_cuts(&t4, 100, 1, cuts, 64);
		CHECK("refine: no bracket over the limit, no cuts", n == 0, "n=%d", n);
	}
}

static void
check_worth(void)
{
	int64		over2[] = {0, 50, 300};
	int64		few[] = {0, 120, 200, 300};
	IcCutTable	a = table_of(over2, 3, 10);
	IcCutTable	b = table_of(few, 4, 10);

	CHECK("worth refining: a bracket over twice the target", ic_worth_refining(&a, 100, 8), "no");
	CHECK("not worth it: one bracket a little over, 8 slots", !ic_worth_refining(&b, 100, 8), "yes");
	CHECK("worth it: one bracket over with 2 slots", ic_worth_refining(&b, 100, 2), "no");
}

static void
check_group(void)
{
	/* ten brackets of 100 records: partitions of 300 cut every 3 brackets */
	int64		below[12];
	IcCutTable	t;
	int64		chosen[12];
	int64		estimate[12];
	int			n;
	int64		sum = 0;
	bool		near = true;

	for (int i = 0; i <= 10; i++)
		below[i] = i * 100;
	t = table_of(below, 11, 10);
	n = ic_group_cuts(&t, 1000, 300, chosen, estimate);
	for (int i = 0; i < n; i++)
	{
		sum += estimate[i];
		near &= estimate[i] == 300;
	}
	CHECK("group: partitions of the target", n == 3 && near, "n=%d", n);
	CHECK("group: estimates are the counts between cuts", sum == t.points[9].below &&
		  chosen[n - 1] == t.points[9].cut, "sum=%lld", (long long) sum);
	/* a tie (250 and 350 both 50 from 300): cut before overshooting */
	{
		int64		tie[] = {0, 250, 350, 1000};
		IcCutTable	t2 = table_of(tie, 4, 10);

		n = ic_group_cuts(&t2, 1000, 300, chosen, estimate);
		CHECK("group: a tie cuts before overshooting", n >= 1 && chosen[0] == 10 && estimate[0] == 250,
			  "n=%d chosen[0]=%lld", n, (long long) chosen[0]);
	}
	/* everything in one bracket: no cut */
	{
		int64		one[] = {0, 1000};
		IcCutTable	t1 = table_of(one, 2, 10);

		CHECK("group: one bracket, no cut", ic_group_cuts(&t1, 1000, 300, chosen, estimate) == 0, "cut");
	}
}

int
main(void)
{
	check_insert();
	check_target();
	check_refine();
	check_worth();
	check_group();
	return failures;
}
