"""tagdefs/identity.yaml: which tables assert links between identifiers, per-type rules, guards.

Loaded in two steps, every problem collected before anything is raised: the shape (pydantic,
unknown keys rejected), then the meaning (types referenced exist, regexes compile, filters parse,
names are unique). Each message names the file, line, key path, the bad value and what is allowed:

    tagdefs/identity.yaml:31 sources[2].identifiers[0].type: 'phon' is not an identifier type
    (allowed: cookie_id, device_id, email, ...)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from taglake.errors import InputError

#: The identifier types taglake knows out of the box; identity.yaml may add its own.
DEFAULT_ID_TYPES: tuple[str, ...] = (
    "phone", "email", "member_id", "wechat_openid", "wechat_unionid", "device_id", "cookie_id",
)

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_TABLE = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Blocklist(Model):
    """Values that are syntactically fine but assert nothing (placeholders, test numbers)."""

    exact: list[str] = Field(default_factory=list)
    regex: list[str] = Field(default_factory=list)

    def merged(self, other: Blocklist) -> Blocklist:
        return Blocklist(exact=_unique([*self.exact, *other.exact]), regex=_unique([*self.regex, *other.regex]))


class TypeRule(Model):
    """Canonicalisation, in this order: trim, delete `remove` matches, drop `strip_prefix`,
    lower-case; then the value must fully match `pattern` and not be blocklisted."""

    trim: bool = True
    remove: str | None = None
    strip_prefix: str | None = None
    lower: bool = False
    pattern: str = r"^\S{1,128}$"
    blocklist: Blocklist = Field(default_factory=Blocklist)


class IdentifierColumn(Model):
    column: str = Field(pattern=_NAME)
    type: str


class Source(Model):
    """One table whose rows assert that all their identifiers belong to one person."""

    name: str = Field(pattern=_NAME)
    table: str = Field(pattern=_TABLE)
    identifiers: list[IdentifierColumn] = Field(min_length=1)
    #: Timestamp/date column: rows after the snapshot date are ignored and first/last_seen come from
    #: it. Without one, a row counts as seen on the run date.
    seen_at: str | None = Field(None, pattern=_NAME)
    #: Spark SQL condition over the table's columns, e.g. "channel <> 'counter'".
    where: str | None = None
    description: str | None = None


class DegreeCap(Model):
    """A `node`-type identifier linked to more than `max` distinct `neighbour`-type identifiers loses
    all its links and stays a OneID of its own (a counter phone, a shared device)."""

    node: str
    neighbour: str
    max: int = Field(ge=1)


class Guards(Model):
    blocklist: Blocklist = Field(default_factory=lambda: DEFAULT_BLOCKLIST)
    caps: list[DegreeCap] = Field(default_factory=list)
    max_component_size: int = Field(1000, ge=2)
    #: Above max_component_size: `isolate` every identifier of the component (each its own OneID),
    #: `keep` it whole, or `fail` the run. All three write the component to the audit.
    on_oversize: Literal["isolate", "keep", "fail"] = "isolate"


class ComponentSettings(Model):
    #: Partitions for the contraction rounds; default: one per core (more for very large graphs).
    partitions: int | None = Field(None, ge=1)
    #: Once this few links remain they are finished on the driver in one step (scipy).
    driver_threshold: int = Field(2_000_000, ge=0)
    max_rounds: int = Field(40, ge=1)


class IdentityConfig(Model):
    version: Literal[1] = 1
    types: dict[str, TypeRule] = Field(default_factory=dict)
    sources: list[Source] = Field(default_factory=list)
    guards: Guards = Field(default_factory=Guards)
    components: ComponentSettings = Field(default_factory=ComponentSettings)
    #: Where it was loaded from (for messages); not a YAML key.
    origin: str = Field("<defaults>", exclude=True)

    @property
    def id_types(self) -> tuple[str, ...]:
        return tuple(self.types)

    def rule(self, id_type: str) -> TypeRule:
        try:
            return self.types[id_type]
        except KeyError:
            raise InputError(
                f"unknown identifier type {id_type!r} in {self.origin}; known: {', '.join(sorted(self.types))}"
            ) from None

    def blocklist(self, id_type: str) -> Blocklist:
        """Global blocklist plus the type's own."""
        return self.guards.blocklist.merged(self.rule(id_type).blocklist)

    @classmethod
    def default(cls) -> IdentityConfig:
        return _DEFAULT


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# Placeholders seen in real CRM / POS exports; matched after canonicalisation, so "NULL " is "null"
# only for lower-cased types; the upper-case spellings are listed too.
DEFAULT_BLOCKLIST = Blocklist(
    exact=["", "null", "NULL", "Null", "none", "None", "NONE", "nan", "NaN", "undefined", "unknown",
           "UNKNOWN", "Unknown", "-1", "0", "n/a", "N/A", "test", "TEST"],
    # One digit repeated (00000000000, 11111111111) and 0/-/space-only strings.
    regex=[r"^(\d)\1+$", r"^[0\-\s]*$"],
)

