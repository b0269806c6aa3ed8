"""Membership of every operator, set operation, top-N and split against plain-Python oracles over
the same snapshot (read back from the tag tables), on two dates; entered / exited; idempotent
re-runs; one read of the tag tables per run."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from pyspark.sql import functions as F

from taglake.segments import store
from taglake.segments.compile import split_group as split_column
from taglake.segments.evaluate import evaluate, members_frame

from .conftest import D1, D2, stored_members
from .oracle import AND, NOT, OR, between, cmp, contains, isin, split_group, top
from .oracle import members as select

ORACLES = {
    "eq_city": lambda r: cmp(r["city"], "=", "上海"),
    "ne_city": lambda r: cmp(r["city"], "!=", "上海"),
    "lt_age": lambda r: cmp(r["age"], "<", 30),
    "le_orders": lambda r: cmp(r["orders"], "<=", 1),
    "gt_spend": lambda r: cmp(r["spend"], ">", 1000),
    "ge_spend": lambda r: cmp(r["spend"], ">=", 1000),
    "in_level": lambda r: isin(r["level"], ["金卡", "银卡"]),
    "not_in_level": lambda r: NOT(isin(r["level"], ["金卡"])),
    "between_age": lambda r: between(r["age"], 25, 35),
    "not_between_age": lambda r: NOT(between(r["age"], 25, 35)),
    "city_null": lambda r: r["city"] is None,
    "spend_known": lambda r: r["spend"] is not None,
    "has_skincare": lambda r: contains(r["top_categories"], "护肤"),
    "any_makeup_perfume": lambda r: OR(contains(r["top_categories"], "彩妆"), contains(r["top_categories"], "香水")),
    "all_skincare_makeup": lambda r: AND(contains(r["top_categories"], "护肤"), contains(r["top_categories"], "彩妆")),
    "vip": lambda r: cmp(r["is_vip"], "=", True),
    "not_vip": lambda r: NOT(cmp(r["is_vip"], "=", True)),
    "vip_false": lambda r: cmp(r["is_vip"], "=", False),
    "logic": lambda r: OR(AND(OR(cmp(r["city"], "=", "上海"), cmp(r["city"], "=", "北京")), NOT(cmp(r["age"], "<", 30))),
                          AND(cmp(r["level"], "=", "金卡"), cmp(r["spend"], ">=", 3000))),
    "not_or": lambda r: NOT(OR(cmp(r["city"], "=", "上海"), cmp(r["age"], ">=", 40))),
    "born_90s": lambda r: between(r["birthday"], dt.date(1990, 1, 1), dt.date(1999, 12, 31)),
    "recent_event": lambda r: cmp(r["last_event_time"], ">=", dt.datetime(2026, 11, 15)),
    "spend_over_age": lambda r: cmp(r["spend"], ">", r["age"]),
    "backticks": lambda r: cmp(r["orders"], "=", 2),
}


def expected(rows: dict[str, dict]) -> dict[str, dict[str, str | None]]:
    """Every fixture segment's members (key -> split group) computed in plain Python."""
    out = {name: dict.fromkeys(select(rows, rule)) for name, rule in ORACLES.items()}
    keys = set(rows)
    eq, vip = set(out["eq_city"]), set(out["vip"])
    out["vip_in_shanghai"] = dict.fromkeys(eq & vip)
    out["outside_shanghai"] = dict.fromkeys(keys - eq)
    out["union_set"] = dict.fromkeys(eq | vip)
    out["intersect_set"] = dict.fromkeys(set(out["in_level"]) & set(out["spend_known"]) & set(out["lt_age"]))
    out["except_set"] = dict.fromkeys(set(out["spend_known"]) - vip - eq)
    base = select(rows, lambda r: OR(r["spend"] is not None, cmp(r["age"], ">", 0)))
    top5 = top(rows, base, "spend", n=5)
    out["top_spenders"] = dict.fromkeys(top5)
    out["youngest_quarter"] = dict.fromkeys(top(rows, eq | set(out["in_level"]), "age", percent=25, descending=False))
    out["top_in_shanghai"] = dict.fromkeys(k for k in top5 if rows[k]["city"] == "上海")
    out["top_of_top"] = dict.fromkeys(top(rows, top5 | eq, "age", n=2))
    shares = [("A", 4500), ("B", 4500), ("holdout", 1000)]
    out["ab_test"] = {k: split_group("ab_test", k, shares) for k in out["spend_known"]}
    out["ab_group_a"] = dict.fromkeys(k for k, g in out["ab_test"].items() if g == "A" and rows[k]["city"] is not None)
    return out


