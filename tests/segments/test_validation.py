"""Segment definitions: one broken fixture per error class, each message naming the file, line,
segment, position in the rule and what is allowed; every problem reported in one run; the shipped
demo segments are valid. Pure Python (no Spark)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from taglake.segments import SegmentError, load_segments
from taglake.tagdefs import load_library

FIXTURES = Path(__file__).parents[1] / "fixtures" / "segments"
BROKEN = sorted((FIXTURES / "broken").glob("*.yaml"))
REPO = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def library():
    return load_library(FIXTURES / "tagdefs")


def folder_with(tmp_path: Path, *extra: Path) -> Path:
    root = tmp_path / "tagdefs" / "segments"
    shutil.copytree(FIXTURES / "tagdefs" / "segments", root)
    for path in extra:
        shutil.copy(path, root / path.name)
    return root


def expectations(path: Path) -> list[str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: ...'"
    return [part.strip() for part in first.removeprefix("# expect: ").split(" | ")]


def test_fixture_segments_are_valid(library, tmp_path):
    segments = load_segments(folder_with(tmp_path), library)
    assert len(segments) >= 30


@pytest.mark.parametrize("case", BROKEN, ids=[p.stem for p in BROKEN])
def test_each_error_class_names_file_line_segment_position_and_what_is_allowed(library, tmp_path, case):
    with pytest.raises(SegmentError) as err:
        load_segments(folder_with(tmp_path, case), library)
    text = str(err.value)
    for fragment in expectations(case):
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    ours = [p for p in err.value.problems if p.file.endswith(case.name)]
    assert ours and all(p.line > 0 for p in ours), text
    if len(err.value.problems) == 1:
        assert "\n" not in text, "one problem is one line"


def test_rule_problem_points_at_the_rule_line_of_the_file(library, tmp_path):
    case = FIXTURES / "broken" / "syntax.yaml"
    with pytest.raises(SegmentError) as err:
        load_segments(folder_with(tmp_path, case), library)
    (problem,) = err.value.problems
    assert case.read_text(encoding="utf-8").splitlines()[problem.line - 1].strip().startswith("rule: city = 上海")


def test_block_scalar_rules_point_at_the_line_inside_the_block(library, tmp_path):
    root = folder_with(tmp_path)
    (root / "block.yaml").write_text(
        "defaults: {subject: member, owner: qa, business_line: 会员运营}\n"
        "segments:\n"
        "  - name: block\n"
        "    display_name: 多行\n"
        "    description: a rule over several lines\n"
        "    rule: |\n"
        "      is_vip\n"
        "      AND levl = '金卡'\n", encoding="utf-8")
    with pytest.raises(SegmentError) as err:
        load_segments(root, library)
    (problem,) = err.value.problems
    assert problem.line == 8 and "unknown tag 'levl'" in problem.message and "did you mean 'level'" in problem.message


def test_every_problem_is_reported_in_one_run(library, tmp_path):
    cases = [FIXTURES / "broken" / n for n in ("unknown_tag.yaml", "domain.yaml", "cycle.yaml", "visibility.yaml", "syntax.yaml")]
    with pytest.raises(SegmentError) as err:
        load_segments(folder_with(tmp_path, *cases), library)
    assert {Path(p.file).name for p in err.value.problems} == {c.name for c in cases}
    assert str(err.value).startswith(f"{len(err.value.problems)} problems in segment definitions:")


def test_shipped_demo_segments_are_valid_and_varied():
    library = load_library(REPO / "tagdefs")
    segments = load_segments(REPO / "tagdefs" / "segments", library)
    assert len(segments.active()) >= 15
    specs = [s.spec for s in segments.segments.values()]
    assert {s.base_kind for s in specs} == {"rule", "union", "intersect", "except"}
    assert any(s.top for s in specs) and any(s.split and s.split.holdout for s in specs)
    assert len({s.business_line for s in specs}) >= 3
    # 100 segments over ~50 tags would read one column group per tag; the demo reads each tag once
    assert len(segments.tags_read(segments.active())) <= 40


def test_definition_hash_ignores_formatting_but_not_meaning(library, tmp_path):
    def hash_of(rule: str) -> str:
        root = tmp_path / f"case{len(list(tmp_path.iterdir()))}" / "segments"
        root.mkdir(parents=True)
        (root / "one.yaml").write_text(
            "defaults: {subject: member, owner: qa, business_line: 会员运营}\n"
            f"segments:\n  - {{name: one, display_name: x, description: x, rule: \"{rule}\"}}\n", encoding="utf-8")
        return load_segments(root, library).segments["one"].definition_hash

    base = hash_of("city = '上海' AND is_vip")
    assert hash_of("city='上海'   and   is_vip") == base
    assert hash_of("(city = 上海) and (is_vip)".replace("上海", "'上海'")) == base
    assert hash_of("city = '北京' AND is_vip") != base
