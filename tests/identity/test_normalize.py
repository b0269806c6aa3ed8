"""Canonical forms and validation: the plain-Python oracle on known cases, then Spark against it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from taglake.identity.config import IdentityConfig, load_identity_config
from taglake.identity.job import identity_config_path
from taglake.settings import load_settings

from .oracle import canonical

DEFAULT = IdentityConfig.default()
SHIPPED = load_identity_config(identity_config_path(load_settings("local")))

CASES = [
    # phones: the spellings the demo sources and real POS exports produce
    ("phone", "13812345678", "13812345678", "ok"),
    ("phone", "+86 138 1234 5678", "13812345678", "ok"),
    ("phone", "0086-13812345678", "13812345678", "ok"),
    ("phone", "138-1234-5678", "13812345678", "ok"),
    ("phone", " 13812345678 ", "13812345678", "ok"),
    ("phone", "+8613812345678", "13812345678", "ok"),
    ("phone", "8613812345678", "13812345678", "ok"),
    ("phone", "(138) 1234.5678", "13812345678", "ok"),
    ("phone", "12812345678", "12812345678", "invalid"),      # second digit must be 3-9
    ("phone", "1381234567", "1381234567", "invalid"),        # 10 digits
    ("phone", "021-62345678", "02162345678", "invalid"),     # a landline
    ("phone", "13800000000", "13800000000", "blocked"),      # the counter phone
    ("phone", "13900000000", "13900000000", "blocked"),
    ("phone", "12345678901", "12345678901", "blocked"),
    ("phone", "00000000000", "00000000000", "blocked"),
    ("phone", "11111111111", "11111111111", "blocked"),
    ("phone", "13888888888", "13888888888", "blocked"),
    ("phone", "null", "null", "blocked"),
    ("phone", "-1", "1", "blocked"),
    ("phone", "", "", "blocked"),
    ("phone", "   ", "", "blocked"),
    ("phone", None, None, "missing"),
    # e-mail: trimmed and lower-cased
    ("email", " Li.Na@QQ.com", "li.na@qq.com", "ok"),
    ("email", "LINA@QQ.COM ", "lina@qq.com", "ok"),
    ("email", "test@test.com", "test@test.com", "blocked"),
    ("email", "not-an-email", "not-an-email", "invalid"),
    ("email", "unknown", "unknown", "blocked"),
    # other ids: trimmed, case kept
    ("member_id", " M000123 ", "M000123", "ok"),
    ("member_id", "unknown", "unknown", "blocked"),
    ("member_id", "0", "0", "blocked"),
    ("wechat_openid", "oAbC_123-xyz", "oAbC_123-xyz", "ok"),
    ("wechat_unionid", "null", "null", "blocked"),
    ("device_id", "00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000", "blocked"),
    ("device_id", "A1B2C3D4-E5F6", "A1B2C3D4-E5F6", "ok"),
    ("cookie_id", "ck.1700000000.42", "ck.1700000000.42", "ok"),
    ("cookie_id", "a b c d", "a b c d", "invalid"),
]


@pytest.mark.parametrize("config", [DEFAULT, SHIPPED], ids=["defaults", "tagdefs"])
@pytest.mark.parametrize("id_type,raw,value,status", CASES)
def test_oracle_cases(config, id_type, raw, value, status):
    assert canonical(config, id_type, raw) == (value, status)


@hsettings(max_examples=300, deadline=None)
@given(digits=st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
       spelling=st.sampled_from(["{}", "+86{}", "+86 {}", "0086{}", "0086-{}", " {} ", "86{}", "{a}-{b}-{c}", "+86 {a} {b} {c}"]))
def test_every_phone_spelling_has_one_canonical_form(digits, spelling):
    raw = spelling.format(digits, a=digits[:3], b=digits[3:7], c=digits[7:])
    value, status = canonical(SHIPPED, "phone", raw)
    assert value == digits
    assert status in ("ok", "blocked")


def test_spark_matches_the_oracle(spark):
    """The Spark expressions (Java regex) and the plain-Python oracle agree on every case."""
    from pyspark.sql import functions as F

    from taglake.identity.normalize import canonical as spark_canonical
    from taglake.identity.normalize import classify
    from taglake.identity.procedure import canonical_sql

    extra = [("phone", f"+86 1{d}{d}0 000 {d}{d}{d}{d}") for d in "3456789"] + [
        ("email", "  MiXeD.Case+tag@Example.COM  "), ("member_id", "m-" + "x" * 70)]
    rows = [(t, r) for t, r, *_ in CASES] + extra
    df = spark.createDataFrame(rows, "id_type string, raw string")
    for config in (DEFAULT, SHIPPED):
        checked = F.lit(None).cast("struct<value:string,status:string,reason:string>")
        value = F.lit(None).cast("string")
        text = F.lit(None).cast("string")     # the SQL form tag expressions get (canonical_id)
        for id_type in config.id_types:
            checked = F.when(F.col("id_type") == id_type, classify(id_type, F.col("raw"), config)).otherwise(checked)
            value = F.when(F.col("id_type") == id_type, spark_canonical(id_type, F.col("raw"), config)).otherwise(value)
            text = F.when(F.col("id_type") == id_type, F.expr(canonical_sql(id_type, "`raw`", config))).otherwise(text)
        got = df.select("id_type", "raw", checked.alias("c"), value.alias("v"), text.alias("t")).collect()
        for r in got:
            expected_value, expected_status = canonical(config, r["id_type"], r["raw"])
            assert (r["c"]["value"], r["c"]["status"]) == (expected_value, expected_status), (r["id_type"], r["raw"])
            assert r["v"] == (expected_value if expected_status == "ok" else None)
            assert r["t"] == r["v"], (r["id_type"], r["raw"])
            assert (r["c"]["reason"] is None) == (expected_status in ("ok", "missing"))
