"""The compiled plan: what Spark has to do, as data, with every expression already rendered to
Spark SQL text (handing SQL text to the JVM in one call per batch is seconds cheaper per thousand
tags than building Column objects one Py4J round trip at a time).

Row-level names the engine provides when it reads a source:
    __key            the subject's key (direct column, or the OneID resolved from identifiers)
    __snapshot_date  the snapshot date, as a DATE literal column
    __days_ago       whole days between the row's time and the snapshot date (0 = that day)
    __time           the source's time column (rows after the snapshot date are never read)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

KEY = "__key"
SNAPSHOT = "__snapshot_date"
DAYS_AGO = "__days_ago"
TIME = "__time"
RELATED = "__related"     # the related subject's key in cross-subject steps
DIM = "__dim"             # the dimension value in preference steps
DIM_ID = "__dim_id"       # which of a preference step's dimensions a row is about


@dataclass(frozen=True)
class Output:
    """One tag column a step produces: its SQL (aggregate or row-level), type and default."""

    name: str
    sql: str
    type: str
    default: object = None


@dataclass(frozen=True)
class SourceRead:
    """How to read a source's rows for a subject: table, dimension lookups, filter, key, time."""

    source: str
    table: str                                   # qualified catalog name, or delta.`path`
    lookups: tuple[tuple[str, str, tuple[str, ...]], ...]   # (table, on column, columns)
    where_sql: str | None
    key_column: str | None                       # direct key column, or None when identity-mapped
    identity: tuple[tuple[str, str], ...]        # (id_type, column) in order of preference
    time_column: str | None
    columns: tuple[str, ...]                     # source columns the step's expressions read


@dataclass
class AggregateStep:
    """One scan of a source, one GROUP BY key: every scalar tag of the subject on that source."""

    subject: str
    read: SourceRead
    outputs: list[Output]
    kind: str = "aggregate"
    order: ClassVar[int] = 0   # place among a depth's steps (plan order decides column groups)


@dataclass
class PreferenceStep:
    """Two phases over one source: each row is expanded once per dimension (DIM_ID, DIM), measures
    are aggregated per (key, DIM_ID, DIM), then each tag picks per key. All preference tags of a
    subject on a source share one pass, whatever their dimensions."""

    subject: str
    read: SourceRead
    dimensions: list[str]                        # dimension SQL, indexed by DIM_ID
    measures: list[tuple[str, str]]              # (alias, aggregate SQL) in phase 1, null outside its DIM_ID
    outputs: list[Output]                        # phase 2 SQL over DIM and the measure aliases
    kind: str = "preference"
    order: ClassVar[int] = 1


@dataclass(frozen=True)
class FamilyCell:
    tag: str
    values: tuple[str, ...]                      # one value per dimension
    window: int | str | None
    metric: str | None


@dataclass
class FamilyStep:
    """A grid of tags computed in long form: GROUP BY (key, dimension values, window bucket), then
    pivoted to one column per cell. Each event touches a handful of cells, not every tag."""

    subject: str
    read: SourceRead
    family: str
    family_kind: str                             # stat | recency
    dimensions: list[tuple[str, str, tuple[str, ...]]]   # (name, SQL, values)
    where_sql: str | None
    windows: list[int | str]
    metrics: list[tuple[str, str, str | None, str]]      # (name, agg, value SQL, type)
    pick: str | None                             # recency: first | last
    cells: list[FamilyCell]
    outputs: list[Output]                        # metadata of each cell's column (sql = standalone form)
    kind: str = "family"
    order: ClassVar[int] = 2


@dataclass(frozen=True)
class Threshold:
    """A population statistic a derived tag needs before it can be computed: one cut of a
    percentile bucket (taglake.compute.percentiles places the cuts of a bucket together)."""

    placeholder: str                             # e.g. p_spend_tier_0, substituted as a number
    input: str                                   # tag column
    fraction: float                              # share of the population before the cut
    where_sql: str | None = None
    tag: str = ""                                # the bucket tag the cut belongs to
    labels: tuple[str, ...] = ()                 # all the bucket's labels, in order


@dataclass
class DerivedStep:
    """Row-level expressions over tags already computed (rules, buckets, composites): one select."""

    subject: str
    outputs: list[Output]
    inputs: set[str] = field(default_factory=set)
    thresholds: list[Threshold] = field(default_factory=list)
    kind: str = "derived"
    order: ClassVar[int] = 3


@dataclass
class CrossLookupStep:
    """Tags read from a related subject through a key-holding tag (member -> home store)."""

    subject: str
    related: str
    key_tag: str
    outputs: list[Output]                        # SQL over the related subject's tag columns
    related_inputs: set[str] = field(default_factory=set)
    kind: str = "cross_lookup"
    order: ClassVar[int] = 4


@dataclass
class CrossAggregateStep:
    """Aggregates over the distinct related subjects reached through a source's rows in a window
    (store -> its members), reading the related subject's tags."""

    subject: str
    related: str
    read: SourceRead                             # rows carrying this subject's key
    related_read: SourceRead                     # the same rows, keyed by the related subject
    window: int | str
    where_sql: str | None
    outputs: list[Output]                        # aggregate SQL over RELATED and related tag columns
    related_inputs: set[str] = field(default_factory=set)
    kind: str = "cross_aggregate"
    order: ClassVar[int] = 5


#: The built-in step types; a kind may bring its own (a dataclass with `subject`, `outputs`, `kind`,
#: `order`, placed by its contribution and run by a runner registered in `taglake.compute.runners`).
Step = AggregateStep | PreferenceStep | FamilyStep | DerivedStep | CrossLookupStep | CrossAggregateStep


@dataclass
class Population:
    subject: str
    identity: bool
    read: SourceRead | None                      # rows whose keys are the subject's members
    where_sql: str | None


@dataclass
class SubjectPlan:
    subject: str
    key: str
    population: Population
    steps: list[tuple[int, Step]]                # (depth, step); depth 0 reads sources

    def outputs(self) -> list[Output]:
        return [o for _depth, step in self.steps for o in step.outputs]


@dataclass
class Plan:
    subjects: dict[str, SubjectPlan]
    depths: int
    statuses: tuple[str, ...]

    def tag_count(self) -> int:
        return sum(len(p.outputs()) for p in self.subjects.values())

    def subject_order(self) -> list[str]:
        """Subjects in the order their depth-0 work can start (all can; kept stable by name)."""
        return sorted(self.subjects)
