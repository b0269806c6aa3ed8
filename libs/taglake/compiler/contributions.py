"""What a builder hands the compiler: the SQL one tag adds to one kind of step.

Each contribution places itself into the plan (`place`): it finds or opens its step in the
`StepBook` and adds its output there. `scan = True` marks contributions that read source rows
(depth 0); the others run once everything they depend on is computed. A kind that needs a new
kind of step defines its contribution (with `place`), its step and the step's runner
(`taglake.compute.runners`) next to its builder: the compiler and the engine need no edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from taglake.compiler import sqlkit
from taglake.compiler.plan import (
    DIM_ID,
    AggregateStep,
    CrossAggregateStep,
    CrossLookupStep,
    DerivedStep,
    FamilyCell,
    FamilyStep,
    Output,
    PreferenceStep,
    SourceRead,
    Threshold,
)

if TYPE_CHECKING:
    from taglake.tagdefs.library import Library, Tag


class StepBook:
    """The steps of a plan being compiled, by key, each with its dependency depth."""

    def __init__(self, library: Library, source_read: Callable[..., SourceRead]):
        self.library = library
        self.steps: dict[tuple, tuple[int, Any]] = {}
        self.memo: dict[tuple, Any] = {}  # per-step bookkeeping (shared measure aliases)
        self._source_read = source_read

    def step(self, key: tuple, depth: int, make: Callable[[], Any]) -> Any:
        """The step filed under `key` (its type name first), opened with `make` the first time."""
        entry = self.steps.get(key)
        if entry is None:
            entry = self.steps[key] = (depth, make())
        return entry[1]

    def read(self, source: str, subject: str, columns: frozenset[str] = frozenset()) -> SourceRead:
        return self._source_read(self.library, source, subject, columns)

    @staticmethod
    def output(tag: Tag, sql: str) -> Output:
        return Output(tag.name, sqlkit.cast(sql, tag.type), tag.type, tag.default)

    @staticmethod
    def widen(step: Any, columns: frozenset[str]) -> None:
        """Record source columns a step's expressions read (beyond keys, time and filter)."""
        extra = set(columns) - set(step.read.columns) - {"snapshot_date"}
        if extra:
            step.read = replace(step.read, columns=tuple(sorted(set(step.read.columns) | extra)))


@dataclass(frozen=True)
class ScanSql:
    """An aggregate over the subject's rows of `source` (joins the source's AggregateStep)."""

    source: str
    sql: str
    columns: frozenset[str] = frozenset()

    scan: ClassVar[bool] = True

    def place(self, tag: Tag, depth: int, book: StepBook) -> None:
        step = book.step(
            ("aggregate", tag.subject, self.source), depth, lambda: AggregateStep(tag.subject, book.read(self.source, tag.subject), [])
        )
        step.outputs.append(book.output(tag, self.sql))
        book.widen(step, self.columns)


@dataclass(frozen=True)
class PreferenceSql:
    """Phase 1 measures each (key, dimension value) — the sum of `measure_sql` (or the rows) where
    `condition_sql` holds — and phase 2 picks with `pick_sql` (`{m}` stands for the measure)."""

    source: str
    dimension_sql: str
    condition_sql: str | None
    measure_sql: str | None
    pick_sql: str
    columns: frozenset[str] = frozenset()

    scan: ClassVar[bool] = True

    def place(self, tag: Tag, depth: int, book: StepBook) -> None:
        key = ("preference", tag.subject, self.source)
        step = book.step(key, depth, lambda: PreferenceStep(tag.subject, book.read(self.source, tag.subject), [], [], []))
        if self.dimension_sql not in step.dimensions:
            step.dimensions.append(self.dimension_sql)
        dim_id = step.dimensions.index(self.dimension_sql)
        condition = sqlkit.all_of(f"{sqlkit.col(DIM_ID)} = {dim_id}", self.condition_sql)
        measure_sql = sqlkit.aggregate("sum" if self.measure_sql else "count", condition, self.measure_sql)
        alias = book.memo.get(key + (measure_sql,))
        if alias is None:
            alias = book.memo[key + (measure_sql,)] = f"__m{len(step.measures)}"
            step.measures.append((alias, measure_sql))
        step.outputs.append(book.output(tag, self.pick_sql.replace("{m}", sqlkit.col(alias))))
        book.widen(step, self.columns)


