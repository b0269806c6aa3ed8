"""Snapshots: idempotent re-runs, several dates side by side, reading by date and by Delta
version, changing definitions without rewriting old dates, retention, statistics."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from taglake.compute.engine import compute_tags
from taglake.snapshots import registry, serving
from taglake.snapshots.read import read_tags
from taglake.tagdefs import load_library
from tests.compute.test_builders_exact import CUSTOMERS, EVENTS, SHOPS, timestamps

D = dt.date(2026, 11, 22)
FIXTURE = Path(__file__).parents[1] / "fixtures" / "tagdefs" / "exact"


@pytest.fixture(scope="module")
def world(spark, base_settings, tmp_path_factory):
    """Source tables and a copy of the exact-test library in a database of this module."""
    settings = base_settings.with_overrides(database="snapshots_test")
    spark.sql("DROP DATABASE IF EXISTS snapshots_test CASCADE")
    spark.sql("CREATE DATABASE snapshots_test")
    spark.createDataFrame(timestamps(CUSTOMERS), "customer_id string, gender string, home_shop string, updated_at string") \
        .selectExpr("* EXCEPT (updated_at)", "CAST(updated_at AS TIMESTAMP) AS updated_at") \
        .write.format("delta").saveAsTable(settings.table("src_customers"))
    spark.createDataFrame(SHOPS, "shop_id string, city string").write.format("delta").saveAsTable(settings.table("src_shops"))
    spark.createDataFrame(timestamps(EVENTS), "event_id string, customer_id string, shop_id string, category string, "
                                              "amount double, refund double, status string, event_time string") \
        .selectExpr("* EXCEPT (event_time)", "CAST(event_time AS TIMESTAMP) AS event_time") \
        .write.format("delta").saveAsTable(settings.table("src_events"))
    root = tmp_path_factory.mktemp("lib") / "tagdefs"
    shutil.copytree(FIXTURE, root)
    # A lean library keeps this module fast: the exact test covers every kind.
    (root / "tags" / "customer.yaml").write_text(yaml.safe_dump({
        "defaults": {"subject": "customer", "owner": "qa", "business_line": "测试", "category": ["测试"], "status": "online"},
        "tags": [
            {"name": "gender", "display_name": "性别", "description": "d", "kind": "attribute", "source": "customers", "value": "gender"},
            {"name": "home_shop", "display_name": "归属店", "description": "d", "kind": "attribute", "source": "customers", "value": "home_shop"},
            {"name": "events_30d", "display_name": "近30天", "description": "d", "kind": "stat", "source": "events", "agg": "count", "window": 30},
            {"name": "amount_all", "display_name": "累计", "description": "d", "kind": "stat", "source": "events", "agg": "sum", "value": "amount - refund"},
            {"name": "is_active", "display_name": "活跃", "description": "d", "kind": "rule", "expr": "events_30d > 0"},
        ],
        "families": [{
            "name": "cat", "kind": "stat", "source": "events", "by": {"category": {"column": "category", "values": ["A", "B"]}},
            "windows": ["all"], "metrics": {"events": {"agg": "count", "display": "次数"},
                                          "amount": {"agg": "sum", "value": "amount - refund", "display": "金额"}},
            "tag_name": "cat_{category}_{metric}_{window}", "display_name": "{category}{metric}", "description": "d"}],
    }, allow_unicode=True))
    (root / "tags" / "shop.yaml").write_text(yaml.safe_dump({
        "defaults": {"subject": "shop", "owner": "qa", "business_line": "测试", "category": ["测试"], "status": "online"},
        "tags": [{"name": "city", "display_name": "城市", "description": "d", "kind": "attribute", "source": "shops", "value": "city"}]},
        allow_unicode=True))
    yield settings, root
    spark.sql("DROP DATABASE IF EXISTS snapshots_test CASCADE")


def run(spark, settings, root, date, subjects=("customer",)):
    return compute_tags(spark, settings, load_library(root, database=settings.database), date, list(subjects))


def frame(spark, settings, date, tags=None):
    return sorted(tuple(r) for r in read_tags(spark, settings, "customer", "customer_id", date, tags).frame.collect())


def served_files(spark, settings) -> tuple[str, set[str]]:
    """The newest serving manifest of `customer` and the data files it names."""
    folder = Path(serving.folder(spark, settings, "customer").removeprefix("file:"))
    newest = max(folder.glob("manifest-*.json"))
    content = json.loads(newest.read_text())
    return newest.name, {f["path"] for s in content["snapshots"] for files in s["files"].values() for f in files}


def test_rerun_is_idempotent_and_switches_the_manifest_atomically(spark, world):
    settings, root = world
    run(spark, settings, root, D)
    first = frame(spark, settings, D)
    manifest_before, files_before = served_files(spark, settings)
    version_before = registry.snapshot(spark, settings, "customer", D).group_versions
    run(spark, settings, root, D)
    assert frame(spark, settings, D) == first
    records = [r for r in registry.snapshots(spark, settings, "customer") if r.snapshot_date == D]
    assert len(records) == 1
    after = records[0].group_versions
    assert all(after[g] > version_before[g] for g in after)        # new commits, same data
    manifest_after, files_after = served_files(spark, settings)
    # Published at the end under the next sequence, naming only the re-run's files.
    assert manifest_after > manifest_before and not files_after & files_before
    assert files_after == {f["path"] for files in json.loads(records[0].group_files).values() for f in files}
    via_table = spark.sql(f"SELECT count(*) FROM {settings.table('tags_customer')} WHERE snapshot_date = DATE'{D}'").first()[0]
    assert via_table == 4


def test_dates_coexist_and_read_by_date_and_by_version(spark, world):
    settings, root = world
    run(spark, settings, root, D)
    later = D + dt.timedelta(days=31)
    run(spark, settings, root, later)
    old = dict((r[0], r) for r in frame(spark, settings, D, ["events_30d"]))
    new = dict((r[0], r) for r in frame(spark, settings, later, ["events_30d"]))
    assert old["c1"][1] == 2 and new["c1"][1] == 0          # the 30-day window moved on
    latest = spark.sql(f"SELECT DISTINCT snapshot_date FROM {settings.table('tags_customer_latest')}").collect()
    assert [r[0] for r in latest] == [later]
    dates = {r[0] for r in spark.sql(f"SELECT DISTINCT snapshot_date FROM {settings.table('tags_customer')}").collect()}
    assert {D, later} <= dates
    # Delta time travel on a column group: version 0 is the first write of date D.
    group = next(iter(registry.snapshot(spark, settings, "customer", D).group_versions))
    table = settings.table(f"tags_customer__{group}")
    v0 = spark.sql(f"SELECT DISTINCT snapshot_date FROM {table} VERSION AS OF 1").collect()
    assert [r[0] for r in v0] == [D]


def test_changing_definitions_keeps_old_dates_readable(spark, world, tmp_path):
    settings, root = world
    run(spark, settings, root, D)
    changed = tmp_path / "tagdefs"
    shutil.copytree(root, changed)
    path = changed / "tags" / "customer.yaml"
    data = yaml.safe_load(path.read_text())
    data["tags"] = [t for t in data["tags"] if t["name"] != "gender"]                  # removed
    for t in data["tags"]:
        if t["name"] == "amount_all":
            t["value"] = "amount"                                                      # changed
    data["tags"].append({"name": "events_7d", "display_name": "近7天", "description": "d", "kind": "stat",
                         "source": "events", "agg": "count", "window": 7})            # added
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    later = D + dt.timedelta(days=1)
    run(spark, settings, changed, later)
    old = {r[0]: r for r in frame(spark, settings, D, ["gender", "amount_all", "events_7d"])}
    new = {r[0]: r for r in frame(spark, settings, later, ["gender", "amount_all", "events_7d"])}
    assert old["c1"][1:] == ("M", 210.0, None)         # old date: its tags, nothing new
    # removed -> null; changed to plain amount (e6, dated D+1, now counts: 100+50+70+10+500);
    # added: e1 (1 day back) and e6 (that day)
    assert new["c1"][1:] == (None, 730.0, 2)
    versions = spark.table(settings.table(registry.VERSIONS_TABLE)).where("subject = 'customer' AND tag = 'amount_all'")
    assert sorted(r.version for r in versions.collect()) == [1, 2]


def test_tag_stats_are_recorded(spark, world):
    settings, root = world
    run(spark, settings, root, D)
    stats = {r.tag: r for r in spark.table(settings.table(registry.STATS_TABLE))
             .where(f"subject = 'customer' AND snapshot_date = DATE'{D}'").collect()}
    assert stats["gender"].fill_rate == 1.0 and stats["gender"].distinct_approx == 2
    assert stats["amount_all"].fill_rate == 0.5 and stats["amount_all"].rows == 4


def test_family_groups_store_only_subjects_with_data_and_readers_fill_defaults(spark, world):
    settings, root = world
    run(spark, settings, root, D)
    group = registry.placements(spark, settings, "customer")["cat_a_events_all"].group
    stored = spark.sql(f"SELECT customer_id FROM {settings.table(f'tags_customer__{group}')} WHERE snapshot_date = DATE'{D}'")
    assert sorted(r[0] for r in stored.collect()) == ["c1", "c2"]      # c3: no events, c4: only after D, c9: no customer
    # By hand from EVENTS: c1 has A events e1, e3, e4 (e5 is void) worth 80 + 70 + 10 and B event e2;
    # c2 has B events e7, e8; counts read 0 for subjects without a row, sums NULL.
    tags = ["cat_a_events_all", "cat_a_amount_all", "cat_b_events_all"]
    expected = {"c1": (3, 160.0, 1), "c2": (0, None, 2), "c3": (0, None, 0), "c4": (0, None, 0)}
    assert {r[0]: r[1:] for r in frame(spark, settings, D, tags)} == expected
    view = spark.sql(f"SELECT customer_id, {', '.join(tags)} FROM {settings.table('tags_customer')} WHERE snapshot_date = DATE'{D}'")
    assert {r[0]: tuple(r[1:]) for r in view.collect()} == expected
    stats = {r.tag: r for r in spark.table(settings.table(registry.STATS_TABLE))
             .where(f"subject = 'customer' AND snapshot_date = DATE'{D}'").collect()}
    assert (stats["cat_a_events_all"].rows, stats["cat_a_events_all"].fill_rate, stats["cat_a_events_all"].distinct_approx) == (4, 1.0, 2)
    assert stats["cat_b_events_all"].distinct_approx == 3           # 1, 2 stored; 0 only in the absent rows
    assert stats["cat_a_amount_all"].fill_rate == 0.25


def test_retention_drops_old_dates_everywhere(spark, world):
    settings, root = world
    # One run as configured, then one that keeps a single daily snapshot: the second run's retention
    # pass (DELETE + VACUUM of every group, the costly part) drops every older date at once.
    keep_one = settings.with_overrides(retention=settings.retention.model_copy(update={"daily": 1, "month_ends": 0}))
    dates = [D + dt.timedelta(days=i) for i in (40, 41)]
    run(spark, settings, root, dates[0])
    assert dates[0] in {r.snapshot_date for r in registry.snapshots(spark, settings, "customer")}
    run(spark, keep_one, root, dates[1])
    kept = {r.snapshot_date for r in registry.snapshots(spark, keep_one, "customer")}
    assert kept == {dates[1]}
    in_tables = {r[0] for r in spark.sql(f"SELECT DISTINCT snapshot_date FROM {settings.table('tags_customer')}").collect()}
    assert in_tables == {dates[1]}
