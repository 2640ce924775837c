/*-------------------------------------------------------------------------
 *
 * columns.c
 *		Which member of a record feeds which column: one pass over the
 *		record's members per row, instead of one search per column.
 *
 * A contact has some 70 members and a full scan reads as many columns;
 * searching the record for each column's key was a quadratic share of a
 * scan's CPU.  Here a small hash table, built when the scan starts, maps a
 * record's top-level key to the columns whose path starts with it.  Each
 * member found overwrites what an earlier one with the same key set, so the
 * last of duplicate keys wins, as in ic_json_get and jsonb.  Columns with a
 * longer path (custom_attributes.seats) then follow the rest of it.
 *
 * The catch-all column (path "_extra") gets the members whose key no column
 * of the table reads, selected or not: the same hash table knows every
 * column's first key.  Scans that do not select it take the plain loop, so
 * the catch-all costs nothing unless it is read.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include "utils/rel.h"

typedef struct KeySlot
{
	const char *key;			/* NULL: empty slot */
	uint32		keylen;
	int			first_reader;	/* readers with this first key, chained */
	bool		read;			/* some column of the table reads this key */
} KeySlot;

struct IcColumnIndex
{
	IcColumnReader *readers;
	int			nreaders;
	int		   *next_reader;	/* the chain of readers sharing a first key */
	KeySlot    *slots;
	uint32		mask;			/* slots - 1, a power of two minus one */
	int			extra_reader;	/* the catch-all's reader, or -1 */
	IcJsonMember *extras;		/* room for a record's unread members */
	uint32		extras_cap;
	MemoryContext cxt;			/* the scan's: extras outlive each row */
};

/* Cheap and good enough for a few dozen distinct keys: length, the first
 * two bytes and the last two. */
static inline uint32
key_hash(const char *key, uint32 len)
{
	uint32		h = len * 0x9E3779B1u;

	if (len > 0)
	{
		h ^= (unsigned char) key[0] * 0x85EBCA77u;
		h ^= (unsigned char) key[len - 1] * 0xC2B2AE3Du;
	}
	if (len > 2)
	{
		h ^= (unsigned char) key[1] * 0x27D4EB2Fu;
		h ^= (unsigned char) key[len - 2] * 0x165667B1u;
	}
	return h ^ (h >> 15);
}

static KeySlot *
find_slot(const IcColumnIndex *index, const char *key, uint32 len)
{
	uint32		i = key_hash(key, len) & index->mask;

	for (;;)
	{
		KeySlot    *slot = &index->slots[i];

		if (slot->key == NULL ||
			(slot->keylen == len && memcmp(slot->key, key, len) == 0))
			return slot;
		i = (i + 1) & index->mask;
	}
}

/* The slot of key, claimed for it if it has none yet. */
static KeySlot *
claim_slot(IcColumnIndex *index, const char *key)
{
	KeySlot    *slot = find_slot(index, key, strlen(key));

	if (slot->key == NULL)
	{
		slot->key = key;
		slot->keylen = strlen(key);
		slot->first_reader = -1;
	}
	return slot;
}

/*
 * ic_column_index_build
 *		The index of the readers' first path keys, in the current memory
 *		context.  table_keys (NULL-terminated, or NULL) are the first keys
 *		of every column of the table: with a catch-all reader among the
 *		readers, the members it leaves out.
 */
IcColumnIndex *
ic_column_index_build(IcColumnReader *readers, int nreaders, const char *const *table_keys)
{
	IcColumnIndex *index = palloc0(sizeof(IcColumnIndex));
	uint32		nslots = 16;
	int			nkeys = 0;

	while (table_keys && table_keys[nkeys])
		nkeys++;
	while (nslots < (uint32) (nreaders + nkeys) * 4)
		nslots *= 2;
	index->readers = readers;
	index->nreaders = nreaders;
	index->next_reader = palloc(sizeof(int) * Max(nreaders, 1));
	index->slots = palloc0(sizeof(KeySlot) * nslots);
	index->mask = nslots - 1;
	index->extra_reader = -1;
	index->cxt = CurrentMemoryContext;
	/* backwards, so that each chain lists its readers in column order */
	for (int r = nreaders - 1; r >= 0; r--)
	{
		KeySlot    *slot;

		index->next_reader[r] = -1;
		if (readers[r].extra)
			index->extra_reader = r;
		if (readers[r].whole_record || readers[r].extra)
			continue;
		slot = claim_slot(index, readers[r].path[0]);
		slot->read = true;
		index->next_reader[r] = slot->first_reader;
		slot->first_reader = r;
	}
	for (int k = 0; k < nkeys && index->extra_reader >= 0; k++)
		claim_slot(index, table_keys[k])->read = true;
	return index;
}

