"""The segment commands end to end: readable one-line errors (no Spark for bad definitions),
evaluation, portraits and exports through `taglake ...`, and the nightly stage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from taglake.cli import app as cli_app
from taglake.cli import main
from taglake.pipeline import STAGES, RunContext

from .conftest import D1, D2, SEGMENTS, TAGDEFS, stored_members

BROKEN = Path(__file__).parents[1] / "fixtures" / "segments" / "broken"


def tagdefs_with(tmp_path: Path, *extra: Path, segments: list[str] | None = None) -> Path:
    """A copy of the fixture tag library with its segments (or only `segments` of them) plus `extra` files."""
    root = tmp_path / "tagdefs"
    shutil.copytree(TAGDEFS, root)
    if segments is not None:
        data = yaml.safe_load((SEGMENTS / "operators.yaml").read_text(encoding="utf-8"))
        data["segments"] = [s for s in data["segments"] if s["name"] in segments]
        (root / "segments" / "operators.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for path in extra:
        shutil.copy(path, root / "segments" / path.name)
    return root


@pytest.fixture(autouse=True)
def fresh_cli_state(monkeypatch):
    """The CLI keeps its settings and session in a module-level context: one per test."""
    monkeypatch.setattr(cli_app, "_state", cli_app.AppContext())


@pytest.fixture
def conf(snapshot, tmp_path) -> Path:
    """A conf YAML for the suite's snapshot database, with Spark settings for tiny data."""
    data = snapshot.settings.model_dump(mode="json", exclude={"root"})
    data["tagdefs"] = str(TAGDEFS)
    data["spark"]["conf"] = {"spark.sql.shuffle.partitions": 2}
    path = tmp_path / "conf" / "test.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_bad_rule_is_one_readable_line_and_exit_1(tmp_path, capsys):
    root = tagdefs_with(tmp_path, BROKEN / "unknown_tag.yaml")
    assert main(["segments", "--check", "--tagdefs", str(root)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert err.startswith("error: invalid segment definition: ") and "unknown tag 'citty' of member; did you mean 'city'?" in err
    assert "Traceback" not in err


def test_several_bad_rules_are_one_line_each(tmp_path, capsys):
    root = tagdefs_with(tmp_path, BROKEN / "domain.yaml", BROKEN / "syntax.yaml")
    assert main(["segments", "--check", "--tagdefs", str(root)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == "error: 2 problems in segment definitions:" and len(lines) == 3


def test_check_lists_the_plan_without_spark(tmp_path, capsys):
    assert main(["segments", "--check", "--tagdefs", str(tagdefs_with(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "member: 35 segment(s) (35 asked), 9 tag column(s) read once, 3 step(s), 2 with top-N" in out
    assert "OK: 35 segment(s) valid." in out


def test_unknown_segment_name_suggests_one(tmp_path, capsys):
    assert main(["segments", "--check", "--segment", "eq_cty", "--tagdefs", str(tagdefs_with(tmp_path))]) == 1
    assert "unknown segment 'eq_cty'; did you mean eq_city" in capsys.readouterr().err


def test_segments_profile_and_export_commands(spark, snapshot, evaluated, conf, tmp_path, capsys):
    before = stored_members(spark, snapshot.settings, D2, "eq_city")
    assert main(["segments", "--conf", str(conf), "--date", str(D2), "--segment", "eq_city,ab_test"]) == 0
    out = capsys.readouterr().out
    assert "eq_city" in out and "ab_test" in out and "segment_members" in out
    assert stored_members(spark, snapshot.settings, D2, "eq_city") == before

    csv_path = tmp_path / "portrait.csv"
    assert main(["profile", "ab_test:A", "--vs", "ab_test:B", "--tags", "level,age", "--conf", str(conf),
                 "--csv", str(csv_path)]) == 0
    out = capsys.readouterr().out
    assert "ab_test:A" in out and "TGI" in out and csv_path.read_text(encoding="utf-8").startswith("snapshot_date,segment,base")

    out_dir = tmp_path / "exports"
    assert main(["export", "eq_city", "--date", str(D2), "--columns", "city,phone", "--mask", "phone",
                 "--out", str(out_dir), "--conf", str(conf)]) == 0
    assert (out_dir / "eq_city_2026-11-22.csv").is_file() and (out_dir / "eq_city_2026-11-22.manifest.json").is_file()

    assert main(["export", "eq_city", "--date", str(D2), "--columns", "cty", "--out", str(out_dir), "--conf", str(conf)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown column(s) cty" in err


def test_nightly_stage_evaluates_the_active_segments(spark, snapshot, evaluated, tmp_path):
    names = [s.name for s in STAGES]
    assert names.index("segments") == names.index("tags") + 1   # right after the tags
    root = tagdefs_with(tmp_path, segments=["eq_city", "vip", "union_set"])
    settings = snapshot.settings.with_overrides(tagdefs=str(root))
    counts = next(s for s in STAGES if s.name == "segments").load()(RunContext(spark, settings, D2))
    want = len(set(stored_members(spark, settings, D2, "eq_city")) | set(stored_members(spark, settings, D2, "vip")))
    assert counts["segments"] == 3 and counts["members"] >= want


def test_demo_summary_lists_sizes_and_one_portrait(spark, snapshot, evaluated):
    from taglake.segments.report import demo_summary

    settings = snapshot.settings.with_overrides(tagdefs=str(TAGDEFS))
    text = demo_summary(spark, settings, D2, portrait="eq_city", tags=["level"])
    sizes = {r.name: r.size for r in evaluated[D2].values()}
    assert f"segments on {D2}" in text and "TGI" in text and "eq_city (" in text
    assert all(name in text for name in ("logic", "ab_test", "top_spenders"))
    assert f"{sizes['eq_city']:,}" in text
    assert "No segments were evaluated" in demo_summary(spark, settings, D1.replace(day=1))
