"""Independent plain-Python oracles: canonicalisation and union-find (no Spark, no taglake code)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from taglake.identity.config import IdentityConfig


def canonical(config: IdentityConfig, id_type: str, raw: str | None) -> tuple[str | None, str]:
    """(canonical value, status) the way identity.yaml's rules read in plain Python."""
    if raw is None:
        return None, "missing"
    rule = config.types[id_type]
    value = raw.strip() if rule.trim else raw
    if rule.remove:
        value = re.sub(rule.remove, "", value)
    if rule.strip_prefix:
        value = re.sub(rule.strip_prefix, "", value)
    if rule.lower:
        value = value.lower()
    blocklist = config.blocklist(id_type)
    if value in blocklist.exact or raw.strip() in blocklist.exact or any(re.search(p, value) for p in blocklist.regex):
        return value, "blocked"
    if not re.search(rule.pattern, value):
        return value, "invalid"
    return value, "ok"


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def partition(edges: Iterable[tuple[int, int]], nodes: Iterable[int] = ()) -> dict[int, int]:
    """node → smallest node of its component."""
    uf = UnionFind()
    for n in nodes:
        uf.find(n)
    for a, b in edges:
        uf.union(a, b)
    groups: dict[int, list[int]] = {}
    for n in list(uf.parent):
        groups.setdefault(uf.find(n), []).append(n)
    return {n: min(members) for members in groups.values() for n in members}
