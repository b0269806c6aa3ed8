"""stat: count / sum / avg / min / max / count_distinct over a window, optionally filtered."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import model_validator

from taglake.tagdefs.kinds import tag_kind
from taglake.tagdefs.model import COUNT_AGGS, Agg, TagMeta, WindowMixin, agg_type


@tag_kind
class StatTag(TagMeta, WindowMixin):
    """count / sum / avg / min / max / count_distinct over a window, optionally filtered."""

    kind: Literal["stat"]
    source: str
    agg: Agg
    value: str | None = None  # required except for count

    position: ClassVar[int] = 20
    default_layer: ClassVar[str] = "base"

    @model_validator(mode="after")
    def _value_needed(self) -> StatTag:
        if self.agg != "count" and not self.value:
            raise ValueError(f"agg {self.agg!r} needs a `value` expression")
        return self

    def default_type(self) -> str:
        return agg_type(self.agg)

    def default_value(self) -> Any:
        return 0 if self.agg in COUNT_AGGS else None

    def check(self, ctx) -> None:
        ctx.source_rows(("value", "where"), windowed=self.window != "all")
