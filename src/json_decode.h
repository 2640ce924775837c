/*-------------------------------------------------------------------------
 *
 * json_decode.h
 *		The page decoder: JSON text to a compact tree of exact values.
 *
 * Plain C with no PostgreSQL types in its interface, so that it can be read
 * (and benchmarked) on its own; the implementation allocates with palloc in
 * the caller's memory context.
 *
 *-------------------------------------------------------------------------
 */
#ifndef INTERCOM_JSON_DECODE_H
#define INTERCOM_JSON_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum IcJsonType
{
	IC_JSON_NULL,
	IC_JSON_FALSE,
	IC_JSON_TRUE,
	IC_JSON_NUMBER,				/* text: the digits exactly as sent */
	IC_JSON_STRING,				/* text: decoded UTF-8, not NUL-terminated */
	IC_JSON_ARRAY,
	IC_JSON_OBJECT
} IcJsonType;

typedef struct IcJsonMember IcJsonMember;

/* One value; 16 bytes.  Containers point at contiguous children. */
typedef struct IcJson
{
	uint32_t	type;			/* IcJsonType */
	uint32_t	len;			/* bytes of text, or number of children */
	union
	{
		const char *text;		/* NUMBER, STRING */
		struct IcJson *items;	/* ARRAY (NULL when only counted) */
		IcJsonMember *members;	/* OBJECT, in the order sent */
	}			u;
} IcJson;

struct IcJsonMember
{
	const char *key;			/* decoded, not NUL-terminated */
	uint32_t	keylen;
	IcJson		value;
};

/* How to decode one response body. */
typedef struct IcDecodeOptions
{
	/*
	 * Set: the root object's array under this key is validated and counted
	 * but its elements are not built (count(*) reads no column).
	 */
	const char *count_key;
	int64_t		replaced;		/* out: characters replaced by U+FFFD */
} IcDecodeOptions;

/*
 * ic_json_decode
 *		The tree of a complete JSON text (RFC 8259), allocated in the current
 *		memory context, or NULL if the text is not JSON (truncated, HTML, ...).
 */
extern IcJson *ic_json_decode(const char *text, size_t len, IcDecodeOptions *options);

/* Lookups: NULL when absent.  Duplicate keys: the last one wins. */
extern IcJson *ic_json_get(const IcJson *object, const char *key);
extern IcJson *ic_json_get_len(const IcJson *object, const char *key, size_t keylen);
extern IcJson *ic_json_item(const IcJson *array, size_t index);

/* A string node over text that outlives it (NUL-terminated). */
static inline IcJson
ic_json_string(const char *text)
{
	IcJson		v;

	v.type = IC_JSON_STRING;
	v.len = (uint32_t) strlen(text);
	v.u.text = text;
	return v;
}

/* A number that is a plain integer of at most 18 digits (the common case),
 * read without a type input function. */
static inline bool
ic_json_small_integer(const IcJson *value, int64_t *result)
{
	bool		negative = value->u.text[0] == '-';
	uint32_t	i = negative ? 1 : 0;
	int64_t		v = 0;

	if (value->len > 18 || value->len == i)
		return false;
	for (; i < value->len; i++)
	{
		char		c = value->u.text[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*result = negative ? -v : v;
	return true;
}

static inline bool
ic_json_is(const IcJson *v, IcJsonType type)
{
	return v != NULL && v->type == (uint32_t) type;
}

#endif							/* INTERCOM_JSON_DECODE_H */
