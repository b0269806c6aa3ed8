"""The serving tables: one plain column per tag across column groups, bucketed key-sorted files
zipped without a join; a query opens only the groups, dates and buckets it needs; the next
manifest switches readers to the next complete snapshot at once."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from taglake.compiler.plan import KEY
from taglake.compute.writer import GroupWriter
from taglake.snapshots import registry, serving
from taglake.snapshots.layout import Placement

D1, D2 = dt.date(2026, 11, 21), dt.date(2026, 11, 22)
BUCKETS = 3
GROUPS = {"core_001": ["city", "spend", "labels", "vip", "since", "seen"],
          "f_cat_001": ["cat_a", "cat_b"],
          "f_cat_002": ["cat_c"]}
TYPES = {"city": "string", "spend": "double", "labels": "array<string>", "vip": "boolean", "since": "date",
         "seen": "timestamp", "cat_a": "bigint", "cat_b": "double", "cat_c": "bigint"}
FILL = {"cat_a": "0", "cat_c": "0"}            # counts read 0 where a sparse group has no row
COMMENTS = {"city": "城市", "spend": "消费金额"}
KEYS = [f"o{i:05d}" for i in range(60)]


def values(key: str, date: dt.date, offset: int) -> dict:
    """Every tag of one subject at one date; None where a sparse group has no row for it."""
    i = int(key[1:]) + offset
    has_a, has_c = i % 3 == 0, i % 4 == 0
    return {
        "city": ["上海", "北京", None][i % 3], "spend": i * 1.5, "labels": None if i % 5 == 0 else ["a", str(i)],
        "vip": i % 2 == 0, "since": date - dt.timedelta(days=i), "seen": dt.datetime(2026, 1, 1, 8, 30) + dt.timedelta(hours=i),
        "cat_a": i if has_a else None, "cat_b": i / 4 if has_a and i % 2 else None, "cat_c": 2 * i if has_c else None,
    }


def expected(date: dt.date, offset: int, columns: list[str], keys: list[str] = KEYS) -> set[tuple]:
    out = set()
    for key in keys:
        row = values(key, date, offset)
        row["cat_a"] = 0 if row["cat_a"] is None else row["cat_a"]
        row["cat_c"] = 0 if row["cat_c"] is None else row["cat_c"]
        out.add((key, date, *[tuple(row[c]) if isinstance(row[c], list) else row[c] for c in columns]))
    return out


def frozen(rows) -> set[tuple]:
    return {tuple(tuple(v) if isinstance(v, list) else v for v in r) for r in rows}


def write_snapshot(spark, settings, date: dt.date, offset: int = 0, groups: dict | None = None,
                   types: dict | None = None, value_of=values, keys: list[str] = KEYS, buckets: int = BUCKETS) -> None:
    """Write a snapshot the way the tag engine does: each group through GroupWriter (bucketed,
    key-sorted), then the registry, then the serving manifest."""
    groups, types = groups or GROUPS, types or TYPES
    writer = GroupWriter(spark, settings, date)
    files, versions = {}, {}
    for group, columns in groups.items():
        rows = []
        for key in keys:
            row = value_of(key, date, offset)
            if group != "core_001" and all(row[c] is None for c in columns):
                continue     # a sparse family group stores only subjects with data
            rows.append((key, *[row[c] for c in columns]))
        schema = ", ".join([f"{KEY} string", *[f"{c} {types[c]}" for c in columns]])
        frame = spark.createDataFrame(rows, schema)
        written = writer.write("member", "oneid", group, frame, columns, types, COMMENTS, [], buckets)
        files[group], versions[group] = written.files, written.version
    placed = {tag: Placement(group, i) for group, tags in groups.items() for i, tag in enumerate(tags)}
    registry.save_placements(spark, settings, "member", placed, types, {}, date, FILL)
    now = dt.datetime.now()
    record = registry.SnapshotRecord("member", date, "run", "complete", len(placed), len(keys), "h", versions, 1.0,
                                     now, now, buckets, json.dumps(files))
    registry.record_snapshots(spark, settings, [record], f"subject = 'member' AND snapshot_date = DATE'{date}'")
    serving.publish(spark, settings, "member", "oneid", COMMENTS, "test")


def data_files(spark, settings, group: str) -> list[str]:
    return spark.sql(f"SELECT DISTINCT input_file_name() FROM {settings.table('tags_member__' + group)}").toPandas().iloc[:, 0].tolist()


def test_bucket_count():
    assert serving.bucket_count(0, 250_000) == 1
    assert serving.bucket_count(250_000, 250_000) == 1
    assert serving.bucket_count(250_001, 250_000) == 2


def test_serving_tables_hold_every_tag_of_every_date(spark, settings):
    write_snapshot(spark, settings, D1, offset=0)
    write_snapshot(spark, settings, D2, offset=1)
    columns = [c for cols in GROUPS.values() for c in cols]
    latest = spark.table(settings.table("tags_member_latest"))
    assert latest.columns == ["oneid", "snapshot_date", *columns]
    assert latest.schema["city"].metadata["comment"] == "城市"        # display names for BI tools
    assert frozen(latest.collect()) == expected(D2, 1, columns)
    everything = spark.table(settings.table("tags_member"))
    assert frozen(everything.collect()) == expected(D1, 0, columns) | expected(D2, 1, columns)
    as_of = spark.sql(f"SELECT * FROM {settings.table('tags_member')} WHERE snapshot_date = DATE'{D1}'")
    assert frozen(as_of.collect()) == expected(D1, 0, columns)

    # Point lookups (one bucket), IN lists, a filter on a family column, an aggregate.
    one = spark.sql(f"SELECT oneid, cat_c, city FROM {settings.table('tags_member_latest')} WHERE oneid = 'o00007'").collect()
    want = values("o00007", D2, 1)
    assert [tuple(r) for r in one] == [("o00007", want["cat_c"] or 0, want["city"])]
    some = spark.sql(f"SELECT oneid FROM {settings.table('tags_member')} WHERE oneid IN ('o00003', 'o00050', 'zzz')")
    assert sorted(r[0] for r in some.collect()) == ["o00003", "o00003", "o00050", "o00050"]
    counted = spark.sql(f"SELECT count(*) FROM {settings.table('tags_member_latest')} WHERE cat_a > 0").first()[0]
    assert counted == sum(1 for k in KEYS if (values(k, D2, 1)["cat_a"] or 0) > 0)
    preview = spark.sql(f"SELECT * FROM {settings.table('tags_member_latest')} LIMIT 5").collect()
    assert len(preview) == 5 and frozen(preview) <= expected(D2, 1, columns)


def pages(spark, path: str) -> int:
    """Data pages of a file's key column, from its Parquet offset index."""
    jvm = spark._jvm
    file = jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(jvm.org.apache.hadoop.fs.Path(path),
                                                                        spark._jsc.hadoopConfiguration())
    reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(file)
    try:
        return sum(reader.readOffsetIndex(block.getColumns().get(0)).getPageCount() for block in reader.getFooter().getBlocks())
    finally:
        reader.close()


