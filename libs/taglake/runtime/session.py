"""The SparkSession factory: one place that turns Settings into a Delta-enabled session.

Locally it starts its own JVM (local[*], embedded Derby metastore, warehouse folder). Under
spark-submit the JVM already exists; the factory attaches to it and applies only the settings that
can change at runtime, so the same library code runs on a laptop and on a cluster.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from taglake.errors import EnvironmentProblem
from taglake.runtime.jars import resolve_jars
from taglake.runtime.java import check_java
from taglake.runtime.jvm import wide_jar
from taglake.settings import SESSION_TIMEZONE, Settings

log = logging.getLogger(__name__)

DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


def _under_spark_submit() -> bool:
    # spark-submit starts the JVM first and hands PySpark the gateway through the environment.
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _as_uri(location: str) -> str:
    return location if "://" in location else Path(location).as_uri()


def session_conf(settings: Settings) -> dict[str, str]:
    """Every Spark setting the factory applies, as strings (exposed for tests and `--explain`)."""
    conf: dict[str, str] = {"spark.app.name": settings.spark.app_name, **DELTA_CONF}
    if settings.spark.master:
        conf["spark.master"] = settings.spark.master
    if settings.spark.driver_memory:
        conf["spark.driver.memory"] = settings.spark.driver_memory
    conf["spark.sql.warehouse.dir"] = _as_uri(settings.path(settings.warehouse))
    conf["spark.sql.catalogImplementation"] = "hive"
    # Every day boundary and hour() of the tags: one declared setting (conf `timezone`).
    conf[SESSION_TIMEZONE] = settings.timezone
    java_opts = [str(settings.spark.conf.get("spark.driver.extraJavaOptions", ""))]
    log4j = settings.root / "conf" / "log4j2.properties"
    if log4j.is_file():
        java_opts.append(f"-Dlog4j2.configurationFile={log4j.as_uri()}")
    if settings.metastore:
        metastore = settings.path(settings.metastore)
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = f"jdbc:derby:;databaseName={metastore};create=true"
        # Keep derby.log next to the metastore instead of in whatever folder the user ran from.
        java_opts.append(f"-Dderby.system.home={Path(metastore).parent}")
    for key, value in settings.spark.conf.items():
        if key != "spark.driver.extraJavaOptions":
            conf[key] = str(value).lower() if isinstance(value, bool) else str(value)
    conf["spark.driver.extraJavaOptions"] = " ".join(o for o in java_opts if o)
    if settings.jars.ivy_cache:
        cache = Path(settings.path(settings.jars.ivy_cache))
        # taglake's own reader (jvm/) is built next to the jar cache; without a cache (a cluster
        # conf) spark-submit ships it with --jars (see README, "On a cluster").
        jars = [*resolve_jars(settings.jars.packages, cache), str(wide_jar(cache.parent / "jvm"))]
        conf["spark.jars"] = ",".join(jars)
    elif settings.jars.packages:
        conf["spark.jars.packages"] = ",".join(settings.jars.packages)
    return conf


def build_session(settings: Settings, extra_conf: dict[str, str] | None = None):
    """Build (or attach to) the SparkSession for `settings` and make sure its database exists."""
    from pyspark.sql import SparkSession

    attached = _under_spark_submit() or SparkSession.getActiveSession() is not None
    if not attached:
        check_java()
        # Local Python workers start `python3` from PATH unless told otherwise; that interpreter
        # may lack numpy/scipy/taglake (a virtualenv). Use this one. Clusters set their own.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    conf = {**session_conf(settings), **(extra_conf or {})}
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        spark = builder.enableHiveSupport().getOrCreate()
    except Exception as exc:  # the JVM failed to start: translate the usual causes
        text = str(exc)
        if "Another instance of Derby" in text or "XSDB6" in text:
            raise EnvironmentProblem(
                f"the metastore {settings.metastore} is in use by another Spark application; "
                "the embedded Derby metastore allows one at a time"
            ) from None
        if "JAVA_GATEWAY_EXITED" in text or "Java gateway process exited" in text:
            raise EnvironmentProblem(
                "the JVM exited while starting Spark; run with --debug to see its output"
            ) from exc
        raise
    if settings.checkpoint_dir:
        spark.sparkContext.setCheckpointDir(settings.path(settings.checkpoint_dir))
    try:
        # Checked first: Hive logs an ERROR line for CREATE DATABASE IF NOT EXISTS on an existing one.
        if not spark.catalog.databaseExists(settings.database):
            spark.sql(f"CREATE DATABASE IF NOT EXISTS {settings.database}")
    except Exception as exc:
        if "Another instance of Derby" in str(exc) or "XSDB6" in str(exc):
            raise EnvironmentProblem(
                f"the metastore {settings.path(settings.metastore or '')} is in use by another Spark "
                "application (embedded Derby allows one at a time); stop it and retry"
            ) from None
        raise
    log.debug("Spark %s session ready (master %s)", spark.version, spark.sparkContext.master)
    return spark


def stop_session() -> None:
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
