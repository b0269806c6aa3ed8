"""Load tagdefs/ into a validated `Library`, reporting every problem in one run.

Three steps, as in the codebases we follow: *loading* reads the files into shapes (pydantic models
that reject unknown keys; `loading.py`), *checking* works out what they mean (references,
expressions, columns, types, layers, cycles; `checking.py`), *resolving* builds the library with
the parsed expressions and dependencies (`resolving.py`). Problems accumulate; nothing is raised
until the end.
"""

from __future__ import annotations

from pathlib import Path

from taglake.core.problems import ProblemLog
from taglake.tagdefs import identifiers
from taglake.tagdefs.checking import Checker, SchemaProvider
from taglake.tagdefs.library import Library
from taglake.tagdefs.loading import read_shapes
from taglake.tagdefs.resolving import resolve

__all__ = ["SchemaProvider", "load_library"]


def load_library(root: Path | str, schemas: SchemaProvider | None = None, database: str = "taglake", ignore_lock: bool = False) -> Library:
    """Load and validate tagdefs/; raises TagDefError listing every problem found. `schemas`: check
    the columns expressions read against the catalog; `ignore_lock`: families whose values are
    not discovered yet expand to nothing (what `taglake discover` needs)."""
    root = Path(root)
    problems = ProblemLog()
    identity = identifiers.rules_for(root)  # identity.yaml: what canonical_id(...) expands to
    types = identity.id_types  # an identity key may use any of its types
    shapes = read_shapes(root, problems, ignore_lock)
    resolution = Checker(shapes, problems, schemas, database, types, identity).check()
    problems.raise_if_any(f"tag definitions under {root}")
    return resolve(shapes, resolution, columns_checked=schemas is not None, id_types=types)
