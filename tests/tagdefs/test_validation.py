"""`taglake validate` on broken fixtures: one file per error class, each message naming the file,
line, key path, bad value and what is allowed; and all problems reported in one run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from taglake.cli import main
from taglake.tagdefs import TagDefError, load_library

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tagdefs"
BROKEN = sorted((FIXTURES / "broken").glob("*.yaml"))


class DictSchemas:
    """The SchemaProvider protocol over a plain dict (the catalog-backed one is tested with Spark)."""

    def __init__(self, tables: dict[str, dict[str, str]]):
        self.tables = tables

    def columns(self, table: str):
        return self.tables.get(table)


SCHEMAS = DictSchemas({
    "taglake.src_orders": {c: "string" for c in ("member_id", "store_id", "order_time", "paid_amount", "city")},
    "taglake.src_stores": {c: "string" for c in ("store_id", "city_tier")},
})


def library_with(tmp_path: Path, *extra: Path) -> Path:
    root = tmp_path / "tagdefs"
    shutil.copytree(FIXTURES / "base", root)
    for path in extra:
        shutil.copy(path, root / "tags" / path.name)
    return root


def expectations(path: Path) -> list[str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: ...'"
    return [part.strip() for part in first.removeprefix("# expect: ").split(" | ")]


def test_base_fixture_is_valid(tmp_path):
    library = load_library(library_with(tmp_path), schemas=SCHEMAS)
    assert set(library.tags) == {"member", "store"}


@pytest.mark.parametrize("case", BROKEN, ids=[p.stem for p in BROKEN])
def test_each_error_class_names_file_line_path_and_what_is_allowed(tmp_path, case):
    root = library_with(tmp_path, case)
    with pytest.raises(TagDefError) as err:
        load_library(root, schemas=SCHEMAS)
    text = str(err.value)
    for fragment in expectations(case):
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    # every problem names the file it comes from, with a line number
    ours = [p for p in err.value.problems if p.file.endswith(case.name)]
    assert ours, text
    assert all(p.line > 0 for p in ours), text


def test_problem_points_at_the_line_of_the_bad_key(tmp_path):
    root = library_with(tmp_path, FIXTURES / "broken" / "unknown_key.yaml")
    with pytest.raises(TagDefError) as err:
        load_library(root)
    (problem,) = err.value.problems
    line = (root / "tags" / "unknown_key.yaml").read_text().splitlines()[problem.line - 1]
    assert line.strip().startswith("windw:")


def test_every_problem_is_reported_in_one_run(tmp_path):
    cases = ["unknown_tag.yaml", "bad_kind.yaml", "type_mismatch.yaml", "cycle.yaml", "subquery.yaml"]
    root = library_with(tmp_path, *(FIXTURES / "broken" / c for c in cases))
    with pytest.raises(TagDefError) as err:
        load_library(root)
    files = {Path(p.file).name for p in err.value.problems}
    assert files == set(cases)
    assert len(err.value.problems) >= len(cases)


def test_cli_validate_prints_problems_and_exits_non_zero(tmp_path, capsys):
    root = library_with(tmp_path, FIXTURES / "broken" / "type_mismatch.yaml")
    assert main(["validate", "--offline", "--tagdefs", str(root)]) == 1
    err = capsys.readouterr().err
    assert "type_mismatch.yaml:" in err and "compares string tag `city` with number 3" in err
    assert "Traceback" not in err


def test_cli_validate_passes_on_the_fixture(tmp_path, capsys):
    assert main(["validate", "--offline", "--tagdefs", str(library_with(tmp_path))]) == 0
    assert "OK:" in capsys.readouterr().out


def test_an_identifier_type_declared_in_identity_yaml_keys_sources(tmp_path):
    """One list of identifier types: a type identity.yaml declares is accepted by tag sources."""
    root = library_with(tmp_path)
    (root / "identity.yaml").write_text("types:\n  alipay_id: {pattern: '^2088\\\\d{12}$'}\n", encoding="utf-8")
    (root / "tags" / "pay.yaml").write_text(
        "sources:\n  pay:\n    table: src_orders\n    keys:\n      member: {identity: {alipay_id: member_id}}\n", encoding="utf-8")
    library = load_library(root)
    assert "alipay_id" in library.id_types and "phone" in library.id_types
    (root / "identity.yaml").unlink()
    with pytest.raises(TagDefError, match="unknown identifier type 'alipay_id'"):
        load_library(root)
