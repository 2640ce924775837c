/*-------------------------------------------------------------------------
 *
 * import.c
 *		IMPORT FOREIGN SCHEMA intercom FROM SERVER s INTO local_schema.
 *
 * The stream table gives every table and column.  With the import option
 * custom_attributes 'true', the workspace's custom data attributes
 * (GET /data_attributes) become typed columns of contacts, companies and
 * (API versions before 2.16) conversations, each reading
 * custom_attributes.<name>.  A name that collides with a column already in
 * the table gets the prefix "custom_" (and a number if that collides too).
 * Every table also gets the catch-all _extra.  A table that exists already
 * gains what it lacks instead (import_add.c; sample_rows is for it).
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"
#include "request.h"

#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#define REMOTE_SCHEMA "intercom"

/* Is a stream's table selected by LIMIT TO / EXCEPT? */
static bool
table_selected(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;
	bool		listed = false;

	foreach(lc, stmt->table_list)
		if (strcmp(((RangeVar *) lfirst(lc))->relname, name) == 0)
			listed = true;
	switch (stmt->list_type)
	{
		case FDW_IMPORT_SCHEMA_LIMIT_TO:
			return listed;
		case FDW_IMPORT_SCHEMA_EXCEPT:
			return !listed;
		default:
			return true;
	}
}

/*
 * The column type of a custom data attribute.  Numbers become numeric, not
 * bigint or double precision: Intercom stores whatever JSON number it was
 * sent (an "integer" beyond 64 bits, a "float" beyond double range or with
 * more digits than a double keeps), and an imported table must never fail
 * on a value the API can send.  numeric holds every such number exactly.
 */
static const char *
attribute_type(const char *data_type)
{
	if (data_type == NULL)
		return "jsonb";
	if (strcmp(data_type, "string") == 0)
		return "text";
	if (strcmp(data_type, "integer") == 0 || strcmp(data_type, "float") == 0)
		return "numeric";
	if (strcmp(data_type, "boolean") == 0)
		return "boolean";
	if (strcmp(data_type, "date") == 0 || strcmp(data_type, "datetime") == 0)
		return "timestamptz";
	return "jsonb";
}

/* Is version older than since ("2.14" < "2.16")?  False if either is not a version. */
static bool
version_before(const char *version, const char *since)
{
	int			major;
	int			minor;
	int			since_major;
	int			since_minor;

	return ic_parse_api_version(version, &major, &minor) &&
		ic_parse_api_version(since, &since_major, &since_minor) &&
		(major < since_major || (major == since_major && minor < since_minor));
}

/* The server's api_version option, or the default. */
static const char *
server_api_version(ForeignServer *server)
{
	ListCell   *lc;

	foreach(lc, server->options)
		if (strcmp(lfirst_node(DefElem, lc)->defname, "api_version") == 0)
			return defGetString(lfirst_node(DefElem, lc));
	return INTERCOM_DEFAULT_API_VERSION;
}

/* The data attribute model behind a stream, or NULL. */
static const char *
attribute_model(const IcStream *stream, const IcOptions *opts)
{
	int			major;
	int			minor;
	int			until_major;
	int			until_minor;

	if (stream->custom_model == NULL)
		return NULL;
	if (stream->custom_model_until == NULL)
		return stream->custom_model;
	/* a model the API dropped (conversation in 2.16) answers 422 */
	if (ic_parse_api_version(opts->api_version, &major, &minor) &&
		ic_parse_api_version(stream->custom_model_until, &until_major, &until_minor) &&
		(major < until_major || (major == until_major && minor < until_minor)))
		return stream->custom_model;
	return NULL;
}

/* A column name not yet used in the table: name, custom_name, custom_name_2... */
static char *
unique_column_name(List *used, const char *name)
{
	char	   *candidate = pstrdup(name);
	int			n = 1;
	ListCell   *lc;
	bool		clash;

	do
	{
		clash = false;
		foreach(lc, used)
			if (strcmp(strVal(lfirst(lc)), candidate) == 0)
				clash = true;
		if (clash)
			candidate = ++n == 2 ? psprintf("custom_%s", name)
				: psprintf("custom_%s_%d", name, n - 1);
	} while (clash);
	return candidate;
}

/* A string member's text, NUL-terminated, or NULL. */
static char *
string_member(IcJson *object, const char *key)
{
	IcJson	   *v = ic_json_get(object, key);

	return ic_json_is(v, IC_JSON_STRING) ? pnstrdup(v->u.text, v->len) : NULL;
}

/*
 * custom_columns
 *		The columns of the model's custom data attributes (GET
 *		/data_attributes), named apart from the names in *used.
 */
static List *
custom_columns(List **used, IcConnection *conn, const char *model, IcStats *stats)
{
	IcRequest	r = ic_data_attributes_request(model);
	/* through the page decoder: any valid JSON reads, as for the tables */
	IcJson	   *root = ic_http_send(conn, &r, ic_page_reader(NULL), NULL, stats);
	IcJson	   *attrs = ic_json_get(root, "data");
	List	   *columns = NIL;

	for (size_t i = 0; ic_json_is(attrs, IC_JSON_ARRAY) && i < attrs->len; i++)
	{
		IcJson	   *attr = ic_json_item(attrs, i);
		char	   *name = string_member(attr, "name");
		IcNewColumn *col;

		if (!ic_json_is(ic_json_get(attr, "custom"), IC_JSON_TRUE) || name == NULL ||
			name[0] == '\0' || strchr(name, '.') != NULL)
			continue;			/* standard attribute, or a name no path can reach */
		col = palloc0(sizeof(IcNewColumn));
		col->path = psprintf("custom_attributes.%s", name);
		col->type = attribute_type(string_member(attr, "data_type"));
		col->name = unique_column_name(*used, name);
		*used = lappend(*used, makeString(col->name));
		columns = lappend(columns, col);
	}
	return columns;
}

