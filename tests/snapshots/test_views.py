"""The subject views: one plain column per tag across column groups, pinned versions, a query
reads only the groups it uses, and no view text outgrows the embedded metastore."""

from __future__ import annotations

import datetime as dt

import pytest

from taglake.snapshots import views

D = dt.date(2026, 11, 22)
KEYS = ["m1", "m2", "m3"]
GROUPS = {"core_001": ["city", "spend"], "f_cat_001": ["cat_a_long_name_for_the_budget", "cat_b_long_name_for_the_budget"],
          "f_cat_002": ["cat_c_long_name_for_the_budget"]}


def write_groups(spark, settings, value_offset: int = 0) -> dict[str, int]:
    versions = {}
    for i, (group, cols) in enumerate(GROUPS.items()):
        table = settings.table(f"tags_member__{group}")
        rows = [(k, D, *[f"{k}-{c}-{value_offset}" for c in cols]) for k in KEYS[: 3 - i]]  # groups miss some keys
        schema = ", ".join(["oneid string", "snapshot_date date", *[f"{c} string" for c in cols]])
        spark.createDataFrame(rows, schema).write.format("delta").mode("overwrite").saveAsTable(table)
        versions[group] = spark.sql(f"DESCRIBE HISTORY {table} LIMIT 1").first()["version"]
    return versions


def absent_value(column: str, fill: dict[str, str] | None) -> str | None:
    literal = (fill or {}).get(column)
    return literal.strip("'") if literal else None


def expected(value_offset: int, fill: dict[str, str] | None = None) -> set[tuple]:
    out = set()
    for k in KEYS:
        row = [k, D]
        for i, cols in enumerate(GROUPS.values()):
            row += [f"{k}-{c}-{value_offset}" if k in KEYS[: 3 - i] else absent_value(c, fill) for c in cols]
        out.add(tuple(row))
    return out


def scans(spark, sql: str) -> int:
    plan = spark.sql(sql)._jdf.queryExecution().optimizedPlan().toString()
    return plan.count("Relation ") + plan.count("RelationV2")


@pytest.mark.parametrize("fill", [None, {"cat_c_long_name_for_the_budget": "'zero'"}], ids=["no-fill", "fill"])
@pytest.mark.parametrize("split", [False, True], ids=["piece-per-group", "piece-per-column"])
def test_view_joins_groups_pins_versions_and_reads_only_used_groups(spark, settings, monkeypatch, split, fill):
    if split:   # as if every column list were too long for one view: one piece per column
        monkeypatch.setattr(views, "pieces", lambda key, table, version, cols, fill, base: [
            views.piece_sql(key, table, version, [c], fill, base) for c in cols])
    v1 = write_groups(spark, settings, 1)
    views.publish(spark, settings, "member", "oneid", GROUPS, v1, D, fill=fill)
    view = settings.table("tags_member")
    assert spark.table(view).columns == ["oneid", "snapshot_date", *[c for cols in GROUPS.values() for c in cols]]
    # Sparse groups: subjects without a row read the tag's fill value where it has one, else NULL.
    assert {tuple(r) for r in spark.table(view).collect()} == expected(1, fill)
    assert {tuple(r) for r in spark.table(settings.table("tags_member_latest")).collect()} == expected(1, fill)

    # A query on the base group's columns reads one table; one on a family column reads two (three
    # when the column has a fill value: its piece starts from the base group's keys).
    assert scans(spark, f"SELECT city FROM {view} WHERE snapshot_date = DATE'{D}'") == 1
    assert scans(spark, f"SELECT city, cat_c_long_name_for_the_budget FROM {view}") == (3 if fill else 2)
    assert scans(spark, f"SELECT city, cat_a_long_name_for_the_budget FROM {view}") == 2

    # New versions: the view keeps showing v1 until it is published again, then shows v2 only,
    # and the pieces of v1 are gone.
    v2 = write_groups(spark, settings, 2)
    assert {tuple(r) for r in spark.table(view).collect()} == expected(1, fill)
    views.publish(spark, settings, "member", "oneid", GROUPS, v2, D, fill=fill)
    assert {tuple(r) for r in spark.table(view).collect()} == expected(2, fill)
    pieces = [r["viewName"] for r in spark.sql(f"SHOW VIEWS IN {settings.database}").collect() if "__v" in r["viewName"]]
    assert pieces and all(any(name.endswith(f"__v{v}") or f"__v{v}_" in name for v in v2.values()) for name in pieces)
    assert len(pieces) == (3 if split else 2)


def test_view_text_stays_under_the_metastore_limit_at_thousands_of_tags():
    cols = [f"cat_{i:04d}_" + "x" * 50 for i in range(1_000)]      # 1,000 names of 59 characters
    sqls = views.pieces("oneid", "taglake.tags_member__f_cat_001", 7, cols)
    assert len(sqls) > 1 and all(len(s) <= views.VIEW_TEXT_BUDGET for s in sqls)
    assert sum(s.count("first(") for s in sqls) == 1_000
