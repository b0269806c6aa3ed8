"""BI serving: one PostgreSQL metastore and one SQL endpoint for the whole session, real clients
over loopback.

The session's shared tiny nightly (`tiny_nightly`: OneID, every tag of the shipped library,
segments; Derby catalog of the test session) is exported and moved into a PostgreSQL metastore by
the real `taglake metastore migrate --from FILE.json`, and `taglake serve-sql` serves it from a
child process, publishing the BI databases at start. JDBC results are compared with the same SQL
run in the test session on `tiny_nightly` (the full BI database `bi` exposes the same objects under
the same names). The endpoint only reads it; the test that runs a nightly while clients query
rewrites a small database of its own (`bi_live`).

Without PostgreSQL (make metastore-install) these tests skip; CI sets TAGLAKE_REQUIRE_SERVING=1
so that they fail instead.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from taglake.settings import PROJECT_ROOT, Settings

D = dt.date(2026, 11, 22)
SOURCE_DB = "tiny_nightly"      # the shared session fixture of tests/conftest.py
LIVE_DB = "bi_live"
LIVE_TAGDEFS = PROJECT_ROOT / "tests" / "fixtures" / "tagdefs" / "serving_live"
TAGLAKE = str(Path(sys.executable).parent / "taglake")
BEELINE = str(Path(sys.executable).parent / "beeline")
#: Children's Spark: small, like the test session's (2 cores shared with it).
CHILD_SPARK = {"master": "local[2]", "driver_memory": "2g",
               "conf": {"spark.sql.shuffle.partitions": 2, "spark.default.parallelism": 2, "spark.ui.enabled": False,
                        "spark.databricks.delta.snapshotPartitions": 1}}
START_TIMEOUT = 900


def unavailable(reason: str) -> None:
    if os.environ.get("TAGLAKE_REQUIRE_SERVING") == "1":
        pytest.fail(f"{reason} (TAGLAKE_REQUIRE_SERVING=1: CI installs it with make metastore-install)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env() -> dict[str, str]:
    import pyspark

    # beeline finds Spark through SPARK_HOME (the venv's python is not on PATH in CI).
    return {**os.environ, "SPARK_HOME": str(Path(pyspark.__file__).parent), "PYSPARK_PYTHON": sys.executable,
            "TZ": "Asia/Shanghai"}


def run_cli(args: list[str], timeout: float = 900, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([TAGLAKE, *args], capture_output=True, text=True, timeout=timeout, env=child_env(), input=stdin,
                          cwd=PROJECT_ROOT)
    if check and proc.returncode != 0:
        pytest.fail(f"taglake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc


# --- the metastore --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server on a free loopback port, initialised in a fresh folder (readable by the
    `postgres` user when the tests run as root)."""
    from taglake.errors import EnvironmentProblem
    from taglake.runtime.metastore import Metastore, jdbc_jar
    from taglake.serving.postgres import LocalPostgres, bin_dir

    try:
        bin_dir()
    except EnvironmentProblem as exc:
        unavailable(str(exc))
    if not Path(jdbc_jar()).is_file():
        unavailable(f"no PostgreSQL JDBC driver at {jdbc_jar()}")
    root = Path(tempfile.mkdtemp(prefix="taglake-pg-"))
    os.chmod(root, 0o755)
    port = free_port()
    url = f"postgresql://taglake:test-only@127.0.0.1:{port}/metastore"
    server = LocalPostgres(root, Metastore("postgresql", url, "127.0.0.1", port, "metastore", "taglake", "test-only"))
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


# --- the data: the tiny demo's nightly, in the test session -----------------------------------------

@pytest.fixture(scope="session")
def bi_source(tiny_nightly: Settings) -> Settings:
    return tiny_nightly


@pytest.fixture(scope="session")
def live_source(spark, tiny_demo: Settings, base_settings: Settings) -> Settings:
    """A store-only library (tests/fixtures/tagdefs/serving_live) over a copy of the stores, its
    tags run once here: the snapshot a nightly rewrites while the endpoint serves it."""
    from taglake.pipeline import RunContext, run_nightly

    settings = base_settings.with_overrides(database=LIVE_DB, tagdefs=str(LIVE_TAGDEFS))
    spark.sql(f"DROP DATABASE IF EXISTS {LIVE_DB} CASCADE")
    spark.sql(f"CREATE DATABASE {LIVE_DB}")
    spark.table(tiny_demo.table("src_stores")).write.format("delta").saveAsTable(settings.table("src_stores"))
    run_nightly(RunContext(spark, settings, D), only=["tags"])
    yield settings
    spark.sql(f"DROP DATABASE IF EXISTS {LIVE_DB} CASCADE")


