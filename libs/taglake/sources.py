"""Source tables: what the nightly run reads, checked and counted before anything else runs.

Source tables are Delta tables in the catalog named `src_*` (the demo generator writes them; a real
deployment points its ingestion there). This stage fails early with a readable message when there
are none, and records each table's row count and Delta version per snapshot date in
`<database>.source_stats`, so a later question "what did the 22nd's tags see?" has an answer.
"""

from __future__ import annotations

import datetime as dt
import logging

from taglake.errors import DataError

log = logging.getLogger(__name__)

SOURCE_PREFIX = "src_"


def source_tables(spark, database: str) -> list[str]:
    return sorted(
        t.name for t in spark.catalog.listTables(database)
        if t.name.startswith(SOURCE_PREFIX) and not t.isTemporary
    )


def delta_version(spark, table: str) -> int:
    return int(spark.sql(f"DESCRIBE HISTORY {table} LIMIT 1").first()["version"])


def run_stage(run) -> dict[str, int]:
    spark, settings = run.spark, run.settings
    tables = source_tables(spark, settings.database)
    if not tables:
        raise DataError(
            f"no source tables (src_*) in database {settings.database!r}; "
            "write the demo sources with `taglake demo-data --scale small` or load your own"
        )
    rows = []
    for name in tables:
        qualified = settings.table(name)
        count = spark.table(qualified).count()
        rows.append((run.date, name, count, delta_version(spark, qualified), dt.datetime.now()))
        log.info("  %-28s %12s rows", name, f"{count:,}")
    stats = spark.createDataFrame(
        rows, "snapshot_date date, source string, row_count bigint, delta_version bigint, checked_at timestamp"
    )
    target = settings.table("source_stats")
    writer = stats.write.format("delta")
    if spark.catalog.tableExists(target):
        # Re-running a date replaces that date's rows only (idempotent).
        writer.mode("overwrite").option("replaceWhere", f"snapshot_date = DATE'{run.date}'").saveAsTable(target)
    else:
        writer.mode("overwrite").saveAsTable(target)
    return {"source_tables": len(tables), "source_rows": sum(r[2] for r in rows)}
