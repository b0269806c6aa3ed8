"""Expressions are parsed, checked and re-rendered by taglake, never pasted."""

import pytest

from taglake.core import expressions as X


@pytest.mark.parametrize("text, fragment", [
    ("x IN (SELECT 1)", "subquery"),
    ("EXISTS (SELECT 1)", "subquery"),
    ("sum(x) OVER (PARTITION BY y)", "window function"),
    ("rand() > 0.5", "non-deterministic"),
    ("datediff(current_date(), d)", "non-deterministic"),
    ("uuid()", "non-deterministic"),
    ("reflect('java.lang.Runtime', 'exec', 'rm')", "side effects"),
    ("java_method('a', 'b')", "side effects"),
    ("my_udf(x)", "unknown function my_udf()"),
    ("sum(x)", "aggregate sum()"),
    ("t.x > 1", "qualifies a column"),
    ("DROP TABLE x", "statement"),
    ("SELECT 1", "statement"),
    ("a = 1; b = 2", "single expression"),
    ("", "empty"),
    ("x >> > 1", "cannot parse"),
])
def test_forbidden_or_malformed(text, fragment):
    with pytest.raises(X.ExpressionProblem) as err:
        X.parse_checked(text)
    assert fragment in str(err.value)


def test_aggregates_allowed_where_the_kind_aggregates():
    assert X.parse_checked("sum(x)", aggregates=True).columns == {"x"}


def test_columns_exclude_lambda_variables():
    parsed = X.parse_checked("size(filter(tags, t -> t = 'vip')) > n")
    assert parsed.columns == {"tags", "n"}


def test_render_quotes_renames_and_binds_snapshot_date():
    parsed = X.parse_checked("datediff(snapshot_date, `reg time`) > days")
    sql = X.render(parsed.tree, {"days": "r__days"})
    assert sql == "DATEDIFF(`__snapshot_date`, `reg time`) > `r__days`"


def test_literals_are_escaped():
    assert X.quote_literal("it's") == "'it\\'s'"
    assert X.quote_literal("a\\b") == "'a\\\\b'"
    assert X.quote_literal(3) == "3" and X.quote_literal(True) == "TRUE" and X.quote_literal(None) == "NULL"
    assert X.quote_identifier("a`b") == "`a``b`"


@pytest.mark.parametrize("text, problem", [
    ("city = 3", "compares string tag `city` with number 3"),
    ("spend > 'high'", "compares double tag `spend` with string 'high'"),
    ("city IN (1, 2)", "compares string tag `city` with number 1"),
    ("spend BETWEEN 'a' AND 10", "compares double tag `spend` with string 'a'"),
    ("is_vip = 1", "compares boolean tag `is_vip` with number 1"),
])
def test_type_mismatches(text, problem):
    types = {"city": "string", "spend": "double", "is_vip": "boolean", "d": "date"}
    problems = X.type_problems(X.parse(text), types)
    assert problems and problem in problems[0]


@pytest.mark.parametrize("text", [
    "city = '上海'", "spend > 10 AND city IN ('a', 'b')", "d >= '2026-01-01'", "upper(city) = 'X'",
    "coalesce(spend, 0) > 1", "CASE WHEN spend > 1 THEN 'a' ELSE 'b' END = 'a'", "is_vip",
])
def test_compatible_comparisons(text):
    types = {"city": "string", "spend": "double", "is_vip": "boolean", "d": "date"}
    assert X.type_problems(X.parse(text), types) == []
