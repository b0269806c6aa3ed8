"""Realistic demo sources for a Chinese beauty / retail chain, generated inside Spark.

`generate` writes the `src_*` Delta tables (stores, staff, products, CRM members, WeChat users, app
events and devices, web sessions, orders and lines) plus `src_identity_truth`, the ground truth of
which identifier belongs to which person. Every value is a hash of (seed, keys): the same seed gives
the same tables at any parallelism. docs/demo-data.md describes the tables and the planted dirt.

Modules: world (scale, calendar), random (hash draws), vocab (display values), names, dimensions
(stores, staff, products), people (persons, their ids, CRM / WeChat / devices), activity (orders,
app events, web sessions), dirt (how ids get mangled), truth, tables (comments, writing).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from taglake.demo.tables import TABLES, write_table
from taglake.demo.world import SCALES, Scale, World
from taglake.errors import InputError
from taglake.progress import step

log = logging.getLogger(__name__)

__all__ = ["SCALES", "SOURCE_TABLES", "Scale", "demo_present", "generate", "source_frames"]

SOURCE_TABLES: tuple[str, ...] = tuple(TABLES)
DEFAULT_END_DATE = dt.date(2026, 11, 22)
#: Set while generating, restored afterwards. The generator's projections are wide and hash-heavy:
#: whole-stage code generation fuses each stage into a Java method too big for the JIT to compile
#: (HotSpot skips methods over 8 KB of bytecode), and generation then takes about twice the CPU.
GENERATION_CONF = {"spark.sql.codegen.wholeStage": "false"}


def generate(spark, settings, scale: str | Scale = "small", seed: int = 42,
             end_date: dt.date = DEFAULT_END_DATE) -> dict[str, int]:
    """Write every demo source table into `settings.database`; returns table -> rows, in write order."""
    world = _world(spark, scale, seed, end_date)
    log.info("Demo sources, scale %s (%s persons), seed %s, %s .. %s, into database %s",
             world.scale.name, f"{world.scale.persons:,}", seed, world.start_date, end_date, settings.database)
    events_table = settings.table("src_app_events")
    counts: dict[str, int] = {}
    with step(f"demo data [{world.scale.name}]", log) as total, \
            _sources(spark, world, app_events=lambda: spark.table(events_table)) as frames:
        # One table after another: on two cores concurrent writers measured no faster, and Spark's
        # FIFO scheduler queues a small table's commit jobs behind a big table's write anyway.
        for name, frame in frames.items():
            with step(f"demo {name}", log) as current:
                counts[name] = write_table(spark, settings, name, frame())
                current.count(rows=counts[name])
        total.count(tables=len(counts), rows=sum(counts.values()))
    return counts


@contextmanager
def source_frames(spark, scale: str | Scale = "tiny", seed: int = 42,
                  end_date: dt.date = DEFAULT_END_DATE) -> Iterator[dict[str, Callable]]:
    """The demo source tables as DataFrames, without writing them (checks, other sinks).

    Yields table -> a function returning its DataFrame; use them inside the `with` block, while the
    shared intermediate results are cached.
    """
    world = _world(spark, scale, seed, end_date)
    with _sources(spark, world, app_events=None) as frames:
        yield frames


def demo_present(spark, settings) -> bool:
    """True when every demo source table exists in `settings.database`."""
    return all(spark.catalog.tableExists(settings.table(name)) for name in SOURCE_TABLES)


def _world(spark, scale: str | Scale, seed: int, end_date: dt.date) -> World:
    if isinstance(scale, str):
        if scale not in SCALES:
            raise InputError(f"unknown demo scale {scale!r}; use one of: {', '.join(SCALES)}")
        scale = SCALES[scale]
    timezone = spark.conf.get("spark.sql.session.timeZone")
    if timezone != "Asia/Shanghai":
        log.warning("session time zone is %s: timestamps are generated in Asia/Shanghai and will display "
                    "shifted (set spark.sql.session.timeZone)", timezone)
    return World(scale, seed, end_date)


@contextmanager
def _sources(spark, world: World, app_events: Callable | None) -> Iterator[dict[str, Callable]]:
    """Table -> DataFrame builder, in write order. Devices summarise the app events: `app_events`
    returns them as written (cheap to re-read), or None to derive them afresh."""
    from pyspark import StorageLevel

    from taglake.demo.activity import Activity
    from taglake.demo.dimensions import Products, Stores
    from taglake.demo.names import Names
    from taglake.demo.people import People
    from taglake.demo.truth import identity_truth

    with _session_conf(spark, GENERATION_CONF):
        names = Names(world)
        stores = Stores.build(spark, world)
        products = Products.build(spark, world)
        people = People(world, stores, names)
        activity = Activity(world, people, stores, products)
        # Every person-level table reads the persons' attributes, and both order tables the orders
        # with their lines: compute each once.
        persons = people.frame(spark).persist(StorageLevel.MEMORY_AND_DISK)
        orders = activity.orders(persons).persist(StorageLevel.MEMORY_AND_DISK)
        events = app_events or (lambda: activity.app_events(persons))
        builders = {
            "src_stores": lambda: stores.stores_frame(spark),
            "src_staff": lambda: stores.staff_frame(spark, names),
            "src_products": lambda: products.products_frame(spark),
            "src_crm_members": lambda: people.crm_members(persons),
            "src_wechat_users": lambda: people.wechat_users(persons),
            "src_app_events": lambda: activity.app_events(persons),
            "src_app_devices": lambda: people.app_devices(persons, activity.device_activity(events())),
            "src_web_sessions": lambda: activity.web_sessions(persons),
            "src_orders": lambda: activity.order_table(orders),
            "src_order_lines": lambda: activity.order_lines_table(orders),
            "src_identity_truth": lambda: identity_truth(persons, people),
        }
        assert list(builders) == list(SOURCE_TABLES)
        try:
            yield builders
        finally:
            for cached in (orders, persons):
                cached.unpersist()


@contextmanager
def _session_conf(spark, conf: dict[str, str]) -> Iterator[None]:
    previous = {key: spark.conf.get(key, None) for key in conf}
    for key, value in conf.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)
