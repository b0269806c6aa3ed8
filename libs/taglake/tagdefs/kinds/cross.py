"""cross: a tag computed from a related subject: its tag through a key (lookup), or an aggregate
over the related subjects reached through a source's rows (each related subject counted once)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from taglake.core import expressions as X
from taglake.core.suggest import did_you_mean
from taglake.tagdefs.kinds import tag_kind
from taglake.tagdefs.library import TagRef
from taglake.tagdefs.model import TagMeta, WindowMixin


@tag_kind
class CrossTag(TagMeta, WindowMixin):
    """A tag computed from a related subject: its tag through a key (lookup), or an aggregate over
    the related subjects reached through a source's rows (each related subject counted once)."""

    kind: Literal["cross"]
    via: str  # relation name of this tag's subject
    value: str  # expression over the related subject's tags
    aggregate: Literal["share", "count", "sum", "avg", "min", "max"] | None = None  # required for source relations

    position: ClassVar[int] = 80

    def default_type(self) -> str:
        return {"share": "double", "count": "bigint", "sum": "double", "avg": "double"}.get(self.aggregate or "", "string")

    def default_value(self) -> Any:
        return 0 if self.aggregate == "count" else None

    def check(self, ctx) -> None:
        subject = ctx.tag.subject
        relations = ctx.subjects[subject].relations
        relation = relations.get(self.via)
        if relation is None:
            ctx.problem(
                "via",
                f"subject {subject!r} has no relation {self.via!r}{did_you_mean(self.via, relations)} "
                f"(relations: {', '.join(sorted(relations)) or 'none'})",
            )
            return
        if relation.to not in ctx.subjects:
            return
        related = ctx.tags.get(relation.to, {})
        try:
            parsed = ctx.checker.parse_expr(self.value)
        except X.ExpressionProblem as err:
            ctx.problem("value", str(err), "expression")
            return
        for name in sorted(parsed.columns - {X.SNAPSHOT_DATE}):
            if name not in related:
                ctx.problem("value", f"unknown tag {name!r} of related subject {relation.to!r}{did_you_mean(name, related)}")
            else:
                ctx.depend(TagRef(relation.to, name))
        types = ctx.types(relation.to)
        for message in X.type_problems(parsed.tree, types):
            ctx.problem("value", message, "type")
        ctx.exprs["value"] = parsed
        if relation.source is not None:
            if self.aggregate is None:
                ctx.problem(
                    "aggregate",
                    f"relation {self.via!r} links through source rows (many {relation.to} per {subject}); "
                    "say how to aggregate them (allowed: share, count, sum, avg, min, max)",
                )
            elif self.aggregate in ("share", "count") and not X.is_boolean(parsed.tree, types):
                ctx.problem("value", f"aggregate {self.aggregate!r} needs a condition over {relation.to} tags, got {self.value!r}", "type")
            if self.where and relation.source in ctx.sources:
                ctx.source_expr("where", relation.source, self.where)
            if self.window != "all" and relation.source in ctx.sources and not ctx.sources[relation.source].time:
                ctx.problem("window", f"source {relation.source!r} has no `time` column; windows need one")
            return
        if self.aggregate is not None:
            ctx.problem(
                "aggregate",
                f"relation {self.via!r} reaches one {relation.to} per {subject} (through tag {relation.tag!r}); drop `aggregate`",
            )
        if self.window != "all" or self.where:
            ctx.problem("window", f"relation {self.via!r} is a lookup through a tag; `window` and `where` do not apply")
        ctx.depend(TagRef(subject, relation.tag))
        if self.type is None:
            single = [d for d in ctx.deps if d.subject == relation.to]
            if len(single) == 1 and X.render(parsed.tree).strip("`") == single[0].name:
                ctx.infer_type(related[single[0].name].type)
