"""Equality of two runs' outputs, table by table and row by row (not only counts): what a resumed,
interrupted or cluster run must reproduce of the clean in-process reference (`tiny_nightly`)."""

from __future__ import annotations

#: Columns that describe the run rather than its results: ids, clocks, file names, Delta versions,
#: the qualified table names a segment read (they carry the database's name).
VOLATILE = {"run_id", "seconds", "cc_seconds", "started_at", "finished_at", "checked_at", "recorded_at", "computed_at",
            "group_files", "group_versions", "delta_version", "host", "pid", "code_version", "message",
            "tag_snapshot_run", "tag_versions"}
#: Doubles compare at this many decimals: a sum over other partitions (another cluster, a resumed
#: run) adds in another order and may differ in the last bits (e.g. 3869.2046031746017 / ...036).
DECIMALS = 6
#: Tables that are bookkeeping of the run itself.
SKIP = {"runs"}
#: Append-only tables read through the snapshot registry: a reader sees only the rows of the run
#: each complete snapshot records (taglake.models.records), so a killed run's rows are never read.
RUN_SCOPED = {"model_scores", "model_stats"}


def comparable(df):
    """The result columns; maps as sorted entry arrays (set operations refuse map columns), doubles rounded."""
    keep = [f for f in df.schema.fields if f.name not in VOLATILE and f.dataType.typeName() not in ("timestamp", "timestamp_ntz")]
    def expr(f) -> str:
        kind = f.dataType.typeName()
        if kind == "map":
            return f"array_sort(map_entries(`{f.name}`)) AS `{f.name}`"
        if kind in ("double", "float"):
            return f"round(`{f.name}`, {DECIMALS}) AS `{f.name}`"
        return f"`{f.name}`"

    return df.selectExpr(*[expr(f) for f in keep])


def delta_tables(spark, database: str) -> list[str]:
    out = []
    for table in spark.catalog.listTables(database):
        if table.tableType == "VIEW" or table.name in SKIP or table.name.startswith("__"):   # __: a run's scratch
            continue
        provider = spark.sql(f"DESCRIBE TABLE EXTENDED {database}.{table.name}").where("col_name = 'Provider'").collect()
        if provider and provider[0]["data_type"].lower() == "delta":
            out.append(table.name)
    return sorted(out)


def differences(spark, reference_db: str, other_location: str) -> dict[str, str]:
    """Per Delta table of the reference database, what differs in the table of the same name under
    `other_location` (a database folder, read by path); empty when every table is equal."""
    from pathlib import Path

    problems: dict[str, str] = {}
    for name in delta_tables(spark, reference_db):
        path = Path(other_location) / name
        if not (path / "_delta_log").is_dir():
            problems[name] = f"missing at {path}"
            continue
        want_df, got_df = spark.table(f"{reference_db}.{name}"), spark.read.format("delta").load(str(path))
        if name in RUN_SCOPED:
            want_df = _read_by_readers(want_df, spark.table(f"{reference_db}.snapshots"))
            got_df = _read_by_readers(got_df, spark.read.format("delta").load(str(Path(other_location) / "snapshots")))
        want, got = comparable(want_df), comparable(got_df)
        if sorted(want.columns) != sorted(got.columns):
            problems[name] = f"columns differ: {sorted(set(want.columns) ^ set(got.columns))[:10]}"
            continue
        got = got.select(*want.columns)
        missing, extra = want.exceptAll(got).count(), got.exceptAll(want).count()
        if missing or extra:
            problems[name] = f"{missing} reference rows missing, {extra} rows not in the reference"
    return problems


def _read_by_readers(rows, snapshots):
    """The rows of a RUN_SCOPED table that readers see: those of each complete snapshot's run."""
    complete = snapshots.where("status = 'complete'").select("subject", "snapshot_date", "run_id")
    return rows.join(complete, ["subject", "snapshot_date", "run_id"], "left_semi")
