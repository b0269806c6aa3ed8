"""Pure-Python parts of snapshots: column-group placement and retention."""

import datetime as dt

from taglake.core.retention import expired, month_ends
from taglake.snapshots.layout import Placement, assign, by_group


def test_new_tags_fill_groups_and_existing_never_move():
    first = assign([("a", None), ("b", None), ("x1", "fam"), ("x2", "fam"), ("x3", "fam")], {}, group_size=2)
    assert by_group(first) == {"core_001": ["a", "b"], "f_fam_001": ["x1", "x2"], "f_fam_002": ["x3"]}
    second = assign([("x0", "fam"), ("b", None), ("c", None), ("x3", "fam")], first, group_size=2)
    assert second["b"] == Placement("core_001", 1) and second["x3"] == Placement("f_fam_002", 0)
    assert second["c"] == Placement("core_002", 0) and second["x0"] == Placement("f_fam_002", 1)
    assert second["a"] == first["a"]          # removed from the library, still placed (old dates keep it)


def test_retention_keeps_last_days_and_month_ends():
    dates = [dt.date(2026, 9, 29), dt.date(2026, 9, 30), dt.date(2026, 10, 30), dt.date(2026, 10, 31),
             dt.date(2026, 11, 20), dt.date(2026, 11, 21), dt.date(2026, 11, 22)]
    assert month_ends(dates) == [dt.date(2026, 9, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 22)]
    assert expired(dates, daily=2, monthly=1) == [dt.date(2026, 9, 29), dt.date(2026, 9, 30), dt.date(2026, 10, 30), dt.date(2026, 11, 20)]
    assert expired(dates, daily=3, monthly=2) == [dt.date(2026, 9, 29), dt.date(2026, 10, 30)]
    assert expired([], 1, 1) == []
