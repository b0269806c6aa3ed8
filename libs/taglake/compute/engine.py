"""Compute a snapshot of tags: the compiled plan, depth by depth, into column-group Delta tables.

Order of work for one run (one snapshot date, one or more subjects):
  depth 0   per subject and source table: the table is read and keyed once (persisted; sources
            that filter the same table share the read), then every scan step on it runs — one GROUP BY for its scalar tags, preference steps, and its
            families in long form, each family column group written as soon as it is computed;
            the scalar results are joined to the subject's population: the *core* frame.
  depth d   per subject: derived tags as one select over the core (plus any family columns they
            read), cross-subject tags from related subjects' cores (or their stored snapshot when
            the related subject is not part of this run); checkpointed after every depth.
  finally   core tags written to their column groups, statistics, registry (with every group's files),
            then the serving manifest is published — the moment readers switch to the new snapshot.
Re-running a date replaces that date in every group (replaceWhere): idempotent.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from taglake.compiler import compile_library
from taglake.compiler.plan import (
    KEY,
    SNAPSHOT,
    AggregateStep,
    CrossAggregateStep,
    CrossLookupStep,
    DerivedStep,
    FamilyStep,
    Output,
    Plan,
    PreferenceStep,
    SubjectPlan,
)
from taglake.compute import families as fam
from taglake.compute import steps as run_step
from taglake.compute.parallel import parallel
from taglake.compute.runners import runner, runner_for
from taglake.compute.sources import resolved_rows
from taglake.compute.writer import GroupWriter
from taglake.core.expressions import quote_identifier as q
from taglake.core.expressions import quote_literal
from taglake.errors import DataError
from taglake.ops.faults import checkpoint
from taglake.ops.scratch import delete, run_folder
from taglake.pipeline import new_run_id
from taglake.progress import step as progress
from taglake.settings import Settings
from taglake.snapshots import read as snapshot_read
from taglake.snapshots import registry, retention, serving
from taglake.snapshots.layout import Placement, assign, by_group, sparse_allowed
from taglake.tagdefs.library import Library

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
    """One subject's run: what the plan and the placements imply is derived once, here."""

    plan: SubjectPlan
    key: str                              # key column name in the tag tables
    population: DataFrame | None = None
    core: DataFrame | None = None         # __key + core tags computed so far
    placements: dict[str, Placement] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)   # column group -> its tags (placement order)
    types: dict[str, str] = field(default_factory=dict)          # tag -> value type
    sparse: bool = False                  # family groups may leave out subjects without data
    fill: dict[str, str] = field(default_factory=dict)           # tag -> SQL default where a sparse group has no row
    family_tags: set[str] = field(default_factory=set)
    written: dict[str, int] = field(default_factory=dict)   # group -> Delta version written
    files: dict[str, list[dict]] = field(default_factory=dict)   # group -> files written (by key bucket)
    buckets: int = 1                      # key buckets of every group of this snapshot
    rows_scanned: int = 0
    labels: dict[str, dict[str, int]] = field(default_factory=dict)   # percentile bucket -> label -> members
    warnings: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def place(self, placements: dict[str, Placement]) -> None:
        self.placements = placements
        self.groups = by_group(placements)
        self.sparse = sparse_allowed(self.groups)
        # Long-form family tags with a default (counts) read it where a sparse group has no row,
        # when the subject's base group is a dense core group.
        self.fill = {o.name: quote_literal(o.default) for _d, step in self.plan.steps if isinstance(step, FamilyStep)
                     for o in step.outputs if o.default is not None} if self.sparse else {}

    def groups_of(self, tags: list[str]) -> dict[str, list[str]]:
        return by_group({t: self.placements[t] for t in tags})


