"""Tags over the tiny demo sources (OneID-keyed members, stores) against an independent pandas
computation: identifiers canonicalised and resolved through the OneID mapping in plain Python,
windows counted in days, every kind and a family checked for every member and store — under the
rules of docs/tagdefs.md "What the values mean" (the last N days, NULLs in RFM, percentile ties,
refunds, placeholder identifiers), each re-implemented here from its description."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from taglake.compute.engine import compute_tags
from taglake.snapshots.read import read_tags
from taglake.tagdefs import load_library
from taglake.tagdefs.schemas import SparkSchemas

D = dt.date(2026, 11, 22)
LIBRARY = Path(__file__).parents[1] / "fixtures" / "tagdefs" / "demo_subset"
L1 = ["护肤", "彩妆", "香水", "个护", "美容仪器", "男士护理", "母婴", "健康食品"]
L1_CODES = {"护肤": "skincare", "彩妆": "makeup", "香水": "fragrance", "个护": "personal_care", "美容仪器": "beauty_devices",
            "男士护理": "mens_care", "母婴": "mother_baby", "健康食品": "health_food"}


# --- the oracle -----------------------------------------------------------------------------------

def canonical(id_type: str, value) -> str | None:
    """Plain-Python canonical forms (tagdefs/identity.yaml)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if id_type == "phone":
        text = re.sub(r"[\s\-().]", "", text)
        text = re.sub(r"^(\+86|0086|86)(?=1\d{10}$)", "", text)
    return text or None


IDENTITY = yaml.safe_load((Path(__file__).parents[2] / "tagdefs" / "identity.yaml").read_text(encoding="utf-8"))


