/*-------------------------------------------------------------------------
 *
 * partition_balance.c
 *		Where a partitioned scan cuts created_at, so that the partitions hold
 *		about the same number of records: one-record searches for the range,
 *		then total_count probes at cuts spread over it and refined where the
 *		records are (see "Balance" in partition.c's header).
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "partition_internal.h"

#include <stdlib.h>

#include "utils/memutils.h"

/*
 * run_probes
 *		Send n one-record searches, at most nslots at a time, and decode
 *		each response into cxt.
 */
static void
run_probes(IcPartitionScan *ps, IcAsyncRequest **handles, IcRequest *requests, int n,
		   IcJson **roots, MemoryContext cxt)
{
	int		   *which = palloc(sizeof(int) * ps->nslots);
	int			started = 0;
	int			finished = 0;

	for (int s = 0; s < ps->nslots; s++)
		which[s] = -1;
	while (finished < n)
	{
		int			s;
		MemoryContext old;

		for (s = 0; s < ps->nslots && started < n; s++)
			if (which[s] < 0)
			{
				which[s] = started;
				ic_part_slot_start(ps, handles[s], requests[started++]);
			}
		s = ic_async_wait_any(handles, ps->nslots);
		Assert(s >= 0 && which[s] >= 0);
		old = MemoryContextSwitchTo(cxt);
		roots[which[s]] = ic_part_slot_finish(ps, handles[s]);
		MemoryContextSwitchTo(old);
		which[s] = -1;
		finished++;
	}
}

static bool
probe_total(IcJson *root, int64 *total)
{
	return ic_part_json_int64(ic_json_get(root, "total_count"), total);
}

/* created_at of the one record a sorted probe returned */
static bool
probe_key(IcPartitionScan *ps, IcJson *root, int64 *value)
{
	IcJson	   *records = ic_part_page_records(ps, root);

	return records->len > 0 &&
		ic_part_json_int64(ic_json_get(ic_json_item(records, 0), PARTITION_KEY), value);
}

/* What the probes know: "created_at < cut" holds for `below` records. */
typedef struct IcCutCount
{
	int64		cut;
	int64		below;
} IcCutCount;

typedef struct IcCutTable
{
	IcCutCount *points;			/* sorted by cut (and so by below) */
	int			n;
	int			cap;
} IcCutTable;

static void
cut_insert(IcCutTable *t, int64 cut, int64 below)
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

/* Count the records below each cut (one-record searches), into t. */
static bool
probe_cuts(IcPartitionScan *ps, IcAsyncRequest **handles, int64 *cuts, int n,
		   IcCutTable *t, MemoryContext cxt)
{
	IcRequest  *requests = palloc(sizeof(IcRequest) * n);
	IcJson	  **roots = palloc(sizeof(IcJson *) * n);

	for (int i = 0; i < n; i++)
		requests[i] = ic_part_request(ps, ic_part_and_query(ps, ic_part_key_leaf("<", cuts[i]), NULL), 1, NULL, NULL);
	run_probes(ps, handles, requests, n, roots, cxt);
	for (int i = 0; i < n; i++)
	{
		int64		below;

		if (!probe_total(roots[i], &below))
			return false;
		cut_insert(t, cuts[i], below);
	}
	return true;
}

/*
 * refine_cuts
 *		New candidate cuts for the next round: every known bracket holding
 *		more than limit records, if wide enough, is divided evenly into
 *		about count / limit parts, the budget of max cuts shared in
 *		proportion, fullest brackets first.  Returns how many cuts were put
 *		into cuts.
 */
static int
refine_cuts(IcCutTable *t, int64 limit, int64 min_step, int64 *cuts, int max)
{
	int			n = 0;
	int64		wanted = 0;
	bool	   *done = palloc0(sizeof(bool) * t->n);

	for (int a = 0; a + 1 < t->n; a++)
	{
		int64		count = t->points[a + 1].below - t->points[a].below;

		if (count > limit && t->points[a + 1].cut - t->points[a].cut >= 2 * min_step)
			wanted += (count + limit - 1) / limit - 1;
	}
	while (n < max && wanted > 0)
	{
		int			best = -1;
		int64		count;
		int64		width;
		int64		k;

		for (int a = 0; a + 1 < t->n; a++)
		{
			count = t->points[a + 1].below - t->points[a].below;
			if (!done[a] && count > limit &&
				t->points[a + 1].cut - t->points[a].cut >= 2 * min_step &&
				(best < 0 || count > t->points[best + 1].below - t->points[best].below))
				best = a;
		}
		if (best < 0)
			break;
		done[best] = true;
		count = t->points[best + 1].below - t->points[best].below;
		width = t->points[best + 1].cut - t->points[best].cut;
		k = ((count + limit - 1) / limit - 1) * max / Max(wanted, max);
		k = Min(Max(k, 1), width / min_step - 1);
		for (int64 i = 1; i <= k && n < max; i++)
			cuts[n++] = t->points[best].cut + width * i / (k + 1);
	}
	return n;
}

/*
 * worth_refining
 *		Another round trip of probes pays when a bracket holds more than two
 *		partitions' worth, or when many (half a round of probes) are over
 *		the target; a few brackets a little over it are left to the queue,
 *		which starts the largest partitions first.
 */
static bool
worth_refining(IcCutTable *t, int64 target, int nslots)
{
	int			over = 0;

	for (int a = 0; a + 1 < t->n; a++)
	{
		int64		count = t->points[a + 1].below - t->points[a].below;

		if (count > 2 * target)
			return true;
		if (count > target)
			over++;
	}
	return over >= Max(nslots / 2, 1);
}

