"""The training set of a model tag at date D, without leakage.

Features are the subject's tags as of F = D - horizon (the label window's end); the label comes
from source events in the window after F, i.e. ending on D. Features are read from the retained
snapshot of F when there is one. Otherwise they are recomputed as of F from the sources with the
tag engine (windows end on F, rows after F are never read) into a scratch database, and:

- tags over an `overwritten` source (CRM profiles, devices, store and product records: rows
  updated in place) cannot be recomputed as of F. They are left out of the model: their current
  values come from after F, and even the engine's rule (rows updated after F are invisible) would
  leak, since "updated after F" is itself a sign of activity after F;
- identities: the OneID mapping at or before F if one is kept, else the current one restricted to
  identifiers first seen on or before F.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from taglake.compiler import sqlkit
from taglake.compiler.compile import source_read
from taglake.compiler.plan import DAYS_AGO, KEY
from taglake.compute.engine import TagRun
from taglake.compute.sources import resolved_rows
from taglake.compute.writer import GroupWriter
from taglake.core.expressions import quote_identifier as q
from taglake.errors import DataError
from taglake.pipeline import new_run_id
from taglake.progress import step as progress
from taglake.settings import Settings
from taglake.snapshots import registry
from taglake.snapshots.read import read_tags
from taglake.tagdefs.kinds.model import feature_names, model_inputs
from taglake.tagdefs.library import Library, Tag, TagRef

log = logging.getLogger(__name__)

LABEL = "__label"


@dataclass
class FeatureFrame:
    """Tags of one subject as of one date: where they came from and what could not be had."""

    frame: DataFrame                       # __key + the tags
    date: dt.date
    origin: str                            # snapshot | recomputed
    excluded: dict[str, str] = field(default_factory=dict)   # tag -> why it is left out
    notes: list[str] = field(default_factory=list)


@dataclass
class TrainingSet:
    frame: DataFrame                       # __key, features, __label (population applied)
    features: list[str]
    feature_date: dt.date
    label_date: dt.date
    origin: str
    excluded: dict[str, str]
    notes: list[str]


def feature_date(tag: Tag, date: dt.date) -> dt.date:
    return date - dt.timedelta(days=tag.spec.label.window.end)


def overwritten_upstream(library: Library, ref: TagRef) -> str | None:
    """The first `overwritten` source the tag reads, directly or through the tags it depends on."""
    stack, seen = [ref], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        tag = library.tags[current.subject][current.name]
        for source in (tag.source, getattr(tag.spec, "source", None)):
            if source and library.sources[source].history == "overwritten":
                return source
        if tag.kind == "cross":   # relations through a source read its rows too
            relation = library.subjects[tag.subject].relations[tag.spec.via]
            if relation.source and library.sources[relation.source].history == "overwritten":
                return relation.source
        stack.extend(tag.deps)
    return None


def features_as_of(spark, settings: Settings, library: Library, subject: str, tags: list[str], date: dt.date,
                   recompute: bool = False) -> FeatureFrame:
    """`tags` of `subject` as of `date`: the retained snapshot, or recomputed from the sources."""
    record = None if recompute else registry.snapshot(spark, settings, subject, date)
    if record is not None:
        placed = registry.placements(spark, settings, subject)
        if all(t in placed for t in tags):
            key = library.subjects[subject].key
            stored = read_tags(spark, settings, subject, key, date, tags)
            log.info("features of %s as of %s: read from the retained snapshot", subject, date)
            return FeatureFrame(stored.frame.withColumnRenamed(key, KEY), date, "snapshot")
        log.info("the snapshot of %s lacks some features (added since); recomputing them as of %s", date, date)
    return _recompute(spark, settings, library, subject, tags, date)


def _recompute(spark, settings: Settings, library: Library, subject: str, tags: list[str], date: dt.date) -> FeatureFrame:
    excluded = {}
    for name in tags:
        source = overwritten_upstream(library, TagRef(subject, name))
        if source is not None:
            excluded[name] = f"reads {source!r}, whose rows are overwritten in place: no value as of {date}"
    kept = [t for t in tags if t not in excluded]
    if excluded:
        log.warning("%d feature(s) of %s cannot be recomputed as of %s and are left out: %s", len(excluded), subject, date,
                    ", ".join(sorted(excluded)))
    if not kept:
        raise DataError(f"no feature of {subject} can be recomputed as of {date}: every one reads an overwritten source "
                        f"({', '.join(sorted(excluded))}); keep snapshots of {date} or use event-based tags")
    scratch = settings.with_overrides(database=f"{settings.database}__asof_{date:%Y%m%d}_{new_run_id()[:6]}")
    trimmed = _trimmed(library, [TagRef(subject, t) for t in kept], settings.database)
    notes: list[str] = []
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {scratch.database}")
    try:
        with progress(f"models: recompute {len(kept)} {subject} tags as of {date}") as current:
            run = _PastRun(spark, scratch, trimmed, date, lambda: _mapping_as_of(spark, settings, date, notes))
            run.run()
            key = library.subjects[subject].key
            stored = read_tags(spark, scratch, subject, key, date, kept)
            # Materialised before the scratch database goes.
            frame = stored.frame.withColumnRenamed(key, KEY).localCheckpoint(eager=True)
            current.count(rows=frame.count(), tags=len(kept))
    finally:
        spark.sql(f"DROP DATABASE IF EXISTS {scratch.database} CASCADE")
    return FeatureFrame(frame, date, "recomputed", excluded, notes)


class _ScratchWriter(GroupWriter):
    def stats(self, *args, **kwargs) -> list[tuple]:
        return []   # a scratch snapshot is read once, for training: no tag statistics


class _PastRun(TagRun):
    """A tag run as of a past date, into a scratch database, with identities as known then."""

    def __init__(self, spark, settings: Settings, library: Library, date: dt.date, mapping: Callable[[], DataFrame]):
        statuses = tuple(sorted({t.status for t in library.all_tags()}))
        super().__init__(spark, settings, library, date, statuses=statuses)
        self.writer = _ScratchWriter(spark, settings, date)
        self._make_mapping = mapping
        self._past_mapping: DataFrame | None = None

    def mapping(self) -> DataFrame:
        if self._past_mapping is None:   # only when a source keys the subject through OneID
            self._past_mapping = self._make_mapping().persist()
            self._persisted.append(self._past_mapping)
        return self._past_mapping


def _mapping_as_of(spark, settings: Settings, date: dt.date, notes: list[str]) -> DataFrame:
    from taglake.identity.mapping import completed_runs, mapping_as_of, read_snapshot

    runs = completed_runs(spark, settings)
    if any(d <= date for d in runs):
        return mapping_as_of(spark, settings, date)
    if not runs:
        raise DataError(f"no OneID run in {settings.table('oneid_runs')}; run `taglake oneid --date ...` first")
    first = runs[0]
    notes.append(f"identities: no OneID run at or before {date}; the run of {first} is used with only the identifiers "
                 f"first seen on or before {date} (a link learnt later can still join two of a person's older ids)")
    log.warning(notes[-1])
    mapping = read_snapshot(spark, settings, first).where(F.to_date("first_seen") <= F.lit(date))
    return mapping.select("id_type", "id_value", "oneid")


def _trimmed(library: Library, refs: list[TagRef], database: str) -> Library:
    """The library cut down to `refs` and what they depend on, sources named in `database` (the
    scratch run writes elsewhere but reads the real sources)."""
    needed: set[TagRef] = set()
    stack = list(refs)
    while stack:
        ref = stack.pop()
        if ref not in needed:
            needed.add(ref)
            stack.extend(library.tags[ref.subject][ref.name].deps)
    tags: dict[str, dict[str, Tag]] = {}
    for ref in needed:
        tags.setdefault(ref.subject, {})[ref.name] = library.tags[ref.subject][ref.name]

    def qualify(table: str) -> str:
        return table if "." in table else f"{database}.{table}"

    sources = {}
    for name, source in library.sources.items():
        update: dict = {"lookups": [lk.model_copy(update={"table": qualify(lk.table)}) for lk in source.lookups]}
        if source.table:
            update["table"] = qualify(source.table)
        sources[name] = source.model_copy(update=update)
    return dataclasses.replace(library, tags=tags, sources=sources)


def label_frame(spark, settings: Settings, library: Library, tag: Tag, date: dt.date) -> DataFrame:
    """__key + __label: the label aggregated over the source's rows in the window ending on `date`."""
    from taglake.identity.mapping import mapping_as_of

    label = tag.spec.label
    exprs = {k: tag.exprs[f"label.{k}"] for k in ("value", "where") if f"label.{k}" in tag.exprs}
    columns = frozenset(c for p in exprs.values() for c in p.columns)
    read = source_read(library, label.source, tag.subject, columns)
    mapping = mapping_as_of(spark, settings, date) if read.identity else None
    rows = resolved_rows(spark, settings, read, date, mapping)
    days = label.window.end - label.window.start + 1
    condition = sqlkit.all_of(f"{q(DAYS_AGO)} < {days}", sqlkit.source_sql(exprs["where"]) if "where" in exprs else None)
    if label.aggregate in ("any", "none"):
        value = f"CAST(count_if({condition}) {'>' if label.aggregate == 'any' else '='} 0 AS DOUBLE)"
    elif label.aggregate == "count":
        value = f"CAST(count_if({condition}) AS DOUBLE)"
    else:
        value = f"CAST(coalesce(sum(CASE WHEN {condition} THEN {sqlkit.source_sql(exprs['value'])} END), 0) AS DOUBLE)"
    return rows.groupBy(KEY).agg(F.expr(value).alias(LABEL))


