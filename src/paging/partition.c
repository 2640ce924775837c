/*-------------------------------------------------------------------------
 *
 * partition.c
 *		Partitioned scans: a full scan of a searchable stream (contacts,
 *		conversations) read as several searches at once, each over its own
 *		range of created_at, up to the server option concurrency in flight.
 *
 * Why created_at, not updated_at.  A scan's result must hold every record
 * that does not change during the scan exactly once, every record updated
 * during it at least once, and no record twice.  Partitions over
 * updated_at break this: a record updated mid-scan moves to the newest
 * partition, so it is read twice if that one was read after its old one, or
 * not at all if its old one was read after the move.  created_at never
 * changes, so every record lies in exactly one partition for the whole
 * scan.  Inside a partition pages are sorted by created_at (then id): the
 * cursor is a position in an order no update can change, so paging neither
 * repeats nor skips a record either.  The last partition is open-ended:
 * records created during the scan land there, at the end of its order.
 *
 * Exactness.  Contacts compare dates by day in the workspace's time zone,
 * which we do not know.  With the API's own operators, for a cut value B:
 * "< B" is every day before B's day, "= B OR > B" is B's day and later.  So
 * the partition between cuts B and C is (= B OR > B) AND < C: the records
 * whose local day is at least B's and before C's.  Day numbering is
 * monotonic in any time zone, so every dated record satisfies exactly one
 * partition's predicate, in whatever zone the workspace counts days (and
 * also where dates compare to the second, as in the Preview version).
 * Conversations compare to the second, but whether > and < include the
 * bound is ambiguous: each partition asks for a superset (> B-1 AND < C)
 * and drops locally the rows whose created_at is outside [B, C), so every
 * row is returned by exactly one partition.
 *
 * Coverage.  A record without a numeric created_at would be in no
 * partition.  Before partitioning, the number of records all partitions
 * together can return (created_at < 0 OR = 0 OR > 0, plus the pushed
 * filters) is compared with the sequential scan's total_count (its first
 * page, already fetched): if they differ, the scan stays sequential.
 *
 * Balance.  total_count is what the API tells cheaply: two searches of one
 * record each, sorted by created_at up and down, give the range; then
 * total_count of "created_at < cut" (one record each) at one cut per slot,
 * evenly spread over the range, and up to three more rounds of at most one
 * probe per slot, each splitting the brackets that still hold more than a
 * slot's share in proportion to their counts (a few records far from the
 * rest, such as a contact imported from 1965, leave the even grid coarse
 * where the records are).  A bracket under a slot's share is not split
 * further: read as it is, it ends within the scan's time, and the probes
 * would cost as many requests as the pages they balance.  Adjacent brackets
 * are grouped into partitions of about half a slot's share, and queued
 * largest first: a slot that ends its partition takes the next one, so the
 * slots end close together.
 *
 * Reading while probing.  Only the range is asked before the scan
 * partitions.  The other probes go out on handles of their own
 * (partition_balance.c), and each answer is taken as it lands: a bracket
 * whose two ends are counted and that no probe will split goes into a
 * partition at once, and the slots start reading it while the rest of
 * the grid and the refinements are still under way.  Probes are sent
 * before pages (they unlock more partitions); both count against the same
 * requests in flight.
 *
 * When.  The first page of the sequential scan tells its latency and
 * total_count: the scan is partitioned when the round trips saved exceed
 * the probes' (concurrency.c), so 30 pages at 100 ms are partitioned and
 * 30 pages at 0 ms are not.  Slots: the server option concurrency, at most
 * one per two pages.
 *
 * How many in flight.  concurrency is a ceiling: the controller of
 * concurrency.c starts at 16 and grows while responses keep their latency
 * and the rate-limit window lasts; probes and partitions alike start only
 * while it allows (a probe's latency counts until the first page is sent;
 * after that, pages are compared with pages only).  Every request goes
 * through the one IcConnection, whose X-RateLimit-* state paces them all
 * together (rate_limit.c counts requests in flight against the remaining
 * allowance).  A 429 halves the target; it is waited out by the transfer
 * that got it (transfer.c) while the others already sent land, and its
 * headers hold back every new request until the window resets.
 *
 * Memory: one response per slot and the page being returned, so about
 * slots + 1 pages whatever the table size (a probe's answer is one record,
 * freed as soon as its count is read).
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "partition_internal.h"

#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* ---------- query text ---------- */

json_t *
ic_part_key_leaf(const char *op, json_int_t value)
{
	return json_pack("{s:s, s:s, s:I}", "field", PARTITION_KEY, "operator", op,
					 "value", value);
}

