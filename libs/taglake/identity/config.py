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
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError

from taglake.core.expressions import ExpressionProblem, parse_checked
from taglake.core.model import Strict
from taglake.core.problems import DefinitionError, Problem, ProblemLog, show
from taglake.core.yamlio import YamlProblem, line_at, load_file, path_text
from taglake.errors import InputError

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_TABLE = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$"


_NAME_HELP = "letters, digits and _, not starting with a digit"
_COLUMN_HELP = "a column name: letters, digits and _"
_TABLE_HELP = "a table name or database.table, letters, digits and _"


class Model(Strict):
    # Whitespace is meaningful here: `remove: " "` deletes spaces, blocklisted values are exact.
    model_config = ConfigDict(str_strip_whitespace=False)


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
    column: str = Field(pattern=_NAME, description=_COLUMN_HELP)
    type: str


class Source(Model):
    """One table whose rows assert that all their identifiers belong to one person."""

    name: str = Field(pattern=_NAME, description=_NAME_HELP)
    table: str = Field(pattern=_TABLE, description=_TABLE_HELP)
    identifiers: list[IdentifierColumn] = Field(min_length=1)
    #: Timestamp/date column: rows after the snapshot date are ignored and first/last_seen come from
    #: it. Without one, a row counts as seen on the run date.
    seen_at: str | None = Field(None, pattern=_NAME, description=_COLUMN_HELP)
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

#: The identifier types taglake knows out of the box; identity.yaml may add its own (see `id_types`).
DEFAULT_ID_TYPES: tuple[str, ...] = tuple(DEFAULT_TYPE_RULES)

#: Where the identity configuration lives inside the tag definitions folder.
IDENTITY_FILE = "identity.yaml"


def id_types(tagdefs: str | Path) -> tuple[str, ...]:
    """The identifier types of a tag-definitions folder: those its identity.yaml declares (with
    the built-in ones), or the built-in ones without the file. The one list every stage checks."""
    path = Path(tagdefs) / IDENTITY_FILE
    return load_identity_config(path).id_types if path.is_file() else DEFAULT_ID_TYPES


# ------------------------------------------------------------------------------------ loading

class IdentityConfigError(DefinitionError):
    """identity.yaml is invalid; carries every problem found."""


def load_identity_config(path: str | Path) -> IdentityConfig:
    """Read and validate identity.yaml; raise IdentityConfigError listing every problem."""
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise InputError(f"{shown}: identity configuration not found (expected tagdefs/identity.yaml)")
    try:
        raw = load_file(path)
    except YamlProblem as err:
        raise IdentityConfigError(shown, [Problem(err.file, err.line, err.path, err.message, "yaml")]) from None
    return parse_identity_config(raw if raw is not None else {}, shown)


def parse_identity_config(raw: Any, file: str = "<identity config>") -> IdentityConfig:
    """Validate identity data (a `Located` mapping from `core.yamlio` gives every problem its line)."""
    problems = ProblemLog()

    def problem(path: tuple, message: str) -> None:
        problems.add(file, line_at(raw, path) or 1, path_text(path), message)

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
    config = None
    try:
        config = IdentityConfig(**data, origin=file)
    except ValidationError as exc:
        problems.pydantic(exc, data, file=file, line=1, model=IdentityConfig, holder=raw)
    problems.raise_if_any(file, IdentityConfigError)
    assert config is not None
    return config


def _check_regex(pattern: str | None, path: tuple, problem) -> None:
    if pattern is None:
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        problem(path, f"{show(pattern)} is not a valid regular expression ({exc})")


def _check_meaning(data: dict[str, Any], problem) -> None:
    """Meaning checks on the raw data, so they are reported together with shape problems."""
    types = data.get("types") if isinstance(data.get("types"), dict) else {}
    known = sorted(types)
    allowed = f"allowed: {', '.join(known)}"
    for name, rule in types.items():
        if not re.match(_NAME, str(name)):
            problem(("types", name), f"{show(name)} is not a valid type name (letters, digits, _)")
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
                problem(("sources", s, "name"), f"{show(name)} is already used by sources[{seen_names[name]}] (names must be unique)")
            seen_names.setdefault(name, s)
        columns: set[str] = set()
        identifiers = source.get("identifiers") if isinstance(source.get("identifiers"), list) else []
        for c, ident in enumerate(identifiers):
            if not isinstance(ident, dict):
                continue
            id_type = ident.get("type")
            if isinstance(id_type, str) and id_type not in types:
                problem(("sources", s, "identifiers", c, "type"), f"{show(id_type)} is not an identifier type ({allowed})")
            column = ident.get("column")
            if isinstance(column, str):
                if column in columns:
                    problem(("sources", s, "identifiers", c, "column"), f"{show(column)} is listed twice in this source")
                columns.add(column)
        where = source.get("where")
        if isinstance(where, str):
            try:
                parse_checked(where)
            except ExpressionProblem as exc:
                problem(("sources", s, "where"), str(exc))

    caps = guards.get("caps") if isinstance(guards.get("caps"), list) else []
    pairs: set[tuple[str, str]] = set()
    for c, cap in enumerate(caps):
        if not isinstance(cap, dict):
            continue
        for key in ("node", "neighbour"):
            value = cap.get(key)
            if isinstance(value, str) and value not in types:
                problem(("guards", "caps", c, key), f"{show(value)} is not an identifier type ({allowed})")
        pair = (cap.get("node"), cap.get("neighbour"))
        if pair in pairs:
            problem(("guards", "caps", c), f"a cap for {pair[0]} → {pair[1]} is already defined")
        pairs.add(pair)
