"""The one retention rule for dated snapshots: the newest `daily` dates, plus the closing snapshot
of each of the last `month_ends` *closed* months (the current month has not closed yet).

Tag snapshots and the OneID mapping use the same rule, so a kept tag snapshot always keeps the
OneID mapping it was keyed by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def month_ends(dates: Iterable[dt.date]) -> list[dt.date]:
    """The last snapshot of every month that has one (a month's closing snapshot)."""
    last: dict[tuple[int, int], dt.date] = {}
    for d in dates:
        key = (d.year, d.month)
        last[key] = max(last.get(key, d), d)
    return sorted(last.values())


def kept(dates: Iterable[dt.date], daily: int, monthly: int) -> list[dt.date]:
    dates = sorted(set(dates))
    if not dates:
        return []
    newest = dates[-1]
    keep = set(dates[-daily:]) if daily else set()
    closed = [d for d in month_ends(dates) if (d.year, d.month) != (newest.year, newest.month)]
    keep |= set(closed[-monthly:]) if monthly else set()
    return sorted(keep)


def expired(dates: Iterable[dt.date], daily: int, monthly: int) -> list[dt.date]:
    dates = sorted(set(dates))
    keep = set(kept(dates, daily, monthly))
    return [d for d in dates if d not in keep]