def test_scans_without_a_key_filter_read_every_page_window(spark, settings):
    # One bucket of 9,001 subjects: pages of 2,000 rows, so the reader's key windows (1, 2 ... pages
    # of the base group) split every group's files, sparse ones included, in more than one place.
    keys = [f"k{i:05d}" for i in range(9001)]
    write_snapshot(spark, settings, D1, keys=keys, buckets=1)
    files = json.loads(registry.snapshot(spark, settings, "member", D1).group_files)
    assert pages(spark, files["core_001"][0]["path"]) >= 4
    columns = [c for cols in GROUPS.values() for c in cols]
    table = settings.table("tags_member_latest")
    assert frozen(spark.table(table).collect()) == expected(D1, 0, columns, keys)
    assert spark.table(table).count() == len(keys)
    sparse = spark.sql(f"SELECT count(*) FROM {table} WHERE cat_c > 0").first()[0]
    assert sparse == sum(1 for k in keys if (values(k, D1, 0)["cat_c"] or 0) > 0)
    first = spark.sql(f"SELECT oneid, cat_a, cat_c FROM {table} LIMIT 3").collect()
    assert [r["oneid"] for r in first] == keys[:3]                        # the first window, in key order
    assert frozen(first) <= {(key, a, c) for key, _, a, c in expected(D1, 0, ["cat_a", "cat_c"], keys)}


