/*-------------------------------------------------------------------------
 *
 * wait_events.c
 *		The names under which a backend waiting on Intercom shows in
 *		pg_stat_activity.wait_event.
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
