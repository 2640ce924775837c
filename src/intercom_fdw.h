/*-------------------------------------------------------------------------
 *
 * intercom_fdw.h
 *		Shared declarations of intercom_fdw, grouped by the file that
 *		defines them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_FDW_H
#define INTERCOM_FDW_H

#include "postgres.h"

/*
 * PostgreSQL's fmgrprotos.h declares SQL functions json_object and
 * json_typeof, which jansson also defines: include it first under other
 * names, then jansson.
 */
#define json_object pg_fmgr_json_object
#define json_typeof pg_fmgr_json_typeof
#include "utils/builtins.h"
#undef json_object
#undef json_typeof

#include <jansson.h>

#include "pg_compat.h"

#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/parsenodes.h"
#include "nodes/pathnodes.h"
#include "utils/timestamp.h"
#include <math.h>

#include "json_decode.h"
#include "streams.h"

#define INTERCOM_FDW_VERSION "1.0"
#define INTERCOM_USER_AGENT "intercom_fdw/" INTERCOM_FDW_VERSION
#define INTERCOM_DEFAULT_API_VERSION "2.14"

/*
 * Everything a scan needs from the server, user mapping and table options,
 * merged once (option.c).
 */
typedef struct IcOptions
{
	char	   *api_url;		/* base URL, no trailing slash */
	char	   *api_version;	/* sent as Intercom-Version */
	int			timeout_ms;		/* whole-request timeout */
	int			connect_timeout_ms;
	int			max_retries;	/* retries after the first attempt */
	int			retry_base_ms;	/* first backoff; doubles per attempt */
	int			per_page;		/* page size asked for, 1..150 */
	int			concurrency;	/* reads: the ceiling of requests in flight */
	int			write_concurrency;	/* writes sent at once (modify.c) */
	bool		pushdown;		/* translate quals into API filters */
	char	   *token;			/* from the user mapping only; never logged */
	char	   *start_date;		/* server option: how far back reads go, or NULL */
	Oid			umid;			/* user mapping OID, the connection cache key */
} IcOptions;

/* Counters for EXPLAIN ANALYZE and materialize (transfer.c fills them). */
typedef struct IcStats
{
	int64		requests;
	int64		retries;
	int64		rate_limit_waits;	/* 429s waited out and proactive pauses */
	int64		bytes;
	double		wait_ms;		/* time spent in backoff and pacing */
	int64		replaced_chars;	/* decoded characters replaced by U+FFFD */
} IcStats;

/* What a write may do (option.c): off until asked. */
typedef struct IcWriteOptions
{
	bool		updatable;		/* server or table option updatable */
	bool		allow_delete;	/* table option: irreversible deletes */
	char	   *admin_id;		/* user mapping, table or server: the acting admin */
} IcWriteOptions;

/* ---- in option.c ---- */
extern void ic_get_write_options(Oid foreigntableid, Oid userid, IcWriteOptions *wo);
extern void ic_get_options(Oid foreigntableid, Oid userid, IcOptions *opts);
extern void ic_get_server_options(ForeignServer *server, UserMapping *um,
								  IcOptions *opts);
extern const IcStream *ic_table_stream(Oid foreigntableid);
extern char *ic_column_path(Oid foreigntableid, AttrNumber attnum,
							const char *attname);
extern bool ic_table_pushdown(Oid foreigntableid, bool server_default);
extern UserMapping *ic_find_user_mapping(Oid userid, Oid serverid);
extern bool ic_parse_api_version(const char *value, int *major, int *minor);

/* ---- in retry.c ---- */

/* What a request reads, for what its failures may do (retry.c). */
typedef enum IcRequestKind
{
	IC_REQ_LIST_CURSOR,			/* GET /contacts?starting_after=... */
	IC_REQ_SEARCH,				/* POST /contacts/search */
	IC_REQ_PAGE_NUMBER,			/* GET /companies?page=N */
	IC_REQ_SCROLL,				/* GET /companies/scroll: advances the scroll */
	IC_REQ_CHILD_DETAIL,		/* GET /conversations/{id} for conversation_parts */
	IC_REQ_GET_BY_ID,			/* GET /contacts/{id}, /companies?company_id= */
	IC_REQ_UNPAGED,				/* GET /tags, /admins, /data_attributes... */
	IC_REQ_WRITE,				/* PUT, attach/detach, DELETE: the same again is harmless */
	IC_REQ_WRITE_CREATE,		/* POST /tags, /companies, parts: a resend may double it */
	IC_REQ_NKINDS
} IcRequestKind;

