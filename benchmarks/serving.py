"""The SQL endpoint under BI query shapes: each query through JDBC (impyla over HiveServer2's
Thrift protocol, the protocol of the Hive JDBC driver) and in-process (the same SQL with spark.sql in
the endpoint's own JVM), in one run, over the shared PostgreSQL metastore.

    .venv/bin/python -m benchmarks.serving                  # the small demo, then 1M x 10k
    .venv/bin/python -m benchmarks.serving --only 1m        # one part: small | 1m
    .venv/bin/python -m benchmarks.serving --runs 5         # repetitions per query (min and median)

Data: the small demo (bench-warehouse/small, built once: demo data, OneID, the tags stage) and the
segments benchmark's 1M-member x 10,000+-tag synthetic snapshot (bench-warehouse/segments-1m,
built once). Each warehouse's Derby catalog is moved once into a PostgreSQL metastore under
<warehouse>/pg (`taglake metastore migrate`); the endpoint starts in this process on a free
loopback port, publishing the BI databases first (timed); every query reads the full BI database.

Per query shape: seconds through JDBC (execute + fetch every row into Python), through JDBC with
Spark's own statement (a session with `SET taglake.serve.direct_rows=false`: rows made by Spark's
per-statement Row encoder, the endpoint before taglake's direct rows) and in-process
(spark.sql(...).collect() into Python), min and median of --runs, the three alternating, and the
ratio of the medians (direct JDBC / in-process); for "8 concurrent clients", the wall time until
all 8 clients (each its own connection, or its own thread in-process) have their group-by result. Targets (issue 13, 1M
members, 2 cores): metadata < 10 s, LIMIT 100 < 5 s, each group-by < 10 s, one member's full row
< 5 s, JDBC within 1.5x of in-process.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DATABASE = "bi"
TABLE = "tags_member_latest"
CLIENTS = 8
SPARK_ROWS = "SET taglake.serve.direct_rows=false"   # a session on Spark's own statements (the baseline)
log = logging.getLogger("taglake.bench")


@dataclass
class Result:
    dataset: str
    shape: str
    jdbc: list[float] = field(default_factory=list)
    local: list[float] = field(default_factory=list)
    #: the same JDBC query on Spark's own statement (its per-statement Row encoder): the baseline
    spark_rows: list[float] = field(default_factory=list)
    rows: int | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.jdbc or not self.local or not statistics.median(self.local):
            return None
        return statistics.median(self.jdbc) / statistics.median(self.local)


# ----------------------------------------------------------------------------- the data

def small_demo(driver_memory: str):
    """The small demo's warehouse with the tags stage run."""
    from benchmarks.env import DATE, bench_settings, ensure_data, ensure_oneid
    from taglake.pipeline import RunContext, run_nightly
    from taglake.runtime import build_session, stop_session
    from taglake.snapshots import registry

    settings = bench_settings("small", driver_memory=driver_memory)
    spark = build_session(settings)
    ensure_data(spark, settings, "small")
    ensure_oneid(spark, settings)
    record = registry.snapshot(spark, settings, "member", DATE)
    if record is None or not record.group_files:
        run_nightly(RunContext(spark, settings, DATE), only=["tags"])
    stop_session()
    return settings


def million(driver_memory: str):
    """The segments benchmark's 1M-member snapshot (built when missing)."""
    from benchmarks.reads import _served
    from benchmarks.segments import bench_settings, bench_tagdefs, build_synthetic, snapshot_exists
    from taglake.runtime import build_session, stop_session
    from taglake.tagdefs import load_library

    warehouse = REPO / "bench-warehouse" / "segments-1m"
    if not (warehouse / "tagdefs").exists():
        bench_tagdefs(warehouse)
    settings = bench_settings(warehouse, driver_memory)
    spark = build_session(settings)
    if not snapshot_exists(spark, settings) or not _served(spark, settings):
        build_synthetic(spark, settings, load_library(warehouse / "tagdefs"), 1_000_000)
    stop_session()
    return settings


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def shared(source_conf: Path, serve_port: int):
    """The benchmark warehouse's conf on a PostgreSQL metastore (<warehouse>/pg, on a free port,
    started); returns (settings, the server)."""
    from taglake.serving.postgres import LocalPostgres
    from taglake.settings import load_settings

    data = yaml.safe_load(source_conf.read_text(encoding="utf-8"))
    data.update(name=f"{data['name']}-serve", metastore=f"postgresql://taglake:bench@127.0.0.1:{free_port()}/metastore")
    data.setdefault("serve", {})["port"] = serve_port
    data["spark"]["conf"]["spark.ui.enabled"] = False
    conf = source_conf.with_name("serve.yaml")
    conf.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    settings = load_settings(conf).with_overrides(root=REPO)
    server = LocalPostgres.for_settings(settings)
    server.start()
    return settings, server


# ----------------------------------------------------------------------------- the queries

