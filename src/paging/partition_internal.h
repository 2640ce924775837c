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
#include "balance.h"

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
	IcCutRange	range;			/* exact bounds: lo <= created_at < hi */
	char	   *query;			/* the query object, JSON text */
	char	   *cursor;			/* next starting_after; NULL: first page */
	int64		pages;
} IcPartition;

/*
 * The probing (partition_balance.c): where the cuts go, learned while the
 * partitions already known are read.  Rounds: the range (before the scan
 * is partitioned at all), then the even grid, then up to REFINE_ROUNDS
 * refinements.
 */
typedef struct IcProbing
{
	IcCutTable	table;			/* (cut, count below) points so far */
	int64		total;			/* records all partitions cover together */
	int64		target;			/* records a partition should hold */
	int64		min_step;		/* a day by day, a second to the second */
	int			round;
	int64	   *queue;			/* this round's cuts to probe */
	int			nqueue;
	int			next;			/* the first cut of queue not yet sent */
	int			out;			/* probes sent, not yet read */
	bool		failed;			/* a probe told no count: no further round */
	bool		done;			/* every bracket is in a partition */
	int			nprobes;		/* sent in all (EXPLAIN) */
	IcTransfer **handles;		/* one probe each; IDLE when free */
	int64	   *handle_cut;		/* the cut each handle probes */
	IcSent	   *handle_sent;
	MemoryContext answer_cxt;	/* one probe's answer at a time */
} IcProbing;

struct IcPartitionScan
{
	IcConnection *conn;
	const IcStream *stream;
	IcStats    *stats;
	MemoryContext cxt;			/* partitions, cursors, handles: the scan */
	int			per_page;
	bool		exact;			/* the API applies the cuts exactly (by day) */
	List	   *pushed;			/* json_t: the pushed filters' clauses */
	int			nparts;			/* known so far (more while probing) */
	int			maxparts;
	IcPartition *parts;			/* from next_part on: largest first */
	int			next_part;		/* the first partition no slot has taken */
	IcProbing	probing;
	int			nslots;
	IcTransfer **slots;
	IcTransfer **all;			/* probe handles, then slots: for waiting */
	int			pages_started;	/* partitions' pages sent */
	int		   *slot_part;		/* partition each slot reads; -1 idle */
	int			current;		/* partition of the page being returned */
	IcSent	   *slot_sent;		/* when each slot's request was sent */
	int			in_flight;		/* sent, not yet read */
	int			max_in_flight;	/* the most the server held at once */
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
extern bool ic_part_may_start(IcPartitionScan *ps);
extern void ic_part_slot_start(IcPartitionScan *ps, IcTransfer *req, IcRequest request,
							   IcSent *sent);
extern IcJson *ic_part_slot_finish(IcPartitionScan *ps, IcTransfer *req, const IcSent *sent,
								   bool measure);
extern void ic_part_add_partitions(IcPartitionScan *ps, const IcCutRange *ranges, int n);

/* in partition_balance.c */
extern void ic_probing_init(IcPartitionScan *ps);
extern bool ic_probing_begin(IcPartitionScan *ps, int64 seq_total);
extern void ic_probing_send(IcPartitionScan *ps);
extern void ic_probing_read(IcPartitionScan *ps, int h);

#endif							/* INTERCOM_PARTITION_INTERNAL_H */
