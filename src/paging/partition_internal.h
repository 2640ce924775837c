/*-------------------------------------------------------------------------
 *
 * partition_internal.h
 *		What partition.c (the partitioned read) shares with
 *		partition_balance.c (where the cuts go): the scan's state and the
 *		request helpers.  Not for the rest of the FDW, which uses
 *		intercom_fdw.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_PARTITION_INTERNAL_H
#define INTERCOM_PARTITION_INTERNAL_H

#include "intercom_fdw.h"
#include "request.h"
#include "concurrency.h"

#define PARTITION_KEY		"created_at"	/* never changes: see partition.c */
#define CUTS_PER_SLOT		1	/* balance: first round's cuts per slot */
#define REFINE_ROUNDS		3	/* balance: rounds after the first, where uneven */
#define SECS_PER_DAY_INT	86400
#define MAX_GROUP			15	/* the API's filters per AND group */

/* When a request was sent, to tell its latency. */
typedef struct IcSent
{
	int64		at_ms;
	double		waited_ms;		/* the scan's sleeps so far (IcStats.wait_ms) */
} IcSent;

typedef struct IcPartition
{
	bool		has_lo;			/* the first partition has no lower cut */
	bool		has_hi;			/* the last is open-ended */
	int64		lo;				/* exact bounds: lo <= created_at < hi */
	int64		hi;
	char	   *query;			/* the query object, JSON text */
	char	   *cursor;			/* next starting_after; NULL: first page */
	int64		estimate;		/* records in it when the probes counted */
	int64		pages;
} IcPartition;

struct IcPartitionScan
{
	IcConnection *conn;
	const IcStream *stream;
	IcStats    *stats;
	MemoryContext cxt;			/* partitions, cursors, handles: the scan */
	int			per_page;
	bool		exact;			/* the API applies the cuts exactly (by day) */
	List	   *pushed;			/* json_t: the pushed filters' clauses */
	int			nparts;
	IcPartition *parts;
	int			next_part;		/* the first partition no slot has taken */
	int			nslots;
	IcTransfer **slots;
	int		   *slot_part;		/* partition each slot reads; -1 idle */
	int			current;		/* partition of the page being returned */
	IcSent	   *slot_sent;		/* when each slot's request was sent */
	int			in_flight;
	int			max_in_flight;
	IcConcurrency conc;			/* how many in flight now (concurrency.c) */
	int64		pages;
	int64		dropped;		/* rows outside their partition's exact bounds */
};

/* in partition.c */
extern json_t *ic_part_key_leaf(const char *op, json_int_t value);
extern json_t *ic_part_key_or(json_t *a, json_t *b, json_t *c);
extern char *ic_part_and_query(IcPartitionScan *ps, json_t *a, json_t *b);
extern IcRequest ic_part_request(IcPartitionScan *ps, const char *query, int per_page,
								 const char *cursor, const char *order);
extern void ic_part_bound_clauses(IcPartitionScan *ps, IcPartition *part, json_t **lower,
								  json_t **upper);
extern IcJson *ic_part_page_records(IcPartitionScan *ps, IcJson *root);
extern bool ic_part_json_int64(const IcJson *v, int64 *out);
extern bool ic_part_may_start_among(IcPartitionScan *ps, IcTransfer **reqs, int n);
extern void ic_part_slot_start(IcPartitionScan *ps, IcTransfer *req, IcRequest request,
							   IcSent *sent);
extern IcJson *ic_part_slot_finish(IcPartitionScan *ps, IcTransfer *req, const IcSent *sent);

/* in partition_balance.c */
extern bool ic_part_choose_cuts(IcPartitionScan *ps, int64 seq_total);

#endif							/* INTERCOM_PARTITION_INTERNAL_H */
