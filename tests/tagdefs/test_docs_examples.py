"""Every YAML example in docs/tagdefs.md marked `# file:` is a test input: together they form a
library that must validate and compile."""

import re
from pathlib import Path

from taglake.compiler import compile_library
from taglake.tagdefs import load_library

DOC = Path(__file__).parents[2] / "docs" / "tagdefs.md"


def test_doc_examples_validate_and_compile(tmp_path):
    blocks = re.findall(r"```yaml\n(# file: (\S+)\n.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 5
    root = tmp_path / "tagdefs"
    for text, name in blocks:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    library = load_library(root)
    kinds = {t.kind for t in library.all_tags()}
    assert kinds >= {"attribute", "stat", "recency", "preference", "bucket", "rule", "composite", "cross", "model"}
    assert len(library.families["category_spend"].tags) == 8
    assert library.tags["member"]["cat_skincare_amount_30d"].display_name == "近30天护肤金额"
    assert library.tags["member"]["loves_makeup"].rendered["expr"] == "`cat_makeup_amount_365d` >= 1000"
    compile_library(library)
