"""Percentile buckets: cut points from the population's ranks, recomputed every snapshot
(docs/tagdefs.md "Percentile buckets and ties").

A value's position is its mid-rank (share of the population below it plus half the share equal to
it); its label is the first whose bound is above that position, so equal values share a label.
When that would leave a label empty and the population has at least as many distinct values as
labels, the cuts move by the fewest distinct values that fill every label. A label that stays
empty is reported as a warning.

Work: one pass over the subject's tags builds each bucket's histogram (distinct value -> members);
ranks and running counts come from a window over the histogram (one row per distinct value, not
per subject); the driver reads one row of totals, then the few histogram rows at the cuts.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass

from pyspark.sql import DataFrame

from taglake.compiler.plan import Threshold
from taglake.core.expressions import quote_identifier as q

log = logging.getLogger(__name__)

#: SQL for a cut beyond every value (the remaining labels take nobody past the last one).
NO_CUT = "CAST('Infinity' AS DOUBLE)"
#: SQL for a cut over an empty population: every comparison NULL, every label NULL.
EMPTY = "CAST(NULL AS DOUBLE)"


@dataclass(frozen=True)
class BucketCuts:
    """One percentile bucket of one snapshot: its cut values and how many members each label got."""

    tag: str
    labels: tuple[str, ...]
    placeholders: tuple[str, ...]     # one per cut (labels minus one)
    cuts: tuple[str, ...]             # SQL literal per cut: label i takes values below cut i
    members: tuple[int, ...]          # per label
    distinct: int                     # distinct values in the population

    def empty_labels(self) -> list[str]:
        return [label for label, n in zip(self.labels, self.members) if n == 0]


def cut_counts(nominal: list[int], distinct: int) -> list[int]:
    """For each cut, how many distinct values (lowest first) go to the labels before it. Each cut
    keeps its nominal place unless it must move right to leave the previous label a value, or left
    to leave one for every later label — possible only with at least as many distinct values as
    labels; otherwise the nominal counts stand (and a label stays empty)."""
    labels = len(nominal) + 1
    if distinct < labels:
        return list(nominal)
    out: list[int] = []
    for i, count in enumerate(nominal, start=1):
        out.append(min(max(count, (out[-1] if out else 0) + 1), distinct - (labels - i)))
    return out


def _buckets(thresholds: list[Threshold]) -> list[list[Threshold]]:
    by_tag: dict[str, list[Threshold]] = defaultdict(list)
    for t in thresholds:
        by_tag[t.tag].append(t)
    return [sorted(ts, key=lambda t: t.fraction) for _tag, ts in sorted(by_tag.items())]


def compute(spark, frame: DataFrame, thresholds: list[Threshold]) -> list[BucketCuts]:
    """Cut values of every percentile bucket of one derived step, over the subjects of `frame`."""
    buckets = _buckets(thresholds)
    if not buckets:
        return []
    view = f"__pop_{uuid.uuid4().hex[:10]}"
    frame.createOrReplaceTempView(view)
    arms = []
    for b, ts in enumerate(buckets):
        t = ts[0]
        where = f" AND ({t.where_sql})" if t.where_sql else ""
        arms.append(f"{b}, CASE WHEN {q(t.input)} IS NOT NULL{where} THEN CAST({q(t.input)} AS DOUBLE) END")
    ranked = f"__ranked_{uuid.uuid4().hex[:10]}"
    spark.sql(f"""
        SELECT b, v, c,
               row_number() OVER (PARTITION BY b ORDER BY v) AS idx,
               sum(c) OVER (PARTITION BY b ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
               sum(c) OVER (PARTITION BY b) AS n
        FROM (SELECT b, v, count(1) AS c
              FROM (SELECT stack({len(buckets)}, {', '.join(arms)}) AS (b, v) FROM {view})
              WHERE v IS NOT NULL GROUP BY b, v)""").createOrReplaceTempView(ranked)
    # Mid-rank below the bound: (upto - c + c/2) / n < f, in exact integers on the left.
    totals = [f"count_if(b = {b}) AS m{b}" for b in range(len(buckets))]
    totals += [f"coalesce(max(CASE WHEN b = {b} THEN n END), 0) AS n{b}" for b in range(len(buckets))]
    totals += [f"count_if(b = {b} AND 2 * (upto - c) + c < {2 * t.fraction!r} * n) AS j{b}_{i}"
               for b, ts in enumerate(buckets) for i, t in enumerate(ts)]
    row = spark.sql(f"SELECT {', '.join(totals)} FROM {ranked}").first()
    counts = {b: cut_counts([row[f"j{b}_{i}"] for i in range(len(ts))], row[f"m{b}"]) for b, ts in enumerate(buckets)}
    wanted = [f"(b = {b} AND idx IN ({', '.join(str(i) for j in js for i in (j, j + 1))}))" for b, js in counts.items()]
    at = {(r["b"], r["idx"]): (r["v"], r["upto"])
          for r in spark.sql(f"SELECT b, idx, v, upto FROM {ranked} WHERE {' OR '.join(wanted)}").collect()}
    spark.catalog.dropTempView(ranked)
    spark.catalog.dropTempView(view)

    out = []
    for b, ts in enumerate(buckets):
        m, n, js = row[f"m{b}"], row[f"n{b}"], counts[b]
        cuts = []
        for j in js:
            if n == 0:
                cuts.append(EMPTY)
            elif j >= m:
                cuts.append(NO_CUT)
            else:
                cuts.append(repr(float(at[(b, j + 1)][0])))
        upto = [0] + [at[(b, j)][1] if j > 0 else 0 for j in js] + [n]
        members = tuple(upto[i + 1] - upto[i] for i in range(len(ts) + 1))
        out.append(BucketCuts(ts[0].tag, ts[0].labels, tuple(t.placeholder for t in ts), tuple(cuts), members, m))
    return out
