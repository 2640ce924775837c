/*-------------------------------------------------------------------------
 *
 * option.c
 *		Validation and extraction of intercom_fdw's options.
 *
 * One table lists every option with the catalog it belongs to and how its
 * value is checked; the validator and the hints are driven by it.  The token
 * is accepted only in a user mapping, because pg_foreign_server and
 * pg_foreign_table are readable by every role.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include <limits.h>

#include "access/reloptions.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

typedef enum IcOptionKind
{
	OPT_TEXT,					/* any non-empty string */
	OPT_INT,					/* integer within [min, max] */
	OPT_BOOL,
	OPT_URL,					/* http(s) URL, superuser only */
	OPT_REGION,					/* us, eu, au */
	OPT_STREAM,					/* one of the streams */
	OPT_SECRET,					/* the token */
	OPT_VERSION,				/* an Intercom API version: 2.14, Preview */
	OPT_ADMIN					/* an admin's id: digits */
} IcOptionKind;

typedef struct IcOptionDef
{
	const char *name;
	Oid			context;		/* catalog the option belongs to */
	IcOptionKind kind;
	int			min;
	int			max;
} IcOptionDef;

static const IcOptionDef ic_option_defs[] = {
	{"api_url", ForeignServerRelationId, OPT_URL, 0, 0},
	{"region", ForeignServerRelationId, OPT_REGION, 0, 0},
	{"api_version", ForeignServerRelationId, OPT_VERSION, 0, 0},
	{"timeout_ms", ForeignServerRelationId, OPT_INT, 1, 3600000},
	{"connect_timeout_ms", ForeignServerRelationId, OPT_INT, 1, 600000},
	{"max_retries", ForeignServerRelationId, OPT_INT, 0, 20},
	{"retry_base_ms", ForeignServerRelationId, OPT_INT, 1, 60000},
	{"per_page", ForeignServerRelationId, OPT_INT, 1, 150},
	{"concurrency", ForeignServerRelationId, OPT_INT, 1, 64},
	{"write_concurrency", ForeignServerRelationId, OPT_INT, 1, 64},
	{"pushdown", ForeignServerRelationId, OPT_BOOL, 0, 0},
	{"start_date", ForeignServerRelationId, OPT_TEXT, 0, 0},
	/* writes (modify.c): off until asked, like postgres_fdw's updatable */
	{"updatable", ForeignServerRelationId, OPT_BOOL, 0, 0},
	{"admin_id", ForeignServerRelationId, OPT_ADMIN, 0, 0},
	{"token", UserMappingRelationId, OPT_SECRET, 0, 0},
	{"admin_id", UserMappingRelationId, OPT_ADMIN, 0, 0},
	{"stream", ForeignTableRelationId, OPT_STREAM, 0, 0},
	{"pushdown", ForeignTableRelationId, OPT_BOOL, 0, 0},
	{"updatable", ForeignTableRelationId, OPT_BOOL, 0, 0},
	{"allow_delete", ForeignTableRelationId, OPT_BOOL, 0, 0},
	{"admin_id", ForeignTableRelationId, OPT_ADMIN, 0, 0},
	{"path", AttributeRelationId, OPT_TEXT, 0, 0},
	{NULL, InvalidOid, OPT_TEXT, 0, 0}
};

/* Defaults (documented in README.md). */
#define DEFAULT_TIMEOUT_MS			30000
#define DEFAULT_CONNECT_TIMEOUT_MS	10000
#define DEFAULT_MAX_RETRIES			5
#define DEFAULT_RETRY_BASE_MS		500
#define DEFAULT_PER_PAGE			150
/*
 * The ceiling of reads in flight: 64 reaches Intercom's limit at 300 ms a
 * request.  A partitioned scan takes only the slots its first page's
 * latency calls for (2 at 0 ms), so the ceiling costs nothing where latency
 * is low (bench/results/ceiling_default.md).
 */
#define DEFAULT_CONCURRENCY			64
/* writes do not adapt: this many are sent at once, paced by the limit */
#define DEFAULT_WRITE_CONCURRENCY	8

PG_FUNCTION_INFO_V1(intercom_fdw_validator);

static const char *
context_name(Oid context)
{
	switch (context)
	{
		case ForeignServerRelationId:
			return "server";
		case UserMappingRelationId:
			return "user mapping";
		case ForeignTableRelationId:
			return "foreign table";
		case AttributeRelationId:
			return "column";
		case ForeignDataWrapperRelationId:
			return "foreign data wrapper";
		default:
			return "object";
	}
}

/* Comma-separated names of the options valid in a context, for hints. */
static char *
valid_option_names(Oid context)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (const IcOptionDef *def = ic_option_defs; def->name; def++)
	{
		if (def->context != context)
			continue;
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, def->name);
	}
	return buf.data;
}

