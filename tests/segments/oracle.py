"""Independent reference computations for segment tests: SQL's three-valued logic in plain Python,
top-N by sorting, TGI by counting, and XXH64 (the hash Spark's `xxhash64` uses) from its
specification, so splits can be checked member by member without asking Spark."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from typing import Any

# -- three-valued logic: True / False / None (unknown) ---------------------------------------------

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def cmp(a: Any, op: str, b: Any) -> bool | None:
    return None if a is None or b is None else OPS[op](a, b)


def isin(a: Any, values: Iterable[Any]) -> bool | None:
    return None if a is None else a in set(values)


def between(a: Any, low: Any, high: Any) -> bool | None:
    return None if a is None else low <= a <= high


def contains(values: list | None, item: Any) -> bool | None:
    if values is None:
        return None
    if item in values:
        return True
    return None if None in values else False


def AND(*xs: bool | None) -> bool | None:
    if any(x is False for x in xs):
        return False
    return None if any(x is None for x in xs) else True


def OR(*xs: bool | None) -> bool | None:
    if any(x is True for x in xs):
        return True
    return None if any(x is None for x in xs) else False


def NOT(x: bool | None) -> bool | None:
    return None if x is None else not x


def members(rows: dict[str, dict], rule: Callable[[dict], bool | None]) -> set[str]:
    """Keys whose rule is true (unknown and false select nobody)."""
    return {key for key, row in rows.items() if rule(row) is True}


def top(rows: dict[str, dict], base: set[str], by: str, n: int | None = None, percent: float | None = None,
        descending: bool = True) -> set[str]:
    eligible = [k for k in base if rows[k][by] is not None]
    eligible.sort(key=lambda k: ((-rows[k][by]) if descending else rows[k][by], k))
    count = n if n is not None else math.ceil(len(eligible) * percent / 100)
    return set(eligible[:count])


# -- TGI -------------------------------------------------------------------------------------------

def shares(values: list[Any]) -> dict[Any, tuple[int, float]]:
    total = len(values)
    out: dict[Any, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return {v: (c, c / total) for v, c in out.items()}


def tgi(segment_values: list[Any], base_values: list[Any]) -> dict[Any, float | None]:
    seg, base = shares(segment_values), shares(base_values)
    return {v: (seg[v][1] / base[v][1] * 100 if v in base and base[v][1] else None) for v in seg}


# -- XXH64 ------------------------------------------------------------------------------------------

P1, P2, P3, P4, P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x85EBCA77C2B2AE63,
                      0x27D4EB2F165667C5)
MASK = (1 << 64) - 1


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & MASK


def _round(acc: int, lane: int) -> int:
    acc = (acc + lane * P2) & MASK
    return (_rotl(acc, 31) * P1) & MASK


def _merge(acc: int, val: int) -> int:
    acc ^= _round(0, val)
    return (acc * P1 + P4) & MASK


def xxh64(data: bytes, seed: int) -> int:
    seed &= MASK
    n, i = len(data), 0
    u64 = lambda at: int.from_bytes(data[at:at + 8], "little")
    if n >= 32:
        v = [(seed + P1 + P2) & MASK, (seed + P2) & MASK, seed, (seed - P1) & MASK]
        while i <= n - 32:
            v = [_round(v[j], u64(i + 8 * j)) for j in range(4)]
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & MASK
        for lane in v:
            h = _merge(h, lane)
    else:
        h = (seed + P5) & MASK
    h = (h + n) & MASK
    while i + 8 <= n:
        h ^= _round(0, u64(i))
        h = (_rotl(h, 27) * P1 + P4) & MASK
        i += 8
    if i + 4 <= n:
        h ^= (int.from_bytes(data[i:i + 4], "little") * P1) & MASK
        h = (_rotl(h, 23) * P2 + P3) & MASK
        i += 4
    while i < n:
        h ^= (data[i] * P5) & MASK
        h = (_rotl(h, 11) * P1) & MASK
        i += 1
    h ^= h >> 33
    h = (h * P2) & MASK
    h ^= h >> 29
    h = (h * P3) & MASK
    h ^= h >> 32
    return h


def spark_xxhash64(*texts: str, seed: int = 42) -> int:
    """Spark's xxhash64(col1, col2, ...) over strings: each column's hash seeds the next; signed."""
    h = seed
    for text in texts:
        h = xxh64(text.encode("utf-8"), h)
    return h - (1 << 64) if h >= 1 << 63 else h


def split_group(salt: str, key: str, shares_bp: list[tuple[str, int]]) -> str:
    bucket = spark_xxhash64(salt, key) % 10_000
    upper = 0
    for group, bp in shares_bp:
        upper += bp
        if bucket < upper:
            return group
    raise AssertionError("shares do not cover 10,000 basis points")
