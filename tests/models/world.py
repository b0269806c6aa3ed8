"""A small world for model tests: customers whose purchases follow a known rate, and visits that
exist only in the 30 days before D (so a label over them is perfectly predictable from the future
and from nothing in the past)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import yaml

D = dt.date(2026, 11, 22)
HORIZON = 30
F = D - dt.timedelta(days=HORIZON)
CUSTOMERS = 600
HISTORY = 200
RATES = (0.02, 0.07, 0.2)       # purchases per day by customer group
TIERS = ("bronze", "silver", "gold")


def rows(seed: int = 11) -> tuple[list[tuple], list[tuple]]:
    rnd = random.Random(seed)
    customers, events = [], []
    n = 0
    for i in range(1, CUSTOMERS + 1):
        cid = f"c{i:04d}"
        customers.append((cid, TIERS[i % 3], dt.datetime(2024, 1, 1)))
        rate = RATES[i % 3] * (0.5 + rnd.random())
        for back in range(HISTORY + 40):
            day = D + dt.timedelta(days=20) - dt.timedelta(days=back)   # a few days past D too: never read at D
            if rnd.random() < rate:
                n += 1
                events.append((f"e{n}", cid, "purchase", round(20 + 200 * rnd.random(), 2),
                               dt.datetime.combine(day, dt.time(12, rnd.randrange(60)))))
        if rnd.random() < 0.5:   # the visit: 10 days before D, after F
            n += 1
            events.append((f"e{n}", cid, "visit", 0.0, dt.datetime.combine(D - dt.timedelta(days=10), dt.time(10))))
    return customers, events


def write_sources(spark, settings) -> None:
    customers, events = rows()
    spark.createDataFrame(customers, "customer_id string, tier string, updated_at timestamp") \
        .write.format("delta").mode("overwrite").saveAsTable(settings.table("src_customers"))
    spark.createDataFrame(events, "event_id string, customer_id string, kind string, amount double, event_time timestamp") \
        .write.format("delta").mode("overwrite").saveAsTable(settings.table("src_events"))


MODEL = {"subject": "customer", "owner": "qa", "business_line": "测试", "category": ["模型"], "status": "online"}
BUY_FEATURES = ["purchases_*", "spend_90d", "days_since_last_purchase", "tier", "is_frequent"]


def library_root(tmp: Path, buy_features: list[str] | None = None) -> Path:
    root = tmp / "tagdefs"
    (root / "tags").mkdir(parents=True, exist_ok=True)
    (root / "subjects.yaml").write_text(yaml.safe_dump({"subjects": {
        "customer": {"display_name": "顾客", "key": "customer_id", "population": {"source": "customers"}}}}, allow_unicode=True))
    (root / "sources.yaml").write_text(yaml.safe_dump({"sources": {
        "customers": {"table": "src_customers", "time": "updated_at", "history": "overwritten", "keys": {"customer": "customer_id"}},
        "events": {"table": "src_events", "time": "event_time", "keys": {"customer": "customer_id"}}}}, allow_unicode=True))
    purchase = "kind = 'purchase'"
    tags = [
        {"name": "tier", "kind": "attribute", "source": "customers", "value": "tier"},
        {"name": "purchases_30d", "kind": "stat", "source": "events", "agg": "count", "where": purchase, "window": 30},
        {"name": "purchases_90d", "kind": "stat", "source": "events", "agg": "count", "where": purchase, "window": 90},
        {"name": "spend_90d", "kind": "stat", "source": "events", "agg": "sum", "value": "amount", "where": purchase, "window": 90},
        {"name": "days_since_last_purchase", "kind": "recency", "source": "events", "where": purchase, "output": "days_since"},
        {"name": "visits_30d", "kind": "stat", "source": "events", "agg": "count", "where": "kind = 'visit'", "window": 30},
        {"name": "is_frequent", "kind": "rule", "expr": "purchases_90d >= 6"},
        {"name": "leaky_visit", "kind": "model", "features": ["visits_30d"],
         "label": {"source": "events", "aggregate": "any", "where": "kind = 'visit'", "window": HORIZON},
         "estimator": {"type": "logistic_regression"}},
        {"name": "buy_30d", "kind": "model", "features": buy_features or BUY_FEATURES,
         "label": {"source": "events", "aggregate": "any", "where": purchase, "window": HORIZON},
         "estimator": {"type": "logistic_regression", "params": {"regParam": 0.01}}},
        {"name": "buy_30d_decile", "kind": "model", "model": "buy_30d", "output": "decile"},
        {"name": "buy_30d_class", "kind": "model", "model": "buy_30d", "output": "class", "threshold": 0.5},
        {"name": "likely_buyer", "kind": "rule", "expr": "buy_30d >= 0.5"},
    ]
    for tag in tags:
        tag.setdefault("display_name", tag["name"])
        tag.setdefault("description", "d")
    (root / "tags" / "customer.yaml").write_text(yaml.safe_dump({"defaults": MODEL, "tags": tags}, allow_unicode=True))
    return root
