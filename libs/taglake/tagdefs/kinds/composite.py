"""composite: a business state built from several tags: an RFM cell, or ordered lifecycle stages."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from taglake.core.model import Strict
from taglake.tagdefs.kinds import tag_kind
from taglake.tagdefs.model import Case, TagMeta


class RfmThresholds(Strict):
    recency: float  # days: recent = an event in the last N days (days since < N, as `window: N`)
    frequency: float  # at least this is "frequent"
    monetary: float  # at least this is "high value"


class Rfm(Strict):
    recency: str  # a days-since tag
    frequency: str  # an order-count tag
    monetary: str  # a spend tag
    thresholds: RfmThresholds
    labels: dict[str, str] | None = None  # cell code (e.g. "111") -> label; defaults to the 8 classic cells


@tag_kind
class CompositeTag(TagMeta):
    """A business state built from several tags: an RFM cell, or ordered lifecycle stages."""

    kind: Literal["composite"]
    strategy: Literal["rfm", "stages"]
    rfm: Rfm | None = None
    stages: list[Case] | None = None
    otherwise: Any = Field(None, alias="else")

    position: ClassVar[int] = 70

    @model_validator(mode="after")
    def _strategy_fields(self) -> CompositeTag:
        if self.strategy == "rfm" and (self.rfm is None or self.stages is not None):
            raise ValueError("strategy 'rfm' needs an `rfm` block (recency, frequency, monetary, thresholds) and no `stages`")
        if self.strategy == "stages" and (not self.stages or self.rfm is not None):
            raise ValueError("strategy 'stages' needs a non-empty `stages` list and no `rfm` block")
        return self

    def check(self, ctx) -> None:
        if self.rfm is not None:
            for key in ("recency", "frequency", "monetary"):
                ctx.tag_ref(f"rfm.{key}", getattr(self.rfm, key), numeric=True)
            return
        ctx.cases("stages", self.stages or [], self.otherwise)
