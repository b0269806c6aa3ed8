"""The shape of segment definitions (tagdefs/segments/*.yaml): one pydantic model per block.

Shape only (required keys, types, allowed values, no unknown keys); what a rule means (tags exist,
types agree, values are in the tag's domain, the business line may see the tag, no cycles) is
checked in `validate.py`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from taglake.core.model import Strict
from taglake.core.names import machine_name

GROUP_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
STATUSES = ("draft", "active", "paused")
HOLDOUT = "holdout"
#: Splits are drawn in basis points: a percentage may have at most two decimals (12.25%).
SPLIT_SCALE = 10_000




def _percent(value: float, what: str) -> float:
    if not 0 < value < 100:
        raise ValueError(f"{what} {value} must be a percentage between 0 and 100")
    if abs(value * 100 - round(value * 100)) > 1e-9:
        raise ValueError(f"{what} {value} has more than two decimals (splits are drawn in 0.01% steps)")
    return value


class Top(Strict):
    """Keep the first N (or N%) members of the segment ordered by a tag; ties go to the smaller key."""

    by: str
    n: int | None = Field(None, ge=1)
    percent: float | None = None
    order: Literal["desc", "asc"] = "desc"

    @model_validator(mode="after")
    def _n_or_percent(self) -> Top:
        if (self.n is None) == (self.percent is None):
            raise ValueError("top needs exactly one of `n` (a count) or `percent` (a share of the segment)")
        if self.percent is not None:
            _percent(self.percent, "top percent")
        return self


class Split(Strict):
    """Deterministic groups: each member's group is a hash of (salt, subject key), so it never
    changes between runs, whoever else enters or leaves the segment."""

    groups: dict[str, float] = Field(min_length=1)   # group name -> percent
    holdout: float = 0                               # percent kept out of every send (control group)
    salt: str | None = None                          # default: the segment name

    @field_validator("groups")
    @classmethod
    def _groups(cls, groups: dict[str, float]) -> dict[str, float]:
        for name, percent in groups.items():
            if not GROUP_RE.match(name):
                raise ValueError(f"group name {name!r} must be letters, digits and _ (starting with a letter)")
            if name == HOLDOUT:
                raise ValueError(f"{HOLDOUT!r} is reserved: give its share with `holdout: <percent>`")
            _percent(percent, f"group {name}")
        return groups

    @field_validator("holdout")
    @classmethod
    def _holdout(cls, value: float) -> float:
        return value if value == 0 else _percent(value, "holdout")

    @model_validator(mode="after")
    def _sums_to_100(self) -> Split:
        total = round(sum(self.groups.values()) + self.holdout, 6)
        if total != 100:
            parts = " + ".join(f"{k} {v:g}" for k, v in self.groups.items()) + (f" + holdout {self.holdout:g}" if self.holdout else "")
            raise ValueError(f"split shares must add up to 100, got {parts} = {total:g}")
        return self

    def shares(self) -> list[tuple[str, int]]:
        """(group, basis points) in declaration order, the holdout last."""
        out = [(name, round(p * 100)) for name, p in self.groups.items()]
        if self.holdout:
            out.append((HOLDOUT, round(self.holdout * 100)))
        return out


class SegmentSpec(Strict):
    name: str
    display_name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    business_line: str = Field(min_length=1)
    subject: str = "member"
    status: Literal["draft", "active", "paused"] = "active"
    rule: str | None = None
    union: list[str] | None = Field(None, min_length=2)
    intersect: list[str] | None = Field(None, min_length=2)
    except_: list[str] | None = Field(None, alias="except", min_length=2)
    top: Top | None = None
    split: Split | None = None
    #: Tags `taglake profile` shows when --tags is not given.
    profile_tags: list[str] = Field(default_factory=list)

    _check_name = field_validator("name")(machine_name)

    @model_validator(mode="after")
    def _one_base(self) -> SegmentSpec:
        given = [k for k in ("rule", "union", "intersect", "except_") if getattr(self, k) is not None]
        if len(given) != 1:
            named = ", ".join("except" if k == "except_" else k for k in given) or "none"
            raise ValueError("a segment needs exactly one of `rule` (a condition on tags), `union`, `intersect` "
                             f"or `except` (lists of segments); found {named}")
        return self

    @property
    def base_kind(self) -> str:
        for key in ("rule", "union", "intersect"):
            if getattr(self, key) is not None:
                return key
        return "except"

    @property
    def members_of(self) -> list[str]:
        """The segments a set operation combines (empty for a rule)."""
        return list(self.union or self.intersect or self.except_ or [])


class Defaults(Strict):
    """File-level defaults merged into every segment of the file."""

    subject: str | None = None
    owner: str | None = None
    business_line: str | None = None
    status: Literal["draft", "active", "paused"] | None = None


FILE_SECTIONS = ("defaults", "segments")
