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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from taglake.demo.tables import TABLES, write_table
from taglake.demo.world import SCALES, Scale, World
from taglake.errors import InputError
from taglake.progress import step

log = logging.getLogger(__name__)

__all__ = ["SCALES", "SOURCE_TABLES", "Scale", "demo_present", "generate"]

SOURCE_TABLES: tuple[str, ...] = tuple(TABLES)
DEFAULT_END_DATE = dt.date(2026, 11, 22)
#: Tables written one after another within a chain; chains run side by side. Much of a table's write
#: is fixed latency (Delta commit, metastore, code generation) that concurrent writers overlap.
#: Heavy chains first, so they start first.
WRITE_CHAINS: tuple[tuple[str, ...], ...] = (
    ("src_app_events", "src_app_devices"),  # devices summarise the events just written
    ("src_orders", "src_order_lines"),  # both read the cached orders
    ("src_crm_members", "src_wechat_users", "src_web_sessions"),
    ("src_stores", "src_staff", "src_products", "src_identity_truth"),
)
PARALLEL_WRITES = 3
#: Set while generating, restored afterwards. The generator's projections are wide and hash-heavy:
#: whole-stage code generation fuses each stage into a Java method too big for the JIT to compile
#: (HotSpot skips methods over 8 KB of bytecode), and generation then takes about twice the CPU.
GENERATION_CONF = {"spark.sql.codegen.wholeStage": "false"}


def generate(spark, settings, scale: str | Scale = "small", seed: int = 42,
             end_date: dt.date = DEFAULT_END_DATE) -> dict[str, int]:
    """Write every demo source table into `settings.database`; returns table -> rows, in SOURCE_TABLES order."""
    if isinstance(scale, str):
        if scale not in SCALES:
            raise InputError(f"unknown demo scale {scale!r}; use one of: {', '.join(SCALES)}")
        scale = SCALES[scale]
    timezone = spark.conf.get("spark.sql.session.timeZone")
    if timezone != "Asia/Shanghai":
        log.warning("session time zone is %s: timestamps are generated in Asia/Shanghai and will display "
                    "shifted (set spark.sql.session.timeZone)", timezone)
    world = World(scale, seed, end_date)
    log.info("Demo sources, scale %s (%s persons), seed %s, %s .. %s, into database %s",
             scale.name, f"{scale.persons:,}", seed, world.start_date, end_date, settings.database)
    with _session_conf(spark, GENERATION_CONF), step(f"demo data [{scale.name}]", log) as total:
        counts = _write_tables(spark, settings, world)
        total.count(tables=len(counts), rows=sum(counts.values()))
    return counts


def demo_present(spark, settings) -> bool:
    """True when every demo source table exists in `settings.database`."""
    return all(spark.catalog.tableExists(settings.table(name)) for name in SOURCE_TABLES)


def _write_tables(spark, settings, world: World) -> dict[str, int]:
    from pyspark import StorageLevel

    from taglake.demo.activity import Activity
    from taglake.demo.dimensions import Products, Stores
    from taglake.demo.names import Names
    from taglake.demo.people import People
    from taglake.demo.truth import identity_truth

    names = Names(world)
    stores = Stores.build(spark, world)
    products = Products.build(spark, world)
    people = People(world, stores, names)
    activity = Activity(world, people, stores, products)
    # Every person-level table reads the persons' attributes, and both order tables the orders with
    # their lines: compute each once.
    persons = people.frame(spark).persist(StorageLevel.MEMORY_AND_DISK)
    orders = activity.orders(persons).persist(StorageLevel.MEMORY_AND_DISK)
    builders = {
        "src_stores": lambda: stores.stores_frame(spark),
        "src_staff": lambda: stores.staff_frame(spark, names),
        "src_products": lambda: products.products_frame(spark),
        "src_crm_members": lambda: people.crm_members(persons),
        "src_wechat_users": lambda: people.wechat_users(persons),
        "src_app_events": lambda: activity.app_events(persons),
        "src_app_devices": lambda: people.app_devices(
            persons, activity.device_activity(spark.table(settings.table("src_app_events")))),
        "src_web_sessions": lambda: activity.web_sessions(persons),
        "src_orders": lambda: activity.order_table(orders),
        "src_order_lines": lambda: activity.order_lines_table(orders),
        "src_identity_truth": lambda: identity_truth(persons, people),
    }
    assert sorted(builders) == sorted(SOURCE_TABLES) == sorted(t for chain in WRITE_CHAINS for t in chain)

    def write_chain(chain: tuple[str, ...]) -> dict[str, int]:
        written = {}
        for name in chain:
            with step(f"demo {name}", log) as current:
                written[name] = write_table(spark, settings, name, builders[name]())
                current.count(rows=written[name])
        return written

    counts: dict[str, int] = {}
    try:
        with step("demo persons", log) as current:
            # Materialised up front, before several writers would each start computing them.
            current.count(rows=persons.count())
        with ThreadPoolExecutor(PARALLEL_WRITES, thread_name_prefix="demo-write") as pool:
            for written in pool.map(write_chain, WRITE_CHAINS):
                counts.update(written)
    finally:
        for cached in (orders, persons):
            cached.unpersist()
    return {name: counts[name] for name in SOURCE_TABLES}


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
