"""The library shipped in tagdefs/ validates and is as large as the product promises."""

from collections import Counter
from pathlib import Path

import pytest

from taglake.compiler import compile_library
from taglake.tagdefs import load_library

ROOT = Path(__file__).parents[2] / "tagdefs"


@pytest.fixture(scope="module")
def library():
    return load_library(ROOT)


def test_counts_per_subject(library):
    hand = Counter(t.subject for t in library.all_tags() if t.family is None)
    generated = Counter(t.subject for t in library.all_tags() if t.family is not None)
    assert hand["member"] >= 150 and generated["member"] >= 10_000
    assert hand["store"] >= 30 and hand["product"] >= 20 and hand["staff"] >= 15


def test_every_kind_is_used(library):
    kinds = {t.kind for t in library.all_tags() if t.family is None}
    assert kinds >= {"attribute", "stat", "recency", "preference", "bucket", "rule", "composite", "cross"}
    strategies = {t.spec.strategy for t in library.all_tags() if t.kind == "composite"}
    assert strategies == {"rfm", "stages"}


def test_cross_subject_tags_in_both_directions(library):
    pairs = {(t.subject, d.subject) for t in library.all_tags() if t.kind == "cross" for d in t.deps if d.subject != t.subject}
    assert ("member", "store") in pairs and ("store", "member") in pairs
    assert ("product", "member") in pairs and ("staff", "store") in pairs


def test_generated_tags_carry_full_metadata(library):
    tag = library.tags["member"]["cat_face_cream_spend_30d"]
    assert tag.display_name == "近30天面霜消费金额"
    assert "面霜" in tag.description and tag.owner and tag.business_line and tag.category
    assert tag.type == "double" and tag.status == "online" and tag.layer == "base"


def test_expansion_is_deterministic(library):
    again = load_library(ROOT)
    for name, info in library.families.items():
        assert again.families[name].tags == info.tags


def test_compiles_with_every_step_kind(library):
    plan = compile_library(library)
    kinds = {step.kind for p in plan.subjects.values() for _d, step in p.steps}
    assert kinds == {"aggregate", "preference", "family", "derived", "cross_lookup", "cross_aggregate", "model"}
    assert plan.tag_count() == sum(1 for t in library.all_tags() if t.status == "online")


def test_days_since_comparisons_follow_the_last_n_days_convention(library):
    """docs/tagdefs.md: "within the last N days" is `days_since < N`, "not within them" `>= N`; a
    `<=` or `>` against a number would mix conventions (`<= 29` next to `< 30`)."""
    from sqlglot import exp

    from taglake.core.expressions import parse

    days = {t.name for t in library.all_tags()
            if (t.kind == "recency" and getattr(t.spec, "output", "days_since") == "days_since")
            or t.name.endswith(("tenure_days", "age_days"))}
    offenders = []
    for tag in library.all_tags():
        if tag.family is not None or tag.kind not in ("rule", "composite", "cross"):
            continue
        spec = tag.spec
        if tag.kind == "cross":
            texts = [spec.value]   # over the related subject's tags (tenure_days of staff ...)
        elif getattr(spec, "expr", None):
            texts = [spec.expr]
        else:
            texts = [c.when for c in (getattr(spec, "cases", None) or getattr(spec, "stages", None) or [])]
        for text in texts:
            for node in parse(text).find_all(exp.LTE, exp.GT):
                sides = (node.this, node.expression)
                if any(isinstance(s, exp.Column) and s.name in days for s in sides) and any(isinstance(s, exp.Literal) for s in sides):
                    offenders.append(f"{tag.ref}: {node.sql()}")
    # Segment rules (their own language; the comparison reads the same): tagdefs/segments/*.yaml
    import re

    import yaml

    compared = re.compile(rf"\b({'|'.join(sorted(days))})\s*(<=|>(?!=))\s*\d")
    for path in sorted((ROOT / "segments").glob("*.yaml")):
        for segment in yaml.safe_load(path.read_text(encoding="utf-8")).get("segments") or []:
            if compared.search(segment.get("rule") or ""):
                offenders.append(f"segment {segment['name']}: {segment['rule']}")
    assert not offenders, offenders
    assert days >= {"days_since_last_order", "tenure_days", "days_since_last_refund"}


def test_identifier_presence_uses_canonical_ids(library):
    logged_in = library.tags["member"]["logged_in_events_30d"]
    assert "canonical_id('member_id', member_id)" in logged_in.spec.where
