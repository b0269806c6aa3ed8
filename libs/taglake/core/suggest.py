"""The one "did you mean" rule for unknown names (tags, sources, segments, keys, columns)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: Similarity (difflib ratio) a known name needs to be suggested.
CUTOFF = 0.6


def close_matches(name: object, known: Iterable[object], *, n: int = 3, cutoff: float = CUTOFF) -> list[str]:
    return difflib.get_close_matches(str(name), [str(k) for k in known], n=n, cutoff=cutoff)


def did_you_mean(name: object, known: Iterable[object], *, n: int = 3, cutoff: float = CUTOFF, quote: bool = True) -> str:
    """`; did you mean 'a', 'b'?` for the closest known names, or "" when none is close."""
    close = close_matches(name, known, n=n, cutoff=cutoff)
    if not close:
        return ""
    return f"; did you mean {', '.join(repr(c) if quote else c for c in close)}?"
