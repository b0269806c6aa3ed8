"""Retention: keep the last N daily snapshots plus the last M month-end snapshots (`core.retention`,
the rule the OneID mapping follows too), delete the rest from every column group, and VACUUM with
Delta's default retention check left on (files
are only removed once no reader of the last 7 days could still need them)."""

from __future__ import annotations

import datetime as dt
import logging

from taglake.core.retention import expired
from taglake.settings import Settings
from taglake.snapshots import registry
from taglake.snapshots.layout import SNAPSHOT_COLUMN, by_group, group_table

log = logging.getLogger(__name__)


def expired_snapshots(settings: Settings, dates: list[dt.date]) -> list[dt.date]:
    return expired(dates, settings.retention.daily, settings.retention.month_ends)


def enforce(spark, settings: Settings, subject: str, vacuum: bool = True) -> list[dt.date]:
    records = registry.snapshots(spark, settings, subject)
    drop = expired_snapshots(settings, [r.snapshot_date for r in records])
    if not drop:
        return []
    listed = ", ".join(f"DATE'{d}'" for d in drop)
    for group in by_group(registry.placements(spark, settings, subject)):
        table = settings.table(group_table(subject, group))
        spark.sql(f"DELETE FROM {table} WHERE {SNAPSHOT_COLUMN} IN ({listed})")
        if vacuum:
            spark.sql(f"VACUUM {table}")  # default 7-day retention; the safety check stays on
    registry.forget_snapshots(spark, settings, subject, drop)
    log.info("retention for %s: dropped %d snapshot(s): %s", subject, len(drop), ", ".join(map(str, drop)))
    return drop