class TagRun:
    def __init__(self, spark, settings: Settings, library: Library, date: dt.date,
                 subjects: list[str] | None = None, statuses: tuple[str, ...] | None = None, run_id: str | None = None):
        self.spark, self.settings, self.library, self.date = spark, settings, library, date
        self.statuses = tuple(statuses or settings.tags.statuses)
        wanted = set(subjects) if subjects else None
        unknown = sorted((wanted or set()) - set(library.subjects))
        if unknown:
            raise DataError(f"unknown subject(s) {', '.join(unknown)}; subjects: {', '.join(sorted(library.subjects))}")
        self.plan: Plan = compile_library(library, self.statuses, wanted)
        self.subjects = sorted(wanted if wanted else self.plan.subjects)
        self.subjects = [s for s in self.subjects if s in self.plan.subjects]
        self.run_id = run_id or new_run_id()
        self._long_forms = f"{run_folder(settings, self.run_id)}/long"     # scratch, dropped at the end
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
        delete(self.spark, self._long_forms)

    def _prepare(self, subject: str) -> _State:
        plan = self.plan.subjects[subject]
        key = self.library.subjects[subject].key
        outputs = plan.outputs()
        clash = [o.name for o in outputs if o.name in (key, "snapshot_date")]
        if clash:
            raise DataError(f"tag name(s) {', '.join(clash)} of {subject} collide with the key or snapshot_date column")
        state = _State(plan, key, types={o.name: o.type for o in outputs})
        tags = self.library.tags[subject]
        ordered = [(o.name, tags[o.name].group_family) for o in outputs]
        state.place(assign(ordered, registry.placements(self.spark, self.settings, subject), self.settings.tags.group_size))
        state.family_tags = {name for name, family in ordered if family}
        with progress(f"tags[{subject}] population") as current:
            state.population = self._checkpoint(self.population(plan))
            rows = state.population.count()
            state.buckets = serving.bucket_count(rows, self.settings.tags.rows_per_bucket)
            current.count(rows=rows, buckets=state.buckets)
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
                    part = runner_for(step, scan=True)(self, state, step_rows, step)
                    if part is not None:
                        parts.append(part)
                        outputs += step.outputs
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
        sparse = state.sparse
        if sparse:   # long rows of subjects outside the population (a filtered one) never reach a group
            long = long.join(state.population, on=KEY, how="left_semi")
        path = f"{self._long_forms}/{step.family}"
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
            result = runner_for(step, scan=False)(self, state, step, states, keep)
            family_out = [o.name for o in step.outputs if o.name in state.family_tags]
            if family_out:
                for group, tags in state.groups_of(family_out).items():
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
        for group, cols in state.groups_of(tags).items():
            table = self.writer.table(state.plan.subject, group)
            part = self.spark.sql(f"SELECT {q(state.key)} AS {q(KEY)}, {', '.join(map(q, cols))} FROM {table} "
                                  f"WHERE snapshot_date = DATE'{self.date}'")
            frame = frame.join(part, on=KEY, how="left")
        return snapshot_read.with_fill(frame, KEY, tags, state.fill, state.types)

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
        columns = state.groups[group]
        types = state.types
        comments = {n: self.library.tags[state.plan.subject][n].display_name for n in columns if n in self.library.tags[state.plan.subject]}
        stats_cols = self.settings.tags.stats_columns.get(state.plan.subject, [])
        written = self.writer.write(state.plan.subject, state.key, group, frame, columns, types, comments, stats_cols,
                                    state.buckets)
        state.written[group] = written.version
        state.files[group] = written.files
        current.count(rows=written.rows, tags=len([c for c in columns if c in frame.columns]), version=written.version)

    def _write_core(self, state: _State) -> None:
        def write(group: str) -> None:
            with progress(f"tags[{state.plan.subject}] group {group}") as current:
                self._write_group(state, group, state.core, current)

        parallel(write, [g for g in state.groups if g not in state.written], self.settings.tags.parallel_writes)

    def _finish(self, states: list[_State]) -> list[SubjectResult]:
        """Registry for every subject in one commit per table, then retention and the serving
        manifests: readers switch to the new snapshots only now."""
        names = [s.plan.subject for s in states]
        subjects_sql = ", ".join(f"'{n}'" for n in names)
        stats, snapshots, changes, fills = [], [], {}, {}
        with progress("tags: statistics and registry") as current:
            for state in states:
                subject = state.plan.subject
                groups = state.groups
                fill = fills[subject] = state.fill
                stats += self.writer.stats(subject, state.key, groups, fill)
                tags = [self.library.tags[subject][o.name] for o in state.plan.outputs()]
                if (set(state.placements) != set(registry.placements(self.spark, self.settings, subject))
                        or fill != registry.fills(self.spark, self.settings, subject)):
                    registry.save_placements(self.spark, self.settings, subject, state.placements, state.types,
                                             {t.name: t.family for t in tags}, self.date, fill)
                hashes = {t.name: self.library.definition_hash(t) for t in tags}
                changes[subject] = registry.record_versions(self.spark, self.settings, subject, tags, hashes, self.date)
                rows = next((r[3] for r in stats if r[1] == subject), 0)
                seconds = round(time.perf_counter() - state.started, 3)
                now = dt.datetime.now()
                snapshots.append(registry.SnapshotRecord(
                    subject, self.date, self.run_id, "complete", len(tags), rows, self.library.library_hash(subject, self.statuses),
                    self.writer.current_versions(subject, groups), seconds, now - dt.timedelta(seconds=seconds), now,
                    state.buckets, json.dumps({g: state.files.get(g, []) for g in groups}, separators=(",", ":"))))
            where = f"subject IN ({subjects_sql}) AND snapshot_date = DATE'{self.date}'"
            checkpoint("tags:registry")
            registry.overwrite(self.spark, self.settings, registry.STATS_TABLE, stats, registry.STATS_SCHEMA, where)
            registry.record_snapshots(self.spark, self.settings, snapshots, where)
            current.count(subjects=len(states), stats=len(stats))
        results = []
        for state, record in zip(states, snapshots):
            subject = state.plan.subject
            groups = state.groups
            expired = retention.enforce(self.spark, self.settings, subject)
            tags = self.library.tags[subject]
            checkpoint(f"publish:{subject}")
            serving.publish(self.spark, self.settings, subject, state.key,
                            {name: tag.display_name for name, tag in tags.items()},
                            f"{self.library.subjects[subject].display_name} tags")
            results.append(SubjectResult(subject, self.date, record.tag_count, record.row_count, len(groups),
                                         state.rows_scanned, round(time.perf_counter() - state.started, 1),
                                         len(changes[subject]), expired, state.labels, state.warnings))
        return results


