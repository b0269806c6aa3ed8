"""The rule language marketers write, parsed by taglake (lark, LALR) into `rules` nodes.

A rule is never handed to Spark as text: it is parsed here, checked against the tag library and
compiled to Spark columns. docs/segments.md is the user's reference; the grammar below is the
authority. Keywords are case-insensitive; text values are quoted; tag names are bare (or in
backticks when a tag is named like a keyword).
"""

from __future__ import annotations

import ast
import functools
import re

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from taglake.segments import rules as R

GRAMMAR = r"""
?start: or_expr

?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr                          -> negation
         | atom
?atom: "(" or_expr ")"
     | predicate

predicate: name COMP operand                      -> compare
         | value COMP operand                     -> compare
         | name _IN "(" values ")"                -> in_list
         | name _NOT _IN "(" values ")"           -> not_in_list
         | name _BETWEEN value _AND value         -> between
         | name _NOT _BETWEEN value _AND value    -> not_between
         | name _IS _NULL                         -> is_null
         | name _IS _NOT _NULL                    -> is_not_null
         | name _CONTAINS value                   -> contains
         | name _CONTAINS _ANY "(" values ")"     -> contains_any
         | name _CONTAINS _ALL "(" values ")"     -> contains_all
         | _SEGMENT "(" name ("," STRING)? ")"    -> segment
         | name                                   -> bare

?operand: name | value
values: value ("," value)*
?value: STRING                                    -> string
      | NUMBER                                    -> number
      | _TRUE                                     -> true
      | _FALSE                                    -> false
      | _NULL                                     -> null
name: NAME | QUOTED_NAME

COMP: "==" | "=" | "!=" | "<>" | "<=" | ">=" | "<" | ">"
_AND: "and"i
_OR: "or"i
_NOT: "not"i
_IN: "in"i
_IS: "is"i
_NULL: "null"i
_BETWEEN: "between"i
_CONTAINS: "contains"i
_ANY: "any"i
_ALL: "all"i
_SEGMENT: "segment"i
_TRUE: "true"i
_FALSE: "false"i
NAME: /[A-Za-z_][A-Za-z0-9_]*/
QUOTED_NAME: /`[^`\n]+`/
STRING: /'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/
NUMBER: /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/

%import common.WS
%ignore WS
"""

#: Terminal names as a marketer would read them, for "expected ..." in syntax errors.
FRIENDLY = {
    "NAME": "a tag name", "QUOTED_NAME": "a tag name", "STRING": "a quoted value", "NUMBER": "a number",
    "_TRUE": "true", "_FALSE": "false", "_NULL": "NULL", "COMP": "a comparison (=, !=, <, <=, >, >=)",
    "LPAR": "'('", "RPAR": "')'", "COMMA": "','", "_AND": "AND", "_OR": "OR", "_NOT": "NOT", "_IN": "IN",
    "_IS": "IS", "_BETWEEN": "BETWEEN", "_CONTAINS": "CONTAINS", "_ANY": "ANY", "_ALL": "ALL",
    "_SEGMENT": "segment(...)", "$END": "the end of the rule",
}
_ORDER = list(FRIENDLY)


class RuleSyntaxError(ValueError):
    """`message` says what is wrong and what was expected; `pos` where (callers show it)."""

    def __init__(self, message: str, pos: R.Pos):
        super().__init__(message)
        self.message, self.pos = message, pos


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse_rule(text: str) -> R.Node:
    """Parse a rule into nodes; raises RuleSyntaxError with the position and what was expected."""
    if not isinstance(text, str) or not text.strip():
        raise RuleSyntaxError("the rule is empty; write a condition such as: is_high_value AND city = '上海'", R.Pos(1, 1, ""))
    try:
        tree = _parser().parse(text)
        return _ToNodes(text).transform(tree)
    except UnexpectedInput as err:
        raise _syntax_error(text, err) from None
    except VisitError as err:   # a value the transformer rejected (e.g. a malformed number)
        if isinstance(err.orig_exc, RuleSyntaxError):
            raise err.orig_exc from None
        raise


def _pos(text: str, line: int, column: int) -> R.Pos:
    lines = text.splitlines() or [""]
    line = max(1, min(line, len(lines)))
    rest = lines[line - 1][column - 1:]
    fragment = re.match(r"\S+", rest)
    return R.Pos(line, column, fragment.group(0)[:30] if fragment else "")


def _expected(names) -> str:
    seen: list[str] = []
    for name in sorted(names, key=lambda n: _ORDER.index(n) if n in _ORDER else len(_ORDER)):
        label = FRIENDLY.get(name, name.strip("_").lower())
        if label not in seen:
            seen.append(label)
    return ", ".join(seen[:-1]) + (" or " if len(seen) > 1 else "") + seen[-1] if seen else "something else"


