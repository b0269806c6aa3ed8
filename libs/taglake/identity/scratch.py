"""Run-scoped intermediate results on reliable storage (under settings.checkpoint_dir).

Iterative graph work must cut lineage, or each round re-plans (and on failure recomputes) every
round before it. `Dataset.checkpoint` writes Java-serialised rows and, unless the data is cached,
computes it twice (once to count, once to save). Writing Parquet to the checkpoint folder and
reading it back computes once, stores columnar and compressed, and survives executor loss the
same way.
"""

from __future__ import annotations

import logging
import uuid

from pyspark.sql import DataFrame, SparkSession

from taglake.errors import EnvironmentProblem

log = logging.getLogger(__name__)


class Scratch:
    """A folder of materialised DataFrames for one run; `close()` deletes it."""

    def __init__(self, spark: SparkSession, label: str = "oneid"):
        base = spark.sparkContext.getCheckpointDir()
        if not base:
            raise EnvironmentProblem(
                "no Spark checkpoint directory is set; set checkpoint_dir in the conf YAML "
                "(the session factory applies it) so iterative OneID rounds can cut lineage")
        self.spark = spark
        self.root = f"{base.rstrip('/')}/{label}-{uuid.uuid4().hex[:12]}"
        self._count = 0

    def save(self, df: DataFrame, name: str) -> DataFrame:
        """Compute `df` once, store it, and return a DataFrame reading the stored copy."""
        self._count += 1
        path = f"{self.root}/{self._count:03d}-{name}"
        df.write.mode("overwrite").parquet(path)
        return self.spark.read.parquet(path)

    def close(self) -> None:
        jvm = self.spark.sparkContext._jvm
        path = jvm.org.apache.hadoop.fs.Path(self.root)
        try:
            path.getFileSystem(self.spark.sparkContext._jsc.hadoopConfiguration()).delete(path, True)
        except Exception as exc:  # leftover scratch is harmless; never fail a finished run for it
            log.warning("could not delete scratch folder %s: %s", self.root, exc)

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
