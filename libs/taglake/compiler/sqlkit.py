"""Small SQL-text helpers shared by the builders (identifiers always quoted)."""

from __future__ import annotations

from taglake.compiler.plan import DAYS_AGO, TIME
from taglake.core.expressions import Parsed, quote_identifier, quote_literal, render


def col(name: str) -> str:
    return quote_identifier(name)


_RENDERED: dict[int, tuple[Parsed, str]] = {}


def source_sql(parsed: Parsed) -> str:
    """A row-level expression over source columns (rendered once per parsed expression: a family
    shares its parsed expressions across thousands of generated tags)."""
    hit = _RENDERED.get(id(parsed))
    if hit is None or hit[0] is not parsed:
        hit = _RENDERED[id(parsed)] = (parsed, render(parsed.tree))
    return hit[1]


def tags_sql(parsed: Parsed, prefix: str = "") -> str:
    """An expression over tag columns (optionally prefixed, for a related subject's tags)."""
    return render(parsed.tree, (lambda name: prefix + name) if prefix else None)


def window_condition(window: int | str | None) -> str | None:
    """Windows end on the snapshot date inclusive: 30 days = days_ago 0..29."""
    if window is None or window == "all":
        return None
    return f"{col(DAYS_AGO)} < {int(window)}"


def all_of(*conditions: str | None) -> str | None:
    parts = [c for c in conditions if c]
    if not parts:
        return None
    return " AND ".join(f"({c})" for c in parts) if len(parts) > 1 else parts[0]


def when(condition: str | None, value: str) -> str:
    return value if condition is None else f"CASE WHEN {condition} THEN {value} END"


def aggregate(agg: str, condition: str | None, value: str | None) -> str:
    """count / sum / avg / min / max / count_distinct of `value` over rows meeting `condition`."""
    if agg == "count":
        return f"count_if({condition})" if condition else "count(1)"
    if agg == "count_distinct":
        # collect_set rather than COUNT(DISTINCT): several distinct aggregates in one GROUP BY make
        # Spark expand every row once per distinct aggregate.
        return f"size(collect_set({when(condition, value)}))"
    return f"{agg}({when(condition, value)})"


def latest_value(value: str, condition: str | None, pick: str, timed: bool = True) -> str:
    """The non-null value at the latest (or first) time; ties broken by the value itself, so the
    result is deterministic. Without a time column (a dimension table) the largest value wins."""
    present = all_of(f"({value}) IS NOT NULL", condition)
    fn = "max" if pick in ("latest", "last") else "min"
    if not timed:
        return f"{fn}(CASE WHEN {present} THEN {value} END)"
    return f"{fn}(CASE WHEN {present} THEN named_struct('t', {col(TIME)}, 'v', {value}) END).v"


def cast(sql: str, type_: str) -> str:
    return f"CAST({sql} AS {type_.upper()})"


def literal(value: object) -> str:
    return quote_literal(value)


def case_labels(branches: list[tuple[str, object]], otherwise: object) -> str:
    arms = " ".join(f"WHEN {cond} THEN {literal(value)}" for cond, value in branches)
    tail = f" ELSE {literal(otherwise)}" if otherwise is not None else ""
    return f"CASE {arms}{tail} END"
