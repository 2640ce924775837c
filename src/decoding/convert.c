/*-------------------------------------------------------------------------
 *
 * convert.c
 *		From a decoded JSON value (json_decode.c) to a PostgreSQL Datum of
 *		the column's type.
 *
 * The column's declared type decides the conversion, so users may declare
 * any type that accepts the value's text: timestamps accept epoch seconds,
 * epoch milliseconds and ISO strings; text accepts objects (their JSON);
 * jsonb accepts anything.  Numbers reach the type's input function as the
 * exact digits Intercom sent, so numeric, text and jsonb keep every digit,
 * and a value too big for bigint or double precision is that row's error
 * (the scan's errcontext names stream, column, record and value).
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/* epoch values above this are taken as milliseconds (year 5138 in seconds) */
#define MILLISECOND_THRESHOLD 1e11

/* Split a dotted path into a NULL-terminated array of keys. */
static char **
split_path(const char *path)
{
	int			n = 1;
	char	   *copy = pstrdup(path);
	char	  **parts;
	int			i = 0;
	char	   *p;

	for (p = copy; *p; p++)
		if (*p == '.')
			n++;
	parts = palloc0(sizeof(char *) * (n + 1));
	parts[i++] = copy;
	for (p = copy; *p; p++)
		if (*p == '.')
		{
			*p = '\0';
			parts[i++] = p + 1;
		}
	return parts;
}

/*
 * ic_reader_init
 *		Prepare the conversion of one column: path, type input function.
 *		A path of '$' gives the column the whole record; a path of '_extra'
 *		(IC_EXTRA_PATH) the record's members that no other column reads.
 */
void
ic_reader_init(IcColumnReader *reader, Relation rel, AttrNumber attnum,
			   const char *path)
{
	Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(rel), attnum - 1);

	reader->attnum = attnum;
	reader->attname = pstrdup(NameStr(attr->attname));
	reader->whole_record = strcmp(path, "$") == 0;
	reader->extra = strcmp(path, IC_EXTRA_PATH) == 0;
	reader->path = reader->whole_record ? NULL : split_path(path);
	reader->typid = attr->atttypid;
	reader->typmod = attr->atttypmod;
	getTypeInputInfo(attr->atttypid, &reader->typinput, &reader->typioparam);
	fmgr_info(reader->typinput, &reader->input);
}

/* Follow a split path through nested objects; NULL when absent. */
IcJson *
ic_json_path(IcJson *record, char **path)
{
	IcJson	   *value = record;

	for (; *path && value; path++)
		value = ic_json_get(value, *path);
	return value;
}

/* A NUL-terminated copy of a string or number's text. */
static char *
scalar_cstring(const IcJson *value)
{
	return pnstrdup(value->u.text, value->len);
}

/*
 * ic_json_to_epoch
 *		Epoch seconds from a number or a numeric string; milliseconds are
 *		recognised by their size.  False for anything else.
 */
bool
ic_json_to_epoch(IcJson *value, double *epoch)
{
	char		buf[64];
	char	   *s;
	char	   *end;
	double		v;
	int64		whole;

	if (!ic_json_is(value, IC_JSON_NUMBER) && !ic_json_is(value, IC_JSON_STRING))
		return false;
	if (value->len == 0)
		return false;
	/* the common case, whole seconds: no copy, no strtod */
	if (value->type == IC_JSON_NUMBER && ic_json_small_integer(value, &whole) &&
		whole >= -MILLISECOND_THRESHOLD && whole <= MILLISECOND_THRESHOLD)
	{
		*epoch = (double) whole;
		return true;
	}
	if (value->len < sizeof(buf))
	{
		memcpy(buf, value->u.text, value->len);
		buf[value->len] = '\0';
		s = buf;
	}
	else
		s = scalar_cstring(value);
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v))
		return false;
	if (fabs(v) > MILLISECOND_THRESHOLD)
		v /= 1000.0;
	*epoch = v;
	return true;
}

