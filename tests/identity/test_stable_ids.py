"""Carrying OneIDs over: merge (oldest survives), split (largest part keeps), new, retired — at once."""

from __future__ import annotations

import datetime as dt
import hashlib

from taglake.identity.stable_ids import assign


def new_id(id_type: str, id_value: str) -> str:
    return "o" + hashlib.sha256(f"{id_type}\x1f{id_value}".encode()).hexdigest()[:20]


def test_merge_split_new_and_retired_in_one_run(spark):
    d = dt.date
    born = {"A": d(2020, 1, 1), "B": d(2019, 1, 1), "C": d(2021, 1, 1), "D": d(2018, 1, 1)}
    rows = [
        # R1: most of A and all of B, plus a new identifier → B (older) survives, A merged into it.
        ("m", "a1", 1, d(2020, 1, 1), "A"), ("m", "a2", 1, d(2020, 2, 1), "A"),
        ("m", "b1", 1, d(2019, 1, 1), "B"), ("m", "b2", 1, d(2019, 5, 1), "B"), ("m", "n1", 1, d(2026, 1, 1), None),
        # R2: A's minority part → a new id, recorded as split from A.
        ("m", "a3", 2, d(2020, 3, 1), "A"),
        # C splits 3 / 1: the larger part keeps C.
        ("m", "c1", 3, d(2021, 1, 1), "C"), ("m", "c2", 3, d(2021, 1, 2), "C"), ("m", "c3", 3, d(2021, 1, 3), "C"),
        ("m", "c4", 4, d(2021, 1, 4), "C"),
        # R5: nobody seen before.
        ("m", "n2", 5, d(2026, 2, 1), None), ("p", "n3", 5, d(2026, 2, 1), None),
    ]
    current = spark.createDataFrame(
        [(t, v, r, f, o, born.get(o)) for t, v, r, f, o in rows],
        "id_type string, id_value string, root long, first_seen date, prev_oneid string, prev_born date")
    previous = spark.createDataFrame([(k, v, 1) for k, v in born.items()], "oneid string, born date, size long")
    assigned, changes = assign(spark, current, previous)
    got = {r["root"]: r["oneid"] for r in assigned.collect()}
    # R5's anchor: same first_seen, so the type decides ("m" < "p").
    assert got == {1: "B", 2: new_id("m", "a3"), 3: "C", 4: new_id("m", "c4"), 5: new_id("m", "n2")}
    assert sorted((c["change"], c["old_oneid"], c["new_oneid"], c["identifiers"]) for c in changes.collect()) == sorted([
        ("merged", "A", "B", 2),
        ("split", "A", new_id("m", "a3"), 1),
        ("split", "C", new_id("m", "c4"), 1),
        ("new", None, new_id("m", "n2"), 2),
        ("retired", "D", None, 1),
    ])


def test_equal_split_goes_to_the_earlier_anchor_and_ids_never_repeat(spark):
    d = dt.date
    rows = [("m", "x2", 20, d(2024, 1, 2), "X"), ("m", "x1", 10, d(2024, 1, 1), "X")]
    current = spark.createDataFrame([(*r, d(2024, 1, 1)) for r in rows],
                                    "id_type string, id_value string, root long, first_seen date, prev_oneid string, prev_born date")
    assigned, _ = assign(spark, current, None)
    got = {r["root"]: r["oneid"] for r in assigned.collect()}
    assert got == {10: "X", 20: new_id("m", "x2")}
