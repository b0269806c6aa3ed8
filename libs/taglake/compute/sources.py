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

from taglake.compiler.plan import DAYS_AGO, KEY, RELATED, SNAPSHOT, TIME, SourceRead
from taglake.core.expressions import quote_identifier as q
from taglake.errors import DataError
from taglake.settings import Settings

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
                  related: SourceRead | None = None, identity=None) -> DataFrame:
    """Rows keyed by the subject (`__key`), with time columns, up to and including `date`.
    With `related`, the same rows also carry the related subject's key as `__related`."""
    rows = base_rows(spark, settings, read, date)
    columns = list(dict.fromkeys((*read.columns, *(related.columns if related else ()))))
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise DataError(f"source {read.source} ({qualified(settings, read.table)}) has no column(s) {', '.join(missing)}")
    select = [q(c) for c in columns]
    if read.time_column:
        time_sql = f"CAST({q(read.time_column)} AS TIMESTAMP)"
        select += [f"{time_sql} AS {q(TIME)}", f"datediff({q(SNAPSHOT)}, to_date({time_sql})) AS {q(DAYS_AGO)}"]
    else:
        select += [f"CAST(NULL AS TIMESTAMP) AS {q(TIME)}", f"0 AS {q(DAYS_AGO)}"]
    select.append(q(SNAPSHOT))
    rows, key_sql = _with_key(rows, read, mapping, "k", identity)
    select.append(f"{key_sql} AS {q(KEY)}")
    where = [f"{q(KEY)} IS NOT NULL AND {q(KEY)} <> ''"]
    if related is not None:
        rows, related_sql = _with_key(rows, related, mapping, "r", identity)
        select.append(f"{related_sql} AS {q(RELATED)}")
        where.append(f"{q(RELATED)} IS NOT NULL AND {q(RELATED)} <> ''")
    if read.time_column:
        # A snapshot never sees the future: rows after the snapshot date are ignored.
        where.append(f"{q(DAYS_AGO)} >= 0")
    return rows.selectExpr(*select).where(" AND ".join(where))


def _with_key(rows: DataFrame, read: SourceRead, mapping: DataFrame | None, tag: str, identity=None) -> tuple[DataFrame, str]:
    """Rows plus what the subject key is: a direct column, or the OneID of the first identifier
    column (in order of preference) that the mapping resolves. Identifiers are canonicalised with
    the same rules (tagdefs/identity.yaml) the OneID job used to build the mapping."""
    if not read.identity:
        return rows, f"CAST({q(read.key_column)} AS STRING)"
    if mapping is None:
        raise DataError(f"source {read.source} maps to members through OneID, but there is no OneID mapping; run `taglake oneid` first")
    from taglake.identity.normalize import canonical

    found = []
    for i, (id_type, column) in enumerate(read.identity):
        value, oneid = f"__{tag}id{i}", f"__{tag}oneid{i}"
        rows = rows.select("*", canonical(id_type, F.col(column), identity).alias(value))
        ids = mapping.where(F.col("id_type") == id_type).select(F.col("id_value").alias(value), F.col("oneid").alias(oneid))
        rows = rows.join(ids, on=value, how="left")
        found.append(q(oneid))
    return rows, f"coalesce({', '.join(found)})" if len(found) > 1 else found[0]
