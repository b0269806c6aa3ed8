"""Read tags as of a snapshot date: only the column groups that hold the requested tags (plus the
base group's keys: sparse family groups hold only subjects with data), at the Delta versions the
snapshot registry recorded for that date (so a reader never mixes a half-rewritten date with the
previous one)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame

from taglake.core.expressions import quote_identifier as q
from taglake.core.suggest import did_you_mean
from taglake.errors import DataError, InputError
from taglake.settings import Settings
from taglake.snapshots import registry
from taglake.snapshots.layout import SNAPSHOT_COLUMN, base_group, by_group, group_table

log = logging.getLogger(__name__)


@dataclass
class TagFrame:
    frame: DataFrame                 # key column + requested tags, one row per subject
    key: str
    versions: dict[str, int]         # group table -> Delta version read
    snapshot: registry.SnapshotRecord


def snapshot_or_error(spark, settings: Settings, subject: str, date: dt.date) -> registry.SnapshotRecord:
    record = registry.snapshot(spark, settings, subject, date)
    if record is None:
        available = [str(r.snapshot_date) for r in registry.snapshots(spark, settings, subject)]
        hint = f"available dates: {', '.join(available[-10:])}" if available else "no snapshot has been computed yet"
        raise DataError(f"no complete {subject} tag snapshot for {date} ({hint}); run `taglake tags --subject {subject} --date {date}`")
    return record


def read_tags(spark, settings: Settings, subject: str, key: str, date: dt.date, tags: list[str] | None = None,
              pinned: bool = True) -> TagFrame:
    """One row per subject with `tags` (all tags if None) as of `date`."""
    record = snapshot_or_error(spark, settings, subject, date)
    placed = registry.placements(spark, settings, subject)
    wanted = list(dict.fromkeys(tags)) if tags is not None else list(placed)
    unknown = [t for t in wanted if t not in placed]
    if unknown:
        hint = did_you_mean(unknown[0], placed, quote=False)
        raise InputError(f"{subject} snapshot {date} has no tag(s) {', '.join(unknown)}{hint}")
    groups = by_group({t: placed[t] for t in wanted})
    types = registry.column_types(spark, settings, subject)
    versions: dict[str, int] = {}

    def part(group: str, columns: list[str]) -> DataFrame:
        table = settings.table(group_table(subject, group))
        version = record.group_versions.get(group) if pinned else None
        versions[table] = version if version is not None else _current_version(spark, table)
        return _read_group(spark, table, key, columns, date, version, types)

    # Every subject is in the base group; sparse family groups hold only subjects with data.
    base = base_group(by_group(placed))
    frame = part(base, groups.pop(base, []))
    for group, columns in groups.items():
        frame = frame.join(part(group, columns), on=key, how="left")
    return TagFrame(with_fill(frame, key, wanted, registry.fills(spark, settings, subject), types), key, versions, record)


def with_fill(frame: DataFrame, key: str, columns: list[str], fill: dict[str, str], types: dict[str, str]) -> DataFrame:
    """`key` + `columns`, each tag with a fill value (its default) coalesced to it: subjects absent
    from a sparse group read the default (0 for counts), as if the row had been written."""
    select = [q(key)] + [f"CAST(coalesce({q(c)}, {fill[c]}) AS {types[c].upper()}) AS {q(c)}" if c in fill else q(c)
                         for c in columns]
    return frame.selectExpr(*select)


def _read_group(spark, table: str, key: str, columns: list[str], date: dt.date, version: int | None,
                types: dict[str, str] | None = None) -> DataFrame:
    """One group at one date. A tag added after the snapshot was written reads as NULL there."""
    where = f"{q(SNAPSHOT_COLUMN)} = DATE'{date}'"
    source = table
    if version is not None:
        try:
            present = set(spark.sql(f"SELECT * FROM {table} VERSION AS OF {version} LIMIT 0").columns)
            source = f"{table} VERSION AS OF {version}"
        except Exception as exc:   # the log of that version was cleaned up: read the date from now
            log.debug("version %s of %s is no longer readable (%s); reading the current version", version, table, str(exc).splitlines()[0])
            present = set(spark.table(table).columns)
    else:
        present = set(spark.table(table).columns)
    select = [q(key)] + [q(c) if c in present else f"CAST(NULL AS {(types or {}).get(c, 'string').upper()}) AS {q(c)}"
                         for c in columns]
    return spark.sql(f"SELECT {', '.join(select)} FROM {source} WHERE {where}")


def _current_version(spark, table: str) -> int:
    return int(spark.sql(f"DESCRIBE HISTORY {table} LIMIT 1").first()["version"])
