"""The syntax tree of a segment rule, and its canonical text.

Nodes are plain frozen dataclasses: the parser (`grammar.py`) builds them, the validator
(`validate.py`) checks them against the tag library, the compiler (`compile.py`) turns them into
Spark columns. Every node keeps its position in the rule text so a problem can point at it.
The canonical text (`render`) is what the definition hash is computed from: reformatting a rule
(spaces, keyword case, quotes) does not change the hash, changing what it selects does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pos:
    line: int     # 1-based, within the rule text
    column: int   # 1-based
    text: str     # the source fragment, for messages

    def __str__(self) -> str:
        return f"column {self.column}" if self.line == 1 else f"line {self.line}, column {self.column}"


NOWHERE = Pos(1, 1, "")


@dataclass(frozen=True)
class TagName:
    name: str
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool | None
    kind: str                       # string | number | boolean | null
    pos: Pos = field(default=NOWHERE, compare=False)

    def render(self) -> str:
        if self.kind == "string":
            return "'" + str(self.value).replace("\\", "\\\\").replace("'", "\\'") + "'"
        if self.kind == "boolean":
            return "true" if self.value else "false"
        if self.kind == "null":
            return "null"
        return repr(self.value)


Operand = TagName | Literal


@dataclass(frozen=True)
class Compare:
    op: str                          # = != < <= > >=
    left: Operand
    right: Operand
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class InList:
    tag: TagName
    values: tuple[Literal, ...]
    negated: bool
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class Between:
    tag: TagName
    low: Literal
    high: Literal
    negated: bool
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class IsNull:
    tag: TagName
    negated: bool
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class Contains:
    tag: TagName
    values: tuple[Literal, ...]
    mode: str                        # one | any | all
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class BoolTag:
    """A boolean tag on its own: `is_vip` means `is_vip = true`."""

    tag: TagName
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class SegmentRef:
    name: str
    group: str | None
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class Not:
    item: Node
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]
    pos: Pos = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]
    pos: Pos = field(default=NOWHERE, compare=False)


Node = Compare | InList | Between | IsNull | Contains | BoolTag | SegmentRef | Not | And | Or

#: The comparison written with its sides swapped (`1000 < spend` is `spend > 1000`).
FLIPPED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Not):
        yield from walk(node.item)
    elif isinstance(node, (And, Or)):
        for item in node.items:
            yield from walk(item)


def tag_names(node: Node) -> list[TagName]:
    """Every tag the rule reads, in order of appearance (with positions, duplicates kept)."""
    out: list[TagName] = []
    for n in walk(node):
        if isinstance(n, Compare):
            out += [side for side in (n.left, n.right) if isinstance(side, TagName)]
        elif isinstance(n, (InList, Between, IsNull, Contains, BoolTag)):
            out.append(n.tag)
    return out


def segment_refs(node: Node) -> list[SegmentRef]:
    return [n for n in walk(node) if isinstance(n, SegmentRef)]


def render(node: Node) -> str:
    """Canonical text: upper-case keywords, single-quoted strings, minimal parentheses."""
    if isinstance(node, Compare):
        return f"{_side(node.left)} {node.op} {_side(node.right)}"
    if isinstance(node, InList):
        values = ", ".join(v.render() for v in node.values)
        return f"{_name(node.tag)} {'NOT IN' if node.negated else 'IN'} ({values})"
    if isinstance(node, Between):
        word = "NOT BETWEEN" if node.negated else "BETWEEN"
        return f"{_name(node.tag)} {word} {node.low.render()} AND {node.high.render()}"
    if isinstance(node, IsNull):
        return f"{_name(node.tag)} IS {'NOT NULL' if node.negated else 'NULL'}"
    if isinstance(node, Contains):
        if node.mode == "one":
            return f"{_name(node.tag)} CONTAINS {node.values[0].render()}"
        return f"{_name(node.tag)} CONTAINS {node.mode.upper()} ({', '.join(v.render() for v in node.values)})"
    if isinstance(node, BoolTag):
        return _name(node.tag)
    if isinstance(node, SegmentRef):
        return f"SEGMENT({node.name}" + (f", '{node.group}')" if node.group is not None else ")")
    if isinstance(node, Not):
        inner = render(node.item)
        return f"NOT ({inner})" if isinstance(node.item, (And, Or)) else f"NOT {inner}"
    if isinstance(node, And):
        return " AND ".join(f"({render(i)})" if isinstance(i, Or) else render(i) for i in node.items)
    if isinstance(node, Or):
        return " OR ".join(render(i) for i in node.items)
    raise TypeError(type(node).__name__)  # pragma: no cover


KEYWORDS = {"and", "or", "not", "in", "is", "null", "between", "contains", "any", "all", "segment", "true", "false"}


def _name(tag: TagName) -> str:
    return f"`{tag.name}`" if tag.name.lower() in KEYWORDS else tag.name


def _side(operand: Operand) -> str:
    return _name(operand) if isinstance(operand, TagName) else operand.render()


def as_date(value: object) -> dt.date | None:
    """A 'YYYY-MM-DD' string as a date (for date tags), else None."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def as_timestamp(value: object) -> dt.datetime | None:
    """'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM[:SS]' as a datetime (for timestamp tags), else None."""
    if not isinstance(value, str) or not 10 <= len(value) <= 19:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None
