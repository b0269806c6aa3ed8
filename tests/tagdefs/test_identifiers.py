"""canonical_id(...) in tag expressions, without Spark: expansion, errors, the presence check
(tests/identity/test_normalize.py runs the expanded SQL against the identity oracle)."""

from __future__ import annotations

import pytest

from taglake.core.expressions import ExpressionProblem, parse_checked, render
from taglake.identity.config import IdentityConfig
from taglake.identity.procedure import canonical_sql
from taglake.tagdefs.identifiers import expand, presence_problems

DEFAULT = IdentityConfig.default()


def test_a_call_becomes_the_canonical_sql_of_its_type():
    parsed = expand(parse_checked("canonical_id('member_id', member_id) IS NOT NULL"), DEFAULT)
    assert parsed.columns == {"member_id"}
    text = render(parsed.tree)
    assert "canonical_id" not in text.lower() and "RLIKE" in text and "'null'" in text and "`member_id`" in text
    # any expression may be the value
    nested = render(expand(parse_checked("canonical_id('phone', concat('1', phone))"), DEFAULT).tree)
    assert "CONCAT('1', `phone`)" in nested
    # the SQL is the one the engine and OneID share, escaped for Spark (backslashes doubled)
    assert "\\\\s" in canonical_sql("phone", "`p`", DEFAULT)


@pytest.mark.parametrize("text, message", [
    ("canonical_id('phon', phone) IS NOT NULL", "unknown identifier type 'phon' (types: cookie_id, device_id, email"),
    ("canonical_id(phone) IS NOT NULL", "takes an identifier type and a value"),
    ("canonical_id(phone, 'phone') IS NOT NULL", "takes an identifier type and a value"),
])
def test_malformed_calls_say_what_is_allowed(text, message):
    with pytest.raises(ExpressionProblem, match=message.replace("(", r"\(").replace(")", r"\)")):
        expand(parse_checked(text), DEFAULT)


def test_presence_of_a_raw_identifier_column_is_reported():
    columns = {"member_id": "member_id", "receiver_phone": "phone"}
    assert presence_problems(parse_checked("member_id IS NOT NULL AND x > 1"), columns)
    assert presence_problems(parse_checked("receiver_phone IS NULL"), columns)
    assert not presence_problems(parse_checked("canonical_id('member_id', member_id) IS NOT NULL"), columns)
    assert not presence_problems(parse_checked("store_id IS NOT NULL"), columns)
