"""Portraits (画像对比): for each value of some tags, a segment's share against a base's share.

TGI = segment share / base share × 100 (100 = as common as in the base; 150 = one and a half
times as common). The base is the whole subject population of the snapshot, or another segment
(`--vs`), or a split group of one (`spring_ab:B`). Numeric tags are cut into buckets at the base
population's quintiles (rounded to two significant digits), dates by year, date-times by month;
text tags keep their most common values and fold the rest into "(其他)"; a list tag counts each
value once per member (shares of a list tag do not add up to 100%). A null tag is its own value,
"(空)". Every count comes from one aggregation over the tag columns joined with both memberships.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import logging
import math
from dataclasses import dataclass
from typing import TextIO

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from taglake.errors import InputError
from taglake.segments import rules as R
from taglake.segments import store
from taglake.segments.evaluate import members_frame
from taglake.segments.library import SegmentLibrary
from taglake.segments.validate import NUMERIC, SegmentChecker
from taglake.settings import Settings
from taglake.snapshots.read import read_tags
from taglake.tagdefs import Library

log = logging.getLogger(__name__)

NULL_LABEL = "(空)"
OTHER_LABEL = "(其他)"
ALL = "all"
QUANTILES = (0.2, 0.4, 0.6, 0.8)


@dataclass(frozen=True)
class Target:
    """A segment, or one split group of it (`name:group`)."""

    segment: str
    group: str | None = None

    @property
    def label(self) -> str:
        return f"{self.segment}:{self.group}" if self.group else self.segment


def parse_target(segments: SegmentLibrary, text: str) -> Target:
    name, _, group = text.partition(":")
    seg = segments.get(name.strip())
    group = group.strip() or None
    if group is not None and group not in seg.groups:
        allowed = ", ".join(seg.groups) if seg.groups else "none: it has no split"
        raise InputError(f"segment {seg.name!r} has no split group {group!r} (groups: {allowed})")
    return Target(seg.name, group)


@dataclass
class ProfileRow:
    tag: str
    display_name: str
    position: int
    value: str
    segment_count: int
    segment_share: float
    base_count: int
    base_share: float
    tgi: float | None


@dataclass
class Profile:
    target: Target
    base: Target | None
    date: dt.date
    segment_size: int
    base_size: int
    rows: list[ProfileRow]

    @property
    def base_label(self) -> str:
        return self.base.label if self.base else ALL


def membership(spark, settings: Settings, segments: SegmentLibrary, target: Target, date: dt.date) -> DataFrame:
    """subject_key of the target's members on `date`: recorded membership when the segment was
    evaluated for that date, otherwise computed now from the snapshot."""
    if store.evaluated(spark, settings, target.segment, date) is not None:
        frame = store.members(spark, settings, date, [target.segment])
    else:
        log.info("segment %s was not evaluated for %s: computing its membership from the snapshot", target.segment, date)
        frame = members_frame(spark, settings, segments, [target.segment], date)
    if target.group is not None:
        frame = frame.where(F.col("split_group") == F.lit(target.group))
    return frame.select("subject_key").distinct()


def check_tags(library: Library, segments: SegmentLibrary, target: Target, tags: list[str], statuses: tuple[str, ...]) -> None:
    """Tags must exist for the segment's subject, be computed in snapshots and be visible to its business line."""
    seg = segments.get(target.segment)
    problems: list[str] = []
    specs = {n: s.spec for n, s in segments.segments.items()}
    checker = SegmentChecker(library, specs, statuses, seg.spec, lambda where, pos, message, code: problems.append(message))
    for tag in tags:
        checker.tag(R.TagName(tag), "tags")
    if problems:
        raise InputError("; ".join(problems))


