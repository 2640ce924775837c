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
	t->points[i].taken = false;
	t->n++;
}

/* A probe that told nothing: its cut is dropped, and its bracket is whole again. */
void
ic_cut_forget(IcCutTable *t, int64 cut)
{
	for (int k = 0; k < t->n; k++)
		if (t->points[k].cut == cut && t->points[k].below == IC_BELOW_UNKNOWN)
		{
			memmove(&t->points[k], &t->points[k + 1], sizeof(IcCutCount) * (t->n - k - 1));
			t->n--;
			return;
		}
}

/* A probe's answer: the count below a cut inserted as IC_BELOW_UNKNOWN. */
void
ic_cut_learn(IcCutTable *t, int64 cut, int64 below)
{
	for (int k = 0; k < t->n; k++)
		if (t->points[k].cut == cut && t->points[k].below == IC_BELOW_UNKNOWN)
			t->points[k].below = below;
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
 * A bracket the probes should split: it holds more than a slot's share
 * (two partitions' target), so read as one partition it would outlast the
 * scan, and it is wide enough to cut.  Brackets between the target and a
 * slot's share are read as they are: the queue starts the largest first,
 * and splitting them would cost more requests than it saves time.
 */
static bool
needs_split(const IcCutTable *t, int a, int64 target, int64 min_step)
{
	return bracket_count(t, a) > 2 * target && bracket_width(t, a) >= 2 * min_step;
}

/* ic_worth_refining: whether another round of probes has a bracket to split. */
bool
ic_worth_refining(const IcCutTable *t, int64 target, int64 min_step)
{
	for (int a = 0; a + 1 < t->n; a++)
		if (!t->points[a].taken && needs_split(t, a, target, min_step))
			return true;
	return false;
}

/*
 * A bracket that can go into a partition now: not taken, both ends counted
 * (no probe under way inside it or at its ends), and no probe will split
 * it, or the probing is over (final).
 */
static bool
takeable(const IcCutTable *t, int a, int64 target, int64 min_step, bool final)
{
	return !t->points[a].taken &&
		t->points[a].below != IC_BELOW_UNKNOWN && t->points[a + 1].below != IC_BELOW_UNKNOWN &&
		(final || !needs_split(t, a, target, min_step));
}

/* The partition from point i to point j; the table's first and last points are the open ends. */
static IcCutRange
range_of(const IcCutTable *t, int i, int j)
{
	IcCutRange	r;

	r.has_lo = i > 0;
	r.has_hi = j < t->n - 1;
	r.lo = t->points[i].cut;
	r.hi = t->points[j].cut;
	r.estimate = t->points[j].below - t->points[i].below;
	return r;
}

/*
 * group_run
 *		The brackets from point a to point b as partitions: walk the points
 *		and cut where going on to the next would overshoot the target more
 *		than stopping here (never leaving an empty rest).  Marks them taken.
 */
static int
group_run(IcCutTable *t, int a, int b, int64 target, IcCutRange *out)
{
	int			n = 0;
	int			start = a;

	for (int j = a + 1; j < b; j++)
	{
		int64		here = t->points[j].below - t->points[start].below;
		int64		next = t->points[j + 1].below - t->points[start].below;

		if (here > 0 && t->points[j].below < t->points[b].below &&
			next > target && llabs(here - target) <= llabs(next - target))
		{
			out[n++] = range_of(t, start, j);
			start = j;
		}
	}
	out[n++] = range_of(t, start, b);
	for (int k = a; k < b; k++)
		t->points[k].taken = true;
	return n;
}

/*
 * ic_take_partitions
 *		Partitions that can be read while the probing goes on: each run of
 *		takeable brackets, once it holds half a partition (a smaller one
 *		waits to join its neighbours when they are counted), or any run
 *		when final.  A taken bracket is never split again, so what is read
 *		now stays exact whatever the later probes learn.
 */
int
ic_take_partitions(IcCutTable *t, int64 target, int64 min_step, bool final, IcCutRange *out)
{
	int			n = 0;
	int			a = 0;

	while (a + 1 < t->n)
	{
		int			b = a;

		while (b + 1 < t->n && takeable(t, b, target, min_step, final))
			b++;
		if (b == a)
		{
			a++;
			continue;
		}
		if (final || 2 * (t->points[b].below - t->points[a].below) >= target)
			n += group_run(t, a, b, target, out + n);
		a = b;
	}
	return n;
}
