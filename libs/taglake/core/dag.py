"""A small generic DAG: topological layers, upstream/downstream closure, exact cycle paths."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

N = TypeVar("N", bound=Hashable)


class CycleError(ValueError):
    def __init__(self, path: list):
        self.path = path
        super().__init__("dependency cycle: " + " -> ".join(str(p) for p in path))


class DAG(Generic[N]):
    def __init__(self) -> None:
        self._up: dict[N, set[N]] = {}       # node -> what it depends on
        self._down: dict[N, set[N]] = defaultdict(set)

    def add(self, node: N, depends_on: Iterable[N] = ()) -> None:
        deps = self._up.setdefault(node, set())
        for dep in depends_on:
            deps.add(dep)
            self._up.setdefault(dep, set())
            self._down[dep].add(node)

    def __contains__(self, node: object) -> bool:
        return node in self._up

    def __len__(self) -> int:
        return len(self._up)

    @property
    def nodes(self) -> list[N]:
        return list(self._up)

    def dependencies(self, node: N) -> set[N]:
        return set(self._up.get(node, ()))

    def dependents(self, node: N) -> set[N]:
        return set(self._down.get(node, ()))

    def _closure(self, node: N, edges: dict[N, set[N]]) -> set[N]:
        seen: set[N] = set()
        stack = list(edges.get(node, ()))
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(edges.get(current, ()))
        return seen

    def upstream(self, node: N) -> set[N]:
        return self._closure(node, self._up)

    def downstream(self, node: N) -> set[N]:
        return self._closure(node, self._down)

    def find_cycle(self) -> list[N] | None:
        """One cycle as a path that returns to its start (a -> b -> a), or None."""
        WHITE, GREY, BLACK = 0, 1, 2
        colour = dict.fromkeys(self._up, WHITE)
        for start in sorted(self._up, key=str):
            if colour[start] != WHITE:
                continue
            stack: list[tuple[N, list[N]]] = [(start, sorted(self._up[start], key=str))]
            path = [start]
            colour[start] = GREY
            while stack:
                node, pending = stack[-1]
                if pending:
                    nxt = pending.pop(0)
                    if colour[nxt] == GREY:
                        return path[path.index(nxt):] + [nxt]
                    if colour[nxt] == WHITE:
                        colour[nxt] = GREY
                        path.append(nxt)
                        stack.append((nxt, sorted(self._up[nxt], key=str)))
                else:
                    colour[node] = BLACK
                    stack.pop()
                    path.pop()
        return None

    def layers(self) -> list[list[N]]:
        """Topological layers: every node comes after everything it depends on (Kahn's algorithm)."""
        remaining = {n: len(deps) for n, deps in self._up.items()}
        ready = sorted((n for n, d in remaining.items() if d == 0), key=str)
        out: list[list[N]] = []
        while ready:
            out.append(ready)
            nxt = []
            for node in ready:
                for child in self._down.get(node, ()):
                    remaining[child] -= 1
                    if remaining[child] == 0:
                        nxt.append(child)
            ready = sorted(nxt, key=str)
        if sum(len(layer) for layer in out) != len(self._up):
            raise CycleError(self.find_cycle() or [])
        return out