def _syntax_error(text: str, err: UnexpectedInput) -> RuleSyntaxError:
    if isinstance(err, UnexpectedCharacters):
        pos = _pos(text, err.line, err.column)
        char = text[err.pos_in_stream]
        if ord(char) > 127 or char.isalpha():
            return RuleSyntaxError(
                f"unexpected {pos.text!r}: put text values in quotes, e.g. city = '上海' "
                f"(tag names are written without quotes)", pos)
        if char in "'\"":
            return RuleSyntaxError("this quote is never closed", pos)
        if char in "&|":
            return RuleSyntaxError(f"unexpected {char!r}: write AND / OR instead of && / ||", pos)
        return RuleSyntaxError(f"unexpected {char!r}; expected {_expected(err.allowed)}", pos)
    if isinstance(err, (UnexpectedToken, UnexpectedEOF)):
        token = getattr(err, "token", None)
        expected = getattr(err, "expected", None) or set()
        interactive = getattr(err, "interactive_parser", None)
        if interactive is not None:   # LALR's `expected` over-approximates; ask what the state accepts
            expected = interactive.accepts() or expected
        if token is None or token.type == "$END":
            lines = text.splitlines() or [""]
            pos = R.Pos(len(lines), len(lines[-1]) + 1, "")
            return RuleSyntaxError(f"the rule ends too early; expected {_expected(expected)}", pos)
        pos = R.Pos(token.line, token.column, str(token))
        return RuleSyntaxError(f"unexpected {str(token)!r}; expected {_expected(expected)}", pos)
    return RuleSyntaxError(str(err).splitlines()[0], R.Pos(1, 1, ""))  # pragma: no cover


def _meta_pos(text: str, meta) -> R.Pos:
    if getattr(meta, "empty", True):
        return R.Pos(1, 1, "")
    start, end = meta.start_pos, meta.end_pos
    return R.Pos(meta.line, meta.column, text[start:end][:60])


def _tok_pos(token: Token) -> R.Pos:
    return R.Pos(token.line, token.column, str(token))


@v_args(meta=True)
class _ToNodes(Transformer):
    """lark tree -> rules nodes, with positions."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    # -- leaves ---------------------------------------------------------------------------------

    def name(self, meta, children):
        (token,) = children
        raw = str(token)
        return R.TagName(raw[1:-1] if raw.startswith("`") else raw, _tok_pos(token))

    def string(self, meta, children):
        (token,) = children
        try:
            value = ast.literal_eval(str(token))
        except (ValueError, SyntaxError):
            raise RuleSyntaxError(f"cannot read the text value {token!s}", _tok_pos(token)) from None
        return R.Literal(value, "string", _tok_pos(token))

    def number(self, meta, children):
        (token,) = children
        raw = str(token)
        value = int(raw) if re.fullmatch(r"[+-]?\d+", raw) else float(raw)
        return R.Literal(value, "number", _tok_pos(token))

    def true(self, meta, children):
        return R.Literal(True, "boolean", _meta_pos(self.text, meta))

    def false(self, meta, children):
        return R.Literal(False, "boolean", _meta_pos(self.text, meta))

    def null(self, meta, children):
        return R.Literal(None, "null", _meta_pos(self.text, meta))

    def values(self, meta, children):
        return tuple(children)

    # -- predicates -----------------------------------------------------------------------------

    def compare(self, meta, children):
        left, op, right = children
        op = {"==": "=", "<>": "!="}.get(str(op), str(op))
        pos = _meta_pos(self.text, meta)
        if isinstance(left, R.Literal) and isinstance(right, R.TagName):   # `1000 <= spend` -> `spend >= 1000`
            left, right, op = right, left, R.FLIPPED[op]
        return R.Compare(op, left, right, pos)

    def in_list(self, meta, children):
        return R.InList(children[0], children[1], False, _meta_pos(self.text, meta))

    def not_in_list(self, meta, children):
        return R.InList(children[0], children[1], True, _meta_pos(self.text, meta))

    def between(self, meta, children):
        return R.Between(children[0], children[1], children[2], False, _meta_pos(self.text, meta))

    def not_between(self, meta, children):
        return R.Between(children[0], children[1], children[2], True, _meta_pos(self.text, meta))

    def is_null(self, meta, children):
        return R.IsNull(children[0], False, _meta_pos(self.text, meta))

    def is_not_null(self, meta, children):
        return R.IsNull(children[0], True, _meta_pos(self.text, meta))

    def contains(self, meta, children):
        return R.Contains(children[0], (children[1],), "one", _meta_pos(self.text, meta))

    def contains_any(self, meta, children):
        return R.Contains(children[0], children[1], "any", _meta_pos(self.text, meta))

    def contains_all(self, meta, children):
        return R.Contains(children[0], children[1], "all", _meta_pos(self.text, meta))

    def segment(self, meta, children):
        name = children[0]
        group = ast.literal_eval(str(children[1])) if len(children) > 1 else None
        return R.SegmentRef(name.name, group, _meta_pos(self.text, meta))

    def bare(self, meta, children):
        return R.BoolTag(children[0], _meta_pos(self.text, meta))

    # -- logic ----------------------------------------------------------------------------------

    def negation(self, meta, children):
        return R.Not(children[0], _meta_pos(self.text, meta))

    def and_expr(self, meta, children):
        items: list[R.Node] = []
        for child in children:   # a AND (b AND c) is one flat AND
            items.extend(child.items if isinstance(child, R.And) else [child])
        return R.And(tuple(items), _meta_pos(self.text, meta))

    def or_expr(self, meta, children):
        items: list[R.Node] = []
        for child in children:
            items.extend(child.items if isinstance(child, R.Or) else [child])
        return R.Or(tuple(items), _meta_pos(self.text, meta))
