"""Which model version scored which snapshot, and how its scores were distributed.

`model_scores`: one row per (snapshot, model) of a tags run: the registered model, version and
MLflow run used, or why nothing was scored. `model_stats`: the score distribution per snapshot
(shares of the training deciles), PSI against the previous snapshot and against the training
set, and an alert when a PSI passes `models.psi_alert`. Both sit next to `tag_stats`.

Rows are appended during the tags run, tagged with its run id; a reader takes those of the run
the snapshot registry records for the date, so a run that dies halfway leaves rows nobody reads,
and a re-run of a date replaces what readers see when its snapshot is complete.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from taglake.settings import Settings
from taglake.snapshots import registry

SCORES_TABLE = "model_scores"
STATS_TABLE = "model_stats"
SCORES_SCHEMA = ("subject string, snapshot_date date, run_id string, model string, tags array<string>, status string, "
                 "version string, model_run_id string, alias string, reason string, scored_rows bigint, recorded_at timestamp")
STATS_SCHEMA = ("subject string, snapshot_date date, run_id string, model string, version string, rows bigint, "
                "scored bigint, mean double, shares array<double>, psi_previous double, previous_date date, "
                "psi_training double, training_date date, alert string, recorded_at timestamp")


@dataclass(frozen=True)
class Usage:
    subject: str
    snapshot_date: dt.date
    run_id: str
    model: str
    tags: list[str]
    status: str                 # scored | no_champion
    version: str | None
    model_run_id: str | None
    alias: str
    reason: str
    scored_rows: int


def append(spark, settings: Settings, table: str, rows: list[tuple], schema: str) -> None:
    spark.createDataFrame(rows, schema).write.format("delta").mode("append").option("mergeSchema", "true") \
        .saveAsTable(settings.table(table))


def record_usage(spark, settings: Settings, usage: Usage) -> None:
    append(spark, settings, SCORES_TABLE, [(usage.subject, usage.snapshot_date, usage.run_id, usage.model, usage.tags,
                                            usage.status, usage.version, usage.model_run_id, usage.alias, usage.reason,
                                            usage.scored_rows, dt.datetime.now())], SCORES_SCHEMA)


def _visible(spark, settings: Settings, table: str, subject: str | None = None) -> list:
    """Rows of `table` written by the run each complete snapshot records (one run per date)."""
    if not (spark.catalog.tableExists(settings.table(table)) and spark.catalog.tableExists(settings.table(registry.SNAPSHOTS_TABLE))):
        return []
    where = f" AND s.subject = '{subject}'" if subject else ""
    return spark.sql(
        f"SELECT t.* FROM {settings.table(table)} t JOIN {settings.table(registry.SNAPSHOTS_TABLE)} s "
        f"ON t.subject = s.subject AND t.snapshot_date = s.snapshot_date AND t.run_id = s.run_id "
        f"WHERE s.status = 'complete'{where}").collect()


def usages(spark, settings: Settings, subject: str | None = None) -> list:
    return sorted(_visible(spark, settings, SCORES_TABLE, subject), key=lambda r: (r["subject"], r["snapshot_date"], r["model"]))


def stats(spark, settings: Settings, subject: str | None = None) -> list:
    return sorted(_visible(spark, settings, STATS_TABLE, subject), key=lambda r: (r["subject"], r["snapshot_date"], r["model"]))


def recorded_version(spark, settings: Settings, subject: str, date: dt.date, model: str) -> str | None:
    """The version that scored `model` in the complete snapshot of `date`, if any."""
    for row in usages(spark, settings, subject):
        if row["snapshot_date"] == date and row["model"] == model and row["status"] == "scored":
            return row["version"]
    return None


def previous_scored(spark, settings: Settings, subject: str, date: dt.date, model: str):
    """The latest complete snapshot before `date` where `model` was scored (its usage row)."""
    rows = [r for r in usages(spark, settings, subject) if r["snapshot_date"] < date and r["model"] == model and r["status"] == "scored"]
    return rows[-1] if rows else None


def previous_stats(spark, settings: Settings, subject: str, date: dt.date, model: str):
    rows = [r for r in stats(spark, settings, subject) if r["snapshot_date"] < date and r["model"] == model]
    return rows[-1] if rows else None
