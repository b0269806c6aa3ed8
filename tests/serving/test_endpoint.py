"""The SQL endpoint through real clients: beeline (Hive JDBC) and impyla (DB-API), on loopback.

Every value compared is the same SQL run in the test session against the source database: the
endpoint must add nothing and lose nothing."""

from __future__ import annotations

import datetime as dt
import decimal
import time

import pytest

from tests.serving.conftest import SOURCE_DB, D, beeline, csv_rows, get_columns

BI_OBJECTS = {"tags_member", "tags_member_latest", "tags_store", "tags_store_latest", "tags_product_latest",
              "tags_staff_latest", "segment_members", "segment_stats", "tag_stats", "tag_versions", "snapshots",
              "tag_dictionary"}


def norm(value):
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def same_as_spark(spark, cursor, sql: str) -> list[tuple]:
    """Run `sql` over JDBC (database bi) and in the test session (database bi_src); assert equal rows."""
    cursor.execute(sql)
    got = sorted((tuple(norm(v) for v in row) for row in cursor.fetchall()), key=repr)
    spark.sql(f"USE {SOURCE_DB}")
    want = sorted((tuple(norm(v) for v in row) for row in spark.sql(sql).collect()), key=repr)
    assert got == want, f"{sql}: {len(got)} rows over JDBC vs {len(want)} in Spark; first differences: " \
                        f"{[r for r in got if r not in want][:3]} / {[r for r in want if r not in got][:3]}"
    return got


def test_show_tables_lists_the_bi_objects_of_every_database(connect):
    cur = connect()
    cur.execute("SHOW TABLES")
    assert BI_OBJECTS <= {row[1] for row in cur.fetchall()}
    cur.execute("SHOW DATABASES")
    databases = {row[0] for row in cur.fetchall()}
    assert {"bi", "bi_membership", "bi_marketing", "bi_merchandising", "bi_stores", "bi_ecommerce", SOURCE_DB} <= databases


def test_jdbc_metadata_of_the_wide_table_has_every_column_with_its_type_and_display_name(spark, endpoint, bi_source):
    """DBeaver's view of tags_member_latest: DatabaseMetaData.getColumns through the Hive JDBC driver
    (the metastore's copy of the table's schema, as a client sees it, not as Spark does)."""
    from taglake.tagdefs import load_library

    library = load_library(bi_source.path(bi_source.tagdefs), database=SOURCE_DB)
    started = time.perf_counter()
    out = beeline(endpoint.url(), "!columns tags_member_latest")
    seconds = time.perf_counter() - started
    assert out.returncode == 0, out.stderr[-2000:]
    rows = csv_rows(out.stdout)
    header = rows[0]
    # !columns matches the table name in every database: keep the BI database's rows
    rows = [r for r in rows[1:] if len(r) == len(header) and r[header.index("TABLE_SCHEM")] == "bi"]
    by_name = {r[header.index("COLUMN_NAME")]: r for r in rows}
    schema = spark.table(f"{SOURCE_DB}.tags_member_latest").schema
    expected = [f.name for f in schema.fields]
    # The session's reference nightly runs the small library (~600 member columns); getColumns over
    # the 10,000+ columns of a full library is timed by benchmarks.serving ("column metadata").
    assert list(by_name) == expected and len(expected) > 500
    remarks, type_name = header.index("REMARKS"), header.index("TYPE_NAME")
    tags = library.tags["member"]
    missing = [c for c in expected if c in tags and not by_name[c][remarks].startswith(tags[c].display_name)]
    assert not missing, f"{len(missing)} columns without their display name, e.g. {missing[:5]}"
    types = {f.name: f.dataType.simpleString().upper() for f in schema.fields}
    wrong = [(c, by_name[c][type_name], types[c]) for c in expected if by_name[c][type_name] != types[c]]
    assert not wrong, f"{len(wrong)} columns with another type over JDBC, e.g. {wrong[:5]}"
    assert {types[c] for c in expected} >= {"STRING", "BIGINT", "DOUBLE", "DATE", "BOOLEAN"}
    print(f"\ngetColumns(tags_member_latest) over JDBC: {len(rows):,} columns in {seconds:.1f}s (beeline, incl. its JVM start)")


def test_delta_tables_show_no_columns_to_jdbc_clients_but_their_bi_views_do(connect):
    """delta-io/delta#695: why the BI databases hold views over the Delta tables. A column group
    table registered in the metastore reports no columns through GetColumns; the BI view over the
    same data reports them."""
    cur = connect()
    assert get_columns(cur, SOURCE_DB, "tags_store__core_001") == []
    columns = get_columns(cur, "bi", "tag_dictionary")
    assert [c[3] for c in columns][:3] == ["subject", "tag", "display_name"]
    assert all(c[11] for c in columns if c[3] in ("tag", "display_name"))


def test_migrated_tag_tables_keep_their_columns_and_read_the_same(spark, connect):
    """`taglake metastore migrate` re-created taglake's own tag tables (USING taglake_wide) from
    their definitions: same columns and comments through JDBC, same rows."""
    cur = connect(SOURCE_DB)
    got = get_columns(cur, SOURCE_DB, "tags_store_latest")
    want = spark.table(f"{SOURCE_DB}.tags_store_latest").schema
    assert [(c[3], c[11] or "") for c in got] == [(f.name, f.metadata.get("comment", "")) for f in want.fields]
    same_as_spark(spark, cur, "SELECT store_id, city_tier, revenue_365d FROM tags_store_latest")


