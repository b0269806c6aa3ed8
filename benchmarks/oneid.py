"""OneID connected components: taglake vs the textbook large-star/small-star vs scipy, one graph.

    .venv/bin/python -m benchmarks.oneid                      # 10M identifiers, ~10M links
    .venv/bin/python -m benchmarks.oneid --nodes 2000000      # quicker
    .venv/bin/python -m benchmarks.oneid --skip textbook      # without the slow baseline

The synthetic identity graph: mostly small persons (1–8 identifiers, random trees plus repeated and
extra links), a few large components (random trees of 50k–200k), a 100k-leaf star (a counter
phone) and long chains (100k links each). Node ids are random 64-bit integers, like hashed
identifiers. Every method runs on the same Parquet file in the same process; all partitions must
agree (each component is named by its smallest id). Peak memory is sampled every 0.2 s: the
Python driver's RSS and, separately, the JVM with its Python workers.

GraphFrames is not compared: its JVM jar (io.graphframes:graphframes-spark4_2.13) is not served
by this machine's Maven mirror (404 for every version), and graphframes-py ships no jar. The
benchmark checks once more at start-up and says so in its output.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

GRAPHFRAMES_POM = ("https://repo1.maven.org/maven2/io/graphframes/graphframes-spark4_2.13/"
                   "{v}/graphframes-spark4_2.13-{v}.pom")
GRAPHFRAMES_VERSIONS = ("0.12.0", "0.11.0", "0.10.1")


# ----------------------------------------------------------------------------- the graph

def build_graph(nodes: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Links (src, dst) over `nodes` random 64-bit ids: returns the two arrays and a description."""
    rng = np.random.default_rng(seed)
    # The large shapes are sized for 10M identifiers and shrink with smaller graphs.
    scale = min(1.0, nodes / 10_000_000)
    big = [max(2, int(n * scale)) for n in (200_000, 100_000, 50_000, 50_000)]
    star, chains = max(2, int(100_000 * scale)), [max(2, int(n * scale)) for n in (100_000, 100_000, 50_000)]
    special = sum(big) + star + sum(chains)
    # Person sizes 1..8, skewed small (most people have a phone, a member id and a device or two).
    sizes = rng.choice(np.arange(1, 9), size=nodes, p=[.12, .22, .22, .16, .11, .08, .05, .04])
    sizes = sizes[np.cumsum(sizes) <= nodes - special]
    sizes = np.concatenate([sizes, np.ones(nodes - special - int(sizes.sum()), dtype=sizes.dtype),
                            np.array(big + [star] + chains)])
    kinds = np.zeros(sizes.size, dtype=np.int8)  # 0 random tree, 1 star, 2 chain
    kinds[-len(chains):] = 2
    kinds[-len(chains) - 1] = 1
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    component = np.repeat(np.arange(sizes.size), sizes)
    position = np.arange(nodes) - starts[component]
    child = np.flatnonzero(position > 0)
    pos = position[child]
    kind = kinds[component[child]]
    parent_pos = np.where(kind == 2, pos - 1,
                          np.where(kind == 1, 0, (rng.random(child.size) * pos).astype(np.int64)))
    src = child
    dst = starts[component[child]] + parent_pos
    # Extra links inside random-tree persons (a second login, a repeated order): a cycle or a
    # duplicate, and self-loops — together ~10M links for 10M identifiers.
    extra_n = nodes - src.size
    pick = rng.choice(child[kind == 0], size=extra_n)
    comp = component[pick]
    other = starts[comp] + (rng.random(extra_n) * sizes[comp]).astype(np.int64)
    src = np.concatenate([src, pick])
    dst = np.concatenate([dst, other])
    ids = np.unique(rng.integers(-(2 ** 62), 2 ** 62, size=int(nodes * 1.01), dtype=np.int64))
    ids = rng.permutation(ids)[:nodes]
    if ids.size < nodes:
        raise RuntimeError("id draw produced too few distinct ids; change the seed")
    info = {"identifiers": nodes, "links": int(src.size), "components": int(sizes.size),
            "largest": int(sizes.max()), "chain_length": max(chains)}
    return ids[src], ids[dst], info


# ----------------------------------------------------------------------------- memory

def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, stack = [], [root]
    while stack:
        for kid in children.get(stack.pop(), []):
            out.append(kid)
            stack.append(kid)
    return out