json_t *
ic_part_key_or(json_t *a, json_t *b, json_t *c)
{
	json_t	   *items = json_pack("[o, o]", a, b);

	if (c)
		json_array_append_new(items, c);
	return json_pack("{s:s, s:o}", "operator", "OR", "value", items);
}

/*
 * and_query
 *		The query: the given clauses of the partition key (NULL: none) first,
 *		then the pushed filters', in one AND group of at most 15.  Pushed
 *		filters that do not fit are left to the local recheck (every clause
 *		is rechecked); the partition's clauses must never be dropped, so
 *		they come first.  Returns JSON text; the clauses are consumed.
 */
char *
ic_part_and_query(IcPartitionScan *ps, json_t *a, json_t *b)
{
	json_t	   *items = json_array();
	json_t	   *query;
	ListCell   *lc;
	char	   *text;
	char	   *result;

	if (a)
		json_array_append_new(items, a);
	if (b)
		json_array_append_new(items, b);
	foreach(lc, ps->pushed)
		if (json_array_size(items) < MAX_GROUP)
			json_array_append(items, (json_t *) lfirst(lc));
	if (json_array_size(items) == 1)
		query = json_incref(json_array_get(items, 0));
	else
		query = json_pack("{s:s, s:O}", "operator", "AND", "value", items);
	json_decref(items);
	text = json_dumps(query, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(query);
	if (text == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("out of memory while building a search request")));
	result = pstrdup(text);
	free(text);
	return result;
}

/* A partition's (or a probe's) search, ordered by created_at if order is set. */
IcRequest
ic_part_request(IcPartitionScan *ps, const char *query, int per_page, const char *cursor,
				const char *order)
{
	return ic_search_request(ps->stream, query, per_page, cursor, PARTITION_KEY, order);
}

static void
release_json(void *arg)
{
	json_decref((json_t *) arg);
}

/* Make cxt own a jansson tree: its reset or deletion, also on ERROR, frees it. */
static void
attach_json(MemoryContext cxt, json_t *json)
{
	MemoryContextCallback *cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));

	cb->func = release_json;
	cb->arg = json;
	MemoryContextRegisterResetCallback(cxt, cb);
}

/*
 * The pushed query's clauses: the items of its top-level AND group, or the
 * query itself, so that adding the partition's clauses keeps the nesting
 * within the API's two levels.
 */
static List *
pushed_clauses(MemoryContext cxt, const char *query_json)
{
	json_t	   *root;
	json_t	   *value;
	List	   *clauses = NIL;
	size_t		i;

	if (query_json == NULL)
		return NIL;
	root = json_loads(query_json, 0, NULL);
	if (root == NULL)
		elog(ERROR, "intercom_fdw: cannot reparse the pushed query");
	attach_json(cxt, root);
	value = json_object_get(root, "value");
	if (json_is_string(json_object_get(root, "operator")) &&
		strcmp(json_string_value(json_object_get(root, "operator")), "AND") == 0 &&
		json_is_array(value))
	{
		for (i = 0; i < json_array_size(value); i++)
			clauses = lappend(clauses, json_array_get(value, i));
	}
	else
		clauses = list_make1(root);
	return clauses;
}

/*
 * The API condition of the partition key for [lo, hi): see the file header
 * for why each is exact (by day) or a superset trimmed locally (by second).
 */
void
ic_part_bound_clauses(IcPartitionScan *ps, IcPartition *part, json_t **lower, json_t **upper)
{
	const IcCutRange *r = &part->range;

	*lower = *upper = NULL;
	if (r->has_lo)
		*lower = ps->exact
			? ic_part_key_or(ic_part_key_leaf("=", r->lo), ic_part_key_leaf(">", r->lo), NULL)
			: ic_part_key_leaf(">", r->lo - 1);
	if (r->has_hi)
		*upper = ic_part_key_leaf("<", r->hi);
	if (*lower == NULL && *upper == NULL)	/* one partition: every numeric created_at */
		*lower = ic_part_key_or(ic_part_key_leaf("<", 0), ic_part_key_leaf("=", 0),
								ic_part_key_leaf(">", 0));
}

/* ---------- reading the responses ---------- */

IcJson *
ic_part_page_records(IcPartitionScan *ps, IcJson *root)
{
	IcJson	   *records = ic_json_get(root, ps->stream->list_key);

	if (!ic_json_is(records, IC_JSON_ARRAY))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("Intercom response to POST %s has no \"%s\" array",
						ps->stream->search_path, ps->stream->list_key)));
	return records;
}

