"""The registry: which tag lives in which column group, each tag's definition versions, and one
row per computed snapshot (subject, date) with the Delta versions it wrote.

Registry tables are small (a row per tag or per snapshot) and are rewritten whole, in one Delta
commit each, after a run's data is written: a run that dies halfway leaves the previous registry
(and so the previous views) in place.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from taglake.settings import Settings
from taglake.snapshots.layout import Placement

log = logging.getLogger(__name__)

COLUMNS_TABLE = "tag_columns"
VERSIONS_TABLE = "tag_versions"
SNAPSHOTS_TABLE = "snapshots"
STATS_TABLE = "tag_stats"

COLUMNS_SCHEMA = ("subject string, tag string, group_name string, position int, type string, family string, added_snapshot date, "
                  "fill string")
VERSIONS_SCHEMA = (
    "subject string, tag string, version int, definition_hash string, declared_version int, kind string, "
    "type string, display_name string, family string, status string, layer string, owner string, "
    "business_line string, category array<string>, first_snapshot date, recorded_at timestamp"
)
SNAPSHOTS_SCHEMA = (
    "subject string, snapshot_date date, run_id string, status string, tag_count int, row_count bigint, "
    "definitions_hash string, group_versions map<string,bigint>, seconds double, started_at timestamp, "
    "finished_at timestamp, buckets int, group_files string"
)
STATS_SCHEMA = "snapshot_date date, subject string, tag string, rows bigint, non_null bigint, fill_rate double, distinct_approx bigint"


def _exists(spark, settings: Settings, table: str) -> bool:
    return spark.catalog.tableExists(settings.table(table))


def _rows(spark, settings: Settings, table: str, where: str | None = None) -> list[Any]:
    if not _exists(spark, settings, table):
        return []
    df = spark.table(settings.table(table))
    return (df.where(where) if where else df).collect()


def overwrite(spark, settings: Settings, table: str, rows: list[tuple], schema: str, replace_where: str | None = None) -> None:
    """Write rows to a registry table in one commit (only the `replace_where` slice if given)."""
    df = spark.createDataFrame(rows, schema)
    writer = df.write.format("delta").mode("overwrite")
    if replace_where and _exists(spark, settings, table):
        writer = writer.option("replaceWhere", replace_where)
        writer = writer.option("mergeSchema", "true")    # registries written by older versions gain new columns
    else:
        writer = writer.option("overwriteSchema", "true")
    writer.saveAsTable(settings.table(table))


# --- column placement ---------------------------------------------------------------------------

def placements(spark, settings: Settings, subject: str) -> dict[str, Placement]:
    return {r["tag"]: Placement(r["group_name"], r["position"])
            for r in _rows(spark, settings, COLUMNS_TABLE, f"subject = '{subject}'")}


def column_types(spark, settings: Settings, subject: str) -> dict[str, str]:
    return {r["tag"]: r["type"] for r in _rows(spark, settings, COLUMNS_TABLE, f"subject = '{subject}'")}


def fills(spark, settings: Settings, subject: str) -> dict[str, str]:
    """Tag -> SQL literal a subject reads when its row is absent from a sparse column group (the
    tag's default: 0 for counts). Tags without one read NULL there."""
    return {r["tag"]: r["fill"] for r in _rows(spark, settings, COLUMNS_TABLE, f"subject = '{subject}'")
            if r.asDict().get("fill") is not None}


def save_placements(spark, settings: Settings, subject: str, placed: dict[str, Placement], types: dict[str, str],
                    families: dict[str, str | None], date: dt.date, fill: dict[str, str] | None = None) -> None:
    previous = {r["tag"]: r for r in _rows(spark, settings, COLUMNS_TABLE, f"subject = '{subject}'")}
    rows = []
    for tag, p in placed.items():
        old = previous.get(tag)
        rows.append((subject, tag, p.group, p.position, old["type"] if old else types[tag],
                     old["family"] if old else families.get(tag), old["added_snapshot"] if old else date,
                     (fill or {}).get(tag)))
    overwrite(spark, settings, COLUMNS_TABLE, rows, COLUMNS_SCHEMA, f"subject = '{subject}'")


# --- definition versions ------------------------------------------------------------------------

@dataclass(frozen=True)
class VersionChange:
    tag: str
    version: int
    reason: str   # new | changed


def record_versions(spark, settings: Settings, subject: str, tags: list, hashes: dict[str, str], date: dt.date) -> list[VersionChange]:
    """Give every tag whose definition hash is new a new version; return what changed."""
    history = _rows(spark, settings, VERSIONS_TABLE, f"subject = '{subject}'")
    latest: dict[str, Any] = {}
    for row in history:
        if row["tag"] not in latest or row["version"] > latest[row["tag"]]["version"]:
            latest[row["tag"]] = row
    now = dt.datetime.now()
    new_rows, changes = [], []
    for tag in tags:
        current = latest.get(tag.name)
        if current is not None and current["definition_hash"] == hashes[tag.name]:
            continue
        version = 1 if current is None else current["version"] + 1
        changes.append(VersionChange(tag.name, version, "new" if current is None else "changed"))
        new_rows.append((subject, tag.name, version, hashes[tag.name], tag.version, tag.kind, tag.type, tag.display_name,
                         tag.family, tag.status, tag.layer, tag.owner, tag.business_line, list(tag.category), date, now))
    if new_rows:
        keep = [tuple(r) for r in history]
        overwrite(spark, settings, VERSIONS_TABLE, keep + new_rows, VERSIONS_SCHEMA, f"subject = '{subject}'")
    return changes


# --- snapshots ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SnapshotRecord:
    subject: str
    snapshot_date: dt.date
    run_id: str
    status: str
    tag_count: int
    row_count: int
    definitions_hash: str
    group_versions: dict[str, int]
    seconds: float
    started_at: dt.datetime
    finished_at: dt.datetime
    buckets: int = 0              # key buckets every group of the snapshot was written in
    group_files: str = ""         # JSON: group -> [{path, bucket, rows}] (the serving manifest's input)


def record_snapshots(spark, settings: Settings, records: list[SnapshotRecord], where: str) -> None:
    """One commit for a run's snapshots: every subject's new date becomes visible together."""
    rows = [(r.subject, r.snapshot_date, r.run_id, r.status, r.tag_count, r.row_count, r.definitions_hash,
             r.group_versions, r.seconds, r.started_at, r.finished_at, r.buckets, r.group_files) for r in records]
    overwrite(spark, settings, SNAPSHOTS_TABLE, rows, SNAPSHOTS_SCHEMA, where)


def snapshots(spark, settings: Settings, subject: str, status: str = "complete") -> list[SnapshotRecord]:
    rows = _rows(spark, settings, SNAPSHOTS_TABLE, f"subject = '{subject}' AND status = '{status}'")
    fields = set(SnapshotRecord.__dataclass_fields__)
    # Registries written before the serving layout have no buckets / group_files (NULL): defaults.
    records = (SnapshotRecord(**{k: v for k, v in r.asDict().items() if k in fields and (v is not None or k not in
                                                                                          ("buckets", "group_files"))})
               for r in rows)
    return sorted(records, key=lambda r: r.snapshot_date)


def snapshot(spark, settings: Settings, subject: str, date: dt.date) -> SnapshotRecord | None:
    for record in snapshots(spark, settings, subject):
        if record.snapshot_date == date:
            return record
    return None


def forget_snapshots(spark, settings: Settings, subject: str, dates: list[dt.date]) -> None:
    if not dates or not _exists(spark, settings, SNAPSHOTS_TABLE):
        return
    listed = ", ".join(f"DATE'{d}'" for d in dates)
    spark.sql(f"DELETE FROM {settings.table(SNAPSHOTS_TABLE)} WHERE subject = '{subject}' AND snapshot_date IN ({listed})")
