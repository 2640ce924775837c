/*-------------------------------------------------------------------------
 *
 * balance.h
 *		Where a partitioned scan cuts created_at, as pure arithmetic over
 *		what the probes learned: (cut, count below cut) points. No HTTP and
 *		no executor state, so test/balance/ tests it on its own; the probing
 *		that feeds it is in partition_balance.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_BALANCE_H
#define INTERCOM_BALANCE_H

#include "c.h"

/*
 * What a probe learned: "created_at < cut" holds for `below` records
 * (IC_BELOW_UNKNOWN: its probe is still under way).  taken: the bracket
 * from this point to the next is in a partition already.
 */
typedef struct IcCutCount
{
	int64		cut;
	int64		below;
	bool		taken;
} IcCutCount;

#define IC_BELOW_UNKNOWN	(-1)

/* A partition chosen: lo <= created_at < hi; no lo (hi) at the open ends. */
typedef struct IcCutRange
{
	bool		has_lo;
	bool		has_hi;
	int64		lo;
	int64		hi;
	int64		estimate;		/* records in it when the probes counted */
} IcCutRange;

/* The points known so far, sorted by cut (and so by below). */
typedef struct IcCutTable
{
	IcCutCount *points;
	int			n;
	int			cap;
} IcCutTable;

extern void ic_cut_table_init(IcCutTable *t, int cap);
extern void ic_cut_insert(IcCutTable *t, int64 cut, int64 below);
extern void ic_cut_learn(IcCutTable *t, int64 cut, int64 below);
extern void ic_cut_forget(IcCutTable *t, int64 cut);

/* records a partition should hold: about 2 per slot, in whole pages */
extern int64 ic_partition_target(int64 total, int nslots, int per_page);

/*
 * next round's cuts inside brackets holding more than limit records (with
 * every point counted: between rounds)
 */
extern int	ic_refine_cuts(const IcCutTable *t, int64 limit, int64 min_step,
						   int64 *cuts, int max);

/* whether a bracket holds more than a slot's share (2 x target): another round */
extern bool ic_worth_refining(const IcCutTable *t, int64 target, int64 min_step);

/*
 * the partitions that can be read already: runs of counted brackets no
 * probe will split, grouped into partitions of about target records, and
 * marked taken (out holds t->n entries); returns how many
 */
extern int	ic_take_partitions(IcCutTable *t, int64 target, int64 min_step, bool final,
							   IcCutRange *out);

#endif							/* INTERCOM_BALANCE_H */
