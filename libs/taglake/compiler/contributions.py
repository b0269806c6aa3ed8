"""What a builder hands the compiler: the SQL one tag adds to one kind of step."""

from __future__ import annotations

from dataclasses import dataclass, field

from taglake.compiler.plan import FamilyCell, Threshold


@dataclass(frozen=True)
class ScanSql:
    """An aggregate over the subject's rows of `source` (joins the source's AggregateStep)."""

    source: str
    sql: str
    columns: frozenset[str] = frozenset()


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


@dataclass(frozen=True)
class RowSql:
    """A row-level expression over the subject's other tags."""

    sql: str
    thresholds: tuple[Threshold, ...] = ()


@dataclass(frozen=True)
class LookupSql:
    """An expression over a related subject's tags, reached through a key-holding tag."""

    relation: str
    related: str
    key_tag: str
    sql: str
    related_inputs: frozenset[str] = frozenset()


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


@dataclass(frozen=True)
class FamilySql:
    """One cell of a family grid; the compiler gathers a family's cells into one FamilyStep."""

    family: str
    cell: FamilyCell
    standalone_sql: str          # empty: built on demand by builders.family.standalone_sql
    source: str = ""
    columns: frozenset[str] = field(default_factory=frozenset)


Contribution = ScanSql | PreferenceSql | RowSql | LookupSql | RelatedAggregateSql | FamilySql
