"""recency: first or last event time, or days since it (tenure, recency)."""

from __future__ import annotations

from typing import ClassVar, Literal

from taglake.tagdefs.kinds import tag_kind
from taglake.tagdefs.model import TagMeta, WindowMixin


@tag_kind
class RecencyTag(TagMeta, WindowMixin):
    """First or last event time, or days since it (tenure, recency)."""

    kind: Literal["recency"]
    source: str
    pick: Literal["first", "last"] = "last"
    output: Literal["time", "date", "days_since"] = "days_since"

    position: ClassVar[int] = 30
    default_layer: ClassVar[str] = "base"

    def default_type(self) -> str:
        return {"time": "timestamp", "date": "date", "days_since": "int"}[self.output]

    def check(self, ctx) -> None:
        ctx.source_rows(("where",), windowed=self.window != "all", needs_time=True)
