"""One run per date across processes: three `taglake nightly` processes on the shared metastore.

The first holds the date (a test-only fault makes it wait inside its first stage); the second exits
at once with code 75 naming the first; the first is then SIGKILLed, like a driver the OOM killer
took, and a third run (the test's own process) finds the dead holder (same host, pid gone), records it
failed and runs. Two minutes of child processes: `make test-ops` (the in-process race of two Delta
transactions for one date is tests/ops/test_ledger.py, in `make test`)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import time

import pytest

from taglake.errors import EXIT_LOCKED
from taglake.ops.ledger import RUN, Ledger
from taglake.pipeline import RunContext, run_nightly
from tests.serving.conftest import TAGLAKE, child_env, run_cli

pytestmark = pytest.mark.ops
DATE = dt.date(2026, 11, 21)    # not the date the other serving tests run


def test_one_run_per_date_across_processes(spark, endpoint, live_source, live_conf):
    from taglake.settings import PROJECT_ROOT

    args = ["nightly", "--only", "sources", "--date", str(DATE), "--conf", str(live_conf)]
    first = subprocess.Popen([TAGLAKE, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env={**child_env(), "TAGLAKE_FAULT": "hold@stage:sources"}, cwd=PROJECT_ROOT)
    lines: list[str] = []
    deadline = time.monotonic() + 600
    while not any("holding at stage:sources" in line for line in lines):
        assert time.monotonic() < deadline and first.poll() is None, "".join(lines)[-3000:]
        lines.append(first.stdout.readline())
    holder = re.search(r"nightly (\w+) for 2026-11-21", "".join(lines)).group(1)

    started = time.monotonic()
    second = run_cli(args, check=False)
    assert second.returncode == EXIT_LOCKED, second.stderr[-3000:]
    assert f"error: run {holder} for {DATE} is already running (started " in second.stderr
    assert f"--force-unlock {holder}" in second.stderr
    print(f"\nthe second run was refused in {time.monotonic() - started:.0f}s (JVM start included)")

    first.kill()
    first.wait(60)
    # a third run, this test's own process (same ledger table, by its location): the holder is gone
    third = run_nightly(RunContext(spark, live_source, DATE, run_id="third"), only=["sources"])
    assert [r.status for r in third] == ["succeeded"]
    runs = {r.run_id: r for r in Ledger(spark, live_source).rows(DATE) if r.stage == RUN}
    assert runs[holder].status == "failed" and runs[holder].message.startswith("abandoned: its process ")
    assert runs["third"].status == "succeeded" and len(runs) == 2
