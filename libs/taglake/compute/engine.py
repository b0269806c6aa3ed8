"""Compute a snapshot of tags: the compiled plan, depth by depth, into column-group Delta tables.

Order of work for one run (one snapshot date, one or more subjects):
  depth 0   per subject and source: the source is read and keyed once (persisted), then every
            scan step on it runs — one GROUP BY for its scalar tags, preference steps, and its
            families in long form, each family column group written as soon as it is computed;
            the scalar results are joined to the subject's population: the *core* frame.
  depth d   per subject: derived tags as one select over the core (plus any family columns they
            read), cross-subject tags from related subjects' cores (or their stored snapshot when
            the related subject is not part of this run); checkpointed after every depth.
  finally   core tags written to their column groups, statistics, registry, then the views are
            re-pinned to the new Delta versions — the moment readers switch to the new snapshot.
Re-running a date replaces that date in every group (replaceWhere): idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from taglake.compiler import compile_library
from taglake.compiler.plan import (
    KEY, SNAPSHOT, AggregateStep, CrossAggregateStep, CrossLookupStep, DerivedStep, FamilyStep, Output, Plan, PreferenceStep,
    SubjectPlan,
)
from taglake.compute import families as fam
from taglake.compute import steps as run_step
from taglake.compute.sources import resolved_rows
from taglake.compute.writer import GroupWriter
from taglake.errors import DataError
from taglake.progress import step as progress
from taglake.settings import Settings
from taglake.snapshots import read as snapshot_read
from taglake.snapshots import registry, retention, views
from taglake.snapshots.layout import Placement, assign, by_group, sparse_allowed
from taglake.tagdefs.library import Library
from taglake.tagdefs.expressions import quote_identifier as q
from taglake.tagdefs.expressions import quote_literal

log = logging.getLogger(__name__)


@dataclass
class SubjectResult:
    subject: str
    date: dt.date
    tags: int
    rows: int
    groups: int
    rows_scanned: int
    seconds: float
    version_changes: int = 0
    expired: list[dt.date] = field(default_factory=list)
    #: Percentile bucket -> members per label, and the run's warnings (an empty label). Quality
    #: checks (DOMAIN.md "Quality") are meant to read both from here and record them per snapshot.
    labels: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _State:
    plan: SubjectPlan
    key: str                              # key column name in the tag tables
    population: DataFrame | None = None
    core: DataFrame | None = None         # __key + core tags computed so far
    placements: dict[str, Placement] = field(default_factory=dict)
    family_tags: set[str] = field(default_factory=set)
    written: dict[str, int] = field(default_factory=dict)   # group -> Delta version written
    rows_scanned: int = 0
    labels: dict[str, dict[str, int]] = field(default_factory=dict)   # percentile bucket -> label -> members
    warnings: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)


class TagRun:
    def __init__(self, spark, settings: Settings, library: Library, date: dt.date,
                 subjects: list[str] | None = None, statuses: tuple[str, ...] | None = None):
        self.spark, self.settings, self.library, self.date = spark, settings, library, date
        self.statuses = tuple(statuses or settings.tags.statuses)
        wanted = set(subjects) if subjects else None
        unknown = sorted((wanted or set()) - set(library.subjects))
        if unknown:
            raise DataError(f"unknown subject(s) {', '.join(unknown)}; subjects: {', '.join(sorted(library.subjects))}")
        self.plan: Plan = compile_library(library, self.statuses, wanted)
        self.subjects = sorted(wanted if wanted else self.plan.subjects)
        self.subjects = [s for s in self.subjects if s in self.plan.subjects]
        self.run_id = uuid.uuid4().hex[:12]
        self.writer = GroupWriter(spark, settings, date)
        self._mapping: DataFrame | None = None
        self._persisted: list[DataFrame] = []

    # -- inputs -----------------------------------------------------------------------------------

    def mapping(self) -> DataFrame:
        if self._mapping is None:
            from taglake.identity.mapping import mapping_as_of

            self._mapping = mapping_as_of(self.spark, self.settings, self.date).persist(StorageLevel.MEMORY_AND_DISK)
            self._persisted.append(self._mapping)
        return self._mapping

    def identity_rules(self):
        """tagdefs/identity.yaml, the canonical forms the mapping was built with (None: defaults)."""
        if not hasattr(self, "_identity_rules"):
            from taglake.identity.config import load_identity_config
            from taglake.identity.job import identity_config_path

            path = identity_config_path(self.settings)
            self._identity_rules = load_identity_config(path) if path.is_file() else None
        return self._identity_rules

    def _rows(self, read, related=None) -> DataFrame:
        needs_mapping = bool(read.identity or (related is not None and related.identity))
        if not needs_mapping:
            return resolved_rows(self.spark, self.settings, read, self.date, None, related)
        return resolved_rows(self.spark, self.settings, read, self.date, self.mapping(), related, self.identity_rules())

    def population(self, plan: SubjectPlan) -> DataFrame:
        pop = plan.population
        if pop.identity:
            frame = self.mapping().selectExpr(f"oneid AS {q(KEY)}").distinct()
        else:
            rows = self._rows(pop.read)
            frame = (rows.where(pop.where_sql) if pop.where_sql else rows).select(KEY).distinct()
        return frame

    # -- the run ------------------------------------------------------------------------------------

    def run(self) -> list[SubjectResult]:
        states = {s: self._prepare(s) for s in self.subjects}
        try:
            for depth in range(self.plan.depths):
                for subject in self.subjects:
                    state = states[subject]
                    todo = [step for d, step in state.plan.steps if d == depth]
                    if todo:
                        with progress(f"tags[{subject}] depth {depth}: {len(todo)} step(s)") as current:
                            if depth == 0:
                                self._scan(state, todo)
                            else:
                                self._derive(state, todo, states)
                            current.count(tags=sum(len(s.outputs) for s in todo))
            for subject in self.subjects:
                self._write_core(states[subject])
            return self._finish([states[s] for s in self.subjects])
        finally:
            for df in self._persisted:
                df.unpersist()
            self._drop_long_forms()

    def _drop_long_forms(self) -> None:
        """The run's long-form family tables are scratch: gone once their groups are written."""
        jvm = self.spark.sparkContext._jvm
        path = jvm.org.apache.hadoop.fs.Path(f"{self.settings.path(self.settings.checkpoint_dir)}/long/{self.run_id}")
        path.getFileSystem(self.spark.sparkContext._jsc.hadoopConfiguration()).delete(path, True)

    def _prepare(self, subject: str) -> _State:
        plan = self.plan.subjects[subject]
        key = self.library.subjects[subject].key
        outputs = plan.outputs()
        clash = [o.name for o in outputs if o.name in (key, "snapshot_date")]
        if clash:
            raise DataError(f"tag name(s) {', '.join(clash)} of {subject} collide with the key or snapshot_date column")
        state = _State(plan, key)
        tags = self.library.tags[subject]
        ordered = [(o.name, tags[o.name].family) for o in outputs]
        state.placements = assign(ordered, registry.placements(self.spark, self.settings, subject), self.settings.tags.group_size)
        state.family_tags = {name for name, family in ordered if family}
        with progress(f"tags[{subject}] population") as current:
            state.population = self._checkpoint(self.population(plan))
            current.count(rows=state.population.count())
        state.core = state.population
        return state

    def _checkpoint(self, df: DataFrame) -> DataFrame:
        # Cuts lineage (deep plans over hundreds of columns) and pins the result for reuse.
        return df.checkpoint(eager=True)

    def _scan(self, state: _State, todo: list) -> None:
        # One read per table for all its steps, keys resolved once: sources that are filters of the
        # same table (orders and refunds) share the scan, each step keeping its source's filter.
        by_table: dict[tuple, list] = defaultdict(list)
        for step in todo:
            r = step.read
            by_table[(r.table, r.lookups, r.key_column, r.identity, r.time_column)].append(step)
        parts: list[DataFrame] = []
        outputs: list[Output] = []
        cached: list[DataFrame] = []
        for table_steps in sorted(by_table.values(), key=lambda steps: min(s.read.source for s in steps)):
            columns = tuple(sorted({c for s in table_steps for c in s.read.columns}))
            filters = sorted({s.read.where_sql or "" for s in table_steps})
            shared = filters[0] or None if len(filters) == 1 else (
                None if "" in filters else " OR ".join(f"({f})" for f in filters))
            read = replace(table_steps[0].read, columns=columns, where_sql=shared)
            sources = ", ".join(sorted({s.read.source for s in table_steps}))
            with progress(f"tags[{state.plan.subject}] source {sources}") as current:
                rows = self._rows(read).persist(StorageLevel.DISK_ONLY)
                cached.append(rows)
                scanned = rows.count()
                state.rows_scanned += scanned
                current.count(rows=scanned, steps=len(table_steps))
                for step in table_steps:
                    own = step.read.where_sql
                    step_rows = rows.where(own) if own and len(filters) > 1 else rows
                    if isinstance(step, AggregateStep):
                        parts.append(run_step.aggregate(self.spark, step_rows, step))
                        outputs += step.outputs
                    elif isinstance(step, PreferenceStep):
                        parts.append(run_step.preference(self.spark, step_rows, step))
                        outputs += step.outputs
                    elif isinstance(step, FamilyStep):
                        self._family(state, step_rows, step)
        core_outputs = [o for o in outputs if o.name not in state.family_tags]
        if core_outputs:
            # One job joins every scalar result to the population while the sources are cached.
            with progress(f"tags[{state.plan.subject}] core: {len(core_outputs)} scalar tags") as current:
                state.core = self._checkpoint(run_step.with_defaults(state.population, parts, core_outputs))
                current.count(columns=len(state.core.columns) - 1)
        for rows in cached:
            rows.unpersist()

    def _family(self, state: _State, rows: DataFrame, step: FamilyStep) -> None:
        group_of = {c.tag: state.placements[c.tag].group for c in step.cells}
        long, groups = fam.long_rows(self.spark, rows, step, group_of)
        sparse = sparse_allowed(by_group(state.placements))
        if sparse:   # long rows of subjects outside the population (a filtered one) never reach a group
            long = long.join(state.population, on=KEY, how="left_semi")
        path = f"{self.settings.path(self.settings.checkpoint_dir)}/long/{self.run_id}/{step.family}"
        with progress(f"tags[{state.plan.subject}] family {step.family}: long form") as current:
            long.write.mode("overwrite").partitionBy(fam.GROUP).parquet(path)
            current.count(cells=len(step.cells), groups=len(groups))
        stored = self.spark.read.parquet(path)

        def write(group: fam.FamilyGroup) -> None:
            with progress(f"tags[{state.plan.subject}] group {group.name}") as current:
                frame = fam.group_frame(self.spark, stored.where(f"{q(fam.GROUP)} = '{group.name}'"), group,
                                        None if sparse else state.population)
                self._write_group(state, group.name, frame, current)

        parallel(write, groups, self.settings.tags.parallel_writes)

    def _derive(self, state: _State, todo: list, states: dict[str, _State]) -> None:
        subject = state.plan.subject
        for step in todo:
            keep = list(state.core.columns)
            if isinstance(step, DerivedStep):
                family_inputs = sorted(i for i in step.inputs if i in state.family_tags)
                # Derived expressions may read `snapshot_date`: bound as a literal column.
                frame = state.core.select("*", F.lit(self.date).alias(SNAPSHOT))
                if family_inputs:
                    frame = frame.join(self._stored_tags(state, family_inputs), on=KEY, how="left")
                result, cuts = run_step.derived(self.spark, frame, step, keep)
                self._label_counts(state, cuts)
            elif isinstance(step, CrossLookupStep):
                related = self.related_tags(step.related, sorted(step.related_inputs), states)
                result = run_step.cross_lookup(self.spark, state.core, step, related, keep)
            elif isinstance(step, CrossAggregateStep):
                related = self.related_tags(step.related, sorted(step.related_inputs), states)
                pairs = self._rows(step.read, step.related_read)
                part = run_step.cross_aggregate(self.spark, pairs, step, related)
                result = run_step.with_defaults(state.core, [part], step.outputs, keep=keep)
            else:  # pragma: no cover
                raise TypeError(type(step).__name__)
            family_out = [o.name for o in step.outputs if o.name in state.family_tags]
            if family_out:
                for group, tags in by_group({t: state.placements[t] for t in family_out}).items():
                    with progress(f"tags[{subject}] group {group}") as current:
                        self._write_group(state, group, result.select(KEY, *tags), current)
                result = result.drop(*family_out)
            state.core = self._checkpoint(result)

    def _label_counts(self, state: _State, cuts) -> None:
        """Members per label of each percentile bucket; an empty label is a warning of the run."""
        for c in cuts:
            state.labels[c.tag] = dict(zip(c.labels, c.members))
            for label in c.empty_labels():
                message = (f"{state.plan.subject}.{c.tag}: label {label} has no members "
                           f"({c.distinct} distinct values for {len(c.labels)} labels)")
                log.warning("%s", message)
                state.warnings.append(message)

    def _stored_tags(self, state: _State, tags: list[str]) -> DataFrame:
        """Family tags written earlier in this run, read back from their groups at this date, for
        every subject of the population (absent from a sparse group: the tag's default)."""
        frame = state.population.select(KEY)
        for group, cols in by_group({t: state.placements[t] for t in tags}).items():
            table = self.writer.table(state.plan.subject, group)
            part = self.spark.sql(f"SELECT {q(state.key)} AS {q(KEY)}, {', '.join(map(q, cols))} FROM {table} "
                                  f"WHERE snapshot_date = DATE'{self.date}'")
            frame = frame.join(part, on=KEY, how="left")
        types = {o.name: o.type for o in state.plan.outputs()}
        return snapshot_read.with_fill(frame, KEY, tags, self._fill(state), types)

    def _fill(self, state: _State) -> dict[str, str]:
        """Tag -> SQL default read where a sparse group has no row: the long-form family tags with a
        default (counts), when the subject's base group is a dense core group."""
        if not sparse_allowed(by_group(state.placements)):
            return {}
        return {o.name: quote_literal(o.default) for _d, step in state.plan.steps if isinstance(step, FamilyStep)
                for o in step.outputs if o.default is not None}

    def related_tags(self, subject: str, tags: list[str], states: dict[str, _State]) -> DataFrame:
        """A related subject's tags: from this run's core, or from its stored snapshot."""
        state = states.get(subject)
        if state is not None:
            missing = [t for t in tags if t not in state.core.columns and t not in state.family_tags]
            if missing:  # pragma: no cover - the depth order guarantees they were computed
                raise DataError(f"{subject} tags {', '.join(missing)} are not computed yet")
            core_tags = [t for t in tags if t in state.core.columns]
            frame = state.core.select(KEY, *core_tags)
            family = [t for t in tags if t in state.family_tags]
            return frame.join(self._stored_tags(state, family), on=KEY, how="left") if family else frame
        key = self.library.subjects[subject].key
        stored = snapshot_read.read_tags(self.spark, self.settings, subject, key, self.date, tags)
        return stored.frame.selectExpr(f"{q(key)} AS {q(KEY)}", *map(q, tags))

    # -- writing ------------------------------------------------------------------------------------

    def _write_group(self, state: _State, group: str, frame: DataFrame, current) -> None:
        columns = by_group(state.placements)[group]
        types = {o.name: o.type for o in state.plan.outputs()}
        comments = {n: self.library.tags[state.plan.subject][n].display_name for n in columns if n in self.library.tags[state.plan.subject]}
        stats_cols = self.settings.tags.stats_columns.get(state.plan.subject, [])
        version, rows = self.writer.write(state.plan.subject, state.key, group, frame, columns, types, comments, stats_cols)
        state.written[group] = version
        current.count(rows=rows, tags=len([c for c in columns if c in frame.columns]), version=version)

    def _write_core(self, state: _State) -> None:
        def write(group: str) -> None:
            with progress(f"tags[{state.plan.subject}] group {group}") as current:
                self._write_group(state, group, state.core, current)

        parallel(write, [g for g in by_group(state.placements) if g not in state.written], self.settings.tags.parallel_writes)

    def _finish(self, states: list[_State]) -> list[SubjectResult]:
        """Registry for every subject in one commit per table, then retention and the views:
        readers switch to the new snapshots only now."""
        names = [s.plan.subject for s in states]
        subjects_sql = ", ".join(f"'{n}'" for n in names)
        stats, snapshots, changes, fills = [], [], {}, {}
        with progress("tags: statistics and registry") as current:
            for state in states:
                subject = state.plan.subject
                groups = by_group(state.placements)
                fill = fills[subject] = self._fill(state)
                stats += self.writer.stats(subject, state.key, groups, fill)
                tags = [self.library.tags[subject][o.name] for o in state.plan.outputs()]
                if (set(state.placements) != set(registry.placements(self.spark, self.settings, subject))
                        or fill != registry.fills(self.spark, self.settings, subject)):
                    registry.save_placements(self.spark, self.settings, subject, state.placements,
                                             {o.name: o.type for o in state.plan.outputs()},
                                             {t.name: t.family for t in tags}, self.date, fill)
                hashes = {t.name: self.library.definition_hash(t) for t in tags}
                changes[subject] = registry.record_versions(self.spark, self.settings, subject, tags, hashes, self.date)
                rows = next((r[3] for r in stats if r[1] == subject), 0)
                seconds = round(time.perf_counter() - state.started, 3)
                now = dt.datetime.now()
                snapshots.append(registry.SnapshotRecord(
                    subject, self.date, self.run_id, "complete", len(tags), rows, self.library.library_hash(subject, self.statuses),
                    self.writer.current_versions(subject, groups), seconds, now - dt.timedelta(seconds=seconds), now))
            where = f"subject IN ({subjects_sql}) AND snapshot_date = DATE'{self.date}'"
            registry.overwrite(self.spark, self.settings, registry.STATS_TABLE, stats, registry.STATS_SCHEMA, where)
            registry.record_snapshots(self.spark, self.settings, snapshots, where)
            current.count(subjects=len(states), stats=len(stats))
        results = []
        for state, record in zip(states, snapshots):
            subject = state.plan.subject
            groups = by_group(state.placements)
            expired = retention.enforce(self.spark, self.settings, subject)
            versions = self.writer.current_versions(subject, groups) if expired else record.group_versions
            latest = max((r.snapshot_date for r in registry.snapshots(self.spark, self.settings, subject)), default=self.date)
            views.publish(self.spark, self.settings, subject, state.key, groups, versions, latest,
                          f"{self.library.subjects[subject].display_name} tags, one row per {subject} per snapshot date",
                          fills[subject])
            results.append(SubjectResult(subject, self.date, record.tag_count, record.row_count, len(groups),
                                         state.rows_scanned, round(time.perf_counter() - state.started, 1),
                                         len(changes[subject]), expired, state.labels, state.warnings))
        return results


def parallel(fn, items: list, workers: int) -> list:
    """Run independent Spark jobs (group writes, statistics) concurrently; errors propagate."""
    from concurrent.futures import ThreadPoolExecutor

    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="taglake-write") as pool:
        return list(pool.map(fn, items))


def compute_tags(spark, settings: Settings, library: Library, date: dt.date, subjects: list[str] | None = None,
                 statuses: tuple[str, ...] | None = None) -> list[SubjectResult]:
    return TagRun(spark, settings, library, date, subjects, statuses).run()
