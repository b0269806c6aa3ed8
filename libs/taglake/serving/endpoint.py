"""The SQL endpoint: Spark's HiveServer2 (the Thrift JDBC/ODBC server) inside a taglake session.

The pip wheel has no start-thriftserver.sh; its jars do have HiveThriftServer2, which
`startWithContext` starts on an existing session. So the endpoint is an ordinary taglake session
(Delta, the cached jars, the conf's metastore) that first publishes the BI databases and then
serves: every JDBC connection gets its own Spark session (own current database and temporary
views) over the one SparkContext. Without a restart the next query sees what a nightly run wrote:
a tag table reads its subject's newest manifest when the query is planned (one complete snapshot,
old or new), the other objects are views over Delta tables, read at their latest version.

Result rows are made by taglake's statement operation (io.taglake.serving.DirectRows, swapped into
the server before it is announced), not by Spark's per-statement Row encoder, which costs seconds
for a wide tag row (docs/serving.md).

Two pitfalls met by the recipe: the Delta jars and taglake's reader (the `taglake_wide` data
source of the tag tables) are put on the driver class path as well as in spark.jars (loaded only
through spark.jars, their classes are not visible to the Thrift handler threads:
delta-io/delta#1332, #1341); and Hive's authentication providers read their settings
from Java system properties (taglake.serving.auth).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from taglake.errors import EnvironmentProblem
from taglake.progress import step
from taglake.runtime.jars import cached_jars
from taglake.runtime.jvm import wide_jar
from taglake.runtime.metastore import parse
from taglake.serving import auth
from taglake.settings import Settings

log = logging.getLogger(__name__)

THRIFT_SERVER = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    auth_mode: str
    database: str

    @property
    def jdbc_url(self) -> str:
        suffix = {"nosasl": ";auth=noSasl"}.get(self.auth_mode, "")
        return f"jdbc:hive2://{self.host}:{self.port}/{self.database}{suffix}"


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise EnvironmentProblem(f"cannot listen on {host}:{port} ({exc.strerror or exc}): another program (another "
                                     "endpoint?) holds it; stop it or pass --port") from None


def check_jars(settings: Settings) -> list[str]:
    """The cached JVM jars and taglake's reader (taglake_wide, built from jvm/ if need be: javac,
    no network); the endpoint never downloads at start."""
    if not settings.jars.ivy_cache:
        return []   # a cluster: spark-submit --jars / --driver-class-path (README, "BI")
    cache = settings.path(settings.jars.ivy_cache)
    jars = cached_jars(settings.jars.packages, cache) if settings.jars.packages else []
    if jars is None:
        raise EnvironmentProblem(f"the jars {', '.join(settings.jars.packages)} are not in the cache {cache}; "
                                 "run `make setup` (or `taglake setup`) once where Maven Central is reachable")
    return [*jars, str(wide_jar(Path(cache).parent / "jvm"))]


def endpoint_conf(settings: Settings, host: str, port: int, jars: list[str]) -> dict[str, str]:
    """Spark settings the endpoint adds to the conf's own (applied when its JVM starts)."""
    from taglake.runtime.session import session_conf

    hive = auth.hive_settings(settings)
    hive = {"hive.server2.thrift.bind.host": host, "hive.server2.thrift.port": str(port),
            "hive.server2.transport.mode": "binary", "hive.server2.enable.doAs": "false",
            **hive, **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in settings.serve.hiveconf.items()}}
    base = session_conf(settings)
    # A server whose heap is exhausted thrashes in GC and answers no one: better to exit and be
    # restarted (by systemd, Kubernetes, or whoever runs it).
    java_opts = " ".join([base.get("spark.driver.extraJavaOptions", ""), "-XX:+ExitOnOutOfMemoryError",
                          *(f"-D{k}={v}" for k, v in hive.items())])
    classpath = [p for p in [base.get("spark.driver.extraClassPath", ""), *jars] if p]
    return {
        **{f"spark.hadoop.{k}": v for k, v in hive.items()},
        "spark.driver.extraJavaOptions": java_opts.strip(),
        "spark.driver.extraClassPath": os.pathsep.join(classpath),
        # Results stream to the client partition by partition instead of being collected whole on
        # the driver first: a BI tool's unbounded SELECT must not take the endpoint down.
        "spark.sql.thriftServer.incrementalCollect": "true",
    }