_PHONE_TEST_NUMBERS = ["13800000000", "13900000000", "12345678901", "13800138000", "13000000000",
                       "18888888888", "13888888888", "18000000000", "15000000000"]

DEFAULT_TYPE_RULES: dict[str, TypeRule] = {
    # Mainland mobile: +86 / 0086 / 86 prefixes, spaces, dashes, dots and brackets removed.
    "phone": TypeRule(remove=r"[\s\-().]", strip_prefix=r"^(\+86|0086|86)(?=1\d{10}$)",
                      pattern=r"^1[3-9]\d{9}$",
                      blocklist=Blocklist(exact=_PHONE_TEST_NUMBERS, regex=[r"^1\d(\d)\1{8}$"])),
    "email": TypeRule(lower=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                      blocklist=Blocklist(regex=[r"^(test|null|none|noreply|no-reply|unknown)@"])),
    "member_id": TypeRule(pattern=r"^[A-Za-z0-9_\-]{1,64}$"),
    "wechat_openid": TypeRule(pattern=r"^[A-Za-z0-9_\-]{6,64}$"),
    "wechat_unionid": TypeRule(pattern=r"^[A-Za-z0-9_\-]{6,64}$"),
    "device_id": TypeRule(pattern=r"^[A-Za-z0-9_\-:.]{4,128}$",
                          # All-zero advertising ids (tracking disabled) are the same on every phone.
                          blocklist=Blocklist(exact=["00000000-0000-0000-0000-000000000000"])),
    "cookie_id": TypeRule(pattern=r"^[A-Za-z0-9_\-.:]{4,128}$"),
}

_DEFAULT = IdentityConfig(types=DEFAULT_TYPE_RULES)


# ------------------------------------------------------------------------------------ loading

@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class IdentityConfigError(InputError):
    """identity.yaml is invalid; carries every problem found."""

    def __init__(self, file: str, problems: list[Problem]):
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} {noun} in {file}:\n{lines}")