/* Largest estimated partition first: the slots then end close together. */
static int
by_size_desc(const void *a, const void *b)
{
	int64		x = ((const IcPartition *) a)->estimate;
	int64		y = ((const IcPartition *) b)->estimate;

	return (x < y) - (x > y);
}

/*
 * ic_part_choose_cuts
 *		Probe the distribution and fill ps->parts.  False when the scan
 *		should stay sequential (coverage differs, or no room to split).
 *
 *		Round 0: the range and the covered total (two sorted one-record
 *		searches).  Round 1: counts at CUTS_PER_SLOT cuts per slot, spread
 *		evenly over the range.  Rounds 2 to 4: brackets still holding more
 *		than a partition's target (half a slot's share) are split again in
 *		proportion to their counts, one probe per slot per round.  Then
 *		adjacent brackets are grouped into partitions of about that target,
 *		queued largest first.
 */
bool
ic_part_choose_cuts(IcPartitionScan *ps, int64 seq_total)
{
	MemoryContext probe_cxt = AllocSetContextCreate(CurrentMemoryContext,
													"intercom_fdw partition probes",
													ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(probe_cxt);
	IcAsyncRequest **handles = palloc(sizeof(IcAsyncRequest *) * ps->nslots);
	int			max_cuts = ps->nslots * CUTS_PER_SLOT;
	int64		min_step = ps->exact ? SECS_PER_DAY_INT : 1;
	int64	   *cuts = palloc(sizeof(int64) * max_cuts);
	IcRequest	requests[2];
	IcJson	   *roots[2];
	char	   *cover;
	int64		total,
				kmin,
				kmax,
				target;
	IcCutTable	t;
	int64	   *chosen;
	int64	   *estimate;
	int			nchosen = 0;
	int64		start = 0;
	int			n;
	bool		ok = false;

	for (int s = 0; s < ps->nslots; s++)
		handles[s] = ic_async_create(ps->conn, probe_cxt, IC_REQ_SEARCH, NULL, NULL);

	/* the range, and how many records the partitions cover together */
	cover = ic_part_and_query(ps, ic_part_key_or(ic_part_key_leaf("<", 0), ic_part_key_leaf("=", 0), ic_part_key_leaf(">", 0)), NULL);
	requests[0] = ic_part_request(ps, cover, 1, NULL, "ascending");
	requests[1] = ic_part_request(ps, cover, 1, NULL, "descending");
	run_probes(ps, handles, requests, 2, roots, probe_cxt);
	if (!probe_total(roots[0], &total) || total != seq_total ||
		!probe_key(ps, roots[0], &kmin) || !probe_key(ps, roots[1], &kmax) ||
		kmax - kmin < 2 * min_step)
		goto done;
	/* about 2 partitions per slot, in whole pages: a partial page is a request */
	target = Max(total / (2 * ps->nslots), 1);
	target = (target + ps->per_page - 1) / ps->per_page * ps->per_page;

	/* known: nothing below the first record's cut, everything below past the last */
	t.cap = 4 * max_cuts;
	t.n = 0;
	t.points = palloc(sizeof(IcCutCount) * t.cap);
	cut_insert(&t, kmin, 0);
	cut_insert(&t, kmax + min_step, total);
	n = refine_cuts(&t, total / (max_cuts + 1), min_step, cuts, max_cuts);
	for (int round = 0; n > 0 && round < 4; round++)
	{
		if (!probe_cuts(ps, handles, cuts, n, &t, probe_cxt))
			goto done;
		n = worth_refining(&t, target, ps->nslots)
			? refine_cuts(&t, target, min_step, cuts, ps->nslots) : 0;
	}

	/* group adjacent brackets into partitions of about target records */
	chosen = palloc(sizeof(int64) * t.n);
	estimate = palloc(sizeof(int64) * t.n);
	for (int j = 1; j < t.n - 1; j++)
	{
		int64		here = t.points[j].below - start;
		int64		next = t.points[j + 1].below - start;

		/* cut here when going on to the next point would overshoot more */
		if (here > 0 && t.points[j].below < total &&
			(next > target && llabs(here - target) <= llabs(next - target)))
		{
			estimate[nchosen] = here;
			chosen[nchosen++] = t.points[j].cut;
			start = t.points[j].below;
		}
	}
	if (nchosen == 0)
		goto done;

	MemoryContextSwitchTo(ps->cxt);
	ps->nparts = nchosen + 1;
	ps->parts = palloc0(sizeof(IcPartition) * ps->nparts);
	for (int p = 0; p < ps->nparts; p++)
	{
		IcPartition *part = &ps->parts[p];
		json_t	   *lower;
		json_t	   *upper;

		part->has_lo = p > 0;
		part->has_hi = p < nchosen;
		part->lo = part->has_lo ? chosen[p - 1] : 0;
		part->hi = part->has_hi ? chosen[p] : 0;
		part->estimate = part->has_hi ? estimate[p] : total - start;
		ic_part_bound_clauses(ps, part, &lower, &upper);
		part->query = ic_part_and_query(ps, lower ? lower : upper, lower ? upper : NULL);
	}
	qsort(ps->parts, ps->nparts, sizeof(IcPartition), by_size_desc);
	ok = true;
done:
	MemoryContextSwitchTo(old);
	MemoryContextDelete(probe_cxt);	/* the probe handles too */
	return ok;
}