def test_files_are_bucketed_by_key_and_sorted(spark, settings):
    write_snapshot(spark, settings, D1)
    record = registry.snapshot(spark, settings, "member", D1)
    files = json.loads(record.group_files)
    assert record.buckets == BUCKETS and set(files) == set(GROUPS)
    for group in GROUPS:
        table = settings.table(f"tags_member__{group}")
        rows = spark.sql(f"SELECT input_file_name() AS f, oneid, pmod(hash(oneid), {BUCKETS}) AS b FROM {table}").collect()
        bucket_of = {f["path"]: f["bucket"] for f in files[group]}
        assert {r["f"] for r in rows} == set(bucket_of)
        assert all(bucket_of[r["f"]] == r["b"] for r in rows)            # file i holds hash bucket i
        for path in bucket_of:
            keys = [r["oneid"] for r in spark.read.parquet(path).select("oneid").collect()]
            assert keys == sorted(keys)                                  # in key order (as written)


def test_a_query_opens_only_the_groups_and_buckets_it_needs(spark, settings):
    write_snapshot(spark, settings, D1)
    table = settings.table("tags_member_latest")
    files = json.loads(registry.snapshot(spark, settings, "member", D1).group_files)
    # Take away the files of one family group and of all buckets but one: queries that do not
    # need them still answer, the others fail. (Delta keeps no copy: the files are gone.)
    import os

    for f in files["f_cat_002"]:
        os.remove(f["path"].removeprefix("file:"))
    key = "o00011"
    keep = [f for f in files["core_001"] if f["bucket"] == spark.sql(f"SELECT pmod(hash('{key}'), {BUCKETS})").first()[0]]
    for f in files["core_001"]:
        if f not in keep:
            os.rename(f["path"].removeprefix("file:"), f["path"].removeprefix("file:") + ".away")
    assert spark.sql(f"SELECT city, cat_a FROM {table} WHERE oneid = '{key}'").count() == 1
    missing = r"(?i)FileNotFound|does not exist|No such file"
    with pytest.raises(Exception, match=missing):
        spark.sql(f"SELECT city FROM {table}").collect()                 # every bucket
    with pytest.raises(Exception, match=missing):
        spark.sql(f"SELECT cat_c FROM {table} WHERE oneid = '{key}'").collect()   # the removed group


def test_the_next_manifest_switches_readers_and_new_tags_read_null_before_they_existed(spark, settings):
    write_snapshot(spark, settings, D1)
    table = settings.table("tags_member_latest")
    before = frozen(spark.table(table).select("oneid", "spend").collect())
    # D2 written to the group tables but not yet published: readers keep D1.
    writer = GroupWriter(spark, settings, D2)
    frame = spark.createDataFrame([(k, 1.0) for k in KEYS], f"{KEY} string, spend double")
    writer.write("member", "oneid", "core_001", frame, ["spend"], TYPES, COMMENTS, [], BUCKETS)
    assert frozen(spark.table(table).select("oneid", "spend").collect()) == before
    # A new tag in a new group from D2 on: the table is re-registered with the column; D1 reads NULL.
    write_snapshot(spark, settings, D2, offset=1, groups={**GROUPS, "f_new_001": ["fresh"]},
                   types={**TYPES, "fresh": "bigint"}, value_of=lambda k, d, o: {**values(k, d, o), "fresh": 7})
    assert spark.table(table).columns[-1] == "fresh"
    assert {r["fresh"] for r in spark.table(table).collect()} == {7}
    old = spark.sql(f"SELECT DISTINCT fresh FROM {settings.table('tags_member')} WHERE snapshot_date = DATE'{D1}'")
    assert [r[0] for r in old.collect()] == [None]


def test_business_line_table_exposes_only_declared_columns(spark, settings):
    """A catalog table over the same serving folder with a column subset (what BI databases per
    business line use): only those columns exist, with the same values."""
    write_snapshot(spark, settings, D1)
    where = serving.folder(spark, settings, "member")
    subset = settings.table("member_subset")
    spark.sql(f"CREATE TABLE {subset} (oneid STRING NOT NULL, snapshot_date DATE NOT NULL, city STRING, cat_a BIGINT) "
              f"USING {serving.DATA_SOURCE} OPTIONS (path '{where}', latest 'true')")
    assert spark.table(subset).columns == ["oneid", "snapshot_date", "city", "cat_a"]
    assert frozen(spark.table(subset).collect()) == expected(D1, 0, ["city", "cat_a"])
    with pytest.raises(Exception, match="spend"):
        spark.sql(f"SELECT spend FROM {subset}").collect()