def _wait_listening(host: str, port: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.3)
    raise EnvironmentProblem(f"HiveServer2 did not open {host}:{port} within {timeout:.0f}s; see the Spark log above")


def serve(settings: Settings, host: str | None = None, port: int | None = None, publish: bool = True,
          extra_conf: dict[str, str] | None = None, stop: threading.Event | None = None) -> None:
    """Start the endpoint and block until SIGINT/SIGTERM (or `stop` is set), then stop cleanly."""
    from taglake.runtime import build_session

    host = host or settings.serve.host
    port = port or settings.serve.port
    endpoint = Endpoint(host, port, settings.serve.auth.mode, settings.serve.database)
    check_port_free(host, port)
    jars = check_jars(settings)
    metastore = parse(settings)
    if not metastore.shared:
        log.warning("The metastore %s is embedded Derby: while the endpoint runs, no other Spark application "
                    "(the nightly job, a notebook) can use it; serve with a shared metastore (--conf serve)", metastore)
    stop = stop or threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)} \
        if threading.current_thread() is threading.main_thread() else {}
    spark = server = None
    try:
        with step(f"serve-sql: Spark session on the metastore {metastore}", log):
            spark = build_session(settings, extra_conf={**endpoint_conf(settings, host, port, jars), **(extra_conf or {})})
        if publish:
            from taglake.serving.publish import publish as publish_bi
            from taglake.tagdefs import load_library

            with step("serve-sql: publish the BI databases", log):
                publish_bi(spark, settings, load_library(settings.path(settings.tagdefs), database=settings.database))
        with step(f"serve-sql: HiveServer2 on {host}:{port} (auth {settings.serve.auth.mode})", log):
            # Settings of the session's SQL conf reach the server's HiveConf too (under spark-submit
            # the JVM exists already, so the spark.hadoop.* ones of endpoint_conf come too late).
            for key, value in auth.hive_settings(settings).items():
                spark.conf.set(key, value)
            spark.conf.set("hive.server2.thrift.bind.host", host)
            spark.conf.set("hive.server2.thrift.port", str(port))
            server = spark._jvm.org.apache.spark.sql.hive.thriftserver.HiveThriftServer2.startWithContext(
                spark._jsparkSession.sqlContext())
            if settings.serve.direct_rows:
                _use_direct_rows(spark, server)
            _wait_listening(host, port)
        log.info("ready: %s (beeline -u '%s'); Ctrl-C stops", endpoint.jdbc_url, endpoint.jdbc_url)
        while not stop.wait(1.0):
            if not _alive(spark):
                spark = None
                raise EnvironmentProblem("the endpoint's JVM ended (out of memory? see the log above); "
                                         "restart it (a supervisor should: it exits on OutOfMemoryError)")
        log.info("stopping the endpoint")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if spark is not None:
            _shutdown(spark, server)


def _use_direct_rows(spark, server) -> None:
    """Statements make their result rows without Spark's Row encoder (io.taglake.serving.DirectRows):
    swapped in before the endpoint is announced; a Spark build it does not fit keeps Spark's path."""
    why_not = spark._jvm.io.taglake.serving.DirectOperationManager.install(server)
    if why_not:
        log.warning("serve-sql: results go through Spark's own Row encoder (seconds more per wide row): %s", why_not)
    else:
        log.info("serve-sql: result rows made directly (io.taglake.serving.DirectRows), not by Spark's Row encoder")


def _alive(spark) -> bool:
    try:
        return not spark.sparkContext._jsc.sc().isStopped()
    except Exception:  # noqa: BLE001 - the gateway is gone with the JVM
        return False


def _shutdown(spark, server, timeout: float = 60.0) -> None:
    """Stop HiveServer2 and Spark; a JVM that does not stop in time (stuck in GC) is ended."""
    done = threading.Event()

    def work() -> None:
        try:
            if server is not None:
                server.stop()
            spark.stop()
        except Exception as exc:  # noqa: BLE001 - stopping is best effort; the JVM is ended below if need be
            log.debug("stopping the endpoint: %s", exc)
        finally:
            done.set()

    threading.Thread(target=work, name="taglake-endpoint-stop", daemon=True).start()
    if not done.wait(timeout):
        log.warning("Spark did not stop within %.0fs; ending its JVM", timeout)
        proc = getattr(spark.sparkContext._gateway, "proc", None)
        if proc is not None:
            proc.kill()
