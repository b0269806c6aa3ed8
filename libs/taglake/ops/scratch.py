"""Each run's scratch on storage, in one folder per run: `<checkpoint_dir>/runs/<run_id>`.

Spark's checkpoints (the tags stage's lineage cuts), OneID's stored rounds (identity/scratch.py
under Spark's checkpoint directory) and the tags stage's long-form family tables all go there
while the run holds its date; the folder is deleted when the run ends, however it ends. A run
killed before it could delete its own folder is swept by a later run, as soon as the ledger no
longer lists it as running (a dead holder is released when the next run for its date starts, or by
`--force-unlock`). Uncommitted files a killed Delta write left in a table folder are not scratch:
no commit references them, so readers never see them, and the nightly VACUUM of retention removes
them once they are older than Delta's retention period.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from taglake.settings import Settings

log = logging.getLogger(__name__)

RUNS_FOLDER = "runs"


def run_folder(settings: Settings, run_id: str) -> str:
    return f"{settings.path(settings.checkpoint_dir)}/{RUNS_FOLDER}/{run_id}"


def _fs(spark, path: str):
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path, hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def leftover_runs(spark, settings: Settings) -> list[str]:
    """Run ids that have a scratch folder."""
    root, fs = _fs(spark, f"{settings.path(settings.checkpoint_dir)}/{RUNS_FOLDER}")
    return sorted(status.getPath().getName() for status in fs.listStatus(root)) if fs.exists(root) else []


def sweep(spark, settings: Settings, live: Iterable[str]) -> list[str]:
    """Delete the scratch folders of runs not in `live`; returns their run ids."""
    keep = set(live)
    swept = [run_id for run_id in leftover_runs(spark, settings) if run_id not in keep]
    for run_id in swept:
        delete(spark, run_folder(settings, run_id))
    if swept:
        log.info("deleted the scratch of %d run(s) that ended without deleting it: %s", len(swept), ", ".join(swept))
    return swept


@contextmanager
def run_scratch(spark, settings: Settings, run_id: str) -> Iterator[str]:
    """Point Spark's checkpoint directory at the run's folder for the run; delete it afterwards."""
    folder = run_folder(settings, run_id)
    context = spark.sparkContext._jsc.sc()
    previous = context.getCheckpointDir()            # restored as it was: setCheckpointDir would add a folder
    spark.sparkContext.setCheckpointDir(folder)
    try:
        yield folder
    finally:
        delete(spark, folder)
        getattr(context, "checkpointDir_$eq")(previous)


def delete(spark, path: str) -> None:
    """Delete a scratch folder; a failure is logged, never raised (a later run sweeps it)."""
    try:
        hadoop_path, fs = _fs(spark, path)
        fs.delete(hadoop_path, True)
    except Exception as exc:  # noqa: BLE001 - leftover scratch is swept later; never fail a run for it
        log.warning("could not delete scratch folder %s: %s", path, exc)
