"""The run ledger: states through success, failure, resume and backfill; the lock under a real race
of two Delta transactions; SIGTERM. The expected states are written out by hand from the scenario,
not computed by the ledger's own code."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from pathlib import Path

import pytest

from taglake.cli.app import main
from taglake.ops.ledger import RUN, Ledger
from taglake.pipeline import STAGES, RunContext, Stage, run_nightly
from tests.conftest import NIGHTLY_DATE

D1, D2, D3 = dt.date(2026, 11, 20), dt.date(2026, 11, 21), dt.date(2026, 11, 22)
TEST_STAGES = [Stage(name, f"test stage {name}", f"tests.ops.stages:{name}") for name in ("extract", "load", "publish")]


@pytest.fixture
def ledger_settings(settings, small_library: Path, monkeypatch):
    """A private database, the small library (its hash is recorded per run) and three cheap stages."""
    from tests.ops.stages import MARKS

    monkeypatch.setattr("taglake.pipeline.STAGES", TEST_STAGES)
    MARKS.clear()
    return settings.with_overrides(tagdefs=str(small_library))


def states(spark, settings, date) -> list[tuple[str, str]]:
    """(stage, status) per row of the date, oldest run first, the run row after its stages."""
    rows = Ledger(spark, settings).rows(date)
    by_run: dict[str, list] = {}
    for r in rows:
        by_run.setdefault(r.run_id, []).append(r)
    out = []
    for run_rows in by_run.values():
        out += [(r.stage, r.status) for r in run_rows if r.stage != RUN] + [(r.stage, r.status) for r in run_rows if r.stage == RUN]
    return out


def marks() -> list[tuple[str, str]]:
    from tests.ops.stages import MARKS

    return sorted(MARKS)


def cli(conf_file: Path, *args: str) -> int:
    return main([*args, "--conf", str(conf_file)])


def test_the_reference_nightly_is_in_the_ledger(spark, tiny_nightly):
    """The shared nightly (every real stage) recorded one succeeded run and each stage with its counts."""
    import taglake

    date = dt.date.fromisoformat(NIGHTLY_DATE)
    rows = Ledger(spark, tiny_nightly).rows(date)
    run = [r for r in rows if r.stage == RUN]
    assert [(r.status, r.message) for r in run] == [("succeeded", None)]
    stages = [r for r in rows if r.stage != RUN]
    assert [(r.stage, r.status) for r in stages] == [(s.name, "succeeded") for s in STAGES]
    assert all(r.run_id == run[0].run_id and r.seconds >= 0 for r in stages)
    tags = next(r for r in stages if r.stage == "tags")
    assert tags.rows["member_rows"] == spark.table(tiny_nightly.table("tags_member_latest")).count() > 0
    assert run[0].code_version.startswith(taglake.__version__ + "+")      # a checkout: version + commit
    assert len(run[0].tagdefs_hash) == 16 and {r.tagdefs_hash for r in stages} == {run[0].tagdefs_hash}
    assert run[0].finished_at >= run[0].started_at and run[0].seconds >= sum(r.seconds for r in stages) * 0.9


def test_failure_resume_and_backfill_over_three_dates(spark, ledger_settings, conf_file, monkeypatch):
    import yaml

    settings = ledger_settings
    conf = yaml.safe_load(conf_file.read_text())
    conf_file.write_text(yaml.safe_dump({**conf, "tagdefs": settings.tagdefs}, allow_unicode=True))

    # D1 succeeds; D2 fails in `load`: the backfill stops there (exit 1) and never starts D3
    assert cli(conf_file, "nightly", "--date", str(D1)) == 0
    monkeypatch.setenv("TAGLAKE_FAULT", "fail@stage:load")
    assert cli(conf_file, "backfill", "--from", str(D1), "--to", str(D3)) == 1
    monkeypatch.delenv("TAGLAKE_FAULT")
    assert states(spark, settings, D1) == [("extract", "succeeded"), ("load", "succeeded"), ("publish", "succeeded"),
                                           ("run", "succeeded")]
    assert states(spark, settings, D2) == [("extract", "succeeded"), ("load", "failed"), ("run", "failed")]
    assert states(spark, settings, D3) == []
    failed = [r for r in Ledger(spark, settings).rows(D2) if r.stage == RUN][0]
    assert failed.message == "stage load: injected failure at stage:load (TAGLAKE_FAULT=fail@stage:load)"
    assert Ledger(spark, settings).holder(D2) is None          # a failed run released its date

    # the same backfill again: D1 complete (skipped), D2 resumes at `load`, D3 runs whole
    assert cli(conf_file, "backfill", "--from", str(D1), "--to", str(D3)) == 0
    assert states(spark, settings, D2)[3:] == [("extract", "skipped"), ("load", "succeeded"), ("publish", "succeeded"),
                                               ("run", "succeeded")]
    assert states(spark, settings, D3) == [("extract", "succeeded"), ("load", "succeeded"), ("publish", "succeeded"),
                                           ("run", "succeeded")]
    assert marks() == sorted([(str(D1), "extract"), (str(D1), "load"), (str(D1), "publish"),
                                             (str(D2), "extract"), (str(D2), "load"), (str(D2), "publish"),
                                             (str(D3), "extract"), (str(D3), "load"), (str(D3), "publish")])
    skipped = Ledger(spark, settings).rows(D2)[4]
    first_d2_run = Ledger(spark, settings).rows(D2)[0].run_id
    assert skipped.message == f"succeeded in run {first_d2_run}"

    # a resume of a complete date runs nothing; --force re-runs every stage of every date
    assert cli(conf_file, "nightly", "--date", str(D3), "--resume") == 0
    assert states(spark, settings, D3)[4:] == [("extract", "skipped"), ("load", "skipped"), ("publish", "skipped"),
                                               ("run", "succeeded")]
    assert cli(conf_file, "backfill", "--from", str(D3), "--to", str(D3), "--force") == 0
    assert len(marks()) == 9 + 3
    assert cli(conf_file, "backfill", "--from", str(D3), "--to", str(D1)) == 1      # a readable input error


def test_two_runs_race_for_one_date(spark, ledger_settings):
    """Two lock attempts committed at the same moment (threads: two Delta transactions on one table):
    exactly one holds the date, the other is told who does; the holder's end releases it."""
    from taglake.errors import EXIT_LOCKED, RunLocked

    ledger = Ledger(spark, ledger_settings)
    ledger.ensure()
    barrier, outcome = threading.Barrier(2), {}

    def attempt(run_id: str) -> None:
        barrier.wait()
        try:
            ledger.acquire(run_id, D1, "h", "v")
            outcome[run_id] = "holds"
        except RunLocked as exc:
            outcome[run_id] = str(exc)

    threads = [threading.Thread(target=attempt, args=(r,)) for r in ("run-a", "run-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    winner = next(r for r, o in outcome.items() if o == "holds")
    loser = ({"run-a", "run-b"} - {winner}).pop()
    assert outcome[loser].startswith(f"run {winner} for {D1} is already running (started ")
    assert f"--force-unlock {winner}" in outcome[loser] and RunLocked.exit_code == EXIT_LOCKED == 75
    assert [r.run_id for r in ledger.rows(D1)] == [winner]
    ledger.finish(winner, "succeeded")
    ledger.acquire(loser, D1, "h", "v")                  # free again
    assert ledger.holder(D1).run_id == loser


def test_force_unlock_and_a_dead_holder(spark, ledger_settings, conf_file):
    ledger = Ledger(spark, ledger_settings)
    ledger.acquire("elsewhere", D1, "h", "v")
    spark.sql(f"UPDATE {ledger.table} SET host = 'another-host' WHERE run_id = 'elsewhere'")
    with pytest.raises(Exception, match="run elsewhere for 2026-11-20 is already running .* on another-host"):
        run_nightly(RunContext(spark, ledger_settings, D1))
    released = ledger.force_unlock("elsewhere", "test")
    assert released.host == "another-host" and ledger.holder(D1) is None
    assert [r.message for r in ledger.rows(D1) if r.run_id == "elsewhere"] == ["lock broken by --force-unlock (test)"]
    with pytest.raises(Exception, match="is not running"):
        ledger.force_unlock("elsewhere", "test")

    # a run killed in `load` on this host (its pid 2**22 + 1 exceeds any pid_max: gone) holds the date
    # until the next run: that run releases it and, resuming, starts at the stage the dead run was in
    ledger.acquire("crashed", D2, "h", "v", ["extract", "load", "publish"])
    ledger.record("crashed", D2, "extract", "succeeded", dt.datetime.now(), 1.0)
    spark.sql(f"UPDATE {ledger.table} SET pid = {2**22 + 1} WHERE run_id = 'crashed'")
    run_nightly(RunContext(spark, ledger_settings, D2, run_id="after"), resume=True)
    by_run = {r.run_id: r for r in ledger.rows(D2) if r.stage == RUN}
    assert by_run["crashed"].status == "failed" and "abandoned: its process 4194305" in by_run["crashed"].message
    assert by_run["after"].status == "succeeded"
    assert states(spark, ledger_settings, D2)[2:] == [("extract", "skipped"), ("load", "succeeded"), ("publish", "succeeded"),
                                                      ("run", "succeeded")]


def test_sigterm_records_the_run_failed_and_releases_the_date(spark, ledger_settings, monkeypatch):
    from taglake.errors import Terminated

    monkeypatch.setenv("TAGLAKE_FAULT", "hold@stage:load")
    ledger, before = Ledger(spark, ledger_settings), signal.getsignal(signal.SIGTERM)

    def terminate_once_held() -> None:      # the scheduler's kill, once `extract` is done and `load` holds
        for _ in range(300):
            if any(r.stage == "extract" for r in ledger.rows(D3)):
                os.kill(os.getpid(), signal.SIGTERM)
                return
            threading.Event().wait(1)

    threading.Thread(target=terminate_once_held, daemon=True).start()
    with pytest.raises(Terminated):
        run_nightly(RunContext(spark, ledger_settings, D3, run_id="held"))
    assert signal.getsignal(signal.SIGTERM) == before              # the run's handler is gone with it
    assert states(spark, ledger_settings, D3) == [("extract", "succeeded"), ("load", "failed"), ("run", "failed")]
    assert Ledger(spark, ledger_settings).holder(D3) is None


def test_a_run_keeps_its_scratch_in_its_own_folder_and_sweeps_the_folders_of_ended_runs(spark, ledger_settings, monkeypatch):
    from taglake.ops import scratch

    settings = ledger_settings
    ledger = Ledger(spark, settings)
    ledger.acquire("live-run", D1, None, "v", ["extract"])           # another date's run, still running
    ledger.acquire("killed-run", D2, None, "v", ["extract"])
    ledger.finish("killed-run", "failed", "abandoned: its process was gone")   # released by a later run
    for run_id in ("live-run", "killed-run", "no-ledger-row"):
        Path(scratch.run_folder(settings, run_id), "rdd-1").mkdir(parents=True)
    seen = {}

    def extract(run) -> dict[str, int]:
        seen["checkpoints"] = run.spark.sparkContext.getCheckpointDir()
        seen["leftover"] = scratch.leftover_runs(run.spark, run.settings)
        run.spark.range(10).checkpoint(eager=True)          # Spark's own checkpoint files land in the run's folder
        return {}

    monkeypatch.setattr("tests.ops.stages.extract", extract)
    run = RunContext(spark, settings, D3)
    run_nightly(run, only=["extract"])
    # While it ran: the ended runs' folders were gone, the live run's kept, its own folder Spark's checkpoint dir.
    assert seen["leftover"] == sorted(["live-run", run.run_id])
    assert seen["checkpoints"].startswith("file:" + scratch.run_folder(settings, run.run_id))
    # After it: its own folder is gone too, and Spark's checkpoint directory is the conf's again.
    assert scratch.leftover_runs(spark, settings) == ["live-run"]
    assert spark.sparkContext.getCheckpointDir().startswith("file:" + settings.path(settings.checkpoint_dir) + "/")
    ledger.finish("live-run", "succeeded")
