"""The tag-definition model: the shape of subjects, sources, tags and families.

Shape only (types, required fields, allowed values, no unknown keys); meaning (references resolve,
expressions parse, no cycles) is checked in `validate.py`. One class per tag kind: adding a kind
means one model class here, one builder in `taglake.compiler.builders`, its tests and docs.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_NAME = 64
VALUE_TYPES = ("boolean", "int", "bigint", "double", "string", "date", "timestamp", "array<string>")
TYPE_ALIASES = {"long": "bigint", "integer": "int", "float": "double", "bool": "boolean", "str": "string"}
LAYERS = ("base", "business", "application")
STATUSES = ("draft", "approved", "online", "offline", "deprecated")
FREQUENCIES = ("daily", "weekly", "monthly")
AGGS = ("count", "sum", "avg", "min", "max", "count_distinct")
CROSS_AGGS = ("share", "count", "sum", "avg", "min", "max")


class Strict(BaseModel):
    """Unknown keys are errors: a typo in YAML must fail loudly, not be ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _check_name(value: str) -> str:
    if not NAME_RE.match(value):
        raise ValueError(f"{value!r} is not a machine name: use snake_case ASCII (a-z, 0-9, _), starting with a letter")
    if len(value) > MAX_NAME:
        raise ValueError(f"{value!r} is {len(value)} characters long; the limit is {MAX_NAME}")
    return value


MachineName = Annotated[str, Field(min_length=1)]


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

    _check_key = field_validator("key")(_check_name)


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
    layer: Literal["base", "business", "application"] | None = None  # default depends on kind
    category: list[str] = Field(min_length=1)
    owner: str = Field(min_length=1)
    business_line: str = Field(min_length=1)
    visibility: Visibility = Field(default_factory=Visibility)
    status: Literal["draft", "approved", "online", "offline", "deprecated"] = "draft"
    type: str | None = None  # default depends on kind
    domain: list[Any] | None = None   # allowed values (enumerations)
    unit: str | None = None
    frequency: Literal["daily", "weekly", "monthly"] = "daily"
    version: int = Field(1, ge=1)
    default: Any = None   # value for subjects without rows (count-like tags default to 0)

    _check_tag_name = field_validator("name")(_check_name)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = TYPE_ALIASES.get(value.lower(), value.lower())
        if value not in VALUE_TYPES:
            raise ValueError(f"{value!r} is not a value type (allowed: {', '.join(VALUE_TYPES)})")
        return value


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


class AttributeTag(TagMeta):
    """A value of a source column: the latest (or first) non-null one."""

    kind: Literal["attribute"]
    source: str
    value: str
    pick: Literal["latest", "first"] = "latest"
    where: str | None = None


class StatTag(TagMeta, WindowMixin):
    """count / sum / avg / min / max / count_distinct over a window, optionally filtered."""

    kind: Literal["stat"]
    source: str
    agg: Literal["count", "sum", "avg", "min", "max", "count_distinct"]
    value: str | None = None  # required except for count

    @model_validator(mode="after")
    def _value_needed(self) -> StatTag:
        if self.agg != "count" and not self.value:
            raise ValueError(f"agg {self.agg!r} needs a `value` expression")
        return self


class RecencyTag(TagMeta, WindowMixin):
    """First or last event time, or days since it (tenure, recency)."""

    kind: Literal["recency"]
    source: str
    pick: Literal["first", "last"] = "last"
    output: Literal["time", "date", "days_since"] = "days_since"


class PreferenceTag(TagMeta, WindowMixin):
    """The value a subject prefers: most frequent, top-N, or the top value's share."""

    kind: Literal["preference"]
    source: str
    dimension: str                       # expression giving the value (e.g. category_l1)
    measure: str | None = None           # summed per value; omitted = number of rows
    method: Literal["top", "top_n", "share"] = "top"
    n: int = Field(3, ge=1, le=50)


class BucketRange(Strict):
    label: str
    below: float | None = None   # upper bound (exclusive); the last range may omit it


class BucketTag(TagMeta):
    """Ranges or population percentiles of a numeric tag, as labels."""

    kind: Literal["bucket"]
    input: str                              # a numeric tag of the same subject
    ranges: list[BucketRange] | None = None
    percentiles: list[BucketRange] | None = None  # `below` in (0, 1]: share of the population
    where: str | None = None                # percentiles over the subjects matching it (over tags)

    @model_validator(mode="after")
    def _one_scheme(self) -> BucketTag:
        scheme = self.ranges if self.ranges is not None else self.percentiles
        if (self.ranges is None) == (self.percentiles is None):
            raise ValueError("a bucket needs exactly one of `ranges` or `percentiles`")
        if len(scheme) < 2:
            raise ValueError("a bucket needs at least two labels")
        bounds = [r.below for r in scheme[:-1]]
        if any(b is None for b in bounds):
            raise ValueError("every range but the last needs `below`")
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ValueError(f"`below` bounds must increase strictly, got {bounds}")
        if self.percentiles is not None and not all(0 < b <= 1 for b in bounds):
            raise ValueError(f"percentile bounds are shares between 0 and 1, got {bounds}")
        return self


