"""Shared fixtures: one SparkSession per test process (make test runs two xdist workers), tuned for tiny data, in a temp warehouse.

Tests that take the `spark` fixture (directly or through another fixture) are marked `spark`
automatically, so `pytest -m "not spark"` runs the pure-Python suite in seconds.
"""

from __future__ import annotations

import os
import re
import sys
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from taglake.settings import Settings, load_settings

# Property tests share the machine with Spark sessions (two pytest workers): no per-example deadline.
hypothesis_settings.register_profile("taglake", deadline=None)
hypothesis_settings.load_profile("taglake")

# pytest-xdist workers run under execnet, whose __main__ has no __file__: pyspark's Connect modules
# (imported by mlflow.spark.log_model) take that for a doctest run and call sys.exit(0).
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "<pytest-xdist worker>"

# The demo and the tests think in China time (conf `timezone: Asia/Shanghai`, the session's zone);
# Python's own conversions of datetimes to and from Spark must use the same zone.
os.environ["TZ"] = "Asia/Shanghai"
time.tzset()

SPARK_TEST_CONF = {
    "spark.master": "local[2]",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.databricks.delta.snapshotPartitions": "1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "3g",
    "spark.sql.adaptive.enabled": "true",
    # Tiny tables: no need for broadcast thresholds or parquet vectorised batches of 4096 rows.
    "spark.sql.autoBroadcastJoinThreshold": "10485760",
}


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """conf/local.yaml, re-pointed at a temporary warehouse and metastore."""
    root = tmp_path_factory.mktemp("taglake")
    local = load_settings("local")
    return local.with_overrides(
        name="test",
        warehouse=str(root / "warehouse"),
        metastore=str(root / "metastore_db"),
        checkpoint_dir=str(root / "checkpoints"),
        # The jar cache is the project's own (filled by `make setup`), not the temp folder.
        jars=local.jars.model_copy(update={"ivy_cache": local.path(local.jars.ivy_cache)}),
    )


@pytest.fixture(scope="session")
def spark(base_settings: Settings):
    from taglake.runtime import build_session

    session = build_session(base_settings, extra_conf=SPARK_TEST_CONF)
    yield session
    session.stop()


@pytest.fixture
def settings(spark, base_settings: Settings, request: pytest.FixtureRequest):
    """Settings whose database is private to this test (dropped afterwards)."""
    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40]
    database = f"t_{name}_{uuid.uuid4().hex[:6]}"
    spark.sql(f"CREATE DATABASE {database}")
    yield base_settings.with_overrides(database=database)
    for view in spark.catalog.listTables():
        if view.isTemporary:
            spark.catalog.dropTempView(view.name)
    spark.sql(f"DROP DATABASE IF EXISTS {database} CASCADE")


@pytest.fixture(scope="session")
def tiny_demo(spark, base_settings: Settings) -> Settings:
    """The tiny demo sources (seed 7, history ending 2026-11-22), generated once per session into the
    database `tiny_demo`; shared read-only by every suite that needs realistic source data."""
    import datetime as dt

    from taglake.demo import generate

    demo = base_settings.with_overrides(database="tiny_demo")
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {demo.database}")
    generate(spark, demo, scale="tiny", seed=7, end_date=dt.date(2026, 11, 22))
    return demo


@pytest.fixture
def conf_file(settings: Settings, tmp_path: Path) -> Path:
    """A YAML conf equal to `settings`, for driving the CLI in-process against the test session."""
    import yaml

    data = settings.model_dump(mode="json", exclude={"root"})
    data["tagdefs"] = settings.path(settings.tagdefs)
    path = tmp_path / "conf" / "test.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


#: Session fixtures that take minutes to build, and the xdist group of the tests that use them: a
#: group runs in one worker, so each is built once (every other module is a group of its own, so
#: that its module fixtures are built once too).
SHARED_WORLDS = {"tiny_nightly": "tiny_nightly", "postgres": "tiny_nightly", "snapshot": "segments"}


@pytest.hookimpl(tryfirst=True)     # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    spark_fixtures = {"spark", "settings", "conf_file", "tiny_demo", "tiny_nightly"}
    grouped = config.pluginmanager.hasplugin("xdist")
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if spark_fixtures & fixtures:
            item.add_marker(pytest.mark.spark)
        if grouped:
            world = next((group for fixture, group in SHARED_WORLDS.items() if fixture in fixtures), None)
            item.add_marker(pytest.mark.xdist_group(world or item.nodeid.split("::")[0]))


def pytest_collection_finish(session: pytest.Session) -> None:
    # xdist groups by a suffix it writes into node ids; a pytest that ignores it would silently
    # build the shared fixtures in every worker (pytest-dev/pytest-xdist#1386)
    if getattr(session.config.option, "loadgroup", False) and any("@" not in i.nodeid for i in session.items):
        raise pytest.UsageError("pytest-xdist's --dist loadgroup lost its groups with this pytest; see pyproject.toml")


#: The snapshot date of the shared reference nightly (the tiny demo's history ends on it).
NIGHTLY_DATE = "2026-11-22"


@pytest.fixture(scope="session")
def small_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped tag library with every discovered family dimension cut to 2 values (~680 tags
    instead of ~11,100: every subject, kind, family and segment, at a fraction of the columns) and
    OneID's contraction rounds never finished on the driver (on a cluster they run on executors)."""
    from taglake.ops.library import copy_library
    from taglake.settings import PROJECT_ROOT

    return copy_library(PROJECT_ROOT / "tagdefs", tmp_path_factory.mktemp("library") / "tagdefs",
                        values_per_dimension=2, oneid_driver_threshold=0)


@pytest.fixture(scope="session")
def tiny_nightly(spark, tiny_demo: Settings, small_library: Path) -> Settings:
    """Every stage of the nightly for NIGHTLY_DATE, run once per session with `small_library` on the
    tiny demo sources, into the database `tiny_nightly`: the clean reference that other runs of the
    same inputs (on a cluster, resumed, interrupted) are compared with (tests/equality.py)."""
    import datetime as dt

    from taglake.pipeline import RunContext, run_nightly

    settings = tiny_demo.with_overrides(database="tiny_nightly", tagdefs=str(small_library))
    spark.sql(f"DROP DATABASE IF EXISTS {settings.database} CASCADE")
    spark.sql(f"CREATE DATABASE {settings.database}")
    for table in spark.catalog.listTables(tiny_demo.database):
        if table.name.startswith("src_"):
            location = spark.sql(f"DESCRIBE DETAIL {tiny_demo.table(table.name)}").first()["location"]
            spark.sql(f"CREATE TABLE {settings.table(table.name)} USING delta LOCATION '{location}'")
    run_nightly(RunContext(spark, settings, dt.date.fromisoformat(NIGHTLY_DATE)))
    return settings
