/*-------------------------------------------------------------------------
 *
 * convert.c
 *		From a jansson value to a PostgreSQL Datum of the column's type.
 *
 * The column's declared type decides the conversion, so users may declare
 * any type that accepts the value's text: timestamps accept epoch seconds,
 * epoch milliseconds and ISO strings; text accepts objects (their JSON);
 * jsonb accepts anything.  Failures raise an error; the scan's errcontext
 * callback names the stream, column, record and value.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
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
 *		A path of '$' gives the column the whole record.
 */
void
ic_reader_init(IcColumnReader *reader, Relation rel, AttrNumber attnum,
			   const char *path)
{
	Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(rel), attnum - 1);

	reader->attnum = attnum;
	reader->attname = pstrdup(NameStr(attr->attname));
	reader->whole_record = strcmp(path, "$") == 0;
	reader->path = reader->whole_record ? NULL : split_path(path);
	reader->typid = attr->atttypid;
	reader->typmod = attr->atttypmod;
	getTypeInputInfo(attr->atttypid, &reader->typinput, &reader->typioparam);
	fmgr_info(reader->typinput, &reader->input);
}

/* Follow a split path through nested objects; NULL when absent. */
json_t *
ic_json_path(json_t *record, char **path)
{
	json_t	   *value = record;

	for (; *path && value; path++)
		value = json_is_object(value) ? json_object_get(value, *path) : NULL;
	return value;
}

/*
 * ic_json_to_epoch
 *		Epoch seconds from a number or a numeric string; milliseconds are
 *		recognised by their size.  False for anything else.
 */
bool
ic_json_to_epoch(json_t *value, double *epoch)
{
	double		v;

	if (json_is_integer(value))
		v = (double) json_integer_value(value);
	else if (json_is_real(value))
		v = json_real_value(value);
	else if (json_is_string(value))
	{
		const char *s = json_string_value(value);
		char	   *end;

		errno = 0;
		v = strtod(s, &end);
		if (end == s || *end != '\0' || errno != 0)
			return false;
	}
	else
		return false;
	if (!isfinite(v))
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

/* The value's text as the type input function should see it. */
static char *
json_text(json_t *value)
{
	char		buf[64];

	switch (json_typeof(value))
	{
		case JSON_STRING:
			return pstrdup(json_string_value(value));
		case JSON_INTEGER:
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
			return pstrdup(buf);
		case JSON_REAL:
			/* the shortest text that reads back as the same double */
			snprintf(buf, sizeof(buf), "%.15g", json_real_value(value));
			if (strtod(buf, NULL) != json_real_value(value))
				snprintf(buf, sizeof(buf), "%.17g", json_real_value(value));
			return pstrdup(buf);
		case JSON_TRUE:
			return pstrdup("true");
		case JSON_FALSE:
			return pstrdup("false");
		default:
			{
				char	   *dumped = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
				char	   *result;

				if (dumped == NULL)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
							 errmsg("could not serialize a JSON value")));
				result = pstrdup(dumped);
				ic_json_free(dumped);
				return result;
			}
	}
}

/*
 * A JSON number as jsonb's numeric, from the same text json_dumps would
 * write (15 significant digits, ".0" kept on integral reals), so a value
 * reads the same whether it comes as jsonb or as json text.
 */
static Numeric
real_numeric(double value)
{
	char		buf[64];

	if (isnan(value) || isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("JSON number %g cannot be stored in jsonb", value)));
	snprintf(buf, sizeof(buf) - 2, "%.15g", value);
	if (strpbrk(buf, ".eE") == NULL)
		strcat(buf, ".0");
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}

/* A scalar jansson value as a JsonbValue. */
static void
jsonb_scalar(json_t *value, JsonbValue *v)
{
	switch (json_typeof(value))
	{
		case JSON_STRING:
			v->type = jbvString;
			v->val.string.val = (char *) json_string_value(value);
			v->val.string.len = json_string_length(value);
			break;
		case JSON_INTEGER:
			v->type = jbvNumeric;
			v->val.numeric = int64_to_numeric(json_integer_value(value));
			break;
		case JSON_REAL:
			v->type = jbvNumeric;
			v->val.numeric = real_numeric(json_real_value(value));
			break;
		case JSON_TRUE:
		case JSON_FALSE:
			v->type = jbvBool;
			v->val.boolean = json_is_true(value);
			break;
		default:
			v->type = jbvNull;
			break;
	}
}

