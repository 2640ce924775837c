/*-------------------------------------------------------------------------
 *
 * wait_events.c
 *		The names under which a backend waiting on Intercom shows in
 *		pg_stat_activity.wait_event, and the interruptible sleep.
 *
 *		On PostgreSQL 17 and later each is a custom wait event of its own,
 *		registered by name the first time this backend waits so (the name
 *		is shared by every backend). Before 17 all are the generic
 *		"Extension" (pg_compat.h).
 *
 *		Waiting for the company scroll's lock is a heavyweight lock wait
 *		(wait_event_type "Lock", wait_event "advisory"), so that the deadlock
 *		detector still sees it; its holder is in pg_locks.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "http_internal.h"

#include "miscadmin.h"
#include "storage/latch.h"

static const char *const wait_event_names[IC_WAIT_COUNT] = {
	[IC_WAIT_RESPONSE] = "IntercomResponse",
	[IC_WAIT_RATE_LIMIT] = "IntercomRateLimit",
	[IC_WAIT_RETRY_BACKOFF] = "IntercomRetryBackoff",
	[IC_WAIT_SCROLL_EXPIRY] = "IntercomScrollExpiry",
};

/* the wait_event_info to report while waiting for what */
uint32
ic_wait_event(IcWaitEvent what)
{
	static uint32 registered[IC_WAIT_COUNT];

	if (registered[what] == 0)
		registered[what] = ic_new_wait_event(wait_event_names[what]);
	return registered[what];
}

/*
 * ic_sleep_ms
 *		Wait on the latch, so that cancel, statement_timeout, terminate and
 *		postmaster death end the wait at once.
 */
void
ic_sleep_ms(int64 ms, IcWaitEvent why, IcStats *stats)
{
	int64		deadline = ic_now_ms() + ms;

	stats->wait_ms += ms;
	ic_backend_stats.wait_ms += ms;
	for (;;)
	{
		int64		left = deadline - ic_now_ms();

		CHECK_FOR_INTERRUPTS();
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 (long) left, ic_wait_event(why));
		ResetLatch(MyLatch);
	}
}
