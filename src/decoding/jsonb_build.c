/*-------------------------------------------------------------------------
 *
 * jsonb_build.c
 *		A decoded JSON value (json_decode.c) written straight into jsonb's
 *		binary format.
 *
 * Why not pushJsonbValue: it copies every value into a JsonbValue tree,
 * sorts each object's keys with qsort_arg through a comparison callback,
 * and only then writes the binary; for contacts that was a sixth of a full
 * scan's CPU.  The decoded tree already holds every value contiguously, so
 * this writes each container once: an object's members are ordered by a
 * small index sort, and duplicate keys keep the last one sent, as jsonb
 * does.
 *
 * The bytes are exactly those that convertToJsonb (jsonb_util.c) writes
 * for the same value, so a column reads, compares and hashes like
 * '<text>'::jsonb; the types suite checks this byte for byte.  The layout:
 * a container is a uint32 header (count and kind) and one JEntry per child
 * (for objects, all keys then all values), then the children's data; each
 * JB_OFFSET_STRIDE'th JEntry holds an end offset instead of a length;
 * containers and numerics start at an int-aligned offset, and the padding
 * before them belongs to their length.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include "miscadmin.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

/* Objects up to this size are ordered by insertion sort (the common case). */
#define INSERTION_SORT_MAX	24

typedef struct Builder
{
	char	   *data;			/* the varlena being written */
	size_t		len;
	size_t		cap;
	uint32	   *order;			/* members' sorted indexes, a stack of them */
	size_t		order_top;
	size_t		order_cap;
} Builder;

static void write_value(Builder *b, const IcJson *value, JEntry *entry);

/* ---------- the buffer ---------- */

static inline void
reserve(Builder *b, size_t n)
{
	if (b->len + n > b->cap)
	{
		size_t		cap = Max(b->cap * 2, b->len + n);

		if (cap > MaxAllocSize)
			cap = Max(b->len + n, MaxAllocSize);
		b->data = repalloc(b->data, cap);	/* errors past 1 GB, as jsonb does */
		b->cap = cap;
	}
}

static inline void
append(Builder *b, const void *bytes, size_t n)
{
	reserve(b, n);
	memcpy(b->data + b->len, bytes, n);
	b->len += n;
}

/* Pad to an int boundary; returns the padding's length. */
static inline int
pad_to_int(Builder *b)
{
	int			pad = INTALIGN(b->len) - b->len;

	reserve(b, pad);
	memset(b->data + b->len, 0, pad);
	b->len += pad;
	return pad;
}

/* Room for n JEntries (or a header): their offset in the buffer. */
static inline size_t
reserve_entries(Builder *b, size_t n)
{
	size_t		at = b->len;

	reserve(b, n * sizeof(JEntry));
	b->len += n * sizeof(JEntry);
	return at;
}

static inline void
check_length(size_t total)
{
	if (total > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("total size of jsonb object elements exceeds the maximum of %u bytes",
						JENTRY_OFFLENMASK)));
}

/*
 * Store the i'th child's JEntry: every JB_OFFSET_STRIDE'th one holds the
 * end offset of the children's data so far, the others their length.
 */
static inline void
store_entry(Builder *b, size_t at, int i, JEntry entry, uint32 *total)
{
	*total += JBE_OFFLENFLD(entry);
	check_length(*total);
	if (i % JB_OFFSET_STRIDE == 0)
		entry = (entry & JENTRY_TYPEMASK) | *total | JENTRY_HAS_OFF;
	memcpy(b->data + at + i * sizeof(JEntry), &entry, sizeof(JEntry));
}

/* ---------- scalars ---------- */

