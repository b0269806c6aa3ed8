"""Loading: tagdefs/ files -> shapes. Every YAML file is read, each entry validated by its pydantic
model (unknown keys rejected), defaults applied and families expanded into tags; problems are
collected, nothing is raised. What the entries *mean* is checked next (`checking.py`)."""

from __future__ import annotations

import string
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from taglake.core.names import is_machine_name
from taglake.core.problems import ProblemLog, show
from taglake.core.yamlio import Located, YamlProblem, load_file
from taglake.errors import InputError
from taglake.identity.config import IDENTITY_FILE
from taglake.tagdefs.families import LOCK_FILE, dimension_values, expand, read_lock, template_fields
from taglake.tagdefs.kinds import tag_adapter, tag_kinds
from taglake.tagdefs.library import FamilyInfo, Origin, Tag
from taglake.tagdefs.model import (
    COUNT_AGGS,
    FAMILY_MODELS,
    FILE_SECTIONS,
    Defaults,
    FamilyBase,
    FamilyDef,
    RecencyFamily,
    Source,
    StatFamily,
    Subject,
    TagMeta,
    agg_type,
    value_type,
)

#: Files and folders under tagdefs/ that are not part of the tag library proper.
SEPARATE = {IDENTITY_FILE, LOCK_FILE}
SEPARATE_DIRS = {"segments"}

_FAMILY = TypeAdapter(FamilyDef)


@dataclass
class Entry:
    raw: Any
    origin: Origin
    holder: Located | None  # the mapping the entry came from, for per-key line numbers


@dataclass
class Shapes:
    """Everything whose shape is valid, as written (no expression parsed, no reference resolved)."""

    root: Path
    subjects: dict[str, Subject] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)  # "subject:x" / "source:x" -> where defined
    dictionaries: dict[str, dict[str, str]] = field(default_factory=dict)
    tags: dict[str, dict[str, Tag]] = field(default_factory=lambda: defaultdict(dict))
    families: dict[str, FamilyInfo] = field(default_factory=dict)
    holders: dict[int, Located] = field(default_factory=dict)  # id(tag) -> its YAML mapping (key lines)

    def all_tags(self) -> list[Tag]:
        return [t for by_name in self.tags.values() for t in by_name.values()]


def library_files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise InputError(f"tag definitions folder {root} does not exist")
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        if rel.name in SEPARATE or (rel.parts and rel.parts[0] in SEPARATE_DIRS):
            continue
        out.append(path)
    return out


