/*-------------------------------------------------------------------------
 *
 * concurrency.c
 *		Adaptive concurrency of a partitioned scan, and the decision to
 *		partition at all.
 *
 * How many in flight.  The server option concurrency is a ceiling; below
 * it the scan finds the limit the way TCP finds a link's: it starts at
 * IC_CONC_START (16: twice the old fixed value; a round of probes at once
 * for most scans), adds one
 * request per response while responses keep their latency (slow start:
 * doubling per round trip), then, once latency has risen, four per round
 * trip (a scan lasts a few dozen round trips, not thousands).  A response much
 * slower than the fastest seen (the server or the network is queueing:
 * more in flight would only wait longer) cuts the target by a quarter,
 * and a 429 halves it, at most once per round trip.
 *
 * The rate limit.  Intercom counts every request of the workspace's app in
 * a 10 s window and says in each response what is left of it (other
 * backends of the same app spend from the same window, and the headers say
 * so).  The target grows only while what is left of the window is more
 * than a tenth of it; below that, pacing (rate_limit.c) spreads the rest
 * over the time left, and waits for the reset when nothing is left,
 * counting the requests in flight as spent: the scan slows down before a
 * 429, not after.  In flight are never more than the window has left.
 *
 * How many slots.  As many as keep the backend busy while a page travels
 * (ic_partition_slots): at 0 ms two, at 300 ms the ceiling.  The ceiling
 * (64 by default, what Intercom allows an app at 300 ms a request) only
 * bounds them; slots beyond what the latency calls for would only add
 * probes and partial pages.
 *
 * Whether to partition.  One sequential cursor takes pages x latency;
 * partitions take the probes' round trips plus pages / slots round trips.
 * The first page tells both the latency and total_count: a scan is
 * partitioned when that saves at least PARTITION_MIN_SAVING_MS.  At 0 ms
 * a page's time is CPU (ours and the server's), which concurrency does not
 * multiply on a small machine, so small scans there stay sequential.
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"
#include "concurrency.h"

#include <math.h>

#define SLOWER_FACTOR		1.5		/* latency this many times the fastest: queueing */
#define SLOWER_MARGIN_MS	100.0	/* and at least this much slower (our own work at 0 ms) */
#define PROBE_ROUND_TRIPS	3		/* range, cuts, one refinement */
#define GROWTH_PER_ROUND_TRIP 4		/* after slow start: a scan lasts seconds, not minutes */
#define PARTITION_MIN_SAVING_MS 500.0
#define SLOT_PAGE_MS		2.0		/* a slot per this much first-page latency */

void
ic_conc_init(IcConcurrency *c, int ceiling)
{
	memset(c, 0, sizeof(*c));
	c->ceiling = Max(ceiling, 1);
	c->target = Min(IC_CONC_START, c->ceiling);
	c->slow_start = true;
	c->base_ms = -1;
}

/*
 * Requests of another size from now on (pages after one-record probes):
 * their latency is compared with their own fastest, not the probes'.
 */
void
ic_conc_new_kind(IcConcurrency *c)
{
	c->base_ms = -1;
	c->recent_ms = 0;
}

static void
step_down(IcConcurrency *c, int numerator, int denominator)
{
	c->slow_start = false;
	c->credit = 0;
	if (c->cooldown > 0)
		return;					/* one step per round trip */
	c->target = Max(1, c->target * numerator / denominator);
	c->cooldown = c->target + 1;
}

/* Whether the window has more than a tenth left (or says nothing). */
static bool
window_lasts(const IcWindow *w)
{
	return w == NULL || w->limit <= 0 || w->ms_left <= 0 || w->remaining * 10 > w->limit;
}

/* A response arrived latency_ms after its request was sent. */
void
ic_conc_response(IcConcurrency *c, double latency_ms, const IcWindow *w)
{
	if (latency_ms < 0)
		latency_ms = 0;
	if (c->base_ms < 0 || latency_ms < c->base_ms)
		c->base_ms = latency_ms;
	c->recent_ms = c->recent_ms > 0 ? 0.8 * c->recent_ms + 0.2 * latency_ms : latency_ms;
	if (c->cooldown > 0)
		c->cooldown--;
	if (latency_ms > c->base_ms * SLOWER_FACTOR && latency_ms > c->base_ms + SLOWER_MARGIN_MS)
	{
		step_down(c, 3, 4);
		return;
	}
	if (c->target >= c->ceiling || !window_lasts(w))
		return;
	if (c->slow_start || ++c->credit >= Max(c->target / GROWTH_PER_ROUND_TRIP, 1))
	{
		c->target++;
		c->credit = 0;
	}
}

/* A 429: the window ran dry (another backend, or a wrong guess). */
void
ic_conc_throttled(IcConcurrency *c)
{
	step_down(c, 1, 2);
}

/*
 * ic_conc_allowed
 *		How many requests may be in flight now: the target, and never more
 *		than those in flight and what the window has left besides them (at
 *		least 1: pacing waits for the reset).
 */
int
ic_conc_allowed(const IcConcurrency *c, const IcWindow *w, int in_flight)
{
	int			allowed = c->target;

	if (w && w->limit > 0 && w->ms_left > 0)
		allowed = Min(allowed, in_flight + w->remaining);
	return Max(allowed, 1);
}

/*
 * ic_partition_slots
 *		Slots worth having: two pages each at least, within the ceiling, and
 *		no more than keep the backend busy while a page travels: one per
 *		SLOT_PAGE_MS of the first page's latency (about the CPU time a page
 *		of 150 records costs the backend and a server on the same machine),
 *		at least 2.  At 0 ms more slots only add probes and partial pages;
 *		at 300 ms it takes 64 to use what Intercom allows an app.
 */
int
ic_partition_slots(int64 total, int per_page, int ceiling, double page_ms)
{
	int64		pages = (total + per_page - 1) / Max(per_page, 1);
	int64		for_latency = Max(2, (int64) ceil(page_ms / SLOT_PAGE_MS));

	return (int) Max(1, Min(Min((int64) ceiling, pages / 2), for_latency));
}

/*
 * ic_partition_pays
 *		Whether partitions save at least PARTITION_MIN_SAVING_MS over one
 *		cursor, with page_ms the first page's latency.
 */
bool
ic_partition_pays(int64 total, int per_page, double page_ms, int slots)
{
	double		pages = ceil((double) total / Max(per_page, 1));
	double		sequential = pages * page_ms;
	double		partitioned = (PROBE_ROUND_TRIPS + ceil(pages / Max(slots, 1))) * page_ms;

	return slots > 1 && sequential - partitioned >= PARTITION_MIN_SAVING_MS;
}
