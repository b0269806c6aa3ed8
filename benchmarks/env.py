"""A benchmark environment: its own warehouse and metastore (bench-warehouse/), demo data of a
given scale and a OneID run, built once and reused by later benchmark runs."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from pathlib import Path

import yaml

from taglake.settings import PROJECT_ROOT, Settings, load_settings

log = logging.getLogger("benchmarks")
DATE = dt.date(2026, 11, 22)


def bench_settings(scale: str, root: Path | None = None, driver_memory: str = "12g") -> Settings:
    """conf/local.yaml pointed at bench-warehouse/<scale>/ (the demo warehouse stays untouched)."""
    base = root or PROJECT_ROOT / "bench-warehouse" / scale
    base.mkdir(parents=True, exist_ok=True)
    local = load_settings("local")
    data = local.model_dump(mode="json", exclude={"root"})
    data.update(name=f"bench-{scale}", warehouse=str(base / "warehouse"), metastore=str(base / "metastore_db"),
                checkpoint_dir=str(base / "checkpoints"), tagdefs=local.path(local.tagdefs))
    data["jars"]["ivy_cache"] = local.path(local.jars.ivy_cache)
    data["spark"]["driver_memory"] = driver_memory
    conf = base / "bench.yaml"
    conf.write_text(yaml.safe_dump(data, allow_unicode=True))
    return load_settings(conf).with_overrides(root=PROJECT_ROOT)


def ensure_data(spark, settings: Settings, scale: str, seed: int = 42) -> None:
    from taglake.demo import demo_present, generate

    if demo_present(spark, settings):
        log.info("reusing %s demo data in %s", scale, settings.path(settings.warehouse))
    else:
        started = time.perf_counter()
        generate(spark, settings, scale=scale, seed=seed, end_date=DATE)
        log.info("generated %s demo data in %.0f s", scale, time.perf_counter() - started)


def ensure_oneid(spark, settings: Settings, date: dt.date = DATE) -> None:
    from taglake.identity.mapping import completed_runs
    from taglake.pipeline import RunContext

    if date in completed_runs(spark, settings):
        return
    from taglake.identity.job import run_stage

    run_stage(RunContext(spark, settings, date))


class PeakMemory:
    """Samples resident memory (VmRSS) of this Python process and the Spark driver JVM every 0.2 s."""

    def __init__(self, spark):
        self.jvm_pid = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
        self.peak = {"python": 0, "jvm": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak["python"] = max(self.peak["python"], self._rss(os.getpid()))
            self.peak["jvm"] = max(self.peak["jvm"], self._rss(self.jvm_pid))

    def __enter__(self) -> PeakMemory:
        self.peak = {"python": 0, "jvm": 0}
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def megabytes(self) -> float:
        return (self.peak["python"] + self.peak["jvm"]) / 2**20
