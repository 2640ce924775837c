/*-------------------------------------------------------------------------
 *
 * balance.c
 *		The arithmetic of partition balancing (balance.h): given how many
 *		records lie below each probed cut, where to probe next and where
 *		to cut. Pure functions: palloc is the only thing they use of
 *		PostgreSQL (test/balance/ links them with libpgcommon's frontend
 *		palloc).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdlib.h>

#include "balance.h"

void
ic_cut_table_init(IcCutTable *t, int cap)
{
	t->cap = Max(cap, 2);
	t->n = 0;
	t->points = palloc(sizeof(IcCutCount) * t->cap);
}

/* Add a point, keeping the table sorted; a cut already known is kept as is. */
void
ic_cut_insert(IcCutTable *t, int64 cut, int64 below)
{
	int			i = t->n;

	for (int k = 0; k < t->n; k++)
		if (t->points[k].cut == cut)
			return;
	if (t->n == t->cap)
	{
		t->cap *= 2;
		t->points = repalloc(t->points, sizeof(IcCutCount) * t->cap);
	}
	while (i > 0 && t->points[i - 1].cut > cut)
	{
		t->points[i] = t->points[i - 1];
		i--;
	}
	t->points[i].cut = cut;
	t->points[i].below = below;
	t->n++;
}

/* Records between point a and the next. */
static int64
bracket_count(const IcCutTable *t, int a)
{
	return t->points[a + 1].below - t->points[a].below;
}

static int64
bracket_width(const IcCutTable *t, int a)
{
	return t->points[a + 1].cut - t->points[a].cut;
}

/* A partial page is a request of its own: round the share up to pages. */
int64
ic_partition_target(int64 total, int nslots, int per_page)
{
	int64		target = Max(total / (2 * nslots), 1);

	return (target + per_page - 1) / per_page * per_page;
}

/*
 * ic_refine_cuts
 *		New candidate cuts for the next round: every known bracket holding
 *		more than limit records, if wide enough, is divided evenly into
 *		about count / limit parts, the budget of max cuts shared in
 *		proportion, fullest brackets first.  Returns how many cuts were put
 *		into cuts.
 */
int
ic_refine_cuts(const IcCutTable *t, int64 limit, int64 min_step, int64 *cuts, int max)
{
	int			n = 0;
	int64		wanted = 0;
	bool	   *done = palloc0(sizeof(bool) * Max(t->n, 1));

	for (int a = 0; a + 1 < t->n; a++)
		if (bracket_count(t, a) > limit && bracket_width(t, a) >= 2 * min_step)
			wanted += (bracket_count(t, a) + limit - 1) / limit - 1;
	while (n < max && wanted > 0)
	{
		int			best = -1;
		int64		k;

		for (int a = 0; a + 1 < t->n; a++)
			if (!done[a] && bracket_count(t, a) > limit && bracket_width(t, a) >= 2 * min_step &&
				(best < 0 || bracket_count(t, a) > bracket_count(t, best)))
				best = a;
		if (best < 0)
			break;
		done[best] = true;
		k = ((bracket_count(t, best) + limit - 1) / limit - 1) * max / Max(wanted, max);
		k = Min(Max(k, 1), bracket_width(t, best) / min_step - 1);
		for (int64 i = 1; i <= k && n < max; i++)
			cuts[n++] = t->points[best].cut + bracket_width(t, best) * i / (k + 1);
	}
	pfree(done);
	return n;
}

/*
 * ic_worth_refining
 *		Another round trip of probes pays when a bracket holds more than two
 *		partitions' worth, or when many (half a round of probes) are over
 *		the target; a few brackets a little over it are left to the queue,
 *		which starts the largest partitions first.
 */
bool
ic_worth_refining(const IcCutTable *t, int64 target, int nslots)
{
	int			over = 0;

	for (int a = 0; a + 1 < t->n; a++)
	{
		if (bracket_count(t, a) > 2 * target)
			return true;
		if (bracket_count(t, a) > target)
			over++;
	}
	return over >= Max(nslots / 2, 1);
}

/*
 * ic_group_cuts
 *		Walk the points and cut where going on to the next point would
 *		overshoot the target more than stopping here. The last partition
 *		takes the rest (total minus the last cut's count).
 */
int
ic_group_cuts(const IcCutTable *t, int64 total, int64 target, int64 *chosen, int64 *estimate)
{
	int			nchosen = 0;
	int64		start = 0;

	for (int j = 1; j < t->n - 1; j++)
	{
		int64		here = t->points[j].below - start;
		int64		next = t->points[j + 1].below - start;

		if (here > 0 && t->points[j].below < total &&
			(next > target && llabs(here - target) <= llabs(next - target)))
		{
			estimate[nchosen] = here;
			chosen[nchosen++] = t->points[j].cut;
			start = t->points[j].below;
		}
	}
	return nchosen;
}