/*
 * collect_extras
 *		The record's members no column reads, as an object node that shares
 *		their values (valid until index->extras is reused by the next row).
 */
static IcJson *
collect_extras(IcColumnIndex *index, const IcJson *record, IcJson *object)
{
	uint32		n = 0;

	if (record->len > index->extras_cap)
	{
		/* in the scan's context, reused row after row */
		if (index->extras)
			pfree(index->extras);
		index->extras_cap = Max(record->len, 32);
		index->extras = MemoryContextAlloc(index->cxt, sizeof(IcJsonMember) * index->extras_cap);
	}
	for (uint32 i = 0; i < record->len; i++)
	{
		const IcJsonMember *m = &record->u.members[i];
		const KeySlot *slot = find_slot(index, m->key, m->keylen);

		if (slot->key == NULL || !slot->read)
			index->extras[n++] = *m;
	}
	object->type = IC_JSON_OBJECT;
	object->len = n;
	object->u.members = index->extras;
	return object;
}

/*
 * ic_column_index_lookup
 *		Each reader's value in the record (values[i] for readers[i]), NULL
 *		where absent.  The catch-all's value is built in *extras.
 */
void
ic_column_index_lookup(IcColumnIndex *index, IcJson *record, IcJson **values,
					   IcJson *extras)
{
	for (int r = 0; r < index->nreaders; r++)
		values[r] = index->readers[r].whole_record ? record : NULL;
	if (!ic_json_is(record, IC_JSON_OBJECT))
		return;
	if (index->extra_reader >= 0)
		values[index->extra_reader] = collect_extras(index, record, extras);
	if (record->u.members == NULL)
		return;
	for (uint32 i = 0; i < record->len; i++)
	{
		IcJsonMember *m = &record->u.members[i];
		KeySlot    *slot = find_slot(index, m->key, m->keylen);

		for (int r = slot->key ? slot->first_reader : -1; r >= 0; r = index->next_reader[r])
			values[r] = &m->value;
	}
	for (int r = 0; r < index->nreaders; r++)
		if (values[r] && !index->readers[r].whole_record && !index->readers[r].extra &&
			index->readers[r].path[1])
			values[r] = ic_json_path(values[r], index->readers[r].path + 1);
}

/*
 * ic_table_keys
 *		The first path key of every column of the table, selected or not
 *		(NULL-terminated): what the catch-all leaves out.  A column of the
 *		whole record reads no key in particular.
 */
const char **
ic_table_keys(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	const char **keys = palloc0(sizeof(char *) * (desc->natts + 1));
	int			n = 0;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		char	   *path;

		if (attr->attisdropped)
			continue;
		path = ic_column_path(RelationGetRelid(rel), attr->attnum, NameStr(attr->attname));
		if (strcmp(path, "$") == 0 || strcmp(path, IC_EXTRA_PATH) == 0)
			continue;
		if (strchr(path, '.'))
			*strchr(path, '.') = '\0';
		keys[n++] = path;
	}
	return keys;
}

/*
 * ic_record_extras
 *		The catch-all of one record outside a scan (RETURNING of a write):
 *		the members whose key no column of the table reads, into *object,
 *		as the scan's index builds it.
 */
IcJson *
ic_record_extras(const IcJson *record, const char *const *table_keys, IcJson *object)
{
	uint32		n = 0;

	object->type = IC_JSON_OBJECT;
	object->len = 0;
	object->u.members = NULL;
	if (!ic_json_is((IcJson *) record, IC_JSON_OBJECT) || record->len == 0)
		return object;
	object->u.members = palloc(sizeof(IcJsonMember) * record->len);
	for (uint32 i = 0; i < record->len; i++)
	{
		const IcJsonMember *m = &record->u.members[i];
		bool		read = false;

		for (const char *const *k = table_keys; *k && !read; k++)
			read = strlen(*k) == m->keylen && memcmp(*k, m->key, m->keylen) == 0;
		if (!read)
			object->u.members[n++] = *m;
	}
	object->len = n;
	return object;
}
