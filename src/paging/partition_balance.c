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
#include "balance.h"

#include <stdlib.h>

#include "utils/memutils.h"

/*
 * run_probes
 *		Send n one-record searches, as many at a time as the concurrency
 *		controller allows, and decode each response into cxt.
 */
static void
run_probes(IcPartitionScan *ps, IcTransfer **handles, IcRequest *requests, int n,
		   IcJson **roots, MemoryContext cxt)
{
	int		   *which = palloc(sizeof(int) * ps->nslots);
	IcSent	   *sent = palloc(sizeof(IcSent) * ps->nslots);
	int			started = 0;
	int			finished = 0;

	for (int s = 0; s < ps->nslots; s++)
		which[s] = -1;
	while (finished < n)
	{
		int			s;
		MemoryContext old;

		for (s = 0; s < ps->nslots && started < n && ic_part_may_start_among(ps, handles, ps->nslots); s++)
			if (which[s] < 0)
			{
				which[s] = started;
				ic_part_slot_start(ps, handles[s], requests[started++], &sent[s]);
			}
		s = ic_transfer_wait_any(handles, ps->nslots);
		Assert(s >= 0 && which[s] >= 0);
		old = MemoryContextSwitchTo(cxt);
		roots[which[s]] = ic_part_slot_finish(ps, handles[s], &sent[s]);
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

/* Count the records below each cut (one-record searches), into t. */
static bool
probe_cuts(IcPartitionScan *ps, IcTransfer **handles, int64 *cuts, int n,
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
		ic_cut_insert(t, cuts[i], below);
	}
	return true;
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
 *		evenly over the range.  Rounds 2 to 4 (REFINE_ROUNDS), while worth
 *		it: brackets still holding more than a partition's target (half a
 *		slot's share) are split again in proportion to their counts, one
 *		probe per slot per round (skewed data, such as most contacts
 *		created in the last year, needs them: one bracket left with most
 *		records would be one long sequential partition).  Then
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
	IcTransfer **handles = palloc(sizeof(IcTransfer *) * ps->nslots);
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
		handles[s] = ic_transfer_create(ps->conn, probe_cxt, ic_page_reader(NULL), NULL);

	/* the range, and how many records the partitions cover together */
	cover = ic_part_and_query(ps, ic_part_key_or(ic_part_key_leaf("<", 0), ic_part_key_leaf("=", 0), ic_part_key_leaf(">", 0)), NULL);
	requests[0] = ic_part_request(ps, cover, 1, NULL, "ascending");
	requests[1] = ic_part_request(ps, cover, 1, NULL, "descending");
	run_probes(ps, handles, requests, 2, roots, probe_cxt);
	if (!probe_total(roots[0], &total) || total != seq_total ||
		!probe_key(ps, roots[0], &kmin) || !probe_key(ps, roots[1], &kmax) ||
		kmax - kmin < 2 * min_step)
		goto done;
	target = ic_partition_target(total, ps->nslots, ps->per_page);

	/* known: nothing below the first record's cut, everything below past the last */
	ic_cut_table_init(&t, 4 * max_cuts);
	ic_cut_insert(&t, kmin, 0);
	ic_cut_insert(&t, kmax + min_step, total);
	n = ic_refine_cuts(&t, total / (max_cuts + 1), min_step, cuts, max_cuts);
	for (int round = 0; n > 0 && round < 1 + REFINE_ROUNDS; round++)
	{
		if (!probe_cuts(ps, handles, cuts, n, &t, probe_cxt))
			goto done;
		n = ic_worth_refining(&t, target, ps->nslots)
			? ic_refine_cuts(&t, target, min_step, cuts, ps->nslots) : 0;
	}

	/* group adjacent brackets into partitions of about target records */
	chosen = palloc(sizeof(int64) * t.n);
	estimate = palloc(sizeof(int64) * t.n);
	nchosen = ic_group_cuts(&t, total, target, chosen, estimate);
	for (int c = 0; c < nchosen; c++)
		start += estimate[c];	/* the records below the last cut */
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
