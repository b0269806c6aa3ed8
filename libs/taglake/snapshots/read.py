"""Read tags as of a snapshot date, from the same serving layout BI tools query: the subject's
newest manifest lists every retained date's files by column group and key bucket, and the
`taglake_wide` reader zips just the groups holding the requested tags (the base group gives every
subject's key; a subject absent from a sparse group reads the tag's fill value). One snapshot is
always read whole: the manifest names the files of one complete run of that date.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame

from taglake.core.expressions import quote_identifier as q
from taglake.core.suggest import did_you_mean
from taglake.errors import DataError, InputError
from taglake.settings import Settings
from taglake.snapshots import registry, serving
from taglake.snapshots.layout import SNAPSHOT_COLUMN, group_table

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


def read_tags(spark, settings: Settings, subject: str, key: str, date: dt.date, tags: list[str] | None = None) -> TagFrame:
    """One row per subject with `tags` (all tags if None) as of `date`."""
    record = snapshot_or_error(spark, settings, subject, date)
    placed = registry.placements(spark, settings, subject)
    wanted = list(dict.fromkeys(tags)) if tags is not None else list(placed)
    unknown = [t for t in wanted if t not in placed]
    if unknown:
        hint = did_you_mean(unknown[0], placed, quote=False)
        raise InputError(f"{subject} snapshot {date} has no tag(s) {', '.join(unknown)}{hint}")
    if not record.group_files:
        raise DataError(f"{subject} snapshot {date} was written before the serving layout; re-run "
                        f"`taglake tags --subject {subject} --date {date}`")
    frame = (spark.read.format(serving.DATA_SOURCE).option("path", serving.folder(spark, settings, subject)).load()
             .where(f"{q(SNAPSHOT_COLUMN)} = DATE'{date}'").selectExpr(q(key), *map(q, wanted)))
    touched = {placed[t].group for t in wanted} | {min(record.group_versions)}
    versions = {settings.table(group_table(subject, g)): record.group_versions[g] for g in sorted(touched)}
    return TagFrame(frame, key, versions, record)


def with_fill(frame: DataFrame, key: str, columns: list[str], fill: dict[str, str], types: dict[str, str]) -> DataFrame:
    """`key` + `columns`, each tag with a fill value (its default) coalesced to it: subjects absent
    from a sparse group read the default (0 for counts), as if the row had been written."""
    select = [q(key)] + [f"CAST(coalesce({q(c)}, {fill[c]}) AS {types[c].upper()}) AS {q(c)}" if c in fill else q(c)
                         for c in columns]
    return frame.selectExpr(*select)
