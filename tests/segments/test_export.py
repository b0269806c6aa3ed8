"""Channel exports: the recorded members with chosen columns, masking, holdouts, the manifest."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re

import pyarrow.parquet as pq
import pytest

from taglake.errors import DataError, InputError
from taglake.segments import store
from taglake.segments.export import _identifiers, export, mask
from taglake.segments.profile import Target

from .conftest import D1, D2, stored_members


def run(spark, snapshot, target, tmp_path, **kwargs):
    args = {"columns": ["city", "spend", "top_categories", "phone"], "fmt": "csv", "out": tmp_path, "masked": ["phone"]}
    args.update(kwargs)
    return export(spark, snapshot.settings, snapshot.library, snapshot.segments, target, D2, **args)


def test_csv_with_masked_phone_and_manifest(spark, snapshot, evaluated, tmp_path):
    manifest = run(spark, snapshot, Target("eq_city"), tmp_path)
    members = stored_members(spark, snapshot.settings, D2, "eq_city")
    path = tmp_path / manifest.file
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["member_id"] for r in rows] == sorted(members)
    assert manifest.row_count == len(rows) == len(members)
    tags = snapshot.rows[D2]
    for r in rows:
        phone = tags[r["member_id"]]["phone"]
        if phone:
            assert r["phone"] == phone[:3] + "****" + phone[-4:]
            assert re.fullmatch(r"1\d{2}\*{4}\d{4}", r["phone"])
        assert r["city"] == "上海"
        cats = tags[r["member_id"]]["top_categories"]
        assert r["top_categories"] == ("|".join(cats) if cats else "")
    saved = json.loads((tmp_path / "eq_city_2026-11-22.manifest.json").read_text(encoding="utf-8"))
    stats = store.evaluated(spark, snapshot.settings, "eq_city", D2)
    assert saved["definition_hash"] == stats["definition_hash"] == snapshot.segments.segments["eq_city"].definition_hash
    assert saved["snapshot_date"] == "2026-11-22" and saved["row_count"] == len(rows) and saved["masked"] == ["phone"]
    assert saved["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert saved["tag_versions"] and saved["columns"] == ["member_id", "city", "spend", "top_categories", "phone"]


def test_parquet_leaves_out_the_holdout_unless_asked(spark, snapshot, evaluated, tmp_path):
    groups = stored_members(spark, snapshot.settings, D2, "ab_test")
    manifest = run(spark, snapshot, Target("ab_test"), tmp_path / "a", fmt="parquet", columns=["level"], masked=[])
    table = pq.read_table(tmp_path / "a" / manifest.file).to_pydict()
    assert sorted(table["member_id"]) == sorted(k for k, g in groups.items() if g != "holdout")
    assert set(table["split_group"]) == {"A", "B"} and manifest.groups_exported == ["A", "B"]
    everyone = run(spark, snapshot, Target("ab_test"), tmp_path / "b", fmt="parquet", columns=["level"], masked=[],
                   include_holdout=True)
    assert everyone.row_count == len(groups)
    only_b = run(spark, snapshot, Target("ab_test", "B"), tmp_path / "c", fmt="parquet", columns=[], masked=[])
    assert only_b.row_count == sum(1 for g in groups.values() if g == "B") and only_b.file == "ab_test_B_2026-11-22.parquet"


def test_export_errors_are_readable(spark, snapshot, evaluated, tmp_path):
    with pytest.raises(InputError, match=r"unknown column\(s\) citty.*did you mean 'city'"):
        run(spark, snapshot, Target("eq_city"), tmp_path, columns=["citty"], masked=[])
    with pytest.raises(InputError, match="--mask email: not among the exported columns"):
        run(spark, snapshot, Target("eq_city"), tmp_path, masked=["email"])
    with pytest.raises(InputError, match="identifier columns \\(wechat_unionid\\) exist only for subjects resolved by OneID"):
        run(spark, snapshot, Target("eq_city"), tmp_path, columns=["wechat_unionid"], masked=[])
    with pytest.raises(DataError, match=r"has not been evaluated for 2026-11-20.*evaluated dates: 2026-11-21, 2026-11-22"):
        export(spark, snapshot.settings, snapshot.library, snapshot.segments, Target("eq_city"), dt.date(2026, 11, 20),
               ["city"], "csv", tmp_path)
    assert D1 < D2


def test_mask_values(spark):
    values = ["13812340000", "zhang.san@qq.com", "abc", "ab", "oid_123456789", None]
    frame = spark.createDataFrame([(v,) for v in values], "v string").select(mask("v").alias("m"))
    assert [r["m"] for r in frame.collect()] == ["138****0000", "z***@qq.com", "a*c", "**", "oid****6789", None]


def test_identifiers_take_the_most_recently_seen_value_of_the_run_at_or_before_the_date(spark, snapshot):
    settings = snapshot.settings
    rows = [
        # snapshot_date, id_type, id_value, oneid, first_seen, last_seen
        ("2026-11-20", "phone", "13900000001", "p1", "2025-01-01 00:00:00", "2026-01-01 00:00:00"),
        ("2026-11-20", "phone", "13900000002", "p1", "2025-01-01 00:00:00", "2026-06-01 00:00:00"),
        ("2026-11-20", "email", "p1@example.cn", "p1", "2025-01-01 00:00:00", "2025-01-01 00:00:00"),
        ("2026-11-20", "phone", "13900000003", "p2", "2025-01-01 00:00:00", "2025-01-01 00:00:00"),
        ("2026-11-23", "phone", "13900000009", "p1", "2025-01-01 00:00:00", "2026-11-23 00:00:00"),   # after the date
    ]
    (spark.createDataFrame(rows, "snapshot_date string, id_type string, id_value string, oneid string, first_seen string, last_seen string")
     .selectExpr("CAST(snapshot_date AS DATE) AS snapshot_date", "id_type", "id_value", "oneid",
                 "CAST(first_seen AS TIMESTAMP) AS first_seen", "CAST(last_seen AS TIMESTAMP) AS last_seen")
     .write.format("delta").mode("overwrite").saveAsTable(settings.table("oneid_mapping")))
    (spark.createDataFrame([("2026-11-20",), ("2026-11-23",)], "snapshot_date string")
     .selectExpr("CAST(snapshot_date AS DATE) AS snapshot_date").write.format("delta").mode("overwrite")
     .saveAsTable(settings.table("oneid_runs")))
    try:
        got = {r["oneid"]: (r["phone"], r["email"]) for r in _identifiers(spark, settings, D2, ["phone", "email"], "oneid").collect()}
        assert got == {"p1": ("13900000002", "p1@example.cn"), "p2": ("13900000003", None)}
    finally:
        spark.sql(f"DROP TABLE IF EXISTS {settings.table('oneid_mapping')}")
        spark.sql(f"DROP TABLE IF EXISTS {settings.table('oneid_runs')}")