class MemorySampler:
    """Peak RSS of this Python process and, separately, of everything it started (the JVM and
    Spark's Python workers), sampled in a background thread."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.driver = self.jvm = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            self.driver = max(self.driver, _rss_kib(me))
            self.jvm = max(self.jvm, sum(_rss_kib(p) for p in _descendants(me)))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Result:
    method: str
    seconds: float
    rounds: str
    driver_mib: float
    jvm_mib: float
    roots: np.ndarray | None
    note: str = ""


def measure(method: str, fn: Callable[[], tuple[np.ndarray, str, str]]) -> Result:
    print(f"… {method}", flush=True)
    with MemorySampler() as mem:
        started = time.perf_counter()
        roots, rounds, note = fn()
        seconds = time.perf_counter() - started
    print(f"  {method}: {seconds:.1f}s, rounds {rounds}", flush=True)
    return Result(method, seconds, rounds, mem.driver / 1024, mem.jvm / 1024, roots, note)


# ----------------------------------------------------------------------------- methods

def textbook_large_small_star(spark, links, max_rounds: int = 60):
    """Kiveris et al. 2014 alternating large-star / small-star on DataFrames, as most Spark
    implementations write it: each step a groupBy + join over all links, a checkpoint per round,
    stop when a (large, small) pair leaves the link set unchanged."""
    from pyspark.sql import functions as F

    def norm(df):
        return (df.where(F.col("src") != F.col("dst"))
                .select(F.least("src", "dst").alias("src"), F.greatest("src", "dst").alias("dst")).distinct())

    def large_star(edges):
        both = edges.select(F.col("src").alias("u"), F.col("dst").alias("v")).union(
            edges.select(F.col("dst").alias("u"), F.col("src").alias("v")))
        mins = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
        return norm(both.join(mins, "u").where(F.col("v") > F.col("u"))
                    .select(F.col("v").alias("src"), F.col("m").alias("dst")))

    def small_star(edges):
        oriented = edges.select(F.col("dst").alias("u"), F.col("src").alias("v"))  # v < u
        mins = oriented.groupBy("u").agg(F.min("v").alias("m"))
        spokes = oriented.join(mins, "u").select(F.col("v").alias("src"), F.col("m").alias("dst"))
        return norm(spokes.union(mins.select(F.col("u").alias("src"), F.col("m").alias("dst"))))

    def signature(edges):
        # Folded to 31 bits before summing: ANSI mode fails on a long overflow.
        row = edges.agg(F.count("*").alias("n"), F.sum(F.pmod(F.xxhash64("src", "dst"), F.lit(2 ** 31))).alias("h")).first()
        return row["n"], row["h"]

    edges = norm(links).checkpoint(eager=True)
    previous = signature(edges)
    rounds = 0
    while rounds < max_rounds:
        rounds += 1
        edges = small_star(large_star(edges)).checkpoint(eager=True)
        current = signature(edges)
        print(f"    textbook round {rounds}: {current[0]:,} links", flush=True)
        if current == previous:
            break
        previous = current
    # Converged: every component is a star around its smallest id.
    labels = edges.select(F.col("dst").alias("id"), F.col("src").alias("root")).union(
        edges.select(F.col("src").alias("id"), F.col("src").alias("root")))
    return labels.groupBy("id").agg(F.min("root").alias("root")), rounds


def graphframes_available() -> str:
    for version in GRAPHFRAMES_VERSIONS:
        try:
            with urllib.request.urlopen(GRAPHFRAMES_POM.format(v=version), timeout=20) as response:
                if response.status == 200:
                    return f"io.graphframes:graphframes-spark4_2.13:{version} is available"
        except Exception:  # noqa: BLE001 - any failure means "not available here"
            continue
    return ("not run: io.graphframes:graphframes-spark4_2.13 is not on this machine's Maven mirror "
            f"(checked {', '.join(GRAPHFRAMES_VERSIONS)}: not found); graphframes-py ships no jar")


def _roots_in_order(df, ids_sorted: np.ndarray) -> np.ndarray:
    table = df.select("id", "root").toArrow()
    ids = table.column("id").to_numpy()
    roots = table.column("root").to_numpy()
    order = np.argsort(ids)
    if ids.size != ids_sorted.size or not np.array_equal(ids[order], ids_sorted):
        raise AssertionError("result does not cover exactly the graph's identifiers")
    return roots[order]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.oneid", description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000_000, help="identifiers in the graph")
    parser.add_argument("--conf", default="local", help="environment whose Spark settings are used "
                        "(its warehouse is replaced by a temporary one)")
    parser.add_argument("--partitions", type=int, default=None, help="taglake round partitions")
    parser.add_argument("--driver-threshold", type=int, default=2_000_000)
    parser.add_argument("--skip", action="append", default=[], choices=["textbook", "scipy"])
    parser.add_argument("--workdir", default=None, help="scratch folder (default: a temp folder)")
    args = parser.parse_args(argv)

    from taglake.progress import configure_logging

    configure_logging()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="taglake-bench-oneid-"))
    work.mkdir(parents=True, exist_ok=True)
    graphframes_note = graphframes_available()
    print(f"GraphFrames: {graphframes_note}", flush=True)

    started = time.perf_counter()
    src, dst, info = build_graph(args.nodes)
    print(f"graph: {', '.join(f'{k}={v:,}' for k, v in info.items())} (built in {time.perf_counter() - started:.1f}s)", flush=True)
    import pyarrow as pa
    import pyarrow.parquet as pq

    graph_path = work / "graph.parquet"
    pq.write_table(pa.table({"src": src, "dst": dst}), graph_path, row_group_size=1 << 20)
    del src, dst
    results: list[Result] = []

    def run_scipy():
        from taglake.identity.components import solve

        table = pq.read_table(graph_path)
        nodes, roots = solve(table.column("src").to_numpy(), table.column("dst").to_numpy())
        return (nodes, roots), "—", ""

    truth_nodes = None
    if "scipy" not in args.skip:
        result = measure("scipy.sparse.csgraph (floor)", run_scipy)
        truth_nodes, result.roots = result.roots
        results.append(result)

    from taglake.identity.components import connected_components
    from taglake.runtime import build_session
    from taglake.settings import load_settings

    base = load_settings(args.conf)
    settings = base.with_overrides(warehouse=str(work / "warehouse"), metastore=str(work / "metastore_db"),
                                   checkpoint_dir=str(work / "checkpoints"))
    spark = build_session(settings)
    links = spark.read.parquet(str(graph_path))
    if truth_nodes is None:
        truth_nodes = np.unique(pq.read_table(graph_path).to_pandas().to_numpy().ravel())

    def run_taglake():
        result, stats = connected_components(spark, links, partitions=args.partitions,
                                             driver_threshold=args.driver_threshold)
        roots = _roots_in_order(result, truth_nodes)
        rounds = f"{stats.rounds} + driver ({stats.driver_links:,} links)"
        note = "; ".join(f"r{r['round']}: {r['links_left']:,} left in {r['seconds']:.0f}s" for r in stats.per_round)
        return roots, rounds, note

    results.append(measure("taglake local contraction", run_taglake))

    if "textbook" not in args.skip:
        def run_textbook():
            labels, rounds = textbook_large_small_star(spark, links)
            return _roots_in_order(labels, truth_nodes), str(rounds), ""

        results.append(measure("textbook large/small-star (DataFrames)", run_textbook))
    spark.stop()

    reference = results[0].roots
    agree = all(np.array_equal(r.roots, reference) for r in results)
    floor = next((r.seconds for r in results if r.method.startswith("scipy")), None)
    print()
    print(f"Connected components, {info['identifiers']:,} identifiers / {info['links']:,} links / "
          f"{info['components']:,} components (largest {info['largest']:,}, chain {info['chain_length']:,}); "
          f"{os.cpu_count()} cores")
    header = f"| {'method':<40} | {'wall s':>8} | {'× scipy':>7} | {'rounds':<34} | {'driver RSS MiB':>14} | {'JVM+workers MiB':>15} |"
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for r in results:
        ratio = f"{r.seconds / floor:.1f}" if floor else "—"
        print(f"| {r.method:<40} | {r.seconds:>8.1f} | {ratio:>7} | {r.rounds:<34} | {r.driver_mib:>14,.0f} | {r.jvm_mib:>15,.0f} |")
    print(f"| {'GraphFrames connectedComponents':<40} | {'—':>8} | {'—':>7} | {'—':<34} | {'—':>14} | {'—':>15} |")
    print()
    for r in results:
        if r.note:
            print(f"{r.method}: {r.note}")
    print(f"GraphFrames: {graphframes_note}")
    print(f"partitions identical across methods: {'yes' if agree else 'NO'}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
