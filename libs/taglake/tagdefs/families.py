"""Families: one definition, many tags — metric x dimension values x windows.

Expansion is deterministic: dimension values come from the YAML (static lists) or from
`tagdefs/families.lock.yaml`, written by `taglake discover` from data and reviewed in git like
any other change, so validation and compilation never need Spark and never change silently when
tomorrow's data ranks categories differently.

Machine names need ASCII; dimension values are often Chinese. A value's *code* comes from a
dictionary (`dictionaries:` in tagdefs), else from its ASCII slug, else from a short stable hash.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from taglake.core.hashing import stable_hash
from taglake.tagdefs.model import FamilyBase, RecencyFamily, RuleFamily, StatFamily

LOCK_FILE = "families.lock.yaml"
_SLUG = re.compile(r"[^a-z0-9]+")


def code_for(value: str, dictionary: dict[str, str] | None = None) -> str:
    if dictionary and value in dictionary:
        return dictionary[value]
    slug = _SLUG.sub("_", str(value).lower()).strip("_")
    if slug and slug.isascii() and slug[0].isalpha():
        return slug
    return "x" + hashlib.md5(str(value).encode("utf-8")).hexdigest()[:6]


def window_code(window: int | str) -> str:
    return "all" if window == "all" else f"{window}d"


def window_label(window: int | str) -> str:
    return "累计" if window == "all" else f"近{window}天"


class _Text:
    """A template value: `{x}` gives `str`, `{x.label}` / `{x.code}` / `{x.display}` the others."""

    def __init__(self, text: str, **attrs: Any):
        self._text = text
        self.__dict__.update(attrs)

    def __str__(self) -> str:
        return self._text

    def __format__(self, spec: str) -> str:
        return format(self._text, spec)


@dataclass(frozen=True)
class Cell:
    """One generated tag's coordinates in its family's grid."""

    family: str
    dims: tuple[tuple[str, str], ...]   # (dimension, value) in the family's `by` order
    window: int | str | None = None
    metric: str | None = None
    values: tuple[str, ...] = ()        # the dimension values alone, in `by` order


@dataclass(frozen=True)
class Generated:
    name: str
    display_name: str
    description: str
    cell: Cell


def discover_key(family: FamilyBase, dim: str) -> str:
    """Fingerprint of a discovery rule, so a lock made for other rules is detected as stale."""
    spec = family.by[dim].discover
    assert spec is not None
    payload = {"column": family.by[dim].column, "source": getattr(family, "source", None), **spec.model_dump()}
    return stable_hash(payload, length=12, algorithm="sha1")


def read_lock(root: Path) -> dict[str, Any]:
    path = root / LOCK_FILE
    if not path.is_file():
        return {}
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("families", {}) or {}


def write_lock(root: Path, discovered: dict[str, dict[str, dict[str, Any]]], note: str) -> Path:
    path = root / LOCK_FILE
    header = (
        "# Dimension values discovered from data for families with `values: {discover: ...}`.\n"
        f"# Written by `taglake discover` ({note}). Review changes like code:\n"
        "# a value added here is a new tag column, a value removed is a column no longer computed.\n"
    )
    body = yaml.safe_dump({"families": discovered}, allow_unicode=True, sort_keys=True, width=120)
    path.write_text(header + body, encoding="utf-8")
    return path


def dimension_values(family: FamilyBase, lock: dict[str, Any]) -> tuple[dict[str, list[str]], list[str]]:
    """Values per dimension, and problems (missing or stale lock entries)."""
    values: dict[str, list[str]] = {}
    problems: list[str] = []
    for dim, spec in family.by.items():
        if spec.values is not None:
            values[dim] = [str(v) for v in spec.values]
            continue
        entry = (lock.get(family.name) or {}).get(dim)
        if not entry:
            problems.append(f"dimension {dim!r} discovers its values from data, but {LOCK_FILE} has none for it; run `taglake discover`")
            values[dim] = []
        elif entry.get("rule") != discover_key(family, dim):
            problems.append(f"dimension {dim!r}: {LOCK_FILE} was discovered with other rules; run `taglake discover` to refresh it")
            values[dim] = [str(v) for v in entry.get("values", [])]
        else:
            values[dim] = [str(v) for v in entry.get("values", [])]
    return values, problems


def expand(family: FamilyBase, values: dict[str, list[str]], dictionaries: dict[str, dict[str, str]]) -> list[Generated]:
    """Every tag of the family, in a stable order (dimensions in `by` order, then windows, metrics).
    Template contexts are built once per value, window and metric, not once per tag."""
    per_dim = []
    for dim, spec in family.by.items():
        dictionary = dictionaries.get(dim) or dictionaries.get(spec.column) or {}
        per_dim.append([
            (dim, value, code_for(value, dictionary), _Text(spec.labels.get(value, value), code=code_for(value, dictionary),
                                                             value=value, label=spec.labels.get(value, value)))
            for value in values[dim]
        ])
    windows: list[Any] = list(family.windows) if isinstance(family, StatFamily) else [None]
    metrics: list[Any] = list(family.metrics.items()) if isinstance(family, StatFamily) else [(None, None)]
    window_ctx = [({} if w is None else {"window": window_code(w)},
                   {} if w is None else {"window": _Text(window_label(w), days=w, code=window_code(w))}) for w in windows]
    metric_ctx = [({} if m is None else {"metric": m},
                   {} if m is None else {"metric": _Text(spec.display, code=m, display=spec.display)}) for m, spec in metrics]
    out: list[Generated] = []
    name_t, display_t, description_t = family.tag_name, family.display_name, family.description
    for combo in itertools.product(*per_dim):
        dims = tuple((d, v) for d, v, _c, _t in combo)
        values_key = tuple(v for _d, v in dims)
        base_name = {d: code for d, _v, code, _t in combo}
        base_text = {d: text for d, _v, _c, text in combo}
        for w, (w_name, w_text) in zip(windows, window_ctx):
            for (m, _spec), (m_name, m_text) in zip(metrics, metric_ctx):
                text = {**base_text, **w_text, **m_text}
                out.append(Generated(
                    name=name_t.format_map({**base_name, **w_name, **m_name}),
                    display_name=display_t.format_map(text),
                    description=description_t.format_map(text),
                    cell=Cell(family.name, dims, w, m, values_key),
                ))
    return out


def template_fields(family: FamilyBase) -> set[str]:
    """Placeholders a family's templates may use."""
    allowed = set(family.by)
    if isinstance(family, StatFamily):
        allowed |= {"window", "metric"}
    return allowed


def rule_expression(family: RuleFamily, cell_codes: dict[str, str]) -> str:
    """The rule text for one cell: `{dim}` placeholders replaced by the value codes (names only)."""
    return family.expr.format_map(cell_codes)


__all__ = [
    "Cell", "Generated", "LOCK_FILE", "RecencyFamily", "RuleFamily", "StatFamily", "code_for", "dimension_values",
    "discover_key", "expand", "read_lock", "rule_expression", "template_fields", "window_code", "window_label",
    "write_lock",
]