static const IcOptionDef *
find_option(const char *name, Oid context)
{
	for (const IcOptionDef *def = ic_option_defs; def->name; def++)
		if (def->context == context && strcmp(def->name, name) == 0)
			return def;
	return NULL;
}

/*
 * parse_int_option
 *		Parse a whole number; false when it is not one.
 */
static bool
parse_int_option(const char *value, int *result)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < INT_MIN || v > INT_MAX)
		return false;
	*result = (int) v;
	return true;
}

/*
 * url_host_is_loopback
 *		Plain http is allowed only to this machine: the token would
 *		otherwise cross the network in clear text.
 */
static bool
url_host_is_loopback(const char *url)
{
	const char *host = url + strlen("http://");
	size_t		len = strcspn(host, ":/?#");
	int			dots = 0;

	/* user:password@host would make the part before '@' look like the host */
	if (strchr(host, '@') != NULL && strchr(host, '@') < host + strcspn(host, "/?#"))
		return false;
	if ((len == 9 && strncmp(host, "localhost", 9) == 0) ||
		(strncmp(host, "[::1]", 5) == 0 && (host[5] == '\0' || strchr(":/?#", host[5]) != NULL)))
		return true;
	if (len < 9 || strncmp(host, "127.", 4) != 0)
		return false;
	/* 127.a.b.c and nothing else: "127.0.0.1.example.com" is not loopback */
	for (size_t i = 0; i < len; i++)
	{
		if (host[i] == '.')
			dots++;
		else if (host[i] < '0' || host[i] > '9')
			return false;
	}
	return dots == 3;
}

static void
validate_url(const char *value)
{
	/*
	 * Pointing the server elsewhere would send every user's token there: only
	 * a superuser may do it (a crock, as file_fdw says of its filename check,
	 * since it makes ALTER SERVER by a non-superuser owner fail too).
	 */
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser can set option \"api_url\""),
				 errhint("Use option \"region\" (us, eu or au) to choose Intercom's host.")));
	if (strncmp(value, "https://", 8) == 0 && value[8] != '\0')
		return;
	if (strncmp(value, "http://", 7) == 0 && url_host_is_loopback(value))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"api_url\": \"%s\"", value),
			 errhint("Use an https:// URL; plain http:// is accepted only for 127.0.0.1, localhost and [::1].")));
}

/*
 * A timestamp option: timestamptz_in's own error (22007) becomes the FDW's
 * invalid option error, like every other option.  Catching without a
 * subtransaction is safe here: the input function takes no resources.
 */
static void
validate_timestamp(const char *name, const char *value)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		(void) DirectFunctionCall3(timestamptz_in, CStringGetDatum(value),
								   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 errhint("Give a timestamp, such as 2024-01-01 or 2024-01-01T00:00:00Z.")));
	}
	PG_END_TRY();
}

static void
validate_option(DefElem *def, const IcOptionDef *opt)
{
	const char *value = defGetString(def);
	int			ival;
	bool		bval;

	switch (opt->kind)
	{
		case OPT_TEXT:
			if (value[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"%s\" must not be empty", opt->name)));
			if (strcmp(opt->name, "start_date") == 0)
				validate_timestamp(opt->name, value);
			break;
		case OPT_INT:
			if (!parse_int_option(value, &ival) || ival < opt->min || ival > opt->max)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"", opt->name, value),
						 errhint("Valid values are integers from %d to %d.", opt->min, opt->max)));
			break;
		case OPT_BOOL:
			if (!parse_bool(value, &bval))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"", opt->name, value),
						 errhint("Valid values are true and false.")));
			break;
		case OPT_URL:
			validate_url(value);
			break;
		case OPT_REGION:
			if (strcmp(value, "us") != 0 && strcmp(value, "eu") != 0 && strcmp(value, "au") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"region\": \"%s\"", value),
						 errhint("Valid values are us, eu and au.")));
			break;
		case OPT_STREAM:
			if (ic_stream_lookup(value) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"stream\": \"%s\"", value),
						 errhint("Valid streams are: %s.", ic_stream_names())));
			break;
		case OPT_VERSION:
			if (!ic_parse_api_version(value, NULL, NULL))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"api_version\": \"%s\"", value),
						 errhint("Use an Intercom API version such as 2.14 or 2.16, or Preview.")));
			break;
		case OPT_ADMIN:
			/* Intercom's admin ids are integers (sent as strings) */
			if (value[0] == '\0' || strlen(value) > 20 ||
				strspn(value, "0123456789") != strlen(value))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"admin_id\": \"%s\"", value),
						 errhint("Give the id of an Intercom admin (teammate), digits only, as in SELECT id FROM admins.")));
			break;
		case OPT_SECRET:
			/* never echo the value, even when it is wrong */
			if (value[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"token\" must not be empty")));
			break;
	}
}

