"""Evaluate segments on a tag snapshot and record membership and statistics.

Per subject, one read of the tag snapshot with only the columns the segments reference (the union
over all of them, pinned to the Delta versions the snapshot registry recorded), then every rule,
set operation and split in one projection, top-N in as many further steps as their dependencies
need (usually none or one, over the cached first step), and membership in long form written in
one Delta commit.
Statistics (size, entered and exited since the previous evaluation, split group sizes) are then
computed from the narrow membership table, not from the tags.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from taglake.ops.faults import checkpoint
from taglake.pipeline import new_run_id
from taglake.progress import step
from taglake.segments import store
from taglake.segments.compile import Plan, Projector, group_col, member_col, plan
from taglake.segments.library import SegmentLibrary
from taglake.settings import Settings
from taglake.snapshots import registry
from taglake.snapshots.layout import group_table
from taglake.snapshots.read import TagFrame, read_tags

log = logging.getLogger(__name__)


@dataclass
class SubjectMembers:
    """Membership of some segments of one subject on one date, not yet written."""

    plan: Plan
    tags: TagFrame
    wide: DataFrame                   # key + one membership column per segment (and split group columns)
    names: list[str]                  # the segments asked for (their dependencies are in `wide` too)
    cached: DataFrame | None = None   # the first step's result, cached when later steps (top-N) read it

    def long(self, date: dt.date) -> DataFrame:
        """(snapshot_date, segment, subject_key, split_group): one row per member of each asked segment."""
        columns = set(self.wide.columns)
        entries = F.array(*[
            F.struct(F.lit(name).alias("segment"), F.col(member_col(name)).alias("inside"),
                     (F.col(group_col(name)) if group_col(name) in columns else F.lit(None).cast("string")).alias("split_group"))
            for name in self.names])
        return (self.wide
                .select(F.col(self.plan.key).cast("string").alias("subject_key"),
                        F.inline(F.filter(entries, lambda e: e["inside"])))
                .select(F.lit(date.isoformat()).cast("date").alias("snapshot_date"), "segment", "subject_key", "split_group"))

    def release(self) -> None:
        if self.cached is not None:
            self.cached.unpersist()


@dataclass
class SegmentResult:
    name: str
    subject: str
    size: int
    entered: int | None
    exited: int | None
    previous_date: dt.date | None
    groups: dict[str, int] = field(default_factory=dict)
    definition_hash: str = ""


def by_subject(library: SegmentLibrary, names: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in names:
        out.setdefault(library.segments[name].subject, []).append(name)
    return out


def membership(spark, settings: Settings, library: SegmentLibrary, names: list[str], date: dt.date) -> list[SubjectMembers]:
    """Lazy membership frames, one per subject: each reads its tag columns once (call `release()`
    when done: a plan with top-N segments caches its first step)."""
    out = []
    for subject, wanted in sorted(by_subject(library, names).items()):
        p = plan(library, wanted)
        tags = read_tags(spark, settings, subject, p.key, date, tags=p.tags)
        projector = Projector(library, p)
        due = projector.bases_due()
        frame = projector.local(tags.frame, p.steps[0].local, due.get(0, []))
        cached = None
        if len(p.steps) > 1:
            # Later steps read the first one several times (each top-N, then the projection):
            # cached, so the tag tables are still read once.
            cached = projector.narrow(frame).persist(StorageLevel.MEMORY_AND_DISK)
            frame = cached
            for index, step in enumerate(p.steps[1:], 1):
                if step.ranked:
                    frame = projector.ranked(frame, step.ranked)
                frame = projector.local(frame, step.local, due.get(index, []))
        out.append(SubjectMembers(p, tags, frame, wanted, cached))
    return out


def members_frame(spark, settings: Settings, library: SegmentLibrary, names: list[str], date: dt.date) -> DataFrame:
    """Membership of `names` on `date`, computed now (not read from the table, not written)."""
    frame = None
    for subject_members in membership(spark, settings, library, names, date):
        part = subject_members.long(date).localCheckpoint(eager=True)
        subject_members.release()
        frame = part if frame is None else frame.unionByName(part)
    return frame


def evaluate(spark, settings: Settings, library: SegmentLibrary, date: dt.date, names: list[str] | None = None,
             run_id: str | None = None) -> list[SegmentResult]:
    """Evaluate `names` (default: every active segment) on tag snapshot `date` and replace their
    rows of that date in `segment_members` and `segment_stats`."""
    names = sorted(library.active() if names is None else dict.fromkeys(names))
    if not names:
        log.info("no segments to evaluate")
        return []
    run_id = run_id or new_run_id()
    results: list[SegmentResult] = []
    for subject_members in membership(spark, settings, library, names, date):
        p = subject_members.plan
        wanted = subject_members.names
        label = f"segments[{p.subject}] {len(wanted)} segment(s) on {date}"
        with step(label, log, tags=len(p.tags), column_groups=len(subject_members.tags.versions),
                  steps=len(p.steps), top_n_steps=p.ranked_steps) as current:
            try:
                store.write_members(spark, settings, subject_members.long(date), date, wanted)
            finally:
                subject_members.release()
            checkpoint(f"segments:{p.subject}")     # members written, stats (the switch) not yet
            written = _stats(spark, settings, library, subject_members, date, run_id)
            results += written
            current.count(members=sum(r.size for r in written))
    return results


def _stats(spark, settings: Settings, library: SegmentLibrary, members: SubjectMembers, date: dt.date, run_id: str) -> list[SegmentResult]:
    """Sizes, split group sizes, entered and exited, from the membership just written: one query."""
    names = members.names
    previous = store.previous_dates(spark, settings, names, date)
    now = (store.members(spark, settings, date, names)
           .select("segment", "subject_key", F.col("split_group").alias("group"), F.lit(True).alias("now")))
    if previous:
        pairs = spark.createDataFrame(list(previous.items()), "previous_segment string, previous_date date")
        then = (spark.table(settings.table(store.MEMBERS))
                .where(F.col("snapshot_date").isin(*[d.isoformat() for d in set(previous.values())]))
                .join(F.broadcast(pairs), (F.col("segment") == F.col("previous_segment"))
                      & (F.col("snapshot_date") == F.col("previous_date")))
                .select("segment", "subject_key", F.lit(True).alias("then")))
        both = now.join(then, ["segment", "subject_key"], "full")
    else:
        both = now.select("*", F.lit(None).cast("boolean").alias("then"))
    counts = (both.groupBy("segment", "group")
              .agg(F.count("now").alias("size"),
                   F.count(F.when(F.col("now") & F.col("then").isNull(), 1)).alias("entered"),
                   F.count(F.when(F.col("then") & F.col("now").isNull(), 1)).alias("exited"))
              .collect())
    totals: dict[str, list[int]] = {}
    groups: dict[str, dict[str, int]] = {}
    for row in counts:
        total = totals.setdefault(row["segment"], [0, 0, 0])
        total[0] += row["size"]
        total[1] += row["entered"]
        total[2] += row["exited"]
        if row["group"] is not None:
            groups.setdefault(row["segment"], {})[row["group"]] = row["size"]
    placed = registry.placements(spark, settings, members.plan.subject)
    now_ts = dt.datetime.now()
    rows, results = [], []
    for name in names:
        seg = library.segments[name]
        size, entered, exited = totals.get(name, [0, 0, 0])
        if name not in previous:   # first evaluation: nothing to compare with
            entered = exited = None
        split_groups = {g: groups.get(name, {}).get(g, 0) for g in seg.groups}
        tags = library.tags_read([name])
        tables = {settings.table(group_table(seg.subject, placed[t].group)) for t in tags if t in placed}
        versions = {t: v for t, v in members.tags.versions.items() if t in tables}
        rows.append((date, name, seg.subject, seg.spec.display_name, seg.spec.business_line, seg.spec.owner, size,
                     entered, exited, previous.get(name), split_groups, seg.definition_hash, seg.describe(), tags,
                     versions, members.tags.snapshot.run_id, run_id, now_ts))
        results.append(SegmentResult(name, seg.subject, size, entered, exited, previous.get(name), split_groups, seg.definition_hash))
    store.write_stats(spark, settings, rows, date, names)
    return results