bool
ic_part_json_int64(const IcJson *v, int64 *out)
{
	char		buf[64];
	char	   *end;
	double		d;

	if (!ic_json_is(v, IC_JSON_NUMBER) || v->len == 0 || v->len >= sizeof(buf))
		return false;
	memcpy(buf, v->u.text, v->len);
	buf[v->len] = '\0';
	d = strtod(buf, &end);
	if (*end != '\0' || !isfinite(d) || fabs(d) > 9.0e15)
		return false;
	*out = (int64) floor(d);
	return true;
}

static char *
next_cursor(IcJson *root)
{
	IcJson	   *cursor = ic_json_get(ic_json_get(ic_json_get(root, "pages"), "next"),
									 "starting_after");

	if (!ic_json_is(cursor, IC_JSON_STRING) || cursor->len == 0)
		return NULL;
	return pnstrdup(cursor->u.text, cursor->len);
}

/* ---------- requests on the slots ---------- */

static int64
clock_ms(void)
{
	return GetCurrentTimestamp() / 1000;
}

/* The window as the connection's last responses told it. */
static void
current_window(IcPartitionScan *ps, IcWindow *w)
{
	ic_rate_window(ps->conn, &w->limit, &w->remaining, &w->ms_left);
}

/*
 * Requests in flight at the server: an answer already here, waiting for
 * the executor to take its page (or for a probe to be read), is no longer
 * in flight there.
 */
static int
server_holds(IcPartitionScan *ps)
{
	int			waiting = 0;

	for (int i = 0; i < 2 * ps->nslots; i++)
		if (ic_transfer_busy(ps->all[i]) && !ic_transfer_landed(ps->all[i]))
			waiting++;
	return waiting;
}

/* Whether another request may be sent now (concurrency.c decides). */
bool
ic_part_may_start(IcPartitionScan *ps)
{
	IcWindow	w;
	int			waiting = server_holds(ps);

	current_window(ps, &w);
	return waiting < ic_conc_allowed(&ps->conc, &w, waiting);
}

/* Send a request on a slot; *sent is when (after any pacing wait). */
void
ic_part_slot_start(IcPartitionScan *ps, IcTransfer *req, IcRequest request, IcSent *sent)
{
	ic_transfer_start(req, &request, ps->stats);
	sent->at_ms = clock_ms();
	sent->waited_ms = ps->stats->wait_ms;
	ps->in_flight++;
	ps->max_in_flight = Max(ps->max_in_flight, server_holds(ps));
}

/*
 * The page of a slot's request; its latency (and a 429) tell the
 * concurrency controller how the server and the window are doing, when
 * measure is set (a probe's one record, once pages are read, is not
 * compared with them).  A request answered while the scan slept (pacing,
 * a 429's wait) tells nothing: its answer waited for us, not for the
 * server.
 */
IcJson *
ic_part_slot_finish(IcPartitionScan *ps, IcTransfer *req, const IcSent *sent, bool measure)
{
	bool		landed = ic_transfer_landed(req);
	IcJson	   *root = ic_transfer_finish(req, NULL);
	IcWindow	w;

	if (ic_transfer_rate_limited(req))
		ic_conc_throttled(&ps->conc);
	else if (measure && landed && ps->stats->wait_ms == sent->waited_ms)
	{
		current_window(ps, &w);
		ic_conc_response(&ps->conc, (double) (clock_ms() - sent->at_ms), &w);
	}
	ps->in_flight--;
	return root;
}

/* Largest estimated partition first: the slots then end close together. */
static int
by_size_desc(const void *a, const void *b)
{
	int64		x = ((const IcPartition *) a)->range.estimate;
	int64		y = ((const IcPartition *) b)->range.estimate;

	return (x < y) - (x > y);
}

/*
 * ic_part_add_partitions
 *		Queue partitions the probing has settled: each gets its query, and
 *		those no slot has taken yet are kept largest first.
 */
void
ic_part_add_partitions(IcPartitionScan *ps, const IcCutRange *ranges, int n)
{
	MemoryContext old;

	if (n == 0)
		return;
	old = MemoryContextSwitchTo(ps->cxt);
	if (ps->nparts + n > ps->maxparts)
	{
		ps->maxparts = Max(ps->maxparts * 2, ps->nparts + n);
		ps->parts = ps->parts ? repalloc(ps->parts, sizeof(IcPartition) * ps->maxparts)
			: palloc(sizeof(IcPartition) * ps->maxparts);
	}
	for (int i = 0; i < n; i++)
	{
		IcPartition *part = &ps->parts[ps->nparts++];
		json_t	   *lower;
		json_t	   *upper;

		memset(part, 0, sizeof(IcPartition));
		part->range = ranges[i];
		ic_part_bound_clauses(ps, part, &lower, &upper);
		part->query = ic_part_and_query(ps, lower ? lower : upper, lower ? upper : NULL);
	}
	qsort(ps->parts + ps->next_part, ps->nparts - ps->next_part, sizeof(IcPartition),
		  by_size_desc);
	MemoryContextSwitchTo(old);
}

