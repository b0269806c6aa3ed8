"""Reading a computed snapshot back and comparing it with hand-worked values (the compute tests)."""

from __future__ import annotations

import datetime as dt

import pytest

from taglake.snapshots.read import read_tags


def rows(spark, settings, subject: str, key: str, date: dt.date) -> dict:
    """key -> every tag of the subject on `date`, as the readers see it."""
    return {r[key]: r.asDict() for r in read_tags(spark, settings, subject, key, date).frame.collect()}


def check(actual: dict, expected: dict, who: str) -> None:
    for tag, want in expected.items():
        got = actual[tag]
        if isinstance(want, float) and got is not None:
            assert got == pytest.approx(want), f"{who}.{tag}: {got!r} != {want!r}"
        else:
            assert got == want, f"{who}.{tag}: {got!r} != {want!r}"
