/*-------------------------------------------------------------------------
 *
 * import_add.c
 *		IMPORT FOREIGN SCHEMA over tables that already exist: add the
 *		columns they lack, never drop or retype one.
 *
 * Intercom adds fields every few months.  Each arrives at once in _extra;
 * running the import again makes it a column.  For a table of the same
 * server and stream that already exists in the target schema the import
 * adds, with ALTER FOREIGN TABLE ... ADD COLUMN and a COMMENT:
 *	- the stream's columns it lacks (new in this release) and _extra;
 *	- with custom_attributes 'true', the custom data attributes defined in
 *	  Intercom since (GET /data_attributes);
 *	- with sample_rows N, the fields found in _extra of the table's first N
 *	  rows (one page: a LIMIT query), typed by the JSON values seen: string
 *	  text, boolean boolean, number numeric (timestamptz for an integer
 *	  field named *_at: Intercom sends moments as epoch seconds), object,
 *	  array or a mix jsonb.  A field seen only as null stays in _extra: its
 *	  type is unknown.
 * A column is not added when the table has a column of that name, or one
 * that already reads that path (a column the user renamed).  Each change is
 * reported in a NOTICE.
 *
 * IDENTIFICATION
 *		src/import_add.c
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/comment.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/* The existing columns of a table: names, and the paths they read. */
typedef struct Existing
{
	List	   *names;			/* String */
	List	   *paths;			/* String */
	char	   *catch_all;		/* name of the column with path _extra, or NULL */
} Existing;

/*
 * ic_import_existing
 *		The table the import would create for stream, if it exists in
 *		local_schema as a foreign table of the same server and stream; else
 *		InvalidOid (and the CREATE reports any clash as usual).
 */
Oid
ic_import_existing(const char *local_schema, const IcStream *stream, Oid serverOid)
{
	Oid			relid = get_relname_relid(stream->name, get_namespace_oid(local_schema, false));

	if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE ||
		GetForeignTable(relid)->serverid != serverOid)
		return InvalidOid;
	return ic_table_stream(relid) == stream ? relid : InvalidOid;
}

static Existing
existing_columns(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	Existing	e = {0};

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		char	   *name = NameStr(attr->attname);
		char	   *path;

		if (attr->attisdropped)
			continue;
		path = ic_column_path(relid, attr->attnum, name);
		e.names = lappend(e.names, makeString(pstrdup(name)));
		e.paths = lappend(e.paths, makeString(path));
		if (strcmp(path, IC_EXTRA_PATH) == 0 && e.catch_all == NULL)
			e.catch_all = pstrdup(name);
	}
	table_close(rel, AccessShareLock);
	return e;
}

static bool
string_member_of(List *strings, const char *s)
{
	ListCell   *lc;

	foreach(lc, strings)
		if (strcmp(strVal(lfirst(lc)), s) == 0)
			return true;
	return false;
}

/* Run one SQL command through SPI (the caller is connected). */
static void
run_sql(const char *sql)
{
	if (SPI_execute(sql, false, 0) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not run \"%s\" during IMPORT FOREIGN SCHEMA", sql)));
	CommandCounterIncrement();
}

/*
 * add_column
 *		ALTER FOREIGN TABLE ... ADD COLUMN, with the comment the import
 *		gives such a column; false when the table has it already (by name,
 *		or a column reading its path).
 */
static bool
add_column(Oid relid, const IcStream *stream, Existing *e, const IcNewColumn *col)
{
	const char *path = col->path ? col->path : col->name;

	if (string_member_of(e->names, col->name) || string_member_of(e->paths, path) ||
		(strcmp(path, IC_EXTRA_PATH) == 0 && e->catch_all))
		return false;
	run_sql(psprintf("ALTER FOREIGN TABLE %s ADD COLUMN %s",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												get_rel_name(relid)),
					 ic_column_definition(col)));
	CreateComments(relid, RelationRelationId, get_attnum(relid, col->name),
				   ic_column_comment(stream, col->name, path));
	e->names = lappend(e->names, makeString(col->name));
	e->paths = lappend(e->paths, makeString((char *) path));
	if (strcmp(path, IC_EXTRA_PATH) == 0)
		e->catch_all = col->name;
	return true;
}

