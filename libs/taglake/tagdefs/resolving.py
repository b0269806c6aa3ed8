"""Resolving: checked shapes -> the `Library` the compiler reads, each tag with its parsed
expressions, dependencies and final value type, and a definition hash per source."""

from __future__ import annotations

from taglake.core.hashing import stable_hash
from taglake.tagdefs.checking import Resolution
from taglake.tagdefs.library import Library
from taglake.tagdefs.loading import Shapes


def resolve(shapes: Shapes, resolution: Resolution, *, columns_checked: bool, id_types: tuple[str, ...]) -> Library:
    for tag in shapes.all_tags():
        ref = tag.ref
        tag.exprs = resolution.exprs.get(ref, {})
        tag.deps = resolution.deps.get(ref, ())
        tag.rendered = resolution.rendered.get(ref, {})
        tag.type = resolution.types.get(ref, tag.type)
    same = ("root", "subjects", "sources", "families", "dictionaries", "origins")
    return Library(
        **{name: getattr(shapes, name) for name in same},
        tags=dict(shapes.tags),
        # `history` describes the source's past, not what its tags compute: outside the hash.
        source_hashes={name: stable_hash(source.model_dump(mode="json", exclude={"history"})) for name, source in shapes.sources.items()},
        columns_checked=columns_checked,
        id_types=id_types,
        source_where=resolution.source_where,
        population_where=resolution.population_where,
    )
