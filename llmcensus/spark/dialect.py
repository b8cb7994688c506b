"""Every difference between DuckDB and Spark SQL that llmcensus meets, in one place: a named list of rewrites.

The named SQL (``analyze/queries/*.sql``, the store's relation SQL in ``store/*.py``, enrichment's capability SQL)
is written for DuckDB and stays the one definition of each relation and metric. Spark runs it after SQLGlot
parses it as DuckDB and writes it as Spark; SQLGlot handles most of the dialect by itself (``QUALIFY`` becomes a
subquery, ``list_*`` become array functions, lambdas, ``ANTI JOIN``, ``GROUP BY ALL``, ``FILTER (WHERE ...)``, and
DuckDB's ``NULLS LAST`` default for ascending order is written out, since Spark puts NULLs first). What it cannot
know is listed in ``TEXT_REWRITES`` (applied to the text before parsing), ``REWRITES`` (applied to the parsed
tree) and ``SESSION_CONF`` (Spark settings that make Spark behave like DuckDB); each has its reason.

Nothing here runs Spark: ``to_spark`` only turns text into text (tested without Spark, ``tests/test_spark_dialect.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB

# Spark settings that make Spark compute what DuckDB computes (``session.py`` applies them; a user's --spark-conf
# cannot override them, since the numbers would then differ).
SESSION_CONF: dict[str, str] = {
    # every day boundary of the study is a UTC day (``store/db.py`` sets DuckDB's TimeZone to UTC)
    "spark.sql.session.timeZone": "UTC",
    # DuckDB returns NULL for x / 0 and for a failed TRY_CAST; Spark's ANSI mode (the default in Spark 4) would
    # raise. The SQL guards every denominator with nullif(..., 0), so this only matters for malformed data.
    "spark.sql.ansi.enabled": "false",
    # DuckDB's len(NULL) is NULL; Spark's size(NULL) is -1 unless this is off
    "spark.sql.legacy.sizeOfNull": "false",
}


@dataclass(frozen=True)
class TextRewrite:
    """A rewrite of the SQL text before it is parsed (for what SQLGlot cannot parse or parses ambiguously)."""

    name: str
    why: str
    pattern: re.Pattern[str]
    replacement: str


TEXT_REWRITES: tuple[TextRewrite, ...] = (
    TextRewrite("quote_insert_column", "the capability column 'insert' is a keyword SQLGlot cannot parse after "
                "CASE; our SQL writes keywords in capitals, so a lower-case 'insert' is always the column",
                re.compile(r"(?<![\w\"'])insert(?![\w\"'])"), '"insert"'),
    TextRewrite("len_is_list_length", "DuckDB's len() takes lists and strings and SQLGlot reads it as LENGTH, "
                "which Spark applies to strings only; our SQL calls len() on lists only (strlen for text)",
                re.compile(r"\blen\("), "array_length("),
    TextRewrite("range_table", "DuckDB's table function range(n) AS r(i) has no SQLGlot translation; the same rows "
                "as a subquery over unnest(range(n)) translate to Spark's explode(sequence(...))",
                re.compile(r"\brange\((\d+)\)\s+(\w+)\((\w+)\)"), r"(SELECT unnest(range(\1)) AS \3) \2"),
)  # fmt: skip


@dataclass(frozen=True)
class Rewrite:
    """A rewrite of one parsed DuckDB expression into its Spark equal (``None``: not this rewrite's node)."""

    name: str
    why: str
    apply: Callable[[exp.Expression], exp.Expression | None]


def _name(node: exp.Expression) -> str:
    return node.name.lower() if isinstance(node, exp.Anonymous) else ""


def _hash(node: exp.Expression) -> exp.Expression | None:
    if _name(node) != "hash":
        return None
    args: list[exp.Expression] = []
    for arg in node.expressions:
        args += [arg, exp.Is(this=arg.copy(), expression=exp.Null())]
    return exp.Anonymous(this="xxhash64", expressions=args)


_TYPES = {
    exp.DataType.Type.UBIGINT: "BIGINT", exp.DataType.Type.UINT: "BIGINT", exp.DataType.Type.USMALLINT: "INT",
    exp.DataType.Type.UTINYINT: "INT", exp.DataType.Type.INT128: "DECIMAL(38, 0)",
    exp.DataType.Type.UINT128: "DECIMAL(38, 0)",
}  # fmt: skip


def _types(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.DataType) and node.this in _TYPES:
        return exp.DataType.build(_TYPES[node.this], dialect="spark")
    return None


def _division(node: exp.Expression) -> exp.Expression | None:
    if not isinstance(node, exp.Div) or (isinstance(node.this, exp.Cast) and node.this.is_type("double")):
        return None
    return exp.Div(this=exp.Cast(this=node.this, to=exp.DataType.build("DOUBLE")), expression=node.expression)


def _average(node: exp.Expression) -> exp.Expression | None:
    if not isinstance(node, exp.Avg) or isinstance(node.this, exp.Cast):
        return None
    return exp.Avg(this=exp.Cast(this=node.this, to=exp.DataType.build("DOUBLE")))


def _regexp_groups(node: exp.Expression) -> exp.Expression | None:
    if not isinstance(node, exp.RegexpExtract) or not isinstance(node.args.get("group"), exp.Array):
        return None
    fields: list[exp.Expression] = []
    for i, name in enumerate(node.args["group"].expressions, 1):
        fields += [name.copy(), exp.RegexpExtract(this=node.this.copy(), expression=node.expression.copy(),
                                                  group=exp.Literal.number(i))]  # fmt: skip
    return exp.Anonymous(this="named_struct", expressions=fields)


def _strptime(node: exp.Expression) -> exp.Expression | None:
    if _name(node) != "try_strptime":
        return None
    value, fmt = node.expressions
    pattern = re.sub(r"%([A-Za-z])|([A-Za-z]+)", lambda m: _JAVA_TIME.get(m.group(1), "?") if m.group(1)
                     else f"'{m.group(2)}'", fmt.name)  # fmt: skip
    return exp.Anonymous(this="try_to_timestamp", expressions=[value, exp.Literal.string(pattern)])


_JAVA_TIME = {"Y": "yyyy", "m": "MM", "d": "dd", "H": "HH", "M": "mm", "S": "ss"}


def _contains_null(node: exp.Expression) -> exp.Expression | None:
    if not isinstance(node, exp.ArrayContains) or not isinstance(node.expression, exp.Null):
        return None
    x = exp.to_identifier("_e")
    return exp.Anonymous(this="exists", expressions=[
        node.this, exp.Lambda(this=exp.Is(this=exp.column(x), expression=exp.Null()), expressions=[x])])


def _full_match(node: exp.Expression) -> exp.Expression | None:
    if not isinstance(node, exp.RegexpFullMatch):
        return None
    return exp.RegexpLike(this=node.this, expression=exp.Literal.string(f"^(?:{node.expression.name})$"))


def _string_agg(node: exp.Expression) -> exp.Expression | None:
    where = None
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.GroupConcat):
        node, where = node.this, node.expression
    elif not isinstance(node, exp.GroupConcat) or isinstance(node.parent, exp.Filter):
        return None
    value, order = node.this, None
    if isinstance(value, exp.Order):
        value, order = value.this, value.expressions
    distinct = isinstance(value, exp.Distinct)
    if distinct:
        value = value.expressions[0]
    if order and (len(order) != 1 or order[0].this != value or order[0].args.get("desc")):
        raise ValueError(f"string_agg ordered by another key than its value: {node.sql(dialect=DuckDB)}")
    agg: exp.Expression = exp.Anonymous(this="collect_set" if distinct else "collect_list", expressions=[value])
    if where is not None:
        agg = exp.Filter(this=agg, expression=where)
    if order or distinct:
        agg = exp.Anonymous(this="array_sort", expressions=[agg])
    sep = node.args.get("separator") or exp.Literal.string(",")
    joined = exp.Anonymous(this="array_join", expressions=[agg.copy(), sep])
    empty = exp.GT(this=exp.Anonymous(this="size", expressions=[agg]), expression=exp.Literal.number(0))
    return exp.Case(ifs=[exp.If(this=empty, true=joined)])


