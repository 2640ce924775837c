/*-------------------------------------------------------------------------
 *
 * pushdown.c
 *		Which WHERE clauses become Intercom API filters, and how.
 *
 * Correctness first: every clause stays in the plan's local quals, so
 * PostgreSQL rechecks every row.  A pushed filter only has to return a
 * superset of the matching rows; where the API is coarser than SQL (contact
 * dates compare by day in the workspace's time zone, conversation dates'
 * inclusivity is ambiguous) the bound is widened so no row is lost.
 *
 * Filters are planned as (column, operator) pairs plus the expression of the
 * compared value, which is evaluated at execution time: constants,
 * prepared-statement parameters and stable expressions like
 * now() - interval '1 day' all work, and generic plans stay valid.
 *
 *-------------------------------------------------------------------------
 */
#include "intercom_fdw.h"

#include <math.h>

#include "access/transam.h"
#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "nodes/makefuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/* Search API limit: filters per AND/OR group (intercom-api.md section 4). */
#define MAX_FILTERS_PER_GROUP 15

/* The stream column a Var of this relation refers to, or NULL. */
static const IcColumn *
var_column(Var *var, RelOptInfo *baserel, const IcStream *stream,
		   Oid foreigntableid)
{
	char	   *attname;

	if (var->varno != baserel->relid || var->varlevelsup != 0 || var->varattno <= 0)
		return NULL;
	attname = get_attname(foreigntableid, var->varattno, false);
	/* a column with its own path reads something else: not pushable */
	if (strcmp(ic_column_path(foreigntableid, var->varattno, attname), attname) != 0)
		return NULL;
	return ic_stream_column(stream, attname);
}

/*
 * A value side we can evaluate at execution: nothing of this relation,
 * nothing volatile.  Vars of other relations are join parameters: in a
 * parameterized path the planner turns them into Params.
 */
static bool
is_runtime_constant(Node *expr, RelOptInfo *baserel)
{
	Relids		varnos = pull_varnos(NULL, expr);

	return !bms_overlap(varnos, baserel->relids) &&
		!contain_volatile_functions(expr) && !contain_subplans(expr) &&
		!contain_agg_clause(expr) && !contain_window_function(expr);
}

static const char *
commute_op(const char *op)
{
	if (strcmp(op, "<") == 0)
		return ">";
	if (strcmp(op, ">") == 0)
		return "<";
	if (strcmp(op, "<=") == 0)
		return ">=";
	if (strcmp(op, ">=") == 0)
		return "<=";
	return op;
}

/* Is this column/type/operator combination one the API can filter? */
static bool
pushable(const IcColumn *col, Oid vartype, Oid valtype, const char *op)
{
	bool		comparison = strcmp(op, "<") == 0 || strcmp(op, ">") == 0 ||
		strcmp(op, "<=") == 0 || strcmp(op, ">=") == 0;

	switch (col->search)
	{
		case IC_SEARCH_DATE_BY_DAY:
		case IC_SEARCH_DATE_SECOND:
		case IC_SEARCH_RANGE_PARAM:
			return vartype == TIMESTAMPTZOID && valtype == TIMESTAMPTZOID &&
				(comparison || strcmp(op, "=") == 0);
		case IC_SEARCH_EQUAL:
			return strcmp(op, "=") == 0 && vartype == valtype &&
				(vartype == TEXTOID || vartype == BOOLOID);
		default:
			return false;
	}
}

static void
add_filter(List **filters, List **exprs, const IcColumn *col,
		   const char *op, Expr *value)
{
	*filters = lappend(*filters, list_make2(makeString(pstrdup(col->name)),
											makeString(pstrdup(op))));
	*exprs = lappend(*exprs, value);
}

/* col op value, value op col */
static bool
classify_opexpr(OpExpr *op, RelOptInfo *baserel, const IcStream *stream,
				Oid relid, List **filters, List **exprs)
{
	Node	   *left;
	Node	   *right;
	char	   *opname;
	const IcColumn *col;

	if (list_length(op->args) != 2 || op->opno >= FirstNormalObjectId)
		return false;
	left = strip_implicit_coercions(linitial(op->args));
	right = strip_implicit_coercions(lsecond(op->args));
	opname = get_opname(op->opno);
	if (opname == NULL)
		return false;
	if (IsA(right, Var) && ((Var *) right)->varno == baserel->relid &&
		!(IsA(left, Var) && ((Var *) left)->varno == baserel->relid))
	{
		Node	   *tmp = left;

		left = right;
		right = tmp;
		opname = (char *) commute_op(opname);
	}
	if (!IsA(left, Var) || !is_runtime_constant(right, baserel))
		return false;
	col = var_column((Var *) left, baserel, stream, relid);
	if (col == NULL || !pushable(col, exprType(left), exprType(right), opname))
		return false;

	/*
	 * A part is never updated after its conversation, so a lower bound on a
	 * part's updated_at selects conversations; an upper bound says nothing.
	 */
	if (stream->paging == IC_PAGING_PER_PARENT && strcmp(col->name, "updated_at") == 0 &&
		opname[0] != '>')
		return false;
	add_filter(filters, exprs, col, opname, (Expr *) right);
	return true;
}

