"""The run ledger `<database>.runs`: every nightly run and every stage it ran, and the lock per date.

One row per stage outcome (appended when the stage ends) and one row per run (`stage = 'run'`),
inserted `running` when the run starts and updated when it ends. The run row is also the lock:
it is inserted by a MERGE that inserts only when the date has no running run. Two MERGEs that read
the same date's partition cannot both commit (Delta's optimistic concurrency raises a concurrent-
append conflict in the later one), so the lock holds across processes and machines sharing the
table — no local lock file. A retried MERGE then sees the winner's row.

A run whose process is gone leaves a `running` row: on the same host it is recognised (its pid no
longer exists) and marked failed by the next run; from another host it takes `--force-unlock`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from taglake.errors import InputError, RunLocked
from taglake.settings import Settings

log = logging.getLogger(__name__)

TABLE = "runs"
RUN = "run"                  # the stage name of the row for the run as a whole
RUNNING, SUCCEEDED, FAILED, SKIPPED = "running", "succeeded", "failed", "skipped"
DONE = (SUCCEEDED, SKIPPED)  # a skipped stage is one a resumed run took from an earlier success
SCHEMA = (
    "run_id string, snapshot_date date, stage string, status string, started_at timestamp, finished_at timestamp, "
    "seconds double, rows map<string,bigint>, tagdefs_hash string, code_version string, host string, pid int, "
    "message string, stages array<string>"
)
FIELDS = SCHEMA.split(", ")                  # "name type" each
LOCK_ATTEMPTS = 5            # MERGEs of one acquire: again after a holder left between a MERGE and its read
COLUMNS = [f.split()[0] for f in FIELDS]
CONFLICT_RETRIES = 20

T = TypeVar("T")


@dataclass(frozen=True)
class RunRow:
    run_id: str
    snapshot_date: dt.date
    stage: str
    status: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    seconds: float | None
    rows: dict[str, int] | None
    tagdefs_hash: str | None
    code_version: str | None
    host: str | None
    pid: int | None
    message: str | None
    stages: list[str] | None     # run rows: the stages the run set out to run (where a killed run died)


def _sql_str(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _is_conflict(exc: Exception) -> bool:
    return "Concurrent" in type(exc).__name__ or "ConcurrentAppendException" in str(exc) or \
        "ConcurrentDeleteReadException" in str(exc) or "ConcurrentTransactionException" in str(exc)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Ledger:
    """Reads and writes `<database>.runs`. Every write is one Delta commit, retried on conflict."""

    def __init__(self, spark, settings: Settings) -> None:
        self.spark = spark
        self.settings = settings
        self.table = settings.table(TABLE)
        self._location: str | None = None

    # --------------------------------------------------------------------------- table

    @property
    def target(self) -> str:
        """The table by path (`delta.`<location>``): writes skip the metastore's lookups (a third
        of a commit's time on the embedded metastore), which matters at ~7 commits per run."""
        return f"delta.`{self.ensure()}`"

    def ensure(self) -> str:
        """Create the table if needed (registered in the catalog, for SQL users); return its location."""
        if self._location:
            return self._location
        if not self.spark.catalog.databaseExists(self.settings.database):
            self.spark.sql(f"CREATE DATABASE IF NOT EXISTS {self.settings.database}")
        if not self.spark.catalog.tableExists(self.table):
            self.spark.sql(f"CREATE TABLE IF NOT EXISTS {self.table} ({SCHEMA}) USING delta PARTITIONED BY (snapshot_date)")
        else:
            have = {f.name for f in self.spark.table(self.table).schema.fields}
            missing = [f for f, c in zip(FIELDS, COLUMNS) if c not in have]
            if missing:   # a run log written by an earlier taglake gains the ledger's columns
                self._retry(lambda: self.spark.sql(f"ALTER TABLE {self.table} ADD COLUMNS ({', '.join(missing)})"))
        self._location = str(self.spark.sql(f"DESCRIBE DETAIL {self.table}").first()["location"])
        return self._location

    def _retry(self, action: Callable[[], T]) -> T:
        for attempt in range(CONFLICT_RETRIES):
            try:
                return action()
            except Exception as exc:
                if not _is_conflict(exc) or attempt == CONFLICT_RETRIES - 1:
                    raise
                log.debug("runs: concurrent commit, retrying (%s)", type(exc).__name__)
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    # --------------------------------------------------------------------------- reads

    def rows(self, date: dt.date | None = None, where: str | None = None) -> list[RunRow]:
        if self._location is None and not self.spark.catalog.tableExists(self.table):
            return []
        clauses = [f"snapshot_date = DATE'{date}'"] if date else []
        clauses += [where] if where else []
        query = f"SELECT {', '.join(COLUMNS)} FROM {self.target}"
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        rows = [RunRow(**r.asDict()) for r in self.spark.sql(query).collect()]
        return sorted(rows, key=lambda r: (r.started_at or dt.datetime.min, r.stage != RUN))

    def running(self) -> list[str]:
        """Ids of the runs that hold a date (any date)."""
        return [r.run_id for r in self.rows(where=f"stage = '{RUN}' AND status = '{RUNNING}'")]

    def holder(self, date: dt.date) -> RunRow | None:
        held = self.rows(date, f"stage = '{RUN}' AND status = '{RUNNING}'")
        return held[0] if held else None

    def latest_attempts(self, date: dt.date, exclude: str | None = None) -> dict[str, tuple[str, str]]:
        """Per stage, (status, run id) of the latest run that attempted it for the date. A run that
        died (killed, lost) has no row for the stage it was in: that stage, the first of its planned
        stages without a row, counts as a failed attempt."""
        rows = self.rows(date)
        attempts: dict[str, tuple[str, str]] = {}
        for run in (r for r in rows if r.stage == RUN and r.run_id != exclude):
            own = {r.stage: r.status for r in rows if r.run_id == run.run_id and r.stage != RUN}
            for stage in run.stages or list(own):
                if stage not in own and run.status == SUCCEEDED:
                    continue
                attempts[stage] = (own.get(stage, FAILED), run.run_id)
                if attempts[stage][0] not in DONE:
                    break
        return attempts

    # --------------------------------------------------------------------------- the lock

    def acquire(self, run_id: str, date: dt.date, tagdefs_hash: str | None, code_version: str,
                stages: list[str] | None = None) -> None:
        """Insert this run's `running` row unless the date already has one; else RunLocked."""
        self.ensure()
        host, pid = socket.gethostname(), os.getpid()
        source = (f"SELECT {_sql_str(run_id)} AS run_id, DATE'{date}' AS snapshot_date, '{RUN}' AS stage, "
                  f"'{RUNNING}' AS status, current_timestamp() AS started_at, CAST(NULL AS timestamp) AS finished_at, "
                  f"CAST(NULL AS double) AS seconds, CAST(NULL AS map<string,bigint>) AS rows, "
                  f"{_sql_str(tagdefs_hash)} AS tagdefs_hash, {_sql_str(code_version)} AS code_version, "
                  f"{_sql_str(host)} AS host, {pid} AS pid, CAST(NULL AS string) AS message, "
                  f"array({', '.join(_sql_str(x) for x in stages or [])}) AS stages")
        merge = (f"MERGE INTO {self.target} t USING ({source}) s "
                 f"ON t.snapshot_date = s.snapshot_date AND t.stage = '{RUN}' AND t.status = '{RUNNING}' "
                 "WHEN NOT MATCHED THEN INSERT *")
        for _ in range(LOCK_ATTEMPTS):   # again after a holder finished or was found dead in between
            inserted = self._retry(lambda: self.spark.sql(merge).first()["num_inserted_rows"])
            if inserted == 1:
                return
            holder = self.holder(date)
            if holder is None:
                continue          # the holder finished between the MERGE and this read
            if holder.host == host and holder.pid is not None and not process_alive(holder.pid):
                self.finish(holder.run_id, FAILED,
                            f"abandoned: its process {holder.pid} on {host} was gone when run {run_id} started")
                log.warning("run %s for %s had died (process %s gone): its lock is released", holder.run_id, date, holder.pid)
                continue
            raise RunLocked(
                f"run {holder.run_id} for {date} is already running (started {holder.started_at:%Y-%m-%d %H:%M:%S} "
                f"on {holder.host}, pid {holder.pid}); if that process is dead, "
                f"`taglake nightly --date {date} --force-unlock {holder.run_id}` releases it")
        raise RunLocked(f"the lock of {date} changed hands {LOCK_ATTEMPTS} times while run {run_id} tried to take it; "
                        "other runs for the date keep starting: try again when they are done")

    def finish(self, run_id: str, status: str, message: str | None = None) -> int:
        """Close a running run row (the lock is released when the row leaves `running`); returns rows changed."""
        condition = f"run_id = {_sql_str(run_id)} AND stage = '{RUN}' AND status = '{RUNNING}'"
        update = (f"UPDATE {self.target} SET status = '{status}', finished_at = current_timestamp(), "
                  f"seconds = CAST(unix_millis(current_timestamp()) - unix_millis(started_at) AS double) / 1000, "
                  f"message = {_sql_str(message)} WHERE {condition}")
        result = self._retry(lambda: self.spark.sql(update).collect())
        return int(result[0][0]) if result else 0

    def force_unlock(self, run_id: str, by: str) -> RunRow:
        self.ensure()
        held = self.rows(None, f"run_id = {_sql_str(run_id)} AND stage = '{RUN}'")
        if not held:
            raise InputError(f"no run {run_id!r} in {self.table}; `taglake runs` lists the runs")
        if held[0].status != RUNNING:
            raise InputError(f"run {run_id} is not running (status {held[0].status}): nothing to unlock")
        self.finish(run_id, FAILED, f"lock broken by --force-unlock ({by})")
        return held[0]

    # --------------------------------------------------------------------------- stage outcomes

    def record(self, run_id: str, date: dt.date, stage: str, status: str, started_at: dt.datetime, seconds: float,
               rows: dict[str, int] | None = None, message: str | None = None,
               tagdefs_hash: str | None = None, code_version: str | None = None) -> None:
        """Append one stage's outcome (a blind append: it never conflicts with another run's lock)."""
        row: dict[str, Any] = dict(run_id=run_id, snapshot_date=date, stage=stage, status=status, started_at=started_at,
                                   finished_at=dt.datetime.now(), seconds=round(seconds, 3), rows=rows or {},
                                   tagdefs_hash=tagdefs_hash, code_version=code_version, host=socket.gethostname(),
                                   pid=os.getpid(), message=message, stages=None)
        df = self.spark.createDataFrame([tuple(row[c] for c in COLUMNS)], SCHEMA)
        self._retry(lambda: df.write.format("delta").mode("append").save(self.ensure()))


def first_unfinished(attempts: dict[str, tuple[str, str]], stages: Iterable[str]) -> str | None:
    """The first stage (in nightly order) whose latest attempt (Ledger.latest_attempts) did not
    succeed; None when every stage succeeded: the date is complete."""
    return next((s for s in stages if s not in attempts or attempts[s][0] not in DONE), None)
