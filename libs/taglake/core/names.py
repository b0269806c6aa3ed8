"""Machine names (tags, families, subject keys, segments): snake_case ASCII, at most 64 characters."""

from __future__ import annotations

import re

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_NAME = 64


def is_machine_name(value: str) -> bool:
    return bool(NAME_RE.match(value)) and len(value) <= MAX_NAME


def machine_name(value: str) -> str:
    """A pydantic field validator: the value, or a ValueError saying what a machine name is."""
    if not NAME_RE.match(value):
        raise ValueError(f"{value!r} is not a machine name: use snake_case ASCII (a-z, 0-9, _), starting with a letter")
    if len(value) > MAX_NAME:
        raise ValueError(f"{value!r} is {len(value)} characters long; the limit is {MAX_NAME}")
    return value
