"""User-written SQL fragments: parsed (sqlglot, Spark dialect), checked, then rendered by taglake.

Nothing a user writes reaches Spark as raw text. A fragment is parsed into a syntax tree, checked
(no subqueries, no window functions, no non-deterministic or side-effecting functions, aggregates
only where the kind allows them, known columns only, comparable types), and rendered back to Spark
SQL from the tree with every identifier quoted and renamed to what the compiled plan provides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

#: Identifier every expression may use for the snapshot date; bound as data at run time.
SNAPSHOT_DATE = "snapshot_date"
SNAPSHOT_DATE_COLUMN = "__snapshot_date"

# Non-deterministic, session-dependent or side-effecting: a tag must be a pure function of its
# inputs and the snapshot date, or re-running a date would not reproduce it.
FORBIDDEN_CLASSES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name) for name in (
        "Rand", "Randn", "Uuid", "CurrentDate", "CurrentTimestamp", "CurrentTime", "CurrentDatetime",
        "CurrentUser", "CurrentSchema", "CurrentCatalog", "Shuffle", "Sample",
    ) if hasattr(exp, name)
)
FORBIDDEN_NAMES = {
    "rand", "randn", "random", "uuid", "shuffle", "now", "current_date", "current_timestamp",
    "localtimestamp", "current_user", "user", "session_user", "current_database", "current_schema",
    "current_catalog", "monotonically_increasing_id", "spark_partition_id", "input_file_name",
    "input_file_block_start", "input_file_block_length", "reflect", "java_method", "try_reflect",
    "assert_true", "raise_error", "version", "unix_timestamp", "curdate", "current_timezone",
}
# Spark built-ins that sqlglot does not model (they parse as `Anonymous`) and are safe to use.
SAFE_ANONYMOUS = {
    "nvl2", "nullif", "ifnull", "isnan", "nanvl", "greatest", "least", "bround", "signum", "pmod",
    "positive", "negative", "char_length", "character_length", "octet_length", "bit_length",
    "instr", "locate", "lpad", "rpad", "ltrim", "rtrim", "btrim", "translate", "overlay", "soundex",
    "substring_index", "split_part", "startswith", "endswith", "contains", "left", "right",
    "format_number", "format_string", "printf", "initcap", "repeat", "reverse", "space",
    "regexp_extract", "regexp_extract_all", "regexp_replace", "regexp_count", "regexp_substr",
    "dayofweek", "dayofmonth", "dayofyear", "weekofyear", "weekday", "hour", "minute", "second",
    "quarter", "last_day", "next_day", "add_months", "months_between", "date_add", "date_sub",
    "make_date", "to_date", "to_timestamp", "date_format", "date_trunc", "trunc", "extract",
    "array_distinct", "array_except", "array_intersect", "array_union", "array_position",
    "array_remove", "arrays_overlap", "array_min", "array_max", "array_join", "element_at",
    "cardinality", "slice", "sequence", "flatten", "map_keys", "map_values", "try_divide",
    "try_add", "try_subtract", "try_multiply", "typeof", "e", "pi", "log2", "log10", "log1p",
    "expm1", "cbrt", "hypot", "degrees", "radians", "width_bucket", "between", "ascii", "chr",
    "base64", "unbase64", "md5", "sha1", "sha2", "crc32", "hash", "xxhash64", "string", "double",
    "int", "bigint", "boolean", "date", "timestamp", "decimal", "float", "smallint", "tinyint",
}

#: taglake's own function, replaced by SQL before anything runs (taglake.tagdefs.identifiers).
FUNCTION = "canonical_id"


class ExpressionProblem(ValueError):
    """A fragment that cannot be used; the message says why and what is allowed."""


@dataclass(frozen=True)
class Parsed:
    text: str
    tree: exp.Expression
    columns: frozenset[str]


def parse(text: str) -> exp.Expression:
    if not isinstance(text, str) or not text.strip():
        raise ExpressionProblem("empty expression")
    try:
        statements = sqlglot.parse(text, read="spark")
    except ParseError as err:
        detail = err.errors[0] if err.errors else {}
        msg = detail.get("description", str(err)).splitlines()[0]
        col = detail.get("col")
        raise ExpressionProblem(f"cannot parse {text!r}: {msg}" + (f" (near column {col})" if col else "")) from None
    except Exception as err:  # sqlglot raises TokenError and others for malformed text
        raise ExpressionProblem(f"cannot parse {text!r}: {err}") from None
    statements = [s for s in statements if s is not None]
    if len(statements) != 1:
        raise ExpressionProblem(f"{text!r} must be a single expression, found {len(statements)} statements")
    tree = statements[0]
    statement = type(tree).__module__.rsplit(".", 1)[-1] in ("ddl", "dml")   # DROP, INSERT, USE, SET, ...
    if statement or isinstance(tree, (exp.Query, exp.Command, exp.Cache)) or not isinstance(tree, exp.Expression):
        raise ExpressionProblem(f"{text!r} is a statement; write an expression (no SELECT/INSERT/...)")
    return tree


def _lambda_variables(tree: exp.Expression) -> set[str]:
    names: set[str] = set()
    for lam in tree.find_all(exp.Lambda):
        names.update(ident.name for ident in lam.expressions)
    return names


def referenced_columns(tree: exp.Expression) -> set[str]:
    """Unqualified column names the expression reads (lambda variables excluded)."""
    local = _lambda_variables(tree)
    return {c.name for c in tree.find_all(exp.Column) if c.name not in local}


def check(tree: exp.Expression, text: str, *, aggregates: bool = False) -> None:
    """Reject what could change results between runs, escape the row, or run arbitrary code."""
    for node in tree.walk():
        if isinstance(node, (exp.Subquery, exp.Select, exp.Exists, exp.Union)):
            raise ExpressionProblem(f"{text!r} contains a subquery; tags read their source rows or other tags, never queries")
        if isinstance(node, exp.Window):
            raise ExpressionProblem(f"{text!r} uses a window function (OVER ...); use a tag kind with a window instead")
        if isinstance(node, FORBIDDEN_CLASSES):
            raise ExpressionProblem(
                f"{text!r} calls {node.sql_name().lower()}(), which is non-deterministic; "  # type: ignore[attr-defined]
                f"use `{SNAPSHOT_DATE}` for the snapshot date")
        if isinstance(node, exp.Anonymous):
            name = str(node.this).lower()
            if name in FORBIDDEN_NAMES:
                raise ExpressionProblem(f"{text!r} calls {name}(), which is non-deterministic or has side effects")
            if name not in SAFE_ANONYMOUS and name != FUNCTION:
                raise ExpressionProblem(
                    f"{text!r} calls unknown function {name}(); only Spark built-in functions are allowed (no UDFs)")
        if isinstance(node, exp.AggFunc) and not aggregates:
            raise ExpressionProblem(
                f"{text!r} uses the aggregate {node.sql_name().lower()}(); the tag kind aggregates "
                "(write a row-level expression)")
        if isinstance(node, exp.Column) and node.table:
            raise ExpressionProblem(f"{text!r} qualifies a column ({node.sql()}); write plain column names")


def parse_checked(text: str, *, aggregates: bool = False) -> Parsed:
    tree = parse(text)
    check(tree, text, aggregates=aggregates)
    return Parsed(text, tree, frozenset(referenced_columns(tree)))


def render(tree: exp.Expression, rename: Callable[[str], str | exp.Expression] | Mapping[str, str] | None = None) -> str:
    """Spark SQL text for the tree, identifiers quoted; `rename` maps column names to the
    compiled plan's columns (a string name, or an expression to substitute)."""
    local = _lambda_variables(tree)

    def lookup(name: str) -> str | exp.Expression:
        if name == SNAPSHOT_DATE:
            return SNAPSHOT_DATE_COLUMN
        if rename is None:
            return name
        return rename(name) if callable(rename) else rename.get(name, name)

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name not in local:
            target = lookup(node.name)
            if isinstance(target, exp.Expression):
                return exp.Paren(this=target.copy())
            return exp.column(target, quoted=True)
        return node

    return tree.transform(swap).sql(dialect="spark", identify=True)