/* id = ANY(ARRAY[...]) on a column looked up one GET per value */
static bool
classify_in(ScalarArrayOpExpr *saop, RelOptInfo *baserel, const IcStream *stream,
			Oid relid, List **filters, List **exprs)
{
	Node	   *left = strip_implicit_coercions(linitial(saop->args));
	Node	   *right = lsecond(saop->args);
	char	   *opname = get_opname(saop->opno);
	const IcColumn *col;

	if (!saop->useOr || opname == NULL || strcmp(opname, "=") != 0 ||
		saop->opno >= FirstNormalObjectId || !IsA(left, Var) ||
		!is_runtime_constant(right, baserel) || exprType(left) != TEXTOID)
		return false;
	col = var_column((Var *) left, baserel, stream, relid);
	if (col == NULL || col->search != IC_SEARCH_EQUAL ||
		(strcmp(col->name, "id") != 0 && strcmp(col->name, ic_stream_key_column(stream)) != 0))
		return false;
	add_filter(filters, exprs, col, "in", (Expr *) right);
	return true;
}

/* WHERE open / WHERE NOT open on a searchable boolean */
static bool
classify_bool(Node *clause, RelOptInfo *baserel, const IcStream *stream,
			  Oid relid, List **filters, List **exprs)
{
	bool		value = true;
	const IcColumn *col;

	if (is_notclause(clause))
	{
		clause = (Node *) get_notclausearg((Expr *) clause);
		value = false;
	}
	if (!IsA(clause, Var) || exprType(clause) != BOOLOID)
		return false;
	col = var_column((Var *) clause, baserel, stream, relid);
	if (col == NULL || col->search != IC_SEARCH_EQUAL)
		return false;
	add_filter(filters, exprs, col, "=",
			   (Expr *) makeBoolConst(value, false));
	return true;
}

/*
 * ic_classify_quals
 *		Collect the clauses (RestrictInfos: the relation's restrictions, plus
 *		join clauses in a parameterized path) the API can apply.  *exact is
 *		set when every clause was pushed and the API applies each exactly
 *		(only then may LIMIT be pushed down too).
 */
void
ic_classify_quals(PlannerInfo *root, RelOptInfo *baserel, List *clauses,
				  const IcStream *stream, Oid foreigntableid,
				  List **filters, List **exprs, bool *exact)
{
	ListCell   *lc;

	*filters = NIL;
	*exprs = NIL;
	*exact = true;
	foreach(lc, clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		Node	   *clause = (Node *) ri->clause;
		bool		pushed = false;

		if (IsA(clause, OpExpr))
			pushed = classify_opexpr((OpExpr *) clause, baserel, stream,
									 foreigntableid, filters, exprs);
		else if (IsA(clause, ScalarArrayOpExpr))
			pushed = classify_in((ScalarArrayOpExpr *) clause, baserel, stream,
								 foreigntableid, filters, exprs);
		else
			pushed = classify_bool(clause, baserel, stream, foreigntableid,
								   filters, exprs);

		if (!pushed)
			*exact = false;
		else
		{
			/* only equality on strings and booleans is exact in the API */
			List	   *f = llast(*filters);
			const IcColumn *col = ic_stream_column(stream, strVal(linitial(f)));

			if (col->search != IC_SEARCH_EQUAL)
				*exact = false;
		}
	}
}

/* ---------- building the search query at execution time ---------- */

static json_t *
leaf(const char *field, const char *op, json_t *value)
{
	return json_pack("{s:s, s:s, s:o}", "field", field, "operator", op, "value", value);
}

static json_t *
group(const char *op, json_t *a, json_t *b)
{
	return json_pack("{s:s, s:[o,o]}", "operator", op, "value", a, b);
}