@dataclass(frozen=True)
class RowSql:
    """A row-level expression over the subject's other tags."""

    sql: str
    thresholds: tuple[Threshold, ...] = ()

    scan: ClassVar[bool] = False

    def place(self, tag: Tag, depth: int, book: StepBook) -> None:
        step = book.step(("derived", tag.subject, depth), depth, lambda: DerivedStep(tag.subject, []))
        sql = self.sql if tag.default is None else f"coalesce({self.sql}, {sqlkit.literal(tag.default)})"
        step.outputs.append(book.output(tag, sql))
        step.inputs |= {dep.name for dep in tag.deps if dep.subject == tag.subject}
        step.thresholds.extend(self.thresholds)


@dataclass(frozen=True)
class LookupSql:
    """An expression over a related subject's tags, reached through a key-holding tag."""

    relation: str
    related: str
    key_tag: str
    sql: str
    related_inputs: frozenset[str] = frozenset()

    scan: ClassVar[bool] = False

    def place(self, tag: Tag, depth: int, book: StepBook) -> None:
        step = book.step(
            ("cross_lookup", tag.subject, self.relation, depth), depth, lambda: CrossLookupStep(tag.subject, self.related, self.key_tag, [])
        )
        step.outputs.append(book.output(tag, self.sql))
        step.related_inputs |= self.related_inputs


@dataclass(frozen=True)
class RelatedAggregateSql:
    """An aggregate over the distinct related subjects reached through a source's rows."""

    relation: str
    related: str
    source: str
    window: int | str
    where_sql: str | None
    sql: str
    related_inputs: frozenset[str] = frozenset()
    columns: frozenset[str] = frozenset()

    scan: ClassVar[bool] = False

    def place(self, tag: Tag, depth: int, book: StepBook) -> None:
        def make() -> CrossAggregateStep:
            return CrossAggregateStep(
                tag.subject,
                self.related,
                book.read(self.source, tag.subject, self.columns),
                book.read(self.source, self.related, self.columns),
                self.window,
                self.where_sql,
                [],
            )

        step = book.step(("cross_aggregate", tag.subject, self.relation, self.window, self.where_sql, depth), depth, make)
        step.outputs.append(book.output(tag, self.sql))
        step.related_inputs |= self.related_inputs


@dataclass(frozen=True)
class FamilySql:
    """One cell of a family grid; the compiler gathers a family's cells into one FamilyStep (the
    cell's standalone SQL, for `explain` and the naive baseline: `builders.family.standalone_sql`)."""

    family: str
    cell: FamilyCell
    source: str = ""
    columns: frozenset[str] = field(default_factory=frozenset)

    scan: ClassVar[bool] = True

    def place(self, tag: Tag, depth: int, book: StepBook) -> None:
        step = book.step(("family", self.family), depth, lambda: family_step(tag, book))
        step.cells.append(self.cell)
        step.outputs.append(Output(tag.name, "", tag.type, tag.default))  # computed in long form


def family_step(tag: Tag, book: StepBook) -> FamilyStep:
    from taglake.tagdefs.loading import family_type
    from taglake.tagdefs.model import StatFamily

    family = tag.spec
    info = book.library.families[family.name]
    exprs = tag.exprs
    dims = [(d, sqlkit.source_sql(exprs[f"dim:{d}"]), tuple(info.values[d])) for d in family.by]
    where_sql = sqlkit.source_sql(exprs["where"]) if "where" in exprs else None
    columns = frozenset(c for p in exprs.values() for c in p.columns)
    read = book.read(family.source, family.subject, columns)
    if isinstance(family, StatFamily):
        metrics: list[tuple[str, str, str | None, str]] = [
            (name, m.agg, sqlkit.source_sql(exprs[f"metric:{name}"]) if m.value else None, family_type(family, m))
            for name, m in family.metrics.items()
        ]
        return FamilyStep(family.subject, read, family.name, "stat", dims, where_sql, list(family.windows), metrics, None, [], [])
    return FamilyStep(family.subject, read, family.name, "recency", dims, where_sql, [], [], family.pick, [], [])


class Contribution(Protocol):
    """What every builder returns: the built-in ones above, or a kind's own (the model kind's
    `ModelSql`), which places itself into a step type of its own."""

    scan: ClassVar[bool]

    def place(self, tag: Tag, depth: int, book: StepBook) -> None: ...
