"""Hash-based randomness: every draw is a pure function of (seed, salt, row keys).

Spark's `rand()` depends on how rows are split into partitions; hashing the row's own keys does
not, so the same seed gives the same tables on one core or a hundred. It also lets any table
re-derive another table's values (a person's phone, a product's price) instead of joining to it.
The salt names the purpose of a draw, so two draws over the same keys are independent.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql import Column
from pyspark.sql import functions as F

_TWO_POW_53 = float(2**53)


def as_col(value: Any) -> Column:
    return value if isinstance(value, Column) else F.lit(value)


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def literal_array(values: Sequence[Any]) -> Column:
    """A constant array from one piece of SQL text (a Column per element would cost a Py4J call each).

    Numbers travel as a single comma-separated string that Spark splits and casts once while
    optimising (constant folding), so even a 30,000-entry lookup table is one literal node.
    """
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return F.split(F.lit(",".join(map(str, values))), ",").cast("array<int>")
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return F.split(F.lit(",".join(repr(float(v)) for v in values)), ",").cast("array<double>")
    if values and all(isinstance(v, list | tuple) for v in values):
        inner = ", ".join(f"array({', '.join(sql_literal(x) for x in v)})" for v in values)
    else:
        inner = ", ".join(sql_literal(v) for v in values)
    return F.expr(f"array({inner})")


def lookup(values: Sequence[Any], index: Column) -> Column:
    """`values[index]` for a 0-based index column."""
    return F.element_at(literal_array(values), index + 1)


class Rng:
    def __init__(self, seed: int) -> None:
        self.seed = seed

    def hash(self, salt: str, *keys: Any) -> Column:
        return F.xxhash64(F.lit(self.seed), F.lit(salt), *(as_col(k) for k in keys))

    def uniform(self, salt: str, *keys: Any) -> Column:
        """In [0, 1). Uses the top 53 bits: a 63-bit value divided by 2**63 can round up to 1.0."""
        return F.shiftrightunsigned(self.hash(salt, *keys), 11) / _TWO_POW_53

    def below(self, n: Any, salt: str, *keys: Any) -> Column:
        """An int in [0, n); `n` may be a column (must be >= 1)."""
        return F.floor(self.uniform(salt, *keys) * as_col(n)).cast("int")

    def between(self, low: Any, high: Any, salt: str, *keys: Any) -> Column:
        """An int in [low, high], both inclusive."""
        return as_col(low) + self.below(as_col(high) - as_col(low) + 1, salt, *keys)

    def chance(self, p: Any, salt: str, *keys: Any) -> Column:
        return self.uniform(salt, *keys) < as_col(p)

    def pick(self, weighted: Mapping[Any, float], salt: str, *keys: Any) -> Column:
        """One of a few values with the given relative weights (a CASE over cumulative shares)."""
        u = self.uniform(salt, *keys)
        total = float(sum(weighted.values()))
        items = list(weighted.items())
        expr, cumulative = None, 0.0
        for value, weight in items[:-1]:
            cumulative += weight / total
            expr = (F.when(u < cumulative, as_col(value)) if expr is None
                    else expr.when(u < cumulative, as_col(value)))
        last = as_col(items[-1][0])
        return last if expr is None else expr.otherwise(last)

    def pick_index(self, weights: Sequence[float], salt: str, *keys: Any, slots: int = 2048) -> Column:
        """A 0-based index into `weights`, drawn in O(1) from a table of `slots` slots.

        For long vocabularies (cities, categories) a CASE chain would be evaluated branch by branch;
        here each index owns a share of the slots proportional to its weight (at least one).
        """
        return lookup(weighted_slots(weights, slots), self.below(slots, salt, *keys))

    def skewed(self, n: Any, power: float, salt: str, *keys: Any) -> Column:
        """An int in [0, n) where low values are far more likely (popularity: u**power packs mass near 0)."""
        return F.floor(F.pow(self.uniform(salt, *keys), power) * as_col(n)).cast("int")

    def count_around(self, mean: Any, salt: str, *keys: Any, cap: int | None = None) -> Column:
        """A non-negative int with the given mean and customer-like spread (Gamma(2) floored by dithering).

        floor(x + U) with U uniform has expectation E[x], so the mean is exact; Gamma(2) via
        -ln(u1*u2)/2 gives the long right tail purchase counts have. 1-u keeps the log finite.
        """
        u1 = 1.0 - self.uniform(salt + "/a", *keys)
        u2 = 1.0 - self.uniform(salt + "/b", *keys)
        x = -F.log(u1 * u2) * as_col(mean) / 2.0
        n = F.floor(x + self.uniform(salt + "/c", *keys)).cast("int")
        return F.least(n, F.lit(cap)) if cap is not None else n

    def hex(self, salt: str, *keys: Any, length: int = 32) -> Column:
        """`length` (<= 32) lower-case hex digits from two independent 64-bit hashes.

        128 bits: collisions among even billions of ids are practically impossible.
        """
        halves = [F.lpad(F.lower(F.hex(self.hash(f"{salt}/{i}", *keys))), 16, "0") for i in (1, 2)]
        return F.substring(F.concat(*halves), 1, length)


def weighted_slots(weights: Sequence[float], slots: int) -> list[int]:
    """Largest-remainder allocation of `slots` to indices, every positive weight getting at least one."""
    if len(weights) > slots:
        raise ValueError(f"{len(weights)} weights do not fit in {slots} slots")
    total = float(sum(weights))
    raw = [w / total * slots for w in weights]
    counts = [max(1, int(r)) if w > 0 else 0 for r, w in zip(raw, weights, strict=True)]
    by_remainder = sorted(range(len(weights)), key=lambda i: (raw[i] - int(raw[i])), reverse=True)
    i = 0
    while sum(counts) < slots:
        if weights[by_remainder[i % len(weights)]] > 0:
            counts[by_remainder[i % len(weights)]] += 1
        i += 1
    while sum(counts) > slots:  # the "at least one" rule overshot: take from the largest
        counts[counts.index(max(counts))] -= 1
    return [index for index, count in enumerate(counts) for _ in range(count)]


def bijection(value: Column, modulus: int, seed: int, salt: str) -> Column:
    """A seed-dependent permutation of [0, modulus) applied to `value` (must be in that range).

    x -> (a*x + b) mod m is one-to-one when gcd(a, m) = 1: distinct persons get distinct phone
    numbers and member ids by construction, not by luck.
    """
    a, b = affine_parameters(modulus, seed, salt)
    return F.pmod(value * F.lit(a) + F.lit(b), F.lit(modulus))


def affine_parameters(modulus: int, seed: int, salt: str) -> tuple[int, int]:
    """(a, b) for `bijection`, derived from the seed: a is coprime to the modulus."""
    digest = hashlib.sha256(f"{seed}/{salt}".encode()).digest()
    a = 100_003 + int.from_bytes(digest[:4], "big") % 900_000
    while math.gcd(a, modulus) != 1:
        a += 1
    b = int.from_bytes(digest[4:12], "big") % modulus
    return a, b
