"""The segment tables in the catalog: membership per snapshot date, statistics per segment and date,
portraits. A date (and the segments evaluated) is replaced with replaceWhere: re-running is idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from taglake.core.expressions import quote_literal
from taglake.errors import DataError
from taglake.settings import Settings

log = logging.getLogger(__name__)

MEMBERS = "segment_members"
STATS = "segment_stats"
PROFILES = "segment_profiles"

MEMBERS_SCHEMA = "snapshot_date date, segment string, subject_key string, split_group string"
MEMBER_COLUMNS = ("snapshot_date", "segment", "subject_key", "split_group")
STATS_SCHEMA = (
    "snapshot_date date, segment string, subject string, display_name string, business_line string, owner string, "
    "size bigint, entered bigint, exited bigint, previous_date date, split_groups map<string,bigint>, "
    "definition_hash string, definition string, tags array<string>, tag_versions map<string,bigint>, "
    "tag_snapshot_run string, run_id string, evaluated_at timestamp"
)
PROFILES_SCHEMA = (
    "snapshot_date date, segment string, base string, tag string, position int, value string, "
    "segment_count bigint, segment_share double, base_count bigint, base_share double, tgi double, "
    "computed_at timestamp"
)


def _where(date: dt.date, filters: dict[str, list[str]]) -> str:
    # replaceWhere takes a predicate string: built from a date and validated machine names only.
    parts = [f"snapshot_date = DATE'{date.isoformat()}'"]
    parts += [f"{column} IN ({', '.join(quote_literal(v) for v in values)})" for column, values in filters.items()]
    return " AND ".join(parts)


def exists(spark, settings: Settings, table: str) -> bool:
    return spark.catalog.tableExists(settings.table(table))


def replace(spark, settings: Settings, table: str, frame: DataFrame, date: dt.date, filters: dict[str, list[str]]) -> None:
    """Write `frame` as the rows of `date` matching `filters` (column -> values), in one Delta commit."""
    writer = frame.write.format("delta").mode("overwrite")
    if exists(spark, settings, table):
        writer = writer.option("replaceWhere", _where(date, filters))
    else:
        writer = writer.partitionBy("snapshot_date")
    writer.saveAsTable(settings.table(table))


def write_members(spark, settings: Settings, frame: DataFrame, date: dt.date, segments: list[str]) -> None:
    replace(spark, settings, MEMBERS, frame.select(*MEMBER_COLUMNS), date, {"segment": segments})


def write_stats(spark, settings: Settings, rows: list[tuple], date: dt.date, segments: list[str]) -> None:
    replace(spark, settings, STATS, spark.createDataFrame(rows, STATS_SCHEMA), date, {"segment": segments})


def write_profile(spark, settings: Settings, rows: list[tuple], date: dt.date, segment: str, base: str) -> None:
    replace(spark, settings, PROFILES, spark.createDataFrame(rows, PROFILES_SCHEMA), date, {"segment": [segment], "base": [base]})


def members(spark, settings: Settings, date: dt.date, segments: list[str]) -> DataFrame:
    """Stored membership of `segments` on `date` (snapshot_date, segment, subject_key, split_group)."""
    if not exists(spark, settings, MEMBERS):
        return spark.createDataFrame([], MEMBERS_SCHEMA)
    return (spark.table(settings.table(MEMBERS))
            .where((F.col("snapshot_date") == F.lit(date.isoformat()).cast("date")) & F.col("segment").isin(*segments)))


def stats_rows(spark, settings: Settings, segments: list[str] | None = None, date: dt.date | None = None) -> list:
    if not exists(spark, settings, STATS):
        return []
    frame = spark.table(settings.table(STATS))
    if segments is not None:
        frame = frame.where(F.col("segment").isin(*segments))
    if date is not None:
        frame = frame.where(F.col("snapshot_date") == F.lit(date.isoformat()).cast("date"))
    return frame.collect()


def evaluated(spark, settings: Settings, segment: str, date: dt.date):
    """The stats row of `segment` on `date`, or None when it was not evaluated for that date."""
    rows = stats_rows(spark, settings, [segment], date)
    return rows[0] if rows else None


def previous_dates(spark, settings: Settings, segments: list[str], date: dt.date) -> dict[str, dt.date]:
    """Per segment, the latest date before `date` it was evaluated for (its 'previous snapshot')."""
    if not exists(spark, settings, STATS):
        return {}
    rows = (spark.table(settings.table(STATS))
            .where(F.col("segment").isin(*segments) & (F.col("snapshot_date") < F.lit(date.isoformat()).cast("date")))
            .groupBy("segment").agg(F.max("snapshot_date").alias("previous")).collect())
    return {r["segment"]: r["previous"] for r in rows}


def require_evaluated(spark, settings: Settings, segment: str, date: dt.date):
    row = evaluated(spark, settings, segment, date)
    if row is None:
        done = sorted({r["snapshot_date"] for r in stats_rows(spark, settings, [segment])})
        hint = f" (evaluated dates: {', '.join(map(str, done[-5:]))})" if done else ""
        raise DataError(f"segment {segment!r} has not been evaluated for {date}{hint}; "
                        f"run `taglake segments --date {date} --segment {segment}` first")
    return row
