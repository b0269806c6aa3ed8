"""Validated library -> Plan: contributions grouped into steps, steps ordered by dependency depth.

Depth 0 reads sources: one AggregateStep and one PreferenceStep per (subject, source), one
FamilyStep per family. Depth d > 0 holds what needs depth < d: one
DerivedStep per subject (one select), and cross-subject steps. Cross-subject dependencies in both
directions (store tags from member tags, member tags from store tags) simply land at later depths.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from taglake.compiler import sqlkit
from taglake.compiler.builders import load_builders
from taglake.compiler.contributions import StepBook
from taglake.compiler.plan import Plan, Population, SourceRead, SubjectPlan
from taglake.tagdefs.library import Library, Tag, TagRef
from taglake.tagdefs.model import IdentityKey

log = logging.getLogger(__name__)

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
    if source in library.source_where:
        parsed = library.source_where[source]
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
            if contributions[ref].scan:
                depth[ref] = 0
            else:
                depth[ref] = 1 + max((depth[d] for d in by_ref[ref].deps if d in depth), default=0)

    book = StepBook(library, source_read)
    for tag in sorted(tags, key=lambda t: (t.subject, t.origin.file, t.origin.line, t.name)):
        contributions[tag.ref].place(tag, depth[tag.ref], book)

    per_subject: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    for step_depth, step in book.steps.values():
        per_subject[step.subject].append((step_depth, step))
    plans = {}
    for subject, steps in per_subject.items():
        spec = library.subjects[subject]
        pop = spec.population
        read = source_read(library, pop.source, subject) if pop.source else None
        parsed = library.population_where.get(subject)
        where = sqlkit.source_sql(parsed) if parsed is not None else None
        # Within a depth, steps keep their type's order (`order`), then the order they were opened.
        ordered = sorted(steps, key=lambda s: (s[0], type(s[1]).order))
        plans[subject] = SubjectPlan(subject, spec.key, Population(subject, pop.identity, read, where), ordered)
    max_depth = max((d for d in depth.values()), default=0)
    log.debug("compiled %d tags into %d steps over %d subjects", len(tags), sum(len(p.steps) for p in plans.values()), len(plans))
    return Plan(plans, max_depth + 1, statuses)
