/*-------------------------------------------------------------------------
 *
 * streams.h
 *		The static description of Intercom's streams.
 *
 * This header has no PostgreSQL or libcurl dependencies: it is plain data.
 * One table (ic_streams[] in streams.c) drives the validator, the scan
 * (which endpoint, which paging style, which list key), pushdown (which
 * columns the search API can filter), IMPORT FOREIGN SCHEMA (the column list
 * and types) and materialize (primary key, replication method).
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_STREAMS_H
#define INTERCOM_STREAMS_H

#include <stdbool.h>

/*
 * The path of the catch-all column: it holds the record's top-level members
 * that no other column of the table reads.  IMPORT FOREIGN SCHEMA names the
 * column the same, so a column called _extra without a path option is it.
 */
#define IC_EXTRA_PATH "_extra"

/* Column types as the Stitch/Singer reference names them. */
typedef enum IcColumnType
{
	IC_STRING,					/* text */
	IC_INTEGER,					/* bigint */
	IC_NUMBER,					/* numeric */
	IC_BOOLEAN,					/* boolean */
	IC_DATETIME,				/* timestamptz, from epoch seconds */
	IC_OBJECT,					/* jsonb */
	IC_ARRAY					/* jsonb */
} IcColumnType;

/* How the Intercom endpoint pages (intercom-api.md section 3.0). */
typedef enum IcPaging
{
	IC_PAGING_NONE,				/* one response holds everything */
	IC_PAGING_CURSOR,			/* pages.next.starting_after; query string or body */
	IC_PAGING_PAGE_NUMBER,		/* ?page=N, pages.next is a URL or null */
	IC_PAGING_SCROLL,			/* scroll_param, end is an empty page */
	IC_PAGING_PER_PARENT,		/* conversation_parts: one GET per conversation */
	IC_PAGING_LINK				/* link tables: the parent's inlined lists (link.c) */
} IcPaging;

/*
 * How an incremental copy (materialize) notices records deleted upstream
 * (docs/materialize.md "Deleted and merged records"); full streams mirror
 * each read and need none.
 */
typedef enum IcDeletion
{
	IC_DELETION_NONE = 0,
	IC_DELETION_FEED,			/* the deleted conversations feed names them */
	IC_DELETION_WHOLE,			/* the API cannot filter it: read whole, mirror */
	IC_DELETION_COUNT			/* search counts by created_at, then GET by id */
} IcDeletion;

/* Which search operators a column supports, for pushdown. */
typedef enum IcSearchKind
{
	IC_SEARCH_NONE = 0,
	IC_SEARCH_EQUAL,			/* exact equality on a string/boolean field */
	IC_SEARCH_DATE_BY_DAY,		/* contacts dates: compared by day in workspace tz */
	IC_SEARCH_DATE_SECOND,		/* conversations dates: compared to the second */
	IC_SEARCH_RANGE_PARAM		/* a date bounded by the listing's range parameters */
} IcSearchKind;

typedef struct IcColumn
{
	const char *name;			/* column name in the foreign table */
	IcColumnType type;			/* type IMPORT FOREIGN SCHEMA gives it */
	const char *path;			/* dotted JSON path; NULL means the name */
	IcSearchKind search;		/* how the search API can filter it */
} IcColumn;

