"""The one pydantic base for everything read from YAML (tag definitions, identity, segments, conf)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown keys are errors: a typo in YAML must fail loudly, not be ignored. Frozen, so a
    validated definition cannot drift; surrounding whitespace of strings is dropped; a field with
    an alias (`else`, `except`) may also be filled by its Python name."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True)
