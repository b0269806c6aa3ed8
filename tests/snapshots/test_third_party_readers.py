"""Tools that read Delta directly get the same values as Spark: the `deltalake` package (delta-rs)
reads every column of a core group and of a family group, the registry tables and the segment
tables of a real nightly run. (Tag tables are written without column mapping: with it, delta-rs
1.6 returned NULL in every tag column, silently.)"""

from __future__ import annotations

import math

import pytest

deltalake = pytest.importorskip("deltalake")

from taglake.snapshots import registry  # noqa: E402
from taglake.snapshots.layout import by_group, group_table  # noqa: E402


def location(spark, table: str) -> str:
    return spark.sql(f"DESCRIBE DETAIL {table}").first()["location"].removeprefix("file:")


def normal(value):
    if hasattr(value, "tolist"):            # numpy arrays (lists), numpy scalars
        value = value.tolist()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return tuple(sorted((k, normal(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(normal(v) for v in value)
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if hasattr(value, "date") and type(value).__name__ == "date":
        return value
    return value


def rows_of(frame, columns: list[str]) -> list[tuple]:
    return sorted((tuple(normal(v) for v in row) for row in frame[columns].itertuples(index=False, name=None)), key=repr)


def assert_same(spark, table: str) -> int:
    theirs = deltalake.DeltaTable(location(spark, table)).to_pandas()
    ours = spark.table(table)
    columns = ours.columns
    assert sorted(theirs.columns) == sorted(columns), table
    mine = [tuple(normal(v) for v in r) for r in ours.collect()]
    assert rows_of(theirs, columns) == sorted(mine, key=repr), table
    return len(mine)


def test_delta_rs_reads_tag_registry_and_segment_tables_like_spark(spark, tiny_nightly):
    settings = tiny_nightly
    groups = by_group(registry.placements(spark, settings, "member"))
    core, family = min(groups), next(g for g in groups if g.startswith("f_"))
    for group in (core, family):
        table = settings.table(group_table("member", group))
        assert assert_same(spark, table) > 0
        theirs = deltalake.DeltaTable(location(spark, table)).to_pandas()
        tags = [c for c in theirs.columns if c not in ("oneid", "snapshot_date")]
        assert theirs[tags].notna().any().any(), f"{table}: delta-rs read no values at all"
    for name in (registry.SNAPSHOTS_TABLE, registry.COLUMNS_TABLE, registry.STATS_TABLE, "segment_members", "segment_stats"):
        assert assert_same(spark, settings.table(name)) > 0
