"""Canonical forms and validation of identifiers, as Spark Column expressions.

The same rules (identity.yaml `types`, over taglake's defaults) run wherever an identifier is read:
in the OneID job and in every stage that joins a source to the mapping, so "+86 138-0013-8001"
in an order and "13800138001" in CRM meet as the same phone. Patterns are Java regular
expressions as Spark runs them; the defaults stay within the syntax Java and Python share.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from taglake.identity.config import IdentityConfig

#: Outcome of classifying one raw value.
OK, MISSING, INVALID, BLOCKED = "ok", "missing", "invalid", "blocked"


def _config(config: IdentityConfig | None) -> IdentityConfig:
    return config if config is not None else IdentityConfig.default()


def _column(column: Column | str) -> Column:
    return F.col(column) if isinstance(column, str) else column


def normalized(id_type: str, column: Column | str, config: IdentityConfig | None = None) -> Column:
    """The canonicalised string (trimmed, cleaned, prefix removed, lower-cased), not yet validated."""
    rule = _config(config).rule(id_type)
    value = _column(column).cast("string")
    if rule.trim:
        value = F.trim(value)
    if rule.remove:
        value = F.regexp_replace(value, F.lit(rule.remove), F.lit(""))
    if rule.strip_prefix:
        value = F.regexp_replace(value, F.lit(rule.strip_prefix), F.lit(""))
    if rule.lower:
        value = F.lower(value)
    return value


def classify(id_type: str, column: Column | str, config: IdentityConfig | None = None) -> Column:
    """struct(value, status, reason): the canonical value and whether it may enter the graph.

    status is ok / missing (NULL) / invalid (fails the type's pattern) / blocked (a placeholder);
    reason says which rule decided, for the audit table.
    """
    config = _config(config)
    rule = config.rule(id_type)
    blocklist = config.blocklist(id_type)
    value = normalized(id_type, column, config)
    status = F.when(_column(column).isNull(), F.lit(MISSING))
    reason = F.when(_column(column).isNull(), F.lit(None).cast("string"))
    # Blocklists before validation: a placeholder such as "null" or "00000000000" is reported as
    # what it is, not as a malformed value.
    if blocklist.exact:
        # Also on the raw value (trimmed): cleaning would turn the placeholder "-1" into "1".
        hit = value.isin(*blocklist.exact) | F.trim(_column(column).cast("string")).isin(*blocklist.exact)
        status = status.when(hit, F.lit(BLOCKED))
        reason = reason.when(hit, F.lit("blocklist: exact value"))
    for pattern in blocklist.regex:
        hit = value.rlike(pattern)
        status = status.when(hit, F.lit(BLOCKED))
        reason = reason.when(hit, F.lit(f"blocklist: matches {pattern}"))
    valid = value.rlike(rule.pattern)
    status = status.when(valid, F.lit(OK)).otherwise(F.lit(INVALID))
    reason = reason.when(valid, F.lit(None).cast("string")).otherwise(F.lit(f"does not match {rule.pattern}"))
    return F.struct(value.alias("value"), status.alias("status"), reason.alias("reason"))


def canonical(id_type: str, column: Column | str, config: IdentityConfig | None = None) -> Column:
    """The canonical identifier, or NULL when it is missing, invalid or blocklisted.

    Without `config` taglake's default rules apply; pass `load_identity_config(...)` to use the
    project's identity.yaml (what the OneID job used).
    """
    checked = classify(id_type, column, config)
    return F.when(checked["status"] == F.lit(OK), checked["value"])