/*
 * Push one jansson value, and everything under it, into a jsonb being built.
 * Returns what pushJsonbValue returned last: the finished value once the
 * outermost container is closed.
 */
static JsonbValue *
push_jsonb(JsonbParseState **state, json_t *value, JsonbIteratorToken scalar_token)
{
	JsonbValue	v;
	const char *key;
	json_t	   *member;
	size_t		i;

	check_stack_depth();
	if (json_is_object(value))
	{
		pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
		json_object_foreach(value, key, member)
		{
			v.type = jbvString;
			v.val.string.val = (char *) key;
			v.val.string.len = strlen(key);
			pushJsonbValue(state, WJB_KEY, &v);
			push_jsonb(state, member, WJB_VALUE);
		}
		return pushJsonbValue(state, WJB_END_OBJECT, NULL);
	}
	if (json_is_array(value))
	{
		pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
		json_array_foreach(value, i, member)
			push_jsonb(state, member, WJB_ELEM);
		return pushJsonbValue(state, WJB_END_ARRAY, NULL);
	}
	jsonb_scalar(value, &v);
	return pushJsonbValue(state, scalar_token, &v);
}

/*
 * jsonb_from_json
 *		Build the jsonb straight from the parsed tree: no JSON text written
 *		and parsed again.
 */
static Jsonb *
jsonb_from_json(json_t *value)
{
	JsonbParseState *state = NULL;
	JsonbValue	scalar;

	if (json_is_object(value) || json_is_array(value))
		return JsonbValueToJsonb(push_jsonb(&state, value, WJB_VALUE));
	jsonb_scalar(value, &scalar);	/* JsonbValueToJsonb wraps it */
	return JsonbValueToJsonb(&scalar);
}

/* A value that is neither a number nor a string cannot be a moment. */
static void
require_string(json_t *value, const char *what)
{
	if (!json_is_string(value))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("cannot convert a JSON %s to %s",
						json_is_object(value) ? "object" :
						json_is_array(value) ? "array" : "boolean", what)));
}

/*
 * ic_convert_value
 *		Convert one JSON value (NULL when absent) to the column's type.
 */
Datum
ic_convert_value(IcColumnReader *reader, json_t *value, bool *isnull)
{
	*isnull = (value == NULL || json_is_null(value));
	if (*isnull)
		return (Datum) 0;

	switch (reader->typid)
	{
		case JSONBOID:
			return JsonbPGetDatum(jsonb_from_json(value));
		case JSONOID:
			{
				/* always the JSON text: a string stays a JSON string */
				char	   *dumped = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
				char	   *text;

				if (dumped == NULL)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
							 errmsg("could not serialize a JSON value")));
				text = pstrdup(dumped);
				ic_json_free(dumped);
				return InputFunctionCall(&reader->input, text,
										 reader->typioparam, reader->typmod);
			}
		case TIMESTAMPTZOID:
		case TIMESTAMPOID:
			{
				double		epoch;

				if (ic_json_to_epoch(value, &epoch))
				{
					Datum		ts = epoch_to_timestamptz(epoch);

					/* timestamp without time zone: the UTC wall clock */
					return ts;
				}
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
			if (json_is_boolean(value))
				return BoolGetDatum(json_is_true(value));
			if (json_is_object(value) || json_is_array(value))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("cannot convert a JSON %s to boolean",
								json_is_object(value) ? "object" : "array")));
			break;
		case INT8OID:
			if (json_is_integer(value))
				return Int64GetDatum(json_integer_value(value));
			/* fall through */
		case INT2OID:
		case INT4OID:
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
			if (json_is_object(value) || json_is_array(value) || json_is_boolean(value))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("cannot convert a JSON %s to a number",
								json_is_object(value) ? "object" :
								json_is_array(value) ? "array" : "boolean")));
			break;
		default:
			break;
	}
	return InputFunctionCall(&reader->input, json_text(value),
							 reader->typioparam, reader->typmod);
}