def profile(spark, settings: Settings, library: Library, segments: SegmentLibrary, target: Target, date: dt.date,
            tags: list[str], base: Target | None = None, top_values: int = 15) -> Profile:
    seg = segments.get(target.segment)
    if base is not None and segments.get(base.segment).subject != seg.subject:
        raise InputError(f"{base.label} selects {segments.get(base.segment).subject}s and {target.label} {seg.subject}s: "
                         "compare segments of the same subject")
    if not tags:
        raise InputError(f"no tags to profile: pass --tags t1,t2 (or give segment {seg.name!r} `profile_tags`)")
    check_tags(library, segments, target, tags, tuple(settings.tags.statuses))
    key = segments.keys[seg.subject]
    types = {t: library.tags[seg.subject][t].type for t in tags}
    values = read_tags(spark, settings, seg.subject, key, date, tags).frame.withColumnRenamed(key, "subject_key")
    frame = values.join(membership(spark, settings, segments, target, date).select("subject_key", F.lit(1).alias("in_segment")),
                        "subject_key", "left")
    if base is not None:
        frame = frame.join(membership(spark, settings, segments, base, date).select("subject_key", F.lit(1).alias("in_base")),
                           "subject_key", "left")
    else:
        frame = frame.select("*", F.lit(1).alias("in_base"))
    frame = frame.select("subject_key", F.coalesce("in_segment", F.lit(0)).alias("in_segment"),
                         F.coalesce("in_base", F.lit(0)).alias("in_base"), *tags).persist()
    try:
        sizes = frame.agg(F.sum("in_segment").alias("segment"), F.sum("in_base").alias("base")).first()
        segment_size, base_size = int(sizes["segment"] or 0), int(sizes["base"] or 0)
        edges = _edges(frame.where(F.col("in_base") == 1), [t for t in tags if types[t] in NUMERIC])
        labelled = [F.struct(F.lit(t).alias("tag"), _labels(t, types[t], edges.get(t, [])).alias("values")) for t in tags]
        counts = (frame.where((F.col("in_segment") == 1) | (F.col("in_base") == 1))
                  .select("in_segment", "in_base", F.inline(F.array(*labelled)))
                  .select("in_segment", "in_base", "tag", F.explode("values").alias("v"))
                  .groupBy("tag", F.col("v.label").alias("value"), F.col("v.position").alias("position"))
                  .agg(F.sum("in_segment").alias("segment_count"), F.sum("in_base").alias("base_count")))
        # Text values beyond the most common `top_values` (by base count) fold into one row.
        rank = F.row_number().over(Window.partitionBy("tag").orderBy(F.col("base_count").desc(), F.col("value")))
        folded = (counts.select("*", rank.alias("rank"))
                  .select("tag", "segment_count", "base_count",
                          F.when(F.col("position").isNotNull() | (F.col("value") == NULL_LABEL) | (F.col("rank") <= top_values),
                                 F.col("value")).otherwise(F.lit(OTHER_LABEL)).alias("value"),
                          F.when(F.col("position").isNotNull() | (F.col("value") == NULL_LABEL) | (F.col("rank") <= top_values),
                                 F.col("position")).alias("position"))
                  .groupBy("tag", "value", "position").agg(F.sum("segment_count").alias("segment_count"),
                                                           F.sum("base_count").alias("base_count"))
                  .collect())
    finally:
        frame.unpersist()
    rows = []
    for r in folded:
        seg_share = r["segment_count"] / segment_size if segment_size else 0.0
        base_share = r["base_count"] / base_size if base_size else 0.0
        tgi = seg_share / base_share * 100 if base_share else None
        rows.append(ProfileRow(r["tag"], library.tags[seg.subject][r["tag"]].display_name, 0, r["value"],
                               int(r["segment_count"]), seg_share, int(r["base_count"]), base_share, tgi))
    order = {t: i for i, t in enumerate(tags)}
    positions = {(r["tag"], r["value"]): r["position"] for r in folded}

    def sort_key(row: ProfileRow):
        pos = positions[(row.tag, row.value)]
        special = {NULL_LABEL: 2, OTHER_LABEL: 1}.get(row.value, 0)
        return (order[row.tag], special, pos if pos is not None else 0, -row.base_count, row.value)

    rows.sort(key=sort_key)
    current, index = None, 0
    for row in rows:
        index = index + 1 if row.tag == current else 1
        current, row.position = row.tag, index
    return Profile(target, base, date, segment_size, base_size, rows)