# -- the built-in step types' runners (a kind with its own step type registers its own) -----------

@runner(AggregateStep, scan=True)
def _aggregate(run: TagRun, state: _State, rows: DataFrame, step: AggregateStep) -> DataFrame:
    return run_step.aggregate(run.spark, rows, step)


@runner(PreferenceStep, scan=True)
def _preference(run: TagRun, state: _State, rows: DataFrame, step: PreferenceStep) -> DataFrame:
    return run_step.preference(run.spark, rows, step)


@runner(FamilyStep, scan=True)
def _family(run: TagRun, state: _State, rows: DataFrame, step: FamilyStep) -> None:
    run._family(state, rows, step)   # writes its own column groups


@runner(DerivedStep, scan=False)
def _derived(run: TagRun, state: _State, step: DerivedStep, states: dict[str, _State], keep: list[str]) -> DataFrame:
    family_inputs = sorted(i for i in step.inputs if i in state.family_tags)
    # Derived expressions may read `snapshot_date`: bound as a literal column.
    frame = state.core.select("*", F.lit(run.date).alias(SNAPSHOT))
    if family_inputs:
        frame = frame.join(run._stored_tags(state, family_inputs), on=KEY, how="left")
    result, cuts = run_step.derived(run.spark, frame, step, keep)
    run._label_counts(state, cuts)
    return result


@runner(CrossLookupStep, scan=False)
def _cross_lookup(run: TagRun, state: _State, step: CrossLookupStep, states: dict[str, _State], keep: list[str]) -> DataFrame:
    related = run.related_tags(step.related, sorted(step.related_inputs), states)
    return run_step.cross_lookup(run.spark, state.core, step, related, keep)


@runner(CrossAggregateStep, scan=False)
def _cross_aggregate(run: TagRun, state: _State, step: CrossAggregateStep, states: dict[str, _State], keep: list[str]) -> DataFrame:
    related = run.related_tags(step.related, sorted(step.related_inputs), states)
    pairs = run._rows(step.read, step.related_read)
    part = run_step.cross_aggregate(run.spark, pairs, step, related)
    return run_step.with_defaults(state.core, [part], step.outputs, keep=keep)


def compute_tags(spark, settings: Settings, library: Library, date: dt.date, subjects: list[str] | None = None,
                 statuses: tuple[str, ...] | None = None, run_id: str | None = None) -> list[SubjectResult]:
    return TagRun(spark, settings, library, date, subjects, statuses, run_id).run()
