/*-------------------------------------------------------------------------
 *
 * write_body.c
 *		A row's values as what a write sends: JSON members of the request
 *		body, and the ids in its path.
 *
 * Values become JSON by their SQL type (Intercom takes dates as epoch
 * seconds, booleans and numbers as such, jsonb as the JSON it holds),
 * except where the write map says otherwise (an id held as text that the
 * API takes as an integer).
 *
 *-------------------------------------------------------------------------
 */
#include "modify_internal.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"

/* The output function's text of a value. */
char *
ic_datum_text(Datum value, Oid typid)
{
	Oid			out;
	bool		varlena;

	getTypeOutputInfo(typid, &out, &varlena);
	return OidOutputFunctionCall(out, value);
}

static void
bad_value(const char *column, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("cannot send the value of column \"%s\" to Intercom: %s", column, what)));
}

/* JSON text (a number, a jsonb value) parsed by jansson. */
static json_t *
json_from_text(const char *text, const char *column)
{
	json_error_t jerr;
	json_t	   *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (v == NULL)
		bad_value(column, psprintf("\"%s\" is not a JSON value", text));
	return v;
}

/*
 * ic_datum_to_json
 *		A column's value as the JSON Intercom takes.  A new jansson
 *		reference (malloc'd: the caller's body owns it).
 */
json_t *
ic_datum_to_json(Datum value, bool isnull, Oid typid, IcWriteValue how, const char *column)
{
	char	   *text;

	if (isnull)
		return json_null();
	switch (typid)
	{
		case BOOLOID:
			return json_boolean(DatumGetBool(value));
		case INT2OID:
			return json_integer(DatumGetInt16(value));
		case INT4OID:
			return json_integer(DatumGetInt32(value));
		case INT8OID:
			return json_integer(DatumGetInt64(value));
		case TIMESTAMPTZOID:
			{
				TimestampTz ts = DatumGetTimestampTz(value);

				if (TIMESTAMP_NOT_FINITE(ts))
					bad_value(column, "Intercom has no infinite dates");
				/* epoch seconds: Intercom keeps no fractions */
				return json_integer((json_int_t) floor((double) ts / USECS_PER_SEC) +
									(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY);
			}
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
			text = ic_datum_text(value, typid);
			if (!isdigit((unsigned char) text[strspn(text, "-")]))
				bad_value(column, psprintf("%s is not a JSON number", text));
			return json_from_text(text, column);
		case JSONBOID:
		case JSONOID:
			return json_from_text(ic_datum_text(value, typid), column);
		default:
			break;
	}
	text = ic_datum_text(value, typid);
	if (how == IC_WV_INTEGER && text[0] != '\0' && strlen(text) < 19 &&
		strspn(text, "0123456789") == strlen(text))
		return json_integer((json_int_t) strtoll(text, NULL, 10));
	{
		json_t	   *s = json_string(text);

		if (s == NULL)
			bad_value(column, "the text is not valid UTF-8");
		return s;
	}
}

/*
 * ic_json_new_object
 *		An empty JSON object.  Not jansson's json_object(): the server
 *		exports a function of that name (the SQL json_object), which the
 *		dynamic linker would bind instead; json_pack reaches jansson's.
 */
json_t *
ic_json_new_object(void)
{
	json_t	   *obj = json_pack("{}");

	if (obj == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("out of memory while building a request body")));
	return obj;
}

/*
 * ic_body_set
 *		Set a member of a request body; "custom_attributes.Plan Tier" is the
 *		member "Plan Tier" of the object custom_attributes.  Takes the
 *		reference to value.
 */
void
ic_body_set(json_t *body, const char *member, json_t *value)
{
	const char *dot = strchr(member, '.');
	char	   *outer;
	json_t	   *inner;

	if (dot == NULL)
	{
		json_object_set_new(body, member, value);
		return;
	}
	outer = pnstrdup(member, dot - member);
	inner = json_object_get(body, outer);
	if (!json_is_object(inner))
	{
		inner = ic_json_new_object();
		json_object_set_new(body, outer, inner);
	}
	json_object_set_new(inner, dot + 1, value);
}

/* The body's compact text, palloc'd. */
char *
ic_json_body_text(json_t *body)
{
	char	   *text = json_dumps(body, JSON_COMPACT);
	char	   *result;

	if (text == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("out of memory while building a request body")));
	result = pstrdup(text);
	free(text);
	return result;
}

/*
 * ic_write_path
 *		A path template with its {…} placeholders replaced, in order, by the
 *		URL-escaped ids (an id is text from SQL: "a/b" must not become a
 *		path of its own).
 */
char *
ic_write_path(const char *template, const char *first, const char *second)
{
	StringInfoData buf;
	const char *ids[2] = {first, second};
	int			n = 0;

	initStringInfo(&buf);
	for (const char *p = template; *p; p++)
	{
		const char *end;

		if (*p != '{' || (end = strchr(p, '}')) == NULL)
		{
			appendStringInfoChar(&buf, *p);
			continue;
		}
		Assert(n < 2 && ids[n] != NULL);
		appendStringInfoString(&buf, ic_url_escape(ids[n++]));
		p = end;
	}
	return buf.data;
}

/*
 * ic_datum_changed
 *		Whether an UPDATE changes a column's value.  Values of the same type
 *		compare by their text (a jsonb or numeric equal in value is the same
 *		text), so that SET x = x sends nothing.
 */
bool
ic_datum_changed(Datum a, bool anull, Datum b, bool bnull, Form_pg_attribute attr)
{
	if (anull || bnull)
		return anull != bnull;
	if (attr->attbyval)
		return !datumIsEqual(a, b, true, attr->attlen);
	return strcmp(ic_datum_text(a, attr->atttypid), ic_datum_text(b, attr->atttypid)) != 0;
}