typedef enum IcFailureClass
{
	IC_FAILURE_NONE,
	IC_FAILURE_NOT_SENT,		/* could not connect: the server never saw it */
	IC_FAILURE_LOST,			/* reset, timeout, cut short: may have been served */
	IC_FAILURE_RATE_LIMITED,	/* 429: refused before being served */
	IC_FAILURE_SERVER,			/* 408, 5xx (also a gateway's HTML page) */
	IC_FAILURE_BAD_BODY,		/* a 2xx that is empty or not JSON */
	IC_FAILURE_CLIENT			/* any other status */
} IcFailureClass;

typedef enum IcRetryAction
{
	IC_ACTION_RETRY,			/* send again after a backoff, up to max_retries */
	IC_ACTION_WAIT_RATE_LIMIT,	/* wait for the window's reset, send again */
	IC_ACTION_RETURN,			/* hand the failure to the caller (it restarts) */
	IC_ACTION_REPORT			/* raise the error */
} IcRetryAction;

/* A failure handed back to the caller, or an answer it asked for. */
typedef struct IcFailure
{
	IcFailureClass failure;
	long		status;			/* HTTP status, 0 without a response */
	int			curl_code;		/* CURLcode */
	char	   *code;			/* Intercom's error code, or NULL */
	char	   *message;		/* short summary (curl error, body summary) */
	char		request_id[96];
	int			attempts;
} IcFailure;

extern bool ic_request_replayable(IcRequestKind kind);
extern IcFailureClass ic_classify_failure(int curl_code, long status, bool bad_body);
extern IcRetryAction ic_retry_action(IcRequestKind kind, IcFailureClass failure);

/* ---- the HTTP layer (src/http/) ---- */
typedef struct IcConnection IcConnection;
struct IcRequest;				/* requests/request.h: a request as a value */

extern void ic_http_init(void);
extern IcConnection *ic_connect(const IcOptions *opts);

/*
 * What a caller makes of a 2xx body (the page decoder, json_decode.c):
 * allocated in the current memory context, which keeps the body too; NULL
 * when the body is not what it must be (not JSON), a transient failure.
 */
typedef void *(*IcReadBody) (const char *body, size_t len, const void *arg,
							 IcStats *stats);
typedef struct IcReader
{
	IcReadBody	read;
	const void *arg;
} IcReader;

/* What a caller takes back instead of an error. */
typedef struct IcAnswers
{
	const long *statuses;		/* answers, e.g. a deleted parent's 404 (0-terminated) */
	IcFailure  *failure;		/* set: those statuses, and failures retry.c hands
								 * back (a scroll page's), are described here */
} IcAnswers;

/* the page decoder as a reader (json_decode.c): count_key as in IcDecodeOptions */
extern IcReader ic_page_reader(const char *count_key);

extern void *ic_http_send(IcConnection *conn, const struct IcRequest *r,
						  IcReader reader, const IcAnswers *answers, IcStats *stats);

/* requests in the background (transfer.c): the same engine */
typedef struct IcTransfer IcTransfer;
extern IcTransfer *ic_transfer_create(IcConnection *conn, MemoryContext cxt,
									  IcReader reader, const long *pass_statuses);
extern void ic_transfer_start(IcTransfer *t, const struct IcRequest *r, IcStats *stats);
extern bool ic_transfer_poll(IcTransfer *t);
extern bool ic_transfer_busy(IcTransfer *t);
extern bool ic_transfer_landed(IcTransfer *t);
extern int	ic_transfer_rate_limited(IcTransfer *t);
extern void ic_transfer_wait(IcTransfer **ts, int n, IcTransfer *target);
extern int	ic_transfer_wait_any(IcTransfer **ts, int n);
extern void ic_transfer_cancel(IcTransfer *t);
extern void *ic_transfer_finish(IcTransfer *t, IcFailure *failure);

/* what a backend waits on, as pg_stat_activity shows it (wait_events.c) */
typedef enum IcWaitEvent
{
	IC_WAIT_RESPONSE,			/* an Intercom response */
	IC_WAIT_RATE_LIMIT,			/* the rate-limit window, or pacing within it */
	IC_WAIT_RETRY_BACKOFF,		/* the pause before a retried request */
	IC_WAIT_SCROLL_EXPIRY,		/* a company scroll that exists to expire */
	IC_WAIT_COUNT
} IcWaitEvent;

