/*-------------------------------------------------------------------------
 *
 * partition_balance.c
 *		Where a partitioned scan cuts created_at, so that the partitions hold
 *		about the same number of records: one-record searches for the range,
 *		then total_count probes at cuts spread over it and refined where the
 *		records are (see "Balance" in partition.c's header).
 *
 * The probing runs alongside the reading.  Only the range is asked before
 * the scan is partitioned (it decides whether it can be); every later
 * probe is sent on a handle of its own while the partitions already known
 * are read, and its answer is taken when it lands, in whatever order.  A
 * bracket between two counted cuts that no probe will split (it holds at
 * most a partition's target, or is too narrow) goes into a partition at
 * once: the slots start reading after the first probes of the grid land,
 * not after the last round (balance.c, ic_take_partitions).
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "partition_internal.h"

#include <stdlib.h>

#include "utils/memutils.h"

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

/*
 * The range, and how many records the partitions cover together: two
 * one-record searches over every numeric created_at, sorted up and down,
 * sent at once and waited for (decoded into the answer context).
 */
static bool
probe_range(IcPartitionScan *ps, int64 *total, int64 *kmin, int64 *kmax)
{
	IcProbing  *pr = &ps->probing;
	const char *order[2] = {"ascending", "descending"};
	char	   *cover = ic_part_and_query(ps, ic_part_key_or(ic_part_key_leaf("<", 0),
															  ic_part_key_leaf("=", 0),
															  ic_part_key_leaf(">", 0)), NULL);
	IcJson	   *roots[2];
	MemoryContext old;

	for (int i = 0; i < 2; i++)
		ic_part_slot_start(ps, pr->handles[i], ic_part_request(ps, cover, 1, NULL, order[i]),
						   &pr->handle_sent[i]);
	old = MemoryContextSwitchTo(pr->answer_cxt);
	for (int done = 0; done < 2; done++)
	{
		/* both on the wire together: finish whichever lands first */
		int			i = ic_transfer_wait_any(pr->handles, 2);

		roots[i] = ic_part_slot_finish(ps, pr->handles[i], &pr->handle_sent[i], true);
	}
	MemoryContextSwitchTo(old);
	pr->nprobes += 2;
	return probe_total(roots[0], total) && probe_key(ps, roots[0], kmin) &&
		probe_key(ps, roots[1], kmax);
}

/*
 * Queue a round's cuts.  Each is a point of the table at once, its count
 * unknown, so that the brackets it will split are not read meanwhile.
 */
static void
queue_round(IcProbing *pr, int n)
{
	pr->round++;
	pr->nqueue = n;
	pr->next = 0;
	for (int i = 0; i < n; i++)
		ic_cut_insert(&pr->table, pr->queue[i], IC_BELOW_UNKNOWN);
}

/* Hand the brackets that can be read now to the partitions (final: all). */
static void
take_partitions(IcPartitionScan *ps, bool final)
{
	IcProbing  *pr = &ps->probing;
	IcCutRange *ranges = palloc(sizeof(IcCutRange) * pr->table.n);
	int			n = ic_take_partitions(&pr->table, pr->target, pr->min_step, final, ranges);

	ic_part_add_partitions(ps, ranges, n);
	pfree(ranges);
}

/*
 * A round's answers are all in: another round of probes where brackets
 * still hold more than a slot's share (rounds 2 to 1 + REFINE_ROUNDS;
 * skewed data, such as most contacts created in the last year, needs
 * them), else the rest becomes partitions as it is.
 */
static void
end_of_round(IcPartitionScan *ps)
{
	IcProbing  *pr = &ps->probing;
	int			n = 0;

	if (!pr->failed && pr->round < 1 + REFINE_ROUNDS &&
		ic_worth_refining(&pr->table, pr->target, pr->min_step))
		n = ic_refine_cuts(&pr->table, 2 * pr->target, pr->min_step, pr->queue, ps->nslots);
	if (n > 0)
	{
		queue_round(pr, n);
		return;
	}
	take_partitions(ps, true);
	pr->done = true;
}