/*
 * Give every slot without a request under way one, while the controller
 * allows: the next page of its partition, or the next partition nobody
 * reads yet.
 */
static void
fill_slots(IcPartitionScan *ps)
{
	for (int s = 0; s < ps->nslots; s++)
	{
		IcPartition *part;

		if (ic_transfer_busy(ps->slots[s]))
			continue;
		if (ps->slot_part[s] < 0 && ps->next_part >= ps->nparts)
			continue;
		if (!ic_part_may_start(ps))
			break;
		if (ps->slot_part[s] < 0)
			ps->slot_part[s] = ps->next_part++;
		if (ps->pages_started++ == 0)
			ic_conc_new_kind(&ps->conc);	/* pages now, not one-record probes */
		part = &ps->parts[ps->slot_part[s]];
		ic_part_slot_start(ps, ps->slots[s],
						   ic_part_request(ps, part->query, ps->per_page, part->cursor, "ascending"),
						   &ps->slot_sent[s]);
	}
}

/* ---------- interface ---------- */

/*
 * ic_partition_key
 *		The partition key column of a stream, or NULL when its full scans
 *		cannot be partitioned: it needs a cursor-paged search whose
 *		created_at the API compares by day or to the second.
 */
const IcColumn *
ic_partition_key(const IcStream *stream)
{
	const IcColumn *col;

	if (stream->paging != IC_PAGING_CURSOR || stream->search_path == NULL)
		return NULL;
	col = ic_stream_column(stream, PARTITION_KEY);
	if (col == NULL || (col->search != IC_SEARCH_DATE_BY_DAY &&
						col->search != IC_SEARCH_DATE_SECOND))
		return NULL;
	return col;
}

/*
 * ic_partition_wanted
 *		Whether a planned scan may read in partitions: a listing or search of
 *		a partitionable stream, in no particular order, to the end (ORDER BY
 *		... LIMIT and small LIMITs stay one sorted request), with
 *		concurrency above 1 (concurrency 1 is one request at a time) and
 *		pushdown on (with it off, nothing is asked of the search API).
 */
bool
ic_partition_wanted(const IcStream *stream, IcScanMode mode, int limit,
					int sort_dir, int concurrency, bool pushdown)
{
	return ic_partition_key(stream) != NULL && pushdown &&
		(mode == IC_MODE_LIST || mode == IC_MODE_SEARCH) &&
		limit == 0 && sort_dir == 0 && concurrency > 1;
}

/*
 * ic_partition_start
 *		Given the sequential scan's first page (its total_count and how long
 *		it took), set up a partitioned read, or return NULL to go on
 *		sequentially.  cxt lives as long as this scan start; the partitions,
 *		their handles and the probes live in a context of their own under
 *		it.
 */
IcPartitionScan *
ic_partition_start(const IcPartitionAsk *ask, IcJson *first_page, double first_page_ms,
				   MemoryContext cxt)
{
	IcPartitionScan *ps;
	MemoryContext part_cxt;
	MemoryContext old;
	int64		seq_total;
	int			nslots;

	if (!ic_part_json_int64(ic_json_get(first_page, "total_count"), &seq_total))
		return NULL;
	nslots = ic_partition_slots(seq_total, ask->per_page, ask->concurrency, first_page_ms);
	if (!ic_partition_pays(seq_total, ask->per_page, first_page_ms, nslots))
		return NULL;
	part_cxt = AllocSetContextCreate(cxt, "intercom_fdw partitions", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(part_cxt);
	ps = palloc0(sizeof(IcPartitionScan));
	ps->conn = ask->conn;
	ps->stream = ask->stream;
	ps->stats = ask->stats;
	ps->cxt = part_cxt;
	ps->per_page = ask->per_page;
	ps->exact = ic_partition_key(ask->stream)->search == IC_SEARCH_DATE_BY_DAY;
	ps->pushed = pushed_clauses(part_cxt, ask->query_json);
	ps->nslots = nslots;
	ps->current = -1;
	ic_conc_init(&ps->conc, nslots);
	ps->slots = palloc(sizeof(IcTransfer *) * nslots);
	ps->slot_part = palloc(sizeof(int) * nslots);
	ps->slot_sent = palloc0(sizeof(IcSent) * nslots);
	for (int s = 0; s < nslots; s++)
	{
		/* the local trim reads created_at: count only where it is not needed */
		ps->slots[s] = ic_transfer_create(ps->conn, part_cxt,
										  ic_page_reader(ps->exact ? ask->count_key : NULL), NULL);
		ps->slot_part[s] = -1;
	}
	ic_probing_init(ps);
	ps->all = palloc(sizeof(IcTransfer *) * 2 * nslots);
	memcpy(ps->all, ps->probing.handles, sizeof(IcTransfer *) * nslots);
	memcpy(ps->all + nslots, ps->slots, sizeof(IcTransfer *) * nslots);
	if (!ic_probing_begin(ps, seq_total))
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(part_cxt);	/* the handles too */
		return NULL;
	}
	ic_probing_send(ps);
	fill_slots(ps);
	MemoryContextSwitchTo(old);
	return ps;
}

