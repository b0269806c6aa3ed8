"""The rules of docs/tagdefs.md "What the values mean", on hand-made rows with values worked out by
hand: the last 30 days at the boundary day for every kind that takes days (and the time zone that
draws the day boundary), RFM for a lapsed buyer, percentile buckets over tied values (and the
warning for a label that cannot be filled), refunds in counts and preferences, placeholder
identifiers, and exact small distinct counts in tag_stats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from taglake.compute.engine import compute_tags
from taglake.snapshots.read import read_tags
from taglake.tagdefs import load_library
from tests.compute.expected import check, rows

D = dt.date(2026, 11, 22)
LIBRARY = Path(__file__).parents[1] / "fixtures" / "tagdefs" / "semantics"


def at(days_before: int, hour: int = 12, minute: int = 0) -> str:
    """A wall-clock time in the session time zone (Asia/Shanghai), as text Spark reads in that zone."""
    moment = dt.datetime.combine(D - dt.timedelta(days=days_before), dt.time(hour, minute))
    return moment.isoformat(sep=" ")


CUSTOMERS = [  # customer_id, score
    ("c00", 1), ("c29", 1), ("c30", 1), ("cfut", 1), ("lapsed", 1), ("never", 2), ("r1", 3), ("p5", 5),
    ("ctz", None), ("pnull", None), ("e1", None),
]
ORDERS = [  # order_id, customer_id, shop_id, status, paid_amount, refund_amount, order_time
    ("o1", "c00", "sB", "completed", 10.0, 0.0, at(0, 23, 59)),      # the snapshot date, last minute: day 0
    ("o2", "c29", "sA", "completed", 20.0, 0.0, at(29, 0, 0)),       # day 29: inside 30 days
    ("o3", "c30", "sA", "completed", 30.0, 0.0, at(30, 23, 59)),     # day 30: outside 30 days
    ("o4", "cfut", "sA", "completed", 40.0, 0.0, at(-1, 0, 0)),      # the day after: never read
    # 16:30 UTC on 2026-10-23 is 00:30 on 2026-10-24 in Shanghai: day 29 (day 30 in UTC)
    ("o5", "ctz", "sB", "completed", 50.0, 0.0, "2026-10-23T16:30:00Z"),
    ("o6", "lapsed", "sA", "completed", 500.0, 0.0, at(400)),        # one order, 400 days ago
    ("o7", "r1", "sA", "refunded", 100.0, 100.0, at(100)),           # fully refunded: a return
    ("o8", "r1", "sA", "completed", 50.0, 0.0, at(100)),
    ("o9", "r1", "sA", "partially_refunded", 80.0, 40.0, at(100)),
    ("o10", "r1", "sA", "partially_refunded", 35.0, 30.0, at(100)),  # one of its two lines returned
    ("o11", "r1", "sA", "cancelled", 999.0, 0.0, at(100)),           # never seen
]
LINES = [  # order_id, customer_id, brand, qty, refunded_qty, line_amount, refund_amount, status, order_time
    ("o7", "r1", "A", 1, 1, 100.0, 100.0, "refunded", at(100)),
    ("o8", "r1", "B", 1, 0, 50.0, 0.0, "completed", at(100)),
    ("o9", "r1", "C", 2, 1, 80.0, 40.0, "partially_refunded", at(100)),
    ("o10", "r1", "E", 1, 1, 30.0, 30.0, "partially_refunded", at(100)),   # every unit returned
    ("o10", "r1", "B", 1, 0, 5.0, 0.0, "partially_refunded", at(100)),
    ("o11", "r1", "D", 1, 0, 999.0, 0.0, "cancelled", at(100)),
]
EVENTS = [  # event_id, customer_id, member_id, event_time
    ("v1", "e1", "M001", at(1)), ("v2", "e1", "  M002 ", at(1)), ("v3", "e1", "", at(1)),
    ("v4", "e1", "null", at(1)), ("v5", "e1", "NULL", at(1)), ("v6", "e1", None, at(1)),
    ("v7", "e1", "-1", at(1)), ("v8", "e1", "bad id!", at(1)), ("v9", "e1", "M001", at(2)),
    ("v10", "e1", "M003", at(30)),                                   # day 30: outside
]

NEVER = dict(orders_30d=0, spend_30d=None, shops_30d=0, days_since_order_30d=None, days_since_order=None,
             fav_shop_30d=None, is_recent=None, recency_stage="从未", recency_band=None, orders_all=0,
             spend_365d=None, rfm=None, shop_sa_orders_30d=0, shop_sa_orders_all=0, days_since_shop_sa=None)
EXPECTED = {
    "c00": dict(orders_30d=1, spend_30d=10.0, shops_30d=1, days_since_order_30d=0, days_since_order=0,
                fav_shop_30d="sB", is_recent=True, recency_stage="近30天", recency_band="30天内", orders_all=1,
                spend_365d=10.0, rfm="一般发展客户", shop_sb_orders_30d=1, shop_sb_orders_all=1, shop_sa_orders_30d=0,
                days_since_shop_sb=0, days_since_shop_sa=None),
    "c29": dict(orders_30d=1, spend_30d=20.0, shops_30d=1, days_since_order_30d=29, days_since_order=29,
                fav_shop_30d="sA", is_recent=True, recency_stage="近30天", recency_band="30天内",
                rfm="一般发展客户", shop_sa_orders_30d=1, shop_sa_orders_all=1, days_since_shop_sa=29),
    "c30": dict(orders_30d=0, spend_30d=None, shops_30d=0, days_since_order_30d=None, days_since_order=30,
                fav_shop_30d=None, is_recent=False, recency_stage="更早", recency_band="更早", orders_all=1,
                spend_365d=30.0, rfm="一般挽留客户", shop_sa_orders_30d=0, shop_sa_orders_all=1, days_since_shop_sa=30),
    "cfut": NEVER,
    "ctz": dict(orders_30d=1, days_since_order_30d=29, days_since_order=29, is_recent=True, shop_sb_orders_30d=1),
    # a lapsed buyer: no spend in 365 days (NULL) is M low, not "no cell"
    "lapsed": dict(days_since_order=400, orders_all=1, spend_365d=None, rfm="一般挽留客户", is_recent=False,
                   recency_stage="更早", recency_band="更早"),
    "never": NEVER,
    # refunds: A fully refunded, B 50 + 5 kept, C 80 - 40, E's only unit returned, D cancelled
    "r1": dict(orders_365d=3, orders_all=3, spend_365d=95.0, avg_order_value_365d=95 / 3, fav_brand_365d="B",
               top3_brands_365d=["B", "C"], brands_365d=2, refund_orders_365d=3, refund_amount_365d=170.0,
               refund_rate_365d=170 / 265, days_since_order=100, rfm="一般保持客户", orders_30d=0),
    # '', 'null', 'NULL', NULL, '-1' and 'bad id!' are not member ids; '  M002 ' is M002
    "e1": dict(logged_in_events_30d=3, member_ids_30d=2),
}
# Scores 1,1,1,1,1,2,3,5: mid-ranks 0.31, 0.69, 0.81, 0.94.
RANKS = {
    "rank_a": {"c00": "低", "c29": "低", "c30": "低", "cfut": "低", "lapsed": "低", "never": "中", "r1": "中", "p5": "高"},
    # bounds 0.3 / 0.6 leave 低 empty by mid-rank: the cut moves up one distinct value
    "rank_b": {"c00": "低", "c29": "低", "c30": "低", "cfut": "低", "lapsed": "低", "never": "中", "r1": "高", "p5": "高"},
    # score <= 2: two distinct values for three labels; 中 stays empty (a warning)
    "rank_c": {"c00": "低", "c29": "低", "c30": "低", "cfut": "低", "lapsed": "低", "never": "高", "r1": None, "p5": None},
}
SHOPS = {"sA": dict(visitors_30d=1, recent_visitor_share_all=0.25), "sB": dict(visitors_30d=2, recent_visitor_share_all=1.0)}


@pytest.fixture
def computed(spark, settings):
    def table(name, rows, schema, time=None):
        frame = spark.createDataFrame(rows, schema)
        if time:
            frame = frame.selectExpr(f"* EXCEPT ({time})", f"CAST({time} AS TIMESTAMP) AS {time}")
        frame.write.format("delta").saveAsTable(settings.table(name))

    table("src_customers", CUSTOMERS, "customer_id string, score int")
    table("src_shops", [("sA",), ("sB",)], "shop_id string")
    table("src_orders", ORDERS, "order_id string, customer_id string, shop_id string, status string, "
                                "paid_amount double, refund_amount double, order_time string", "order_time")
    table("src_lines", LINES, "order_id string, customer_id string, brand string, qty int, refunded_qty int, "
                              "line_amount double, refund_amount double, status string, order_time string", "order_time")
    table("src_events", EVENTS, "event_id string, customer_id string, member_id string, event_time string", "event_time")
    library = load_library(LIBRARY, database=settings.database)
    results = compute_tags(spark, settings, library, D)
    return settings, library, {r.subject: r for r in results}


def test_values_follow_the_documented_rules(spark, computed):
    settings, _library, results = computed
    customers = rows(spark, settings, "customer", "customer_id", D)
    for who, expected in EXPECTED.items():
        check(customers[who], expected, who)
    for tag, expected in RANKS.items():
        for who, label in expected.items():
            assert customers[who][tag] == label, f"{who}.{tag}: {customers[who][tag]!r} != {label!r}"
        assert all(customers[who][tag] is None for who in ("ctz", "pnull", "e1"))
    shops = rows(spark, settings, "shop", "shop_id", D)
    for who, expected in SHOPS.items():
        check(shops[who], expected, who)
    # the one label that cannot be filled is the run's one warning
    assert results["customer"].warnings == ["customer.rank_c: label 中 has no members (2 distinct values for 3 labels)"]
    assert results["customer"].labels["rank_b"] == {"低": 5, "中": 1, "高": 2}
    assert results["shop"].warnings == []


def test_tag_stats_count_small_cardinalities_exactly(spark, computed):
    settings, library, _results = computed
    stats = {r["tag"]: r for r in spark.table(settings.table("tag_stats")).where("subject = 'customer'").collect()}
    frame = read_tags(spark, settings, "customer", "customer_id", D).frame
    tags = sorted(library.tags["customer"])
    # independent: Spark's exact COUNT(DISTINCT) over the published view (arrays as text)
    exact = frame.selectExpr(*[f"count(DISTINCT CAST(`{t}` AS STRING)) AS `{t}`" for t in tags]).first()
    assert {t: stats[t]["distinct_approx"] for t in tags} == {t: exact[t] for t in tags}
    assert stats["rank_a"]["distinct_approx"] == 3 and stats["orders_30d"]["distinct_approx"] == 2
