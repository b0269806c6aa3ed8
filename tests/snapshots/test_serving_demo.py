"""The serving tables of a real nightly run (the tiny demo): equal to the column groups they are read
from, joined independently by Spark with the tags' fill values."""

from __future__ import annotations

from taglake.snapshots import registry
from taglake.snapshots.layout import by_group, group_table

D = "2026-11-22"

def test_latest_table_equals_the_column_groups(spark, tiny_nightly):
    settings = tiny_nightly
    latest = spark.table(settings.table("tags_member_latest"))
    groups = by_group(registry.placements(spark, settings, "member"))
    assert len(latest.columns) == 2 + sum(len(c) for c in groups.values())
    fills = registry.fills(spark, settings, "member")
    # Independently: the base group joined with two family groups by Spark, fill values applied.
    family = [g for g in groups if g.startswith("f_")][:2]
    picked = [groups[g][0] for g in family] + [groups[g][-1] for g in family]
    joined = spark.table(settings.table(group_table("member", min(groups)))).where(f"snapshot_date = DATE'{D}'").select("oneid")
    for g in family:
        part = spark.table(settings.table(group_table("member", g))).where(f"snapshot_date = DATE'{D}'")
        joined = joined.join(part.select("oneid", *[c for c in picked if c in groups[g]]), "oneid", "left")
    want = joined.selectExpr("oneid", *[f"coalesce({c}, {fills[c]}) AS {c}" if c in fills else c for c in picked])
    got = latest.select("oneid", *picked)
    assert sorted(map(tuple, got.collect())) == sorted(map(tuple, want.collect()))
