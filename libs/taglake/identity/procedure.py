"""How an identifier is read, written once: the cleaning operations and the ordered tests of
identity.yaml for one type — and its rendering as Spark SQL text, which tag expressions get
(`canonical_id('phone', receiver_phone)`). `taglake.identity.normalize` renders the same procedure
as Spark Columns for the OneID job and key resolution. No Spark here: the tag library expands
`canonical_id` while it loads, without a JVM.
"""

from __future__ import annotations

from dataclasses import dataclass

from taglake.core.expressions import quote_literal
from taglake.identity.config import IdentityConfig

#: Outcome of classifying one raw value.
OK, MISSING, INVALID, BLOCKED = "ok", "missing", "invalid", "blocked"


def config_or_default(config: IdentityConfig | None) -> IdentityConfig:
    return config if config is not None else IdentityConfig.default()


@dataclass(frozen=True)
class Step:
    """One test of the classification, in order; the first that matches decides."""

    status: str
    reason: str | None
    exact: tuple[str, ...] = ()  # canonical value (or trimmed raw value) in this list
    regex: str | None = None  # canonical value matches this pattern


def cleaning(id_type: str, config: IdentityConfig) -> list[tuple[str, str | None]]:
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


def steps(id_type: str, config: IdentityConfig) -> list[Step]:
    """After `missing` (NULL): blocklists before validation, so a placeholder such as "null" or
    "00000000000" is reported as what it is, not as a malformed value; then the type's pattern."""
    rule, blocklist = config.rule(id_type), config.blocklist(id_type)
    out = []
    if blocklist.exact:
        # Also on the raw value (trimmed): cleaning would turn the placeholder "-1" into "1".
        out.append(Step(BLOCKED, "blocklist: exact value", exact=tuple(blocklist.exact)))
    out += [Step(BLOCKED, f"blocklist: matches {pattern}", regex=pattern) for pattern in blocklist.regex]
    out.append(Step(OK, None, regex=rule.pattern))
    return out


def normalized_sql(id_type: str, value_sql: str, config: IdentityConfig | None = None) -> str:
    """`normalize.normalized` as Spark SQL text over the expression `value_sql`."""
    value = f"CAST({value_sql} AS STRING)"
    for op, arg in cleaning(id_type, config_or_default(config)):
        if op == "trim":
            value = f"trim({value})"
        elif op == "delete":
            value = f"regexp_replace({value}, {quote_literal(arg or '')}, '')"
        else:
            value = f"lower({value})"
    return value


def canonical_sql(id_type: str, value_sql: str, config: IdentityConfig | None = None) -> str:
    """`normalize.canonical` as Spark SQL text over the expression `value_sql`: the canonical
    identifier, or NULL when it is missing, malformed or blocklisted."""
    config = config_or_default(config)
    value = normalized_sql(id_type, value_sql, config)
    arms = []
    for step in steps(id_type, config):
        if step.exact:
            listed = ", ".join(quote_literal(v) for v in step.exact)
            hit = f"{value} IN ({listed}) OR trim(CAST({value_sql} AS STRING)) IN ({listed})"
        else:
            assert step.regex is not None  # a step tests an exact list or a pattern
            hit = f"{value} RLIKE {quote_literal(step.regex)}"
        arms.append(f"WHEN {hit} THEN {value if step.status == OK else 'NULL'}")
    return f"CASE WHEN {value_sql} IS NULL THEN NULL {' '.join(arms)} END"
