"""A shared deployment's endpoint: users and passwords from a password file (HiveServer2 CUSTOM
authentication with taglake's provider, compiled from jvm/PasswordFileAuthenticator.java), checked
by real clients over SASL PLAIN. A second endpoint on the same metastore, serving as it is."""

from __future__ import annotations

import pytest

from tests.serving.conftest import beeline, csv_rows, free_port, run_cli, start_endpoint, write_conf


@pytest.fixture(scope="module")
def guarded(bi_source, postgres, endpoint, tmp_path_factory):
    root = tmp_path_factory.mktemp("auth")
    conf = write_conf(root / "conf" / "auth_test.yaml", bi_source, postgres, free_port(),
                      auth={"mode": "password_file", "password_file": str(root / "users")})
    added = run_cli(["bi", "passwd", "alice", "--password-stdin", "--conf", str(conf)], stdin="wonderland-42\n")
    assert "added alice" in added.stdout
    server = start_endpoint(conf, "--no-publish")
    yield server
    assert server.stop() == 0


def test_a_known_user_with_the_right_password_gets_in(guarded):
    from impala.dbapi import connect

    conn = connect(host=guarded.host, port=guarded.port, auth_mechanism="PLAIN", user="alice", password="wonderland-42",
                   database="bi", timeout=300)
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM tags_store_latest")
    assert cur.fetchall() == [(20,)]
    conn.close()
    out = beeline(guarded.url(auth=""), "SELECT 1 AS ok", user="alice", password="wonderland-42")
    assert csv_rows(out.stdout)[-1] == ["1"], out.stdout + out.stderr[-2000:]


@pytest.mark.parametrize("user, password", [("alice", "wrong-password"), ("mallory", "wonderland-42")])
def test_a_wrong_password_or_unknown_user_is_refused(guarded, user, password):
    from impala.dbapi import connect

    with pytest.raises(Exception, match="(?i)auth|password|sasl|peer|login"):
        conn = connect(host=guarded.host, port=guarded.port, auth_mechanism="PLAIN", user=user, password=password,
                       database="bi", timeout=60)
        conn.cursor().execute("SELECT 1")


def test_a_password_added_later_works_without_a_restart(guarded):
    from impala.dbapi import connect

    run_cli(["bi", "passwd", "bob", "--password-stdin", "--conf", str(guarded.conf)], stdin="through-the-glass\n")
    conn = connect(host=guarded.host, port=guarded.port, auth_mechanism="PLAIN", user="bob", password="through-the-glass",
                   database="bi", timeout=300)
    cur = conn.cursor()
    cur.execute("SELECT 1")
    assert cur.fetchall() == [(1,)]
    conn.close()
