"""Canonical forms and validation of identifiers, as Spark Column expressions.

The same rules (identity.yaml `types`, over taglake's defaults) run wherever an identifier is read:
in the OneID job, in every stage that joins a source to the mapping, and in tag expressions
(`canonical_id('phone', receiver_phone)`), so "+86 138-0013-8001" in an order and "13800138001"
in CRM meet as the same phone. The procedure is written once (`taglake.identity.procedure`, which
also renders it as SQL text for tag expressions); here it becomes Columns for the jobs. Patterns
are Java regular expressions as Spark runs them; the defaults stay within the syntax Java and
Python share.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from taglake.identity.config import IdentityConfig
from taglake.identity.procedure import BLOCKED, INVALID, MISSING, OK, cleaning, config_or_default, steps

__all__ = ["BLOCKED", "INVALID", "MISSING", "OK", "canonical", "classify", "normalized"]


def _column(column: Column | str) -> Column:
    return F.col(column) if isinstance(column, str) else column


def normalized(id_type: str, column: Column | str, config: IdentityConfig | None = None) -> Column:
    """The canonicalised string (trimmed, cleaned, prefix removed, lower-cased), not yet validated."""
    value = _column(column).cast("string")
    for op, arg in cleaning(id_type, config_or_default(config)):
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
    config = config_or_default(config)
    raw = _column(column)
    value = normalized(id_type, raw, config)
    status = F.when(raw.isNull(), F.lit(MISSING))
    reason = F.when(raw.isNull(), F.lit(None).cast("string"))
    for step in steps(id_type, config):
        if step.exact:
            hit = value.isin(*step.exact) | F.trim(raw.cast("string")).isin(*step.exact)
        else:
            assert step.regex is not None  # a step tests an exact list or a pattern
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
