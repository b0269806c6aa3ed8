"""Tools that read Delta directly get the same values as Spark: the `deltalake` package (delta-rs)
reads every column of a core group and of a family group, the registry tables and the segment
tables of a real nightly run. (Tag tables are written without column mapping: with it, delta-rs
1.6 returned NULL in every tag column, silently.)"""

from __future__ import annotations

import datetime as dt
import math

import pytest

deltalake = pytest.importorskip("deltalake")

from taglake.snapshots import registry  # noqa: E402
from taglake.snapshots.layout import by_group, group_table  # noqa: E402


def location(spark, table: str) -> str:
    return spark.sql(f"DESCRIBE DETAIL {table}").first()["location"].removeprefix("file:")


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def normal(value):
    """One Python form for both readers: timestamps as UTC microseconds (Spark hands back naive
    local times, Arrow UTC-aware ones), NaN as None, maps and lists as tuples."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.astimezone()   # naive: the process's local time
        return ("ts", (aware - EPOCH) // dt.timedelta(microseconds=1))
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return tuple(sorted((k, normal(v)) for k, v in value.items()))
    if isinstance(value, list) and value and isinstance(value[0], tuple) and len(value[0]) == 2:
        return tuple(sorted((k, normal(v)) for k, v in value))      # Arrow's map: list of pairs
    if isinstance(value, (list, tuple)):
        return tuple(normal(v) for v in value)
    return value


def theirs_rows(path: str, columns: list[str]) -> list[tuple]:
    rows = deltalake.DeltaTable(path).to_pyarrow_table().select(columns).to_pylist()
    return sorted((tuple(normal(row[c]) for c in columns) for row in rows), key=repr)


def assert_same(spark, table: str) -> int:
    path = location(spark, table)
    ours = spark.table(table)
    columns = ours.columns
    assert sorted(deltalake.DeltaTable(path).schema().to_arrow().names) == sorted(columns), table
    mine = sorted((tuple(normal(v) for v in r) for r in ours.collect()), key=repr)
    theirs = theirs_rows(path, columns)
    assert len(theirs) == len(mine), table
    for a, b in zip(theirs, mine):
        assert a == b, (table, [(c, x, y) for c, x, y in zip(columns, a, b) if x != y][:5])
    return len(mine)


def test_delta_rs_reads_tag_registry_and_segment_tables_like_spark(spark, tiny_nightly):
    settings = tiny_nightly
    groups = by_group(registry.placements(spark, settings, "member"))
    core, family = min(groups), next(g for g in groups if g.startswith("f_"))
    for group in (core, family):
        table = settings.table(group_table("member", group))
        assert assert_same(spark, table) > 0
        theirs = deltalake.DeltaTable(location(spark, table)).to_pyarrow_table()
        tags = [c for c in theirs.column_names if c not in ("oneid", "snapshot_date")]
        assert any(theirs[c].null_count < theirs.num_rows for c in tags), f"{table}: delta-rs read no values at all"
    for name in (registry.SNAPSHOTS_TABLE, registry.COLUMNS_TABLE, registry.STATS_TABLE, "segment_members", "segment_stats"):
        assert assert_same(spark, settings.table(name)) > 0
