"""TGI portraits against counts computed in plain Python over the same snapshot rows."""

from __future__ import annotations

import io
import math

import pytest

from taglake.segments import profile as P
from taglake.segments import store

from .conftest import D2, stored_members
from .oracle import tgi as oracle_tgi

TEXT_TAGS = ["level", "is_vip", "city"]


def labels(row: dict, tag: str) -> list[str]:
    """The value(s) a member counts under, for non-numeric tags."""
    value = row[tag]
    if tag == "top_categories":
        return sorted(set(value)) if value else [P.NULL_LABEL]
    if tag == "birthday":
        return [str(value.year)] if value else [P.NULL_LABEL]
    if tag == "last_event_time":
        return [value.strftime("%Y-%m")] if value else [P.NULL_LABEL]
    return [P.NULL_LABEL if value is None else str(value).lower() if isinstance(value, bool) else str(value)]


def by_value(result: P.Profile, tag: str) -> dict[str, P.ProfileRow]:
    return {r.value: r for r in result.rows if r.tag == tag}


@pytest.fixture(scope="module")
def spend_profile(spark, snapshot, evaluated):
    tags = [*TEXT_TAGS, "top_categories", "birthday", "last_event_time", "age", "spend"]
    return P.profile(spark, snapshot.settings, snapshot.library, snapshot.segments, P.Target("spend_known"), D2, tags)


def test_counts_shares_and_tgi_match_python(spark, snapshot, spend_profile):
    rows = snapshot.rows[D2]
    members = set(stored_members(spark, snapshot.settings, D2, "spend_known"))
    assert (spend_profile.segment_size, spend_profile.base_size) == (len(members), len(rows))
    for tag in [*TEXT_TAGS, "top_categories", "birthday", "last_event_time"]:
        seg_values = [v for k in members for v in labels(rows[k], tag)]
        base_values = [v for r in rows.values() for v in labels(r, tag)]
        got = by_value(spend_profile, tag)
        want_tgi = oracle_tgi(seg_values, base_values)
        assert set(got) == set(base_values), tag
        for value, row in got.items():
            assert row.segment_count == seg_values.count(value), (tag, value)
            assert row.base_count == base_values.count(value), (tag, value)
            assert row.segment_share == pytest.approx(seg_values.count(value) / len(members))
            assert row.base_share == pytest.approx(base_values.count(value) / len(rows))
            share_ratio = (seg_values.count(value) / len(members)) / (base_values.count(value) / len(rows)) * 100
            assert row.tgi == pytest.approx(share_ratio)
            if tag != "top_categories" and value in want_tgi:   # one value per member: shares of values
                assert row.tgi == pytest.approx(want_tgi[value])


def test_numeric_tags_are_bucketed_and_every_member_counted_once(snapshot, spend_profile):
    rows = snapshot.rows[D2]
    for tag in ("age", "spend"):
        buckets = by_value(spend_profile, tag)
        assert sum(r.base_count for r in buckets.values()) == len(rows)
        assert buckets[P.NULL_LABEL].base_count == sum(1 for r in rows.values() if r[tag] is None)
        assert 3 <= len(buckets) <= 6, sorted(buckets)
        ordered = [r.value for r in spend_profile.rows if r.tag == tag]
        assert ordered[0].startswith("< ") and ordered[-2].startswith("≥ ") and ordered[-1] == P.NULL_LABEL


def test_bucket_edges_and_labels():
    assert P.nice(1234.5) == 1200 and P.nice(0.0456) == 0.046 and P.nice(7) == 7
    assert P.bucket_labels([1, 2, 5], integral=True) == ["< 1", "1", "2–4", "≥ 5"]
    assert P.bucket_labels([500.0, 2000.0], integral=False) == ["< 500", "[500, 2,000)", "≥ 2,000"]


def test_ab_groups_side_by_side(spark, snapshot, evaluated):
    result = P.profile(spark, snapshot.settings, snapshot.library, snapshot.segments, P.Target("ab_test", "A"), D2,
                       ["level"], P.Target("ab_test", "B"))
    groups = stored_members(spark, snapshot.settings, D2, "ab_test")
    rows = snapshot.rows[D2]
    a = [labels(rows[k], "level")[0] for k, g in groups.items() if g == "A"]
    b = [labels(rows[k], "level")[0] for k, g in groups.items() if g == "B"]
    assert (result.segment_size, result.base_size) == (len(a), len(b))
    want = oracle_tgi(a, b)
    for value, row in by_value(result, "level").items():
        assert row.segment_count == a.count(value) and row.base_count == b.count(value)
        assert (row.tgi is None and value not in b) or row.tgi == pytest.approx(want[value])


def test_rare_text_values_fold_into_other(spark, snapshot, evaluated):
    result = P.profile(spark, snapshot.settings, snapshot.library, snapshot.segments, P.Target("eq_city"), D2, ["phone"], top_values=3)
    got = by_value(result, "phone")
    rows = snapshot.rows[D2]
    assert P.OTHER_LABEL in got and len(got) <= 5
    assert sum(r.base_count for r in got.values()) == len(rows)


def test_portrait_is_saved_idempotently_and_as_csv(spark, snapshot, spend_profile):
    for _ in range(2):
        P.save(spark, snapshot.settings, spend_profile)
    table = spark.table(snapshot.settings.table(store.PROFILES)).where("segment = 'spend_known' AND base = 'all'")
    assert table.count() == len(spend_profile.rows)
    buffer = io.StringIO()
    P.to_csv(spend_profile, buffer)
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("snapshot_date,segment,base,tag,display_name,value") and len(lines) == len(spend_profile.rows) + 1
    assert not any(math.isnan(r.segment_share) for r in spend_profile.rows)
