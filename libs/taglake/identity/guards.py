"""Guards against giant components: degree caps per identifier-type pair and the size policy.

Blocklists are applied where values are classified (normalize.classify); this module handles what
can only be seen in the graph:

* Degree caps: a `node`-type identifier linked to more than `max` distinct `neighbour`-type
  identifiers (a shop-counter phone on thousands of member records, a family tablet) loses all its
  links and stays a OneID of its own. Losing only the over-cap pair would still let it glue people
  together through its other links.
* Component size: a component larger than `max_component_size` is isolated (each identifier its
  own OneID), kept whole, or fails the run, as configured; each one is audited with its largest
  hubs so the missing cap or blocklist entry is easy to find.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from taglake.errors import DataError
from taglake.identity.config import IdentityConfig

log = logging.getLogger(__name__)


def degrees(links: DataFrame) -> DataFrame:
    """(id, id_type, neighbour_type, degree): distinct neighbours of each type (links are distinct)."""
    both = links.select(F.col("src").alias("id"), F.col("src_type").alias("id_type"),
                        F.col("dst_type").alias("neighbour_type")).unionByName(
        links.select(F.col("dst").alias("id"), F.col("dst_type").alias("id_type"),
                     F.col("src_type").alias("neighbour_type")))
    return both.groupBy("id", "id_type", "neighbour_type").agg(F.count(F.lit(1)).alias("degree"))


def over_caps(spark: SparkSession, node_degrees: DataFrame, config: IdentityConfig) -> DataFrame:
    """(id, id_type, neighbour_type, degree, cap) for every node over one of its type's caps."""
    caps = config.guards.caps
    if not caps:
        return spark.createDataFrame([], "id long, id_type string, neighbour_type string, degree long, cap long")
    table = spark.createDataFrame([(c.node, c.neighbour, c.max) for c in caps],
                                  "id_type string, neighbour_type string, cap long")
    return (node_degrees.join(F.broadcast(table), ["id_type", "neighbour_type"])
            .where(F.col("degree") > F.col("cap"))
            .select("id", "id_type", "neighbour_type", "degree", "cap"))


def drop_capped(links: DataFrame, capped: DataFrame) -> DataFrame:
    ids = capped.select("id").distinct()
    return (links.join(ids.select(F.col("id").alias("src")), "src", "left_anti")
            .join(ids.select(F.col("id").alias("dst")), "dst", "left_anti"))


def apply_size_policy(config: IdentityConfig, components: DataFrame, sizes: DataFrame) -> tuple[DataFrame, DataFrame, int]:
    """Return (components with the policy applied, members of oversize components: id, member_of,
    size; their number).

    `components` is (id, root); `sizes` is (root, size). Oversize components are collected to the
    driver (there are few, or the run fails anyway)."""
    guard = config.guards
    big = sizes.where(F.col("size") > guard.max_component_size).collect()
    oversize = components.sparkSession.createDataFrame([(r["root"], r["size"]) for r in big], "member_of long, size long")
    members = components.join(F.broadcast(oversize), components["root"] == oversize["member_of"]).select("id", "member_of", "size")
    if not big:
        return components, members, 0
    largest = max(r["size"] for r in big)
    if guard.on_oversize == "fail":
        raise DataError(
            f"{len(big)} component(s) exceed max_component_size {guard.max_component_size} "
            f"(largest: {largest:,} identifiers); add a blocklist entry or degree cap in {config.origin}, "
            "or set guards.on_oversize to isolate or keep")
    log.warning("%d component(s) above max_component_size %d (policy %s); largest %s identifiers",
                len(big), guard.max_component_size, guard.on_oversize, f"{largest:,}")
    if guard.on_oversize == "isolate":
        components = (components.join(F.broadcast(oversize.select("member_of")), components["root"] == F.col("member_of"), "left")
                      .select("id", F.when(F.col("member_of").isNotNull(), F.col("id")).otherwise(F.col("root")).alias("root")))
    return components, members, len(big)