extern uint32 ic_wait_event(IcWaitEvent what);
extern void ic_sleep_ms(int64 ms, IcWaitEvent why, IcStats *stats);

/* what is left of the rate-limit window, less the requests in flight (rate_limit.c) */
extern void ic_rate_window(IcConnection *conn, int *limit, int *remaining, int64 *ms_left);

extern char *ic_url_escape(const char *s);
extern IcStats ic_backend_stats;	/* totals for this backend */

/* ---- in convert.c ---- */
typedef struct IcColumnReader
{
	AttrNumber	attnum;
	char	   *attname;
	char	  **path;			/* split dotted path; NULL-terminated */
	bool		whole_record;	/* path '$': the record as jsonb */
	bool		extra;			/* path '_extra': the members no column reads */
	Oid			typid;
	Oid			typinput;
	Oid			typioparam;
	int32		typmod;
	FmgrInfo	input;
} IcColumnReader;

extern void ic_reader_init(IcColumnReader *reader, Relation rel,
						   AttrNumber attnum, const char *path);
extern Datum ic_convert_value(IcColumnReader *reader, IcJson *value,
							  bool *isnull);
extern IcJson *ic_json_path(IcJson *record, char **path);
extern bool ic_json_to_epoch(IcJson *value, double *epoch);
extern char *ic_json_to_text(const IcJson *value, size_t limit);
extern char *ic_json_record_id(const IcJson *record);

/* ---- in columns.c ---- */
typedef struct IcColumnIndex IcColumnIndex;
extern IcColumnIndex *ic_column_index_build(IcColumnReader *readers, int nreaders,
											const char *const *table_keys);
extern const char **ic_table_keys(Relation rel);
extern IcJson *ic_record_extras(const IcJson *record, const char *const *table_keys,
								IcJson *object);
extern void ic_column_index_lookup(IcColumnIndex *index, IcJson *record,
								   IcJson **values, IcJson *extras);

/* ---- in jsonb_build.c ---- */
extern Datum ic_jsonb_from_json(const IcJson *value);

/* ---- in pushdown.c ---- */

/* A pushed filter's value, evaluated when the scan starts. */
typedef struct IcFilterValue
{
	bool		isnull;
	bool		symbolic;		/* EXPLAIN only: text shows the expression */
	bool		infinite;		/* +-infinity: nothing to send */
	Oid			type;
	double		epoch;			/* timestamptz values */
	bool		boolval;
	char	   *text;			/* text values, or the symbolic expression */
	List	   *texts;			/* "in": the array's elements */
} IcFilterValue;

extern void ic_classify_quals(PlannerInfo *root, RelOptInfo *baserel,
							  List *clauses, const IcStream *stream,
							  Oid foreigntableid,
							  List **filters, List **filter_exprs,
							  bool *exact);
extern json_t *ic_search_clause(const IcColumn *col, const char *api_field,
								const char *op, IcFilterValue *value);
extern json_t *ic_search_query(List *clauses);

/* ---- in scroll.c ---- */

/* How a company scroll has failed and recovered so far, in one scan. */
typedef struct IcScrollRecovery
{
	int64		restarts;
	int64		waited_ms;		/* scroll_exists waited out */
	TimestampTz give_up_at;		/* 0, or since the first failure: the deadline */
	IcFailure	last_failure;	/* its strings in cxt */
	MemoryContext cxt;			/* lives as long as the scan */
} IcScrollRecovery;

extern void ic_scroll_recovery_init(IcScrollRecovery *r, MemoryContext cxt);
extern void ic_scroll_restart(IcScrollRecovery *r, const IcFailure *f);
extern void ic_scroll_wait(IcScrollRecovery *r, const IcFailure *f, IcStats *stats);
pg_noreturn extern void ic_scroll_fail(IcScrollRecovery *r, const IcFailure *f);

/* ---- in scan.c ---- */

/* How a scan reads its stream (decided at plan time). */
typedef enum IcScanMode
{
	IC_MODE_LIST,				/* the list endpoint, every page */
	IC_MODE_SEARCH,				/* the search endpoint with pushed filters */
	IC_MODE_IDS,				/* one GET per id */
	IC_MODE_LOOKUP				/* GET /companies?company_id=X */
} IcScanMode;

/* fdw_private of a ForeignScan, by position. */
enum IcScanPrivateIndex
{
	IcPrivMode,					/* Integer: IcScanMode */
	IcPrivFilters,				/* List of (column, op) String pairs */
	IcPrivSortDir,				/* Integer: 0 none, 1 ascending, -1 descending */
	IcPrivLimit,				/* Integer: rows, or 0 for no limit */
	IcPrivAttrs					/* Integer list of attnums to convert */
};

