"""Visibility by business line, through the endpoint: each line's BI database exposes only the tags
that line may see (tagdefs `business_line` and `visibility.business_lines`), in columns and in rows."""

from __future__ import annotations

import pytest

from tests.serving.conftest import SOURCE_DB, get_columns

LINES = {"bi_membership": "会员运营", "bi_marketing": "市场营销", "bi_merchandising": "商品运营", "bi_stores": "门店运营",
         "bi_ecommerce": "电商"}


@pytest.fixture(scope="module")
def library(bi_source):
    from taglake.tagdefs import load_library

    return load_library(bi_source.path(bi_source.tagdefs), database=SOURCE_DB)


def hidden_from(library, subject: str, line: str) -> set[str]:
    """Independent of the publisher: the tags of `subject` that `line` may not read."""
    return {t.name for t in library.tags[subject].values()
            if "*" not in t.visibility.business_lines and line not in t.visibility.business_lines and line != t.business_line}


def test_the_shipped_library_restricts_some_tags(library):
    assert "birthday" in hidden_from(library, "member", "电商")
    assert hidden_from(library, "member", "会员运营") == set()
    assert "staff_name" in hidden_from(library, "staff", "会员运营")
    assert "staff_name" not in hidden_from(library, "staff", "门店运营")


@pytest.fixture(scope="module")
def member_columns(spark, bi_source) -> list[str]:
    return spark.table(f"{SOURCE_DB}.tags_member_latest").columns


@pytest.mark.parametrize("database", sorted(LINES))
def test_each_line_sees_exactly_its_visible_member_columns(connect, library, member_columns, database):
    line = LINES[database]
    want = [c for c in member_columns if c not in hidden_from(library, "member", line)]
    got = [c[3] for c in get_columns(connect(database), database, "tags_member_latest")]
    assert got == want


def test_a_line_cannot_read_another_lines_tag(connect):
    cur = connect("bi_ecommerce")
    with pytest.raises(Exception, match="UNRESOLVED_COLUMN|cannot be resolved"):
        cur.execute("SELECT oneid, birthday FROM tags_member_latest")
    with pytest.raises(Exception, match="UNRESOLVED_COLUMN|cannot be resolved"):
        cur.execute("SELECT * FROM bi_ecommerce.tags_staff_latest WHERE staff_name IS NOT NULL")
    cur.execute("SELECT count(*) FROM tags_member_latest WHERE spend_365d > 0")    # public tags work
    assert cur.fetchall()[0][0] > 0
    own = connect("bi_membership")
    own.execute("SELECT count(birthday) FROM tags_member_latest")
    assert own.fetchall()[0][0] > 0
    stores = connect("bi_stores")
    stores.execute("SELECT count(staff_name) FROM tags_staff_latest")
    assert stores.fetchall()[0][0] > 0


def test_rows_about_hidden_tags_and_segments_are_filtered(spark, connect, library):
    cur = connect("bi_ecommerce")
    cur.execute("SELECT subject, tag FROM tag_dictionary")
    seen = {tuple(r) for r in cur.fetchall()}
    every = {(t.subject, t.name) for t in library.all_tags()}
    hidden = {(s, t) for s in library.tags for t in hidden_from(library, s, "电商")}
    assert seen == every - hidden and ("member", "birthday") not in seen
    cur.execute("SELECT DISTINCT subject, tag FROM tag_stats")
    stats = {tuple(r) for r in cur.fetchall()}
    assert stats and not stats & hidden
    all_stats = {tuple(r) for r in spark.sql(f"SELECT DISTINCT subject, tag FROM {SOURCE_DB}.tag_stats").collect()}
    assert stats == all_stats - hidden
    # segments: visible when every tag they read is
    rows = spark.sql(f"SELECT DISTINCT segment, subject, tags FROM {SOURCE_DB}.segment_stats").collect()
    reads: dict[str, set] = {}
    for r in rows:
        reads.setdefault(r["segment"], set()).update((r["subject"], t) for t in r["tags"])
    want = {s for s, tags in reads.items() if not tags & hidden}
    assert want != set(reads), "the demo segments should include one that reads a restricted tag"
    cur.execute("SELECT DISTINCT segment FROM segment_stats")
    assert {r[0] for r in cur.fetchall()} == want
    cur.execute("SELECT DISTINCT segment FROM segment_members")
    assert {r[0] for r in cur.fetchall()} <= want
