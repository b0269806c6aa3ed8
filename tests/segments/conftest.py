"""A tiny member snapshot for two dates, computed once for the segment suite by the real tag engine.

48 hand-made members (every tag null for some of them); some change on the second day so members
enter and leave segments. The fixture library (tests/fixtures/segments/tagdefs) has a tag of every
value type; its segments (tests/fixtures/segments/tagdefs/segments) one per operator.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from taglake.compute.engine import compute_tags
from taglake.segments import SegmentLibrary, load_segments
from taglake.settings import Settings
from taglake.snapshots.read import read_tags
from taglake.tagdefs import Library, load_library

D1 = dt.date(2026, 11, 21)
D2 = dt.date(2026, 11, 22)
FIXTURES = Path(__file__).parents[1] / "fixtures" / "segments"
TAGDEFS = FIXTURES / "tagdefs"
SEGMENTS = TAGDEFS / "segments"
TAGS = ["city", "level", "age", "spend", "orders", "is_vip", "phone", "birthday", "top_categories",
        "last_event_time", "days_since_last"]

CITIES = ["上海", "北京", "广州", "成都", None]
LEVELS = ["普通", "银卡", "金卡", None]
CATEGORIES = ["护肤", "彩妆", "香水", "个护"]


def _maybe(rng: random.Random, value, p_null: float = 0.15):
    return None if rng.random() < p_null else value


def member_rows() -> list[tuple]:
    """(member_id, city, level, age, spend, orders, vip, birthday, phone, updated_at) — one row per
    member on 2026-01-01, and a second row on D2 for every fifth member (a move and a purchase)."""
    rng = random.Random(20261122)
    rows = []
    for i in range(1, 49):
        mid = f"m{i:02d}"
        rows.append((
            mid, rng.choice(CITIES), rng.choice(LEVELS), _maybe(rng, rng.randint(18, 60)),
            _maybe(rng, float(round(rng.choice([0, 1, 1.5, 3, 8, 12, 30, 55]) * rng.randint(80, 120), 1)), 0.2),
            _maybe(rng, rng.randint(0, 5)), _maybe(rng, rng.random() < 0.4, 0.2),
            _maybe(rng, (dt.date(1975, 1, 1) + dt.timedelta(days=rng.randint(0, 12_000))).isoformat()),
            _maybe(rng, f"1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}", 0.1),
            "2026-01-01 10:00:00",
        ))
        if i % 5 == 0:
            rows.append((mid, rng.choice(["上海", "北京"]), None, None, round(rng.uniform(500, 6000), 1), None, None,
                         None, None, f"{D2} 10:00:00"))
    return rows


def event_rows() -> list[tuple]:
    rng = random.Random(7)
    rows = []
    for i in range(1, 49):
        if i % 7 == 0:
            continue   # no events: null lists and times
        for j in range(rng.randint(1, 4)):
            when = dt.datetime(2026, 11, 21, 9) - dt.timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 12))
            rows.append((f"e{i:02d}{j}", f"m{i:02d}", rng.choice(CATEGORIES), float(rng.randint(50, 900)), when.isoformat(sep=" ")))
    return rows


@dataclass
class Snapshot:
    settings: Settings
    library: Library
    segments: SegmentLibrary
    rows: dict[dt.date, dict[str, dict]]     # date -> member_id -> tag values (read back from the snapshot)


@pytest.fixture(scope="session")
def snapshot(spark, base_settings: Settings) -> Snapshot:
    database = f"seg_{uuid.uuid4().hex[:8]}"
    spark.sql(f"CREATE DATABASE {database}")
    # Column groups of 10 tags: the 11 tags land in two group tables, so every read joins groups.
    settings = base_settings.with_overrides(database=database, tags=base_settings.tags.model_copy(update={"group_size": 10}))
    (spark.createDataFrame(member_rows(), "member_id string, city string, level string, age int, spend double, orders bigint, "
                                          "vip boolean, birthday string, phone string, updated_at string")
     .selectExpr("* EXCEPT (birthday, updated_at)", "CAST(birthday AS DATE) AS birthday", "CAST(updated_at AS TIMESTAMP) AS updated_at")
     .write.format("delta").saveAsTable(settings.table("src_members")))
    (spark.createDataFrame(event_rows(), "event_id string, member_id string, category string, amount double, event_time string")
     .selectExpr("* EXCEPT (event_time)", "CAST(event_time AS TIMESTAMP) AS event_time")
     .write.format("delta").saveAsTable(settings.table("src_events")))
    library = load_library(TAGDEFS, database=database)
    rows = {}
    for date in (D1, D2):
        compute_tags(spark, settings, library, date)
        frame = read_tags(spark, settings, "member", "member_id", date, TAGS).frame
        rows[date] = {r["member_id"]: r.asDict() for r in frame.collect()}
    yield Snapshot(settings, library, load_segments(SEGMENTS, library), rows)
    spark.sql(f"DROP DATABASE IF EXISTS {database} CASCADE")


@pytest.fixture(scope="session")
def evaluated(spark, snapshot: Snapshot):
    """Every fixture segment evaluated on D1, then D2 (segment_members / segment_stats written)."""
    from taglake.segments.evaluate import evaluate

    names = sorted(snapshot.segments.segments)
    return {date: {r.name: r for r in evaluate(spark, snapshot.settings, snapshot.segments, date, names)} for date in (D1, D2)}


def stored_members(spark, settings: Settings, date: dt.date, segment: str) -> dict[str, str | None]:
    """subject_key -> split_group of one segment on one date, from segment_members."""
    from taglake.segments import store

    return {r["subject_key"]: r["split_group"] for r in store.members(spark, settings, date, [segment]).collect()}