def _show(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _path_text(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _compose(node: yaml.Node, path: tuple, lines: dict[tuple, int]) -> Any:
    """Plain Python data from a composed YAML node, remembering the line of every key path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(yaml.safe_load(yaml.serialize(key_node)))
            lines[(*path, key)] = key_node.start_mark.line + 1
            if key in out:
                raise _Duplicate(key, key_node.start_mark.line + 1, path)
            out[key] = _compose(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_compose(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


class _Duplicate(Exception):
    def __init__(self, key: str, line: int, path: tuple):
        self.key, self.line, self.path = key, line, path


def _line(lines: dict[tuple, int], path: tuple) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def load_identity_config(path: str | Path) -> IdentityConfig:
    """Read and validate identity.yaml; raise IdentityConfigError listing every problem."""
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise InputError(f"{shown}: identity configuration not found (expected tagdefs/identity.yaml)")
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise IdentityConfigError(shown, [Problem(shown, mark.line + 1 if mark else 0, "",
                                                  f"not valid YAML ({getattr(exc, 'problem', exc)})")]) from None
    lines: dict[tuple, int] = {}
    try:
        raw = _compose(root, (), lines) if root is not None else {}
    except _Duplicate as dup:
        raise IdentityConfigError(shown, [Problem(shown, dup.line, _path_text((*dup.path, dup.key)),
                                                  "duplicate key (each key may appear once)")]) from None
    return parse_identity_config(raw, shown, lines)


def parse_identity_config(raw: Any, file: str = "<identity config>",
                          lines: dict[tuple, int] | None = None) -> IdentityConfig:
    lines = lines or {}
    problems: list[Problem] = []

    def problem(path: tuple, message: str) -> None:
        problems.append(Problem(file, _line(lines, path), _path_text(path), message))

    if not isinstance(raw, dict):
        raise IdentityConfigError(file, [Problem(file, 1, "", f"expected a mapping at the top level, got {type(raw).__name__}")])

    # Types listed in the file start from taglake's defaults for that type, so a file that only
    # tightens one pattern keeps the built-in canonicalisation and blocklist.
    data = dict(raw)
    types_raw = data.get("types") or {}
    if isinstance(types_raw, dict):
        merged = {name: rule.model_dump() for name, rule in DEFAULT_TYPE_RULES.items()}
        for name, rule in types_raw.items():
            if isinstance(rule, dict) and name in merged:
                merged[name] = {**merged[name], **rule}
            else:
                merged[name] = rule if rule is not None else {}
        data["types"] = merged

    _check_meaning(data, problem)
    try:
        config = IdentityConfig(**data, origin=file)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            value = err.get("input")
            if err["type"] == "extra_forbidden":
                allowed = _allowed_keys(loc[:-1])
                problem(loc, f"unknown key{f' (allowed: {allowed})' if allowed else ''}")
            elif err["type"] == "missing":
                problem(loc, "required key is missing")
            elif err["type"] == "string_pattern_mismatch" and loc and loc[-1] in _PATTERN_HELP:
                problem(loc, f"{_show(value)} is not valid (allowed: {_PATTERN_HELP[loc[-1]]})")
            else:
                problem(loc, f"{_show(value)}: {err['msg']}")
        config = None
    if problems:
        raise IdentityConfigError(file, sorted(set(problems)))
    assert config is not None
    return config


_PATTERN_HELP = {
    "name": "letters, digits and _, not starting with a digit",
    "column": "a column name: letters, digits and _",
    "seen_at": "a column name: letters, digits and _",
    "table": "a table name or database.table, letters, digits and _",
}


def _allowed_keys(loc: tuple) -> str:
    """The keys the model accepts at `loc`, for an 'unknown key' message."""
    import typing

    model: Any = IdentityConfig
    skip_key = False
    for part in loc:
        if skip_key or isinstance(part, int):
            skip_key = False
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return ""
        annotation = fields[part].annotation
        while typing.get_origin(annotation) in (list, dict, typing.Union, getattr(__import__("types"), "UnionType", None)):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            skip_key = typing.get_origin(annotation) is dict
            annotation = args[-1]
            if skip_key:
                break
        model = annotation
    fields = getattr(model, "model_fields", None)
    return ", ".join(k for k in fields if k != "origin") if fields else ""


def _check_regex(pattern: str | None, path: tuple, problem) -> None:
    if pattern is None:
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        problem(path, f"{_show(pattern)} is not a valid regular expression ({exc})")


def _check_meaning(data: dict[str, Any], problem) -> None:
    """Meaning checks on the raw data, so they are reported together with shape problems."""
    types = data.get("types") if isinstance(data.get("types"), dict) else {}
    known = sorted(types)
    allowed = f"allowed: {', '.join(known)}"
    for name, rule in types.items():
        if not re.match(_NAME, str(name)):
            problem(("types", name), f"{_show(name)} is not a valid type name (letters, digits, _)")
        if not isinstance(rule, dict):
            continue
        for key in ("remove", "strip_prefix", "pattern"):
            if isinstance(rule.get(key), str):
                _check_regex(rule[key], ("types", name, key), problem)
        blocklist = rule.get("blocklist")
        if isinstance(blocklist, dict) and isinstance(blocklist.get("regex"), list):
            for i, pattern in enumerate(blocklist["regex"]):
                if isinstance(pattern, str):
                    _check_regex(pattern, ("types", name, "blocklist", "regex", i), problem)
    guards = data.get("guards") if isinstance(data.get("guards"), dict) else {}
    blocklist = guards.get("blocklist")
    if isinstance(blocklist, dict) and isinstance(blocklist.get("regex"), list):
        for i, pattern in enumerate(blocklist["regex"]):
            if isinstance(pattern, str):
                _check_regex(pattern, ("guards", "blocklist", "regex", i), problem)

    sources = data.get("sources") if isinstance(data.get("sources"), list) else []
    seen_names: dict[str, int] = {}
    for s, source in enumerate(sources):
        if not isinstance(source, dict):
            continue
        name = source.get("name")
        if isinstance(name, str):
            if name in seen_names:
                problem(("sources", s, "name"), f"{_show(name)} is already used by sources[{seen_names[name]}] (names must be unique)")
            seen_names.setdefault(name, s)
        columns: set[str] = set()
        identifiers = source.get("identifiers") if isinstance(source.get("identifiers"), list) else []
        for c, ident in enumerate(identifiers):
            if not isinstance(ident, dict):
                continue
            id_type = ident.get("type")
            if isinstance(id_type, str) and id_type not in types:
                problem(("sources", s, "identifiers", c, "type"), f"{_show(id_type)} is not an identifier type ({allowed})")
            column = ident.get("column")
            if isinstance(column, str):
                if column in columns:
                    problem(("sources", s, "identifiers", c, "column"), f"{_show(column)} is listed twice in this source")
                columns.add(column)
        where = source.get("where")
        if isinstance(where, str):
            from taglake.identity.edges import parse_filter

            try:
                parse_filter(where)
            except ValueError as exc:
                problem(("sources", s, "where"), f"{_show(where)}: {exc}")

    caps = guards.get("caps") if isinstance(guards.get("caps"), list) else []
    pairs: set[tuple[str, str]] = set()
    for c, cap in enumerate(caps):
        if not isinstance(cap, dict):
            continue
        for key in ("node", "neighbour"):
            value = cap.get(key)
            if isinstance(value, str) and value not in types:
                problem(("guards", "caps", c, key), f"{_show(value)} is not an identifier type ({allowed})")
        pair = (cap.get("node"), cap.get("neighbour"))
        if pair in pairs:
            problem(("guards", "caps", c), f"a cap for {pair[0]} → {pair[1]} is already defined")
        pairs.add(pair)