/*
 * The page a slot's request brought: its records, its partition's next
 * cursor kept, and the slot freed when the partition is read.
 */
static IcJson *
take_page(IcPartitionScan *ps, int s)
{
	IcJson	   *root = ic_part_slot_finish(ps, ps->slots[s], &ps->slot_sent[s], true);
	IcJson	   *records = ic_part_page_records(ps, root);
	IcPartition *part;
	char	   *cursor;

	ps->current = ps->slot_part[s];
	part = &ps->parts[ps->current];
	part->pages++;
	ps->pages++;
	cursor = next_cursor(root);
	if (part->cursor)
		pfree(part->cursor);
	part->cursor = cursor ? MemoryContextStrdup(ps->cxt, cursor) : NULL;
	if (part->cursor == NULL)
		ps->slot_part[s] = -1;	/* this partition is read */
	return records;
}

/*
 * ic_partition_next_page
 *		The records of whichever partition's page arrives first, decoded in
 *		the current memory context, or NULL when every partition is read.
 *		Probes that land first are taken on the way (they may queue more
 *		partitions); the page's partition starts its next page at once.
 */
IcJson *
ic_partition_next_page(IcPartitionScan *ps)
{
	for (;;)
	{
		int			i;
		IcJson	   *records;

		ic_probing_send(ps);
		fill_slots(ps);
		if (ps->in_flight == 0)
		{
			Assert(ps->probing.done && ps->next_part >= ps->nparts);
			return NULL;
		}
		i = ic_transfer_wait_any(ps->all, 2 * ps->nslots);
		Assert(i >= 0);
		if (i < ps->nslots)
		{
			ic_probing_read(ps, i);
			continue;
		}
		records = take_page(ps, i - ps->nslots);
		ic_probing_send(ps);
		fill_slots(ps);			/* its next page, or the next partition */
		return records;
	}
}

/*
 * ic_partition_keep
 *		Whether a record of the current page is in its partition's exact
 *		bounds.  By day the API's answer is exact; to the second its
 *		partition is a superset, trimmed here by the raw value the API
 *		compares.  A record without a numeric created_at (none can match a
 *		date filter) belongs to the first partition only.
 */
bool
ic_partition_keep(IcPartitionScan *ps, IcJson *record)
{
	IcPartition *part = &ps->parts[ps->current];
	int64		key;

	if (ps->exact)
		return true;
	if (!ic_part_json_int64(ic_json_get(record, PARTITION_KEY), &key))
	{
		if (!part->range.has_lo)
			return true;
	}
	else if ((!part->range.has_lo || key >= part->range.lo) &&
			 (!part->range.has_hi || key < part->range.hi))
		return true;
	ps->dropped++;
	return false;
}

/* Drive the transfers (pages and probes) while the current page's rows are returned. */
void
ic_partition_poll(IcPartitionScan *ps)
{
	for (int i = 0; i < 2 * ps->nslots; i++)
		if (ic_transfer_busy(ps->all[i]))
			(void) ic_transfer_poll(ps->all[i]);
}

/*
 * EXPLAIN ANALYZE: what the partitioned read did.  Partitions read are
 * those started (a LIMIT above the scan may stop it before the others).
 */
void
ic_partition_explain(IcPartitionScan *ps, ExplainState *es)
{
	ExplainPropertyInteger("Intercom Partitions Read", NULL, ps->next_part, es);
	ExplainPropertyInteger("Intercom Requests In Flight (max)", NULL, ps->max_in_flight, es);
	if (es->verbose)
	{
		ExplainPropertyInteger("Intercom Partition Probes", NULL, ps->probing.nprobes, es);
		ExplainPropertyInteger("Intercom Partition Rows Trimmed", NULL, ps->dropped, es);
	}
}
