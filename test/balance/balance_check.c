/*
 * balance_check: src/paging/balance.c on its own, outside PostgreSQL.
 * Each check prints "ok NAME" or "FAIL NAME: why"; the exit status is the
 * number of failures. Built and run by test_balance.py (test/c_checks.py).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	CHECK("worth refining: a bracket over a slot's share", ic_worth_refining(&a, 100, 1), "no");
	CHECK("not worth it: brackets a little over the target", !ic_worth_refining(&b, 100, 1), "yes");
	CHECK("not worth it: a full bracket too narrow to cut", !ic_worth_refining(&a, 100, 10), "yes");
}

static int
by_lo(const void *a, const void *b)
{
	int64		x = ((const IcCutRange *) a)->lo;
	int64		y = ((const IcCutRange *) b)->lo;

	return (x > y) - (x < y);
}

/* the partitions tile [first cut, last cut) in order, and their estimates add up */
static bool
tiles(const IcCutTable *t, IcCutRange *r, int n)
{
	int64		sum = 0;

	for (int i = 0; i < n; i++)
	{
		sum += r[i].estimate;
		if (r[i].has_lo != (r[i].lo != t->points[0].cut) ||
			r[i].has_hi != (r[i].hi != t->points[t->n - 1].cut) ||
			(i > 0 && r[i].lo != r[i - 1].hi) || r[i].lo >= r[i].hi)
			return false;
	}
	return n > 0 && r[0].lo == t->points[0].cut && r[n - 1].hi == t->points[t->n - 1].cut &&
		sum == t->points[t->n - 1].below - t->points[0].below;
}

static void
check_take(void)
{
	int64		below[12];
	IcCutTable	t;
	IcCutRange	r[32];
	int			n;
	bool		near = true;

	/* ten brackets of 100 records, target 300: partitions of about 300 */
	for (int i = 0; i <= 10; i++)
		below[i] = i * 100;
	t = table_of(below, 11, 10);
	n = ic_take_partitions(&t, 300, 1, false, r);
	for (int i = 0; i < n - 1; i++)
		near &= r[i].estimate == 300;
	CHECK("take: settled brackets grouped into partitions of the target", n == 4 && near,
		  "n=%d", n);
	CHECK("take: the partitions tile the range, open at both ends", tiles(&t, r, n), "gap");
	CHECK("take: what is taken is not taken again", ic_take_partitions(&t, 300, 1, true, r) == 0,
		  "taken twice");

	/* a probe under way: the brackets at its cut wait; the others are read */
	for (int i = 0; i <= 10; i++)
		below[i] = i * 100;
	t = table_of(below, 11, 10);
	ic_cut_insert(&t, 55, IC_BELOW_UNKNOWN);
	n = ic_take_partitions(&t, 300, 1, false, r);
	{
		bool		clear = true;

		for (int i = 0; i < n; i++)
			clear &= r[i].hi <= 50 || r[i].lo >= 60;
		CHECK("take: brackets at a pending cut wait, the others are read",
			  n >= 2 && clear && !t.points[5].taken && !t.points[6].taken, "n=%d", n);
	}
	{
		IcCutRange	all[32];
		int			m;

		/* its count lands: the two brackets (100 records) wait for final, then fill the gap */
		memcpy(all, r, sizeof(IcCutRange) * n);
		ic_cut_learn(&t, 55, 550);
		m = ic_take_partitions(&t, 300, 1, false, all + n);
		CHECK("take: a landed count leaves a small run for final", m == 0, "m=%d", m);
		m = ic_take_partitions(&t, 300, 1, true, all + n);
		qsort(all, n + m, sizeof(IcCutRange), by_lo);
		CHECK("take: the partitions taken over time tile the range", m == 1 && tiles(&t, all, n + m),
			  "m=%d", m);
	}

	/* a bracket over the target waits for its refinement; final takes it */
	{
		int64		b2[] = {0, 100, 900, 1000};

		t = table_of(b2, 4, 10);
		n = ic_take_partitions(&t, 300, 1, false, r);
		CHECK("take: a bracket over the target is not read before final", n == 0 && !t.points[1].taken,
			  "n=%d", n);
		n = ic_take_partitions(&t, 300, 1, true, r);
		CHECK("take: final takes everything left", tiles(&t, r, n), "n=%d", n);
	}
	/* too narrow to split (a day, by day): read as it is */
	{
		int64		b3[] = {0, 900, 1000};

		t = table_of(b3, 3, 86400);
		n = ic_take_partitions(&t, 300, 86400, false, r);
		CHECK("take: a bracket too narrow to split is read at once", n >= 1 && t.points[0].taken,
			  "n=%d", n);
	}
	/* a run under half a partition waits to join its neighbours */
	{
		int64		b4[] = {0, 100, 1000};

		t = table_of(b4, 3, 10);
		n = ic_take_partitions(&t, 300, 1, false, r);
		CHECK("take: a run under half the target waits", n == 0, "n=%d", n);
	}
	/* a probe that told nothing: its cut is dropped */
	{
		int64		b5[] = {0, 1000};

		t = table_of(b5, 2, 1000);
		ic_cut_insert(&t, 500, IC_BELOW_UNKNOWN);
		ic_cut_forget(&t, 500);
		CHECK("forget drops a pending cut", t.n == 2 && t.points[1].cut == 1000, "n=%d", t.n);
	}
}

int
main(void)
{
	check_insert();
	check_target();
	check_refine();
	check_worth();
	check_take();
	return failures;
}