@pytest.mark.parametrize("date", [D1, D2], ids=str)
def test_every_segment_matches_the_oracle(spark, snapshot, evaluated, date):
    want = expected(snapshot.rows[date])
    assert set(want) == set(snapshot.segments.segments), "every fixture segment has an oracle"
    stored: dict[str, dict] = {name: {} for name in want}
    for r in store.members(spark, snapshot.settings, date, list(want)).collect():
        stored[r["segment"]][r["subject_key"]] = r["split_group"]
    for name, members in want.items():
        got = stored[name]
        assert got == members, f"{name} on {date}: extra {sorted(set(got) - set(members))}, missing {sorted(set(members) - set(got))}"
        assert evaluated[date][name].size == len(members)


def test_fixture_data_exercises_nulls_and_both_outcomes(snapshot):
    """The oracle comparison means something only if every tag is null somewhere and every
    segment selects some members but not all."""
    rows = snapshot.rows[D2]
    for tag in ("city", "level", "age", "spend", "orders", "is_vip", "birthday", "top_categories", "last_event_time"):
        assert any(r[tag] is None for r in rows.values()), f"{tag} is never null"
    want = expected(rows)
    for name, members in want.items():
        if name not in ("all_skincare_makeup", "top_in_shanghai", "backticks"):
            assert 0 < len(members) < len(rows), f"{name} selects {len(members)} of {len(rows)}"


def test_null_semantics(snapshot):
    """A null tag never satisfies a comparison, NOT included: a member without a city is neither in
    `city = '上海'` nor in `city != '上海'` nor in `NOT city = '上海'`-style rules; `NOT segment(...)`
    does include them (membership is never unknown)."""
    rows = snapshot.rows[D2]
    want = expected(rows)
    no_city = {k for k, r in rows.items() if r["city"] is None}
    assert no_city
    assert not no_city & (set(want["eq_city"]) | set(want["ne_city"]))
    assert no_city <= set(want["outside_shanghai"])
    no_vip = {k for k, r in rows.items() if r["is_vip"] is None}
    assert no_vip and not no_vip & (set(want["vip"]) | set(want["not_vip"]) | set(want["vip_false"]))


def test_entered_and_exited_since_the_previous_date(spark, snapshot, evaluated):
    before, after = expected(snapshot.rows[D1]), expected(snapshot.rows[D2])
    stats = {r["segment"]: r for r in store.stats_rows(spark, snapshot.settings, date=D2)}
    changed = 0
    for name in after:
        old, new = set(before[name]), set(after[name])
        row = stats[name]
        assert (row["entered"], row["exited"]) == (len(new - old), len(old - new)), name
        assert row["previous_date"] == D1 and row["size"] == len(new)
        changed += bool(new ^ old)
    assert changed >= 3, "the second day must move members in and out of several segments"
    first = {r["segment"]: r for r in store.stats_rows(spark, snapshot.settings, date=D1)}
    assert first["eq_city"]["entered"] is None and first["eq_city"]["previous_date"] is None


def test_stats_record_definition_hash_tag_versions_and_split_sizes(spark, snapshot, evaluated):
    rows = {r["segment"]: r for r in store.stats_rows(spark, snapshot.settings, date=D2)}
    segs = snapshot.segments.segments
    for name, row in rows.items():
        assert row["definition_hash"] == segs[name].definition_hash
        assert row["tag_versions"], name if segs[name].tags else None
    ab = rows["ab_test"]
    want = expected(snapshot.rows[D2])["ab_test"]
    assert ab["split_groups"] == {g: sum(1 for v in want.values() if v == g) for g in ("A", "B", "holdout")}
    assert sorted(rows["logic"]["tags"]) == ["age", "city", "level", "spend"]
    assert set(rows["top_in_shanghai"]["tags"]) == {"age", "city", "spend"}   # its own and top_spenders'