def save(spark, settings: Settings, result: Profile) -> None:
    now = dt.datetime.now()
    rows = [(result.date, result.target.label, result.base_label, r.tag, r.position, r.value, r.segment_count, r.segment_share,
             r.base_count, r.base_share, r.tgi, now) for r in result.rows]
    store.write_profile(spark, settings, rows, result.date, result.target.label, result.base_label)


CSV_COLUMNS = ("tag", "display_name", "value", "segment_count", "segment_share", "base_count", "base_share", "tgi")


def to_csv(result: Profile, handle: TextIO) -> None:
    writer = csv.writer(handle)
    writer.writerow(["snapshot_date", "segment", "base", *CSV_COLUMNS])
    for r in result.rows:
        writer.writerow([result.date, result.target.label, result.base_label, r.tag, r.display_name, r.value,
                         r.segment_count, f"{r.segment_share:.6f}", r.base_count, f"{r.base_share:.6f}",
                         "" if r.tgi is None else f"{r.tgi:.1f}"])


# -- buckets ---------------------------------------------------------------------------------------

def nice(value: float) -> float:
    """Two significant digits: 1234.5 -> 1200, 0.0456 -> 0.046, 7 -> 7."""
    if value == 0 or not math.isfinite(value):
        return value
    digits = 1 - math.floor(math.log10(abs(value)))
    return round(value, digits) if digits > 0 else float(round(value, digits))


def _edges(base: DataFrame, numeric: list[str]) -> dict[str, list[float]]:
    """Bucket edges per numeric tag: the base population's quintiles, rounded and de-duplicated."""
    if not numeric:
        return {}
    quantiles = base.select(*[F.col(t).cast("double").alias(t) for t in numeric]).approxQuantile(numeric, list(QUANTILES), 0.001)
    out = {}
    for tag, values in zip(numeric, quantiles):
        out[tag] = sorted({nice(v) for v in values if v is not None})
    return out


def _fmt(value: float, integral: bool) -> str:
    if integral and float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6g}"


def bucket_labels(edges: list[float], integral: bool) -> list[str]:
    """Labels of the buckets `edges` cut: below the first, half-open ranges, at or above the last."""
    if not edges:
        return ["全部"]
    labels = [f"< {_fmt(edges[0], integral)}"]
    for low, high in itertools.pairwise(edges):
        if integral and float(low).is_integer() and float(high).is_integer():
            labels.append(_fmt(low, True) if high - low == 1 else f"{_fmt(low, True)}–{_fmt(high - 1, True)}")
        else:
            labels.append(f"[{_fmt(low, False)}, {_fmt(high, False)})")
    labels.append(f"≥ {_fmt(edges[-1], integral)}")
    return labels


def _entry(label: Column, position: Column | None = None) -> Column:
    return F.struct(label.alias("label"), (position if position is not None else F.lit(None).cast("int")).alias("position"))


def _labels(tag: str, kind: str, edges: list[float]) -> Column:
    """array<struct<label, position>>: the values a member counts under for `tag`."""
    col = F.col(tag)
    null = F.array(_entry(F.lit(NULL_LABEL)))
    if kind == "array<string>":
        return F.when(col.isNull() | (F.size(col) == 0), null).otherwise(
            F.transform(F.array_distinct(col), lambda v: _entry(F.coalesce(v, F.lit(NULL_LABEL)))))
    if kind in NUMERIC:
        labels = bucket_labels(edges, kind != "double")
        index: Column = F.lit(len(edges))
        for i in reversed(range(len(edges))):
            index = F.when(col < F.lit(edges[i]), F.lit(i)).otherwise(index)
        label = F.element_at(F.array(*[F.lit(s) for s in labels]), index + 1)
        return F.when(col.isNull(), null).otherwise(F.array(_entry(label, index)))
    if kind == "date":
        return F.when(col.isNull(), null).otherwise(F.array(_entry(F.date_format(col, "yyyy"), F.year(col))))
    if kind == "timestamp":
        return F.when(col.isNull(), null).otherwise(
            F.array(_entry(F.date_format(col, "yyyy-MM"), F.year(col) * 100 + F.month(col))))
    return F.when(col.isNull(), null).otherwise(F.array(_entry(col.cast("string"))))
