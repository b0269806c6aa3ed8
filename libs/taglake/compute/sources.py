"""Read a source for a subject: table, dimension lookups, filter, subject key, time columns.

Every step that reads a source reads the *resolved* rows this module builds: the key already
mapped (directly, or through the OneID mapping from identifier columns), rows after the snapshot
date dropped, and the names the plan's SQL expects (__key, __time, __days_ago, __snapshot_date).
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from taglake.compiler.plan import DAYS_AGO, KEY, SNAPSHOT, TIME, SourceRead
from taglake.errors import DataError
from taglake.settings import Settings
from taglake.tagdefs.expressions import quote_identifier as q

log = logging.getLogger(__name__)


def qualified(settings: Settings, table: str) -> str:
    """Catalog name of a source table: unqualified names live in the configured database."""
    if table.startswith("delta.`") or "." in table:
        return table
    return settings.table(table)


def table_frame(spark, settings: Settings, table: str) -> DataFrame:
    name = qualified(settings, table)
    try:
        return spark.table(name) if not name.startswith("delta.`") else spark.sql(f"SELECT * FROM {name}")
    except Exception as exc:
        if "TABLE_OR_VIEW_NOT_FOUND" in str(exc) or "PATH_NOT_FOUND" in str(exc) or "not a Delta table" in str(exc):
            raise DataError(f"source table {name} does not exist; load it (or run `taglake demo-data`) first") from None
        raise


def base_rows(spark, settings: Settings, read: SourceRead, date: dt.date) -> DataFrame:
    """Source rows with lookups joined and the source filter applied, plus __snapshot_date."""
    rows = table_frame(spark, settings, read.table)
    for table, on, columns in read.lookups:
        dim = table_frame(spark, settings, table).select(on, *columns).dropDuplicates([on])
        # Dimension tables are small: broadcast them instead of shuffling the events.
        rows = rows.join(F.broadcast(dim), on=on, how="left")
    rows = rows.select("*", F.lit(date).alias(SNAPSHOT))
    if read.where_sql:
        rows = rows.where(read.where_sql)
    return rows


def resolved_rows(spark, settings: Settings, read: SourceRead, date: dt.date, mapping: DataFrame | None = None,
                  extra_columns: tuple[str, ...] = ()) -> DataFrame:
    """Rows keyed by the subject (`__key`), with time columns, up to and including `date`."""
    rows = base_rows(spark, settings, read, date)
    columns = [c for c in dict.fromkeys((*read.columns, *extra_columns)) if c not in (KEY,)]
    select = [f"{q(c)}" for c in columns if c in rows.columns]
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise DataError(f"source {read.source} ({qualified(settings, read.table)}) has no column(s) {', '.join(missing)}")
    if read.time_column:
        time_sql = f"CAST({q(read.time_column)} AS TIMESTAMP)"
        select += [f"{time_sql} AS {q(TIME)}", f"datediff({q(SNAPSHOT)}, to_date({time_sql})) AS {q(DAYS_AGO)}"]
    else:
        select += [f"CAST(NULL AS TIMESTAMP) AS {q(TIME)}", f"0 AS {q(DAYS_AGO)}"]
    select.append(q(SNAPSHOT))

    if read.identity:
        rows = _with_oneid(rows, read, mapping)
        select.append(q(KEY))
    else:
        select.append(f"CAST({q(read.key_column)} AS STRING) AS {q(KEY)}")
    out = rows.selectExpr(*select).where(f"{q(KEY)} IS NOT NULL AND {q(KEY)} <> ''")
    if read.time_column:
        # A snapshot never sees the future: rows after the snapshot date are ignored.
        out = out.where(f"{q(DAYS_AGO)} >= 0")
    return out


def _with_oneid(rows: DataFrame, read: SourceRead, mapping: DataFrame | None) -> DataFrame:
    """Map identifier columns to OneIDs, in order of preference (first identifier that resolves)."""
    if mapping is None:
        raise DataError(f"source {read.source} maps to members through OneID, but there is no OneID mapping; run `taglake oneid` first")
    from taglake.identity.normalize import canonical

    keys = []
    for i, (id_type, column) in enumerate(read.identity):
        alias = f"__id{i}"
        rows = rows.select("*", canonical(id_type, F.col(column)).alias(alias))
        ids = mapping.where(F.col("id_type") == id_type).select(F.col("id_value").alias(alias), F.col("oneid").alias(f"__oneid{i}"))
        rows = rows.join(ids, on=alias, how="left")
        keys.append(F.col(f"__oneid{i}"))
    return rows.select("*", F.coalesce(*keys).alias(KEY))