static Datum
epoch_to_timestamptz(double epoch)
{
	double		usecs = rint((epoch - ((double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)) * USECS_PER_SEC);
	TimestampTz ts = (TimestampTz) usecs;

	if (!isfinite(usecs) || !IS_VALID_TIMESTAMP(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range: epoch %.3f", epoch)));
	return TimestampTzGetDatum(ts);
}

/* ---------- JSON text ---------- */

/* A decoded string, escaped as JSON; non-ASCII stays UTF-8. */
static void
write_json_string(StringInfo out, const char *s, size_t len)
{
	const char *run = s;
	const char *end = s + len;

	appendStringInfoChar(out, '"');
	for (const char *p = s; p < end; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		appendBinaryStringInfo(out, run, p - run);
		run = p + 1;
		switch (c)
		{
			case '"':
				appendStringInfoString(out, "\\\"");
				break;
			case '\\':
				appendStringInfoString(out, "\\\\");
				break;
			case '\n':
				appendStringInfoString(out, "\\n");
				break;
			case '\r':
				appendStringInfoString(out, "\\r");
				break;
			case '\t':
				appendStringInfoString(out, "\\t");
				break;
			case '\b':
				appendStringInfoString(out, "\\b");
				break;
			case '\f':
				appendStringInfoString(out, "\\f");
				break;
			default:
				appendStringInfo(out, "\\u%04x", c);
		}
	}
	appendBinaryStringInfo(out, run, end - run);
	appendStringInfoChar(out, '"');
}

/*
 * write_json
 *		The value as compact JSON text: numbers as sent, strings as decoded
 *		(re-escaped), members in the order sent.  Stops once out holds more
 *		than limit bytes (0: no limit), for error messages.
 */
static void
write_json(StringInfo out, const IcJson *v, size_t limit)
{
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (limit && (size_t) out->len > limit)
		return;
	switch ((IcJsonType) v->type)
	{
		case IC_JSON_NULL:
			appendStringInfoString(out, "null");
			break;
		case IC_JSON_TRUE:
			appendStringInfoString(out, "true");
			break;
		case IC_JSON_FALSE:
			appendStringInfoString(out, "false");
			break;
		case IC_JSON_NUMBER:
			appendBinaryStringInfo(out, v->u.text, v->len);
			break;
		case IC_JSON_STRING:
			write_json_string(out, v->u.text, limit ? Min(v->len, limit) : v->len);
			break;
		case IC_JSON_ARRAY:
			appendStringInfoChar(out, '[');
			for (uint32 i = 0; i < v->len; i++)
			{
				if (i)
					appendStringInfoChar(out, ',');
				write_json(out, ic_json_item(v, i), limit);
			}
			appendStringInfoChar(out, ']');
			break;
		case IC_JSON_OBJECT:
			appendStringInfoChar(out, '{');
			for (uint32 i = 0; i < v->len; i++)
			{
				const IcJsonMember *m = &v->u.members[i];

				if (i)
					appendStringInfoChar(out, ',');
				write_json_string(out, m->key, m->keylen);
				appendStringInfoChar(out, ':');
				write_json(out, &m->value, limit);
			}
			appendStringInfoChar(out, '}');
			break;
	}
}

/* The value's JSON text, at most about limit bytes (0: all of it). */
char *
ic_json_to_text(const IcJson *value, size_t limit)
{
	StringInfoData out;

	initStringInfo(&out);
	write_json(&out, value, limit);
	return out.data;
}

/* A record's "id" as text (Intercom sends strings, some streams numbers). */
char *
ic_json_record_id(const IcJson *record)
{
	IcJson	   *id = ic_json_get(record, "id");

	if (ic_json_is(id, IC_JSON_STRING) || ic_json_is(id, IC_JSON_NUMBER))
		return scalar_cstring(id);
	return NULL;
}

/* The value's text as the type input function should see it. */
static char *
input_text(IcJson *value)
{
	switch ((IcJsonType) value->type)
	{
		case IC_JSON_STRING:
		case IC_JSON_NUMBER:
			return scalar_cstring(value);
		case IC_JSON_TRUE:
			return pstrdup("true");
		case IC_JSON_FALSE:
			return pstrdup("false");
		default:
			return ic_json_to_text(value, 0);
	}
}

/* ---------- conversion ---------- */

static const char *
kind_name(const IcJson *value)
{
	switch ((IcJsonType) value->type)
	{
		case IC_JSON_OBJECT:
			return "object";
		case IC_JSON_ARRAY:
			return "array";
		case IC_JSON_TRUE:
		case IC_JSON_FALSE:
			return "boolean";
		case IC_JSON_NUMBER:
			return "number";
		default:
			return "string";
	}
}

/* A value that is neither a number nor a string cannot be a moment. */
static void
require_string(IcJson *value, const char *what)
{
	if (value->type != IC_JSON_STRING)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("cannot convert a JSON %s to %s", kind_name(value), what)));
}


/*
 * ic_convert_value
 *		Convert one JSON value (NULL when absent) to the column's type.
 */
Datum
ic_convert_value(IcColumnReader *reader, IcJson *value, bool *isnull)
{
	*isnull = (value == NULL || value->type == IC_JSON_NULL);
	if (*isnull)
		return (Datum) 0;

	switch (reader->typid)
	{
		case JSONBOID:
			return ic_jsonb_from_json(value);	/* jsonb_build.c */
		case JSONOID:
			/* always the JSON text: a string stays a JSON string */
			return InputFunctionCall(&reader->input, ic_json_to_text(value, 0),
									 reader->typioparam, reader->typmod);
		case TEXTOID:
			if (value->type == IC_JSON_STRING || value->type == IC_JSON_NUMBER)
				return PointerGetDatum(cstring_to_text_with_len(value->u.text, value->len));
			break;
		case TIMESTAMPTZOID:
		case TIMESTAMPOID:
			{
				double		epoch;

				/* timestamp without time zone: the UTC wall clock */
				if (ic_json_to_epoch(value, &epoch))
					return epoch_to_timestamptz(epoch);
				require_string(value, "a timestamp");
				break;			/* an ISO string: the input function parses it */
			}
		case DATEOID:
			{
				double		epoch;

				/* an epoch is a moment: its date in the session's time zone */
				if (ic_json_to_epoch(value, &epoch))
					return DirectFunctionCall1(timestamptz_date, epoch_to_timestamptz(epoch));
				require_string(value, "a date");
				break;			/* an ISO string: the input function parses it */
			}
		case BOOLOID:
			if (value->type == IC_JSON_TRUE || value->type == IC_JSON_FALSE)
				return BoolGetDatum(value->type == IC_JSON_TRUE);
			if (value->type == IC_JSON_OBJECT || value->type == IC_JSON_ARRAY)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("cannot convert a JSON %s to boolean", kind_name(value))));
			break;
		case INT8OID:
			{
				int64		v;

				if (value->type == IC_JSON_NUMBER && ic_json_small_integer(value, &v))
					return Int64GetDatum(v);
			}
			/* fall through */
		case INT2OID:
		case INT4OID:
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
			if (value->type != IC_JSON_NUMBER && value->type != IC_JSON_STRING)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("cannot convert a JSON %s to a number", kind_name(value))));
			break;
		default:
			break;
	}
	return InputFunctionCall(&reader->input, input_text(value),
							 reader->typioparam, reader->typmod);
}