def test_latest_query_equals_spark(spark, connect):
    rows = same_as_spark(spark, connect(), "SELECT oneid, lifecycle_stage, rfm_cell, spend_365d, orders_365d, city, "
                                          "snapshot_date FROM tags_member_latest")
    assert len(rows) > 3000 and {r[-1] for r in rows} == {D.isoformat()}


def test_as_of_query_equals_spark(spark, connect):
    rows = same_as_spark(spark, connect(), f"SELECT store_id, city_tier, revenue_365d, high_value_member_share_365d "
                                          f"FROM tags_store WHERE snapshot_date = DATE'{D}'")
    assert len(rows) == 20


def test_tgi_aggregate_equals_spark(spark, connect):
    """A portrait: share of each lifecycle stage in a segment against the whole base, as TGI."""
    rows = same_as_spark(spark, connect(), f"""
        WITH seg AS (SELECT subject_key FROM segment_members WHERE snapshot_date = DATE'{D}' AND segment = 'high_value_active'),
             t AS (SELECT m.lifecycle_stage, s.subject_key IS NOT NULL AS in_segment FROM tags_member_latest m
                   LEFT JOIN seg s ON m.oneid = s.subject_key)
        SELECT lifecycle_stage, count_if(in_segment) AS segment_count, count(*) AS base_count,
               round(100 * (count_if(in_segment) / sum(count_if(in_segment)) OVER ()) / (count(*) / sum(count(*)) OVER ()), 2) AS tgi
        FROM t GROUP BY lifecycle_stage""")
    assert len(rows) >= 3 and sum(r[1] for r in rows) > 0


def test_family_columns_group_by_equals_spark(spark, connect):
    cur = connect()
    cur.execute("SELECT tag FROM tag_dictionary WHERE subject = 'member' AND family IS NOT NULL ORDER BY tag LIMIT 3")
    family = [r[0] for r in cur.fetchall()]
    assert len(family) == 3
    same_as_spark(spark, cur, f"SELECT city, count(*), {', '.join(f'sum(`{c}`)' for c in family)} "
                              "FROM tags_member_latest GROUP BY city")


def test_wide_rows_come_direct_and_equal_spark(spark, connect, endpoint):
    """Statements make their rows without Spark's per-statement Row encoder (DirectRows): one
    member's full row, every column, and a top-N by a tag equal Spark's; a LIMIT preview streams
    the first rows of the table."""
    assert "result rows made directly" in endpoint.log.read_text(errors="replace")
    spark.sql(f"USE {SOURCE_DB}")
    member = spark.sql("SELECT oneid FROM tags_member_latest ORDER BY oneid LIMIT 1").first()[0]
    full_row = f"SELECT * FROM tags_member_latest WHERE oneid = '{member}'"
    [row] = same_as_spark(spark, connect(), full_row)
    assert len(row) == len(spark.table("tags_member_latest").columns) > 100
    spark_path = connect()   # a session (impyla: a cursor) asking for Spark's own statements: same row
    spark_path.execute("SET taglake.serve.direct_rows=false")
    spark_path.execute("SET taglake.serve.direct_rows")
    assert spark_path.fetchall() == [("taglake.serve.direct_rows", "false")]
    spark_path.execute(full_row)
    assert [tuple(norm(v) for v in r) for r in spark_path.fetchall()] == [row]
    top = same_as_spark(spark, connect(), "SELECT oneid, spend_365d FROM tags_member_latest "
                                          "ORDER BY spend_365d DESC NULLS LAST, oneid LIMIT 25")
    assert len(top) == 25
    cur = connect()
    cur.execute("SELECT * FROM tags_member_latest LIMIT 100")
    preview = cur.fetchall()
    members = {r[0] for r in spark.sql("SELECT oneid FROM tags_member_latest").collect()}
    assert len(preview) == 100 and {r[0] for r in preview} <= members and len(preview[0]) == len(row)


def test_bad_sql_is_an_error_message_and_the_session_goes_on(connect, endpoint):
    from impala.error import Error  # DB-API's base class; impyla raises OperationalError

    cur = connect()
    with pytest.raises(Error, match="PARSE_SYNTAX_ERROR"):
        cur.execute("SELEC oneid FROM tags_member_latest")
    with pytest.raises(Error, match="UNRESOLVED_COLUMN|cannot be resolved"):
        cur.execute("SELECT no_such_tag FROM tags_member_latest")
    cur.execute("SELECT count(*) FROM tags_store_latest")
    assert cur.fetchall() == [(20,)]
    out = beeline(endpoint.url(), "SELEC 1")
    assert "PARSE_SYNTAX_ERROR" in out.stdout + out.stderr


def test_beeline_query_equals_spark(spark, endpoint):
    out = beeline(endpoint.url(), "SELECT city_tier, count(*) AS stores FROM tags_store_latest GROUP BY city_tier ORDER BY city_tier")
    assert out.returncode == 0, out.stderr[-2000:]
    rows = csv_rows(out.stdout)
    assert rows[0] == ["city_tier", "stores"]
    want = spark.sql(f"SELECT city_tier, count(*) FROM {SOURCE_DB}.tags_store_latest GROUP BY city_tier ORDER BY city_tier").collect()
    assert rows[1:] == [[r[0] if r[0] is not None else "NULL", str(r[1])] for r in want]
