"""Validated library -> Plan: contributions grouped into steps, steps ordered by dependency depth.

Depth 0 reads sources: one AggregateStep and one PreferenceStep per (subject, source), one
FamilyStep per family. Depth d > 0 holds what needs depth < d: one
DerivedStep per subject (one select), and cross-subject steps. Cross-subject dependencies in both
directions (store tags from member tags, member tags from store tags) simply land at later depths.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from taglake.compiler import sqlkit
from taglake.compiler.builders import load_builders
from taglake.compiler.contributions import (
    FamilySql, LookupSql, PreferenceSql, RelatedAggregateSql, RowSql, ScanSql,
)
from taglake.compiler.plan import (
    DIM_ID, AggregateStep, CrossAggregateStep, CrossLookupStep, DerivedStep, FamilyStep, Output, Plan, Population,
    PreferenceStep, SourceRead, SubjectPlan,
)
from taglake.tagdefs.library import Library, Tag, TagRef
from taglake.tagdefs.model import TYPE_ALIASES, IdentityKey, StatFamily

log = logging.getLogger(__name__)

SCAN_TYPES = (ScanSql, PreferenceSql, FamilySql)


def contribution(tag: Tag, library: Library):
    builders = load_builders()
    if tag.cell is not None and tag.kind in ("stat", "recency"):
        return builders["family"](tag, library)
    return builders[tag.kind](tag, library)


def source_read(library: Library, source: str, subject: str, columns: set[str] | frozenset[str] = frozenset()) -> SourceRead:
    spec = library.sources[source]
    key = spec.keys[subject]
    where_sql = None
    needed = set(columns)
    if spec.where:
        from taglake.tagdefs.identifiers import parse

        parsed = parse(spec.where, library.root)
        where_sql = sqlkit.source_sql(parsed)
        needed |= parsed.columns
    identity: tuple[tuple[str, str], ...] = ()
    key_column = None
    if isinstance(key, IdentityKey):
        identity = tuple(key.identity.items())
        needed |= {c for _t, c in identity}
    else:
        key_column = key
        needed.add(key)
    if spec.time:
        needed.add(spec.time)
    table = spec.table if spec.table else f"delta.`{spec.path}`"
    return SourceRead(
        source=source, table=table,
        lookups=tuple((lk.table, lk.on, tuple(lk.columns)) for lk in spec.lookups),
        where_sql=where_sql, key_column=key_column, identity=identity, time_column=spec.time,
        columns=tuple(sorted(needed - {"snapshot_date"})),
    )


def select_tags(library: Library, statuses: tuple[str, ...], subjects: set[str] | None = None) -> list[Tag]:
    """Tags with a chosen status, plus everything they depend on (so a run is self-contained)."""
    by_ref = {t.ref: t for t in library.all_tags()}
    stack = [t.ref for t in by_ref.values() if t.status in statuses and (subjects is None or t.subject in subjects)]
    chosen: set[TagRef] = set()
    while stack:   # one walk up the dependencies of every chosen tag
        ref = stack.pop()
        if ref not in chosen:
            chosen.add(ref)
            stack.extend(by_ref[ref].deps)
    return [by_ref[ref] for ref in sorted(chosen)]


def compile_library(library: Library, statuses: tuple[str, ...] = ("online",), subjects: set[str] | None = None) -> Plan:
    tags = select_tags(library, statuses, subjects)
    by_ref = {t.ref: t for t in tags}
    contributions = {t.ref: contribution(t, library) for t in tags}

    depth: dict[TagRef, int] = {}
    for layer in library.dag().layers():
        for ref in layer:
            if ref not in by_ref:
                continue
            if isinstance(contributions[ref], SCAN_TYPES):
                depth[ref] = 0
            else:
                depth[ref] = 1 + max((depth[d] for d in by_ref[ref].deps if d in depth), default=0)

    aggregates: dict[tuple, AggregateStep] = {}
    preferences: dict[tuple, PreferenceStep] = {}
    families: dict[str, FamilyStep] = {}
    derived: dict[tuple, DerivedStep] = {}
    lookups: dict[tuple, CrossLookupStep] = {}
    related: dict[tuple, CrossAggregateStep] = {}
    measure_alias: dict[tuple, str] = {}

    for tag in sorted(tags, key=lambda t: (t.subject, t.origin.file, t.origin.line, t.name)):
        c = contributions[tag.ref]
        d = depth[tag.ref]
        out = lambda sql: Output(tag.name, sqlkit.cast(sql, tag.type), tag.type, tag.default)  # noqa: E731
        if isinstance(c, ScanSql):
            key = (tag.subject, c.source)
            step = aggregates.get(key)
            if step is None:
                step = aggregates[key] = AggregateStep(tag.subject, source_read(library, c.source, tag.subject), [])
            step.outputs.append(out(c.sql))
            _widen(step, library, c.columns)
        elif isinstance(c, PreferenceSql):
            key = (tag.subject, c.source)
            step = preferences.get(key)
            if step is None:
                step = preferences[key] = PreferenceStep(tag.subject, source_read(library, c.source, tag.subject), [], [], [])
            if c.dimension_sql not in step.dimensions:
                step.dimensions.append(c.dimension_sql)
            dim_id = step.dimensions.index(c.dimension_sql)
            condition = sqlkit.all_of(f"{sqlkit.col(DIM_ID)} = {dim_id}", c.condition_sql)
            measure_sql = sqlkit.aggregate("sum" if c.measure_sql else "count", condition, c.measure_sql)
            alias = measure_alias.get(key + (measure_sql,))
            if alias is None:
                alias = measure_alias[key + (measure_sql,)] = f"__m{len(step.measures)}"
                step.measures.append((alias, measure_sql))
            step.outputs.append(out(c.pick_sql.replace("{m}", sqlkit.col(alias))))
            _widen(step, library, c.columns)
        elif isinstance(c, FamilySql):
            step = families.get(c.family)
            if step is None:
                step = families[c.family] = _family_step(tag, library)
            step.cells.append(c.cell)
            step.outputs.append(Output(tag.name, "", tag.type, tag.default))   # computed in long form
        elif isinstance(c, RowSql):
            step = derived.setdefault((tag.subject, d), DerivedStep(tag.subject, []))
            sql = c.sql if tag.default is None else f"coalesce({c.sql}, {sqlkit.literal(tag.default)})"
            step.outputs.append(out(sql))
            step.inputs |= {dep.name for dep in tag.deps if dep.subject == tag.subject}
            step.thresholds.extend(c.thresholds)
        elif isinstance(c, LookupSql):
            step = lookups.setdefault((tag.subject, c.relation, d), CrossLookupStep(tag.subject, c.related, c.key_tag, []))
            step.outputs.append(out(c.sql))
            step.related_inputs |= c.related_inputs
        elif isinstance(c, RelatedAggregateSql):
            key = (tag.subject, c.relation, c.window, c.where_sql, d)
            step = related.get(key)
            if step is None:
                step = related[key] = CrossAggregateStep(
                    tag.subject, c.related, source_read(library, c.source, tag.subject, c.columns),
                    source_read(library, c.source, c.related, c.columns), c.window, c.where_sql, [])
            step.outputs.append(out(c.sql))
            step.related_inputs |= c.related_inputs
        else:  # pragma: no cover - a builder returned something the compiler does not know
            raise TypeError(f"builder for {tag.kind} returned {type(c).__name__}")

    per_subject: dict[str, list[tuple[int, object]]] = defaultdict(list)
    for step in [*aggregates.values(), *preferences.values(), *families.values()]:
        per_subject[step.subject].append((0, step))
    for (subject, d), step in derived.items():
        per_subject[subject].append((d, step))
    for (subject, _rel, d), step in lookups.items():
        per_subject[subject].append((d, step))
    for key, step in related.items():
        per_subject[key[0]].append((key[-1], step))

    plans = {}
    for subject, steps in per_subject.items():
        spec = library.subjects[subject]
        pop = spec.population
        read = source_read(library, pop.source, subject) if pop.source else None
        where = None
        if pop.where:
            from taglake.tagdefs.identifiers import parse

            where = sqlkit.source_sql(parse(pop.where, library.root))
        plans[subject] = SubjectPlan(subject, spec.key, Population(subject, pop.identity, read, where),
                                     sorted(steps, key=lambda s: s[0]))
    max_depth = max((d for d in depth.values()), default=0)
    log.debug("compiled %d tags into %d steps over %d subjects", len(tags), sum(len(p.steps) for p in plans.values()), len(plans))
    return Plan(plans, max_depth + 1, statuses)


def _widen(step, library: Library, columns: frozenset[str]) -> None:
    """Record source columns a step's expressions read (beyond keys, time and filter)."""
    extra = set(columns) - set(step.read.columns) - {"snapshot_date"}
    if extra:
        from dataclasses import replace

        step.read = replace(step.read, columns=tuple(sorted(set(step.read.columns) | extra)))


def _family_step(tag: Tag, library: Library) -> FamilyStep:
    family = tag.spec
    info = library.families[family.name]
    exprs = tag.exprs
    dims = [(d, sqlkit.source_sql(exprs[f"dim:{d}"]), tuple(info.values[d])) for d in family.by]
    where_sql = sqlkit.source_sql(exprs["where"]) if "where" in exprs else None
    columns = frozenset(c for p in exprs.values() for c in p.columns)
    read = source_read(library, family.source, family.subject, columns)
    if isinstance(family, StatFamily):
        metrics = [
            (name, m.agg, sqlkit.source_sql(exprs[f"metric:{name}"]) if m.value else None,
             TYPE_ALIASES.get(m.type, m.type) if m.type else ("bigint" if m.agg in ("count", "count_distinct") else "double"))
            for name, m in family.metrics.items()
        ]
        return FamilyStep(family.subject, read, family.name, "stat", dims, where_sql, list(family.windows), metrics, None, [], [])
    return FamilyStep(family.subject, read, family.name, "recency", dims, where_sql, [], [], family.pick, [], [])
