"""preference: the value a subject prefers: most frequent, top-N, or the top value's share."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from taglake.tagdefs.kinds import tag_kind
from taglake.tagdefs.model import TagMeta, WindowMixin


@tag_kind
class PreferenceTag(TagMeta, WindowMixin):
    """The value a subject prefers: most frequent, top-N, or the top value's share."""

    kind: Literal["preference"]
    source: str
    dimension: str  # expression giving the value (e.g. category_l1)
    measure: str | None = None  # summed per value; omitted = number of rows
    method: Literal["top", "top_n", "share"] = "top"
    n: int = Field(3, ge=1, le=50)

    position: ClassVar[int] = 40

    def default_type(self) -> str:
        return {"top": "string", "top_n": "array<string>", "share": "double"}[self.method]

    def check(self, ctx) -> None:
        ctx.source_rows(("where", "dimension", "measure"), windowed=self.window != "all")
