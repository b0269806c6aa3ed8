"""Canonical forms and validation of identifiers, as Spark Column expressions and as SQL text.

The same rules (identity.yaml `types`, over taglake's defaults) run wherever an identifier is read:
in the OneID job, in every stage that joins a source to the mapping, and in tag expressions
(`canonical_id('phone', receiver_phone)`), so "+86 138-0013-8001" in an order and "13800138001"
in CRM meet as the same phone. The procedure is written once (`_steps`) and rendered twice: as
Columns for the jobs and as SQL text for compiled tag expressions. Patterns are Java regular
expressions as Spark runs them; the defaults stay within the syntax Java and Python share.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F

from taglake.identity.config import IdentityConfig

#: Outcome of classifying one raw value.
OK, MISSING, INVALID, BLOCKED = "ok", "missing", "invalid", "blocked"


def _config(config: IdentityConfig | None) -> IdentityConfig:
    return config if config is not None else IdentityConfig.default()


def _column(column: Column | str) -> Column:
    return F.col(column) if isinstance(column, str) else column


@dataclass(frozen=True)
class _Step:
    """One test of the classification, in order; the first that matches decides."""

    status: str
    reason: str | None
    exact: tuple[str, ...] = ()      # canonical value (or trimmed raw value) in this list
    regex: str | None = None         # canonical value matches this pattern


def _cleaning(id_type: str, config: IdentityConfig) -> list[tuple[str, str | None]]:
    """trim, delete `remove` matches, drop `strip_prefix`, lower-case — in this order."""
    rule = config.rule(id_type)
    ops: list[tuple[str, str | None]] = []
    if rule.trim:
        ops.append(("trim", None))
    if rule.remove:
        ops.append(("delete", rule.remove))
    if rule.strip_prefix:
        ops.append(("delete", rule.strip_prefix))
    if rule.lower:
        ops.append(("lower", None))
    return ops


def _steps(id_type: str, config: IdentityConfig) -> list[_Step]:
    """After `missing` (NULL): blocklists before validation, so a placeholder such as "null" or
    "00000000000" is reported as what it is, not as a malformed value; then the type's pattern."""
    rule, blocklist = config.rule(id_type), config.blocklist(id_type)
    steps = []
    if blocklist.exact:
        # Also on the raw value (trimmed): cleaning would turn the placeholder "-1" into "1".
        steps.append(_Step(BLOCKED, "blocklist: exact value", exact=tuple(blocklist.exact)))
    steps += [_Step(BLOCKED, f"blocklist: matches {pattern}", regex=pattern) for pattern in blocklist.regex]
    steps.append(_Step(OK, None, regex=rule.pattern))
    return steps


# -- Columns (the OneID job, key resolution) ---------------------------------------------------------

def normalized(id_type: str, column: Column | str, config: IdentityConfig | None = None) -> Column:
    """The canonicalised string (trimmed, cleaned, prefix removed, lower-cased), not yet validated."""
    value = _column(column).cast("string")
    for op, arg in _cleaning(id_type, _config(config)):
        if op == "trim":
            value = F.trim(value)
        elif op == "delete":
            value = F.regexp_replace(value, F.lit(arg), F.lit(""))
        else:
            value = F.lower(value)
    return value


def classify(id_type: str, column: Column | str, config: IdentityConfig | None = None) -> Column:
    """struct(value, status, reason): the canonical value and whether it may enter the graph.

    status is ok / missing (NULL) / invalid (fails the type's pattern) / blocked (a placeholder);
    reason says which rule decided, for the audit table.
    """
    config = _config(config)
    raw = _column(column)
    value = normalized(id_type, raw, config)
    status = F.when(raw.isNull(), F.lit(MISSING))
    reason = F.when(raw.isNull(), F.lit(None).cast("string"))
    for step in _steps(id_type, config):
        if step.exact:
            hit = value.isin(*step.exact) | F.trim(raw.cast("string")).isin(*step.exact)
        else:
            hit = value.rlike(step.regex)
        status = status.when(hit, F.lit(step.status))
        reason = reason.when(hit, F.lit(step.reason).cast("string"))
    rule = config.rule(id_type)
    status = status.otherwise(F.lit(INVALID))
    reason = reason.otherwise(F.lit(f"does not match {rule.pattern}"))
    return F.struct(value.alias("value"), status.alias("status"), reason.alias("reason"))


def canonical(id_type: str, column: Column | str, config: IdentityConfig | None = None) -> Column:
    """The canonical identifier, or NULL when it is missing, invalid or blocklisted.

    Without `config` taglake's default rules apply; pass `load_identity_config(...)` to use the
    project's identity.yaml (what the OneID job used).
    """
    checked = classify(id_type, column, config)
    return F.when(checked["status"] == F.lit(OK), checked["value"])


# -- SQL text (tag expressions: canonical_id) ---------------------------------------------------------

def _literal(text: str) -> str:
    from taglake.tagdefs.expressions import quote_literal

    return quote_literal(text)


def normalized_sql(id_type: str, value_sql: str, config: IdentityConfig | None = None) -> str:
    value = f"CAST({value_sql} AS STRING)"
    for op, arg in _cleaning(id_type, _config(config)):
        if op == "trim":
            value = f"trim({value})"
        elif op == "delete":
            value = f"regexp_replace({value}, {_literal(arg)}, '')"
        else:
            value = f"lower({value})"
    return value


def canonical_sql(id_type: str, value_sql: str, config: IdentityConfig | None = None) -> str:
    """`canonical` as Spark SQL text over the expression `value_sql`: the canonical identifier, or
    NULL when it is missing, malformed or blocklisted."""
    config = _config(config)
    value = normalized_sql(id_type, value_sql, config)
    arms = []
    for step in _steps(id_type, config):
        if step.exact:
            listed = ", ".join(_literal(v) for v in step.exact)
            hit = f"{value} IN ({listed}) OR trim(CAST({value_sql} AS STRING)) IN ({listed})"
        else:
            hit = f"{value} RLIKE {_literal(step.regex)}"
        arms.append(f"WHEN {hit} THEN {value if step.status == OK else 'NULL'}")
    return f"CASE WHEN {value_sql} IS NULL THEN NULL {' '.join(arms)} END"