def shapes(spark, settings, table: str) -> dict[str, str]:
    """Issue 13's query shapes over `table` (the latest member snapshot in the BI database)."""
    from taglake.tagdefs import load_library

    library = load_library(settings.path(settings.tagdefs), database=settings.database)
    tags = library.tags["member"]
    columns = set(spark.table(table).columns)
    key = library.subjects["member"].key
    families: dict[str, str] = {}          # one numeric tag of each of the first families
    for tag in tags.values():
        if tag.family and tag.family not in families and tag.type in ("double", "bigint") and tag.name in columns:
            families[tag.family] = tag.name
    fam = list(families.values())[:3]
    member = spark.sql(f"SELECT `{key}` FROM {table} WHERE `{key}` > 'O' ORDER BY `{key}` LIMIT 1").first()[0]

    def five(x: str, y: str, z: str) -> str:
        return (f"SELECT city, lifecycle_stage, count(*) AS n, avg(`{y}`) AS avg_y, max(`{z}`) AS max_z FROM {table} "
                f"WHERE `{x}` > 0 GROUP BY city, lifecycle_stage")

    return {
        "SELECT * LIMIT 100": f"SELECT * FROM {table} LIMIT 100",
        "5 core columns: filter + group by": five("spend_365d", "orders_365d", "days_since_last_order"),
        "5 columns (3 of families): filter + group by": five(*fam),
        "one member's full row": f"SELECT * FROM {table} WHERE `{key}` = '{member}'",
    }


def connect(port: int):
    from impala.dbapi import connect as impyla_connect

    return impyla_connect(host="127.0.0.1", port=port, auth_mechanism="NOSASL", database=DATABASE, timeout=1800)


def jdbc_query(conn, sql: str, setup: str | None = None) -> tuple[float, int]:
    """Seconds to run `sql` on an open connection and fetch every row into Python (after `setup`,
    untimed, in the same HiveServer2 session: impyla opens a session per cursor)."""
    cur = conn.cursor()
    try:
        if setup:
            cur.execute(setup)
            cur.fetchall()
        started = time.perf_counter()
        cur.execute(sql)
        rows = len(cur.fetchall())
        return time.perf_counter() - started, rows
    finally:
        cur.close()


def jdbc_fresh_query(port: int, sql: str) -> tuple[float, int]:
    """A client of its own: connect, run `sql`, fetch, disconnect (the connection is timed too)."""
    started = time.perf_counter()
    conn = connect(port)
    try:
        rows = jdbc_query(conn, sql)[1]
        return time.perf_counter() - started, rows
    finally:
        conn.close()


def jdbc_columns(conn) -> tuple[float, int]:
    """Seconds for HiveServer2's GetColumns on the wide table (DatabaseMetaData.getColumns: DBeaver,
    Tableau and Power BI list a table's columns this way), every row fetched."""
    cur = conn.cursor()
    try:
        started = time.perf_counter()

        def op():
            cur._last_operation = cur.session.get_table_schema(TABLE, DATABASE)

        cur._execute_async(op)
        cur._wait_to_finish()
        rows = len(cur.fetchall())
        return time.perf_counter() - started, rows
    finally:
        cur.close()


def local_query(spark, sql: str) -> tuple[float, int]:
    started = time.perf_counter()
    rows = len(spark.sql(sql).collect())
    return time.perf_counter() - started, rows


def local_columns(spark) -> tuple[float, int]:
    started = time.perf_counter()
    rows = len(spark.catalog.listColumns(f"{DATABASE}.{TABLE}"))
    return time.perf_counter() - started, rows


def concurrent(run, clients: int = CLIENTS) -> float:
    """Wall seconds until `clients` callers of `run` (started together) all have their result."""
    barrier = threading.Barrier(clients)

    def one(_):
        barrier.wait()
        return run()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, range(clients)))
    return time.perf_counter() - started


# ----------------------------------------------------------------------------- one dataset

