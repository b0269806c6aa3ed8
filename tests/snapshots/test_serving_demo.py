"""The serving tables of a real nightly run (tiny demo, shipped tagdefs: ~11,000 member tags):
equal to the column groups they are read from, and one member's full row read by a separate Spark
application with a small driver, through a catalog entry of its own pointing at the serving folder."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import yaml

from taglake.snapshots import registry, serving
from taglake.snapshots.layout import by_group, group_table

D = "2026-11-22"

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


def test_latest_table_equals_the_column_groups(spark, tiny_nightly):
    settings = tiny_nightly
    latest = spark.table(settings.table("tags_member_latest"))
    groups = by_group(registry.placements(spark, settings, "member"))
    assert len(latest.columns) == 2 + sum(len(c) for c in groups.values()) > 10_000
    fills = registry.fills(spark, settings, "member")
    # Independently: the base group joined with two family groups by Spark, fill values applied.
    family = [g for g in groups if g.startswith("f_")][:2]
    picked = [groups[g][0] for g in family] + [groups[g][-1] for g in family]
    joined = spark.table(settings.table(group_table("member", min(groups)))).where(f"snapshot_date = DATE'{D}'").select("oneid")
    for g in family:
        part = spark.table(settings.table(group_table("member", g))).where(f"snapshot_date = DATE'{D}'")
        joined = joined.join(part.select("oneid", *[c for c in picked if c in groups[g]]), "oneid", "left")
    want = joined.selectExpr("oneid", *[f"coalesce({c}, {fills[c]}) AS {c}" if c in fills else c for c in picked])
    got = latest.select("oneid", *picked)
    assert sorted(map(tuple, got.collect())) == sorted(map(tuple, want.collect()))


def test_full_row_of_one_member_with_a_small_driver(spark, tiny_nightly, tmp_path):
    settings = tiny_nightly
    key = spark.sql(f"SELECT oneid FROM {settings.table('tags_member_latest')} ORDER BY oneid LIMIT 1 OFFSET 100").first()[0]
    expected = spark.sql(f"SELECT * FROM {settings.table('tags_member_latest')} WHERE oneid = '{key}'").collect()
    conf = settings.model_dump(mode="json", exclude={"root"})
    conf.update(name="small-driver", warehouse=str(tmp_path / "warehouse"), metastore=str(tmp_path / "metastore_db"),
                checkpoint_dir=str(tmp_path / "checkpoints"), database="elsewhere")
    conf["spark"].update(master="local[1]", driver_memory="1g")
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(conf, allow_unicode=True))
    folder = serving.folder(spark, settings, "member")
    proc = subprocess.run([sys.executable, "-c", FULL_ROW, str(path), folder, key], capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    rows = json.loads(line.removeprefix("RESULT "))
    assert len(rows) == 1 and len(rows[0]) == len(expected[0]) > 10_000
    want = json.loads(json.dumps([r.asDict() for r in expected], default=str, ensure_ascii=False))
    assert rows == want