/* A JSON number's exact text as numeric. */
static Numeric
json_numeric(const IcJson *value)
{
	int64		v;

	if (ic_json_small_integer(value, &v))
		return int64_to_numeric(v);
	return DatumGetNumeric(DirectFunctionCall3(numeric_in,
											   CStringGetDatum(pnstrdup(value->u.text, value->len)),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}

static void
write_scalar(Builder *b, const IcJson *value, JEntry *entry)
{
	switch ((IcJsonType) value->type)
	{
		case IC_JSON_STRING:
			append(b, value->u.text, value->len);
			*entry = JENTRY_ISSTRING | value->len;
			break;
		case IC_JSON_NUMBER:
			{
				Numeric		num = json_numeric(value);
				int			pad = pad_to_int(b);
				size_t		len = VARSIZE_ANY(num);

				append(b, num, len);
				*entry = JENTRY_ISNUMERIC | (pad + len);
				pfree(num);
				break;
			}
		case IC_JSON_TRUE:
			*entry = JENTRY_ISBOOL_TRUE;
			break;
		case IC_JSON_FALSE:
			*entry = JENTRY_ISBOOL_FALSE;
			break;
		default:
			*entry = JENTRY_ISNULL;
			break;
	}
}

/* ---------- containers ---------- */

/* jsonb's key order: shorter first, then bytewise; for equal keys the
 * member sent last first, so that dropping the rest keeps it. */
static inline int
compare_members(const IcJsonMember *members, uint32 a, uint32 b)
{
	const IcJsonMember *ma = &members[a];
	const IcJsonMember *mb = &members[b];

	if (ma->keylen != mb->keylen)
		return ma->keylen < mb->keylen ? -1 : 1;
	if (ma->keylen > 0)
	{
		int			r = memcmp(ma->key, mb->key, ma->keylen);

		if (r != 0)
			return r;
	}
	return a > b ? -1 : 1;
}

static int
compare_members_qsort(const void *a, const void *b, void *arg)
{
	return compare_members((const IcJsonMember *) arg, *(const uint32 *) a, *(const uint32 *) b);
}

/*
 * The object's members in jsonb's order, without duplicate keys, on the
 * builder's order stack; returns how many.
 */
static uint32
order_members(Builder *b, const IcJson *object, uint32 **order_out)
{
	uint32		n = object->len;
	uint32	   *order;
	uint32		kept;

	if (b->order_top + n > b->order_cap)
	{
		b->order_cap = Max(b->order_cap * 2, b->order_top + n);
		b->order = repalloc_huge(b->order, b->order_cap * sizeof(uint32));
	}
	order = b->order + b->order_top;
	b->order_top += n;
	for (uint32 i = 0; i < n; i++)
		order[i] = i;
	if (n <= INSERTION_SORT_MAX)
	{
		for (uint32 i = 1; i < n; i++)
		{
			uint32		m = order[i];
			uint32		j = i;

			while (j > 0 && compare_members(object->u.members, order[j - 1], m) > 0)
			{
				order[j] = order[j - 1];
				j--;
			}
			order[j] = m;
		}
	}
	else
		qsort_arg(order, n, sizeof(uint32), compare_members_qsort, object->u.members);

	/* drop duplicates: the first of equal keys is the one sent last */
	kept = n > 0 ? 1 : 0;
	for (uint32 i = 1; i < n; i++)
	{
		const IcJsonMember *prev = &object->u.members[order[kept - 1]];
		const IcJsonMember *m = &object->u.members[order[i]];

		if (m->keylen != prev->keylen || (m->keylen > 0 && memcmp(m->key, prev->key, m->keylen) != 0))
			order[kept++] = order[i];
	}
	*order_out = order;
	return kept;
}

static void
write_object(Builder *b, const IcJson *object, JEntry *entry)
{
	size_t		base = b->len;
	uint32	   *order;
	uint32		n;
	uint32		header;
	uint32		total = 0;
	size_t		entries;
	size_t		saved_top = b->order_top;

	pad_to_int(b);
	n = order_members(b, object, &order);
	header = n | JB_FOBJECT;
	append(b, &header, sizeof(header));
	entries = reserve_entries(b, (size_t) n * 2);
	for (uint32 i = 0; i < n; i++)
	{
		const IcJsonMember *m = &object->u.members[order[i]];

		append(b, m->key, m->keylen);
		store_entry(b, entries, i, JENTRY_ISSTRING | m->keylen, &total);
	}
	for (uint32 i = 0; i < n; i++)
	{
		JEntry		child;

		/* the order stack may move while the value is written */
		write_value(b, &object->u.members[b->order[saved_top + i]].value, &child);
		store_entry(b, entries, i + n, child, &total);
	}
	b->order_top = saved_top;
	check_length(b->len - base);
	*entry = JENTRY_ISCONTAINER | (uint32) (b->len - base);
}

static void
write_array(Builder *b, const IcJson *array, bool raw_scalar, JEntry *entry)
{
	size_t		base = b->len;
	uint32		n = raw_scalar ? 1 : array->len;
	uint32		header = n | JB_FARRAY | (raw_scalar ? JB_FSCALAR : 0);
	uint32		total = 0;
	size_t		entries;

	pad_to_int(b);
	append(b, &header, sizeof(header));
	entries = reserve_entries(b, n);
	for (uint32 i = 0; i < n; i++)
	{
		JEntry		child;

		write_value(b, raw_scalar ? array : ic_json_item(array, i), &child);
		store_entry(b, entries, i, child, &total);
	}
	check_length(b->len - base);
	*entry = JENTRY_ISCONTAINER | (uint32) (b->len - base);
}

static void
write_value(Builder *b, const IcJson *value, JEntry *entry)
{
	check_stack_depth();
	if (value->type == IC_JSON_OBJECT)
		write_object(b, value, entry);
	else if (value->type == IC_JSON_ARRAY)
		write_array(b, value, false, entry);
	else
		write_scalar(b, value, entry);
}

/*
 * ic_jsonb_from_json
 *		The value as a jsonb Datum, in the current memory context.  A scalar becomes
 *		jsonb's raw scalar (a one-element array flagged as such).
 */
Datum
ic_jsonb_from_json(const IcJson *value)
{
	Builder		b;
	JEntry		root;

	b.cap = 256;
	b.data = palloc(b.cap);
	b.len = VARHDRSZ;
	b.order_cap = 64;
	b.order = palloc(b.order_cap * sizeof(uint32));
	b.order_top = 0;
	if (value->type == IC_JSON_OBJECT || value->type == IC_JSON_ARRAY)
		write_value(&b, value, &root);
	else
		write_array(&b, value, true, &root);
	pfree(b.order);
	SET_VARSIZE(b.data, b.len);
	return PointerGetDatum(b.data);
}

/*
 * intercom_fdw_jsonb_bytes
 *		A jsonb value's binary form as bytea.  Not part of the extension's
 *		SQL: the types suite declares it to check, byte for byte, that a
 *		column built here equals PostgreSQL's own '<text>'::jsonb.
 */
PG_FUNCTION_INFO_V1(intercom_fdw_jsonb_bytes);

Datum
intercom_fdw_jsonb_bytes(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	bytea	   *out = palloc(VARSIZE(jb));

	memcpy(out, jb, VARSIZE(jb));
	PG_RETURN_BYTEA_P(out);
}
