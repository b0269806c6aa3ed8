"""Serving configuration without Spark: metastore URLs, conf inheritance, BI view text, visibility,
the password file."""

from __future__ import annotations

import hashlib
import re

import pytest

from taglake.errors import ConfigError, EnvironmentProblem
from taglake.runtime import metastore
from taglake.runtime.session import session_conf
from taglake.serving import auth, publish
from taglake.settings import load_settings
from taglake.tagdefs.library import TagRef


def test_serve_conf_extends_local_and_names_a_shared_metastore():
    local, serve = load_settings("local"), load_settings("serve")
    assert serve.name == "serve" and serve.warehouse == local.warehouse and serve.spark == local.spark
    ms = metastore.parse(serve)
    assert (ms.kind, ms.host, ms.port, ms.database, ms.user) == ("postgresql", "127.0.0.1", 5433, "metastore", "taglake")
    assert ms.shared and not metastore.parse(local).shared
    conf = session_conf(serve)
    assert conf["spark.hadoop.javax.jdo.option.ConnectionURL"] == "jdbc:postgresql://127.0.0.1:5433/metastore"
    assert conf["spark.hadoop.datanucleus.schema.autoCreateConstraints"] == "false"
    assert conf["spark.driver.extraClassPath"].endswith("postgresql.jar")
    assert "derby" not in conf["spark.driver.extraJavaOptions"]
    # the embedded default stays Derby
    assert "jdbc:derby:" in session_conf(local)["spark.hadoop.javax.jdo.option.ConnectionURL"]


def test_cluster_conf_shows_a_metastore_by_url_with_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv(metastore.PASSWORD_ENV, "s3cret")
    ms = metastore.parse(load_settings("cluster"))
    assert (ms.kind, ms.host, ms.user, ms.password) == ("postgresql", "metastore-db.internal", "hive", "s3cret")
    assert str(ms) == "postgresql://hive@metastore-db.internal:5432/hive_metastore"   # no password in messages


@pytest.mark.parametrize("url, problem", [
    ("mysql://h/db", "expected a folder (Derby)"),
    ("postgresql://127.0.0.1:5433/metastore", "postgresql://user[:password]@host:port/database"),
])
def test_bad_metastore_urls_are_one_line(tmp_path, url, problem):
    conf = tmp_path / "conf" / "bad.yaml"
    conf.parent.mkdir()
    conf.write_text(f"extends: {load_settings('local').root / 'conf' / 'local.yaml'}\nname: bad\nmetastore: {url}\n")
    with pytest.raises(ConfigError, match=re.escape(problem)):
        metastore.parse(load_settings(conf))


def test_unreachable_metastore_is_one_line_before_any_jvm(tmp_path):
    conf = tmp_path / "conf" / "down.yaml"
    conf.parent.mkdir()
    conf.write_text(f"extends: {load_settings('local').root / 'conf' / 'local.yaml'}\nname: down\n"
                    "metastore: postgresql://taglake:x@127.0.0.1:9/metastore\n")
    with pytest.raises(EnvironmentProblem, match=r"not reachable .*taglake metastore start --conf down"):
        metastore.check_reachable(load_settings(conf))


def test_extends_merges_nested_settings_and_reports_loops(tmp_path):
    base = load_settings("local").root / "conf" / "local.yaml"
    child = tmp_path / "conf" / "child.yaml"
    child.parent.mkdir()
    child.write_text(f"extends: {base}\nname: child\nspark: {{driver_memory: 1g}}\nserve: {{port: 10123}}\n")
    settings = load_settings(child)
    assert settings.spark.driver_memory == "1g" and settings.spark.master == "local[*]"   # merged, not replaced
    assert settings.serve.port == 10123 and settings.serve.business_lines["电商"] == "ecommerce"
    loop = tmp_path / "conf" / "loop.yaml"
    loop.write_text("extends: loop\nname: x\n")
    with pytest.raises(ConfigError, match="loops back"):
        load_settings(loop)


# --- BI views -------------------------------------------------------------------------------------

def _obj():
    return publish.Exposed(
        "tags_member_latest", "taglake.tags_member_latest",
        (publish.Column("oneid", "会员 key"), publish.Column("city", "城市：常住城市。", TagRef("member", "city")),
         publish.Column("birth_year", "出生年份", TagRef("member", "birth_year"))),
        comment="latest")


def test_a_line_sees_its_own_tags_listed_ones_and_public_ones():
    visible = {TagRef("member", "city"): ("*",), TagRef("member", "birth_year"): ("会员运营", "市场营销")}
    full, own, other = publish.Audience("bi", None), publish.Audience("bi_m", "会员运营"), publish.Audience("bi_e", "电商")
    sql, width = publish.object_sql(_obj(), own, "taglake.tag_dictionary", visible)
    assert width == 3 and "EXCEPT" not in sql and "`birth_year` COMMENT '出生年份'" in sql
    sql, width = publish.object_sql(_obj(), other, "taglake.tag_dictionary", visible)
    assert width == 2 and "SELECT * EXCEPT (`birth_year`) FROM taglake.tags_member_latest" in sql
    assert "`birth_year` COMMENT" not in sql
    # a tag the library does not know (retired) is hidden from every line, shown in the full database
    assert publish.object_sql(_obj(), other, "d", {})[1] == 1
    assert publish.object_sql(_obj(), full, "d", {})[1] == 3


