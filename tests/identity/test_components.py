"""Connected components on Spark against an in-memory union-find, on random graphs, chains and stars.

Each Spark call solves many graphs at once (a disjoint union, node ids scrambled per graph), so
hypothesis can explore many shapes while the suite stays fast.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from taglake.identity.components import connected_components, solve

from .oracle import partition

MASK = (1 << 63) - 1


def scramble(graph: int, node: int) -> int:
    """A 64-bit id, signed, in no particular order relative to the node numbers."""
    x = (graph * 1_000_003 + node + 1) * 0x9E3779B97F4A7C15 & ((1 << 64) - 1)
    x ^= x >> 29
    return x - (1 << 64) if x >= (1 << 63) else x


graph_st = st.integers(1, 25).flatmap(
    lambda n: st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=0, max_size=3 * n))


def chain(n: int) -> list[tuple[int, int]]:
    return [(i, i + 1) for i in range(n - 1)]


def star(n: int) -> list[tuple[int, int]]:
    return [(0, i) for i in range(1, n)]


def run_union(spark, graphs: list[list[tuple[int, int]]], **options):
    links = [(scramble(g, a), scramble(g, b)) for g, edges in enumerate(graphs) for a, b in edges]
    df = spark.createDataFrame(links, "src long, dst long") if links else spark.createDataFrame([], "src long, dst long")
    result, stats = connected_components(spark, df, **options)
    got = {r["id"]: r["root"] for r in result.collect()}
    expected = partition([(a, b) for a, b in links if a != b])
    return got, expected, stats


@pytest.mark.slow
@hsettings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(graphs=st.lists(graph_st, min_size=1, max_size=30), partitions=st.integers(1, 4))
def test_random_graphs_match_union_find(spark, graphs, partitions):
    # driver_threshold=0: every link goes through the distributed rounds.
    got, expected, _ = run_union(spark, graphs, partitions=partitions, driver_threshold=0)
    assert got == expected


def test_driver_only_and_mixed_finish_agree(spark):
    rng = np.random.default_rng(5)
    graphs = [[(int(a), int(b)) for a, b in rng.integers(0, n, size=(n, 2))] for n in rng.integers(2, 40, size=60)]
    graphs += [chain(300), star(300)]
    for threshold in (10**9, 200):
        got, expected, stats = run_union(spark, graphs, partitions=3, driver_threshold=threshold)
        assert got == expected
        if threshold == 10**9:
            assert stats.rounds == 0


def test_long_chain_and_big_star_need_few_rounds(spark):
    got, expected, stats = run_union(spark, [chain(1500), star(1500), [(0, 0)], [(1, 2), (2, 1), (1, 2)]],
                                     partitions=4, driver_threshold=0)
    assert got == expected
    # O(log n): a 1,500-link chain in random id order takes far fewer rounds than its diameter.
    assert stats.rounds <= 16
    # Self-loops alone make no component; duplicates and reversed links are one link.
    assert scramble(2, 0) not in got
    assert got[scramble(3, 2)] == min(scramble(3, 1), scramble(3, 2))


def test_empty_input(spark):
    got, expected, stats = run_union(spark, [[]], partitions=2, driver_threshold=0)
    assert got == {} and stats.input_links == 0


@given(st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50)), min_size=1, max_size=200))
@hsettings(max_examples=200, deadline=None)
def test_in_memory_solver_matches_union_find(edges):
    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    nodes, roots = solve(a, b)
    expected = partition(edges, [n for e in edges for n in e])
    assert dict(zip(nodes.tolist(), roots.tolist())) == expected
