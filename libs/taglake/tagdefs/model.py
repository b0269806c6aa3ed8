"""The tag-definition model: the shape of subjects, sources, tag metadata and families.

Shape only (types, required fields, allowed values, no unknown keys); meaning (references resolve,
expressions parse, no cycles) is checked in `checking.py`. Each tag kind is one module under
`taglake.tagdefs.kinds` (its model and its checks) plus one builder under
`taglake.compiler.builders`; both are discovered, no central list names them.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union, get_args

from pydantic import Field, field_validator, model_validator

from taglake.core.model import Strict
from taglake.core.names import machine_name

ValueType = Literal["boolean", "int", "bigint", "double", "string", "date", "timestamp", "array<string>"]
VALUE_TYPES: tuple[str, ...] = get_args(ValueType)
TYPE_ALIASES = {"long": "bigint", "integer": "int", "float": "double", "bool": "boolean", "str": "string"}
NUMERIC_TYPES = ("int", "bigint", "double")
Layer = Literal["base", "business", "application"]
LAYERS: tuple[str, ...] = get_args(Layer)
Status = Literal["draft", "approved", "online", "offline", "deprecated"]
Frequency = Literal["daily", "weekly", "monthly"]
Agg = Literal["count", "sum", "avg", "min", "max", "count_distinct"]
COUNT_AGGS = ("count", "count_distinct")


def agg_type(agg: str) -> str:
    """Value type of an aggregate: counts are bigint, everything else double."""
    return "bigint" if agg in COUNT_AGGS else "double"


def value_type(declared: str) -> str:
    return TYPE_ALIASES.get(declared.lower(), declared.lower())


# ---------------------------------------------------------------------------------------------
# Subjects and sources
# ---------------------------------------------------------------------------------------------

class Relation(Strict):
    """How one subject reaches another: through a source's rows, or through a tag holding a key."""

    to: str
    source: str | None = None   # rows of this source carry both subjects' keys (many-to-many)
    tag: str | None = None      # a tag of this subject holding the other subject's key (one)
    description: str = ""

    @model_validator(mode="after")
    def _one_way(self) -> Relation:
        if (self.source is None) == (self.tag is None):
            raise ValueError("a relation needs exactly one of `source` (rows linking both subjects) or `tag` (a key-valued tag)")
        return self


class Population(Strict):
    """Which keys a subject has: every resolved person (identity) or the keys of a source."""

    source: str | None = None
    identity: bool = False
    where: str | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Population:
        if self.identity == (self.source is not None):
            raise ValueError("population needs exactly one of `identity: true` or `source: <name>`")
        return self


class Subject(Strict):
    display_name: str
    description: str = ""
    key: str
    population: Population
    relations: dict[str, Relation] = Field(default_factory=dict)

    _check_key = field_validator("key")(machine_name)


class IdentityKey(Strict):
    """Rows map to a person through the OneID mapping: try identifier columns in order."""

    identity: dict[str, str] = Field(min_length=1)  # id_type -> column, in order of preference


class Lookup(Strict):
    """A dimension joined onto the source rows (e.g. products onto order lines), by key."""

    table: str
    on: str
    columns: list[str] = Field(min_length=1)


class Source(Strict):
    table: str | None = None
    path: str | None = None
    description: str = ""
    time: str | None = None           # event time column; windows and recency use it
    where: str | None = None          # rows outside it are never seen by any tag
    keys: dict[str, str | IdentityKey] = Field(min_length=1)   # subject -> key column | identity mapping
    lookups: list[Lookup] = Field(default_factory=list)
    #: events: rows are facts that keep their time (orders, logins), so tags can be recomputed as of
    #: any past date; overwritten: rows are current records updated in place (CRM profiles) whose
    #: past values are gone. Model training reads this (docs/models.md); tag values never do.
    history: Literal["events", "overwritten"] = "events"

    @model_validator(mode="after")
    def _table_or_path(self) -> Source:
        if (self.table is None) == (self.path is None):
            raise ValueError("a source needs exactly one of `table` (catalog name) or `path` (Delta location)")
        return self


# ---------------------------------------------------------------------------------------------
# Tags: common metadata, then one class per kind
# ---------------------------------------------------------------------------------------------

class Visibility(Strict):
    business_lines: list[str] = Field(default_factory=lambda: ["*"])
    regions: list[str] = Field(default_factory=lambda: ["*"])


