"""What a segment means, checked against the tag library: every problem collected, none raised here.

Each check reports where (file, line, the segment and the position in its rule), the bad value and
what is allowed: unknown tags with a "did you mean", type mismatches, values outside a tag's
domain, tags the segment's business line may not see, tags that are not computed in snapshots,
unknown or cross-subject segment references and split groups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from taglake.core.problems import show
from taglake.core.suggest import did_you_mean
from taglake.segments import rules as R
from taglake.segments.model import SegmentSpec
from taglake.tagdefs.library import Library, Tag

NUMERIC = ("int", "bigint", "double")
ORDERED = (*NUMERIC, "date", "timestamp")
ARRAY = "array<string>"

#: How a marketer would call each value type, for messages.
TYPE_WORDS = {"int": "number", "bigint": "number", "double": "number", "string": "text", "boolean": "yes/no",
              "date": "date", "timestamp": "date-time", ARRAY: "list"}
EXAMPLES = {
    "number": "{tag} >= 1000", "text": "{tag} = '上海'", "yes/no": "{tag} = true (or just: {tag})",
    "date": "{tag} >= '2026-01-01'", "date-time": "{tag} >= '2026-01-01 08:00'", "list": "{tag} CONTAINS '面霜'",
}

Report = Callable[[str, R.Pos | None, str, str], None]   # (where, position, message, code)


def word(tag: Tag) -> str:
    return TYPE_WORDS.get(tag.type, tag.type)


def example(tag: Tag) -> str:
    return EXAMPLES.get(word(tag), "{tag} = ...").format(tag=tag.name)


@dataclass
class SegmentChecker:
    """Checks one segment's references against the tag library and the other segments."""

    library: Library
    specs: dict[str, SegmentSpec]         # every segment defined (validated shape), by name
    statuses: tuple[str, ...]             # tag statuses computed in snapshots
    spec: SegmentSpec
    report: Report

    # -- tags -------------------------------------------------------------------------------------

    def tag(self, ref: R.TagName, where: str) -> Tag | None:
        """The tag `ref` names, or None after reporting why it cannot be used here."""
        subject = self.spec.subject
        tags = self.library.tags.get(subject, {})
        tag = tags.get(ref.name)
        if tag is None:
            elsewhere = [s for s, by_name in self.library.tags.items() if ref.name in by_name and s != subject]
            if elsewhere:
                self.report(where, ref.pos, f"tag {ref.name!r} is a {elsewhere[0]} tag; segment {self.spec.name!r} selects "
                            f"{subject}s and may only use {subject} tags", "unknown_tag")
            else:
                hint = did_you_mean(ref.name, tags) or did_you_mean(ref.name, tags, cutoff=0.4)
                quote = f" (if you meant the text value, put it in quotes: '{ref.name}')" if not hint else ""
                self.report(where, ref.pos, f"unknown tag {ref.name!r} of {subject}{hint}{quote}", "unknown_tag")
            return None
        ok = True
        if tag.status not in self.statuses:
            self.report(where, ref.pos, f"tag {ref.name!r} is {tag.status} and not computed in snapshots "
                        f"(segments may use tags with status {', '.join(self.statuses)})", "status")
            ok = False
        lines = list(tag.visibility.business_lines)
        if "*" not in lines and self.spec.business_line not in lines:
            self.report(where, ref.pos, f"tag {ref.name!r} is visible only to business lines {', '.join(lines)}; "
                        f"segment {self.spec.name!r} belongs to {self.spec.business_line} (use another tag, or ask the "
                        f"tag's owner {tag.owner} to widen its visibility)", "visibility")
            ok = False
        return tag if ok else None

    # -- values -----------------------------------------------------------------------------------

    def value(self, tag: Tag, lit: R.Literal, where: str) -> None:
        """A literal compared with `tag`: the right type, and in the tag's domain."""
        kind = word(tag)
        if lit.kind == "null":
            self.report(where, lit.pos, f"a comparison with NULL is never true; write {tag.name} IS NULL "
                        f"or {tag.name} IS NOT NULL", "type")
            return
        fits = {
            "number": lit.kind == "number",
            "text": lit.kind == "string",
            "yes/no": lit.kind == "boolean",
            "date": lit.kind == "string" and R.as_date(lit.value) is not None,
            "date-time": lit.kind == "string" and R.as_timestamp(lit.value) is not None,
            "list": lit.kind == "string",
        }.get(kind, False)
        if not fits:
            shown = lit.render()
            self.report(where, lit.pos, f"{tag.name} is a {kind} tag ({tag.type}) and cannot be compared with "
                        f"{_kind_words(lit)} {shown}; write e.g. {example(tag)}", "type")
            return
        if tag.domain is not None and lit.value not in tag.domain:
            allowed = ", ".join(str(v) for v in tag.domain)
            hint = did_you_mean(str(lit.value), [str(v) for v in tag.domain], cutoff=0.5)
            self.report(where, lit.pos, f"{show(lit.value)} is not a value of {tag.name} (allowed: {allowed}){hint}", "domain")

    # -- nodes ------------------------------------------------------------------------------------

    def node(self, node: R.Node, where: str) -> None:
        if isinstance(node, R.Not):
            self.node(node.item, where)
        elif isinstance(node, (R.And, R.Or)):
            for item in node.items:
                self.node(item, where)
        elif isinstance(node, R.Compare):
            self.compare(node, where)
        elif isinstance(node, R.InList):
            tag = self.tag(node.tag, where)
            if tag is not None and self.scalar(tag, node, "IN", where):
                for value in node.values:
                    self.value(tag, value, where)
        elif isinstance(node, R.Between):
            tag = self.tag(node.tag, where)
            if tag is not None and self.ordered(tag, node, "BETWEEN", where):
                self.value(tag, node.low, where)
                self.value(tag, node.high, where)
                if node.low.kind == node.high.kind == "number" and node.low.value > node.high.value:
                    self.report(where, node.pos, f"BETWEEN {node.low.render()} AND {node.high.render()} selects nothing: "
                                "write the smaller bound first", "value")
        elif isinstance(node, R.IsNull):
            self.tag(node.tag, where)
        elif isinstance(node, R.Contains):
            tag = self.tag(node.tag, where)
            if tag is None:
                return
            if tag.type != ARRAY:
                self.report(where, node.tag.pos, f"CONTAINS works on list tags (array<string>); {tag.name} is a "
                            f"{word(tag)} tag: write e.g. {example(tag)}", "type")
                return
            for value in node.values:
                self.value(tag, value, where)
        elif isinstance(node, R.BoolTag):
            tag = self.tag(node.tag, where)
            if tag is not None and tag.type != "boolean":
                self.report(where, node.tag.pos, f"{tag.name} is a {word(tag)} tag, not yes/no: it cannot stand alone "
                            f"as a condition; write e.g. {example(tag)}", "type")
        elif isinstance(node, R.SegmentRef):
            self.segment_ref(node.name, node.group, node.pos, where)
        else:  # pragma: no cover
            raise TypeError(type(node).__name__)

    def compare(self, node: R.Compare, where: str) -> None:
        left, right = node.left, node.right
        if isinstance(left, R.Literal):   # literal on both sides (the parser puts a tag on the left)
            self.report(where, node.pos, f"{R.render(node)} compares two values; one side must be a tag", "type")
            return
        tag = self.tag(left, where)
        other = self.tag(right, where) if isinstance(right, R.TagName) else None
        if tag is None or (isinstance(right, R.TagName) and other is None):
            return
        if not self.scalar(tag, node, node.op, where):
            return
        if node.op not in ("=", "!=") and not self.ordered(tag, node, node.op, where):
            return
        if isinstance(right, R.Literal):
            self.value(tag, right, where)
            return
        if not self.scalar(other, node, node.op, where):
            return
        same = word(tag) == word(other)
        if not same:
            self.report(where, node.pos, f"{tag.name} ({word(tag)}) and {other.name} ({word(other)}) cannot be compared: "
                        "both sides must be numbers, or both text, dates or yes/no", "type")

    def scalar(self, tag: Tag, node: R.Node, op: str, where: str) -> bool:
        if tag.type == ARRAY:
            self.report(where, node.pos, f"{tag.name} is a list tag (array<string>): {op} does not apply; "
                        f"write {tag.name} CONTAINS '...' or CONTAINS ANY ('...', '...')", "type")
            return False
        return True

    def ordered(self, tag: Tag, node: R.Node, op: str, where: str) -> bool:
        if tag.type in ORDERED:
            return True
        hint = f"{tag.name} IN ('...', '...')" if tag.type == "string" else f"{tag.name} = true"
        self.report(where, node.pos, f"{op} needs a number or date tag; {tag.name} is a {word(tag)} tag: "
                    f"use = or IN instead (e.g. {hint})", "type")
        return False

    # -- segments ---------------------------------------------------------------------------------

    def segment_ref(self, name: str, group: str | None, pos: R.Pos | None, where: str) -> None:
        other = self.specs.get(name)
        if other is None:
            self.report(where, pos, f"unknown segment {name!r}{did_you_mean(name, self.specs)}", "reference")
            return
        if other.subject != self.spec.subject:
            self.report(where, pos, f"segment {name!r} selects {other.subject}s; {self.spec.name!r} selects "
                        f"{self.spec.subject}s: only segments of the same subject combine", "reference")
        if group is not None:
            groups = [g for g, _ in other.split.shares()] if other.split else []
            if not groups:
                self.report(where, pos, f"segment {name!r} has no split, so it has no group {group!r}", "reference")
            elif group not in groups:
                self.report(where, pos, f"segment {name!r} has no group {group!r} (its groups: {', '.join(groups)})", "reference")

    def top_by(self, by: str, where: str) -> None:
        tag = self.tag(R.TagName(by), where)
        if tag is not None and tag.type not in ORDERED:
            self.report(where, None, f"top ranks by a number or date tag; {by} is a {word(tag)} tag", "type")

    def profile_tag(self, name: str, where: str) -> None:
        self.tag(R.TagName(name), where)


def _kind_words(lit: R.Literal) -> str:
    return {"string": "text", "number": "the number", "boolean": "the yes/no value"}.get(lit.kind, "the value")

