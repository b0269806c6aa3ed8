"""Per-tag statistics of a snapshot: fill rate (non-null share) and distinct count, read back
from the written column group in one pass (quality checks build on `tag_stats`)."""

from __future__ import annotations

import datetime as dt

from taglake.core.expressions import quote_identifier as q
from taglake.snapshots.layout import SNAPSHOT_COLUMN

#: Relative standard deviation of the distinct counts (HyperLogLog++). Spark's default, 5%, makes the
#: aggregation buffer 52 words per column — for a 250-column group a 13,000-field buffer — and the
#: stats pass ~3x slower than at 10% (measured on 165k x 250 columns: 17.4 s vs 6.3 s). Small
#: cardinalities (flags, labels, buckets) stay exact either way: HLL++ counts them linearly.
DISTINCT_RSD = 0.1


def group_stats(spark, table: str, columns: list[str], date: dt.date, population: int | None = None,
                fill: dict[str, str] | None = None) -> list[tuple[str, int, int, int]]:
    """(tag, rows, non_null, approx distinct) for each column of one group at one date. A sparse
    group stores fewer rows than the `population`: the absent subjects count with the tag's fill
    value (non-null, and one more distinct value if no stored row has it)."""
    if not columns:
        return []
    fill = fill or {}
    exprs = ["count(1) AS `__rows`"]
    for i, col in enumerate(columns):
        exprs += [f"count({q(col)}) AS `n{i}`", f"approx_count_distinct({q(col)}, {DISTINCT_RSD}) AS `d{i}`"]
        if col in fill:
            exprs.append(f"count_if({q(col)} = {fill[col]}) AS `f{i}`")
    row = spark.sql(f"SELECT {', '.join(exprs)} FROM {table} WHERE {q(SNAPSHOT_COLUMN)} = DATE'{date}'").first()
    rows = max(row["__rows"], population or 0)
    absent = rows - row["__rows"]
    out = []
    for i, col in enumerate(columns):
        non_null, distinct = row[f"n{i}"], row[f"d{i}"]
        if absent and col in fill:
            non_null += absent
            distinct += 1 if row[f"f{i}"] == 0 else 0
        out.append((col, rows, non_null, distinct))
    return out
