"""Every YAML example in docs/segments.md is a test input: `# file:` blocks together must validate
against the shipped tag library; each `# broken:` block must fail with the message it shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from taglake.segments import SegmentError, load_segments
from taglake.tagdefs import load_library

REPO = Path(__file__).parents[2]
DOC = (REPO / "docs" / "segments.md").read_text(encoding="utf-8")
FILES = re.findall(r"```yaml\n(# file: (\S+)\n.*?)```", DOC, flags=re.DOTALL)
BROKEN = re.findall(r"```yaml\n# broken: (.*?)\n(.*?)```", DOC, flags=re.DOTALL)


@pytest.fixture(scope="module")
def library():
    return load_library(REPO / "tagdefs")


def test_doc_segment_files_validate(library, tmp_path):
    assert len(FILES) >= 4
    for text, name in FILES:
        target = tmp_path / "tagdefs" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    segments = load_segments(tmp_path / "tagdefs" / "segments", library)
    specs = {s.spec.base_kind for s in segments.segments.values()}
    assert specs == {"rule", "union", "intersect", "except"}
    assert segments.segments["doc_sms_ab"].groups == ["A", "B", "holdout"]
    assert segments.segments["doc_churn_risk"].spec.status == "paused"


@pytest.mark.parametrize("message, text", BROKEN, ids=[f"broken{i}" for i in range(len(BROKEN))])
def test_doc_error_examples_fail_with_their_message(library, tmp_path, message, text):
    folder = tmp_path / "segments"
    folder.mkdir()
    (folder / "example.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SegmentError) as err:
        load_segments(folder, library)
    assert message in str(err.value)


def test_doc_null_table_rules_parse():
    from taglake.segments.grammar import parse_rule

    rules = re.findall(r"^\| `([^`]+)`(?: \([^)]*\))? \| (?:in|out)", DOC, flags=re.MULTILINE)
    assert len(rules) >= 6
    for rule in rules:
        parse_rule(rule)
