"""Retention: keep the last N daily snapshots plus the last M month-end snapshots, delete the
rest from every column group, and VACUUM with Delta's default retention check left on (files
are only removed once no reader of the last 7 days could still need them)."""

from __future__ import annotations

import datetime as dt
import logging

from taglake.settings import Settings
from taglake.snapshots import registry
from taglake.snapshots.layout import SNAPSHOT_COLUMN, by_group, group_table

log = logging.getLogger(__name__)


def month_ends(dates: list[dt.date]) -> list[dt.date]:
    """The last snapshot of every month that has one (a month's closing snapshot)."""
    last: dict[tuple[int, int], dt.date] = {}
    for d in dates:
        key = (d.year, d.month)
        last[key] = max(last.get(key, d), d)
    return sorted(last.values())


def expired(dates: list[dt.date], daily: int, monthly: int) -> list[dt.date]:
    dates = sorted(set(dates))
    if not dates:
        return []
    newest = dates[-1]
    keep = set(dates[-daily:])
    closed = [d for d in month_ends(dates) if (d.year, d.month) != (newest.year, newest.month)]
    keep |= set(closed[-monthly:]) if monthly else set()
    return [d for d in dates if d not in keep]


def enforce(spark, settings: Settings, subject: str, vacuum: bool = True) -> list[dt.date]:
    records = registry.snapshots(spark, settings, subject)
    drop = expired([r.snapshot_date for r in records], settings.retention.daily, settings.retention.month_ends)
    if not drop:
        return []
    listed = ", ".join(f"DATE'{d}'" for d in drop)
    for group in by_group(registry.placements(spark, settings, subject)):
        table = settings.table(group_table(subject, group))
        spark.sql(f"DELETE FROM {table} WHERE {SNAPSHOT_COLUMN} IN ({listed})")
        if vacuum:
            spark.sql(f"VACUUM {table}")   # default 7-day retention; the safety check stays on
    registry.forget_snapshots(spark, settings, subject, drop)
    log.info("retention for %s: dropped %d snapshot(s): %s", subject, len(drop), ", ".join(map(str, drop)))
    return drop
