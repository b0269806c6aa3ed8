"""Families in long form: one row per (subject, dimension values, window bucket), then wide.

Evaluated as one filtered aggregate per tag, every event pays for every tag (measured ~36 ns per
event x tag: 10,000 tags over 20M events ~ 2 hours). Here an event is first reduced to its cell
in the grid: it belongs to one combination of dimension values and one window *bucket* (the
narrowest window containing it), so the long table has at most one row per subject x value x
bucket. Windows are sums over buckets (7 ⊂ 30 ⊂ 90 ...), so each tag column is an aggregate over
only the long rows of its column group, and the long table is partitioned by group: the total work
is O(events + long rows x group size) instead of O(events x tags).

count_distinct stays exact and additive: each distinct value is counted once, in the bucket of its
most recent occurrence, so "distinct in 90 days" = the sum of the buckets inside 90 days.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from taglake.compiler import sqlkit
from taglake.compiler.plan import DAYS_AGO, KEY, SNAPSHOT, TIME, FamilyStep
from taglake.core.expressions import quote_identifier as q

log = logging.getLogger(__name__)

COMBO, GROUP, BUCKET = "__combo", "__group", "__bucket"


@dataclass
class FamilyGroup:
    name: str                 # column group (e.g. f_category_spend_003)
    columns: list[tuple[str, str, str, object]]   # (tag, aggregate SQL over the long rows, type, default)


def buckets(windows: list) -> tuple[list[int], bool]:
    finite = sorted(int(w) for w in windows if w != "all")
    return finite, "all" in windows


def bucket_sql(finite: list[int]) -> str:
    if not finite:
        return "0"
    arms = " ".join(f"WHEN {q(DAYS_AGO)} < {w} THEN {i}" for i, w in enumerate(finite))
    return f"CASE {arms} ELSE {len(finite)} END"


def window_bucket(window, finite: list[int]) -> int:
    return len(finite) if window == "all" else finite.index(int(window))


def long_rows(spark, rows: DataFrame, step: FamilyStep, group_of: dict[str, str]) -> tuple[DataFrame, list[FamilyGroup]]:
    """The family's long table (key, snapshot date, group, combo, bucket, partial aggregates) and,
    per column group, the SQL turning its slice of long rows into tag columns."""
    combos: dict[tuple[str, ...], int] = {}
    for cell in step.cells:
        combos.setdefault(cell.values, len(combos))
    # A combination's cells may straddle two groups: its long rows then go to both.
    pairs = sorted({(combos[c.values], group_of[c.tag]) for c in step.cells})
    dim_names = [f"__d{i}" for i in range(len(step.dimensions))]
    values = {idx: key for key, idx in combos.items()}
    lookup = spark.createDataFrame(
        [(*values[idx], idx, group) for idx, group in pairs],
        ", ".join([*(f"{d} string" for d in dim_names), f"{COMBO} int", f"{GROUP} string"]))

    finite, has_all = buckets(step.windows) if step.family_kind == "stat" else ([], True)
    select = [q(KEY), q(SNAPSHOT), q(DAYS_AGO), q(TIME)]
    select += [f"CAST(({sql}) AS STRING) AS {q(d)}" for (_n, sql, _v), d in zip(step.dimensions, dim_names)]
    select.append(f"{bucket_sql(finite)} AS {q(BUCKET)}")
    metric_cols = []
    for i, (_name, _agg, value_sql, _type) in enumerate(step.metrics):
        if value_sql:
            select.append(f"({value_sql}) AS `__v{i}`")
            metric_cols.append(i)
    view = _temp_view(rows, "family_rows")
    where = [f"{q(d)} IS NOT NULL" for d in dim_names]
    if step.where_sql:
        view = _temp_view(spark.sql(f"SELECT * FROM {view} WHERE {step.where_sql}"), "family_rows")
    if finite and not has_all:
        where.append(f"{q(DAYS_AGO)} < {finite[-1]}")   # older rows are in no window of this family
    events = spark.sql(f"SELECT * FROM (SELECT {', '.join(select)} FROM {view}) WHERE {' AND '.join(where)}")
    # Dimension values -> combination index through a small broadcast table (a hash join, not a
    # CASE with hundreds of branches per row); rows with values outside the grid drop out here.
    events = events.join(F.broadcast(lookup), on=dim_names, how="inner")
    keys = [KEY, SNAPSHOT, GROUP, COMBO, BUCKET]

    if step.family_kind == "recency":
        fn = "max" if step.pick == "last" else "min"
        long = events.groupBy(KEY, SNAPSHOT, GROUP, COMBO).agg(F.expr(f"{fn}({q(TIME)}) AS `__t`"))
        groups = _recency_groups(step, combos, group_of)
        return long, groups

    partial = [F.count(F.lit(1)).alias("__n")]
    for i, (_name, agg, _value, _type) in enumerate(step.metrics):
        if agg in ("sum", "avg"):
            partial.append(F.sum(f"__v{i}").alias(f"__s{i}"))
        if agg == "avg":
            partial.append(F.count(f"__v{i}").alias(f"__c{i}"))
        if agg in ("min", "max"):
            partial.append(getattr(F, agg)(f"__v{i}").alias(f"__{agg}{i}"))
    long = events.groupBy(*keys).agg(*partial)
    for i, (_name, agg, _value, _type) in enumerate(step.metrics):
        if agg != "count_distinct":
            continue
        # Each distinct value counted once, in the bucket of its most recent occurrence.
        distinct = (events.where(F.col(f"__v{i}").isNotNull())
                    .groupBy(KEY, SNAPSHOT, GROUP, COMBO, f"__v{i}").agg(F.min(BUCKET).alias(BUCKET))
                    .groupBy(*keys).agg(F.count(F.lit(1)).alias(f"__dc{i}")))
        long = long.unionByName(distinct, allowMissingColumns=True)
    return long, _stat_groups(step, combos, group_of, finite)


def _cell_filter(combo: int, bucket: int | None) -> str:
    cond = f"{q(COMBO)} = {combo}"
    return cond if bucket is None else f"{cond} AND {q(BUCKET)} <= {bucket}"


def _stat_groups(step: FamilyStep, combos, group_of, finite) -> list[FamilyGroup]:
    metrics = {name: (i, agg, type_) for i, (name, agg, _v, type_) in enumerate(step.metrics)}
    out: dict[str, FamilyGroup] = {}
    for cell in step.cells:
        i, agg, type_ = metrics[cell.metric]
        cond = _cell_filter(combos[cell.values], window_bucket(cell.window, finite))
        if agg == "count":
            sql = f"coalesce(sum(CASE WHEN {cond} THEN `__n` END), 0)"
        elif agg == "count_distinct":
            sql = f"coalesce(sum(CASE WHEN {cond} THEN `__dc{i}` END), 0)"
        elif agg == "sum":
            sql = f"sum(CASE WHEN {cond} THEN `__s{i}` END)"
        elif agg == "avg":
            sql = f"sum(CASE WHEN {cond} THEN `__s{i}` END) / sum(CASE WHEN {cond} THEN `__c{i}` END)"
        else:
            sql = f"{agg}(CASE WHEN {cond} THEN `__{agg}{i}` END)"
        group = group_of[cell.tag]
        default = 0 if agg in ("count", "count_distinct") else None
        out.setdefault(group, FamilyGroup(group, [])).columns.append((cell.tag, sqlkit.cast(sql, type_), type_, default))
    return list(out.values())


def _recency_groups(step: FamilyStep, combos, group_of) -> list[FamilyGroup]:
    out: dict[str, FamilyGroup] = {}
    for cell in step.cells:
        moment = f"max(CASE WHEN {q(COMBO)} = {combos[cell.values]} THEN `__t` END)"
        sql = sqlkit.cast(f"datediff(max({q(SNAPSHOT)}), to_date({moment}))", "int")
        group = group_of[cell.tag]
        out.setdefault(group, FamilyGroup(group, [])).columns.append((cell.tag, sql, "int", None))
    return list(out.values())


def group_frame(spark, long_slice: DataFrame, group: FamilyGroup, population: DataFrame | None) -> DataFrame:
    """One column group's tags: one GROUP BY over the group's slice of the long table — one row per
    subject with data (a sparse group; readers fill in the rest) or, given the `population`, its
    keys joined in with the defaults (0 for counts) for subjects without rows (a dense group).
    Measured on the small demo (165k subjects, 250 columns, 50k long rows): the GROUP BY + join
    1.5 s, against 4.0 s when the population's keys go through the 250 aggregates as empty rows."""
    view = _temp_view(long_slice, "family_long")
    cols = ", ".join(f"{sql} AS {q(tag)}" for tag, sql, _t, _d in group.columns)
    wide = spark.sql(f"SELECT {q(KEY)}, {cols} FROM {view} GROUP BY {q(KEY)}")
    if population is None:
        return wide
    out = [F.col(KEY)]
    for tag, _sql, type_, default in group.columns:
        value = F.col(tag) if default is None else F.coalesce(F.col(tag), F.lit(default).cast(type_))
        out.append(value.alias(tag))
    return population.select(KEY).join(wide, on=KEY, how="left").select(*out)


def _temp_view(df: DataFrame, prefix: str) -> str:
    name = f"__{prefix}_{uuid.uuid4().hex[:10]}"
    df.createOrReplaceTempView(name)
    return name