def write_conf(path: Path, source: Settings, postgres, port: int, **serve) -> Path:
    data = {
        "extends": str(PROJECT_ROOT / "conf" / "local.yaml"),
        "name": path.stem,
        "warehouse": source.path(source.warehouse),
        "metastore": f"postgresql://taglake:test-only@127.0.0.1:{postgres.metastore.port}/metastore",
        "checkpoint_dir": source.path(source.checkpoint_dir),
        "database": source.database,
        "tagdefs": source.path(source.tagdefs),
        "jars": {"ivy_cache": source.path(source.jars.ivy_cache)},
        "spark": CHILD_SPARK,
        "serve": {"port": port, **serve},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def serve_conf(bi_source: Settings, postgres, tmp_path_factory) -> Path:
    return write_conf(tmp_path_factory.mktemp("serve") / "conf" / "serve_test.yaml", bi_source, postgres, free_port())


@pytest.fixture(scope="session")
def live_conf(live_source: Settings, postgres, serve_conf: Path) -> Path:
    """The live database's conf on the same metastore; its BI stage publishes `live` and `live_<line>`."""
    return write_conf(serve_conf.with_name("live_test.yaml"), live_source, postgres, free_port(), database="live")


# --- the endpoint -----------------------------------------------------------------------------------

@dataclass
class Server:
    host: str
    port: int
    process: subprocess.Popen
    log: Path
    conf: Path
    started_seconds: float

    def url(self, database: str = "bi", auth: str = ";auth=noSasl") -> str:
        return f"jdbc:hive2://{self.host}:{self.port}/{database}{auth}"

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(120)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def start_endpoint(conf: Path, *args: str) -> Server:
    settings_port = yaml.safe_load(conf.read_text())["serve"]["port"]
    log = conf.with_suffix(".log")
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen([TAGLAKE, "serve-sql", "--conf", str(conf), *args], stdout=out, stderr=subprocess.STDOUT,
                                   env=child_env(), cwd=PROJECT_ROOT)
    server = Server("127.0.0.1", settings_port, process, log, conf, 0.0)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if "ready: jdbc:hive2://" in text:
            server.started_seconds = time.perf_counter() - started
            return server
        if process.poll() is not None:
            pytest.fail(f"taglake serve-sql exited with {process.returncode}:\n{text[-4000:]}")
        time.sleep(1)
    server.stop()
    pytest.fail(f"taglake serve-sql not ready after {START_TIMEOUT}s:\n{log.read_text(errors='replace')[-4000:]}")


@pytest.fixture(scope="session")
def endpoint(spark, bi_source: Settings, live_source: Settings, serve_conf: Path):
    """The catalog moved into PostgreSQL (taglake metastore migrate), then served (taglake serve-sql)."""
    import json

    from taglake.serving.migrate import export_catalog

    exported = serve_conf.parent / "catalog.json"
    catalog = export_catalog(spark, ["tiny_demo", SOURCE_DB, LIVE_DB])
    exported.write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    run_cli(["metastore", "migrate", "--from", str(exported), "--conf", str(serve_conf)])
    server = start_endpoint(serve_conf)
    print(f"\nendpoint ready in {server.started_seconds:.0f}s (Spark session, BI publication, HiveServer2)")
    yield server
    assert server.stop() == 0, server.log.read_text(errors="replace")[-3000:]


# --- clients ------------------------------------------------------------------------------------------

@pytest.fixture
def connect(endpoint: Server):
    """impyla DB-API connections to the endpoint (NOSASL), closed after the test."""
    from impala.dbapi import connect as impyla_connect

    opened = []

    def open_(database: str = "bi"):
        conn = impyla_connect(host=endpoint.host, port=endpoint.port, auth_mechanism="NOSASL", database=database, timeout=600)
        opened.append(conn)
        return conn.cursor()

    yield open_
    for conn in opened:
        conn.close()


def beeline(url: str, *statements: str, user: str | None = None, password: str | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
    args = [BEELINE, "-u", url, "--silent=true", "--showHeader=true", "--outputformat=csv2", "--showWarnings=false"]
    if user:
        args += ["-n", user, "-p", password or ""]
    for statement in statements:
        args += ["-e", statement]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=child_env(), stdin=subprocess.DEVNULL)


#: beeline -e echoes its prompt before the first output line of a statement
PROMPT = re.compile(r"^\d+: jdbc:hive2://[^>]*> ")


def csv_rows(output: str) -> list[list[str]]:
    """beeline csv2 output without its noise (JVM warnings, prompts)."""
    import csv

    lines = [PROMPT.sub("", line) for line in output.splitlines() if line and not line.startswith(("WARNING:", "SLF4J"))]
    return list(csv.reader(lines))


def get_columns(cursor, database: str, table: str) -> list[tuple]:
    """HiveServer2 GetColumns through impyla (what JDBC's DatabaseMetaData.getColumns sends):
    rows of TABLE_CAT, TABLE_SCHEM, TABLE_NAME, COLUMN_NAME, DATA_TYPE, TYPE_NAME, ..., REMARKS (11)."""
    def op():
        cursor._last_operation = cursor.session.get_table_schema(table, database)

    cursor._execute_async(op)
    cursor._wait_to_finish()
    return cursor.fetchall()
