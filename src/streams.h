/*-------------------------------------------------------------------------
 *
 * streams.h
 *		The static description of Intercom's eleven streams.
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
	IC_PAGING_PER_PARENT		/* conversation_parts: one GET per conversation */
} IcPaging;

/* Which search operators a column supports, for pushdown. */
typedef enum IcSearchKind
{
	IC_SEARCH_NONE = 0,
	IC_SEARCH_EQUAL,			/* exact equality on a string/boolean field */
	IC_SEARCH_DATE_BY_DAY,		/* contacts dates: compared by day in workspace tz */
	IC_SEARCH_DATE_SECOND		/* conversations dates: compared to the second */
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
	bool		incremental;	/* key-based replication on updated_at */
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

#endif							/* INTERCOM_STREAMS_H */
