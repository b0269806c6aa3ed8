"""11,000 tag columns behind one serving table: one subject's full row read by a separate Spark
application with a 1 GB driver, through a catalog entry of its own pointing at the serving folder
(what re-registering a warehouse in another metastore does), equal to the row read here."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import pytest
import yaml

from taglake.compiler.plan import KEY
from taglake.compute.writer import GroupWriter
from taglake.snapshots import registry, serving
from taglake.snapshots.layout import Placement

D = dt.date(2026, 11, 22)
GROUPS, PER_GROUP, MEMBERS, BUCKETS = 11, 1_000, 400, 2
KINDS = ["bigint", "double", "string", "boolean", "date"]

FULL_ROW = textwrap.dedent("""
    import json, sys
    from taglake.runtime import build_session
    from taglake.settings import load_settings

    conf, folder, key = sys.argv[1:4]
    spark = build_session(load_settings(conf))
    spark.sql(f"CREATE TABLE members USING taglake_wide OPTIONS (path '{folder}', latest 'true')")
    rows = spark.sql(f"SELECT * FROM members WHERE oneid = '{key}'").collect()
    print("RESULT " + json.dumps([r.asDict() for r in rows], default=str, ensure_ascii=False))
""")


def value_sql(column: int, kind: str, sparse: bool) -> str:
    draw = f"pmod(id * {column * 7 + 3} + {column}, 101)"
    absent = f"{draw} < {70 if sparse else 10}"
    value = {"bigint": f"CAST({draw} AS BIGINT)", "double": f"{draw} / 4.0", "string": f"concat('v', {draw} % 13)",
             "boolean": f"{draw} % 2 = 0", "date": f"date_add(DATE'2026-01-01', CAST({draw} AS INT))"}[kind]
    return f"CASE WHEN {absent} THEN NULL ELSE {value} END"


@pytest.fixture(scope="module")
def wide(spark, base_settings):
    """A member snapshot of 11,000 tag columns in 11 groups (the first dense, the others sparse
    family-like groups), written through the tag engine's GroupWriter and published."""
    settings = base_settings.with_overrides(database="serving_wide")
    spark.sql("DROP DATABASE IF EXISTS serving_wide CASCADE")
    spark.sql("CREATE DATABASE serving_wide")
    writer = GroupWriter(spark, settings, D)
    base = spark.range(MEMBERS).selectExpr("id", f"format_string('o%05d', id) AS {KEY}")
    types, placed, files, versions = {}, {}, {}, {}
    for g in range(GROUPS):
        group = "core_001" if g == 0 else f"f_wide_{g:03d}"
        columns = [f"t{g:02d}_{i:04d}" for i in range(PER_GROUP)]
        types.update({c: KINDS[i % len(KINDS)] for i, c in enumerate(columns)})
        placed.update({c: Placement(group, i) for i, c in enumerate(columns)})
        frame = base.selectExpr(KEY, *[f"{value_sql(g * PER_GROUP + i, types[c], g > 0)} AS {c}" for i, c in enumerate(columns)])
        if g > 0:     # sparse: only subjects with a value in the group
            frame = frame.where(" OR ".join(f"{c} IS NOT NULL" for c in columns[:5]))
        out = writer.write("member", "oneid", group, frame, columns, types, {}, [], BUCKETS)
        files[group], versions[group] = out.files, out.version
    registry.save_placements(spark, settings, "member", placed, types, {}, D)
    now = dt.datetime.now()
    registry.record_snapshots(spark, settings, [registry.SnapshotRecord(
        "member", D, "wide", "complete", len(placed), MEMBERS, "h", versions, 0.0, now, now, BUCKETS, json.dumps(files))],
        f"subject = 'member' AND snapshot_date = DATE'{D}'")
    serving.publish(spark, settings, "member", "oneid", {}, "wide test")
    yield settings
    spark.sql("DROP DATABASE IF EXISTS serving_wide CASCADE")


def test_full_row_of_one_member_with_a_small_driver(spark, wide, tmp_path):
    settings = wide
    latest = settings.table("tags_member_latest")
    assert len(spark.table(latest).columns) == 2 + GROUPS * PER_GROUP
    key = "o00123"
    expected = [r.asDict() for r in spark.sql(f"SELECT * FROM {latest} WHERE oneid = '{key}'").collect()]
    conf = settings.model_dump(mode="json", exclude={"root"})
    conf.update(name="small-driver", warehouse=str(tmp_path / "warehouse"), metastore=str(tmp_path / "metastore_db"),
                checkpoint_dir=str(tmp_path / "checkpoints"), database="elsewhere")
    conf["spark"].update(master="local[1]", driver_memory="1g")
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(conf, allow_unicode=True))
    folder = serving.folder(spark, settings, "member")
    proc = subprocess.run([sys.executable, "-c", FULL_ROW, str(path), folder, key], capture_output=True, text=True,
                          timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("RESULT ")).removeprefix("RESULT "))
    assert len(rows) == 1 and len(rows[0]) == 2 + GROUPS * PER_GROUP
    assert rows == json.loads(json.dumps(expected, default=str, ensure_ascii=False))
    # Independently of the reader: a few columns of that member straight from their group tables.
    for group, column in (("core_001", "t00_0007"), ("f_wide_005", "t05_0003"), ("f_wide_010", "t10_0999")):
        table = settings.table(f"tags_member__{group}")
        direct = spark.sql(f"SELECT {column} FROM {table} WHERE oneid = '{key}'").collect()
        assert str(direct[0][0] if direct else None) == str(rows[0][column])
