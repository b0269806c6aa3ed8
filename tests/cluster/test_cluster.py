"""The nightly on a real Spark standalone cluster: master and two workers as separate processes,
the executors' Python shipped as a packed virtualenv (--archives), the package with --py-files,
spark-submit from a folder outside the repository, the warehouse on a shared path. One worker is
SIGKILLed in the middle of the run: Spark reschedules its tasks and the run completes. Every
result table must equal the in-process reference run on the same inputs (tiny demo, seed 7,
`small_library`). Minutes long: `make test-ops` (marker `ops`), not part of `make test`."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import NIGHTLY_DATE
from tests.equality import delta_tables, differences

pytestmark = pytest.mark.ops


def test_nightly_on_a_standalone_cluster_equals_the_local_run(spark, tiny_nightly, small_library, tmp_path_factory):
    from taglake.ops.cluster import run_demo
    from taglake.ops.ledger import RUN, Ledger

    work = tmp_path_factory.mktemp("cluster-run")
    seconds = run_demo(work, NIGHTLY_DATE, "tiny", seed=7, tagdefs=small_library, kill_worker_after=90)
    ledger = Ledger(spark, tiny_nightly)
    local = next(r for r in ledger.rows(dt.date.fromisoformat(NIGHTLY_DATE)) if r.stage == RUN)
    print(f"\ncluster: demo data {seconds['demo_data']:.0f}s, nightly {seconds['nightly']:.0f}s "
          f"(worker 2 killed at 90s); local reference nightly {local.seconds:.0f}s")
    log = (work / "nightly.log").read_text(errors="replace")
    assert "Removing executor" in log or "Lost executor" in log or "lost" in log.lower(), \
        "the worker was not killed while the nightly ran"
    tables = delta_tables(spark, tiny_nightly.database)
    assert len(tables) > 20
    assert differences(spark, tiny_nightly.database, str(work / "warehouse" / "taglake.db")) == {}
