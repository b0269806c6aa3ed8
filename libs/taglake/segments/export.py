"""Channel exports: a segment's recorded members with chosen columns, one file and a manifest.

Columns are tags of the segment's subject (visible to its business line) or, for subjects resolved
by OneID, identifiers (phone, email, member_id, wechat_openid, wechat_unionid, device_id,
cookie_id: the most recently seen one of each type, from the OneID run of the snapshot date or
the latest before it). `mask` columns are shown as 138****0000 / z***@example.com. The holdout
group of a split is never exported unless asked for: it is the control group nobody contacts.
The manifest says what the file holds: row count, segment, definition hash, snapshot, tag tables
and versions read, the file's SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from taglake.core.suggest import did_you_mean
from taglake.errors import DataError, InputError
from taglake.segments import store
from taglake.segments.library import SegmentLibrary
from taglake.segments.model import HOLDOUT
from taglake.segments.profile import Target, check_tags
from taglake.settings import Settings
from taglake.snapshots.read import read_tags
from taglake.tagdefs import Library

log = logging.getLogger(__name__)

FORMATS = ("csv", "parquet")


def mask(col: Column | str) -> Column:
    """Hide the middle of an identifier: phones keep 3 + 4 digits (138****0000), e-mails the first
    letter and the domain (z***@qq.com), other values of 8+ characters their first 3 and last 4."""
    text = (F.col(col) if isinstance(col, str) else col).cast("string")
    n = F.length(text)
    at = F.instr(text, "@")
    email = F.concat(F.substring(text, 1, 1), F.lit("***@"), F.substring_index(text, "@", -1))
    long = F.concat(F.substring(text, 1, 3), F.lit("****"), F.substring(text, -4, 4))
    short = F.concat(F.substring(text, 1, 1), F.repeat(F.lit("*"), F.greatest(n - 2, F.lit(1))), F.substring(text, -1, 1))
    return (F.when(text.isNull(), F.lit(None).cast("string"))
            .when(at > 1, email)
            .when(n >= 8, long)
            .when(n >= 3, short)
            .otherwise(F.repeat(F.lit("*"), n)))


@dataclass
class Manifest:
    segment: str
    display_name: str
    group: str | None
    groups_exported: list[str]
    subject: str
    snapshot_date: str
    definition_hash: str
    definition: str
    evaluated_at: str
    tag_snapshot_run: str
    tag_versions: dict[str, int]
    row_count: int
    columns: list[str]
    masked: list[str]
    format: str
    file: str
    sha256: str
    created_at: str

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def export(spark, settings: Settings, library: Library, segments: SegmentLibrary, target: Target, date: dt.date,
           columns: list[str], fmt: str, out: Path, masked: list[str] = (), include_holdout: bool = False) -> Manifest:
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    seg = segments.get(target.segment)
    stats = store.require_evaluated(spark, settings, seg.name, date)
    if stats["definition_hash"] != seg.definition_hash:
        log.warning("segment %s changed since it was evaluated for %s (hash %s, now %s): exporting the recorded "
                    "membership; re-run `taglake segments --date %s --segment %s` to refresh it",
                    seg.name, date, stats["definition_hash"], seg.definition_hash, date, seg.name)
    key = segments.keys[seg.subject]
    subject_tags = library.tags[seg.subject]
    columns = list(dict.fromkeys(columns))
    tags = [c for c in columns if c in subject_tags]
    id_types = library.id_types
    identifiers = [c for c in columns if c not in subject_tags and c in id_types]
    unknown = [c for c in columns if c not in subject_tags and c not in id_types]
    if unknown:
        raise InputError(f"unknown column(s) {', '.join(unknown)}: export tags of {seg.subject} or identifiers "
                         f"({', '.join(id_types)}){did_you_mean(unknown[0], [*subject_tags, *id_types])}")
    bad_mask = [c for c in masked if c not in columns and c != key]
    if bad_mask:
        raise InputError(f"--mask {', '.join(bad_mask)}: not among the exported columns ({', '.join([key, *columns])})")
    check_tags(library, segments, target, tags, tuple(settings.tags.statuses))
    if identifiers and not library.subjects[seg.subject].population.identity:
        raise InputError(f"identifier columns ({', '.join(identifiers)}) exist only for subjects resolved by OneID; "
                         f"{seg.subject} is keyed by {key}")

    members = store.members(spark, settings, date, [seg.name])
    groups = seg.groups
    if target.group is not None:
        members, exported = members.where(F.col("split_group") == F.lit(target.group)), [target.group]
    elif groups and not include_holdout:
        members, exported = members.where(F.col("split_group") != F.lit(HOLDOUT)), [g for g in groups if g != HOLDOUT]
    else:
        exported = groups
    frame = members.select(F.col("subject_key").alias(key), "split_group")
    versions: dict[str, int] = {}
    if tags:
        tag_frame = read_tags(spark, settings, seg.subject, key, date, tags)
        versions = tag_frame.versions
        tag_values = tag_frame.frame.select(F.col(key).cast("string").alias(key), *[c for c in tag_frame.frame.columns if c != key])
        frame = frame.join(tag_values, key, "left")
    if identifiers:
        frame = frame.join(_identifiers(spark, settings, date, identifiers, key), key, "left")
    selected = [key, *(["split_group"] if groups else []), *columns]
    types = dict(frame.dtypes)
    out_cols = []
    for name in selected:
        col = F.col(name)
        if fmt == "csv" and types.get(name, "").startswith("array"):
            col = F.array_join(col, "|")   # CSV has no lists: values joined by |
        if name in masked:
            col = mask(col)
        out_cols.append(col.alias(name))
    final = frame.select(*out_cols).orderBy(key).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        rows = final.count()
        stem = f"{seg.name}{'_' + target.group if target.group else ''}_{date.isoformat()}"
        path = _write_single(final, fmt, Path(out), stem)
    finally:
        final.unpersist()
    manifest = Manifest(
        segment=seg.name, display_name=seg.spec.display_name, group=target.group, groups_exported=exported,
        subject=seg.subject, snapshot_date=date.isoformat(), definition_hash=stats["definition_hash"],
        definition=stats["definition"], evaluated_at=str(stats["evaluated_at"]), tag_snapshot_run=stats["tag_snapshot_run"],
        tag_versions=dict(versions or stats["tag_versions"] or {}), row_count=rows, columns=selected, masked=list(masked),
        format=fmt, file=path.name, sha256=_sha256(path), created_at=dt.datetime.now().isoformat(timespec="seconds"))
    manifest.write(path.with_name(f"{stem}.manifest.json"))
    return manifest


def _identifiers(spark, settings: Settings, date: dt.date, types: list[str], key: str) -> DataFrame:
    """One column per identifier type: the most recently seen value of that type for each person."""
    from taglake.identity.mapping import completed_runs, read_snapshot

    runs = [d for d in completed_runs(spark, settings) if d <= date]
    if not runs:
        raise DataError(f"no OneID run at or before {date}: identifier columns need the OneID mapping "
                        f"(run `taglake oneid --date {date}`)")
    mapping = read_snapshot(spark, settings, runs[-1]).where(F.col("id_type").isin(*types))
    latest = (mapping.groupBy("oneid", "id_type")
              .agg(F.max_by("id_value", F.struct("last_seen", "id_value")).alias("id_value")))
    return (latest.groupBy(F.col("oneid").cast("string").alias(key)).pivot("id_type", types)
            .agg(F.first("id_value")))


def _write_single(frame: DataFrame, fmt: str, out: Path, stem: str) -> Path:
    """One file `out/<stem>.<fmt>` (Spark writes a folder of parts; a channel wants one file)."""
    out.mkdir(parents=True, exist_ok=True)
    scratch = out / f".{stem}.{fmt}.parts"
    writer = frame.coalesce(1).write.mode("overwrite")
    if fmt == "csv":
        writer.option("header", True).option("encoding", "UTF-8").csv(str(scratch))
    else:
        writer.parquet(str(scratch))
    (part,) = [p for p in scratch.iterdir() if p.name.startswith("part-")]
    target = out / f"{stem}.{fmt}"
    shutil.move(str(part), target)
    shutil.rmtree(scratch)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