def bench(dataset: str, settings, source_conf: Path, runs: int) -> list[Result]:
    """The endpoint in this process (a fresh JVM: the endpoint's class path and options apply at
    launch) over the shared metastore, and every query shape through JDBC and in-process."""
    from pyspark.sql import SparkSession

    from taglake.runtime import build_session
    from taglake.serving.endpoint import check_jars, endpoint_conf, serve
    from taglake.serving.migrate import migrate
    from taglake.serving.postgres import LocalPostgres
    from taglake.serving.publish import publish
    from taglake.tagdefs import load_library

    port = settings.serve.port
    out: list[Result] = []
    moved = not LocalPostgres.for_settings(settings).catalog_has(settings.database)
    started = time.perf_counter()
    spark = build_session(settings, extra_conf=endpoint_conf(settings, "127.0.0.1", port, check_jars(settings)))
    session = time.perf_counter() - started
    if moved:   # once per warehouse: the Derby catalog re-registered in PostgreSQL
        started = time.perf_counter()
        migrate(spark, settings, str(source_conf))
        out.append(Result(dataset, "metastore migrate, Derby -> PostgreSQL (s)", [time.perf_counter() - started]))
    started = time.perf_counter()
    publish(spark, settings, load_library(settings.path(settings.tagdefs), database=settings.database))
    out.append(Result(dataset, "endpoint start: Spark session (s)", [session]))
    out.append(Result(dataset, "BI publication, every database (s)", [time.perf_counter() - started]))
    stop = threading.Event()
    server = threading.Thread(target=serve, kwargs=dict(settings=settings, host="127.0.0.1", port=port, publish=False,
                                                        stop=stop), daemon=True)
    server.start()
    deadline = time.monotonic() + 300
    while not _listening(port):
        if time.monotonic() > deadline or not server.is_alive():
            raise RuntimeError(f"the endpoint did not start on 127.0.0.1:{port}")
        time.sleep(0.5)
    spark = SparkSession.getActiveSession() or spark
    spark.sql(f"USE {DATABASE}")
    conn = connect(port)
    try:
        jdbc_query(conn, "SELECT 1")   # warm-up: first connection, first job
        metadata = Result(dataset, f"column metadata of {TABLE}")
        for _ in range(runs):
            seconds, metadata.rows = jdbc_columns(conn)
            metadata.jdbc.append(seconds)
            metadata.local.append(local_columns(spark)[0])
        out.append(metadata)
        log.info("%s", metadata)
        queries = shapes(spark, settings, f"{DATABASE}.{TABLE}")
        for shape, sql in queries.items():
            result = Result(dataset, shape)
            for _ in range(runs):
                try:
                    seconds, result.rows = jdbc_query(conn, sql)
                    result.jdbc.append(seconds)
                except Exception as exc:  # noqa: BLE001 - a failed query is a result
                    result.note = f"JDBC failed: {str(exc).splitlines()[0][:120]}"
                result.spark_rows.append(jdbc_query(conn, sql, setup=SPARK_ROWS)[0])
                result.local.append(local_query(spark, sql)[0])
            out.append(result)
            log.info("%s", result)
        group_by = queries["5 core columns: filter + group by"]
        many = Result(dataset, f"{CLIENTS} concurrent clients (own connections): the core group-by (wall s)")
        for _ in range(max(1, runs - 1)):
            many.jdbc.append(concurrent(lambda: jdbc_fresh_query(port, group_by)))
            many.local.append(concurrent(lambda: local_query(spark, group_by)))
        out.append(many)
        log.info("%s", many)
    finally:
        conn.close()
        stop.set()
        server.join(timeout=180)
    return out


def _listening(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def table(rows: list[Result]) -> str:
    def sec(values: list[float]) -> str:
        if not values:
            return "—"
        if len(values) == 1:
            return f"{values[0]:.2f}"
        return f"{min(values):.2f} / {statistics.median(values):.2f}"

    lines = ["| data | query | JDBC s (min / median) | JDBC, Spark's Row encoder s | in-process s (min / median) "
             "| JDBC / in-process | rows | note |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append(f"| {r.dataset} | {r.shape} | {sec(r.jdbc)} | {sec(r.spark_rows)} | {sec(r.local)} | {ratio} | "
                     f"{'—' if r.rows is None else f'{r.rows:,}'} | {r.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["small", "1m"], action="append")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--stage", choices=["prepare", "bench"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    from taglake.progress import configure_logging

    configure_logging()
    parts = {"small": ("small demo", small_demo), "1m": ("1M x 10k synthetic", million)}
    if args.stage:   # one stage of one part, in its own process (and JVM)
        label, prepare = parts[args.only[0]]
        if args.stage == "prepare":
            prepare(args.driver_memory)
            return 0
        source = _source_conf(args.only[0])
        settings, server = shared(source, free_port())
        try:
            rows = bench(label, settings, source, args.runs)
        finally:
            server.stop()
        args.out.write_text(json.dumps([r.__dict__ for r in rows]), encoding="utf-8")
        return 0
    rows: list[Result] = []
    results = REPO / "bench-warehouse" / "results"
    results.mkdir(parents=True, exist_ok=True)
    for name in args.only or list(parts):
        common = [sys.executable, "-m", "benchmarks.serving", "--only", name, "--runs", str(args.runs),
                  "--driver-memory", args.driver_memory]
        subprocess.run([*common, "--stage", "prepare"], check=True)
        part = results / f"serving-{name}.json"
        subprocess.run([*common, "--stage", "bench", "--out", str(part)], check=True)
        rows += [Result(**r) for r in json.loads(part.read_text(encoding="utf-8"))]
        print(table(rows), flush=True)
    out = results / f"serving-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps([r.__dict__ for r in rows], indent=2), encoding="utf-8")
    print("\n" + table(rows) + f"\n\nresults: {out}")
    return 0


def _source_conf(name: str) -> Path:
    """The Derby conf each part's data was built with (benchmarks.env / benchmarks.segments)."""
    return {"small": REPO / "bench-warehouse" / "small" / "bench.yaml",
            "1m": REPO / "bench-warehouse" / "segments-1m" / "conf" / "bench.yaml"}[name]


if __name__ == "__main__":
    raise SystemExit(main())
