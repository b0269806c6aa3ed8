"""Checking: what the loaded shapes mean -> problems. References resolve (subjects, sources,
relations, tags), expressions parse with allowed SQL and read known columns (when a catalog is at
hand), types agree, layers point downwards, online tags depend only on online tags, no cycles.

Each kind checks its own tags (`TagMeta.check` in its module under `kinds/`) through a
`TagContext`. What checking finds (parsed expressions, dependencies, inferred types) is returned
as a `Resolution`; nothing is written onto the tags here (`resolving.py` does that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from taglake.core import expressions as X
from taglake.core.dag import DAG
from taglake.core.problems import ProblemLog, show
from taglake.core.suggest import did_you_mean
from taglake.identity.config import IdentityConfig
from taglake.tagdefs import identifiers
from taglake.tagdefs.families import code_for
from taglake.tagdefs.library import FamilyInfo, Origin, Tag, TagRef
from taglake.tagdefs.loading import Shapes
from taglake.tagdefs.model import LAYERS, NUMERIC_TYPES, Case, IdentityKey, RecencyFamily, RuleFamily, Source, StatFamily

_LAYER_RANK = {layer: i for i, layer in enumerate(LAYERS)}


class SchemaProvider(Protocol):
    """Column names and Spark types of catalog tables; `None` for a table that does not exist."""

    def columns(self, table: str) -> dict[str, str] | None: ...


@dataclass
class Resolution:
    """What checking learnt, per tag: parsed expressions, dependencies, inferred value types."""

    exprs: dict[TagRef, dict[str, X.Parsed]] = field(default_factory=dict)
    deps: dict[TagRef, tuple[TagRef, ...]] = field(default_factory=dict)
    types: dict[TagRef, str] = field(default_factory=dict)
    rendered: dict[TagRef, dict[str, str]] = field(default_factory=dict)
    source_where: dict[str, X.Parsed] = field(default_factory=dict)  # source -> its `where`
    population_where: dict[str, X.Parsed] = field(default_factory=dict)  # subject -> population `where`


def qualified(source: Source, database: str) -> str:
    """The catalog name Spark reads a source from."""
    if source.path:
        return f"delta.`{source.path}`"
    table = source.table or ""
    return table if "." in table else f"{database}.{table}"


class TagContext:
    """What a kind's `check` sees of one tag: problem reporting at the right file:line, the
    library's subjects, sources and tags, and helpers that parse and register expressions."""

    def __init__(self, checker: Checker, tag: Tag):
        self.checker, self.tag = checker, tag
        self.subjects, self.sources, self.tags = checker.shapes.subjects, checker.shapes.sources, checker.shapes.tags
        holder = checker.shapes.holders.get(id(tag))
        self._line_of: Callable[[str], int] = holder.line_of if holder is not None else (lambda _key: tag.origin.line)
        self.exprs: dict[str, X.Parsed] = {}
        self.deps: list[TagRef] = []
        self.inferred: str | None = None

    def problem(self, key: str, message: str, code: str = "reference") -> None:
        origin = self.tag.origin
        self.checker.problems.add(origin.file, self._line_of(key), f"{origin.path}.{key}", message, code=code)

    def depend(self, *refs: TagRef) -> None:
        self.deps.extend(refs)

    def infer_type(self, value_type: str) -> None:
        self.inferred = value_type

    def types(self, subject: str | None = None) -> dict[str, str]:
        return self.checker.types(subject or self.tag.subject)

    def chain_to(self, name: str, found: Callable[[Tag], bool]) -> list[str] | None:
        """The dependency path from this subject's tag `name` down to the first tag (itself
        included) for which `found` holds, e.g. ['is_likely', 'buy_score']; None if there is none.
        Only once every tag's dependencies are known (`upstream_check`)."""
        deps, tags = self.checker.resolution.deps, self.tags
        stack: list[tuple[TagRef, list[str]]] = [(TagRef(self.tag.subject, name), [name])]
        seen: set[TagRef] = set()
        while stack:
            ref, path = stack.pop()
            tag = tags.get(ref.subject, {}).get(ref.name)
            if tag is None or ref in seen:
                continue
            seen.add(ref)
            if found(tag):
                return path
            stack.extend((dep, [*path, dep.name]) for dep in reversed(deps.get(ref, ())))
        return None

    # -- over the subject's other tags -------------------------------------------------------------

    def tag_ref(self, key: str, name: str, numeric: bool = False) -> None:
        subject_tags = self.tags[self.tag.subject]
        if name not in subject_tags:
            self.problem(key, f"unknown tag {name!r} of subject {self.tag.subject!r}{did_you_mean(name, subject_tags)}")
            return
        self.depend(TagRef(self.tag.subject, name))
        if numeric and subject_tags[name].type not in NUMERIC_TYPES:
            self.problem(key, f"tag {name!r} is {subject_tags[name].type}; this needs a number", "type")

    def tag_expr(self, key: str, text: str, boolean: bool = False, store: str | None = None) -> X.Parsed | None:
        """An expression over the subject's tags, registered as `store` (default: `key`)."""
        subject, subject_tags = self.tag.subject, self.tags[self.tag.subject]
        try:
            parsed = self.checker.parse_expr(text)
        except X.ExpressionProblem as err:
            self.problem(key, str(err), "expression")
            return None
        missing = sorted(c for c in parsed.columns if c not in subject_tags and c != X.SNAPSHOT_DATE)
        for name in missing:
            self.problem(key, f"unknown tag {name!r} of subject {subject!r}{did_you_mean(name, subject_tags)}")
        self.depend(*(TagRef(subject, c) for c in parsed.columns if c in subject_tags))
        types = self.types()
        for message in X.type_problems(parsed.tree, types):
            self.problem(key, message, "type")
        if boolean and not missing and not X.is_boolean(parsed.tree, types):
            self.problem(key, f"{text!r} must be a condition (true/false), but it is a {X.category(parsed.tree, types)}", "type")
        self.exprs[store or key] = parsed
        return parsed

    def cases(self, key: str, cases: list[Case], otherwise: Any) -> None:
        """Ordered cases (`when` conditions over tags, `then` values) registered as `case:<i>`;
        their values must lie in the tag's domain when it declares one."""
        for i, case in enumerate(cases):
            self.tag_expr(f"{key}[{i}].when", case.when, boolean=True, store=f"case:{i}")
        values = [c.then for c in cases] + ([otherwise] if otherwise is not None else [])
        if self.tag.domain is not None:
            outside = [v for v in values if v not in self.tag.domain]
            if outside:
                self.problem("domain", f"values {show(outside)} are not in the tag's domain {show(list(self.tag.domain))}", "type")

    # -- over a source's rows --------------------------------------------------------------------

    def source_expr(self, key: str, source: str, text: str) -> X.Parsed | None:
        origin = self.tag.origin
        parsed = self.checker.source_expr(source, text, origin.file, self._line_of(key), f"{origin.path}.{key}")
        if parsed is not None:
            self.exprs[key] = parsed
        return parsed

    def source_rows(self, keys: Iterable[str], windowed: bool = False, needs_time: bool = False) -> None:
        """A tag over its source's rows: the source exists and keys this subject, the expressions
        in `keys` read its columns, and a window (or a kind that `needs_time`) has a time column."""
        spec, tag = self.tag.spec, self.tag
        if not self.checker.source_ok(spec.source, tag.subject, tag.origin, f"{tag.origin.path}.source"):
            return
        for key in keys:
            text = getattr(spec, key, None)
            if text:
                self.source_expr(key, spec.source, text)
        if (needs_time or windowed) and not self.sources[spec.source].time:
            self.problem("source", f"source {spec.source!r} has no `time` column; {'windows' if windowed else tag.kind + ' tags'} need one")


