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

/* What a probe learned: "created_at < cut" holds for `below` records. */
typedef struct IcCutCount
{
	int64		cut;
	int64		below;
} IcCutCount;

/* The points known so far, sorted by cut (and so by below). */
typedef struct IcCutTable
{
	IcCutCount *points;
	int			n;
	int			cap;
} IcCutTable;

extern void ic_cut_table_init(IcCutTable *t, int cap);
extern void ic_cut_insert(IcCutTable *t, int64 cut, int64 below);

/* records a partition should hold: about 2 per slot, in whole pages */
extern int64 ic_partition_target(int64 total, int nslots, int per_page);

/* next round's cuts inside brackets holding more than limit records */
extern int	ic_refine_cuts(const IcCutTable *t, int64 limit, int64 min_step,
						   int64 *cuts, int max);

/* whether another round of probes pays */
extern bool ic_worth_refining(const IcCutTable *t, int64 target, int nslots);

/*
 * the cuts that group adjacent brackets into partitions of about target
 * records (chosen and estimate hold t->n entries); returns how many
 */
extern int	ic_group_cuts(const IcCutTable *t, int64 total, int64 target,
						  int64 *chosen, int64 *estimate);

#endif							/* INTERCOM_BALANCE_H */
