"""SIGKILL at several points of a nightly, each followed by a resume, in a child process with its own
warehouse (tiny demo, seed 7, `small_library`):

1. a clean nightly of D publishes snapshot D (the "previous complete snapshot" of the re-runs);
2. a re-run of D is killed at each point below in turn, every time resumed by the next run with the
   next point armed: after every kill, readers (the serving manifests, `tags_member_latest` read
   through them, OneID's completed runs, segment stats) are still exactly on the clean run's
   publication — and the killed run's lock is released by the next run (same host, pid gone);
3. a last `--resume` completes the date; every result table then equals the in-process reference
   run (`tiny_nightly`) row by row.

Minutes long: `make test-ops` (marker `ops`), not part of `make test`."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from taglake.settings import PROJECT_ROOT
from tests.conftest import NIGHTLY_DATE
from tests.equality import comparable, differences

pytestmark = pytest.mark.ops

TAGLAKE = str(Path(sys.executable).parent / "taglake")
#: (point, the stage it is in): one in every stage that writes, and between column groups.
KILL_POINTS = [("oneid:mapping", "oneid"), ("group:member:core_001", "tags"), ("publish:member", "tags"),
               ("segments:member", "segments")]


def child(conf: Path, *args: str, fault: str | None = None, timeout: float = 1800) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "TZ": "Asia/Shanghai"}
    env.pop("TAGLAKE_FAULT", None)
    if fault:
        env["TAGLAKE_FAULT"] = fault
    return subprocess.run([TAGLAKE, *args, "--conf", str(conf)], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=PROJECT_ROOT)


def published(spark, db: Path) -> dict:
    """What readers see, by content (run ids and clocks aside): the latest member rows through the
    serving table, OneID's mapping and runs, segment members and stats (read by path; the child's
    catalog is its own). A complete re-run of a stage may publish anew, with identical content."""
    def digest(df) -> tuple:
        return tuple(comparable(df).selectExpr("count(*)", "sum(hash(*))").first())

    def delta(name: str):
        return spark.read.format("delta").load(str(db / name))

    latest = (spark.read.format("taglake_wide").option("path", str(db / "_serving" / "member")).option("latest", "true")
              .load())
    return {"member": digest(latest), **{name: digest(delta(name)) for name in
                                         ("oneid_mapping", "oneid_runs", "segment_members", "segment_stats")}}


def manifest(db: Path, subject: str) -> int:
    """The sequence of a subject's newest serving manifest: what its readers are on."""
    return max(int(m.stem.split("-")[1]) for m in (db / "_serving" / subject).glob("manifest-*.json"))


def test_kills_at_every_stage_leave_readers_on_the_previous_snapshot_and_resume_equals_a_clean_run(
        spark, tiny_nightly, small_library, tmp_path):
    from taglake.ops.ledger import RUN, Ledger
    from taglake.pipeline import STAGES

    root = tmp_path / "kills"
    conf = root / "conf" / "kills.yaml"
    conf.parent.mkdir(parents=True)
    conf.write_text(yaml.safe_dump({
        "extends": str(PROJECT_ROOT / "conf" / "local.yaml"), "name": "kills",
        "warehouse": str(root / "warehouse"), "metastore": str(root / "metastore_db"),
        "checkpoint_dir": str(root / "checkpoints"), "tagdefs": str(small_library),
        "jars": {"ivy_cache": str(PROJECT_ROOT / ".cache" / "ivy")},
        "spark": {"master": "local[2]", "driver_memory": "3g",
                  "conf": {"spark.sql.shuffle.partitions": 2, "spark.default.parallelism": 2, "spark.ui.enabled": False}},
    }))
    db = root / "warehouse" / "taglake.db"
    scratch = root / "checkpoints" / "runs"               # one folder per run (taglake.ops.scratch)
    date = NIGHTLY_DATE
    for args in (["demo-data", "--scale", "tiny", "--seed", "7", "--end-date", date], ["nightly", "--date", date]):
        done = child(conf, *args)
        assert done.returncode == 0, done.stderr[-3000:]
    clean = published(spark, db)

    for i, (point, stage) in enumerate(KILL_POINTS):
        resume = ["--resume"] if i else []          # the first re-run is whole; each next one resumes the killed one
        before = manifest(db, "member")
        killed = child(conf, "nightly", "--date", date, *resume, fault=f"kill@{point}")
        assert killed.returncode == -9, f"{point}: {killed.returncode}\n{killed.stderr[-3000:]}"
        assert published(spark, db) == clean, f"readers see other content after a kill at {point}"
        if stage == "tags":          # killed before member's publication: its readers stay where they were
            assert manifest(db, "member") == before, point
        assert len(list(scratch.iterdir())) == 1, point      # the killed run's scratch (earlier ones swept)
        ledger_rows = spark.read.format("delta").load(str(db / "runs")).where(f"snapshot_date = DATE'{date}'")
        running = [r.run_id for r in ledger_rows.where(f"stage = '{RUN}' AND status = 'running'").collect()]
        assert len(running) == 1, running          # the killed run still holds the date ...
        print(f"killed at {point} ({stage}): readers unchanged")
    resumed = child(conf, "nightly", "--date", date, "--resume")        # ... until the next run finds it dead
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "had died" in resumed.stdout + resumed.stderr
    assert list(scratch.iterdir()) == []                 # swept, and the last run deleted its own

    ledger = Ledger(spark, tiny_nightly)
    ledger._location = str(db / "runs")          # the child's ledger, by path
    runs = [r for r in ledger.rows(dt.date.fromisoformat(date)) if r.stage == RUN]
    assert [r.status for r in runs] == ["succeeded"] + ["failed"] * len(KILL_POINTS) + ["succeeded"]
    assert all(r.message.startswith("abandoned: its process") for r in runs[1:-1])
    # each resumed run skipped exactly the stages before the one its predecessor was killed in (a
    # killed run records no row for the stage it died in)
    order = [s.name for s in STAGES]
    for (point, stage), run in zip(KILL_POINTS, runs[2:]):
        skipped = [r.stage for r in ledger.rows(dt.date.fromisoformat(date)) if r.run_id == run.run_id and r.status == "skipped"]
        assert skipped == order[:order.index(stage)], (point, skipped)
    assert differences(spark, tiny_nightly.database, str(db)) == {}