class Case(Strict):
    when: str
    then: Any


class RuleTag(TagMeta):
    """A boolean expression over other tags, or an enumeration (first matching case wins)."""

    kind: Literal["rule"]
    expr: str | None = None
    cases: list[Case] | None = None
    otherwise: Any = Field(None, alias="else")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _expr_or_cases(self) -> RuleTag:
        if (self.expr is None) == (self.cases is None):
            raise ValueError("a rule needs exactly one of `expr` (boolean) or `cases` (enumeration)")
        return self


class RfmThresholds(Strict):
    recency: float      # days: recent = an event in the last N days (days since < N, as `window: N`)
    frequency: float    # at least this is "frequent"
    monetary: float     # at least this is "high value"


class Rfm(Strict):
    recency: str        # a days-since tag
    frequency: str      # an order-count tag
    monetary: str       # a spend tag
    thresholds: RfmThresholds
    labels: dict[str, str] | None = None   # cell code (e.g. "111") -> label; defaults to the 8 classic cells


class CompositeTag(TagMeta):
    """A business state built from several tags: an RFM cell, or ordered lifecycle stages."""

    kind: Literal["composite"]
    strategy: Literal["rfm", "stages"]
    rfm: Rfm | None = None
    stages: list[Case] | None = None
    otherwise: Any = Field(None, alias="else")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _strategy_fields(self) -> CompositeTag:
        if self.strategy == "rfm" and (self.rfm is None or self.stages is not None):
            raise ValueError("strategy 'rfm' needs an `rfm` block (recency, frequency, monetary, thresholds) and no `stages`")
        if self.strategy == "stages" and (not self.stages or self.rfm is not None):
            raise ValueError("strategy 'stages' needs a non-empty `stages` list and no `rfm` block")
        return self


class CrossTag(TagMeta, WindowMixin):
    """A tag computed from a related subject: its tag through a key (lookup), or an aggregate over
    the related subjects reached through a source's rows (each related subject counted once)."""

    kind: Literal["cross"]
    via: str                      # relation name of this tag's subject
    value: str                    # expression over the related subject's tags
    aggregate: Literal["share", "count", "sum", "avg", "min", "max"] | None = None  # required for source relations


TagDef = Annotated[
    Union[AttributeTag, StatTag, RecencyTag, PreferenceTag, BucketTag, RuleTag, CompositeTag, CrossTag],
    Field(discriminator="kind"),
]
TAG_KINDS = ("attribute", "stat", "recency", "preference", "bucket", "rule", "composite", "cross")

#: Default layer and value type per kind (a tag may override both).
KIND_DEFAULT_LAYER = {
    "attribute": "base", "stat": "base", "recency": "base", "preference": "business",
    "bucket": "business", "rule": "business", "composite": "business", "cross": "business",
}


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
    agg: Literal["count", "sum", "avg", "min", "max", "count_distinct"]
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
    layer: Literal["base", "business", "application"] | None = None
    category: list[str] = Field(min_length=1)
    owner: str = Field(min_length=1)
    business_line: str = Field(min_length=1)
    visibility: Visibility = Field(default_factory=Visibility)
    status: Literal["draft", "approved", "online", "offline", "deprecated"] = "draft"
    frequency: Literal["daily", "weekly", "monthly"] = "daily"
    version: int = Field(1, ge=1)
    by: dict[str, Dimension] = Field(min_length=1)

    _check_family_name = field_validator("name")(_check_name)


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
FAMILY_KINDS = ("stat", "recency", "rule")


class Defaults(Strict):
    """File-level defaults merged into every tag and family of the file."""

    subject: str | None = None
    owner: str | None = None
    business_line: str | None = None
    category: list[str] | None = None
    status: Literal["draft", "approved", "online", "offline", "deprecated"] | None = None
    layer: Literal["base", "business", "application"] | None = None
    visibility: Visibility | None = None
    frequency: Literal["daily", "weekly", "monthly"] | None = None


#: Top-level keys a library file may hold.
FILE_SECTIONS = ("subjects", "sources", "defaults", "tags", "families", "dictionaries")
