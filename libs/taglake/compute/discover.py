"""`taglake discover`: find the dimension values of families that discover them from data, and
freeze them in tagdefs/families.lock.yaml (reviewed in git, so tag columns never appear or vanish
without a diff)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from pyspark.sql import functions as F

from taglake.compiler import sqlkit
from taglake.compiler.compile import source_read
from taglake.compute.sources import base_rows, table_frame
from taglake.progress import step
from taglake.settings import Settings
from taglake.tagdefs.families import discover_key, write_lock
from taglake.tagdefs.identifiers import parse
from taglake.tagdefs.loader import load_library

log = logging.getLogger(__name__)


def discover(spark, settings: Settings, root: Path, date: dt.date) -> dict[str, dict[str, dict]]:
    library = load_library(root, database=settings.database, ignore_lock=True)
    found: dict[str, dict[str, dict]] = {}
    for name, info in sorted(library.families.items()):
        family = info.spec
        for dim, spec in family.by.items():
            if spec.discover is None:
                continue
            rule = spec.discover
            with step(f"discover {name}.{dim}") as current:
                if rule.table:
                    rows = table_frame(spark, settings, rule.table)
                    column = rule.column or spec.column
                else:
                    source = family.source
                    rows = base_rows(spark, settings, source_read(library, source, family.subject), date)
                    column = rule.column or spec.column
                    if getattr(family, "where", None):
                        rows = rows.where(sqlkit.source_sql(parse(family.where, root)))
                if rule.where:
                    rows = rows.where(rule.where)
                values = rows.selectExpr(f"CAST(({column}) AS STRING) AS value").where("value IS NOT NULL AND trim(value) <> ''")
                counted = values.groupBy("value").agg(F.count(F.lit(1)).alias("rows"))
                order = [F.desc("rows"), F.asc("value")] if rule.order_by == "rows" else [F.asc("value")]
                picked = [r["value"] for r in counted.orderBy(*order).limit(rule.limit).collect()]
                current.count(values=len(picked))
            found.setdefault(name, {})[dim] = {"rule": discover_key(family, dim), "values": picked}
    return found


def refresh_lock(spark, settings: Settings, root: Path, date: dt.date) -> Path:
    found = discover(spark, settings, root, date)
    return write_lock(root, found, f"from database {settings.database}, data up to {date}")
