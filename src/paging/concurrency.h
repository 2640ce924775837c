/*-------------------------------------------------------------------------
 *
 * concurrency.h
 *		How many requests a partitioned scan keeps in flight, and whether a
 *		scan is worth partitioning: pure arithmetic over what responses told
 *		(their latency, the X-RateLimit-* window).  No HTTP and no executor
 *		state, so test/concurrency/ tests it on its own.
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_CONCURRENCY_H
#define INTERCOM_CONCURRENCY_H

#include "c.h"

#define IC_CONC_START		16	/* in flight at first (twice the old fixed value) */

typedef struct IcConcurrency
{
	int			ceiling;		/* the server option concurrency */
	int			target;			/* requests to keep in flight now */
	bool		slow_start;		/* +1 per response (doubling per round trip) */
	int			credit;			/* responses since the last step (after slow start) */
	int			cooldown;		/* responses before another step down */
	double		base_ms;		/* the lowest latency seen: the unloaded round trip */
	double		recent_ms;		/* moving average of the latest latencies */
} IcConcurrency;

/* What the last response's X-RateLimit-* headers said (limit 0: nothing). */
typedef struct IcWindow
{
	int			limit;
	int			remaining;		/* left to send: less what is in flight */
	int64		ms_left;		/* until the window resets */
} IcWindow;

extern void ic_conc_init(IcConcurrency *c, int ceiling);
extern void ic_conc_response(IcConcurrency *c, double latency_ms, const IcWindow *w);
extern void ic_conc_throttled(IcConcurrency *c);
extern void ic_conc_new_kind(IcConcurrency *c);
extern int	ic_conc_allowed(const IcConcurrency *c, const IcWindow *w, int in_flight);

/* whether reading total records in partitions saves more than it costs */
extern bool ic_partition_pays(int64 total, int per_page, double page_ms, int slots);
extern int	ic_partition_slots(int64 total, int per_page, int ceiling, double page_ms);

#endif							/* INTERCOM_CONCURRENCY_H */