def test_rerunning_a_date_is_idempotent(spark, snapshot, evaluated):
    settings = snapshot.settings
    names = ["ab_test", "top_of_top", "logic"]
    before = {n: stored_members(spark, settings, D2, n) for n in names}
    table = spark.table(settings.table(store.MEMBERS))
    count = table.where(table.snapshot_date == D2).count()
    evaluate(spark, settings, snapshot.segments, D2, names)
    assert {n: stored_members(spark, settings, D2, n) for n in names} == before
    table = spark.table(settings.table(store.MEMBERS))
    assert table.where(table.snapshot_date == D2).count() == count
    stats = store.stats_rows(spark, settings, names, D2)
    assert len(stats) == len(names) and {r["previous_date"] for r in stats} == {D1}


def test_split_is_stable_and_independent_of_who_else_is_in_the_segment(spark, snapshot, evaluated):
    """Each member's group is a function of (segment, key): the same on both dates and whether or
    not the other members are evaluated along."""
    d1 = stored_members(spark, snapshot.settings, D1, "ab_test")
    d2 = stored_members(spark, snapshot.settings, D2, "ab_test")
    both = set(d1) & set(d2)
    assert both and all(d1[k] == d2[k] for k in both)
    alone = {r["subject_key"]: r["split_group"]
             for r in members_frame(spark, snapshot.settings, snapshot.segments, ["ab_group_a"], D2).collect()}
    assert alone and all(d2[k] == "A" for k in alone)


def test_top_n_percent_rounds_up(snapshot):
    rows = snapshot.rows[D2]
    base = [k for k in rows if rows[k]["city"] == "上海" or rows[k]["level"] in ("金卡", "银卡")]
    eligible = [k for k in base if rows[k]["age"] is not None]
    assert len(expected(rows)["youngest_quarter"]) == math.ceil(len(eligible) * 0.25)


def _leaves(frame) -> list[str]:
    """Leaf operators of a DataFrame's physical plan (scans of tables, of cached data, ...)."""
    seq = frame._jdf.queryExecution().sparkPlan().collectLeaves()
    return [seq.apply(i).simpleString(400) for i in range(seq.size())]


def test_one_read_of_the_tag_tables_for_all_segments(spark, snapshot):
    """The union of referenced tags is read once: without top-N, the plan has one scan, the serving
    reader zipping the column groups that hold them; with top-N, every later step reads the cached
    first step, never the tables."""
    from taglake.segments.evaluate import membership

    rules = [n for n, s in snapshot.segments.segments.items() if not s.spec.top and not any(
        snapshot.segments.segments[d].spec.top for d in snapshot.segments.order([n]))]
    (plain,) = membership(spark, snapshot.settings, snapshot.segments, rules, D2)
    assert sorted(plain.plan.tags) == sorted(TAG_COLUMNS) and plain.cached is None
    scans = _leaves(plain.long(D2))
    assert len(plain.tags.versions) == 2                   # the two column groups holding the tags
    assert len(scans) == 1 and "io.taglake.wide.WideRelation" in scans[0], scans

    (ranked,) = membership(spark, snapshot.settings, snapshot.segments, sorted(snapshot.segments.segments), D2)
    try:
        assert len(ranked.plan.steps) == 3 and ranked.plan.ranked_steps == 2
        assert set(ranked.plan.later_tags) == {"spend", "age", "city"}
        leaves = _leaves(ranked.long(D2))
        assert leaves and all(leaf.startswith("InMemoryTableScan") for leaf in leaves), leaves
    finally:
        ranked.release()


TAG_COLUMNS = ["city", "level", "age", "spend", "orders", "is_vip", "birthday", "top_categories", "last_event_time"]


def test_split_proportions_on_a_large_population(spark, snapshot):
    """45 / 45 / 10 over 200,000 keys lands within half a percentage point of each share, and the
    groups agree with the plain-Python XXH64 oracle key by key."""
    seg = snapshot.segments.segments["ab_test"]
    keys = spark.range(200_000).select(F.format_string("k%07d", "id").alias("member_id"))
    counts = {r["g"]: r["count"] for r in keys.select(split_column(seg, "member_id").alias("g")).groupBy("g").count().collect()}
    assert sum(counts.values()) == 200_000
    for group, share in (("A", 0.45), ("B", 0.45), ("holdout", 0.10)):
        assert abs(counts[group] / 200_000 - share) < 0.005, counts
    sample = keys.limit(2_000).select("member_id", split_column(seg, "member_id").alias("g")).collect()
    shares = seg.spec.split.shares()
    assert all(split_group("ab_test", r["member_id"], shares) == r["g"] for r in sample)
