"""Validated segments: each definition with its parsed rule, dependencies and definition hash."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from taglake.core.dag import DAG
from taglake.core.hashing import stable_hash
from taglake.core.suggest import did_you_mean
from taglake.errors import InputError
from taglake.segments import rules as R
from taglake.segments.model import SegmentSpec
from taglake.tagdefs.library import Origin


@dataclass(eq=False)
class Segment:
    spec: SegmentSpec
    origin: Origin
    node: R.Node | None                 # the parsed rule (None for set operations)
    deps: tuple[str, ...] = ()          # segments this one reads (set operations and segment(...) refs)
    tags: tuple[str, ...] = ()          # tags its own rule and top-N read (not its dependencies')
    definition_hash: str = ""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def subject(self) -> str:
        return self.spec.subject

    @property
    def salt(self) -> str:
        return (self.spec.split.salt if self.spec.split and self.spec.split.salt else None) or self.name

    @property
    def groups(self) -> list[str]:
        return [g for g, _ in self.spec.split.shares()] if self.spec.split else []

    def describe(self) -> str:
        """The definition in one line (canonical form)."""
        spec = self.spec
        if self.node is not None:
            text = R.render(self.node)
        else:
            word = {"union": " ∪ ", "intersect": " ∩ ", "except": " − "}[spec.base_kind]
            text = word.join(spec.members_of)
        if spec.top:
            size = f"{spec.top.n:,}" if spec.top.n else f"{spec.top.percent:g}%"
            text += f"  | top {size} by {spec.top.by} {spec.top.order}"
        if spec.split:
            text += "  | split " + ", ".join(f"{g} {bp / 100:g}%" for g, bp in spec.split.shares())
        return text

    def definition(self) -> dict:
        """What the segment selects (not how it is described): the input of the definition hash."""
        spec = self.spec
        return {
            "subject": spec.subject,
            "base": spec.base_kind,
            "rule": R.render(self.node) if self.node is not None else None,
            "segments": spec.members_of,
            "top": spec.top.model_dump(mode="json") if spec.top else None,
            "split": {"shares": spec.split.shares(), "salt": self.salt} if spec.split else None,
        }


@dataclass
class SegmentLibrary:
    root: Path
    segments: dict[str, Segment]
    keys: dict[str, str]                                   # subject -> key column
    tag_types: dict[str, dict[str, str]] = field(default_factory=dict)   # subject -> referenced tag -> type

    def __len__(self) -> int:
        return len(self.segments)

    def get(self, name: str) -> Segment:
        if name in self.segments:
            return self.segments[name]
        hint = did_you_mean(name, self.segments, quote=False) or f" (segments: {', '.join(sorted(self.segments)[:20])})"
        raise InputError(f"unknown segment {name!r}{hint}")

    def dag(self) -> DAG[str]:
        graph: DAG[str] = DAG()
        for seg in self.segments.values():
            graph.add(seg.name, seg.deps)
        return graph

    def order(self, names: list[str] | None = None) -> list[str]:
        """`names` (default: all) and everything they depend on, dependencies first."""
        graph = self.dag()
        wanted = set(self.segments) if names is None else set(names)
        for name in list(wanted):
            wanted |= graph.upstream(name)
        return [n for layer in graph.layers() for n in layer if n in wanted]

    def active(self) -> list[str]:
        return sorted(n for n, s in self.segments.items() if s.spec.status == "active")

    def tags_read(self, names: list[str]) -> list[str]:
        """Every tag the segments (with their dependencies) read, in first-use order."""
        out: dict[str, None] = {}
        for name in self.order(names):
            out.update(dict.fromkeys(self.segments[name].tags))
        return list(out)

    def hash_all(self) -> None:
        """Definition hashes, dependencies first: a segment's hash covers those it builds on."""
        for name in self.order():
            seg = self.segments[name]
            payload = {"definition": seg.definition(), "deps": {d: self.segments[d].definition_hash for d in sorted(seg.deps)}}
            seg.definition_hash = stable_hash(payload)
