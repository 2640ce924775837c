/*
 * concurrency_check: src/paging/concurrency.c on its own, outside
 * PostgreSQL.  Each check prints "ok NAME" or "FAIL NAME: why"; the exit
 * status is the number of failures.  Built and run by test_concurrency.py
 * (test/c_checks.py).
 */
#include <stdio.h>
#include <stdlib.h>

#include "postgres.h"
#include "concurrency.h"
#include "check.h"

/*
 * A server that answers `capacity` requests at once in base_ms and queues
 * the rest: with n in flight, a response takes base_ms * ceil(n / capacity).
 * Runs `rounds` round trips of the controller, returns its final target.
 */
static int
run_server(IcConcurrency *c, double base_ms, int capacity, int rounds, int *peak)
{
	*peak = 0;
	for (int r = 0; r < rounds; r++)
	{
		int			n = ic_conc_allowed(c, NULL, 0);
		double		latency = base_ms * ((n + capacity - 1) / capacity);

		*peak = Max(*peak, n);
		for (int i = 0; i < n; i++)
			ic_conc_response(c, latency, NULL);
	}
	return c->target;
}

static void
check_growth(void)
{
	IcConcurrency c;
	int			peak;

	ic_conc_init(&c, 64);
	CHECK("starts_at_16", c.target == 16, "target %d", c.target);
	/* a server that never queues: slow start doubles per round trip */
	run_server(&c, 300, 1000, 1, &peak);
	CHECK("doubles_per_round_trip", c.target == 32, "target %d", c.target);
	run_server(&c, 300, 1000, 2, &peak);
	CHECK("reaches_the_ceiling", c.target == 64, "target %d", c.target);
	run_server(&c, 300, 1000, 5, &peak);
	CHECK("never_above_the_ceiling", c.target == 64 && peak == 64, "target %d peak %d", c.target, peak);

	ic_conc_init(&c, 4);
	CHECK("small_ceiling_starts_there", c.target == 4, "target %d", c.target);
}

static void
check_queueing(void)
{
	IcConcurrency c;
	int			peak;

	/* 20 at once in 200 ms, more wait a second turn: stays near 20 */
	ic_conc_init(&c, 64);
	run_server(&c, 200, 20, 40, &peak);
	CHECK("stops_where_latency_rises", c.target >= 10 && c.target <= 27,
		  "target %d", c.target);
	CHECK("backs_off_after_overshoot", peak <= 32, "peak %d", peak);
}

static void
check_throttled(void)
{
	IcConcurrency c;

	ic_conc_init(&c, 64);
	c.target = 40;
	ic_conc_throttled(&c);
	CHECK("429_halves", c.target == 20, "target %d", c.target);
	ic_conc_throttled(&c);
	CHECK("429_once_per_round_trip", c.target == 20, "target %d", c.target);
	for (int i = 0; i < 21; i++)
		ic_conc_response(&c, 100, NULL);
	/* a round trip of 20 responses after the 429: four more, not twenty */
	CHECK("after_429_four_per_round_trip", c.target == 24, "target %d", c.target);
	CHECK("after_429_no_slow_start", !c.slow_start, "slow start");
	ic_conc_throttled(&c);
	CHECK("429_again_later_halves_again", c.target == 12, "target %d", c.target);
}

static void
check_new_kind(void)
{
	IcConcurrency c;

	/* probes at 100 ms, then pages at 250 ms: not a rise in latency */
	ic_conc_init(&c, 64);
	for (int i = 0; i < 16; i++)
		ic_conc_response(&c, 100, NULL);
	ic_conc_new_kind(&c);
	for (int i = 0; i < 32; i++)
		ic_conc_response(&c, 250, NULL);
	CHECK("pages_after_probes_grow", c.target == 64, "target %d", c.target);
	/* without the new kind, the same pages look like queueing */
	ic_conc_init(&c, 64);
	for (int i = 0; i < 16; i++)
		ic_conc_response(&c, 100, NULL);
	for (int i = 0; i < 32; i++)
		ic_conc_response(&c, 250, NULL);
	CHECK("same_kind_slower_steps_down", c.target < 32, "target %d", c.target);
}

static void
check_window(void)
{
	IcConcurrency c;
	IcWindow	w = {1000, 5, 4000};
	IcWindow	low = {1000, 90, 4000};
	IcWindow	plenty = {1000, 800, 4000};

	ic_conc_init(&c, 64);
	c.target = 30;
	CHECK("window_caps_in_flight", ic_conc_allowed(&c, &w, 3) == 8, "allowed %d", ic_conc_allowed(&c, &w, 3));
	w.remaining = 0;
	CHECK("window_dry_still_one", ic_conc_allowed(&c, &w, 0) == 1, "allowed %d", ic_conc_allowed(&c, &w, 0));
	CHECK("window_plenty_target", ic_conc_allowed(&c, &plenty, 10) == 30, "allowed %d",
		  ic_conc_allowed(&c, &plenty, 10));
	for (int i = 0; i < 10; i++)
		ic_conc_response(&c, 100, &low);
	CHECK("no_growth_when_window_low", c.target == 30, "target %d", c.target);
	for (int i = 0; i < 10; i++)
		ic_conc_response(&c, 100, &plenty);
	CHECK("growth_when_window_lasts", c.target == 40, "target %d", c.target);
}

static void
check_pays(void)
{
	int			s30 = ic_partition_slots(4500, 150, 64, 100);

	CHECK("slots_two_pages_each", s30 == 15, "slots %d", s30);
	CHECK("slots_within_ceiling", ic_partition_slots(100000, 150, 64, 300) == 64, "slots %d",
		  ic_partition_slots(100000, 150, 64, 300));
	CHECK("slots_follow_latency", ic_partition_slots(100000, 150, 64, 100) == 50, "slots %d",
		  ic_partition_slots(100000, 150, 64, 100));
	CHECK("slots_at_0ms_two", ic_partition_slots(100000, 150, 64, 2) == 2, "slots %d",
		  ic_partition_slots(100000, 150, 64, 2));
	CHECK("30_pages_100ms_pays", ic_partition_pays(4500, 150, 100, s30), "no");
	CHECK("30_pages_300ms_pays", ic_partition_pays(4500, 150, 300, s30), "no");
	CHECK("30_pages_0ms_does_not", !ic_partition_pays(4500, 150, 3, s30), "yes");
	CHECK("30_pages_busy_0ms_does_not", !ic_partition_pays(4500, 150, 15, s30), "yes");
	CHECK("667_pages_0ms_pays", ic_partition_pays(100000, 150, 5, 64), "no");
	CHECK("one_slot_never", !ic_partition_pays(100000, 150, 300, 1), "yes");
	CHECK("2_pages_never", !ic_partition_pays(300, 150, 300, ic_partition_slots(300, 150, 8, 300)), "yes");
}

int
main(void)
{
	check_growth();
	check_queueing();
	check_throttled();
	check_new_kind();
	check_window();
	check_pays();
	return failures;
}
