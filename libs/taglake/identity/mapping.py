"""The read side of OneID: which person an identifier belonged to, as of a date.

Other stages never join to `oneid_mapping` directly; they call `mapping_as_of(spark, settings,
date)`, which picks the latest *completed* run at or before the date (a run is complete once its
row is in `oneid_runs`, written last), and join on (id_type, canonical id_value) — canonical as
`taglake.identity.normalize.canonical` produces it.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from taglake.errors import DataError
from taglake.settings import Settings

MAPPING = "oneid_mapping"
LATEST_VIEW = "oneid_mapping_latest"
CHANGES = "oneid_changes"
AUDIT = "oneid_audit"
RUNS = "oneid_runs"


def completed_runs(spark: SparkSession, settings: Settings) -> list[dt.date]:
    table = settings.table(RUNS)
    if not spark.catalog.tableExists(table):
        return []
    return sorted(r["snapshot_date"] for r in spark.table(table).select("snapshot_date").distinct().collect())


def read_snapshot(spark: SparkSession, settings: Settings, date: dt.date) -> DataFrame:
    return (spark.table(settings.table(MAPPING)).where(F.col("snapshot_date") == F.lit(date).cast("date"))
            .select("id_type", "id_value", "oneid", "first_seen", "last_seen"))


def mapping_as_of(spark: SparkSession, settings: Settings, date: dt.date) -> DataFrame:
    """DataFrame(id_type, id_value, oneid) of the latest completed OneID run at or before `date`."""
    runs = [d for d in completed_runs(spark, settings) if d <= date]
    if not runs:
        raise DataError(
            f"no OneID run at or before {date} in {settings.table(RUNS)}; "
            f"run `taglake oneid --date {date}` (or the nightly run) first")
    chosen = runs[-1]
    mapping = read_snapshot(spark, settings, chosen)
    if mapping.limit(1).count() == 0:
        raise DataError(
            f"the OneID mapping of {chosen} (the latest run at or before {date}) has been removed by "
            f"retention (conf retention.daily / month_ends); re-run `taglake oneid --date {chosen} --rebuild` "
            "to recreate it")
    return mapping.select("id_type", "id_value", "oneid")
