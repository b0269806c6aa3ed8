"""The rule language on its own (no Spark): precedence, every operator, canonical text, syntax errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taglake.segments import rules as R
from taglake.segments.grammar import RuleSyntaxError, parse_rule


@pytest.mark.parametrize("text, canonical", [
    ("is_vip", "is_vip"),
    ("NOT is_vip", "NOT is_vip"),
    ("city = '上海'", "city = '上海'"),
    ('city == "上海"', "city = '上海'"),
    ("city <> '上海'", "city != '上海'"),
    ("1000 <= spend", "spend >= 1000"),
    ("age < 30 and orders > 1", "age < 30 AND orders > 1"),
    ("level in ('金卡','银卡')", "level IN ('金卡', '银卡')"),
    ("level not in ('金卡')", "level NOT IN ('金卡')"),
    ("age between 25 and 35", "age BETWEEN 25 AND 35"),
    ("age not between 25 and 35 and is_vip", "age NOT BETWEEN 25 AND 35 AND is_vip"),
    ("city is null", "city IS NULL"),
    ("city IS NOT NULL", "city IS NOT NULL"),
    ("tags contains '面霜'", "tags CONTAINS '面霜'"),
    ("tags contains any ('面霜', '精华液')", "tags CONTAINS ANY ('面霜', '精华液')"),
    ("tags contains all ('面霜', '精华液')", "tags CONTAINS ALL ('面霜', '精华液')"),
    ("segment(high_value)", "SEGMENT(high_value)"),
    ("SEGMENT(ab, 'holdout')", "SEGMENT(ab, 'holdout')"),
    ("spend > -1.5e3", "spend > -1500.0"),
    ("birthday >= '1990-01-01'", "birthday >= '1990-01-01'"),
    ("`all` = 1", "`all` = 1"),
    ("a = 1 OR b = 2 AND c = 3", "a = 1 OR b = 2 AND c = 3"),
    ("(a = 1 OR b = 2) AND c = 3", "(a = 1 OR b = 2) AND c = 3"),
    ("NOT (a = 1 OR b = 2)", "NOT (a = 1 OR b = 2)"),
    ("not not is_vip", "NOT NOT is_vip"),
    ("a = 1 and (b = 2 and c = 3)", "a = 1 AND b = 2 AND c = 3"),
    ("spend > orders", "spend > orders"),
    ("insider = true AND island = false", "insider = true AND island = false"),   # names starting with keywords
])
def test_parse_and_canonical_text(text, canonical):
    node = parse_rule(text)
    assert R.render(node) == canonical
    assert R.render(parse_rule(canonical)) == canonical


def test_and_binds_tighter_than_or_and_not_tighter_than_and():
    node = parse_rule("NOT a = 1 AND b = 2 OR c = 3")
    assert isinstance(node, R.Or)
    left, right = node.items
    assert isinstance(left, R.And) and isinstance(left.items[0], R.Not) and isinstance(right, R.Compare)


def test_positions_point_into_the_rule():
    node = parse_rule("is_vip AND\n  levl = '金卡'")
    (_, second) = R.tag_names(node)
    assert (second.name, second.pos.line, second.pos.column) == ("levl", 2, 3)


def test_references_are_collected():
    node = parse_rule("segment(a) AND NOT segment(b, 'A') OR x IN (1, 2) AND y CONTAINS 'z'")
    assert [r.name for r in R.segment_refs(node)] == ["a", "b"]
    assert [t.name for t in R.tag_names(node)] == ["x", "y"]


@pytest.mark.parametrize("text, message, column", [
    ("city = 上海", "unexpected '上海': put text values in quotes", 8),
    ("a = ", "the rule ends too early; expected a tag name, a quoted value, a number, true, false or NULL", 5),
    ("a = 1 b = 2", "unexpected 'b'; expected AND, OR or the end of the rule", 7),
    ("(a = 1", "the rule ends too early; expected ')'", 7),
    ("a && b", "write AND / OR instead of && / ||", 3),
    ("city = 'abc", "this quote is never closed", 8),
    ("a in 1", "unexpected '1'; expected '('", 6),
    ("", "the rule is empty", 1),
])
def test_syntax_errors_say_where_and_what_was_expected(text, message, column):
    with pytest.raises(RuleSyntaxError) as err:
        parse_rule(text)
    assert message in err.value.message
    assert err.value.pos.column == column


# -- random rules: the canonical text parses back to the same tree --------------------------------

names = st.sampled_from(["city", "age", "spend", "level", "is_vip", "tags"])
strings = st.text(alphabet="上海北京金卡ab'\\ ", min_size=0, max_size=6).map(lambda s: R.Literal(s, "string"))
numbers = st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)) \
    .map(lambda v: R.Literal(v, "number"))
values = st.one_of(strings, numbers, st.booleans().map(lambda b: R.Literal(b, "boolean")))
leaves = st.one_of(
    st.builds(lambda n, op, v: R.Compare(op, R.TagName(n), v), names, st.sampled_from(list(R.FLIPPED)), values),
    st.builds(lambda n, vs, neg: R.InList(R.TagName(n), tuple(vs), neg), names, st.lists(values, min_size=1, max_size=3), st.booleans()),
    st.builds(lambda n, a, b, neg: R.Between(R.TagName(n), a, b, neg), names, numbers, numbers, st.booleans()),
    st.builds(lambda n, neg: R.IsNull(R.TagName(n), neg), names, st.booleans()),
    st.builds(lambda n, vs, mode: R.Contains(R.TagName(n), tuple(vs[:1]) if mode == "one" else tuple(vs), mode),
              names, st.lists(strings, min_size=1, max_size=3), st.sampled_from(["one", "any", "all"])),
    st.builds(lambda n: R.BoolTag(R.TagName(n)), names),
    st.builds(lambda n, g: R.SegmentRef(n, g), st.sampled_from(["s1", "s2"]), st.sampled_from([None, "A"])),
)
trees = st.recursive(leaves, lambda inner: st.one_of(
    st.builds(R.Not, inner),
    st.builds(lambda items: R.And(tuple(items)), st.lists(inner, min_size=2, max_size=3)),
    st.builds(lambda items: R.Or(tuple(items)), st.lists(inner, min_size=2, max_size=3)),
), max_leaves=8)


@given(trees)
def test_canonical_text_round_trips(tree):
    text = R.render(tree)
    again = R.render(parse_rule(text))
    assert again == R.render(parse_rule(again))
    assert again == text or _flattened(tree) != tree


def _flattened(node):
    """And-in-And and Or-in-Or are flattened by the parser; the generator may nest them."""
    if isinstance(node, (R.And, R.Or)):
        items = []
        for item in node.items:
            item = _flattened(item)
            items.extend(item.items if type(item) is type(node) else [item])
        return type(node)(tuple(items))
    if isinstance(node, R.Not):
        return R.Not(_flattened(node.item))
    return node
