"""The nightly run: every stage that exists, in order, each timed, counted and logged.

Stages are registered by dotted path and imported only when they run, so each stage's package
stays importable and testable on its own. A stage is `fn(run: RunContext) -> dict[str, int]`
returning the row counts it wants reported. Every run and stage outcome goes to the run ledger
`<database>.runs` (taglake.ops.ledger), whose run row is also the lock of the date.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from taglake.errors import InputError, Terminated
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
    Stage("bi", "republish the BI databases of the SQL endpoint (shared metastore)", "taglake.serving.publish:run_stage"),
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


def code_version() -> str:
    """The package version, plus the git commit (and `-dirty`) when run from a checkout."""
    import subprocess

    import taglake
    from taglake.settings import PROJECT_ROOT

    version = taglake.__version__
    if (PROJECT_ROOT / ".git").exists():
        try:
            def git(*args: str) -> str:
                return subprocess.run(["git", "-C", str(PROJECT_ROOT), *args], capture_output=True, text=True,
                                      timeout=10, check=True).stdout.strip()

            version += "+" + git("rev-parse", "--short", "HEAD") + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")
        except (OSError, subprocess.SubprocessError):
            pass
    return version


def tagdefs_hash(run: RunContext) -> str:
    from taglake.core.hashing import stable_hash

    return stable_hash({subject: run.library.library_hash(subject) for subject in sorted(run.library.tags)})


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While a run is in progress SIGTERM raises Terminated in the main thread, so the run cancels
    its Spark jobs, records itself failed and releases the date (a scheduler's timeout or kill)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated(f"terminated by signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_nightly(run: RunContext, only: list[str] | None = None, skip: list[str] | None = None,
                resume: bool = False) -> list[StageReport]:
    """Run the selected stages for the date, holding the date's lock in the run ledger.

    With `resume`, stages before the first one that has not succeeded for the date (in any earlier
    run) are recorded as skipped and not run; when every stage has succeeded nothing runs."""
    from taglake.ops import scratch
    from taglake.ops.faults import checkpoint
    from taglake.ops.ledger import FAILED, SKIPPED, SUCCEEDED, Ledger

    stages = select_stages(only, skip)
    ledger = Ledger(run.spark, run.settings)
    definitions, version = tagdefs_hash(run), code_version()
    ledger.acquire(run.run_id, run.date, definitions, version, [s.name for s in stages])
    scratch.sweep(run.spark, run.settings, live=ledger.running())
    reports: list[StageReport] = []
    status, message = FAILED, None
    try:
        with _sigterm_raises(), scratch.run_scratch(run.spark, run.settings, run.run_id):
            if resume:
                done, stages = _resume_point(ledger, run, stages)
                for name, from_run in done:
                    reports.append(StageReport(name, SKIPPED, 0.0, {}, f"succeeded in run {from_run}"))
                    ledger.record(run.run_id, run.date, name, SKIPPED, dt.datetime.now(), 0.0, None,
                                  reports[-1].message, definitions, version)
            log.info("nightly %s for %s: %s", run.run_id, run.date, " → ".join(s.name for s in stages) or "nothing to run")
            for index, stage in enumerate(stages, 1):
                started_at, started = dt.datetime.now(), time.perf_counter()
                try:
                    with step(f"stage {index}/{len(stages)}: {stage.name} — {stage.summary}") as current:
                        checkpoint(f"stage:{stage.name}")
                        rows = {k: int(v) for k, v in (stage.load()(run) or {}).items()}
                        current.count(**rows)
                except BaseException as exc:
                    if isinstance(exc, Terminated | KeyboardInterrupt):
                        run.spark.sparkContext.cancelAllJobs()
                    reports.append(StageReport(stage.name, FAILED, time.perf_counter() - started, {}, _first_line(exc)))
                    ledger.record(run.run_id, run.date, stage.name, FAILED, started_at, reports[-1].seconds, None,
                                  reports[-1].message, definitions, version)
                    message = f"stage {stage.name}: {reports[-1].message}"
                    raise
                reports.append(StageReport(stage.name, SUCCEEDED, current.seconds, rows))
                ledger.record(run.run_id, run.date, stage.name, SUCCEEDED, started_at, current.seconds, rows, None,
                              definitions, version)
        status = SUCCEEDED
    finally:
        ledger.finish(run.run_id, status, message)
    return reports


def _resume_point(ledger: Any, run: RunContext, stages: list[Stage]) -> tuple[list[tuple[str, str]], list[Stage]]:
    """Split the selected stages into those already done for the date — (stage, the run it
    succeeded in) — and those to run: from the first stage whose latest attempt did not succeed."""
    from taglake.ops.ledger import first_unfinished

    order = [s.name for s in STAGES]
    attempts = ledger.latest_attempts(run.date, exclude=run.run_id)
    first = first_unfinished(attempts, order)
    position = len(stages) if first is None else next(
        (i for i, s in enumerate(stages) if order.index(s.name) >= order.index(first)), len(stages))
    log.info("resuming %s: %s", run.date, f"from stage {first}" if position < len(stages) else "every stage has succeeded")
    return [(s.name, attempts[s.name][1]) for s in stages[:position]], stages[position:]


def backfill(spark: Any, settings: Settings, start: dt.date, end: dt.date, force: bool = False) -> list[tuple[dt.date, str]]:
    """Run the nightly for every date from start to end, in order (each date's OneID continues from
    the previous date's mapping): dates already complete are skipped unless `force`; a date that
    failed resumes where it failed. Stops at the first date that fails."""
    from taglake.ops.ledger import Ledger, first_unfinished

    if end < start:
        raise InputError(f"--to {end} is before --from {start}")
    ledger, names, outcome = Ledger(spark, settings), [s.name for s in STAGES], []
    for offset in range((end - start).days + 1):
        date = start + dt.timedelta(days=offset)
        first = first_unfinished(ledger.latest_attempts(date), names)
        if first is None and not force:
            log.info("backfill %s: complete, skipped", date)
            outcome.append((date, "complete"))
            continue
        with step(f"backfill {date} ({offset + 1}/{(end - start).days + 1})"):
            run_nightly(RunContext(spark, settings, date), resume=not force)
        outcome.append((date, "ran" if force or first == names[0] else f"resumed at {first}"))
    return outcome


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:1000] if text else type(exc).__name__
