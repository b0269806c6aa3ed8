"""bucket: ranges or population percentiles of a numeric tag, as labels."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import model_validator

from taglake.core.model import Strict
from taglake.tagdefs.kinds import tag_kind
from taglake.tagdefs.model import TagMeta


class BucketRange(Strict):
    label: str
    below: float | None = None  # upper bound (exclusive); the last range may omit it


@tag_kind
class BucketTag(TagMeta):
    """Ranges or population percentiles of a numeric tag, as labels."""

    kind: Literal["bucket"]
    input: str  # a numeric tag of the same subject
    ranges: list[BucketRange] | None = None
    percentiles: list[BucketRange] | None = None  # `below` in (0, 1]: share of the population
    where: str | None = None  # percentiles over the subjects matching it (over tags)

    position: ClassVar[int] = 50

    @model_validator(mode="after")
    def _one_scheme(self) -> BucketTag:
        scheme = self.ranges if self.ranges is not None else self.percentiles
        if (self.ranges is None) == (self.percentiles is None):
            raise ValueError("a bucket needs exactly one of `ranges` or `percentiles`")
        assert scheme is not None
        if len(scheme) < 2:
            raise ValueError("a bucket needs at least two labels")
        bounds = [r.below for r in scheme[:-1]]
        if any(b is None for b in bounds):
            raise ValueError("every range but the last needs `below`")
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):  # type: ignore[type-var]
            raise ValueError(f"`below` bounds must increase strictly, got {bounds}")
        if self.percentiles is not None and not all(0 < b <= 1 for b in bounds):  # type: ignore[operator]
            raise ValueError(f"percentile bounds are shares between 0 and 1, got {bounds}")
        return self

    def check(self, ctx) -> None:
        ctx.tag_ref("input", self.input, numeric=True)
        if self.where:
            ctx.tag_expr("where", self.where, boolean=True)