extern void intercomBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *intercomIterateForeignScan(ForeignScanState *node);
extern void intercomReScanForeignScan(ForeignScanState *node);
extern void intercomEndForeignScan(ForeignScanState *node);
extern void intercomExplainForeignScan(ForeignScanState *node, ExplainState *es);

/* ---- in range.c ---- */

/* The bounds a range-parameter listing is asked for (activity logs). */
typedef struct IcRange
{
	bool		has_after;
	bool		has_before;
	double		after;			/* epoch seconds, exclusive */
	double		before;
	char	   *after_text;		/* EXPLAIN of a generic plan: the expression */
	char	   *before_text;
} IcRange;

extern void ic_range_add(IcRange *range, const char *op, const IcFilterValue *value);
extern char *ic_range_query(const IcStream *stream, const IcRange *range,
							const char *start_date);

/* ---- in link.c ---- */
extern IcJson *ic_json_dotted(IcJson *value, const char *path);
extern IcJson *ic_link_rows(const IcStream *stream, IcJson *parent,
							IcConnection *conn, IcStats *stats);

/* ---- in analyze.c ---- */
#include "foreign/fdwapi.h"
extern bool intercomAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
										BlockNumber *totalpages);

/* ---- in comment.c ---- */
extern void ic_comment_install(void);
extern char *ic_column_comment(const IcStream *s, const char *attname, const char *path);

/* ---- in partition.c ---- */
typedef struct IcPartitionScan IcPartitionScan;

extern const IcColumn *ic_partition_key(const IcStream *stream);
extern bool ic_partition_wanted(const IcStream *stream, IcScanMode mode, int limit,
								int sort_dir, int concurrency, bool pushdown);
/* What a partitioned read needs of the scan that asks for it. */
typedef struct IcPartitionAsk
{
	IcConnection *conn;
	const IcStream *stream;
	const char *query_json;		/* the pushed filters' query; NULL: none */
	int			per_page;
	int			concurrency;	/* the ceiling of requests in flight */
	const char *count_key;		/* count the records, not decode them (count(*)) */
	IcStats    *stats;
} IcPartitionAsk;

extern IcPartitionScan *ic_partition_start(const IcPartitionAsk *ask, IcJson *first_page,
										   double first_page_ms, MemoryContext cxt);
extern IcJson *ic_partition_next_page(IcPartitionScan *ps);
extern bool ic_partition_keep(IcPartitionScan *ps, IcJson *record);
extern void ic_partition_poll(IcPartitionScan *ps);
extern void ic_partition_explain(IcPartitionScan *ps, ExplainState *es);

/* ---- in modify.c ---- */
extern void intercomAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
											RangeTblEntry *target_rte,
											Relation target_relation);
extern int	intercomIsForeignRelUpdatable(Relation rel);
extern List *intercomPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
									   Index resultRelation, int subplan_index);
extern void intercomBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
									   List *fdw_private, int subplan_index, int eflags);
extern void intercomBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo);
extern TupleTableSlot *intercomExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
												 TupleTableSlot *slot, TupleTableSlot *planSlot);
extern TupleTableSlot *intercomExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
												 TupleTableSlot *slot, TupleTableSlot *planSlot);
extern TupleTableSlot *intercomExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
												 TupleTableSlot *slot, TupleTableSlot *planSlot);
extern void intercomEndForeignModify(EState *estate, ResultRelInfo *rinfo);
extern void intercomExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
										 List *fdw_private, int subplan_index,
										 ExplainState *es);

/* ---- in import.c ---- */

/* A column IMPORT FOREIGN SCHEMA creates or adds. */
typedef struct IcNewColumn
{
	char	   *name;
	const char *type;			/* SQL type */
	char	   *path;			/* path option, or NULL: the name */
} IcNewColumn;

extern List *intercomImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);
extern List *ic_import_columns(const IcStream *stream, IcConnection *conn,
							   const IcOptions *opts, IcStats *stats);
extern char *ic_column_definition(const IcNewColumn *col);

/* ---- in import_add.c ---- */
extern Oid	ic_import_existing(const char *local_schema, const IcStream *stream, Oid serverOid);
extern void ic_import_add_columns(Oid relid, const IcStream *stream, List *columns,
								  int sample_rows);

#endif							/* INTERCOM_FDW_H */