def training_set(spark, settings: Settings, library: Library, tag: Tag, date: dt.date,
                 features: FeatureFrame | None = None) -> TrainingSet:
    """Features as of D - horizon, the label over the window ending on D, the population applied.
    `features` may be passed when several models share a feature date (recomputed once)."""
    spec = tag.spec
    subject_tags = library.tags[tag.subject]
    wanted = model_inputs(spec, subject_tags)
    at = feature_date(tag, date)
    if features is None:
        features = features_as_of(spark, settings, library, tag.subject, wanted, at)
    usable = [f for f in feature_names(spec, subject_tags) if f not in features.excluded]
    if not usable:
        raise DataError(f"model {tag.subject}.{tag.name}: no feature is available as of {at}")
    frame = features.frame
    if spec.population:
        lost = [c for c in tag.exprs["population"].columns if c in features.excluded]
        if lost:
            raise DataError(f"model {tag.subject}.{tag.name}: its population reads {', '.join(lost)}, which cannot be "
                            f"recomputed as of {at}; keep snapshots of {at} or use event-based tags there")
        frame = frame.where(sqlkit.tags_sql(tag.exprs["population"]))
    labels = label_frame(spark, settings, library, tag, date)
    # Subjects without a single row in the window: no event, so `any` / count / sum are 0, `none` is 1.
    missing = 1.0 if spec.label.aggregate == "none" else 0.0
    joined = frame.select(KEY, *usable).join(labels, on=KEY, how="left").fillna({LABEL: missing})
    return TrainingSet(joined, usable, at, date, features.origin, dict(features.excluded), list(features.notes))
