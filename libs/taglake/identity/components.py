"""Connected components on Spark by local contraction, finished on the driver when small.

Each round:
  1. every link goes to the partitions of both its ends (hash of the node id), so a partition
     holds the complete neighbourhood of the nodes it owns;
  2. inside each partition (mapInArrow, on the executors) scipy labels the local components and
     names each by its smallest node id: the partition's "root" for every node it saw;
  3. grouped by node: the node's label is the smallest root any partition gave it; the other roots
     it was given are links still to be merged ("root links"), the next round's graph.
A component whose nodes all sit within one hop of a node is finished in the first round; the
graph of root links is typically a small fraction of the input. Once it has at most
`driver_threshold` links it is collected and finished in one step with scipy; labels of all
rounds are then composed by joins. The same code scales out: only the last, small graph ever
reaches the driver.

Every round strictly shrinks each unfinished component (its largest node is never a root), so the
loop terminates; chains halve roughly every round (O(log n) rounds). Results depend only on the
links, not on partitioning: a component is named by its smallest node id. Each round is one Spark
job (two shuffles, two Arrow passes) whose result is written as Parquet under the reliable
checkpoint dir (see scratch.py), so lineage never grows with the round count.

Measured against the textbook large-star/small-star on DataFrames and scipy in benchmarks/oneid.py.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from taglake.identity.scratch import Scratch
from taglake.progress import step

log = logging.getLogger(__name__)

LOCAL_SCHEMA = "node long, root long"
ROUND_SCHEMA = "kind tinyint, x long, y long"
LABEL, LINK = 0, 1
_OUTPUT_BATCH = 1 << 20
#: Directed links per partition in a round (~0.5 GB of numpy arrays in one Python worker).
MAX_LINKS_PER_PARTITION = 20_000_000
#: Driver results up to this many rows are broadcast into the label joins.
BROADCAST_ROWS = 2_000_000


@dataclass
class ComponentStats:
    input_links: int = 0
    rounds: int = 0
    driver_links: int = 0
    seconds: float = 0.0
    per_round: list[dict[str, Any]] = field(default_factory=list)


def _read_pairs(batches: Iterator[Any]) -> tuple[Any, Any] | None:
    import numpy as np

    left, right = [], []
    for batch in batches:
        left.append(batch.column(0).to_numpy(zero_copy_only=False))
        right.append(batch.column(1).to_numpy(zero_copy_only=False))
    if not left or sum(part.size for part in left) == 0:
        return None
    return np.concatenate(left), np.concatenate(right)


def _batches(columns: dict[str, Any]) -> Iterator[Any]:
    import pyarrow as pa

    size = len(next(iter(columns.values())))
    for start in range(0, size, _OUTPUT_BATCH):
        yield pa.RecordBatch.from_arrays([pa.array(v[start:start + _OUTPUT_BATCH]) for v in columns.values()],
                                         names=list(columns))


def _local_roots(batches: Iterator[Any]) -> Iterator[Any]:
    """Executor side, per partition: links (a, b) → (node, smallest id of its local component)."""
    pairs = _read_pairs(batches)
    if pairs is None:
        return
    nodes, root = solve(*pairs)
    yield from _batches({"node": nodes, "root": root})


def _merge_roots(batches: Iterator[Any]) -> Iterator[Any]:
    """Executor side, per partition of nodes: every root a node was given → the node's label (the
    smallest) and the links label—other root that the next round must still merge."""
    import numpy as np

    pairs = _read_pairs(batches)
    if pairs is None:
        return
    node, root = pairs
    order = np.lexsort((root, node))
    node, root = node[order], root[order]
    first = np.flatnonzero(np.r_[True, node[1:] != node[:-1]])
    label = root[first]  # sorted by root within a node: the first is the smallest
    mine = np.repeat(label, np.diff(np.r_[first, node.size]))
    keep = root != mine
    src, dst = mine[keep], root[keep]
    if src.size:
        order = np.lexsort((dst, src))
        src, dst = src[order], dst[order]
        fresh = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])]
        src, dst = src[fresh], dst[fresh]
    kind = np.r_[np.full(first.size, LABEL, dtype=np.int8), np.full(src.size, LINK, dtype=np.int8)]
    yield from _batches({"kind": kind, "x": np.r_[node[first], src], "y": np.r_[label, dst]})


def solve(a: Any, b: Any) -> tuple[Any, Any]:
    """In-memory components of the links a[i]—b[i] (int64 arrays): (sorted distinct nodes, root of
    each), the root being the component's smallest node id."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    m = a.size
    nodes, index = np.unique(np.concatenate([a, b]), return_inverse=True)
    n = nodes.size
    graph = csr_matrix((np.ones(m, dtype=np.int32), (index[:m], index[m:])), shape=(n, n))
    _, label = connected_components(graph, directed=True, connection="weak")
    # `nodes` is sorted, so the first position of each label holds the component's smallest id.
    _, first = np.unique(label, return_index=True)
    return nodes, nodes[first][label]