class _Reader:
    def __init__(self, root: Path, problems: ProblemLog, ignore_lock: bool):
        self.shapes = Shapes(root)
        self.problems = problems
        self.ignore_lock = ignore_lock  # `taglake discover` loads families before their values exist
        self.tag_entries: list[Entry] = []
        self.family_entries: list[Entry] = []

    def read(self) -> Shapes:
        root = self.shapes.root
        for path in library_files(root):
            try:
                data = load_file(path, root.parent)
            except YamlProblem as err:
                self.problems.yaml(err)
                continue
            if data is not None:
                self._file(data, str(path.relative_to(root.parent)))
        for entry in self.tag_entries:
            self._tag(entry)
        lock = read_lock(root)
        for entry in self.family_entries:
            self._family(entry, lock)
        return self.shapes

    def _file(self, data: Any, name: str) -> None:
        if not isinstance(data, Located):
            self.problems.add(name, 1, "", f"expected a mapping with sections {', '.join(FILE_SECTIONS)}, found {type(data).__name__}")
            return
        for key in data:
            if key not in FILE_SECTIONS:
                self.problems.add(
                    name, data.line_of(key), key, f"unknown section {key!r} (allowed: {', '.join(FILE_SECTIONS)})", code="shape"
                )
        defaults = self._defaults(data, name)
        self._named(data, name, "subjects", Subject)
        self._named(data, name, "sources", Source)
        self._dictionaries(data, name)
        for section, bucket in (("tags", self.tag_entries), ("families", self.family_entries)):
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
                bucket.append(Entry(merged, origin, merged))

    def _shape_problems(self, err: ValidationError, entry: Entry, model: Any, branches: tuple[str, ...] = ()) -> None:
        self.problems.pydantic(
            err,
            entry.raw,
            file=entry.origin.file,
            line=entry.origin.line,
            path=entry.origin.path,
            model=model,
            holder=entry.holder,
            branches=branches,
        )

    def _defaults(self, data: Located, name: str) -> dict[str, Any]:
        raw = data.get("defaults")
        if raw is None:
            return {}
        try:
            Defaults.model_validate(raw)
        except ValidationError as err:
            entry = Entry(raw, Origin(name, data.line_of("defaults"), "defaults"), raw if isinstance(raw, Located) else None)
            self._shape_problems(err, entry, Defaults)
            return {}
        return dict(raw)

    def _named(self, data: Located, name: str, section: str, model: type[Subject] | type[Source]) -> None:
        items = data.get(section)
        if items is None:
            return
        if not isinstance(items, Located):
            self.problems.add(
                name, data.line_of(section), section, f"must be a mapping of name -> definition, found {type(items).__name__}"
            )
            return
        noun = section[:-1]
        into: dict[str, Any] = getattr(self.shapes, section)
        for key, raw in items.items():
            origin = Origin(name, items.line_of(key), f"{section}.{key}")
            if f"{noun}:{key}" in self.shapes.origins:
                self.problems.add(
                    origin.file,
                    origin.line,
                    origin.path,
                    f"{noun} {key!r} is already defined at {self.shapes.origins[f'{noun}:{key}']}",
                    code="duplicate",
                )
                continue
            try:
                into[key] = model.model_validate(raw)
                self.shapes.origins[f"{noun}:{key}"] = origin
            except ValidationError as err:
                self._shape_problems(err, Entry(raw, origin, raw if isinstance(raw, Located) else None), model)

    def _dictionaries(self, data: Located, name: str) -> None:
        items = data.get("dictionaries")
        if items is None:
            return
        for dim, mapping in (items or {}).items():
            line = items.line_of(dim) if isinstance(items, Located) else 0
            if not isinstance(mapping, dict):
                self.problems.add(name, line, f"dictionaries.{dim}", "must map values to ASCII codes")
                continue
            bad = [
                code
                for code in mapping.values()
                if not (isinstance(code, str) and code.isascii() and code.replace("_", "").isalnum() and code == code.lower())
            ]
            if bad:
                self.problems.add(name, line, f"dictionaries.{dim}", f"codes must be lower-case ASCII (a-z, 0-9, _): {show(bad[:3])}")
                continue
            self.shapes.dictionaries.setdefault(dim, {}).update({str(k): str(v) for k, v in mapping.items()})

    # -- tags and families -------------------------------------------------------------------------

    def _tag(self, entry: Entry) -> None:
        kinds = tag_kinds()
        try:
            spec = tag_adapter().validate_python(entry.raw)
        except ValidationError as err:
            kind = str(entry.raw.get("kind")) if isinstance(entry.raw, dict) else ""
            self._shape_problems(err, entry, kinds.get(kind), tuple(kinds))
            return
        tag = Tag(
            **_metadata(spec), name=spec.name, kind=spec.kind, layer=spec.layer or spec.default_layer,
            type=spec.type or spec.default_type(), display_name=spec.display_name, description=spec.description,
            origin=entry.origin, domain=tuple(spec.domain) if spec.domain is not None else None, unit=spec.unit,
            default=spec.default if spec.default is not None else spec.default_value(), source=spec.source_name(),
        )  # fmt: skip
        if self._add(tag, entry.origin) and entry.holder is not None:
            self.shapes.holders[id(tag)] = entry.holder

    def _add(self, tag: Tag, origin: Origin) -> bool:
        existing = self.shapes.tags[tag.subject].get(tag.name)
        if existing is not None:
            where = f"family {existing.family!r} at {existing.origin}" if existing.family else str(existing.origin)
            self.problems.add(
                origin.file,
                origin.line,
                f"{origin.path}.name",
                f"tag name {tag.name!r} is already used for subject {tag.subject!r} ({where})",
                code="duplicate",
            )
            return False
        self.shapes.tags[tag.subject][tag.name] = tag
        return True

    def _family(self, entry: Entry, lock: dict) -> None:
        try:
            family = _FAMILY.validate_python(entry.raw)
        except ValidationError as err:
            kind = str(entry.raw.get("kind")) if isinstance(entry.raw, dict) else ""
            self._shape_problems(err, entry, FAMILY_MODELS.get(kind), tuple(FAMILY_MODELS))
            return
        origin, holder = entry.origin, entry.holder
        assert holder is not None
        families = self.shapes.families
        if family.name in families:
            self.problems.add(
                origin.file,
                origin.line,
                origin.path,
                f"family {family.name!r} is already defined at {families[family.name].origin}",
                code="duplicate",
            )
            return
        allowed = template_fields(family)
        for field_name in ("tag_name", "display_name", "description"):
            for placeholder in _placeholders(getattr(family, field_name)):
                if placeholder.split(".")[0] not in allowed:
                    self.problems.add(
                        origin.file,
                        holder.line_of(field_name),
                        f"{origin.path}.{field_name}",
                        f"unknown placeholder {{{placeholder}}} (allowed: {', '.join('{' + a + '}' for a in sorted(allowed))})",
                    )
                    return
        values, problems = dimension_values(family, lock)
        for message in [] if self.ignore_lock else problems:
            self.problems.add(origin.file, holder.line_of("by"), f"{origin.path}.by", message, code="lock")
        generated = expand(family, values, self.shapes.dictionaries)
        names = [g.name for g in generated]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})[:3]
            self.problems.add(
                origin.file,
                holder.line_of("tag_name"),
                f"{origin.path}.tag_name",
                f"template {family.tag_name!r} gives the same name to several tags ({', '.join(dupes)}); include every dimension",
            )
            return
        families[family.name] = FamilyInfo(family, origin, values, names)
        layer = family.layer or ("base" if family.kind in ("stat", "recency") else "business")
        for index, gen in enumerate(generated):
            metric = family.metrics[gen.cell.metric] if isinstance(family, StatFamily) and gen.cell.metric else None
            tag = Tag(
                **_metadata(family), name=gen.name, kind=family.kind, layer=layer, type=family_type(family, metric),
                display_name=gen.display_name, description=gen.description, cell=gen.cell,
                origin=Origin(origin.file, origin.line, f"{origin.path}[{index}]"), unit=metric.unit if metric else None,
                default=0 if metric and metric.agg in COUNT_AGGS else None, source=getattr(family, "source", None),
            )  # fmt: skip
            if not is_machine_name(tag.name):
                self.problems.add(
                    origin.file,
                    holder.line_of("tag_name"),
                    f"{origin.path}.tag_name",
                    f"generated name {tag.name!r} is not a valid machine name (snake_case ASCII, at most 64 characters)",
                )
                return
            self._add(tag, origin)


def read_shapes(root: Path, problems: ProblemLog, ignore_lock: bool = False) -> Shapes:
    """Every file under `root` (but identity.yaml, the lock file and segments/) into shapes."""
    return _Reader(root, problems, ignore_lock).read()


def _metadata(spec: TagMeta | FamilyBase) -> dict[str, Any]:
    """What a tag carries over from its definition (a hand-written tag's or its family's)."""
    return {
        "subject": spec.subject, "status": spec.status, "category": tuple(spec.category), "owner": spec.owner,
        "business_line": spec.business_line, "visibility": spec.visibility, "frequency": spec.frequency,
        "version": spec.version, "spec": spec,
    }  # fmt: skip


def _placeholders(template: str) -> list[str]:
    return [name for _lit, name, _spec, _conv in string.Formatter().parse(template) if name]


def family_type(family: FamilyBase, metric: Any) -> str:
    """Value type of a family's generated tags (a stat metric may declare its own)."""
    if isinstance(family, StatFamily):
        return value_type(metric.type) if metric.type else agg_type(metric.agg)
    return "int" if isinstance(family, RecencyFamily) else "boolean"