typedef struct IcStream
{
	const char *name;			/* table and option value: "contacts" */
	const char *list_path;		/* GET path (with fixed query) for a full scan */
	const char *list_key;		/* envelope key of the record array */
	IcPaging paging;
	const char *search_path;	/* POST search endpoint, or NULL */
	const char *get_path;		/* GET one record by id ("/contacts/"), or NULL */
	const char *primary_key;	/* column name */
	bool		incremental;	/* key-based replication on replication_key */
	int			default_rows;	/* planner's row estimate when nothing is known */
	const IcColumn *columns;
	int			ncolumns;
	/*
	 * A page-numbered listing for queries with a LIMIT, or NULL: it reads
	 * the first rows without opening the workspace's one company scroll,
	 * which a scan stopped early would leave blocking the next for a minute.
	 */
	const char *limit_path;

	/*
	 * What else differs between streams, so that code reads the row instead
	 * of testing the stream's name.  NULL (or 0) where it does not apply.
	 */
	const char *custom_model;	/* data attribute model of its custom columns */
	const char *custom_model_until;	/* first API version without that model */
	const char *lookup_column;	/* a column with its own one-GET lookup... */
	const char *lookup_path;	/* ...this path, the value appended */
	/*
	 * A stream read through a parent (IC_PAGING_PER_PARENT): each parent
	 * record (parent's get_path + id) holds {"<child_list>": {"<child_list>":
	 * [...], "total_count": n}}; each child is stamped with the parent's id,
	 * created_at, updated_at and that count, under the names in stamps[]
	 * (IC_STAMP_ID ...).  stamps[IC_STAMP_ID] is the key linking a child to
	 * its parent: its `= X` is one GET of the parent.
	 */
	const char *parent;			/* parent stream's name */
	const char *child_list;		/* key of the children in the parent record */
	const char *stamps[4];		/* "conversation_id", ..._created_at, ... */
	const char *since;			/* first API version with the endpoint, or NULL:
								 * IMPORT skips the table for older versions */
	const char *list_path_since;	/* API version that moved the listing... */
	const char *list_path_new;	/* ...to this path */
	/*
	 * A stream listed only through its search (tickets): a full scan sends
	 * this query, which matches every record.
	 */
	const char *list_query;
	bool		search_unsorted;	/* the search takes no "sort" */
	/*
	 * A listing bounded by query parameters on one date column (activity
	 * logs: created_at_after, required, and created_at_before); the column
	 * is IC_SEARCH_RANGE_PARAM.  Without a lower bound a scan starts at the
	 * server's start_date, else at range_default_after (epoch seconds).
	 */
	const char *range_after;
	const char *range_before;
	long		range_default_after;
	const char *replication_key;	/* incremental on this, not updated_at */
	/*
	 * A link table (IC_PAGING_LINK, link.c): rows from the list at link_path
	 * of each parent record, the child's id at link_child of each element
	 * (NULL: the element itself) under link_column; where link_more is true
	 * the whole list comes from link_expand (printf with the parent's id).
	 */
	const char *link_path;
	const char *link_child;
	const char *link_column;
	const char *link_more;
	const char *link_expand;
	/*
	 * An endpoint that exists only from this API version (the deleted
	 * conversations feed, 2.16): its requests say this Intercom-Version
	 * whatever the server's api_version.
	 */
	const char *api_version;
	/*
	 * A per-parent stream read from an endpoint of its own rather than from
	 * the parent's detail (contact_subscriptions, contact_notes): GET
	 * child_path (printf with the parent's id), whose "data" are the rows,
	 * each stamped with the parent's id alone; more pages are read while
	 * pages.total_pages says so.  child_when, when set, is the dotted path
	 * of a count the parent record inlines: a parent whose count is 0 is
	 * not asked.  child_key, when set, takes each row's own id, and "id"
	 * becomes "<parent id>/<child id>": a child that belongs to many
	 * parents (a subscription type) is unique only with its parent.
	 */
	const char *child_path;
	const char *child_when;
	const char *child_key;
	/*
	 * materialize: how an incremental run notices deletions; a feed's rows
	 * are found by ic_stream_key_column (the conversation's id).  With
	 * deletion_audit a feed stream also compares counts, for what the feed
	 * cannot say (deletions older than the run's lower bound).
	 */
	IcDeletion	deletion;
	bool		deletion_audit;
} IcStream;

/* The parent's fields a child is stamped with, in stamps[] order. */
enum IcStamp
{
	IC_STAMP_ID,
	IC_STAMP_CREATED_AT,
	IC_STAMP_UPDATED_AT,
	IC_STAMP_TOTAL				/* the children's total_count */
};
#define IC_NSTAMPS 4

/* GET /companies reaches only the first 10,000 records (intercom-api.md 3.3) */
#define IC_LIMIT_PATH_MAX_ROWS	10000
#define IC_LIMIT_PATH_MAX_PER_PAGE	60

extern const IcStream ic_streams[];
extern const int ic_nstreams;

extern const IcStream *ic_stream_lookup(const char *name);
extern const IcColumn *ic_stream_column(const IcStream *stream, const char *name);
extern const char *ic_stream_names(void);	/* "admins, companies, ..." */
extern const char *ic_column_type_sql(IcColumnType type);
extern const IcStream *ic_stream_parent(const IcStream *stream);
extern const char *ic_stream_key_column(const IcStream *stream);
extern const char *ic_stream_parent_field(const IcStream *stream, const char *column);
extern const char *ic_stream_parent_bookmark(const IcStream *stream);
extern const char *ic_deletion_name(IcDeletion deletion);
extern const char *ic_stream_list_path(const IcStream *stream, int major, int minor);

#endif							/* INTERCOM_STREAMS_H */