def test_a_lines_tag_table_declares_only_the_columns_it_may_see():
    """Tags are tables over the subject's manifest: the reader is given just the declared columns."""
    import dataclasses

    cols = tuple(dataclasses.replace(c, type=t) for c, t in zip(_obj().columns, ("string", "string", "bigint")))
    obj = dataclasses.replace(_obj(), columns=cols, wide=publish.Wide("/w/taglake.db/_serving/member", True))
    visible = {TagRef("member", "city"): ("*",), TagRef("member", "birth_year"): ("会员运营",)}
    sql, width = publish.object_sql(obj, publish.Audience("bi_e", "电商"), "d", visible)
    assert width == 2 and sql.startswith("CREATE TABLE bi_e.`tags_member_latest` (`oneid` string COMMENT '会员 key', "
                                         "`city` string COMMENT '城市：常住城市。') USING taglake_wide "
                                         "OPTIONS (path '/w/taglake.db/_serving/member', latest 'true')")
    assert "birth_year" not in sql
    sql, width = publish.object_sql(obj, publish.Audience("bi_m", "会员运营"), "d", visible)
    assert width == 3 and "`birth_year` bigint COMMENT '出生年份'" in sql
    assert publish.fingerprint_of(sql) != publish.fingerprint_of(publish.object_sql(obj, publish.Audience("bi_e", "电商"),
                                                                                    "d", visible)[0])


def test_rows_about_tags_and_segments_are_filtered_for_a_line():
    obj = publish.Exposed("tag_stats", "taglake.tag_stats", (publish.Column("tag"),), tag_rows=("subject", "tag"))
    sql, _ = publish.object_sql(obj, publish.Audience("bi_e", "电商"), "taglake.tag_dictionary", {})
    assert "(`subject`, `tag`) IN (SELECT subject, tag FROM taglake.tag_dictionary WHERE" in sql
    assert "array_contains(visible_to, '电商')" in sql
    assert "WHERE" not in publish.object_sql(obj, publish.Audience("bi", None), "d", {})[0].split(" AS ", 1)[1]
    seg = publish.Exposed("segment_members", "t.segment_members", (publish.Column("segment"),), segment_rows="segment")
    assert publish.object_sql(seg, publish.Audience("bi_e", "电商"), "d", {})[0].endswith("WHERE FALSE")
    sql = publish.object_sql(seg, publish.Audience("bi_e", "电商", frozenset({"b", "a"})), "d", {})[0]
    assert sql.endswith("WHERE `segment` IN ('a', 'b')")


def test_comments_fit_the_metastore_column():
    long = publish._comment("说明" * 300)
    assert len(long) == publish.COMMENT_LIMIT and long.endswith("…")
    assert publish._comment("a\n  b") == "a b"


def test_every_business_line_of_the_library_needs_a_database(tmp_path):
    from taglake.tagdefs import load_library

    settings = load_settings("local")
    library = load_library(settings.path(settings.tagdefs))
    names = [a.database for a in publish.audiences(settings, library)]
    assert names == ["bi", "bi_ecommerce", "bi_marketing", "bi_membership", "bi_merchandising", "bi_stores"]
    lines = dict(settings.serve.business_lines)
    del lines["电商"]
    with pytest.raises(ConfigError, match=r"no database suffix for business line\(s\) 电商 \(1,3\d\d tags\)"):
        publish.audiences(settings.with_overrides(serve=settings.serve.model_copy(update={"business_lines": lines})), library)
    assert publish.audiences(settings.with_overrides(serve=settings.serve.model_copy(update={"business_lines": {}})),
                             library) == [publish.Audience("bi", None)]
    lines["电商"] = None     # a line given no database on purpose
    names = [a.database for a in publish.audiences(
        settings.with_overrides(serve=settings.serve.model_copy(update={"business_lines": lines})), library)]
    assert "bi_ecommerce" not in names and "bi_membership" in names


# --- the password file ----------------------------------------------------------------------------

def test_password_file_entries_are_pbkdf2_and_replace_older_ones(tmp_path):
    file = tmp_path / "users"
    assert auth.set_password(file, "alice", "correct horse")
    assert not auth.set_password(file, "alice", "battery staple")
    assert auth.set_password(file, "bob", "12345678")
    entries = [line for line in file.read_text().splitlines() if not line.startswith("#")]
    assert [e.split(":")[0] for e in entries] == ["alice", "bob"]
    _user, scheme, rounds, salt, digest = entries[0].split(":")
    assert scheme == "pbkdf2_sha256"
    assert hashlib.pbkdf2_hmac("sha256", b"battery staple", bytes.fromhex(salt), int(rounds)).hex() == digest
    assert oct(file.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(Exception, match="at least 8"):
        auth.set_password(file, "carol", "short")