def valid_member_id(value) -> bool:
    """A member id as tagdefs/identity.yaml reads it: trimmed, its pattern, no placeholder."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    raw = str(value)
    text = raw.strip()
    blocked = IDENTITY["guards"]["blocklist"]
    if text in blocked["exact"] or raw.strip() in blocked["exact"] or any(re.search(r, text) for r in blocked["regex"]):
        return False
    return re.search(IDENTITY["types"]["member_id"]["pattern"], text) is not None


def percentile_labels(values: dict[str, float], bounds: list[float], labels: list[str]) -> dict[str, str]:
    """Mid-rank of each value (share below + half the share equal); the first label whose bound is
    above it; with at least as many distinct values as labels, each cut moved just enough that
    every label gets a value (docs/tagdefs.md "Percentile buckets and ties")."""
    n = len(values)
    counts = pd.Series(list(values.values()), dtype="float64").value_counts().sort_index()
    distinct = list(counts.index)
    mid, below = {}, 0
    for v, c in counts.items():
        mid[v] = (2 * below + c, c)     # twice the mid-rank numerator, exact
        below += c
    cuts, previous = [], 0
    for i, b in enumerate(bounds, start=1):
        count = sum(1 for v in distinct if mid[v][0] < 2 * b * n)
        if len(distinct) >= len(labels):
            count = min(max(count, previous + 1), len(distinct) - (len(labels) - i))
        cuts.append(count)
        previous = count
    label_of = {}
    for index, v in enumerate(distinct):
        label_of[v] = labels[next((i for i, c in enumerate(cuts) if index < c), len(cuts))]
    return {k: label_of[v] for k, v in values.items()}


class Oracle:
    def __init__(self, spark, db: str, mapping: pd.DataFrame):
        self.ids = {(t, v): o for t, v, o in mapping[["id_type", "id_value", "oneid"]].itertuples(index=False)}
        self.members = sorted(set(mapping["oneid"]))
        self.tables = {t: spark.table(f"{db}.src_{t}").toPandas() for t in ("crm_members", "app_events", "orders", "order_lines", "products", "stores")}

    def resolve(self, row, candidates) -> str | None:
        for id_type, column in candidates:
            key = canonical(id_type, row[column])
            if key is not None and (id_type, key) in self.ids:
                return self.ids[(id_type, key)]
        return None

    def rows(self, table: str, candidates, time_col: str | None) -> pd.DataFrame:
        df = self.tables["orders" if table == "refunds" else table].copy()
        # The purchase rule of the shipped sources: cancelled orders, fully refunded orders and
        # fully returned lines are not purchases; refunds are read on their own.
        if table == "orders":
            df = df[~df["status"].isin(["cancelled", "refunded"])]
        elif table == "order_lines":
            df = df[(df["status"] != "cancelled") & (df["refunded_qty"] < df["qty"])]
        elif table == "refunds":
            df = df[(df["status"] != "cancelled") & (df["refund_amount"] > 0)]
        if table in ("order_lines", "app_events"):
            products = self.tables["products"][["sku", "brand", "category_l1"]]
            df = df.merge(products, on="sku", how="left")
        df["key"] = [self.resolve(r, candidates) for r in df.to_dict("records")]
        df = df[df["key"].notna()]
        if time_col:
            df["days_ago"] = [(D - pd.Timestamp(t).date()).days for t in df[time_col]]
            df = df[df["days_ago"] >= 0]
        return df


def expected_members(o: Oracle, stores: pd.DataFrame) -> dict[str, dict]:
    crm = o.rows("crm_members", [("member_id", "member_id")], "updated_at")
    orders = o.rows("orders", [("member_id", "member_id"), ("phone", "receiver_phone")], "order_time")
    lines = o.rows("order_lines", [("member_id", "member_id"), ("phone", "receiver_phone")], "order_time")
    events = o.rows("app_events", [("member_id", "member_id"), ("device_id", "device_id")], "event_time")
    refunds = o.rows("refunds", [("member_id", "member_id"), ("phone", "receiver_phone")], "order_time")
    tier = dict(zip(stores["store_id"], stores["city_tier"]))
    out: dict[str, dict] = {m: {} for m in o.members}

    def latest(df, value_fn, key):
        best = {}
        for r in df.sort_values(["updated_at"]).to_dict("records"):
            v = value_fn(r)
            if v is not None and (r[key] not in best or (r["updated_at"], v) >= best[r[key]][0]):
                best[r[key]] = ((r["updated_at"], v), v)
        return {k: v for k, (_o, v) in best.items()}

    def gender(r):
        g = (r["gender"] or "").strip().upper() if isinstance(r["gender"], str) else ""
        return "男" if g in ("M", "男") else "女" if g in ("F", "女") else None

    def home(r):
        h = r["home_store_id"].strip() if isinstance(r["home_store_id"], str) else None
        return h or None

    genders, homes = latest(crm, gender, "key"), latest(crm, home, "key")
    for m in o.members:
        e = out[m]
        e["gender"], e["home_store_id"] = genders.get(m), homes.get(m)
        e["home_store_tier"] = tier.get(e["home_store_id"])
        mo = orders[orders["key"] == m]
        w30, w365 = mo[mo["days_ago"] < 30], mo[mo["days_ago"] < 365]
        e["orders_30d"] = len(w30)
        e["spend_365d"] = (w365["paid_amount"] - w365["refund_amount"]).sum() if len(w365) else None
        e["avg_order_value_365d"] = w365["paid_amount"].mean() if len(w365) else None
        e["stores_365d"] = w365["store_id"].dropna().nunique()
        e["days_since_last_order"] = int(mo["days_ago"].min()) if len(mo) else None
        e["first_order_date"] = (D - dt.timedelta(days=int(mo["days_ago"].max()))) if len(mo) else None
        me = events[events["key"] == m]
        e["app_opens_30d"] = int(((me["event_type"] == "app_open") & (me["days_ago"] < 30)).sum())
        e30 = me[me["days_ago"] < 30]
        e["logged_in_events_30d"] = int(sum(valid_member_id(v) for v in e30["member_id"]))
        e["app_active_days_30d"] = e30["event_date"].nunique()
        e["orders_365d"] = len(w365)
        mr = refunds[(refunds["key"] == m) & (refunds["days_ago"] < 365)]
        e["refund_orders_365d"] = len(mr)
        ml = lines[lines["key"] == m]
        l365 = ml[ml["days_ago"] < 365]
        e["fav_category_l1_365d"] = top_values(l365, "category_l1", l365["line_amount"] - l365["refund_amount"], 1)
        e["top3_brands_all"] = top_values(ml, "brand", ml["line_amount"] - ml["refund_amount"], 3, as_list=True)
        e["fav_brand_365d"] = top_values(l365, "brand", l365["line_amount"] - l365["refund_amount"], 1)
        e["top3_brands_365d"] = top_values(l365, "brand", l365["line_amount"] - l365["refund_amount"], 3, as_list=True)
        e90 = me[me["days_ago"] < 90]
        e["fav_event_90d"] = top_values(e90, "event_type", pd.Series(1, index=e90.index), 1)
        spend = e["spend_365d"]
        e["is_high_value"] = None if spend is None else spend >= 3000
        e["value_level"] = "高" if spend is not None and spend >= 3000 else "中" if spend is not None and spend > 0 else "无"
        e["spend_tier"] = None if spend is None else "D" if spend < 500 else "C" if spend < 2000 else "B"
        r, f = e["days_since_last_order"], e["orders_30d"]
        # No cell only without a recency; no spend in 365 days is M low; recency 60 = the last 60 days.
        e["rfm_cell"] = None if r is None else {
            "111": "重要价值客户", "101": "重要发展客户", "011": "重要保持客户", "001": "重要挽留客户",
            "110": "一般价值客户", "100": "一般发展客户", "010": "一般保持客户", "000": "一般挽留客户",
        }["".join("1" if c else "0" for c in (r < 60, f >= 1, spend is not None and spend >= 1000))]
        e["lifecycle"] = "活跃" if r is not None and r < 30 else "沉睡" if r is not None and r < 180 else "流失"
        for cat in L1:
            code = L1_CODES[cat]
            c = ml[ml["category_l1"] == cat]
            for w, name in ((30, "30d"), (365, "365d"), (None, "all")):
                cw = c if w is None else c[c["days_ago"] < w]
                e[f"l1_{code}_spend_{name}"] = (cw["line_amount"] - cw["refund_amount"]).sum() if len(cw) else None
                e[f"l1_{code}_orders_{name}"] = cw["order_id"].nunique()
                e[f"l1_{code}_units_{name}"] = int((cw["qty"] - cw["refunded_qty"]).sum()) if len(cw) else None
            e[f"days_since_l1_{code}"] = int(c["days_ago"].min()) if len(c) else None
            s365 = e[f"l1_{code}_spend_365d"]
            e[f"fan_{code}"] = None if s365 is None else s365 >= 1000
    # percentile buckets by mid-rank: spend (few ties), app active days (many ties at the low end)
    for tag, input_ in (("spend_rank", "spend_365d"), ("app_rank_30d", "app_active_days_30d")):
        population = {m: e[input_] for m, e in out.items() if e[input_] is not None and e[input_] > 0}
        labels = percentile_labels(population, [0.5, 0.9], ["低", "中", "高"])
        for m, e in out.items():
            e[tag] = labels.get(m)
    return out


def top_values(df: pd.DataFrame, column: str, measure: pd.Series, n: int, as_list: bool = False):
    """Largest positive measure first, ties broken by the value (the engine's documented rule)."""
    if df.empty:
        return None
    sums = measure.groupby(df[column]).sum(min_count=1)
    ranked = sorted(((-v, k) for k, v in sums.items() if isinstance(k, str) and not pd.isna(v) and v > 0))
    if not ranked:
        return None
    picked = [k for _v, k in ranked[:n]]
    return picked if as_list else picked[0]


def expected_stores(o: Oracle, members: dict[str, dict]) -> dict[str, dict]:
    stores = o.tables["stores"]
    orders = o.rows("orders", [("member_id", "member_id"), ("phone", "receiver_phone")], "order_time")
    raw = o.tables["orders"]
    raw = raw[~raw["status"].isin(["cancelled", "refunded"])].copy()
    raw["days_ago"] = [(D - pd.Timestamp(t).date()).days for t in raw["order_time"]]
    out = {}
    for store_id, tier in zip(stores["store_id"], stores["city_tier"]):
        mine = raw[(raw["store_id"] == store_id) & (raw["days_ago"] >= 0) & (raw["days_ago"] < 365)]
        visitors = set(orders[(orders["store_id"] == store_id) & (orders["days_ago"] < 365)]["key"])
        flags = [members.get(v, {}).get("is_high_value") for v in visitors]
        out[store_id] = {
            "city_tier": tier,
            "revenue_365d": (mine["paid_amount"] - mine["refund_amount"]).sum() if len(mine) else None,
            "members_365d": len(visitors),
            "high_value_share_365d": (sum(1 for f in flags if f) / len(flags)) if flags else None,
        }
    return out


# --- the test -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def computed(spark, tiny_demo, base_settings):
    from taglake.identity.job import run_oneid

    settings = base_settings.with_overrides(database="oracle_tags")
    spark.sql("DROP DATABASE IF EXISTS oracle_tags CASCADE")
    spark.sql("CREATE DATABASE oracle_tags")
    for t in spark.catalog.listTables(tiny_demo.database):
        if t.name.startswith("src_"):
            spark.sql(f"CREATE VIEW oracle_tags.{t.name} AS SELECT * FROM {tiny_demo.table(t.name)}")
    run_oneid(spark, settings, D)
    # Columns are checked against the real catalog here (not offline).
    library = load_library(LIBRARY, schemas=SparkSchemas(spark), database=settings.database)
    compute_tags(spark, settings, library, D)
    yield settings
    spark.sql("DROP DATABASE IF EXISTS oracle_tags CASCADE")


def same(got, want) -> bool:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got is None
    if isinstance(want, float) or isinstance(got, float):
        return got is not None and math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-6)
    if hasattr(want, "item"):
        want = want.item()
    return got == want