/* The probes' handles, one per slot (a round sends at most a slot's worth at once). */
void
ic_probing_init(IcPartitionScan *ps)
{
	IcProbing  *pr = &ps->probing;

	pr->answer_cxt = AllocSetContextCreate(ps->cxt, "intercom_fdw partition probe",
										   ALLOCSET_DEFAULT_SIZES);
	pr->handles = palloc(sizeof(IcTransfer *) * ps->nslots);
	pr->handle_cut = palloc0(sizeof(int64) * ps->nslots);
	pr->handle_sent = palloc0(sizeof(IcSent) * ps->nslots);
	for (int h = 0; h < ps->nslots; h++)
		pr->handles[h] = ic_transfer_create(ps->conn, ps->cxt, ic_page_reader(NULL), NULL);
}

/*
 * ic_probing_begin
 *		Probe the range (synchronously) and queue the even grid of cuts.
 *		False when the scan should stay sequential: the partitions would
 *		not cover what the sequential scan counts, or the range is too
 *		narrow to cut.
 *
 *		Grid: CUTS_PER_SLOT cuts per slot, spread evenly over the range:
 *		on evenly spread records every bracket is then within a slot's
 *		share, and no further round is needed.
 */
bool
ic_probing_begin(IcPartitionScan *ps, int64 seq_total)
{
	IcProbing  *pr = &ps->probing;
	int			max_cuts = ps->nslots * CUTS_PER_SLOT;
	int64		kmin,
				kmax;

	pr->min_step = ps->exact ? SECS_PER_DAY_INT : 1;
	if (!probe_range(ps, &pr->total, &kmin, &kmax) || pr->total != seq_total ||
		kmax - kmin < 2 * pr->min_step)
		return false;
	MemoryContextReset(pr->answer_cxt);
	pr->target = ic_partition_target(pr->total, ps->nslots, ps->per_page);

	/* known: nothing below the first record's cut, everything below past the last */
	ic_cut_table_init(&pr->table, 4 * max_cuts);
	ic_cut_insert(&pr->table, kmin, 0);
	ic_cut_insert(&pr->table, kmax + pr->min_step, pr->total);
	pr->queue = palloc(sizeof(int64) * Max(max_cuts, ps->nslots));
	queue_round(pr, ic_refine_cuts(&pr->table, pr->total / (max_cuts + 1), pr->min_step,
								   pr->queue, max_cuts));
	if (pr->nqueue == 0)
		end_of_round(ps);
	return true;
}

/* Send the queued probes, on free handles, while the controller allows. */
void
ic_probing_send(IcPartitionScan *ps)
{
	IcProbing  *pr = &ps->probing;

	for (int h = 0; h < ps->nslots && pr->next < pr->nqueue; h++)
	{
		int64		cut;

		if (ic_transfer_busy(pr->handles[h]))
			continue;
		if (!ic_part_may_start(ps))
			break;
		cut = pr->queue[pr->next++];
		pr->handle_cut[h] = cut;
		ic_part_slot_start(ps, pr->handles[h],
						   ic_part_request(ps, ic_part_and_query(ps, ic_part_key_leaf("<", cut), NULL),
										   1, NULL, NULL),
						   &pr->handle_sent[h]);
		pr->out++;
		pr->nprobes++;
	}
}

/*
 * ic_probing_read
 *		Take the answer of probe handle h: its count goes into the table,
 *		and the brackets it completes into partitions.  A probe without a
 *		count tells nothing: its cut is dropped, and the probing ends with
 *		this round (the partitions cover the range whatever the counts;
 *		only their balance depends on them).
 */
void
ic_probing_read(IcPartitionScan *ps, int h)
{
	IcProbing  *pr = &ps->probing;
	MemoryContext old = MemoryContextSwitchTo(pr->answer_cxt);
	IcJson	   *root = ic_part_slot_finish(ps, pr->handles[h], &pr->handle_sent[h],
										   ps->pages_started == 0);
	int64		below;

	MemoryContextSwitchTo(old);
	if (probe_total(root, &below))
		ic_cut_learn(&pr->table, pr->handle_cut[h], below);
	else
	{
		ic_cut_forget(&pr->table, pr->handle_cut[h]);
		pr->failed = true;
	}
	MemoryContextReset(pr->answer_cxt);
	pr->out--;
	take_partitions(ps, false);
	if (pr->out == 0 && pr->next == pr->nqueue)
		end_of_round(ps);
}