class TagMeta(Strict):
    name: str
    display_name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    subject: str
    layer: Layer | None = None  # default depends on kind
    category: list[str] = Field(min_length=1)
    owner: str = Field(min_length=1)
    business_line: str = Field(min_length=1)
    visibility: Visibility = Field(default_factory=Visibility)
    status: Status = "draft"
    type: str | None = None  # default depends on kind
    domain: list[Any] | None = None   # allowed values (enumerations)
    unit: str | None = None
    frequency: Frequency = "daily"
    version: int = Field(1, ge=1)
    default: Any = None   # value for subjects without rows (count-like tags default to 0)

    #: What a kind module sets: its layer when the tag gives none.
    default_layer: ClassVar[str] = "business"

    _check_tag_name = field_validator("name")(machine_name)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value_type(value)
        if value not in VALUE_TYPES:
            raise ValueError(f"{value!r} is not a value type (allowed: {', '.join(VALUE_TYPES)})")
        return value

    # -- what each kind defines (its module under taglake.tagdefs.kinds) ---------------------------

    def default_type(self) -> str:
        """Value type when the tag declares none."""
        return "string"

    def default_value(self) -> Any:
        """Value for subjects without rows when the tag declares no `default`."""
        return None

    def source_name(self) -> str | None:
        """The source whose rows the tag reads (None: it reads other tags)."""
        return getattr(self, "source", None)

    def check(self, ctx: Any) -> None:
        """Meaning checks (references, expressions, types) through a `checking.TagContext`:
        report problems, register parsed expressions and dependencies. Nothing is written here."""


class WindowMixin(Strict):
    #: Days ending on the snapshot date, inclusive: 30 = the snapshot date and the 29 days before.
    window: int | Literal["all"] = "all"
    where: str | None = None

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> Any:
        if isinstance(value, str) and value.endswith("d") and value[:-1].isdigit():
            value = int(value[:-1])
        if isinstance(value, int) and not isinstance(value, bool) and value < 1:
            raise ValueError(f"window {value} must be at least 1 day (or 'all')")
        return value


class Case(Strict):
    when: str
    then: Any


# ---------------------------------------------------------------------------------------------
# Families: one definition expanding over dimensions into many tags
# ---------------------------------------------------------------------------------------------

class Discover(Strict):
    """Values found in data, frozen in tagdefs/families.lock.yaml by `taglake discover`."""

    table: str | None = None       # a dimension table (catalog name); default: the family's source
    column: str | None = None      # default: the dimension's column
    limit: int = Field(500, ge=1, le=10_000)
    order_by: Literal["rows", "value"] = "rows"   # most frequent first, or alphabetical
    where: str | None = None


class Dimension(Strict):
    column: str                                   # expression on the source rows
    values: list[str] | None = None               # a static list ...
    discover: Discover | None = None              # ... or values found in data (frozen in the lock file)
    labels: dict[str, str] = Field(default_factory=dict)   # value -> display label (default: the value)

    @model_validator(mode="after")
    def _values_or_discover(self) -> Dimension:
        if (self.values is None) == (self.discover is None):
            raise ValueError("a dimension needs exactly one of `values` (a list) or `discover` (find them in data)")
        if self.values is not None and len(self.values) != len(set(self.values)):
            raise ValueError("`values` lists a value twice")
        return self


class Metric(Strict):
    agg: Agg
    value: str | None = None
    display: str
    type: str | None = None
    unit: str | None = None

    @model_validator(mode="after")
    def _value_needed(self) -> Metric:
        if self.agg != "count" and not self.value:
            raise ValueError(f"agg {self.agg!r} needs a `value` expression")
        return self


class FamilyBase(Strict):
    name: str
    subject: str
    display_name: str          # template, e.g. "近{window}天{category}消费金额"
    description: str           # template
    tag_name: str              # template for generated machine names, e.g. "cat_{category}_{metric}_{window}d"
    layer: Layer | None = None
    category: list[str] = Field(min_length=1)
    owner: str = Field(min_length=1)
    business_line: str = Field(min_length=1)
    visibility: Visibility = Field(default_factory=Visibility)
    status: Status = "draft"
    frequency: Frequency = "daily"
    version: int = Field(1, ge=1)
    by: dict[str, Dimension] = Field(min_length=1)

    _check_family_name = field_validator("name")(machine_name)


class StatFamily(FamilyBase):
    """metric x dimension values x windows, computed in long form and pivoted."""

    kind: Literal["stat"]
    source: str
    where: str | None = None
    windows: list[int | Literal["all"]] = Field(min_length=1)
    metrics: dict[str, Metric] = Field(min_length=1)


class RecencyFamily(FamilyBase):
    """Days since the last (or first) event per dimension value."""

    kind: Literal["recency"]
    source: str
    where: str | None = None
    pick: Literal["first", "last"] = "last"


class RuleFamily(FamilyBase):
    """One boolean rule per dimension value; `{dim}` in `expr` is replaced by the value's code."""

    kind: Literal["rule"]
    expr: str


FamilyDef = Annotated[Union[StatFamily, RecencyFamily, RuleFamily], Field(discriminator="kind")]
FAMILY_MODELS: dict[str, type[FamilyBase]] = {"stat": StatFamily, "recency": RecencyFamily, "rule": RuleFamily}


class Defaults(Strict):
    """File-level defaults merged into every tag and family of the file."""

    subject: str | None = None
    owner: str | None = None
    business_line: str | None = None
    category: list[str] | None = None
    status: Status | None = None
    layer: Layer | None = None
    visibility: Visibility | None = None
    frequency: Frequency | None = None


#: Top-level keys a library file may hold.
FILE_SECTIONS = ("subjects", "sources", "defaults", "tags", "families", "dictionaries")
