"""Executors for the compiled steps other than families. Each takes resolved rows (or the
subject's current tag frame) and returns a DataFrame keyed by `__key`; SQL text goes to Spark in
one call per step (no per-column Py4J round trips, no withColumn chains)."""

from __future__ import annotations

import logging
import uuid

from pyspark.sql import DataFrame

from taglake.compiler import sqlkit
from taglake.compiler.builders.cross import RELATED_PREFIX
from taglake.compiler.plan import (
    DIM,
    DIM_ID,
    KEY,
    RELATED,
    SNAPSHOT,
    AggregateStep,
    CrossAggregateStep,
    CrossLookupStep,
    DerivedStep,
    PreferenceStep,
)
from taglake.compute import percentiles
from taglake.compute.percentiles import BucketCuts
from taglake.core.expressions import quote_identifier as q
from taglake.core.expressions import quote_literal

log = logging.getLogger(__name__)


def temp_view(df: DataFrame, prefix: str) -> str:
    name = f"__{prefix}_{uuid.uuid4().hex[:10]}"
    df.createOrReplaceTempView(name)
    return name


def aggregate(spark, rows: DataFrame, step: AggregateStep) -> DataFrame:
    view = temp_view(rows, "rows")
    cols = ", ".join(f"{o.sql} AS {q(o.name)}" for o in step.outputs)
    # The snapshot date is constant; grouping by it lets recency tags use it next to aggregates.
    return spark.sql(f"SELECT {q(KEY)}, {cols} FROM {view} GROUP BY {q(KEY)}, {q(SNAPSHOT)}")


def preference(spark, rows: DataFrame, step: PreferenceStep) -> DataFrame:
    view = temp_view(rows, "rows")
    # One row per (source row, dimension): stack(n, 0, dim0, 1, dim1, ...) AS (DIM_ID, DIM).
    pairs = ", ".join(f"{i}, CAST(({sql}) AS STRING)" for i, sql in enumerate(step.dimensions))
    expanded = temp_view(spark.sql(
        f"SELECT * FROM (SELECT *, stack({len(step.dimensions)}, {pairs}) AS ({q(DIM_ID)}, {q(DIM)}) FROM {view}) "
        f"WHERE {q(DIM)} IS NOT NULL"), "pref_rows")
    measures = ", ".join(f"{sql} AS {q(alias)}" for alias, sql in step.measures)
    phase1 = spark.sql(
        f"SELECT {q(KEY)}, {q(DIM_ID)}, {q(DIM)}, {measures} FROM {expanded} GROUP BY {q(KEY)}, {q(SNAPSHOT)}, {q(DIM_ID)}, {q(DIM)}")
    p1 = temp_view(phase1, "pref")
    picks = ", ".join(f"{o.sql} AS {q(o.name)}" for o in step.outputs)
    return spark.sql(f"SELECT {q(KEY)}, {picks} FROM {p1} GROUP BY {q(KEY)}")


def derived(spark, frame: DataFrame, step: DerivedStep, keep: list[str]) -> tuple[DataFrame, list[BucketCuts]]:
    """`keep` columns of `frame` plus the step's outputs, in one select; percentile buckets' cuts
    are computed from `frame` first (and returned: how many members each label got)."""
    cuts = percentiles.compute(spark, frame, step.thresholds)
    bound = {placeholder: sql for c in cuts for placeholder, sql in zip(c.placeholders, c.cuts)}
    view = temp_view(frame, "tags")
    outputs = []
    for o in step.outputs:
        sql = o.sql
        for placeholder, value in bound.items():
            sql = sql.replace("{" + placeholder + "}", value)
        outputs.append(f"{sql} AS {q(o.name)}")
    kept = ", ".join(q(c) for c in keep)
    return spark.sql(f"SELECT {kept}, {', '.join(outputs)} FROM {view}"), cuts


def cross_lookup(spark, frame: DataFrame, step: CrossLookupStep, related: DataFrame, keep: list[str]) -> DataFrame:
    """`related` has the related subject's key as `__key` and its tags; join through the key tag."""
    rel = related.select(related[KEY].alias(RELATED), *[related[c].alias(RELATED_PREFIX + c) for c in related.columns if c != KEY])
    left, right = temp_view(frame, "tags"), temp_view(rel, "related")
    kept = ", ".join(f"l.{q(c)}" for c in keep)
    outputs = ", ".join(f"{o.sql} AS {q(o.name)}" for o in step.outputs)
    return spark.sql(f"SELECT {kept}, {outputs} FROM {left} l LEFT JOIN {right} r ON l.{q(step.key_tag)} = r.{q(RELATED)}")


def cross_aggregate(spark, pairs_rows: DataFrame, step: CrossAggregateStep, related: DataFrame) -> DataFrame:
    """Distinct (subject, related subject) pairs within the window, each related subject once."""
    condition = sqlkit.all_of(sqlkit.window_condition(step.window), step.where_sql)
    rows = temp_view(pairs_rows, "pairs")
    pairs = spark.sql(f"SELECT DISTINCT {q(KEY)}, {q(RELATED)} FROM {rows}" + (f" WHERE {condition}" if condition else ""))
    rel = related.select(related[KEY].alias(RELATED), *[related[c].alias(RELATED_PREFIX + c) for c in related.columns if c != KEY])
    joined = temp_view(pairs.join(rel, on=RELATED, how="left"), "pairs_tags")
    outputs = ", ".join(f"{o.sql} AS {q(o.name)}" for o in step.outputs)
    return spark.sql(f"SELECT {q(KEY)}, {outputs} FROM {joined} GROUP BY {q(KEY)}")


def with_defaults(frame: DataFrame, parts: list[DataFrame], outputs: list, keep: list[str] | None = None) -> DataFrame:
    """`frame` (the population, or the current tags) left-joined with step results; outputs with a
    default (count-like tags: 0) get it where a subject had no rows. `keep` columns are carried."""
    joined = frame
    for part in parts:
        joined = joined.join(part, on=KEY, how="left")
    view = temp_view(joined, "core")
    cols = [q(c) for c in (keep or [KEY])]
    for o in outputs:
        if o.default is not None:
            cols.append(f"CAST(coalesce({q(o.name)}, {quote_literal(o.default)}) AS {o.type.upper()}) AS {q(o.name)}")
        else:
            cols.append(q(o.name))
    return frame.sparkSession.sql(f"SELECT {', '.join(cols)} FROM {view}")