def test_member_and_store_tags_match_pandas(spark, computed):
    settings = computed
    mapping = spark.table(settings.table("oneid_mapping")).where(f"snapshot_date = DATE'{D}'").toPandas()
    oracle = Oracle(spark, settings.database, mapping)
    members = expected_members(oracle, oracle.tables["stores"])
    got = {r["oneid"]: r.asDict() for r in read_tags(spark, settings, "member", "oneid", D).frame.collect()}
    assert set(got) == set(members)
    mismatches = [(m, tag, got[m][tag], want) for m, tags in members.items() for tag, want in tags.items()
                  if not same(got[m][tag], want)]
    assert not mismatches, f"{len(mismatches)} mismatches, e.g. {mismatches[:5]}"
    # the data exercises what it should
    assert sum(1 for v in members.values() if v["orders_30d"]) > 20
    assert sum(1 for v in members.values() if v["spend_365d"] is None) > 20
    assert len({v["rfm_cell"] for v in members.values()}) >= 5
    # ... including what issue 11 found wrong: lapsed buyers get a cell, ties fill every label,
    # placeholders are not logins, fully refunded orders are not purchases
    lapsed = [v for v in members.values() if v["days_since_last_order"] is not None and v["spend_365d"] is None]
    assert lapsed and all(v["rfm_cell"] == "一般挽留客户" for v in lapsed)
    tied = [v["app_active_days_30d"] for v in members.values() if v["app_active_days_30d"]]
    assert len(tied) > len(set(tied)) * 5 and {v["app_rank_30d"] for v in members.values()} == {None, "低", "中", "高"}
    e30 = oracle.tables["app_events"]
    assert sum(not valid_member_id(v) for v in e30["member_id"] if v is not None) > 0
    assert any(v["refund_orders_365d"] > 0 for v in members.values())
    stores = expected_stores(oracle, members)
    got_stores = {r["store_id"]: r.asDict() for r in read_tags(spark, settings, "store", "store_id", D).frame.collect()}
    assert set(got_stores) == set(stores)
    bad = [(s, tag, got_stores[s][tag], want) for s, tags in stores.items() for tag, want in tags.items() if not same(got_stores[s][tag], want)]
    assert not bad, bad[:5]
