"""Carry OneIDs from one run to the next.

Rules, applied to today's components and the previous run's mapping (joined on identifier):

* An old OneID goes to the component holding most of its identifiers (a split: the largest part
  keeps it; ties go to the component with the smaller anchor).
* A component given several old OneIDs (a merge) keeps the oldest — the one whose identifiers were
  first seen earliest, then the smaller id — and the others are recorded as merged into it.
* Every other component gets a new OneID derived from its anchor, the identifier seen first (ties:
  type, then value): "o" + 20 hex digits of SHA-256(type, value). The same component therefore
  gets the same new id on a re-run or a rebuild. A clash with another id in use (about 1 in 10^15
  at 10^8 persons) is resolved deterministically by re-hashing with a counter.

Changes are reported as `new` (no old identifiers), `merged` (old id → survivor), `split` (a
minority part of an old id → the id of the component it is in now) and `retired` (an old id none
of whose identifiers is still mapped).
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from taglake.errors import DataError

log = logging.getLogger(__name__)

ID_PREFIX = "o"
ID_HEX = 20
MAX_SALT = 8
CHANGE_SCHEMA = "change string, old_oneid string, new_oneid string, identifiers long"


def new_oneid(id_type, id_value, salt=None):
    """Spark Column: the OneID a component anchored at (id_type, id_value) gets when it is new."""
    parts = [id_type, F.lit("\x1f"), id_value]
    if salt is not None:
        parts += [F.lit("\x1f#"), salt.cast("string")]
    return F.concat(F.lit(ID_PREFIX), F.substring(F.sha2(F.concat(*parts), 256), 1, ID_HEX))


def assign(spark: SparkSession, current: DataFrame, previous: DataFrame | None) -> tuple[DataFrame, DataFrame]:
    """OneIDs for today's components.

    current:  one row per identifier: id_type, id_value, root (component), first_seen, prev_oneid
              (yesterday's OneID of this identifier or NULL), prev_born (that OneID's age key).
    previous: yesterday's OneIDs: oneid, born (earliest first_seen of its identifiers), or None.
    Returns (root → oneid, changes).
    """
    anchor_key = F.struct(F.col("first_seen"), F.col("id_type"), F.col("id_value"))
    components = current.groupBy("root").agg(F.min(anchor_key).alias("anchor"), F.count(F.lit(1)).alias("size"))

    overlap = (current.where(F.col("prev_oneid").isNotNull())
               .groupBy("root", "prev_oneid").agg(F.count(F.lit(1)).alias("n"), F.first("prev_born").alias("born"))
               .join(components.select("root", "anchor"), "root"))
    # Each old id to its largest part.
    by_size = Window.partitionBy("prev_oneid").orderBy(F.col("n").desc(), F.col("anchor"))
    overlap = overlap.select("*", F.row_number().over(by_size).alias("rank"))
    won = overlap.where(F.col("rank") == 1)
    # Each component keeps the oldest id it won.
    by_age = Window.partitionBy("root").orderBy(F.col("born"), F.col("prev_oneid"))
    won = won.select("*", F.row_number().over(by_age).alias("age_rank"))
    survivors = won.where(F.col("age_rank") == 1).select("root", F.col("prev_oneid").alias("oneid"))

    fresh = (components.join(survivors, "root", "left_anti")
             .select("root", "anchor", new_oneid(F.col("anchor.id_type"), F.col("anchor.id_value")).alias("oneid")))
    assigned = _resolve_clashes(spark, survivors, fresh)

    merged = (won.where(F.col("age_rank") > 1).join(assigned, "root")
              .select(F.lit("merged").alias("change"), F.col("prev_oneid").alias("old_oneid"),
                      F.col("oneid").alias("new_oneid"), F.col("n").alias("identifiers")))
    split = (overlap.where(F.col("rank") > 1).join(assigned, "root")
             .select(F.lit("split").alias("change"), F.col("prev_oneid").alias("old_oneid"),
                     F.col("oneid").alias("new_oneid"), F.col("n").alias("identifiers")))
    touched = overlap.select("root").distinct()
    new = (components.join(touched, "root", "left_anti").join(assigned, "root")
           .select(F.lit("new").alias("change"), F.lit(None).cast("string").alias("old_oneid"),
                   F.col("oneid").alias("new_oneid"), F.col("size").alias("identifiers")))
    changes = merged.unionByName(split).unionByName(new)
    if previous is not None:
        retired = (previous.join(overlap.select("prev_oneid").distinct(),
                                 previous["oneid"] == F.col("prev_oneid"), "left_anti")
                   .select(F.lit("retired").alias("change"), F.col("oneid").alias("old_oneid"),
                           F.lit(None).cast("string").alias("new_oneid"), F.col("size").alias("identifiers")))
        changes = changes.unionByName(retired)
    return assigned, changes


def _resolve_clashes(spark: SparkSession, survivors: DataFrame, fresh: DataFrame) -> DataFrame:
    """root → oneid with every id unique; a new id that clashes is re-hashed with a counter."""
    assigned = survivors.select("root", "oneid", F.lit(True).alias("kept"), F.lit(None).cast(
        "struct<first_seen:date,id_type:string,id_value:string>").alias("anchor")).unionByName(
        fresh.select("root", "oneid", F.lit(False).alias("kept"), "anchor"))
    for salt in range(1, MAX_SALT + 1):
        # Within a clash a kept (old) id wins, then the smaller anchor.
        order = Window.partitionBy("oneid").orderBy(F.col("kept").desc(), F.col("anchor"))
        ranked = assigned.select("*", F.row_number().over(order).alias("clash_rank"))
        losers = ranked.where(F.col("clash_rank") > 1).select("root").collect()
        if not losers:
            return assigned.select("root", "oneid")
        log.warning("%d new OneID(s) clash with ids in use; re-deriving them (attempt %d)", len(losers), salt)
        roots = spark.createDataFrame([(r["root"],) for r in losers], "root long")
        flagged = ranked.join(F.broadcast(roots.select("root", F.lit(True).alias("clash"))), "root", "left")
        assigned = flagged.select(
            "root", "kept", "anchor",
            F.when(F.col("clash"), new_oneid(F.col("anchor.id_type"), F.col("anchor.id_value"), F.lit(salt)))
            .otherwise(F.col("oneid")).alias("oneid"))
    raise DataError(f"OneID clashes persisted after {MAX_SALT} re-derivations; the id scheme is broken")