class Checker:
    def __init__(
        self,
        shapes: Shapes,
        problems: ProblemLog,
        schemas: SchemaProvider | None = None,
        database: str = "taglake",
        id_types: tuple[str, ...] = (),
        identity: IdentityConfig | None = None,
    ):
        self.shapes, self.problems, self.schemas, self.database = shapes, problems, schemas, database
        self.id_types = id_types
        # identity.yaml: what `canonical_id(...)` expands to, and which columns hold identifiers.
        self.identity = identity if identity is not None else IdentityConfig.default()
        self.resolution = Resolution()
        self._types: dict[str, dict[str, str]] = {}
        self._source_columns: dict[str, dict[str, str] | None] = {}

    def check(self) -> Resolution:
        self._subjects()
        self._sources()
        self._families()
        for tag in self.shapes.all_tags():
            if tag.cell is None:
                self._tag(tag)
        self._dependencies()
        self._upstream()
        return self.resolution

    def types(self, subject: str) -> dict[str, str]:
        """Value type of every tag of a subject (built once; expressions type-check against it)."""
        if subject not in self._types:
            inferred = self.resolution.types
            self._types[subject] = {n: inferred.get(t.ref, t.type) for n, t in self.shapes.tags.get(subject, {}).items()}
        return self._types[subject]

    def _add(self, origin: Origin, path: str, message: str, code: str = "reference") -> None:
        self.problems.add(origin.file, origin.line, path, message, code=code)

    # -- subjects and sources ---------------------------------------------------------------------

    def _subjects(self) -> None:
        subjects, sources, tags = self.shapes.subjects, self.shapes.sources, self.shapes.tags
        for name, subject in subjects.items():
            origin = self.shapes.origins[f"subject:{name}"]
            pop = subject.population
            path = f"subjects.{name}.population"
            if pop.source and pop.source not in sources:
                self._add(origin, f"{path}.source", f"unknown source {pop.source!r}{did_you_mean(pop.source, sources)}")
            elif pop.source and name not in sources[pop.source].keys:
                self._add(
                    origin,
                    f"{path}.source",
                    f"source {pop.source!r} has no key for subject {name!r} (its keys: {', '.join(sources[pop.source].keys)})",
                )
            elif pop.where:
                # The population filter reads the population source's rows, like any source filter.
                parsed = (
                    self.source_expr(pop.source, pop.where, origin.file, origin.line, f"{path}.where")
                    if pop.source
                    else self._parse(pop.where, origin, f"{path}.where")
                )
                if parsed is not None:
                    self.resolution.population_where[name] = parsed
            for rel_name, rel in subject.relations.items():
                path = f"subjects.{name}.relations.{rel_name}"
                if rel.to not in subjects:
                    self._add(origin, f"{path}.to", f"unknown subject {rel.to!r}{did_you_mean(rel.to, subjects)}")
                    continue
                if rel.source is not None:
                    src = sources.get(rel.source)
                    if src is None:
                        self._add(origin, f"{path}.source", f"unknown source {rel.source!r}{did_you_mean(rel.source, sources)}")
                    else:
                        missing = [s for s in (name, rel.to) if s not in src.keys]
                        if missing:
                            self._add(
                                origin,
                                f"{path}.source",
                                f"source {rel.source!r} has no key for subject "
                                f"{', '.join(map(repr, missing))}; it cannot link {name} to {rel.to}",
                            )
                elif rel.tag not in tags.get(name, {}):
                    self._add(
                        origin, f"{path}.tag", f"unknown tag {rel.tag!r} of subject {name!r}{did_you_mean(rel.tag, tags.get(name, {}))}"
                    )

    def _sources(self) -> None:
        for name, source in self.shapes.sources.items():
            origin = self.shapes.origins[f"source:{name}"]
            for subject, key in source.keys.items():
                if subject not in self.shapes.subjects:
                    self._add(
                        origin,
                        f"sources.{name}.keys.{subject}",
                        f"unknown subject {subject!r}{did_you_mean(subject, self.shapes.subjects)}",
                    )
                if isinstance(key, IdentityKey):
                    for id_type in key.identity:
                        if id_type not in self.id_types:
                            self._add(
                                origin,
                                f"sources.{name}.keys.{subject}.identity.{id_type}",
                                f"unknown identifier type {id_type!r} (allowed: {', '.join(self.id_types)})"
                                f"{did_you_mean(id_type, self.id_types)}",
                            )
            columns = self.source_columns(name)
            if columns is None and self.schemas is not None:
                self._add(origin, f"sources.{name}.table", f"table {qualified(source, self.database)!r} not found in the catalog", "column")
                continue
            needed = []
            for key in source.keys.values():
                needed += list(key.identity.values()) if isinstance(key, IdentityKey) else [key]
            if source.time:
                needed.append(source.time)
            for col in needed:
                if columns is not None and col not in columns:
                    self._add(
                        origin,
                        f"sources.{name}",
                        f"column {col!r} not in {qualified(source, self.database)} (columns: {', '.join(sorted(columns))})",
                        "column",
                    )
            if source.where:
                parsed = self.source_expr(name, source.where, origin.file, origin.line, f"sources.{name}.where")
                if parsed is not None:
                    self.resolution.source_where[name] = parsed

    def source_columns(self, name: str) -> dict[str, str] | None:
        """Columns visible to expressions on a source: the table's plus its lookups' (None if unknown)."""
        if name in self._source_columns:
            return self._source_columns[name]
        source = self.shapes.sources[name]
        columns: dict[str, str] | None = None
        if self.schemas is not None:
            table_cols = self.schemas.columns(qualified(source, self.database))
            if table_cols is not None:
                columns = dict(table_cols)
                for lookup in source.lookups:
                    table = lookup.table if "." in lookup.table else f"{self.database}.{lookup.table}"
                    dim_cols = self.schemas.columns(table) or {}
                    columns.update({col: dim_cols[col] for col in lookup.columns if col in dim_cols})
        self._source_columns[name] = columns
        return columns

    def parse_expr(self, text: str) -> X.Parsed:
        """A checked expression with its `canonical_id(...)` calls expanded (tagdefs/identifiers.py)."""
        return identifiers.expand(X.parse_checked(text), self.identity)

    def identifier_columns(self, source: str) -> dict[str, str]:
        """Columns of a source that hold identifiers (column -> type): its OneID keys, and what
        identity.yaml declares for the same table."""
        spec = self.shapes.sources[source]
        columns = {col: t for key in spec.keys.values() if isinstance(key, IdentityKey) for t, col in key.identity.items()}
        table = (spec.table or "").rsplit(".", 1)[-1]
        for declared in self.identity.sources:
            if declared.table.rsplit(".", 1)[-1] == table:
                columns.update({i.column: i.type for i in declared.identifiers})
        return columns

    def _parse(self, text: str, origin: Origin, path: str, line: int | None = None) -> X.Parsed | None:
        try:
            return self.parse_expr(text)
        except X.ExpressionProblem as err:
            self.problems.add(origin.file, origin.line if line is None else line, path, str(err), code="expression")
            return None

    def source_expr(self, source: str, text: str, file: str, line: int, path: str) -> X.Parsed | None:
        """A row-level expression over a source: parsed, checked, its columns known to the source;
        a bare presence test on an identifier column is refused (placeholders would count)."""
        try:
            parsed = X.parse_checked(text)
            for message in identifiers.presence_problems(parsed, self.identifier_columns(source)):
                self.problems.add(file, line, path, message, code="expression")
            parsed = identifiers.expand(parsed, self.identity)
        except X.ExpressionProblem as err:
            self.problems.add(file, line, path, str(err), code="expression")
            return None
        columns = self.source_columns(source)
        if columns is None:  # offline: columns are checked when a catalog is at hand
            return parsed
        known = set(columns)
        unknown = sorted(c for c in parsed.columns if c not in known and c != X.SNAPSHOT_DATE)
        if unknown:
            self.problems.add(
                file,
                line,
                path,
                f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} in source {source!r}"
                f"{did_you_mean(unknown[0], known)} (columns: {', '.join(sorted(known))})",
                code="column",
            )
        return parsed

    def source_ok(self, source: str, subject: str, origin: Origin, path: str) -> bool:
        sources = self.shapes.sources
        if source not in sources:
            self._add(origin, path, f"unknown source {source!r}{did_you_mean(source, sources)}")
            return False
        if subject not in sources[source].keys:
            self._add(origin, path, f"source {source!r} has no key for subject {subject!r} (its keys: {', '.join(sources[source].keys)})")
            return False
        return True

    # -- tags -----------------------------------------------------------------------------------------

    def _tag(self, tag: Tag) -> None:
        subjects = self.shapes.subjects
        ctx = TagContext(self, tag)
        if tag.subject not in subjects:
            ctx.problem(
                "subject", f"unknown subject {tag.subject!r}{did_you_mean(tag.subject, subjects)} (subjects: {', '.join(sorted(subjects))})"
            )
            return
        tag.spec.check(ctx)
        self.resolution.exprs[tag.ref] = ctx.exprs
        self.resolution.deps[tag.ref] = tuple(dict.fromkeys(ctx.deps))
        if ctx.inferred is not None:
            self.resolution.types[tag.ref] = ctx.inferred

    def _families(self) -> None:
        for info in self.shapes.families.values():
            family, origin = info.spec, info.origin
            if family.subject not in self.shapes.subjects:
                self._add(
                    origin,
                    f"{origin.path}.subject",
                    f"unknown subject {family.subject!r}{did_you_mean(family.subject, self.shapes.subjects)}",
                )
                continue
            if isinstance(family, RuleFamily):
                self._rule_family(info)
                continue
            assert isinstance(family, (StatFamily, RecencyFamily))
            if not self.source_ok(family.source, family.subject, origin, f"{origin.path}.source"):
                continue
            texts = {"where": (family.where, "where")} if family.where else {}
            texts.update({f"dim:{dim}": (spec.column, f"by.{dim}.column") for dim, spec in family.by.items()})
            if isinstance(family, StatFamily):
                texts.update({f"metric:{m}": (metric.value, f"metrics.{m}.value") for m, metric in family.metrics.items() if metric.value})
            elif not self.shapes.sources[family.source].time:
                self._add(origin, f"{origin.path}.source", f"source {family.source!r} has no `time` column; recency needs one")
            exprs: dict[str, X.Parsed] = {}
            for name, (text, path) in texts.items():
                if p := self.source_expr(family.source, text, origin.file, origin.line, f"{origin.path}.{path}"):
                    exprs[name] = p
            for tag_name in info.tags:  # one dict shared by every cell of the family
                self.resolution.exprs[TagRef(family.subject, tag_name)] = exprs

    def _rule_family(self, info: FamilyInfo) -> None:
        """Parse the rule template once; per generated tag only the referenced names change."""
        family, origin = info.spec, info.origin
        assert isinstance(family, RuleFamily)
        sentinel = {dim: f"__{dim}__" for dim in family.by}
        try:
            parsed = self.parse_expr(family.expr.format_map(sentinel))
        except (X.ExpressionProblem, KeyError, IndexError, ValueError) as err:
            self._add(origin, f"{origin.path}.expr", str(err), "expression")
            return
        subject_tags = self.shapes.tags.get(family.subject, {})
        text = X.render(parsed.tree)
        dictionaries = self.shapes.dictionaries
        first: str | None = None
        for tag_name in info.tags:
            tag = subject_tags[tag_name]
            assert tag.cell is not None
            values = dict(tag.cell.dims)
            codes = {d: code_for(values[d], dictionaries.get(d) or dictionaries.get(family.by[d].column) or {}) for d in family.by}
            deps: list[str] = []
            missing: list[str] = []
            for col in parsed.columns:
                name = col
                for dim, mark in sentinel.items():
                    name = name.replace(mark, codes[dim])
                if name == X.SNAPSHOT_DATE:
                    continue
                (deps if name in subject_tags else missing).append(name)
            if missing:
                self._add(
                    origin,
                    f"{origin.path}.expr",
                    f"generated tag {tag_name!r} refers to unknown tag{'s' if len(missing) > 1 else ''} {', '.join(sorted(missing))}",
                )
                return
            rendered = text
            for dim, mark in sentinel.items():
                rendered = rendered.replace(mark, codes[dim])
            self.resolution.rendered[tag.ref] = {"expr": rendered}
            self.resolution.deps[tag.ref] = tuple(TagRef(family.subject, d) for d in sorted(deps))
            first = first or rendered
        if first is not None:
            for message in X.type_problems(X.parse(first.replace("`", "")), self.types(family.subject)):
                self._add(origin, f"{origin.path}.expr", message, "type")

    # -- across tags ----------------------------------------------------------------------------------

    def _upstream(self) -> None:
        """Rules over a tag's whole upstream (a model's features may not be computed from another
        model): a kind's `upstream_check(ctx)`, run once every tag's dependencies are known."""
        for tag in self.shapes.all_tags():
            check = getattr(tag.spec, "upstream_check", None)
            if tag.cell is None and tag.subject in self.shapes.subjects and check is not None:
                check(TagContext(self, tag))

    def _dependencies(self) -> None:
        graph: DAG[TagRef] = DAG()
        all_tags = {t.ref: t for t in self.shapes.all_tags()}
        for tag in all_tags.values():
            deps = self.resolution.deps.get(tag.ref, ())
            graph.add(tag.ref, deps)
            for dep in deps:
                target = all_tags.get(dep)
                if target is None:
                    continue
                if _LAYER_RANK[target.layer] > _LAYER_RANK[tag.layer]:
                    self._add(
                        tag.origin,
                        tag.origin.path,
                        f"layer violation: {tag.layer} tag {tag.ref} depends on {target.layer} tag {dep}; "
                        "dependencies may only point to the same or a lower layer (base < business < application)",
                        "layer",
                    )
                if tag.status == "online" and target.status != "online":
                    self._add(
                        tag.origin,
                        tag.origin.path,
                        f"online tag {tag.ref} depends on {dep}, which is {target.status}; put {dep} online first",
                        "status",
                    )
        cycle = graph.find_cycle()
        if cycle:
            first = all_tags[cycle[0]]
            self._add(
                first.origin,
                first.origin.path,
                "dependency cycle: " + " -> ".join(str(r) for r in cycle) + " (each depends on the next)",
                "cycle",
            )
