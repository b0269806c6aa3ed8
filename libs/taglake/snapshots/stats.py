"""Per-tag statistics of a snapshot: fill rate (non-null share) and distinct count, read back
from the written column group in one pass (quality checks build on `tag_stats`)."""

from __future__ import annotations

import datetime as dt

from taglake.core.expressions import quote_identifier as q
from taglake.snapshots.layout import SNAPSHOT_COLUMN

#: Distinct counts come from one Theta sketch per column (Spark's `theta_sketch_agg`, Apache
#: DataSketches) of 2^LG_ENTRIES entries. A sketch keeps the hash of every distinct value until it
#: holds more than that many, so every count up to EXACT_UP_TO is exact (flags, labels, buckets,
#: categories, small counts); above, it keeps the 2^LG_ENTRIES smallest hashes and estimates with a
#: relative standard error of 1/sqrt(2^LG_ENTRIES) = 1.6% (99.7% of counts within 4.7%).
#: Measured (benchmarks/stats.py, docs/storage.md): the pass costs about what HyperLogLog++ at 10%
#: did, which was off by one on small counts and up to 30% on large ones.
LG_ENTRIES = 12
EXACT_UP_TO = 2 ** LG_ENTRIES
#: Column types the sketch reads natively; others are counted through a text form.
_NATIVE = ("int", "bigint", "double", "float", "string")


def sketch_input(column_sql: str, type_: str) -> tuple[str, bool]:
    """What a column feeds the sketch, and whether it is text (the sketch ignores '', counted apart).
    Arrays go in as JSON, so [] and [''] stay distinct."""
    type_ = type_.lower()
    if type_ in _NATIVE:
        return column_sql, type_ == "string"
    if type_.startswith("array"):
        return f"to_json({column_sql})", False
    return f"CAST({column_sql} AS STRING)", False


def distinct_sql(column: str, type_: str, lg_entries: int = LG_ENTRIES) -> str:
    value, text = sketch_input(q(column), type_)
    sketch = f"theta_sketch_estimate(theta_sketch_agg({value}, {lg_entries}))"
    # max(col = '') is TRUE when some row holds '': one more distinct value than the sketch saw.
    return f"{sketch} + coalesce(CAST(max({q(column)} = '') AS INT), 0)" if text else sketch


def group_stats(spark, table: str, columns: list[str], date: dt.date, population: int | None = None,
                fill: dict[str, str] | None = None) -> list[tuple[str, int, int, int]]:
    """(tag, rows, non_null, distinct) for each column of one group at one date. A sparse group
    stores fewer rows than the `population`: the absent subjects count with the tag's fill value
    (non-null, and one more distinct value if no stored row has it)."""
    if not columns:
        return []
    fill = fill or {}
    types = dict(spark.table(table).dtypes)
    exprs = ["count(1) AS `__rows`"]
    for i, col in enumerate(columns):
        exprs += [f"count({q(col)}) AS `n{i}`", f"{distinct_sql(col, types.get(col, 'string'))} AS `d{i}`"]
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
