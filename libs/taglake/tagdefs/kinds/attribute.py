"""attribute: a value of a source column, the latest (or first) non-null one."""

from __future__ import annotations

from typing import ClassVar, Literal

from taglake.tagdefs.kinds import tag_kind
from taglake.tagdefs.model import TagMeta


@tag_kind
class AttributeTag(TagMeta):
    """A value of a source column: the latest (or first) non-null one."""

    kind: Literal["attribute"]
    source: str
    value: str
    pick: Literal["latest", "first"] = "latest"
    where: str | None = None

    position: ClassVar[int] = 10
    default_layer: ClassVar[str] = "base"

    def check(self, ctx) -> None:
        ctx.source_rows(("value", "where"))
