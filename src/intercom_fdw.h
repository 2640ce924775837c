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

#include "commands/explain.h"

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
	int			concurrency;	/* parallel child requests */
	bool		pushdown;		/* translate quals into API filters */
	char	   *token;			/* from the user mapping only; never logged */
	Oid			umid;			/* user mapping OID, the connection cache key */
} IcOptions;

/* Counters for EXPLAIN ANALYZE and materialize (http.c fills them). */
typedef struct IcStats
{
	int64		requests;
	int64		retries;
	int64		rate_limit_waits;	/* 429s waited out and proactive pauses */
	int64		bytes;
	double		wait_ms;		/* time spent in backoff and pacing */
	int64		replaced_chars;	/* decoded characters replaced by U+FFFD */
} IcStats;

/* ---- in option.c ---- */
extern void ic_get_options(Oid foreigntableid, Oid userid, IcOptions *opts);
extern void ic_get_server_options(ForeignServer *server, UserMapping *um,
								  IcOptions *opts);
extern const IcStream *ic_table_stream(Oid foreigntableid);
extern char *ic_column_path(Oid foreigntableid, AttrNumber attnum,
							const char *attname);
extern bool ic_table_pushdown(Oid foreigntableid, bool server_default);
extern UserMapping *ic_find_user_mapping(Oid userid, Oid serverid);
extern bool ic_parse_api_version(const char *value, int *major, int *minor);

/* ---- in http.c ---- */
typedef struct IcConnection IcConnection;

extern void ic_http_init(void);
extern IcConnection *ic_connect(const IcOptions *opts);
extern json_t *ic_request(IcConnection *conn, const char *method,
						  const char *path, const char *body,
						  const long *pass_statuses, long *status,
						  char **error_code, IcStats *stats);
extern IcJson *ic_request_page(IcConnection *conn, const char *method,
							   const char *path, const char *body,
							   const long *pass_statuses, long *status,
							   char **error_code, const char *count_key,
							   IcStats *stats);
extern void ic_sleep_ms(int64 ms, IcStats *stats);
typedef struct IcAsyncRequest IcAsyncRequest;
extern IcAsyncRequest *ic_async_create(IcConnection *conn, MemoryContext cxt,
									   const char *count_key,
									   const long *pass_statuses);
extern void ic_async_start(IcAsyncRequest *req, const char *method,
						   const char *path, const char *body, IcStats *stats);
extern bool ic_async_poll(IcAsyncRequest *req);
extern bool ic_async_active(IcAsyncRequest *req);
extern long ic_async_status(IcAsyncRequest *req);
extern IcJson *ic_async_finish(IcAsyncRequest *req, IcStats *stats);
extern void ic_async_cancel(IcAsyncRequest *req);
extern void ic_async_wait(IcAsyncRequest **reqs, int n, IcAsyncRequest *target);
extern int	ic_async_wait_any(IcAsyncRequest **reqs, int n);
extern void ic_json_attach(MemoryContext cxt, json_t *json);
extern char *ic_url_escape(const char *s);
extern IcStats ic_backend_stats;	/* totals for this backend */

/* ---- in convert.c ---- */
typedef struct IcColumnReader
{
	AttrNumber	attnum;
	char	   *attname;
	char	  **path;			/* split dotted path; NULL-terminated */
	bool		whole_record;	/* path '*' or '.' : the record as jsonb */
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

/* ---- in partition.c ---- */
typedef struct IcPartitionScan IcPartitionScan;

extern const IcColumn *ic_partition_key(const IcStream *stream);
extern bool ic_partition_wanted(const IcStream *stream, IcScanMode mode, int limit,
								int sort_dir, int concurrency);
extern IcPartitionScan *ic_partition_start(IcConnection *conn, const IcStream *stream,
										   const char *query_json, int per_page,
										   int concurrency, const char *count_key,
										   IcJson *first_page, MemoryContext cxt,
										   IcStats *stats);
extern IcJson *ic_partition_next_page(IcPartitionScan *ps);
extern bool ic_partition_keep(IcPartitionScan *ps, IcJson *record);
extern void ic_partition_poll(IcPartitionScan *ps);
extern void ic_partition_explain(IcPartitionScan *ps, ExplainState *es);

/* ---- in import.c ---- */
extern List *intercomImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);

#endif							/* INTERCOM_FDW_H */
