"""Every tag kind on hand-made rows, against values worked out by hand (see the comments):
window boundaries (an event exactly 30 days back is outside a 30-day window), rows after the
snapshot date, filtered rows, refunds, nulls, and subjects without rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from taglake.compute.engine import compute_tags
from taglake.tagdefs import load_library
from tests.compute.expected import check, rows

D = dt.date(2026, 11, 22)
LIBRARY = Path(__file__).parents[1] / "fixtures" / "tagdefs" / "exact"


def at(days_before: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(D - dt.timedelta(days=days_before), dt.time(hour, minute))


def timestamps(rows: list[tuple]) -> list[tuple]:
    """Times as text, read by Spark in the session time zone (Python datetimes would be shifted
    from the machine's zone into the session's)."""
    return [tuple(v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v for v in row) for row in rows]


CUSTOMERS = [
    ("c1", "F", "s1", dt.datetime(2026, 1, 1, 10)),
    ("c1", "M", None, dt.datetime(2026, 6, 1, 10)),
    ("c2", "F", "s2", dt.datetime(2026, 2, 1, 10)),
    ("c2", None, "s1", dt.datetime(2026, 7, 1, 10)),
    ("c3", "F", None, dt.datetime(2026, 3, 1, 10)),
    ("c4", "M", "s9", dt.datetime(2026, 3, 1, 10)),
]
SHOPS = [("s1", "上海"), ("s2", "北京"), ("s3", "成都")]
EVENTS = [
    # id, customer, shop, category, amount, refund, status, time
    ("e1", "c1", "s1", "A", 100.0, 20.0, "ok", at(0)),
    ("e2", "c1", "s1", "B", 50.0, 0.0, "ok", at(29, 9)),
    ("e3", "c1", "s2", "A", 70.0, 0.0, "ok", at(30, 23, 59)),   # exactly 30 days back: outside 30d
    ("e4", "c1", "s1", "A", 10.0, 0.0, "ok", at(400)),
    ("e5", "c1", "s1", "A", 999.0, 0.0, "void", at(1)),         # filtered out by the source
    ("e6", "c1", "s1", "C", 500.0, 0.0, "ok", at(-1)),          # after the snapshot date
    ("e7", "c2", "s2", "B", 30.0, 0.0, "ok", at(10)),
    ("e8", "c2", "s2", "B", None, 0.0, "ok", at(3, 10)),        # null amount
    ("e9", "c2", None, "C", 5.0, 0.0, "ok", at(3, 11)),         # no shop
    ("e10", "c4", "s1", "A", 40.0, 0.0, "ok", at(-2)),          # c4 only has future rows
    ("e11", "c9", "s1", "A", 1000.0, 0.0, "ok", at(0)),         # c9 is not a customer
]

EXPECTED_CUSTOMERS = {
    "c1": dict(gender="M", first_gender="F", home_shop="s1", events_30d=2, amount_30d=130.0, amount_all=210.0,
               avg_amount_all=52.5, max_amount_all=100.0, min_amount_all=10.0, shops_all=2, a_events_all=3,
               days_since_last=0, first_event_date=D - dt.timedelta(days=400), last_event_time=at(0),
               fav_category="A", top2_categories=["A", "B"], fav_category_share=160 / 210, fav_shop_30d="s1",
               is_active=True, is_big=True, band="高", amount_tier="高", amount_rank="前半", rfm="重要价值客户",
               stage="活跃", home_shop_city="上海",
               cat_a_amount_30d=80.0, cat_a_events_30d=1, cat_a_shops_30d=1, cat_a_avg_30d=100.0, cat_a_top_30d=100.0,
               cat_a_amount_all=160.0, cat_a_events_all=3, cat_a_shops_all=2, cat_a_avg_all=60.0, cat_a_top_all=100.0,
               cat_b_amount_30d=50.0, cat_b_events_30d=1, cat_b_shops_all=1, cat_c_amount_all=None, cat_c_events_all=0,
               cat_c_shops_all=0, cat_c_top_all=None, days_since_a=0, days_since_b=29, days_since_c=None,
               fan_a=True, fan_b=False, fan_c=None),
    "c2": dict(gender="F", first_gender="F", home_shop="s1", events_30d=3, amount_30d=35.0, amount_all=35.0,
               avg_amount_all=17.5, max_amount_all=30.0, min_amount_all=5.0, shops_all=1, a_events_all=0,
               days_since_last=3, first_event_date=D - dt.timedelta(days=10), last_event_time=at(3, 11),
               fav_category="B", top2_categories=["B", "C"], fav_category_share=30 / 35, fav_shop_30d="s2",
               is_active=True, is_big=False, band="中", amount_tier="低", amount_rank="后半", rfm="一般价值客户",
               stage="沉睡", home_shop_city="上海",
               cat_a_amount_30d=None, cat_a_events_30d=0, cat_a_shops_30d=0, cat_a_avg_30d=None, cat_a_top_30d=None,
               cat_b_amount_30d=30.0, cat_b_events_30d=2, cat_b_shops_all=1, cat_b_avg_all=30.0,
               cat_c_amount_all=5.0, cat_c_events_all=1, cat_c_shops_all=0, cat_c_top_all=5.0,
               days_since_a=None, days_since_b=3, days_since_c=3, fan_a=None, fan_b=False, fan_c=False),
    "c3": dict(gender="F", first_gender="F", home_shop=None, events_30d=0, amount_30d=None, amount_all=None,
               avg_amount_all=None, max_amount_all=None, shops_all=0, a_events_all=0, days_since_last=None,
               first_event_date=None, fav_category=None, top2_categories=None, fav_category_share=None,
               fav_shop_30d=None, is_active=False, is_big=None, band="无", amount_tier=None, amount_rank=None,
               rfm=None, stage="流失", home_shop_city=None, cat_a_events_all=0, cat_a_amount_all=None,
               days_since_a=None, fan_a=None),
    "c4": dict(gender="M", home_shop="s9", events_30d=0, amount_all=None, days_since_last=None, is_active=False,
               stage="流失", home_shop_city=None, cat_a_events_all=0),
}
EXPECTED_SHOPS = {
    "s1": dict(city="上海", revenue_all=1140.0, visitors_30d=2, active_share_all=0.5, avg_customer_amount=210.0),
    "s2": dict(city="北京", revenue_all=100.0, visitors_30d=1, active_share_all=1.0, avg_customer_amount=122.5),
    "s3": dict(city="成都", revenue_all=None, visitors_30d=0, active_share_all=None, avg_customer_amount=None),
}


@pytest.fixture
def exact(spark, settings):
    spark.createDataFrame(timestamps(CUSTOMERS), "customer_id string, gender string, home_shop string, updated_at string") \
        .selectExpr("* EXCEPT (updated_at)", "CAST(updated_at AS TIMESTAMP) AS updated_at") \
        .write.format("delta").saveAsTable(settings.table("src_customers"))
    spark.createDataFrame(SHOPS, "shop_id string, city string").write.format("delta").saveAsTable(settings.table("src_shops"))
    spark.createDataFrame(timestamps(EVENTS), "event_id string, customer_id string, shop_id string, category string, "
                                              "amount double, refund double, status string, event_time string") \
        .selectExpr("* EXCEPT (event_time)", "CAST(event_time AS TIMESTAMP) AS event_time") \
        .write.format("delta").saveAsTable(settings.table("src_events"))
    library = load_library(LIBRARY, database=settings.database)
    results = compute_tags(spark, settings, library, D)
    return settings, library, results


def test_every_kind_matches_hand_computed_values(spark, exact):
    settings, library, results = exact
    customers = rows(spark, settings, "customer", "customer_id", D)
    assert set(customers) == {"c1", "c2", "c3", "c4"}        # c9 has rows but is not a customer
    for who, expected in EXPECTED_CUSTOMERS.items():
        check(customers[who], expected, who)
    shops = rows(spark, settings, "shop", "shop_id", D)
    assert set(shops) == {"s1", "s2", "s3"}
    for who, expected in EXPECTED_SHOPS.items():
        check(shops[who], expected, who)
    by_subject = {r.subject: r for r in results}
    assert by_subject["customer"].tags == len(library.tags["customer"]) and by_subject["customer"].rows == 4
