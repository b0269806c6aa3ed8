"""Independent Spark jobs (group writes, statistics, history reads) run concurrently."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def parallel(fn: Callable[[Any], Any], items: list, workers: int) -> list:
    """`fn` over `items` on up to `workers` threads, results in order; errors propagate."""
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="taglake-write") as pool:
        return list(pool.map(fn, items))
