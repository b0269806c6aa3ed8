"""Pairwise precision and recall of a OneID mapping against a ground truth.

Over the identifiers present in both: precision = pairs put in one OneID that truly are one
person / pairs put in one OneID; recall = true same-person pairs that share a OneID / all true
same-person pairs. Computed from counts per (oneid, person) cell, so it costs one aggregation.

    .venv/bin/python -m taglake.identity.quality --conf ENV --date D   # against src_identity_truth
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


@dataclass(frozen=True)
class PairScores:
    identifiers: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def __str__(self) -> str:
        return (f"precision {self.precision:.4f} · recall {self.recall:.4f} over {self.identifiers:,} identifiers "
                f"({self.correct_pairs:,} correct of {self.predicted_pairs:,} predicted pairs, {self.true_pairs:,} true)")


def pairwise_scores(mapping: DataFrame, truth: DataFrame) -> PairScores:
    """mapping: (id_type, id_value, oneid); truth: (id_type, id_value, person_id)."""
    def pairs(column):
        return F.coalesce(F.sum(column * (column - 1) / 2), F.lit(0)).cast("long")

    joined = mapping.select("id_type", "id_value", "oneid").join(
        truth.select("id_type", "id_value", "person_id"), ["id_type", "id_value"])
    cells = joined.groupBy("oneid", "person_id").agg(F.count(F.lit(1)).alias("n"))
    by_oneid = cells.groupBy("oneid").agg(F.sum("n").alias("n"))
    by_person = cells.groupBy("person_id").agg(F.sum("n").alias("n"))
    correct = cells.agg(pairs(F.col("n")).alias("c"), F.sum("n").alias("ids")).first()
    predicted = by_oneid.agg(pairs(F.col("n")).alias("p")).first()["p"]
    true = by_person.agg(pairs(F.col("n")).alias("t")).first()["t"]
    return PairScores(int(correct["ids"] or 0), int(predicted), int(true), int(correct["c"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m taglake.identity.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--conf", default=None)
    parser.add_argument("--date", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--truth", default="src_identity_truth")
    args = parser.parse_args(argv)

    from taglake.identity.mapping import mapping_as_of
    from taglake.runtime import build_session
    from taglake.settings import load_settings

    settings = load_settings(args.conf)
    spark = build_session(settings)
    print(pairwise_scores(mapping_as_of(spark, settings, args.date), spark.table(settings.table(args.truth))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
