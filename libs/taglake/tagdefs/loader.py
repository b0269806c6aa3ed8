"""Load tagdefs/ into a validated `Library`, reporting every problem in one run.

Two passes, as in the codebases we follow: the *shape* of each entry (pydantic models that reject
unknown keys), then its *meaning* (references resolve, expressions parse and use allowed SQL,
columns exist in the source schemas when a catalog is at hand, types agree, layers point
downwards, no dependency cycles). Problems accumulate; nothing is raised until the end.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from taglake.errors import InputError
from taglake.tagdefs import expressions as X
from taglake.tagdefs import identifiers
from taglake.tagdefs.dag import DAG
from taglake.tagdefs.families import (
    LOCK_FILE, dimension_values, expand, read_lock, template_fields,
)
from taglake.tagdefs.library import FamilyInfo, Library, Origin, Tag, TagRef
from taglake.tagdefs.model import (
    FILE_SECTIONS, KIND_DEFAULT_LAYER, LAYERS, AttributeTag, BucketTag, CompositeTag, CrossTag, Defaults,
    FamilyDef, IdentityKey, PreferenceTag, RecencyFamily, RecencyTag, RuleFamily, RuleTag, Source,
    StatFamily, StatTag, Subject, TagDef,
)
from taglake.tagdefs.problems import ProblemLog, show
from taglake.tagdefs.yamlio import Located, YamlProblem, load_file

log = logging.getLogger(__name__)

#: Files and folders under tagdefs/ that are not part of the tag library proper.
SEPARATE = {"identity.yaml", LOCK_FILE}
SEPARATE_DIRS = {"segments"}
ID_TYPES = ("phone", "email", "member_id", "wechat_openid", "wechat_unionid", "device_id", "cookie_id")

_TAG = TypeAdapter(TagDef)
_FAMILY = TypeAdapter(FamilyDef)
_LAYER_RANK = {layer: i for i, layer in enumerate(LAYERS)}


class SchemaProvider(Protocol):
    """Column names and Spark types of catalog tables; `None` for a table that does not exist."""

    def columns(self, table: str) -> dict[str, str] | None: ...


@dataclass
class _Entry:
    raw: Any
    origin: Origin
    holder: Located | None   # the mapping the entry came from, for per-key line numbers


def _line(holder: Any, loc: Iterable[Any]) -> int:
    """Line of the deepest mapping key along a pydantic error location."""
    line = getattr(holder, "line", 0)
    node = holder
    for part in loc:
        if isinstance(node, Located):
            line = node.line_of(part)
            node = node.get(str(part))
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line


def _data_path(raw: Any, loc: tuple) -> tuple:
    """The part of a pydantic error location that names keys and indexes of the YAML data
    (union branches such as `list[str]` or `Discover` are pydantic's, not the user's)."""
    path, node = [], raw
    for part in loc:
        if isinstance(node, dict) and str(part) in node:
            path.append(part)
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not any(c in part for c in "[]") and part[:1].islower():
            path.append(part)   # a missing or unknown key
            node = None
    return tuple(path)


def _pydantic_problems(log_: ProblemLog, error: ValidationError, entry: _Entry, kinds: Iterable[str] = ()) -> None:
    grouped: dict[tuple, list[dict]] = defaultdict(list)
    for err in error.errors():
        loc = tuple(err["loc"])
        if loc and loc[0] in kinds:      # the discriminated-union branch name is not a key
            loc = loc[1:]
        grouped[_data_path(entry.raw, loc)].append(err)
    for loc, errs in grouped.items():
        path = entry.origin.path + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        first = errs[0]
        if first["type"] == "extra_forbidden":
            parent = entry.raw
            for part in loc[:-1]:
                parent = parent.get(part) if isinstance(parent, dict) else None
            msg = f"unknown key {loc[-1]!r}"
            allowed = _allowed_keys(first, entry, loc)
            if allowed:
                msg += f" (allowed: {', '.join(allowed)})"
        elif first["type"] == "missing":
            msg = "required key is missing"
        elif first["type"] == "union_tag_invalid":
            path += ".kind"
            ctx = first.get("ctx", {})
            msg = f"kind {ctx.get('tag')!r} is not a tag kind (allowed: {ctx.get('expected_tags', '').replace(chr(39), '')})"
        elif first["type"] == "union_tag_not_found":
            path += ".kind"
            msg = "required key `kind` is missing"
        else:
            reasons = []
            for err in errs:
                text = err["msg"].removeprefix("Value error, ")
                if text not in reasons:
                    reasons.append(text)
            value = first.get("input")
            msg = f"{show(value)} is not valid: " + "; or ".join(reasons) if not isinstance(value, dict) else "; ".join(reasons)
        log_.add(entry.origin.file, _line(entry.holder, loc) or entry.origin.line, path, msg, code="shape")


def _allowed_keys(err: dict, entry: _Entry, loc: tuple) -> list[str]:
    """Field names of the model that rejected a key (for 'unknown key' messages)."""
    from taglake.tagdefs import model

    raw = entry.raw
    kind = raw.get("kind") if isinstance(raw, dict) else None
    candidates = {
        "tag": {"attribute": model.AttributeTag, "stat": model.StatTag, "recency": model.RecencyTag,
                "preference": model.PreferenceTag, "bucket": model.BucketTag, "rule": model.RuleTag,
                "composite": model.CompositeTag, "cross": model.CrossTag},
        "family": {"stat": model.StatFamily, "recency": model.RecencyFamily, "rule": model.RuleFamily},
    }
    cls = None
    if entry.origin.path.startswith("tags"):
        cls = candidates["tag"].get(kind)
    elif entry.origin.path.startswith("families"):
        cls = candidates["family"].get(kind)
    elif entry.origin.path.startswith("subjects"):
        cls = model.Subject
    elif entry.origin.path.startswith("sources"):
        cls = model.Source
    if cls is None or len(loc) != 1:
        return []
    return sorted(f.alias or name for name, f in cls.model_fields.items())


# ---------------------------------------------------------------------------------------------


class Loader:
    def __init__(self, root: Path, schemas: SchemaProvider | None = None, database: str = "taglake",
                 ignore_lock: bool = False):
        self.root = root
        self.ignore_lock = ignore_lock   # `taglake discover` loads families before their values exist
        self.schemas = schemas
        self.database = database
        self.problems = ProblemLog()
        self.subjects: dict[str, Subject] = {}
        self.sources: dict[str, Source] = {}
        self.origins: dict[str, Origin] = {}
        self.dictionaries: dict[str, dict[str, str]] = {}
        self.tags: dict[str, dict[str, Tag]] = defaultdict(dict)
        self.families: dict[str, FamilyInfo] = {}
        self._tag_entries: list[_Entry] = []
        self._family_entries: list[_Entry] = []
        self._source_columns: dict[str, dict[str, str] | None] = {}

    # -- pass 1: files and shapes ----------------------------------------------------------------

    def files(self) -> list[Path]:
        if not self.root.is_dir():
            raise InputError(f"tag definitions folder {self.root} does not exist")
        out = []
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root)
            if path.suffix not in (".yaml", ".yml") or not path.is_file():
                continue
            if rel.name in SEPARATE or (rel.parts and rel.parts[0] in SEPARATE_DIRS):
                continue
            out.append(path)
        return out

    def read(self) -> None:
        for path in self.files():
            try:
                data = load_file(path, self.root.parent)
            except YamlProblem as err:
                self.problems.add(err.file, err.line, "", err.message, code="yaml")
                continue
            name = str(path.relative_to(self.root.parent))
            if data is None:
                continue
            if not isinstance(data, Located):
                self.problems.add(name, 1, "", f"expected a mapping with sections {', '.join(FILE_SECTIONS)}, found {type(data).__name__}")
                continue
            for key in data:
                if key not in FILE_SECTIONS:
                    self.problems.add(name, data.line_of(key), key, f"unknown section {key!r} (allowed: {', '.join(FILE_SECTIONS)})", code="shape")
            defaults = self._defaults(data, name)
            self._read_named(data, name, "subjects", self._subject)
            self._read_named(data, name, "sources", self._source)
            self._read_dictionaries(data, name)
            for section, bucket in (("tags", self._tag_entries), ("families", self._family_entries)):
                items = data.get(section)
                if items is None:
                    continue
                if not isinstance(items, list):
                    self.problems.add(name, data.line_of(section), section, f"must be a list of {section}, found {type(items).__name__}")
                    continue
                for i, item in enumerate(items):
                    origin = Origin(name, getattr(item, "line", data.line_of(section)), f"{section}[{i}]")
                    if not isinstance(item, dict):
                        self.problems.add(name, origin.line, origin.path, f"must be a mapping, found {show(item)}")
                        continue
                    merged = Located({**defaults, **item})
                    merged.file, merged.line, merged.key_lines = name, origin.line, getattr(item, "key_lines", {})
                    bucket.append(_Entry(merged, origin, merged))

    def _defaults(self, data: Located, name: str) -> dict[str, Any]:
        raw = data.get("defaults")
        if raw is None:
            return {}
        entry = _Entry(raw, Origin(name, data.line_of("defaults"), "defaults"), raw if isinstance(raw, Located) else None)
        try:
            Defaults.model_validate(raw)
        except ValidationError as err:
            _pydantic_problems(self.problems, err, entry)
            return {}
        return dict(raw)

    def _read_named(self, data: Located, name: str, section: str, build) -> None:
        items = data.get(section)
        if items is None:
            return
        if not isinstance(items, Located):
            self.problems.add(name, data.line_of(section), section, f"must be a mapping of name -> definition, found {type(items).__name__}")
            return
        for key, raw in items.items():
            origin = Origin(name, items.line_of(key), f"{section}.{key}")
            build(key, raw, origin)

    def _subject(self, key: str, raw: Any, origin: Origin) -> None:
        if f"subject:{key}" in self.origins:
            self.problems.add(origin.file, origin.line, origin.path, f"subject {key!r} is already defined at {self.origins[f'subject:{key}']}", code="duplicate")
            return
        try:
            self.subjects[key] = Subject.model_validate(raw)
            self.origins[f"subject:{key}"] = origin
        except ValidationError as err:
            _pydantic_problems(self.problems, err, _Entry(raw, origin, raw if isinstance(raw, Located) else None))

    def _source(self, key: str, raw: Any, origin: Origin) -> None:
        if f"source:{key}" in self.origins:
            self.problems.add(origin.file, origin.line, origin.path, f"source {key!r} is already defined at {self.origins[f'source:{key}']}", code="duplicate")
            return
        try:
            self.sources[key] = Source.model_validate(raw)
            self.origins[f"source:{key}"] = origin
        except ValidationError as err:
            _pydantic_problems(self.problems, err, _Entry(raw, origin, raw if isinstance(raw, Located) else None))

    def _read_dictionaries(self, data: Located, name: str) -> None:
        items = data.get("dictionaries")
        if items is None:
            return
        for dim, mapping in (items or {}).items():
            line = items.line_of(dim) if isinstance(items, Located) else 0
            if not isinstance(mapping, dict):
                self.problems.add(name, line, f"dictionaries.{dim}", "must map values to ASCII codes")
                continue
            bad = [code for code in mapping.values() if not (isinstance(code, str) and code.isascii() and code.replace("_", "").isalnum() and code == code.lower())]
            if bad:
                self.problems.add(name, line, f"dictionaries.{dim}", f"codes must be lower-case ASCII (a-z, 0-9, _): {show(bad[:3])}")
                continue
            self.dictionaries.setdefault(dim, {}).update({str(k): str(v) for k, v in mapping.items()})

    # -- pass 2: tags and families -----------------------------------------------------------------

    def build_tags(self) -> None:
        for entry in self._tag_entries:
            try:
                spec = _TAG.validate_python(entry.raw)
            except ValidationError as err:
                _pydantic_problems(self.problems, err, entry, kinds=("attribute", "stat", "recency", "preference", "bucket", "rule", "composite", "cross"))
                continue
            self._add(self._tag_from_spec(spec, entry.origin), entry.origin)
        lock = read_lock(self.root)
        for entry in self._family_entries:
            try:
                family = _FAMILY.validate_python(entry.raw)
            except ValidationError as err:
                _pydantic_problems(self.problems, err, entry, kinds=("stat", "recency", "rule"))
                continue
            self._expand_family(family, entry, lock)

    def _add(self, tag: Tag, origin: Origin) -> None:
        existing = self.tags[tag.subject].get(tag.name)
        if existing is not None:
            where = f"family {existing.family!r} at {existing.origin}" if existing.family else str(existing.origin)
            self.problems.add(origin.file, origin.line, f"{origin.path}.name", f"tag name {tag.name!r} is already used for subject {tag.subject!r} ({where})", code="duplicate")
            return
        self.tags[tag.subject][tag.name] = tag

    def _tag_from_spec(self, spec: Any, origin: Origin) -> Tag:
        return Tag(
            name=spec.name, subject=spec.subject, kind=spec.kind,
            layer=spec.layer or KIND_DEFAULT_LAYER[spec.kind], type=spec.type or _default_type(spec),
            status=spec.status, display_name=spec.display_name, description=spec.description,
            category=tuple(spec.category), owner=spec.owner, business_line=spec.business_line,
            visibility=spec.visibility, frequency=spec.frequency, version=spec.version, origin=origin, spec=spec,
            domain=tuple(spec.domain) if spec.domain is not None else None, unit=spec.unit,
            default=spec.default if spec.default is not None else _default_value(spec),
            source=getattr(spec, "source", None),
        )

    def _expand_family(self, family: Any, entry: _Entry, lock: dict) -> None:
        origin = entry.origin
        if family.name in self.families:
            self.problems.add(origin.file, origin.line, origin.path, f"family {family.name!r} is already defined at {self.families[family.name].origin}", code="duplicate")
            return
        allowed = template_fields(family)
        for field_name in ("tag_name", "display_name", "description"):
            template = getattr(family, field_name)
            for placeholder in _placeholders(template):
                if placeholder.split(".")[0] not in allowed:
                    self.problems.add(origin.file, entry.holder.line_of(field_name), f"{origin.path}.{field_name}",
                                      f"unknown placeholder {{{placeholder}}} (allowed: {', '.join('{' + a + '}' for a in sorted(allowed))})")
                    return
        values, problems = dimension_values(family, lock)
        for message in [] if self.ignore_lock else problems:
            self.problems.add(origin.file, entry.holder.line_of("by"), f"{origin.path}.by", message, code="lock")
        generated = expand(family, values, self.dictionaries)
        names = [g.name for g in generated]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})[:3]
            self.problems.add(origin.file, entry.holder.line_of("tag_name"), f"{origin.path}.tag_name",
                              f"template {family.tag_name!r} gives the same name to several tags ({', '.join(dupes)}); include every dimension")
            return
        self.families[family.name] = FamilyInfo(family, origin, values, names)
        layer = family.layer or ("base" if family.kind in ("stat", "recency") else "business")
        for index, gen in enumerate(generated):
            metric = family.metrics[gen.cell.metric] if isinstance(family, StatFamily) else None
            tag = Tag(
                name=gen.name, subject=family.subject, kind=family.kind, layer=layer,
                type=_family_type(family, metric), status=family.status, display_name=gen.display_name,
                description=gen.description, category=tuple(family.category), owner=family.owner,
                business_line=family.business_line, visibility=family.visibility, frequency=family.frequency,
                version=family.version, origin=Origin(origin.file, origin.line, f"{origin.path}[{index}]"),
                spec=family, unit=metric.unit if metric else None,
                default=0 if metric and metric.agg in ("count", "count_distinct") else None,
                source=getattr(family, "source", None), cell=gen.cell,
            )
            if not _valid_name(tag.name):
                self.problems.add(origin.file, entry.holder.line_of("tag_name"), f"{origin.path}.tag_name",
                                  f"generated name {tag.name!r} is not a valid machine name (snake_case ASCII, at most 64 characters)")
                return
            self._add(tag, origin)

    # -- pass 3: meaning ---------------------------------------------------------------------------

    def check_references(self) -> None:
        self._check_subjects()
        self._check_sources()
        self._check_family_expressions()
        for tag in [t for by_name in self.tags.values() for t in by_name.values()]:
            if tag.cell is None:
                self._check_tag(tag)
        self._check_dependencies()

    def _check_subjects(self) -> None:
        for name, subject in self.subjects.items():
            origin = self.origins[f"subject:{name}"]
            pop = subject.population
            if pop.source and pop.source not in self.sources:
                self.problems.add(origin.file, origin.line, f"subjects.{name}.population.source",
                                  f"unknown source {pop.source!r}{_did_you_mean(pop.source, self.sources)}")
            elif pop.source and name not in self.sources[pop.source].keys:
                self.problems.add(origin.file, origin.line, f"subjects.{name}.population.source",
                                  f"source {pop.source!r} has no key for subject {name!r} (its keys: {', '.join(self.sources[pop.source].keys)})")
            for rel_name, rel in subject.relations.items():
                path = f"subjects.{name}.relations.{rel_name}"
                if rel.to not in self.subjects:
                    self.problems.add(origin.file, origin.line, f"{path}.to", f"unknown subject {rel.to!r}{_did_you_mean(rel.to, self.subjects)}")
                    continue
                if rel.source is not None:
                    src = self.sources.get(rel.source)
                    if src is None:
                        self.problems.add(origin.file, origin.line, f"{path}.source", f"unknown source {rel.source!r}{_did_you_mean(rel.source, self.sources)}")
                    else:
                        missing = [s for s in (name, rel.to) if s not in src.keys]
                        if missing:
                            self.problems.add(origin.file, origin.line, f"{path}.source",
                                              f"source {rel.source!r} has no key for subject {', '.join(map(repr, missing))}; it cannot link {name} to {rel.to}")
                elif rel.tag not in self.tags.get(name, {}):
                    self.problems.add(origin.file, origin.line, f"{path}.tag",
                                      f"unknown tag {rel.tag!r} of subject {name!r}{_did_you_mean(rel.tag, self.tags.get(name, {}))}")

    def _check_sources(self) -> None:
        for name, source in self.sources.items():
            origin = self.origins[f"source:{name}"]
            for subject, key in source.keys.items():
                if subject not in self.subjects:
                    self.problems.add(origin.file, origin.line, f"sources.{name}.keys.{subject}", f"unknown subject {subject!r}{_did_you_mean(subject, self.subjects)}")
                if isinstance(key, IdentityKey):
                    for id_type in key.identity:
                        if id_type not in ID_TYPES:
                            self.problems.add(origin.file, origin.line, f"sources.{name}.keys.{subject}.identity.{id_type}",
                                              f"unknown identifier type {id_type!r} (allowed: {', '.join(ID_TYPES)})")
            columns = self.source_columns(name)
            if columns is None and self.schemas is not None:
                self.problems.add(origin.file, origin.line, f"sources.{name}.table",
                                  f"table {self.qualified(source)!r} not found in the catalog", code="column")
                continue
            needed = []
            for subject, key in source.keys.items():
                needed += list(key.identity.values()) if isinstance(key, IdentityKey) else [key]
            if source.time:
                needed.append(source.time)
            for col in needed:
                if columns is not None and col not in columns:
                    self.problems.add(origin.file, origin.line, f"sources.{name}",
                                      f"column {col!r} not in {self.qualified(source)} (columns: {', '.join(sorted(columns))})", code="column")
            if source.where:
                self._source_expr(name, source.where, origin.file, origin.line, f"sources.{name}.where")

    def qualified(self, source: Source) -> str:
        if source.path:
            return f"delta.`{source.path}`"
        return source.table if "." in (source.table or "") else f"{self.database}.{source.table}"

    def source_columns(self, name: str) -> dict[str, str] | None:
        """Columns visible to expressions on a source: the table's plus its lookups' (None if unknown)."""
        if name in self._source_columns:
            return self._source_columns[name]
        source = self.sources[name]
        columns: dict[str, str] | None = None
        if self.schemas is not None:
            table_cols = self.schemas.columns(self.qualified(source))
            if table_cols is not None:
                columns = dict(table_cols)
                for lookup in source.lookups:
                    qualified = lookup.table if "." in lookup.table else f"{self.database}.{lookup.table}"
                    dim_cols = self.schemas.columns(qualified) or {}
                    for col in lookup.columns:
                        if col in dim_cols:
                            columns[col] = dim_cols[col]
        self._source_columns[name] = columns
        return columns

    def _identity_rules(self):
        """tagdefs/identity.yaml: the canonical forms `canonical_id(...)` expands to."""
        return identifiers.rules_for(self.root)

    def _identifier_columns(self, source: str) -> dict[str, str]:
        """Columns of a source that hold identifiers (column -> type): its OneID keys, and what
        identity.yaml declares for the same table."""
        spec = self.sources[source]
        columns = {col: t for key in spec.keys.values() if isinstance(key, IdentityKey) for t, col in key.identity.items()}
        table = (spec.table or "").rsplit(".", 1)[-1]
        for declared in self._identity_rules().sources:
            if declared.table.rsplit(".", 1)[-1] == table:
                columns.update({i.column: i.type for i in declared.identifiers})
        return columns

    def _source_expr(self, source: str, text: str, file: str, line: int, path: str, aggregates: bool = False) -> X.Parsed | None:
        try:
            parsed = X.parse_checked(text, aggregates=aggregates)
            for message in identifiers.presence_problems(parsed, self._identifier_columns(source)):
                self.problems.add(file, line, path, message, code="expression")
            parsed = identifiers.expand(parsed, self._identity_rules())
        except X.ExpressionProblem as err:
            self.problems.add(file, line, path, str(err), code="expression")
            return None
        columns = self.source_columns(source)
        if columns is None:  # offline: columns are checked when a catalog is at hand
            return parsed
        known = set(columns)
        unknown = sorted(c for c in parsed.columns if c not in known and c != X.SNAPSHOT_DATE)
        if unknown:
            self.problems.add(file, line, path,
                              f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} in source {source!r}"
                              f"{_did_you_mean(unknown[0], known)} (columns: {', '.join(sorted(known))})", code="column")
        return parsed

    def _check_family_expressions(self) -> None:
        for info in self.families.values():
            family, origin = info.spec, info.origin
            if family.subject not in self.subjects:
                self.problems.add(origin.file, origin.line, f"{origin.path}.subject", f"unknown subject {family.subject!r}{_did_you_mean(family.subject, self.subjects)}")
                continue
            exprs: dict[str, X.Parsed] = {}
            if isinstance(family, (StatFamily, RecencyFamily)):
                if not self._source_ok(family.source, family.subject, origin, f"{origin.path}.source"):
                    continue
                if family.where and (p := self._source_expr(family.source, family.where, origin.file, origin.line, f"{origin.path}.where")):
                    exprs["where"] = p
                for dim, spec in family.by.items():
                    if p := self._source_expr(family.source, spec.column, origin.file, origin.line, f"{origin.path}.by.{dim}.column"):
                        exprs[f"dim:{dim}"] = p
                if isinstance(family, StatFamily):
                    for metric_name, metric in family.metrics.items():
                        if metric.value and (p := self._source_expr(family.source, metric.value, origin.file, origin.line, f"{origin.path}.metrics.{metric_name}.value")):
                            exprs[f"metric:{metric_name}"] = p
                if isinstance(family, RecencyFamily) and not self.sources[family.source].time:
                    self.problems.add(origin.file, origin.line, f"{origin.path}.source", f"source {family.source!r} has no `time` column; recency needs one")
                for tag_name in info.tags:
                    self.tags[family.subject][tag_name].exprs = exprs
            elif isinstance(family, RuleFamily):
                self._check_rule_family(info)

    def _check_rule_family(self, info: FamilyInfo) -> None:
        """Parse the rule template once; per generated tag only the referenced names change."""
        family, origin = info.spec, info.origin
        sentinel = {dim: f"__{dim}__" for dim in family.by}
        try:
            parsed = identifiers.expand(X.parse_checked(family.expr.format_map(sentinel)), self._identity_rules())
        except (X.ExpressionProblem, KeyError, IndexError, ValueError) as err:
            self.problems.add(origin.file, origin.line, f"{origin.path}.expr", str(err), code="expression")
            return
        subject_tags = self.tags.get(family.subject, {})
        text = X.render(parsed.tree)
        for tag_name in info.tags:
            tag = subject_tags[tag_name]
            codes = {d: _code_of(family, tag, d, self.dictionaries) for d in family.by}
            deps, missing = [], []
            for col in parsed.columns:
                name = col
                for dim, mark in sentinel.items():
                    name = name.replace(mark, codes[dim])
                if name == X.SNAPSHOT_DATE:
                    continue
                (deps if name in subject_tags else missing).append(name)
            if missing:
                self.problems.add(origin.file, origin.line, f"{origin.path}.expr",
                                  f"generated tag {tag_name!r} refers to unknown tag{'s' if len(missing) > 1 else ''} {', '.join(sorted(missing))}")
                return
            rendered = text
            for dim, mark in sentinel.items():
                rendered = rendered.replace(mark, codes[dim])
            tag.rendered = {"expr": rendered}
            tag.deps = tuple(TagRef(family.subject, d) for d in sorted(deps))
        types = self._types(family.subject)
        first = subject_tags[info.tags[0]] if info.tags else None
        if first is not None:
            for message in X.type_problems(X.parse(first.rendered["expr"].replace("`", "")), types):
                self.problems.add(origin.file, origin.line, f"{origin.path}.expr", message, code="type")

    def _source_ok(self, source: str, subject: str, origin: Origin, path: str) -> bool:
        if source not in self.sources:
            self.problems.add(origin.file, origin.line, path, f"unknown source {source!r}{_did_you_mean(source, self.sources)}")
            return False
        if subject not in self.sources[source].keys:
            self.problems.add(origin.file, origin.line, path,
                              f"source {source!r} has no key for subject {subject!r} (its keys: {', '.join(self.sources[source].keys)})")
            return False
        return True

    def _check_tag(self, tag: Tag) -> None:
        spec, origin = tag.spec, tag.origin
        line_of = self._holders[id(tag)].line_of if id(tag) in self._holders else (lambda _k: origin.line)

        def problem(key: str, message: str, code: str = "reference") -> None:
            self.problems.add(origin.file, line_of(key), f"{origin.path}.{key}", message, code=code)

        if tag.subject not in self.subjects:
            problem("subject", f"unknown subject {tag.subject!r}{_did_you_mean(tag.subject, self.subjects)} (subjects: {', '.join(sorted(self.subjects))})")
            return
        subject_tags = self.tags[tag.subject]
        types = self._types(tag.subject)
        deps: list[TagRef] = []

        def tag_expr(key: str, text: str, boolean: bool = False) -> X.Parsed | None:
            try:
                parsed = identifiers.expand(X.parse_checked(text), self._identity_rules())
            except X.ExpressionProblem as err:
                problem(key, str(err), "expression")
                return None
            missing = sorted(c for c in parsed.columns if c not in subject_tags and c != X.SNAPSHOT_DATE)
            for name in missing:
                problem(key, f"unknown tag {name!r} of subject {tag.subject!r}{_did_you_mean(name, subject_tags)}")
            deps.extend(TagRef(tag.subject, c) for c in parsed.columns if c in subject_tags)
            for message in X.type_problems(parsed.tree, types):
                problem(key, message, "type")
            if boolean and not missing and not X.is_boolean(parsed.tree, types):
                problem(key, f"{text!r} must be a condition (true/false), but it is a {X.category(parsed.tree, types)}", "type")
            return parsed

        def tag_ref(key: str, name: str, numeric: bool = False) -> None:
            if name not in subject_tags:
                problem(key, f"unknown tag {name!r} of subject {tag.subject!r}{_did_you_mean(name, subject_tags)}")
                return
            deps.append(TagRef(tag.subject, name))
            if numeric and subject_tags[name].type not in ("int", "bigint", "double"):
                problem(key, f"tag {name!r} is {subject_tags[name].type}; this needs a number", "type")

        if isinstance(spec, (AttributeTag, StatTag, RecencyTag, PreferenceTag)):
            if not self._source_ok(spec.source, tag.subject, origin, f"{origin.path}.source"):
                return
            src = self.sources[spec.source]
            for key in ("value", "where", "dimension", "measure"):
                text = getattr(spec, key, None)
                if text and (p := self._source_expr(spec.source, text, origin.file, line_of(key), f"{origin.path}.{key}")):
                    tag.exprs[key] = p
            windowed = isinstance(spec, (StatTag, RecencyTag, PreferenceTag)) and spec.window != "all"
            if (isinstance(spec, RecencyTag) or windowed) and not src.time:
                problem("source", f"source {spec.source!r} has no `time` column; {'windows' if windowed else tag.kind + ' tags'} need one")
        elif isinstance(spec, BucketTag):
            tag_ref("input", spec.input, numeric=True)
            if spec.where:
                if p := tag_expr("where", spec.where, boolean=True):
                    tag.exprs["where"] = p
        elif isinstance(spec, RuleTag):
            if spec.expr is not None:
                # A rule is a condition unless it declares another type (a calculated value, e.g. a rate).
                if p := tag_expr("expr", spec.expr, boolean=tag.type == "boolean"):
                    tag.exprs["expr"] = p
            else:
                for i, case in enumerate(spec.cases or []):
                    if p := tag_expr(f"cases[{i}].when", case.when, boolean=True):
                        tag.exprs[f"case:{i}"] = p
                self._check_domain(tag, [c.then for c in spec.cases or []] + ([spec.otherwise] if spec.otherwise is not None else []), problem)
        elif isinstance(spec, CompositeTag):
            if spec.strategy == "rfm":
                for key in ("recency", "frequency", "monetary"):
                    tag_ref(f"rfm.{key}", getattr(spec.rfm, key), numeric=True)
            else:
                for i, case in enumerate(spec.stages or []):
                    if p := tag_expr(f"stages[{i}].when", case.when, boolean=True):
                        tag.exprs[f"case:{i}"] = p
                self._check_domain(tag, [c.then for c in spec.stages or []] + ([spec.otherwise] if spec.otherwise is not None else []), problem)
        elif isinstance(spec, CrossTag):
            deps.extend(self._check_cross(tag, spec, problem))
        tag.deps = tuple(dict.fromkeys(deps))

    def _types(self, subject: str) -> dict[str, str]:
        """Value type of every tag of a subject (built once; rules type-check against it)."""
        cache = self.__dict__.setdefault("_type_cache", {})
        if subject not in cache:
            cache[subject] = {n: t.type for n, t in self.tags.get(subject, {}).items()}
        return cache[subject]

    def _check_cross(self, tag: Tag, spec: CrossTag, problem) -> list[TagRef]:
        relation = self.subjects[tag.subject].relations.get(spec.via)
        if relation is None:
            rels = self.subjects[tag.subject].relations
            problem("via", f"subject {tag.subject!r} has no relation {spec.via!r}{_did_you_mean(spec.via, rels)} (relations: {', '.join(sorted(rels)) or 'none'})")
            return []
        if relation.to not in self.subjects:
            return []
        related = self.tags.get(relation.to, {})
        try:
            parsed = identifiers.expand(X.parse_checked(spec.value), self._identity_rules())
        except X.ExpressionProblem as err:
            problem("value", str(err), "expression")
            return []
        deps = []
        for name in sorted(parsed.columns - {X.SNAPSHOT_DATE}):
            if name not in related:
                problem("value", f"unknown tag {name!r} of related subject {relation.to!r}{_did_you_mean(name, related)}")
            else:
                deps.append(TagRef(relation.to, name))
        types = self._types(relation.to)
        for message in X.type_problems(parsed.tree, types):
            problem("value", message, "type")
        tag.exprs["value"] = parsed
        if relation.source is not None:
            if spec.aggregate is None:
                problem("aggregate", f"relation {spec.via!r} links through source rows (many {relation.to} per {tag.subject}); "
                                     "say how to aggregate them (allowed: share, count, sum, avg, min, max)")
            elif spec.aggregate in ("share", "count") and not X.is_boolean(parsed.tree, types):
                problem("value", f"aggregate {spec.aggregate!r} needs a condition over {relation.to} tags, got {spec.value!r}", "type")
            if spec.where and relation.source in self.sources:
                if p := self._source_expr(relation.source, spec.where, tag.origin.file, tag.origin.line, f"{tag.origin.path}.where"):
                    tag.exprs["where"] = p
            if spec.window != "all" and relation.source in self.sources and not self.sources[relation.source].time:
                problem("window", f"source {relation.source!r} has no `time` column; windows need one")
        else:
            if spec.aggregate is not None:
                problem("aggregate", f"relation {spec.via!r} reaches one {relation.to} per {tag.subject} (through tag {relation.tag!r}); drop `aggregate`")
            if spec.window != "all" or spec.where:
                problem("window", f"relation {spec.via!r} is a lookup through a tag; `window` and `where` do not apply")
            deps.append(TagRef(tag.subject, relation.tag))
            if spec.type is None:
                single = [d for d in deps if d.subject == relation.to]
                if len(single) == 1 and X.render(parsed.tree).strip("`") == single[0].name:
                    tag.type = related[single[0].name].type
        return deps

    def _check_domain(self, tag: Tag, values: list[Any], problem) -> None:
        if tag.domain is not None:
            outside = [v for v in values if v not in tag.domain]
            if outside:
                problem("domain", f"values {show(outside)} are not in the tag's domain {show(list(tag.domain))}", "type")

    def _check_dependencies(self) -> None:
        graph: DAG[TagRef] = DAG()
        all_tags = {t.ref: t for by_name in self.tags.values() for t in by_name.values()}
        for tag in all_tags.values():
            graph.add(tag.ref, tag.deps)
            for dep in tag.deps:
                target = all_tags.get(dep)
                if target is None:
                    continue
                if _LAYER_RANK[target.layer] > _LAYER_RANK[tag.layer]:
                    self._dep_problem(tag, f"layer violation: {tag.layer} tag {tag.ref} depends on {target.layer} tag {dep}; "
                                           "dependencies may only point to the same or a lower layer (base < business < application)", "layer")
                if tag.status == "online" and target.status != "online":
                    self._dep_problem(tag, f"online tag {tag.ref} depends on {dep}, which is {target.status}; put {dep} online first", "status")
        cycle = graph.find_cycle()
        if cycle:
            first = all_tags[cycle[0]]
            self._dep_problem(first, "dependency cycle: " + " -> ".join(str(r) for r in cycle) + " (each depends on the next)", "cycle")

    def _dep_problem(self, tag: Tag, message: str, code: str) -> None:
        self.problems.add(tag.origin.file, tag.origin.line, tag.origin.path, message, code=code)

    # -- the whole run -------------------------------------------------------------------------------

    def load(self) -> Library:
        self.read()
        self._holders: dict[int, Located] = {}
        self.build_tags()
        # Remember each hand-written tag's YAML mapping for per-key line numbers in later problems.
        by_origin = {(e.origin.file, e.origin.path): e.holder for e in self._tag_entries}
        for by_name in self.tags.values():
            for tag in by_name.values():
                if tag.cell is None and (tag.origin.file, tag.origin.path) in by_origin:
                    self._holders[id(tag)] = by_origin[(tag.origin.file, tag.origin.path)]
        self.check_references()
        self.problems.raise_if_any(f"tag definitions under {self.root}")
        library = Library(
            root=self.root, subjects=self.subjects, sources=self.sources, tags=dict(self.tags),
            families=self.families, dictionaries=self.dictionaries, origins=self.origins,
            columns_checked=self.schemas is not None,
        )
        library.source_hashes = {
            name: _hash(source.model_dump(mode="json")) for name, source in self.sources.items()
        }
        return library


def load_library(root: Path | str, schemas: SchemaProvider | None = None, database: str = "taglake") -> Library:
    """Load and validate tagdefs/; raises TagDefError listing every problem found."""
    return Loader(Path(root), schemas, database).load()


# ---------------------------------------------------------------------------------------------


def _hash(payload: Any) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _placeholders(template: str) -> list[str]:
    import string

    return [field for _lit, field, _spec, _conv in string.Formatter().parse(template) if field]


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _code_of(family: Any, tag: Tag, dim: str, dictionaries: dict[str, dict[str, str]]) -> str:
    from taglake.tagdefs.families import code_for

    value = dict(tag.cell.dims)[dim]
    spec = family.by[dim]
    return code_for(value, dictionaries.get(dim) or dictionaries.get(spec.column) or {})


def _valid_name(name: str) -> bool:
    from taglake.tagdefs.model import MAX_NAME, NAME_RE

    return bool(NAME_RE.match(name)) and len(name) <= MAX_NAME


def _default_type(spec: Any) -> str:
    kind = spec.kind
    if kind == "stat":
        return "bigint" if spec.agg in ("count", "count_distinct") else "double"
    if kind == "recency":
        return {"time": "timestamp", "date": "date", "days_since": "int"}[spec.output]
    if kind == "preference":
        return {"top": "string", "top_n": "array<string>", "share": "double"}[spec.method]
    if kind == "rule":
        return "boolean" if spec.expr is not None else "string"
    if kind == "cross":
        return {"share": "double", "count": "bigint", "sum": "double", "avg": "double"}.get(spec.aggregate or "", "string")
    if kind in ("bucket", "composite"):
        return "string"
    return "string"   # attribute without a declared type: text


def _default_value(spec: Any) -> Any:
    if spec.kind == "stat" and spec.agg in ("count", "count_distinct"):
        return 0
    if spec.kind == "cross" and spec.aggregate == "count":
        return 0
    return None


def _family_type(family: Any, metric: Any) -> str:
    if isinstance(family, StatFamily):
        if metric.type:
            from taglake.tagdefs.model import TYPE_ALIASES

            return TYPE_ALIASES.get(metric.type, metric.type)
        return "bigint" if metric.agg in ("count", "count_distinct") else "double"
    if isinstance(family, RecencyFamily):
        return "int"
    return "boolean"