/* The SQL type of a field from the JSON kinds its sampled values had. */
static const char *
sampled_type(const char *field, const char *kinds, bool integers)
{
	size_t		len = strlen(field);

	if (strcmp(kinds, "string") == 0)
		return "text";
	if (strcmp(kinds, "boolean") == 0)
		return "boolean";
	if (strcmp(kinds, "number") == 0)
		return integers && len > 3 && strcmp(field + len - 3, "_at") == 0 ? "timestamptz" : "numeric";
	return "jsonb";				/* object, array, or values of several kinds */
}

/*
 * sampled_columns
 *		The fields in the catch-all of the table's first sample_rows rows,
 *		as columns reading them; fields seen only as null are left out.
 */
static List *
sampled_columns(Oid relid, const char *catch_all, int sample_rows)
{
	char	   *sql = psprintf(
		"SELECT e.key, string_agg(DISTINCT jsonb_typeof(e.value), ',') "
		"         FILTER (WHERE jsonb_typeof(e.value) <> 'null'), "
		"       bool_and(jsonb_typeof(e.value) <> 'number' OR e.value::text ~ '^-?[0-9]+$') "
		"  FROM (SELECT %s AS x FROM %s LIMIT %d) s, jsonb_each(s.x) e "
		" GROUP BY e.key ORDER BY e.key",
		quote_identifier(catch_all),
		quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid)),
		sample_rows);
	List	   *columns = NIL;

	if (SPI_execute(sql, true, 0) != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not sample \"%s\" during IMPORT FOREIGN SCHEMA", get_rel_name(relid))));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *field = SPI_getvalue(tuple, desc, 1);
		char	   *kinds = SPI_getvalue(tuple, desc, 2);
		char	   *integers = SPI_getvalue(tuple, desc, 3);
		IcNewColumn *col;

		if (kinds == NULL)
			continue;			/* only nulls: no type to give it */
		col = palloc0(sizeof(IcNewColumn));
		col->name = field;
		col->type = sampled_type(field, kinds, integers && integers[0] == 't');
		columns = lappend(columns, col);
	}
	return columns;
}

/*
 * ic_import_add_columns
 *		Add to the existing table relid the columns of `columns` it lacks
 *		(ic_import_columns), then, with sample_rows, the fields its catch-all
 *		holds in a sample.
 */
void
ic_import_add_columns(Oid relid, const IcStream *stream, List *columns, int sample_rows)
{
	Existing	e = existing_columns(relid);
	StringInfoData added;
	ListCell   *lc;

	initStringInfo(&added);
	SPI_connect();
	foreach(lc, columns)
		if (add_column(relid, stream, &e, lfirst(lc)))
			appendStringInfo(&added, "%s%s", added.len ? ", " : "", quote_identifier(((IcNewColumn *) lfirst(lc))->name));
	if (sample_rows > 0 && e.catch_all)
	{
		List	   *sampled = sampled_columns(relid, e.catch_all, sample_rows);

		foreach(lc, sampled)
			if (add_column(relid, stream, &e, lfirst(lc)))
				appendStringInfo(&added, "%s%s (from %s)", added.len ? ", " : "",
								 quote_identifier(((IcNewColumn *) lfirst(lc))->name), e.catch_all);
	}
	SPI_finish();
	if (added.len > 0)
		ereport(NOTICE,
				(errmsg("foreign table \"%s\" already exists: added column(s) %s",
						get_rel_name(relid), added.data),
				 errhint("Copies made by intercom_fdw.materialize gain them on their next run.")));
}
