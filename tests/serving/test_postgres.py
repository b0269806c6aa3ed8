"""The local PostgreSQL metastore server: initialised under a folder, on a loopback port, as the
`postgres` user when run by root; a busy port is one readable line."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from taglake.errors import EnvironmentProblem
from tests.serving.conftest import free_port


def test_the_session_server_runs_and_holds_the_metastore_database(postgres):
    assert postgres.running()
    assert postgres.query("SELECT current_database()") == "metastore"
    assert postgres.query("SHOW listen_addresses") == "127.0.0.1"
    if os.geteuid() == 0:   # PostgreSQL refuses root: the server runs as the postgres system user
        assert postgres.query("SELECT usename FROM pg_stat_activity WHERE pid = pg_backend_pid()") == "taglake"
        assert Path(postgres.data).stat().st_uid != 0


def test_busy_port_then_start_stop_cycle(postgres):
    from taglake.runtime.metastore import Metastore
    from taglake.serving.postgres import LocalPostgres

    root = Path(tempfile.mkdtemp(prefix="taglake-pg-"))
    os.chmod(root, 0o755)
    try:
        taken = postgres.metastore
        clash = LocalPostgres(root, Metastore("postgresql", "", "127.0.0.1", taken.port, "metastore", "taglake", "pw"))
        with pytest.raises(EnvironmentProblem, match=rf"port {taken.port} on 127.0.0.1 is in use by another program"):
            clash.start()
        assert clash.initialised and not clash.running()
        port = free_port()
        server = LocalPostgres(root, Metastore("postgresql", "", "127.0.0.1", port, "other", "taglake", "pw"))
        server.start()
        assert server.running() and server.query("SELECT 1") == "1"
        assert not server.catalog_has("taglake")     # no metastore tables yet
        assert server.stop() and not server.running()
        assert not server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
