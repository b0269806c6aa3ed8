"""`python -m benchmarks [all|compile|tags|oneid|segments|reads|stats|models|serving] [args...]` — `make bench` runs all.

Each benchmark prints its own table; `all` runs them one after another in separate processes so
their Spark sessions (and memory) do not overlap.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ["compile", "tags", "oneid", "segments", "reads", "stats", "models", "serving"]


def main(argv: list[str]) -> int:
    which = argv[0] if argv else "all"
    names = BENCHMARKS if which == "all" else [which]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from: all, {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        print(f"\n=== benchmark: {name} ===", flush=True)
        status |= subprocess.call([sys.executable, "-m", f"benchmarks.{name}", *argv[1:]])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