def _unnest_join(node: exp.Expression) -> exp.Expression | None:
    if not isinstance(node, exp.Join) or not isinstance(node.this, exp.Unnest) or node.args.get("on"):
        return None
    unnest = node.this
    alias = unnest.args.get("alias")
    if len(unnest.expressions) != 1 or alias is None or len(alias.columns) != 1:
        raise ValueError(f"unnest in FROM with other than one list and one column: {node.sql(dialect=DuckDB)}")
    select = exp.select(exp.Explode(this=unnest.expressions[0].copy()).as_(alias.columns[0].name))
    lateral = exp.Lateral(this=select.subquery(), view=False, outer=False,
                          alias=exp.TableAlias(this=exp.to_identifier(alias.name)))  # fmt: skip
    return exp.Join(this=lateral, kind="CROSS")


def _materialized(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        out = node.copy()
        out.set("materialized", None)
        return out
    return None


def _outer_refs_in_on(node: exp.Expression) -> exp.Expression | None:
    if not isinstance(node, exp.Select) or not isinstance(node.parent, exp.Subquery) or not node.args.get("joins"):
        return None
    sources = [node.args["from_"].this] if node.args.get("from_") else []
    local = {src.alias_or_name for src in [*sources, *(j.this for j in node.args["joins"])]}
    moved: list[exp.Expression] = []
    out = node.copy()
    for join in out.args["joins"]:
        on = join.args.get("on")
        if on is None or join.side or join.kind not in ("", "INNER"):
            continue
        keep: list[exp.Expression] = []
        for cond in on.flatten() if isinstance(on, exp.And) else [on]:
            outer = any(c.table and c.table not in local for c in cond.find_all(exp.Column))
            (moved if outer else keep).append(cond)  # type: ignore[arg-type]
        if len(keep) < len(list(on.flatten() if isinstance(on, exp.And) else [on])):
            join.set("on", exp.and_(*keep) if keep else exp.true())
    if not moved:
        return None
    return out.where(exp.and_(*moved), copy=False)


def _renamed(names: Mapping[str, str]) -> Callable[[exp.Expression], exp.Expression | None]:
    def apply(node: exp.Expression) -> exp.Expression | None:
        if _name(node) in names:
            return exp.Anonymous(this=names[_name(node)], expressions=node.expressions)
        return None

    return apply


def _epoch(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.TIMESTAMPNTZ:
        return exp.DataType.build("TIMESTAMP")
    return None


# Columns of DATE type are named so in every relation (tests/test_spark_engine.py checks it on Spark's schemas).
DATE_COLUMN = re.compile(r"^(day|week|month|released|published|.*_day|.*_seen|.*_date)$")


def _is_date(node: exp.Expression) -> bool:
    if isinstance(node, (exp.Max, exp.Min)):
        node = node.this
    return isinstance(node, exp.Column) and bool(DATE_COLUMN.match(node.name))


def _date_minus_date(node: exp.Expression) -> exp.Expression | None:
    if isinstance(node, exp.Sub) and _is_date(node.this) and _is_date(node.expression):
        return exp.Anonymous(this="datediff", expressions=[node.this, node.expression])
    return None


def _computed_index(node: exp.Expression) -> exp.Expression | None:
    if not isinstance(node, exp.Bracket) or len(node.expressions) != 1 or isinstance(node.expressions[0], exp.Literal):
        return None
    return exp.Anonymous(this="element_at", expressions=[node.this.copy(), node.expressions[0].copy()])


def _zip_unnests(node: exp.Expression) -> exp.Expression | None:
    if not isinstance(node, exp.Select):
        return None
    unnests = [(i, e) for i, e in enumerate(node.expressions)
               if isinstance(e, exp.Alias) and isinstance(e.this, exp.Explode)]  # fmt: skip
    if len(unnests) < 2:
        return None
    out = node.copy()
    zipped = exp.ArraysZip(expressions=[e.this.this.copy() for _, e in unnests])
    names = [exp.to_identifier(e.alias) for _, e in unnests]
    for i, e in unnests:
        out.expressions[i] = exp.column(e.alias)
    lateral = exp.Lateral(this=exp.Inline(this=zipped), view=True, outer=False,
                          alias=exp.TableAlias(this=exp.to_identifier("_zipped"), columns=names))  # fmt: skip
    out.set("laterals", [*(out.args.get("laterals") or []), lateral])
    return out


def _qualify(node: exp.Expression) -> exp.Expression | None:
    if not isinstance(node, exp.Select) or node.args.get("qualify") is None:
        return None
    inner = node.copy()
    cond = inner.args["qualify"].this.copy()
    inner.set("qualify", None)
    names = []
    for i, window in enumerate(list(cond.find_all(exp.Window))):
        names.append(f"_qualify{i}")
        inner.append("expressions", window.copy().as_(names[-1]))
        window.replace(exp.column(names[-1]))
    star = exp.Star(except_=[exp.column(n) for n in names])  # type: ignore[misc]
    return exp.select(star).from_(inner.subquery("_qualified")).where(cond)


REWRITES: tuple[Rewrite, ...] = (
    Rewrite("qualify", "Spark has no QUALIFY; SQLGlot's own subquery keeps the window column when the SELECT is *: "
            "the window becomes a column of a subquery, filtered and dropped outside (SELECT * EXCEPT)", _qualify),
    Rewrite("hash_to_xxhash64", "DuckDB's hash() is a 64-bit unsigned hash with no Spark equal; Spark's xxhash64 is "
            "64-bit too. Keys are only grouped, joined and summed, never shown (no metric outputs one). Spark skips "
            "NULL arguments, so hash(NULL, 'x') = hash('x', NULL): each argument gets an IS NULL marker", _hash),
    Rewrite("unsigned_and_huge_types", "Spark has no unsigned or 128-bit integers: UBIGINT/UINTEGER -> BIGINT "
            "(hashes become signed, bit sets of 31 days fit), HUGEINT -> DECIMAL(38, 0) (sums of hashes)", _types),
    Rewrite("timestamp_ntz_is_timestamp", "DuckDB's TIMESTAMP is time-zone free; with Spark's session time zone UTC "
            "its TIMESTAMP is the same instant, and mixing the two kinds in date_diff is refused", _epoch),
    Rewrite("division_is_double", "DuckDB's / gives a DOUBLE for integers and HUGEINT sums; Spark gives a DECIMAL of "
            "limited scale for decimals (6 digits), which would differ past 1e-9", _division),
    Rewrite("avg_is_double", "DuckDB's avg is DOUBLE; Spark's avg of a DECIMAL (a HUGEINT sum) is a DECIMAL", _average),
    Rewrite("regexp_extract_named_groups", "DuckDB's regexp_extract(s, re, ['a', 'b']) returns a struct of named "
            "groups; Spark takes one group number: one call per group, in a named_struct", _regexp_groups),
    Rewrite("try_strptime", "strftime patterns become Java patterns; try_to_timestamp gives NULL when unparsable",
            _strptime),
    Rewrite("list_contains_null", "DuckDB's list_contains(l, NULL) is true when l holds a NULL; Spark's "
            "array_contains(l, NULL) is NULL", _contains_null),
    Rewrite("string_agg", "Spark 4's LISTAGG(DISTINCT ...) WITHIN GROUP fails inside a HAVING (a Spark bug): the "
            "values are collected (NULLs left out, as string_agg does), sorted and joined; no value gives NULL",
            _string_agg),
    Rewrite("unnest_in_from", "DuckDB's FROM t, unnest(t.list) u(x) becomes a LATERAL VIEW that SQLGlot places after "
            "the query's other joins, where they cannot see u.x: a lateral subquery keeps the join order",
            _unnest_join),
    Rewrite("cte_materialized", "AS MATERIALIZED is DuckDB's hint to compute a CTE once; Spark has no such "
            "syntax (and reuses what it can by itself): the hint is dropped", _materialized),
    Rewrite("outer_refs_out_of_join_on", "Spark cannot evaluate a correlated subquery's outer column inside a "
            "JOIN ... ON (it fails in code generation); for an inner join the same condition in WHERE is the same",
            _outer_refs_in_on),
    Rewrite("regexp_full_match", "Spark has no full-match function: RLIKE with the pattern anchored", _full_match),
    Rewrite("function_names", "functions with another name in Spark: strlen -> length, arg_max_null -> max_by "
            "(Spark's max_by keeps a NULL value of the maximum row, as arg_max_null does)",
            _renamed({"strlen": "length", "arg_max_null": "max_by"})),
    Rewrite("date_minus_date", "DuckDB's date - date is a number of days; Spark's is an INTERVAL DAY: datediff. "
            "Spark SQL keeps no types in the text, so a date is recognised by its column name (DATE_COLUMN)",
            _date_minus_date),
    Rewrite("computed_list_index", "DuckDB's l[i] counts from 1, Spark's from 0: SQLGlot shifts a literal index but "
            "writes a computed one unchanged (one element off); element_at counts from 1 in both", _computed_index),
    Rewrite("zip_unnests", "DuckDB unnests several lists of one SELECT side by side; Spark allows one generator "
            "per SELECT: the lists are zipped and expanded once (LATERAL VIEW inline(arrays_zip(...)))", _zip_unnests),
)  # fmt: skip


def parse(sql: str) -> list[exp.Expression]:
    """The statements of a DuckDB script, after ``TEXT_REWRITES``."""
    for rw in TEXT_REWRITES:
        sql = rw.pattern.sub(rw.replacement, sql)
    return [s for s in sqlglot.parse(sql, read=DuckDB) if s is not None]  # type: ignore[misc]


def literal(value: Any) -> exp.Expression:
    """A bound query parameter as a Spark literal: floats as DOUBLE (a bare 0.5 is a DECIMAL in Spark, which would
    turn shares into decimals), dates as DATE."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return exp.Cast(this=exp.Literal.number(repr(value)), to=exp.DataType.build("DOUBLE"))
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[literal(v) for v in value])
    if hasattr(value, "isoformat"):
        return exp.Cast(this=exp.Literal.string(value.isoformat()), to=exp.DataType.build("DATE"))
    return exp.Literal.string(str(value))


def rewrite(tree: exp.Expression, params: Mapping[str, Any] | None = None,
            tables: Callable[[exp.Table], exp.Table | None] | None = None) -> exp.Expression:
    """``tree`` with every rewrite applied, ``$name`` parameters replaced by ``params``' literals and tables renamed
    by ``tables`` (the engine maps the store's ``s.`` and ``main.`` schemas onto its own names)."""
    bound = params or {}

    def one(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name in bound:
            return literal(bound[node.name])
        if tables is not None and isinstance(node, exp.Table):
            return tables(node) or node
        for rw in REWRITES:
            out = rw.apply(node)
            if out is not None:
                return out
        return node

    # a rewritten node's children are not visited by transform: repeat until nothing changes (every rewrite
    # leaves a node it does not match again)
    for _ in range(8):
        before = tree.sql(dialect=DuckDB)
        tree = tree.transform(one)
        if tree.sql(dialect=DuckDB) == before:
            return tree
    raise ValueError(f"rewrites do not settle: {tree.sql(dialect=DuckDB)[:200]}")


def expand_unpivot(tree: exp.Expression, columns: Callable[[exp.Expression], list[str]]) -> exp.Expression:
    """DuckDB's simplified ``UNPIVOT (SELECT k, COLUMNS(* EXCLUDE (k))::T FROM w) ON COLUMNS(* EXCLUDE (k)) INTO NAME
    n VALUE v`` in Spark's form, ``(SELECT k, CAST(a AS T) AS a, ... FROM w) UNPIVOT (v FOR n IN (a, ...))``: Spark
    has no ``COLUMNS(*)``, so the columns of ``w`` are asked of Spark (``columns`` runs a query and names its
    columns). Both engines leave out NULL values."""
    ctes = tree.args.get("with_")
    for pivot in list(tree.find_all(exp.Pivot)):
        if not pivot.args.get("unpivot") or not isinstance(pivot.this, exp.Subquery):
            continue
        inner = pivot.this.this
        if not isinstance(inner, exp.Select) or inner.args.get("from_") is None:
            continue
        probe = exp.select("*").from_(inner.args["from_"].this.copy())
        if ctes is not None:
            probe.set("with_", ctes.copy())
        source = columns(probe)
        projections: list[str] = []
        for e in inner.expressions:
            cast = e if isinstance(e, exp.Cast) else None
            star = (cast.this if cast else e)
            if isinstance(star, exp.Columns) and isinstance(star.this, exp.Star):
                skip = {c.name for c in star.this.args.get("except_") or []}
                for c in source:
                    if c not in skip:
                        col = exp.column(c)
                        projections.append((exp.Cast(this=col, to=cast.to.copy()) if cast else col).as_(c).sql("spark"))
            else:
                projections.append(e.sql("spark"))
        names = [exp.parse_identifier(p.rsplit(" AS ", 1)[-1], dialect="spark").name for p in projections]
        unpivot_on = pivot.expressions[0] if pivot.expressions else None
        skip_on = {c.name for c in (unpivot_on.this.args.get("except_") or [])} if isinstance(
            unpivot_on, exp.Columns) else set()
        into = pivot.args["into"]
        value = into.expressions[0].name
        on = [n for n in names if n not in skip_on]
        text = (f"SELECT * FROM (SELECT {', '.join(projections)} FROM {inner.args['from_'].this.sql('spark')}) "
                f"UNPIVOT ({value} FOR {into.this.name} IN ({', '.join(on)}))")
        pivot.replace(sqlglot.parse_one(text, read="spark"))
    return tree


def to_spark(tree: exp.Expression) -> str:
    return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
