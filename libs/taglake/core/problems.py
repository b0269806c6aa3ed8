"""Validation problems, collected and reported together, and pydantic errors turned into them.

Every problem names the file, the line, the key path, the bad value and what is allowed, in the
style of `tagdefs/tags/member/rfm.yaml:42 tags[3].window: 'abc' is not valid: ...`. Tag
definitions, segments and identity.yaml all report through `ProblemLog` and `DefinitionError`.
"""

from __future__ import annotations

import typing
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import UnionType
from typing import Any

from pydantic import BaseModel, ValidationError

from taglake.core.suggest import did_you_mean
from taglake.core.yamlio import YamlProblem, line_at, path_text
from taglake.errors import InputError


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    path: str
    message: str
    code: str = "invalid"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def show(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DefinitionError(InputError):
    """Invalid definitions: carries every problem found in one run, one line each."""

    #: How one problem alone is introduced (None: like several, "1 problem in ...").
    single: str | None = None

    def __init__(self, what: str, problems: list[Problem]):
        self.problems = problems
        if len(problems) == 1 and self.single:
            super().__init__(f"{self.single}: {problems[0]}")
            return
        lines = "\n".join(f"  {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} in {what}:\n{lines}")


class TagDefError(DefinitionError):
    """Invalid tag definitions."""


@dataclass
class ProblemLog:
    """Accumulates problems so one run reports all of them (not one per run)."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, file: str, line: int, path: str, message: str, code: str = "invalid") -> None:
        self.problems.append(Problem(file, line, path, message, code))

    def yaml(self, err: YamlProblem) -> None:
        self.add(err.file, err.line, err.path, err.message, code="yaml")

    def extend(self, other: ProblemLog) -> None:
        self.problems.extend(other.problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def raise_if_any(self, what: str = "tag definitions", error: type[DefinitionError] = TagDefError) -> None:
        if self.problems:
            raise error(what, sorted(set(self.problems)))

    # -- pydantic errors ---------------------------------------------------------------------------

    def pydantic(
        self,
        error: ValidationError,
        raw: Any,
        *,
        file: str,
        line: int,
        path: str = "",
        model: type[BaseModel] | None = None,
        holder: Any = None,
        branches: Iterable[str] = (),
    ) -> None:
        """One problem per key path of a pydantic error on `raw` (the YAML data validated).

        `model`: the class that validated `raw` (for the keys allowed where an unknown key was
        found and the help text of a pattern); `holder`: the `Located` data lines are read from
        (default `raw`); `branches`: discriminated-union tags that pydantic puts first in a location.
        """
        holder = raw if holder is None else holder
        branch_names = set(branches)
        grouped: dict[tuple, list[Any]] = defaultdict(list)
        for err in error.errors():
            loc = tuple(err["loc"])
            if loc and loc[0] in branch_names:
                loc = loc[1:]
            grouped[_data_path(raw, loc)].append(err)
        for loc, errs in grouped.items():
            where = path + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc) if path else path_text(loc)
            first = errs[0]
            kind = first["type"]
            if kind == "extra_forbidden":
                key = str(loc[-1]) if loc else "?"
                allowed = allowed_keys(model, loc[:-1]) if model else []
                msg = f"unknown key {key!r}"
                if allowed:
                    msg += f" (allowed: {', '.join(allowed)}){did_you_mean(key, allowed)}"
            elif kind == "missing":
                msg = "required key is missing"
            elif kind == "union_tag_invalid":
                where += ".kind"
                ctx = first.get("ctx", {})
                msg = f"kind {ctx.get('tag')!r} is not a tag kind (allowed: {ctx.get('expected_tags', '').replace(chr(39), '')})"
            elif kind == "union_tag_not_found":
                where += ".kind"
                msg = "required key `kind` is missing"
            elif kind == "string_pattern_mismatch" and model and (help_text := _field_help(model, loc)):
                msg = f"{show(first.get('input'))} is not valid (allowed: {help_text})"
            else:
                reasons: list[str] = []
                for err in errs:
                    text = err["msg"].removeprefix("Value error, ")
                    if text not in reasons:
                        reasons.append(text)
                value = first.get("input")
                msg = "; ".join(reasons) if isinstance(value, dict) else f"{show(value)} is not valid: " + "; or ".join(reasons)
            self.add(file, line_at(holder, loc) or line, where, msg, code="shape")


def _data_path(raw: Any, loc: tuple) -> tuple:
    """The part of a pydantic error location that names keys and indexes of the YAML data
    (union branches such as `list[str]`, `function-after[...]` or `Discover` are pydantic's)."""
    path: list[Any] = []
    node = raw
    for part in loc:
        if isinstance(node, Mapping) and str(part) in node:
            path.append(part)
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, Mapping) and isinstance(part, str) and not any(c in part for c in "[]") and part[:1].islower():
            path.append(part)  # a missing or unknown key
            node = None
    return tuple(path)


def _model_at(model: Any, loc: Iterable[Any]) -> tuple[Any, Any]:
    """(model class, field info) reached by following `loc` through field annotations."""
    info = None
    skip_key = False  # the part after a dict field is the user's key, not a field name
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if skip_key or isinstance(part, int) or fields is None:
            skip_key = False
            continue
        by_alias = {(f.alias or n): f for n, f in fields.items()}
        info = by_alias.get(str(part))
        if info is None:
            return None, None
        skip_key = _is_dict(info.annotation)
        model = _inner(info.annotation)
    return model, info


def _is_dict(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (typing.Union, UnionType):
        return any(_is_dict(a) for a in typing.get_args(annotation))
    return typing.get_origin(annotation) is dict


def _inner(annotation: Any) -> Any:
    """The model inside list[...] / dict[str, ...] / X | None annotations (the last model argument)."""
    while typing.get_origin(annotation) in (list, dict, typing.Union, UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        annotation = models[-1] if models else args[-1]
    return annotation


def allowed_keys(model: type[BaseModel] | None, loc: Iterable[Any] = ()) -> list[str]:
    """Keys the model accepts at `loc` (declaration order, aliases as written in YAML)."""
    target, _info = _model_at(model, loc)
    fields = getattr(target, "model_fields", None)
    if not fields:
        return []
    return [f.alias or name for name, f in fields.items() if not f.exclude]


def _field_help(model: type[BaseModel], loc: tuple) -> str | None:
    _target, info = _model_at(model, loc)
    return info.description if info is not None else None


__all__ = ["DefinitionError", "Problem", "ProblemLog", "TagDefError", "allowed_keys", "show"]
