/*-------------------------------------------------------------------------
 *
 * pg_compat.h
 *		Every difference between PostgreSQL major versions that intercom_fdw
 *		meets, smoothed over in one place, so that the rest of the code reads
 *		the same on every version.
 *
 *		Tested: 15, 17 and 18. Written from the release notes and headers but
 *		not compiled here: 14 and 16 (see README, "PostgreSQL versions").
 *
 *-------------------------------------------------------------------------
 */
#ifndef IC_PG_COMPAT_H
#define IC_PG_COMPAT_H

#include "postgres.h"

#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"
#include "optimizer/pathnode.h"
#include "parser/parsetree.h"
#include "utils/wait_event.h"

/*
 * EXPLAIN: 18 moved ExplainState to explain_state.h and the ExplainProperty
 * functions to explain_format.h; explain.h no longer brings them in.
 */
#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#endif

/*
 * A function that does not return: 18 replaced the suffix
 * pg_attribute_noreturn() with the prefix pg_noreturn. GCC and clang take
 * the attribute as a prefix on every version.
 */
#ifndef pg_noreturn
#define pg_noreturn __attribute__((noreturn))
#endif

/*
 * create_foreignscan_path: 17 added fdw_restrictinfo (the clauses a join
 * path pushes down; we push none), 18 the count of disabled nodes below the
 * path (none: a foreign scan has no children).
 */
#if PG_VERSION_NUM >= 180000
#define ic_create_foreignscan_path(root, rel, rows, startup, total, pathkeys, outer, fdw_private) \
	create_foreignscan_path((root), (rel), NULL, (rows), 0, (startup), (total), (pathkeys), \
							(outer), NULL, NIL, (fdw_private))
#elif PG_VERSION_NUM >= 170000
#define ic_create_foreignscan_path(root, rel, rows, startup, total, pathkeys, outer, fdw_private) \
	create_foreignscan_path((root), (rel), NULL, (rows), (startup), (total), (pathkeys), \
							(outer), NULL, NIL, (fdw_private))
#else
#define ic_create_foreignscan_path(root, rel, rows, startup, total, pathkeys, outer, fdw_private) \
	create_foreignscan_path((root), (rel), NULL, (rows), (startup), (total), (pathkeys), \
							(outer), NULL, (fdw_private))
#endif

/*
 * Sort direction of a path key: 18 replaced the btree strategy number
 * pk_strategy with the comparison type pk_cmptype.
 */
#if PG_VERSION_NUM >= 180000
#define ic_pathkey_is_ascending(pk)		((pk)->pk_cmptype == COMPARE_LT)
#define ic_pathkey_is_descending(pk)	((pk)->pk_cmptype == COMPARE_GT)
#else
#define ic_pathkey_is_ascending(pk)		((pk)->pk_strategy == BTLessStrategyNumber)
#define ic_pathkey_is_descending(pk)	((pk)->pk_strategy == BTGreaterStrategyNumber)
#endif

/*
 * The user a foreign scan runs as (whose user mapping it reads): 16 moved
 * checkAsUser from the range table entry to the ForeignScan node.
 */
static inline Oid
ic_scan_user(ForeignScan *fsplan, EState *estate)
{
#if PG_VERSION_NUM >= 160000
	Oid			user = fsplan->checkAsUser;
#else
	Oid			user = exec_rt_fetch(fsplan->scan.scanrelid, estate)->checkAsUser;
#endif

	return OidIsValid(user) ? user : GetUserId();
}

/*
 * Wait events: 17 lets an extension register named ones, shown in
 * pg_stat_activity.wait_event; before, every extension wait is "Extension".
 */
static inline uint32
ic_new_wait_event(const char *name)
{
#if PG_VERSION_NUM >= 170000
	return WaitEventExtensionNew(name);
#else
	(void) name;
	return PG_WAIT_EXTENSION;
#endif
}

/*
 * The columns an INSERT gives or an UPDATE sets (attnums offset by
 * FirstLowInvalidHeapAttributeNumber): 16 moved them from the range table
 * entry to its RTEPermissionInfo.
 */
#if PG_VERSION_NUM >= 160000
#include "parser/parse_relation.h"
#endif
static inline Bitmapset *
ic_changed_cols(PlannerInfo *root, RangeTblEntry *rte, CmdType operation)
{
#if PG_VERSION_NUM >= 160000
	RTEPermissionInfo *perminfo = getRTEPermissionInfo(root->parse->rteperminfos, rte);

	return operation == CMD_INSERT ? perminfo->insertedCols : perminfo->updatedCols;
#else
	(void) root;
	return operation == CMD_INSERT ? rte->insertedCols : rte->updatedCols;
#endif
}

/*
 * The user a write runs as (whose user mapping and admin_id it uses): 16
 * added ExecGetResultRelCheckAsUser, as checkAsUser left the range table.
 */
static inline Oid
ic_modify_user(ResultRelInfo *rinfo, EState *estate)
{
#if PG_VERSION_NUM >= 160000
	return ExecGetResultRelCheckAsUser(rinfo, estate);
#else
	Oid			user = exec_rt_fetch(rinfo->ri_RangeTableIndex, estate)->checkAsUser;

	return OidIsValid(user) ? user : GetUserId();
#endif
}

/*
 * A composite Datum's tuple header. DatumGetHeapTupleHeader became an
 * exported function in recent minor releases (17.12's headers declare it,
 * 17.10's server lacks it): a module built against newer minor headers
 * would not load into an older server of the same major. Detoasting
 * directly is what it does for a plain composite value, on every release.
 */
#define ic_datum_get_tuple_header(d)	((HeapTupleHeader) PG_DETOAST_DATUM(d))

#endif							/* IC_PG_COMPAT_H */
