"""One retention rule: a kept tag snapshot always keeps the OneID mapping it was keyed by."""

from __future__ import annotations

import datetime as dt

import pytest

from taglake.identity.job import expired_mappings
from taglake.settings import load_settings
from taglake.snapshots.retention import expired_snapshots


def days(start: dt.date, count: int) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(count)]


@pytest.mark.parametrize("daily, month_ends", [(7, 12), (1, 0), (3, 1), (40, 2)])
def test_oneid_and_snapshots_keep_the_same_dates(daily, month_ends):
    settings = load_settings("local")
    settings = settings.with_overrides(retention=settings.retention.model_copy(update={"daily": daily, "month_ends": month_ends}))
    for history in (days(dt.date(2025, 1, 1), 500), days(dt.date(2025, 3, 31), 3), [dt.date(2026, 1, 31), dt.date(2026, 2, 1)]):
        assert expired_mappings(settings, history) == expired_snapshots(settings, history)


def test_the_last_closed_month_end_outlives_neither_side():
    """The old OneID rule counted the running month as a month-end: with 12 month-ends it dropped
    the mapping of the 12th closed month while that month's tag snapshot was kept."""
    settings = load_settings("local")
    assert (settings.retention.daily, settings.retention.month_ends) == (7, 12)
    history = days(dt.date(2025, 1, 1), 500)  # 2025-01-01 .. 2026-05-15
    oldest_kept_month_end = dt.date(2025, 5, 31)  # 12th closed month before May 2026
    assert oldest_kept_month_end not in expired_snapshots(settings, history)
    assert oldest_kept_month_end not in expired_mappings(settings, history)
    assert dt.date(2025, 4, 30) in expired_mappings(settings, history)