/*
 * intercom_fdw_validator
 *		Check the options of a CREATE/ALTER of a server, user mapping,
 *		foreign table or column.
 */
Datum
intercom_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			context = PG_GETARG_OID(1);
	ListCell   *cell;
	bool		has_url = false;
	bool		has_region = false;
	bool		has_stream = false;

	foreach(cell, options)
	{
		DefElem    *def = lfirst_node(DefElem, cell);
		const IcOptionDef *opt = find_option(def->defname, context);

		if (opt == NULL)
		{
			if (strcmp(def->defname, "token") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("option \"token\" is accepted only on a user mapping"),
						 errdetail("Options of a %s are readable by every role.", context_name(context)),
						 errhint("Use CREATE USER MAPPING FOR ... SERVER ... OPTIONS (token '...').")));
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\" for a %s of intercom_fdw",
							def->defname, context_name(context)),
					 context == ForeignDataWrapperRelationId ?
					 errhint("The foreign data wrapper itself takes no options.") :
					 errhint("Valid options in this context are: %s.",
							 valid_option_names(context))));
		}

		for (ListCell *other = lnext(options, cell); other; other = lnext(options, other))
			if (strcmp(lfirst_node(DefElem, other)->defname, def->defname) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("conflicting or redundant options"),
						 errdetail("Option \"%s\" is given more than once.", def->defname)));

		validate_option(def, opt);
		has_url |= strcmp(def->defname, "api_url") == 0;
		has_region |= strcmp(def->defname, "region") == 0;
		has_stream |= strcmp(def->defname, "stream") == 0;
	}

	if (has_url && has_region)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("options \"api_url\" and \"region\" cannot be used together"),
				 errhint("\"region\" picks Intercom's host; \"api_url\" replaces it.")));

	if (context == ForeignTableRelationId && !has_stream)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"stream\" is required for an intercom_fdw foreign table"),
				 errhint("Valid streams are: %s.", ic_stream_names())));

	PG_RETURN_VOID();
}

static const char *
region_url(const char *region)
{
	if (strcmp(region, "eu") == 0)
		return "https://api.eu.intercom.io";
	if (strcmp(region, "au") == 0)
		return "https://api.au.intercom.io";
	return "https://api.intercom.io";
}

static int
int_option(DefElem *def)
{
	int			v = 0;

	(void) parse_int_option(defGetString(def), &v);
	return v;
}

/*
 * ic_get_server_options
 *		Merge server and user mapping options over the defaults.
 */
void
ic_get_server_options(ForeignServer *server, UserMapping *um, IcOptions *opts)
{
	ListCell   *lc;
	const char *region = "us";

	memset(opts, 0, sizeof(*opts));
	opts->api_version = INTERCOM_DEFAULT_API_VERSION;
	opts->timeout_ms = DEFAULT_TIMEOUT_MS;
	opts->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	opts->max_retries = DEFAULT_MAX_RETRIES;
	opts->retry_base_ms = DEFAULT_RETRY_BASE_MS;
	opts->per_page = DEFAULT_PER_PAGE;
	opts->concurrency = DEFAULT_CONCURRENCY;
	opts->write_concurrency = DEFAULT_WRITE_CONCURRENCY;
	opts->pushdown = true;

	foreach(lc, server->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "api_url") == 0)
			opts->api_url = pstrdup(defGetString(def));
		else if (strcmp(def->defname, "region") == 0)
			region = defGetString(def);
		else if (strcmp(def->defname, "api_version") == 0)
			opts->api_version = pstrdup(defGetString(def));
		else if (strcmp(def->defname, "timeout_ms") == 0)
			opts->timeout_ms = int_option(def);
		else if (strcmp(def->defname, "connect_timeout_ms") == 0)
			opts->connect_timeout_ms = int_option(def);
		else if (strcmp(def->defname, "max_retries") == 0)
			opts->max_retries = int_option(def);
		else if (strcmp(def->defname, "retry_base_ms") == 0)
			opts->retry_base_ms = int_option(def);
		else if (strcmp(def->defname, "per_page") == 0)
			opts->per_page = int_option(def);
		else if (strcmp(def->defname, "concurrency") == 0)
			opts->concurrency = int_option(def);
		else if (strcmp(def->defname, "write_concurrency") == 0)
			opts->write_concurrency = int_option(def);
		else if (strcmp(def->defname, "pushdown") == 0)
			opts->pushdown = defGetBoolean(def);
		else if (strcmp(def->defname, "start_date") == 0)
			opts->start_date = pstrdup(defGetString(def));
	}
	if (opts->api_url == NULL)
		opts->api_url = pstrdup(region_url(region));
	else
	{
		/* strip trailing slashes so paths can be appended */
		size_t		len = strlen(opts->api_url);

		while (len > 0 && opts->api_url[len - 1] == '/')
			opts->api_url[--len] = '\0';
	}

	if (um != NULL)
	{
		opts->umid = um->umid;
		foreach(lc, um->options)
		{
			DefElem    *def = lfirst_node(DefElem, lc);

			if (strcmp(def->defname, "token") == 0)
				opts->token = pstrdup(defGetString(def));
		}
	}
	if (opts->token == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("no Intercom token for server \"%s\"", server->servername),
				 errhint("Create a user mapping with the token: CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (token '...').",
						 quote_identifier(server->servername))));
}