/*
 * date_clause
 *		The widened API condition for `field op epoch`.
 *
 * By day (contacts): the API truncates the value to its local day; `= T`
 * matches T's whole day, `> T` starts the next day and `< T` ends before
 * T's day.  So `>= T` and `> T` become (= T OR > T): T's day and later;
 * `<= T` and `< T` become (= T OR < T): T's day and earlier.  No time zone
 * knowledge is needed, and it is exact to the day.
 *
 * By second (conversations): the API's `>` and `<` may or may not include
 * the bound, so bounds are moved out by a second where that is needed.
 */
static json_t *
date_clause(const char *field, const char *op, double epoch, bool by_day)
{
	json_int_t	lo = (json_int_t) floor(epoch);
	json_int_t	hi = (json_int_t) ceil(epoch);

	if (by_day)
	{
		if (strcmp(op, "=") == 0)
			return leaf(field, "=", json_integer(lo));
		return group("OR", leaf(field, "=", json_integer(lo)),
					 leaf(field, op[0] == '>' ? ">" : "<", json_integer(lo)));
	}
	if (strcmp(op, ">") == 0)
		return leaf(field, ">", json_integer(lo));
	if (strcmp(op, ">=") == 0)
		return leaf(field, ">", json_integer(hi - 1));
	if (strcmp(op, "<") == 0)
		return leaf(field, "<", json_integer(hi));
	if (strcmp(op, "<=") == 0)
		return leaf(field, "<", json_integer(lo + 1));
	/* = T: the second T, from both sides */
	return group("AND", leaf(field, ">", json_integer(hi - 1)),
				 leaf(field, "<", json_integer(lo + 1)));
}

/*
 * symbolic_date_clause
 *		date_clause's shape for a value known only at execution (EXPLAIN
 *		of a generic plan): the same widening, the bound shown as text.
 */
static json_t *
symbolic_date_clause(const char *field, const char *op, const char *text, bool by_day)
{
	if (by_day)
	{
		if (strcmp(op, "=") == 0)
			return leaf(field, "=", json_string(text));
		return group("OR", leaf(field, "=", json_string(text)),
					 leaf(field, op[0] == '>' ? ">" : "<", json_string(text)));
	}
	if (strcmp(op, ">=") == 0)
		return leaf(field, ">", json_sprintf("%s - 1 second", text));
	if (strcmp(op, "<=") == 0)
		return leaf(field, "<", json_sprintf("%s + 1 second", text));
	if (strcmp(op, "=") == 0)
		return group("AND", leaf(field, ">", json_sprintf("%s - 1 second", text)),
					 leaf(field, "<", json_sprintf("%s + 1 second", text)));
	return leaf(field, op, json_string(text));
}

/*
 * ic_search_clause
 *		One filter's API condition given its evaluated value, or NULL when
 *		it cannot be expressed (the local recheck then does the work).
 *		A symbolic value (EXPLAIN without execution) is shown as text.
 */
json_t *
ic_search_clause(const IcColumn *col, const char *api_field, const char *op,
				 IcFilterValue *value)
{
	if (value->symbolic && (col->search == IC_SEARCH_DATE_BY_DAY ||
							col->search == IC_SEARCH_DATE_SECOND))
		return symbolic_date_clause(api_field, op, value->text,
									col->search == IC_SEARCH_DATE_BY_DAY);
	if (value->symbolic)
		return leaf(api_field, op, json_string(value->text));
	switch (col->search)
	{
		case IC_SEARCH_DATE_BY_DAY:
		case IC_SEARCH_DATE_SECOND:
			return date_clause(api_field, op, value->epoch,
							   col->search == IC_SEARCH_DATE_BY_DAY);
		case IC_SEARCH_EQUAL:
			if (value->type == BOOLOID)
				return leaf(api_field, "=", json_boolean(value->boolval));
			return leaf(api_field, "=", json_string(value->text));
		default:
			return NULL;
	}
}

/*
 * ic_search_query
 *		Wrap clauses into the query object: one AND group, at most 15 (the
 *		API's limit); further clauses are left to the local recheck.
 */
json_t *
ic_search_query(List *clauses)
{
	json_t	   *and;
	ListCell   *lc;
	int			n = 0;

	if (list_length(clauses) == 1)
		return json_incref((json_t *) linitial(clauses));
	and = json_array();
	foreach(lc, clauses)
	{
		if (n++ < MAX_FILTERS_PER_GROUP)
			json_array_append((json_t *) and, (json_t *) lfirst(lc));
	}
	return json_pack("{s:s, s:o}", "operator", "AND", "value", and);
}