def _finish_on_driver(spark: SparkSession, links: DataFrame) -> tuple[DataFrame, int]:
    import pyarrow as pa

    table = links.select("src", "dst").toArrow()
    if table.num_rows == 0:
        return spark.createDataFrame([], "node long, final long"), 0
    nodes, root = solve(table.column("src").to_numpy(), table.column("dst").to_numpy())
    changed = nodes != root
    result = pa.table({"node": pa.array(nodes[changed]), "final": pa.array(root[changed])})
    return spark.createDataFrame(result), int(changed.sum())


def connected_components(
    spark: SparkSession,
    links: DataFrame,
    *,
    partitions: int | None = None,
    driver_threshold: int = 2_000_000,
    max_rounds: int = 40,
    scratch: Scratch | None = None,
    name: str = "components",
    link_count: int | None = None,
) -> tuple[DataFrame, ComponentStats]:
    """Label every node that appears in `links` (columns src, dst: bigint) with its component root.

    Returns (DataFrame(id, root), stats); root is the smallest node id of the component. Self-loops,
    duplicate and reversed links are fine; nodes without links are not in the result (the caller
    keeps isolated nodes as their own component). `link_count`, when the caller knows it, saves a
    counting job (it only steers the driver-or-rounds decision). Intermediate rounds are stored in `scratch`
    (by default a new folder under the checkpoint dir, which the caller may delete after use).
    """
    started = time.perf_counter()
    stats = ComponentStats()
    scratch = scratch or Scratch(spark, "components")
    current = (links.where(F.col("src").isNotNull() & F.col("dst").isNotNull() & (F.col("src") != F.col("dst")))
               .select(F.col("src").cast("long").alias("src"), F.col("dst").cast("long").alias("dst")))
    remaining = stats.input_links = current.count() if link_count is None else link_count
    rounds: list[DataFrame] = []  # per round: (node, label), label = smallest root the node got
    # Few, large partitions contract best (a partition sees more of each neighbourhood): one per
    # core, more only to keep a partition's arrays within a worker's memory.
    partitions = partitions or max(spark.sparkContext.defaultParallelism,
                                   math.ceil(2 * remaining / MAX_LINKS_PER_PARTITION))

    while remaining > driver_threshold:
        if stats.rounds >= max_rounds:
            log.warning("%s: %d links left after %d rounds; finishing them on the driver", name, remaining, stats.rounds)
            break
        stats.rounds += 1
        with step(f"{name}: round {stats.rounds}", log, links=remaining) as current_step:
            both = current.select(F.col("src").alias("a"), F.col("dst").alias("b")).union(
                current.select(F.col("dst").alias("a"), F.col("src").alias("b")))
            merged = (both.repartition(partitions, "a").mapInArrow(_local_roots, LOCAL_SCHEMA)
                      .repartition(partitions, "node").mapInArrow(_merge_roots, ROUND_SCHEMA))
            stored = scratch.save(merged, f"{name}-round{stats.rounds}")
            rounds.append(stored.where(F.col("kind") == LABEL).select(F.col("x").alias("node"), F.col("y").alias("label")))
            current = stored.where(F.col("kind") == LINK).select(F.col("x").alias("src"), F.col("y").alias("dst"))
            remaining = current.count()
            current_step.count(links_left=remaining, elapsed=round(time.perf_counter() - started, 1))
            stats.per_round.append({"round": stats.rounds, "links_left": remaining,
                                    "seconds": round(current_step.elapsed, 2)})

    stats.driver_links = remaining
    with step(f"{name}: finish {remaining:,} links on the driver", log):
        # node → final root, only for nodes whose root is not themselves.
        final, changed = _finish_on_driver(spark, current)

    # Compose backwards: the last round's labels resolve through the driver's result, each earlier
    # round's labels through the round after it. Round 1 labels every node; without rounds only
    # the driver's result exists and unchanged nodes keep their own id.
    if rounds:
        resolved = F.broadcast(final) if changed <= BROADCAST_ROWS else final
        for labels in reversed(rounds):
            resolved = (labels.join(resolved, labels["label"] == resolved["node"], "left")
                        .select(labels["node"], F.coalesce(resolved["final"], labels["label"]).alias("final")))
        result = resolved.select(F.col("node").alias("id"), F.col("final").alias("root"))
    else:
        nodes = (current.select(F.col("src").alias("id")).union(current.select(F.col("dst").alias("id")))
                 .distinct())
        final = F.broadcast(final) if changed <= BROADCAST_ROWS else final
        result = (nodes.join(final, nodes["id"] == final["node"], "left")
                  .select(nodes["id"], F.coalesce(final["final"], nodes["id"]).alias("root")))
    result = scratch.save(result, f"{name}-result")
    stats.seconds = time.perf_counter() - started
    return result, stats