/*
 * ic_find_user_mapping
 *		The user's mapping, else the PUBLIC one, else NULL (the caller then
 *		reports the missing token with a hint, instead of core's bare
 *		"user mapping not found").
 */
UserMapping *
ic_find_user_mapping(Oid userid, Oid serverid)
{
	HeapTuple	tp;

	tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(userid),
						 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
							 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		return NULL;
	ReleaseSysCache(tp);
	return GetUserMapping(userid, serverid);
}

/*
 * ic_get_options
 *		All options that matter to a scan of a foreign table, for the user
 *		the scan runs as.
 */
void
ic_get_options(Oid foreigntableid, Oid userid, IcOptions *opts)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);
	UserMapping *um;

	um = ic_find_user_mapping(userid, server->serverid);
	ic_get_server_options(server, um, opts);
	opts->pushdown = ic_table_pushdown(foreigntableid, opts->pushdown);
}

/* The stream a foreign table reads. */
const IcStream *
ic_table_stream(Oid foreigntableid)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ListCell   *lc;

	foreach(lc, table->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "stream") == 0)
		{
			const IcStream *stream = ic_stream_lookup(defGetString(def));

			if (stream)
				return stream;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
			 errmsg("foreign table \"%s\" has no valid \"stream\" option",
					get_rel_name(foreigntableid))));
	return NULL;				/* keep compiler quiet */
}

/* The table's pushdown option, or the server's when the table has none. */
bool
ic_table_pushdown(Oid foreigntableid, bool server_default)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ListCell   *lc;

	foreach(lc, table->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "pushdown") == 0)
			return defGetBoolean(def);
	}
	return server_default;
}

/* A column's JSON path: its "path" option, else its name. */
char *
ic_column_path(Oid foreigntableid, AttrNumber attnum, const char *attname)
{
	List	   *options = GetForeignColumnOptions(foreigntableid, attnum);
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "path") == 0)
			return pstrdup(defGetString(def));
	}
	return pstrdup(attname);
}

/*
 * ic_parse_api_version
 *		"2.14" → 2, 14; "Preview" and "Unstable" sort after every number.
 *		False for anything else.
 */
bool
ic_parse_api_version(const char *value, int *major, int *minor)
{
	int			ma = 0;
	int			mi = 0;
	char		tail;

	if (strcmp(value, "Preview") == 0 || strcmp(value, "Unstable") == 0)
	{
		ma = mi = 999;
	}
	else if (sscanf(value, "%d.%d%c", &ma, &mi, &tail) != 2 || ma < 1 || ma > 9 ||
			 mi < 0 || mi > 99)
		return false;
	if (major)
		*major = ma;
	if (minor)
		*minor = mi;
	return true;
}

/* The first value of option name in a list, or NULL. */
static const char *
list_option(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

/*
 * ic_get_write_options
 *		What a write to a foreign table may do: updatable (table, else
 *		server, else false), allow_delete (table, else false) and admin_id
 *		(user mapping, else table, else server, else NULL).
 */
void
ic_get_write_options(Oid foreigntableid, Oid userid, IcWriteOptions *wo)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);
	UserMapping *um = ic_find_user_mapping(userid, server->serverid);
	const char *v;

	memset(wo, 0, sizeof(*wo));
	if ((v = list_option(table->options, "updatable")) != NULL ||
		(v = list_option(server->options, "updatable")) != NULL)
		(void) parse_bool(v, &wo->updatable);
	if ((v = list_option(table->options, "allow_delete")) != NULL)
		(void) parse_bool(v, &wo->allow_delete);
	if ((um && (v = list_option(um->options, "admin_id")) != NULL) ||
		(v = list_option(table->options, "admin_id")) != NULL ||
		(v = list_option(server->options, "admin_id")) != NULL)
		wo->admin_id = pstrdup(v);
}
