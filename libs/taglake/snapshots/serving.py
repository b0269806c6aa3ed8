"""Serving tables: what BI tools, analysts and segment previews query.

Per subject, two catalog tables read by taglake's JVM data source `taglake_wide` (jvm/):

    tags_<subject>          one row per subject per retained snapshot date, one column per tag
    tags_<subject>_latest   the newest complete snapshot only

They are not views over joins. Every column group of a snapshot is written in the same key buckets,
sorted by key (compute/writer.py), so the reader answers a query by zipping, per bucket, the files
of just the groups the query touches: no join, no shuffle, planning that does not grow with the
groups a query leaves alone, a LIMIT that stops after its rows, and a key filter that opens one
bucket. docs/storage.md has the measurements.

What the reader reads is a *manifest* per subject: the tag columns (type, group, fill value for
subjects absent from a sparse group, display name) and, per retained snapshot date, every group's
files by bucket, as recorded in the registry when they were written. Manifests are immutable files
`manifest-<sequence>.json` in the subject's serving folder; readers take the highest sequence, so
writing the next one is the atomic switch from one complete snapshot to the next (a query already
planned keeps the files it was given; Delta keeps removed files for its 7-day VACUUM window).
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from taglake.core.expressions import literal_value, quote_literal
from taglake.errors import DataError
from taglake.settings import Settings
from taglake.snapshots import registry
from taglake.snapshots.layout import base_group, by_group, latest_view_name, view_name

log = logging.getLogger(__name__)

DATA_SOURCE = "taglake_wide"
MANIFEST_PREFIX = "manifest-"
KEEP_MANIFESTS = 10       # older ones are deleted; a reader holds its manifest only while planning
SERVING_FOLDER = "_serving"


def bucket_count(rows: int, rows_per_bucket: int) -> int:
    """Key buckets of a snapshot: files of about `rows_per_bucket` subjects per group."""
    return max(1, math.ceil(rows / rows_per_bucket))


def folder(spark, settings: Settings, subject: str) -> str:
    """The subject's serving folder, inside the database's own location."""
    location = spark.sql(f"DESCRIBE DATABASE {settings.database}").where("info_name = 'Location'").first()["info_value"]
    return f"{location.rstrip('/')}/{SERVING_FOLDER}/{subject}"


def manifest(spark, settings: Settings, subject: str, key: str, comments: dict[str, str]) -> dict[str, Any]:
    """The manifest of every retained snapshot of a subject, built from the registry alone."""
    placed = registry.placements(spark, settings, subject)
    groups = by_group(placed)
    types = registry.column_types(spark, settings, subject)
    fills = registry.fills(spark, settings, subject)
    columns = [{"name": tag, "type": types[tag], "group": group, "fill": literal_value(fills[tag]) if tag in fills else None,
                "comment": comments.get(tag, "")}
               for group, tags in groups.items() for tag in tags]
    snapshots = []
    for record in registry.snapshots(spark, settings, subject):
        if not record.group_files:
            log.warning("%s snapshot %s predates the serving layout (no file list); re-run `taglake tags --date %s` "
                        "to serve it", subject, record.snapshot_date, record.snapshot_date)
            continue
        snapshots.append({"date": str(record.snapshot_date), "buckets": record.buckets,
                          "files": json.loads(record.group_files)})
    return {"format": 1, "subject": subject, "key": key, "base": base_group(groups) if groups else None,
            "columns": columns, "snapshots": snapshots}


def publish(spark, settings: Settings, subject: str, key: str, comments: dict[str, str], description: str = "") -> str | None:
    """Write the subject's next manifest (the switch to the registry's snapshots) and make sure its
    serving tables exist with the manifest's columns. Returns the manifest's path."""
    content = manifest(spark, settings, subject, key, comments)
    if not content["snapshots"]:
        log.warning("%s has no servable snapshot yet; nothing published", subject)
        return None
    where = folder(spark, settings, subject)
    path = _write_next(spark, where, json.dumps(content, ensure_ascii=False, separators=(",", ":")))
    latest = content["snapshots"][-1]["date"]
    _ensure_table(spark, settings, view_name(subject), where, False, content,
                  f"{description} (one row per {subject} per retained snapshot date)")
    _ensure_table(spark, settings, latest_view_name(subject), where, True, content,
                  f"{description} (latest complete snapshot; {latest} when published)")
    _drop_legacy_views(spark, settings, subject)
    return path


# --------------------------------------------------------------------------------------------- files

def _fs(spark, path: str):
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path, hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def _write_next(spark, where: str, text: str) -> str:
    """manifest-<next sequence>.json, written under a temporary name and renamed into place."""
    jvm = spark.sparkContext._jvm
    directory, fs = _fs(spark, where)
    fs.mkdirs(directory)
    names = sorted(s.getPath().getName() for s in fs.listStatus(directory)
                   if s.getPath().getName().startswith(MANIFEST_PREFIX))
    sequence = int(names[-1][len(MANIFEST_PREFIX):-len(".json")]) + 1 if names else 1
    final = jvm.org.apache.hadoop.fs.Path(directory, f"{MANIFEST_PREFIX}{sequence:020d}.json")
    staged = jvm.org.apache.hadoop.fs.Path(directory, f".{MANIFEST_PREFIX}{sequence:020d}.json.tmp")
    out = fs.create(staged, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()
    if not fs.rename(staged, final):
        raise DataError(f"could not publish {final} (another run published sequence {sequence} at the same time?)")
    for old in names[: max(0, len(names) + 1 - KEEP_MANIFESTS)]:
        fs.delete(jvm.org.apache.hadoop.fs.Path(directory, old), False)
    return final.toString()


# ------------------------------------------------------------------------------------------ catalog

def _expected_schema(content: dict[str, Any]):
    from pyspark.sql.types import StructField, StructType, _parse_datatype_string

    fields = [StructField(content["key"], _parse_datatype_string("string"), False),
              StructField("snapshot_date", _parse_datatype_string("date"), False)]
    fields += [StructField(c["name"], _parse_datatype_string(c["type"]), True, {"comment": c["comment"]})
               for c in content["columns"]]
    return StructType(fields)


def _ensure_table(spark, settings: Settings, name: str, where: str, latest: bool, content: dict[str, Any],
                  comment: str) -> None:
    table = settings.table(name)
    if spark.catalog.tableExists(table):
        kind = spark.catalog.getTable(table).tableType
        if kind == "VIEW":     # the earlier layout: a view joining piece views
            spark.sql(f"DROP VIEW {table}")
        elif spark.table(table).schema == _expected_schema(content):
            return             # the new manifest switches readers; the catalog entry stays
        else:
            # New or removed tags: the catalog keeps a table's columns, so the entry is replaced.
            # Queries planned in the moment between the two statements fail and can be retried.
            log.info("%s: columns changed, re-registering the serving table", table)
            spark.sql(f"DROP TABLE {table}")
    spark.sql(f"CREATE TABLE {table} USING {DATA_SOURCE} OPTIONS (path {quote_literal(where)}, "
              f"latest '{str(latest).lower()}') COMMENT {quote_literal(comment)}")


def _drop_legacy_views(spark, settings: Settings, subject: str) -> None:
    """Piece views of the earlier layout (`tags_<subject>__<group>__v<version>`)."""
    prefix = f"tags_{subject}__"
    for row in spark.sql(f"SHOW VIEWS IN {settings.database}").collect():
        name = row["viewName"]
        if name.startswith(prefix) and "__v" in name and not row["isTemporary"]:
            spark.sql(f"DROP VIEW IF EXISTS {settings.table(name)}")