def quote_literal(value: object) -> str:
    """A Python value as a Spark SQL literal. Spark reads backslash escapes in string literals,
    so backslashes and quotes are escaped (the same text sqlglot's Spark generator emits)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def literal_value(sql: str) -> object:
    """The Python value of a literal written by `quote_literal` (the inverse)."""
    text = sql.strip()
    if text.upper() == "NULL":
        return None
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        out, chars = [], iter(text[1:-1])
        for ch in chars:
            out.append(next(chars, "") if ch == "\\" else ch)
        return "".join(out)
    try:
        return int(text)
    except ValueError:
        return float(text)


def quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


# ---------------------------------------------------------------------------------------------
# Type checking of comparisons (a string tag compared with a number is an error)
# ---------------------------------------------------------------------------------------------

NUMERIC, STRING, BOOLEAN, TEMPORAL, ARRAY, UNKNOWN = "number", "string", "boolean", "date/time", "array", "unknown"
_CATEGORY = {"boolean": BOOLEAN, "int": NUMERIC, "bigint": NUMERIC, "double": NUMERIC, "string": STRING,
             "date": TEMPORAL, "timestamp": TEMPORAL, "array<string>": ARRAY}
_STRING_FUNCS = (exp.Upper, exp.Lower, exp.Trim, exp.Concat, exp.Substring)
_NUMERIC_FUNCS = (exp.Length, exp.DateDiff, exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.ArraySize)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ)
_BOOLEAN_NODES = _COMPARISONS + (exp.And, exp.Or, exp.Not, exp.In, exp.Between, exp.Is, exp.Like,
                                  exp.ILike, exp.RegexpLike, exp.ArrayContains, exp.Boolean)


def category(tree: exp.Expression, types: Mapping[str, str]) -> str:
    """The broad type of an expression given the value types of the columns it reads."""
    node = tree.unnest() if isinstance(tree, exp.Paren) else tree
    if isinstance(node, exp.Column):
        if node.name == SNAPSHOT_DATE:
            return TEMPORAL
        return _CATEGORY.get(types.get(node.name, ""), UNKNOWN)
    if isinstance(node, exp.Literal):
        return STRING if node.is_string else NUMERIC
    if isinstance(node, exp.Neg):
        return NUMERIC
    if isinstance(node, _BOOLEAN_NODES):
        return BOOLEAN
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.IntDiv)):
        return NUMERIC
    if isinstance(node, _STRING_FUNCS):
        return STRING
    if isinstance(node, _NUMERIC_FUNCS):
        return NUMERIC
    if isinstance(node, (exp.Cast, exp.TryCast)):
        target = node.to.sql(dialect="spark").lower()
        if target.startswith(("int", "bigint", "double", "float", "decimal", "smallint", "tinyint")):
            return NUMERIC
        return {"string": STRING, "boolean": BOOLEAN, "date": TEMPORAL, "timestamp": TEMPORAL}.get(target, UNKNOWN)
    if isinstance(node, exp.Coalesce):
        for arg in [node.this, *node.expressions]:
            found = category(arg, types)
            if found != UNKNOWN:
                return found
    if isinstance(node, exp.Case):
        for branch in [*(i.args.get("true") for i in node.args.get("ifs", [])), node.args.get("default")]:
            if branch is not None and (found := category(branch, types)) != UNKNOWN:
                return found
    if isinstance(node, exp.If):
        return category(node.args["true"], types)
    return UNKNOWN


def _compatible(a: str, b: str) -> bool:
    if UNKNOWN in (a, b) or a == b:
        return True
    # Spark compares dates with ISO date strings ('2026-01-01'); allow that one mix.
    return {a, b} == {TEMPORAL, STRING}


def type_problems(tree: exp.Expression, types: Mapping[str, str]) -> list[str]:
    """Comparisons between incompatible types, e.g. a string tag compared with a number."""
    problems = []

    def describe(node: exp.Expression, cat: str) -> str:
        if isinstance(node, exp.Column):
            declared = types.get(node.name)
            return f"{declared} tag `{node.name}`" if declared else f"`{node.name}`"
        return f"{cat} {node.sql(dialect='spark')}"

    for node in tree.walk():
        pairs: Iterable[tuple[exp.Expression, exp.Expression]] = ()
        if isinstance(node, _COMPARISONS):
            pairs = [(node.this, node.expression)]
        elif isinstance(node, exp.In) and not node.args.get("query"):
            pairs = [(node.this, e) for e in node.expressions]
        elif isinstance(node, exp.Between):
            pairs = [(node.this, node.args["low"]), (node.this, node.args["high"])]
        for left, right in pairs:
            lc, rc = category(left, types), category(right, types)
            if not _compatible(lc, rc):
                problems.append(
                    f"compares {describe(left, lc)} with {describe(right, rc)} in {node.sql(dialect='spark')!r}")
    return problems


def is_boolean(tree: exp.Expression, types: Mapping[str, str]) -> bool:
    return category(tree, types) in (BOOLEAN, UNKNOWN)
