"""rule: a boolean expression over other tags, or an enumeration (first matching case wins)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from taglake.tagdefs.kinds import tag_kind
from taglake.tagdefs.model import Case, TagMeta


@tag_kind
class RuleTag(TagMeta):
    """A boolean expression over other tags, or an enumeration (first matching case wins)."""

    kind: Literal["rule"]
    expr: str | None = None
    cases: list[Case] | None = None
    otherwise: Any = Field(None, alias="else")

    position: ClassVar[int] = 60

    @model_validator(mode="after")
    def _expr_or_cases(self) -> RuleTag:
        if (self.expr is None) == (self.cases is None):
            raise ValueError("a rule needs exactly one of `expr` (boolean) or `cases` (enumeration)")
        return self

    def default_type(self) -> str:
        return "boolean" if self.expr is not None else "string"

    def check(self, ctx) -> None:
        if self.expr is not None:
            # A rule is a condition unless it declares another type (a calculated value, e.g. a rate).
            ctx.tag_expr("expr", self.expr, boolean=ctx.tag.type == "boolean")
            return
        ctx.cases("cases", self.cases or [], self.otherwise)
