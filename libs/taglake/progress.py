"""Progress for long jobs: named steps with elapsed time and counts, through `logging`.

Library code only logs to `taglake.*` loggers; the CLI (or a job entry point) decides where the
lines go (`configure_logging`). A step prints when it starts and when it ends, with what it counted:

    12:01:03 ▶ tags[member] group 3/21 (500 tags)
    12:01:41 ✔ tags[member] group 3/21 in 38.2s · rows=1,000,000 · tags=500
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("taglake")


@dataclass
class Step:
    name: str
    started: float = field(default_factory=time.perf_counter)
    counts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def count(self, **counts: Any) -> None:
        self.counts.update(counts)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def _fmt(counts: dict[str, Any]) -> str:
    parts = []
    for key, value in counts.items():
        shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else (
            f"{value:,.1f}" if isinstance(value, float) else str(value))
        parts.append(f"{key}={shown}")
    return " · ".join(parts)


@contextmanager
def step(name: str, logger: logging.Logger | None = None, **counts: Any) -> Iterator[Step]:
    """Log the start and end of a unit of work; the caller adds counts with `step.count(...)`."""
    logger = logger or log
    current = Step(name, counts=dict(counts))
    logger.info("▶ %s%s", name, f" ({_fmt(counts)})" if counts else "")
    try:
        yield current
    except BaseException:
        logger.error("✘ %s failed after %.1fs", name, current.elapsed)
        raise
    current.seconds = current.elapsed
    tail = _fmt(current.counts)
    logger.info("✔ %s in %.1fs%s", name, current.seconds, f" · {tail}" if tail else "")


def configure_logging(verbose: bool = False) -> None:
    """For entry points only: human-readable progress on stderr."""
    from rich.console import Console
    from rich.logging import RichHandler

    handler = RichHandler(
        console=Console(stderr=True, soft_wrap=True),
        show_path=False, show_level=False, markup=False, log_time_format="%H:%M:%S",
    )
    root = logging.getLogger("taglake")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False
    # py4j logs every gateway call at INFO, and PySpark logs every failed query as a page of JSON
    # before raising it; taglake reports the error itself, in one line.
    logging.getLogger("py4j").setLevel(logging.ERROR)
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    if not sys.stderr.isatty():
        handler.console.width = 160
