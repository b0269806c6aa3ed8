"""The nightly run: every stage that exists, in order, each timed, counted and logged.

Stages are registered by dotted path and imported only when they run, so each stage's package
stays importable and testable on its own. A stage is `fn(run: RunContext) -> dict[str, int]`
returning the row counts it wants reported; the run log goes to `<database>.runs`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from taglake.errors import InputError
from taglake.progress import step
from taglake.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stage:
    name: str
    summary: str
    target: str  # "module:function"

    def load(self) -> Callable[[RunContext], dict[str, int]]:
        module, _, func = self.target.partition(":")
        return getattr(importlib.import_module(module), func)


#: The nightly order. Identity comes first (member tags hang on OneID), then tags (subjects in
#: dependency order), then what reads the tags.
STAGES: list[Stage] = [
    Stage("sources", "check the source tables and record their row counts", "taglake.sources:run_stage"),
    Stage("oneid", "resolve identities into stable OneIDs", "taglake.identity.job:run_stage"),
    Stage("tags", "compute every subject's tag snapshot", "taglake.compute.job:run_stage"),
    Stage("segments", "evaluate active segments on the new snapshot", "taglake.segments.job:run_stage"),
]


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class RunContext:
    """One run, carried through every stage: one run id, one date, one loaded tag library."""

    spark: Any
    settings: Settings
    date: dt.date
    run_id: str = field(default_factory=new_run_id)
    options: dict[str, Any] = field(default_factory=dict)
    loaded: Any = field(default=None, repr=False)   # the tag library, once a stage asked for it

    @property
    def library(self) -> Any:
        """tagdefs/ as the conf names it, loaded (and validated) once per run."""
        if self.loaded is None:
            from pathlib import Path

            from taglake.tagdefs import load_library

            self.loaded = load_library(Path(self.settings.path(self.settings.tagdefs)), database=self.settings.database)
        return self.loaded


@dataclass
class StageReport:
    stage: str
    status: str
    seconds: float
    rows: dict[str, int]
    message: str = ""


def select_stages(only: list[str] | None = None, skip: list[str] | None = None) -> list[Stage]:
    names = [s.name for s in STAGES]
    for name in (only or []) + (skip or []):
        if name not in names:
            raise InputError(f"unknown stage {name!r}; the stages are: {', '.join(names)}")
    return [s for s in STAGES if (not only or s.name in only) and s.name not in (skip or [])]


def run_nightly(run: RunContext, only: list[str] | None = None, skip: list[str] | None = None) -> list[StageReport]:
    stages = select_stages(only, skip)
    reports: list[StageReport] = []
    log.info("nightly %s for %s: %s", run.run_id, run.date, " → ".join(s.name for s in stages))
    for index, stage in enumerate(stages, 1):
        started = time.perf_counter()
        try:
            with step(f"stage {index}/{len(stages)}: {stage.name} — {stage.summary}") as current:
                rows = stage.load()(run) or {}
                current.count(**rows)
        except Exception as exc:
            reports.append(StageReport(stage.name, "failed", time.perf_counter() - started, {}, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
            _record(run, reports[-1:])
            raise
        reports.append(StageReport(stage.name, "ok", current.seconds, {k: int(v) for k, v in rows.items()}))
        _record(run, reports[-1:])
    return reports


def _record(run: RunContext, reports: list[StageReport]) -> None:
    """Append stage outcomes to the run log, so operators can see history in SQL."""
    from pyspark.sql import types as T

    schema = T.StructType([
        T.StructField("run_id", T.StringType()),
        T.StructField("snapshot_date", T.DateType()),
        T.StructField("stage", T.StringType()),
        T.StructField("status", T.StringType()),
        T.StructField("seconds", T.DoubleType()),
        T.StructField("rows", T.MapType(T.StringType(), T.LongType())),
        T.StructField("message", T.StringType()),
        T.StructField("finished_at", T.TimestampType()),
    ])
    now = dt.datetime.now()
    data = [(run.run_id, run.date, r.stage, r.status, round(r.seconds, 3), r.rows, r.message, now) for r in reports]
    (run.spark.createDataFrame(data, schema).write.format("delta").mode("append")
     .saveAsTable(run.settings.table("runs")))
