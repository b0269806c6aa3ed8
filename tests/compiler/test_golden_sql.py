"""Golden files: the SQL the compiler emits for one representative tag of every kind and for a
family cell, from the shipped tag library. A compiler change shows up as a diff of these files.

Regenerate after an intended change with `TAGLAKE_REGEN_GOLDEN=1 pytest tests/compiler` and review
the diff like code.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from taglake.compiler import contribution
from taglake.compiler.builders.family import standalone_sql
from taglake.settings import PROJECT_ROOT
from taglake.tagdefs import load_library
from taglake.tagdefs.kinds import tag_kinds

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("TAGLAKE_REGEN_GOLDEN") == "1"


@pytest.fixture(scope="module")
def library():
    return load_library(PROJECT_ROOT / "tagdefs")


def representative(library, kind: str):
    """The first hand-written tag of a kind (by subject and name): stable while the library is."""
    tags = sorted((t for t in library.all_tags() if t.kind == kind and t.cell is None), key=lambda t: (t.subject, t.name))
    return tags[0] if tags else None


def rendered(tag, library) -> str:
    c = contribution(tag, library)
    lines = [f"-- {tag.subject}.{tag.name} ({tag.kind}, {tag.type}) -> {type(c).__name__}"]
    for f in dataclasses.fields(c):
        value = getattr(c, f.name)
        if isinstance(value, frozenset):
            value = sorted(value)
        lines.append(f"-- {f.name}:" if isinstance(value, str) and "\n" in value else f"-- {f.name}: {value!s}"
                     if not isinstance(value, str) else f"{f.name}:\n{value}")
    if tag.cell is not None:
        lines.append(f"standalone:\n{standalone_sql(tag)}")
    return "\n".join(lines) + "\n"


def check(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.sql"
    if REGENERATE or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not REGENERATE:
            pytest.fail(f"{path} did not exist; written now: review it and commit it")
    assert text == path.read_text(encoding="utf-8"), f"compiled SQL changed: diff {path} (TAGLAKE_REGEN_GOLDEN=1 to accept)"


@pytest.mark.parametrize("kind", list(tag_kinds()))
def test_each_kind_compiles_to_its_golden_sql(library, kind):
    tag = representative(library, kind)
    if tag is None:
        pytest.skip(f"the shipped library has no {kind} tag")
    check(f"kind_{kind}", rendered(tag, library))


def test_a_family_cell_compiles_to_its_golden_sql(library):
    family = sorted(library.families)[0]
    tag = library.tag(f"{library.families[family].spec.subject}.{library.families[family].tags[0]}")
    check("family_cell", rendered(tag, library))
