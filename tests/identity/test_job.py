"""The OneID stage end to end on small synthetic sources: guards, audit, accounting, stable ids."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from taglake.errors import DataError
from taglake.identity.config import parse_identity_config
from taglake.identity.job import run_oneid
from taglake.identity.mapping import mapping_as_of

DAY1, DAY2, DAY3 = dt.date(2026, 11, 20), dt.date(2026, 11, 21), dt.date(2026, 11, 22)

CONFIG = {
    "sources": [
        {"name": "members", "table": "src_members", "seen_at": "registered",
         "identifiers": [{"column": "member_id", "type": "member_id"}, {"column": "phone", "type": "phone"},
                         {"column": "email", "type": "email"}]},
        {"name": "logins", "table": "src_logins", "seen_at": "event_time", "where": "device_id <> 'ignored'",
         "identifiers": [{"column": "device_id", "type": "device_id"}, {"column": "member_id", "type": "member_id"}]},
        {"name": "orders", "table": "src_orders", "seen_at": "order_time",
         "identifiers": [{"column": "member_id", "type": "member_id"}, {"column": "receiver_phone", "type": "phone"}]},
    ],
    "guards": {"caps": [{"node": "device_id", "neighbour": "member_id", "max": 1},
                        {"node": "phone", "neighbour": "member_id", "max": 3}],
               "max_component_size": 50},
    # Rounds are covered by test_components; here the small graph is finished on the driver.
    "components": {"driver_threshold": 1000},
}

MEMBERS = [
    ("m1", "+86 138 0013 8001", " Li.Na@QQ.com", "2025-01-01"),
    ("m2", "13900139002", None, "2025-02-01"),
    ("m3", "137-0013-7003", None, "2025-03-01"),
    ("m3b", "13700137003", None, "2025-03-05"),   # duplicate record of m3
    ("m4", "null", "", "2025-04-01"),
    ("m5", "12345", None, "2025-05-01"),          # invalid phone
    ("m6", None, None, "2025-06-01"),
    ("m7", None, None, "2025-07-01"),
    ("m8", None, None, "2025-08-01"),
]
LOGINS = [
    ("dev-0001", "m1", "2026-01-01 10:00:00"),
    ("dev-0001", "m1", "2026-01-02 10:00:00"),
    ("dev-0009", "m5", "2026-01-03 10:00:00"),    # a family tablet: two members → capped
    ("dev-0009", "m6", "2026-01-04 10:00:00"),
    ("ignored", "m7", "2026-01-05 10:00:00"),     # filtered out by `where`
    ("dev-late", "m7", "2027-01-01 10:00:00"),    # after every snapshot date: ignored
]
ORDERS = [
    ("m2", "0086-13900139002", "2026-02-01 12:00:00"),
    ("m4", "13800000000", "2026-02-02 12:00:00"),  # the counter phone, blocklisted
    ("m5", "13800000000", "2026-02-03 12:00:00"),
    ("m6", "13800000000", "2026-02-04 12:00:00"),
]


def write_sources(spark, settings, members=MEMBERS, logins=LOGINS, orders=ORDERS):
    spark.createDataFrame(members, "member_id string, phone string, email string, registered string") \
        .selectExpr("member_id", "phone", "email", "to_date(registered) AS registered") \
        .write.format("delta").mode("overwrite").saveAsTable(settings.table("src_members"))
    spark.createDataFrame(logins, "device_id string, member_id string, event_time string") \
        .selectExpr("device_id", "member_id", "to_timestamp(event_time) AS event_time") \
        .write.format("delta").mode("overwrite").saveAsTable(settings.table("src_logins"))
    spark.createDataFrame(orders, "member_id string, receiver_phone string, order_time string") \
        .selectExpr("member_id", "receiver_phone", "to_timestamp(order_time) AS order_time") \
        .write.format("delta").mode("overwrite").saveAsTable(settings.table("src_orders"))


def expected_new_id(id_type: str, id_value: str) -> str:
    return "o" + hashlib.sha256(f"{id_type}\x1f{id_value}".encode()).hexdigest()[:20]


def persons(spark, settings, date):
    rows = mapping_as_of(spark, settings, date).collect()
    by_id: dict[str, set[str]] = {}
    for r in rows:
        by_id.setdefault(r["oneid"], set()).add(f"{r['id_type']}:{r['id_value']}")
    return {frozenset(v): k for k, v in by_id.items()}


def table(spark, settings, name, date):
    return [r.asDict() for r in spark.table(settings.table(name)).where(f"snapshot_date = DATE'{date}'").collect()]


def test_guards_audit_accounting_and_stable_ids(spark, settings):
    config = parse_identity_config(CONFIG)
    write_sources(spark, settings)
    with pytest.raises(DataError, match="no OneID run"):
        mapping_as_of(spark, settings, DAY1)

    stats = run_oneid(spark, settings, DAY1, config=config)
    day1 = persons(spark, settings, DAY1)
    groups = set(day1)
    assert frozenset({"member_id:m1", "phone:13800138001", "email:li.na@qq.com", "device_id:dev-0001"}) in groups
    assert frozenset({"member_id:m2", "phone:13900139002"}) in groups
    assert frozenset({"member_id:m3", "member_id:m3b", "phone:13700137003"}) in groups
    # The family tablet is capped: it stays a OneID of its own and glues nobody.
    assert frozenset({"device_id:dev-0009"}) in groups
    assert frozenset({"member_id:m5"}) in groups and frozenset({"member_id:m6"}) in groups
    # The counter phone is blocklisted; m4, m5, m6 stay apart.
    assert frozenset({"member_id:m4"}) in groups
    mapped = {i for g in groups for i in g}
    assert "device_id:ignored" not in mapped and "device_id:dev-late" not in mapped

    audit = {(a["category"], a["id_type"], a["id_value"]): a for a in table(spark, settings, "oneid_audit", DAY1)}
    assert audit[("blocked", "phone", "13800000000")]["occurrences"] == 3
    assert audit[("blocked", "phone", "null")]["reason"] == "blocklist: exact value"
    assert ("blocked", "email", "") in audit
    assert audit[("invalid", "phone", "12345")]["reason"].startswith("does not match")
    capped = audit[("capped", "device_id", "dev-0009")]
    assert capped["occurrences"] == 2 and "cap 1" in capped["reason"] and capped["oneid"] is not None
    # Nothing disappears unexplained.
    dropped = sum(1 for key in audit if key[0] in ("blocked", "invalid"))
    assert stats["identifiers_in"] == stats["identifiers_out"] + dropped
    assert stats["identifiers_out"] == len(mapped)
    assert stats["capped_nodes"] == 1 and stats["unchanged_share"] is None
    changes = table(spark, settings, "oneid_changes", DAY1)
    assert {c["change"] for c in changes} == {"new"} and len(changes) == len(groups)
    # New ids are derived from the anchor (first seen, then type, then value): the same persons
    # get the same ids in any database, on any re-run or rebuild.
    p1 = frozenset({"member_id:m1", "phone:13800138001", "email:li.na@qq.com", "device_id:dev-0001"})
    assert day1[p1] == expected_new_id("email", "li.na@qq.com")

    # Day 2: m8 shows up on m2's order (a merge: m2's older id survives) and a new member m10.
    write_sources(spark, settings, members=MEMBERS + [("m10", None, None, "2026-11-21")],
                  orders=ORDERS + [("m8", "13900139002", "2026-11-21 09:00:00")])
    stats2 = run_oneid(spark, settings, DAY2, config=config)
    day2 = persons(spark, settings, DAY2)
    merged_group = frozenset({"member_id:m2", "phone:13900139002", "member_id:m8"})
    assert day2[merged_group] == day1[frozenset({"member_id:m2", "phone:13900139002"})]
    changes2 = {(c["change"], c["old_oneid"], c["new_oneid"]) for c in table(spark, settings, "oneid_changes", DAY2)}
    assert ("merged", day1[frozenset({"member_id:m8"})], day2[merged_group]) in changes2
    assert any(c[0] == "new" and c[2] == day2[frozenset({"member_id:m10"})] for c in changes2)
    unchanged = [g for g in day1 if g in day2]
    assert all(day1[g] == day2[g] for g in unchanged)
    assert 0.9 < stats2["unchanged_share"] < 1.0

    # Re-running a date replaces it: same ids, no duplicate rows.
    run_oneid(spark, settings, DAY2, config=config)
    assert persons(spark, settings, DAY2) == day2
    assert len(table(spark, settings, "oneid_mapping", DAY2)) == stats2["identifiers_out"]
    assert len(table(spark, settings, "oneid_runs", DAY2)) == 1

    # Day 3, rebuild after blocklisting m3's shared phone: the person splits; one part keeps the id.
    strict = parse_identity_config({**CONFIG, "types": {"phone": {"blocklist": {"exact": ["13700137003"]}}}})
    stats3 = run_oneid(spark, settings, DAY3, config=strict, rebuild=True)
    day3 = persons(spark, settings, DAY3)
    old = day1[frozenset({"member_id:m3", "member_id:m3b", "phone:13700137003"})]
    m3, m3b = day3[frozenset({"member_id:m3"})], day3[frozenset({"member_id:m3b"})]
    assert old in (m3, m3b) and m3 != m3b
    # Equal parts: the one with the earlier anchor (m3, registered first) keeps the id.
    assert m3 == old
    changes3 = {(c["change"], c["old_oneid"], c["new_oneid"]) for c in table(spark, settings, "oneid_changes", DAY3)}
    assert ("split", old, m3b) in changes3
    # Everyone else keeps their OneID through the rebuild.
    assert all(day3[g] == day2[g] for g in day2 if g in day3)
    assert stats3["mode"] == "rebuild" and stats3["split_oneids"] == 1
    # The read API: the latest run at or before a date.
    assert persons(spark, settings, DAY3 + dt.timedelta(days=5)) == day3
    assert persons(spark, settings, DAY2) == day2