/*
 * ic_import_columns
 *		Every column IMPORT FOREIGN SCHEMA gives the stream's table, in
 *		order: the stream's, the catch-all (IC_EXTRA_PATH) right after them
 *		so that they keep their positions with or without custom attributes,
 *		then the custom attributes' when conn is given.
 */
List *
ic_import_columns(const IcStream *stream, IcConnection *conn, const IcOptions *opts,
				  IcStats *stats)
{
	List	   *columns = NIL;
	List	   *used = NIL;
	IcNewColumn *col;
	const char *model = conn ? attribute_model(stream, opts) : NULL;

	for (int c = 0; c < stream->ncolumns; c++)
	{
		col = palloc0(sizeof(IcNewColumn));
		col->name = (char *) stream->columns[c].name;
		col->type = ic_column_type_sql(stream->columns[c].type);
		col->path = (char *) stream->columns[c].path;
		columns = lappend(columns, col);
		used = lappend(used, makeString(col->name));
	}
	col = palloc0(sizeof(IcNewColumn));
	col->name = IC_EXTRA_PATH;
	col->type = "jsonb";
	columns = lappend(columns, col);
	used = lappend(used, makeString(col->name));
	if (model)
		columns = list_concat(columns, custom_columns(&used, conn, model, stats));
	return columns;
}

/* "name type [OPTIONS (path '...')]" */
char *
ic_column_definition(const IcNewColumn *col)
{
	return psprintf("%s %s%s", quote_identifier(col->name), col->type,
					col->path ? psprintf(" OPTIONS (path %s)", quote_literal_cstr(col->path)) : "");
}

/* Import options: custom_attributes (boolean), sample_rows (0..10000). */
static void
import_options(ImportForeignSchemaStmt *stmt, bool *custom, int *sample_rows)
{
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "custom_attributes") == 0)
			*custom = defGetBoolean(def);
		else if (strcmp(def->defname, "sample_rows") == 0)
		{
			char	   *end;
			long		v = strtol(defGetString(def), &end, 10);

			if (*end != '\0' || end == defGetString(def) || v < 0 || v > 10000)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for IMPORT FOREIGN SCHEMA option \"sample_rows\": \"%s\"",
								defGetString(def)),
						 errhint("Valid values are integers between 0 and 10000.")));
			*sample_rows = (int) v;
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid IMPORT FOREIGN SCHEMA option \"%s\"", def->defname),
					 errhint("Valid options are: custom_attributes, sample_rows.")));
	}
}

/*
 * intercomImportForeignSchema
 *		A CREATE FOREIGN TABLE per selected stream; a table that already
 *		exists (same server, same stream) gains the columns it lacks instead
 *		(import_add.c), so running the import again picks up what Intercom
 *		added since.
 */
List *
intercomImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	List	   *commands = NIL;
	bool		custom = false;
	int			sample_rows = 0;
	IcOptions	opts;
	IcConnection *conn = NULL;
	IcStats		stats = {0};
	ForeignServer *server = GetForeignServer(serverOid);

	if (strcmp(stmt->remote_schema, REMOTE_SCHEMA) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" does not exist on an Intercom server", stmt->remote_schema),
				 errhint("Intercom has one schema: IMPORT FOREIGN SCHEMA intercom FROM SERVER %s INTO ...",
						 quote_identifier(server->servername))));
	import_options(stmt, &custom, &sample_rows);
	if (custom)
	{
		ic_get_server_options(server, ic_find_user_mapping(GetUserId(), serverOid), &opts);
		conn = ic_connect(&opts);
	}

	for (int s = 0; s < ic_nstreams; s++)
	{
		const IcStream *stream = &ic_streams[s];
		List	   *columns;
		Oid			existing;
		StringInfoData sql;
		ListCell   *lc;

		if (!table_selected(stmt, stream->name))
			continue;
		if (stream->since && version_before(server_api_version(server), stream->since))
		{
			/* the endpoint does not exist in the server's API version */
			if (stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO)
				ereport(NOTICE,
						(errmsg("foreign table \"%s\" not imported: Intercom serves it from API version %s, the server uses %s",
								stream->name, stream->since, server_api_version(server)),
						 errhint("ALTER SERVER %s OPTIONS (ADD api_version '%s'), or SET it if the server has one.",
								 quote_identifier(server->servername), stream->since)));
			continue;
		}
		columns = ic_import_columns(stream, conn, &opts, &stats);
		existing = ic_import_existing(stmt->local_schema, stream, serverOid);
		if (OidIsValid(existing))
		{
			ic_import_add_columns(existing, stream, columns, sample_rows);
			continue;
		}
		initStringInfo(&sql);
		appendStringInfo(&sql, "CREATE FOREIGN TABLE %s (", quote_identifier(stream->name));
		foreach(lc, columns)
			appendStringInfo(&sql, "%s\n  %s", foreach_current_index(lc) ? "," : "",
							 ic_column_definition(lfirst(lc)));
		appendStringInfo(&sql, "\n) SERVER %s OPTIONS (stream %s)",
						 quote_identifier(server->servername),
						 quote_literal_cstr(stream->name));
		commands = lappend(commands, sql.data);
	}
	return commands;
}
