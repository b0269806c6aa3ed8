"""Load tagdefs/segments/*.yaml into a validated `SegmentLibrary`, reporting every problem in one run.

Two passes as for tag definitions: the shape of each entry (pydantic, unknown keys rejected), then
its meaning against the tag library (`validate.py`), then the dependencies between segments (a
cycle is reported with its exact path). Nothing is raised until the end.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from taglake.core.dag import DAG
from taglake.core.problems import DefinitionError, ProblemLog, show
from taglake.core.suggest import did_you_mean
from taglake.core.yamlio import Located, YamlProblem, load_file
from taglake.segments import rules as R
from taglake.segments.grammar import RuleSyntaxError, parse_rule
from taglake.segments.library import Segment, SegmentLibrary
from taglake.segments.model import FILE_SECTIONS, Defaults, SegmentSpec
from taglake.segments.validate import SegmentChecker
from taglake.tagdefs.library import Library, Origin

log = logging.getLogger(__name__)

SEGMENTS_DIR = "segments"


class SegmentError(DefinitionError):
    """Invalid segment definitions: every problem found, one line each."""

    single = "invalid segment definition"


def segments_root(tagdefs: Path | str) -> Path:
    return Path(tagdefs) / SEGMENTS_DIR


class _Loader:
    def __init__(self, root: Path, library: Library, statuses: tuple[str, ...]):
        self.root, self.library, self.statuses = root, library, statuses
        self.problems = ProblemLog()
        self.specs: dict[str, SegmentSpec] = {}
        self.origins: dict[str, Origin] = {}
        self.rule_lines: dict[str, int] = {}     # segment -> file line where its rule text starts
        self.lines: dict[str, list[str]] = {}    # file -> its lines

    def files(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))

    # -- shape ------------------------------------------------------------------------------------

    def read(self) -> None:
        display = self.root.parent.parent if self.root.parent.name else self.root.parent
        for path in self.files():
            try:
                data = load_file(path, display)
            except YamlProblem as err:
                self.problems.yaml(err)
                continue
            name = str(path.relative_to(display)) if path.is_relative_to(display) else str(path)
            self.lines[name] = path.read_text(encoding="utf-8").splitlines()
            if data is None:
                continue
            if not isinstance(data, Located):
                self.problems.add(name, 1, "", f"expected a mapping with `segments:` (and optional `defaults:`), "
                                  f"got {type(data).__name__}", code="shape")
                continue
            for key in data:
                if key not in FILE_SECTIONS:
                    self.problems.add(name, data.line_of(key), key, f"unknown section {key!r} (allowed: "
                                      f"{', '.join(FILE_SECTIONS)}){did_you_mean(key, FILE_SECTIONS)}", code="shape")
            defaults = self._defaults(data, name)
            entries = data.get("segments") or []
            if not isinstance(entries, list):
                self.problems.add(name, data.line_of("segments"), "segments", "expected a list of segments", code="shape")
                continue
            for index, raw in enumerate(entries):
                self._entry(raw, index, name, data.line_of("segments"), defaults)

    def _defaults(self, data: Located, name: str) -> dict[str, Any]:
        raw = data.get("defaults")
        if raw is None:
            return {}
        try:
            return Defaults.model_validate(raw).model_dump(exclude_none=True)
        except ValidationError as err:
            self._shape(err, raw, name, "defaults", data.line_of("defaults"), Defaults)
            return {}

    def _entry(self, raw: Any, index: int, file: str, section_line: int, defaults: dict[str, Any]) -> None:
        path = f"segments[{index}]"
        line = getattr(raw, "line", section_line)
        if not isinstance(raw, dict):
            self.problems.add(file, line, path, f"expected a mapping (name, display_name, rule, ...), got {show(raw)}", code="shape")
            return
        name = raw.get("name")
        label = f"segment {name!r}" if isinstance(name, str) else path
        try:
            spec = SegmentSpec.model_validate({**defaults, **raw})
        except ValidationError as err:
            self._shape(err, raw, file, label, line)
            return
        if spec.name in self.specs:
            first = self.origins[spec.name]
            self.problems.add(file, line, label, f"segment {spec.name!r} is defined twice (first at {first}); "
                              "segment names must be unique", code="duplicate")
            return
        self.specs[spec.name] = spec
        self.origins[spec.name] = Origin(file, line, path)
        if spec.rule is not None:
            self.rule_lines[spec.name] = self._rule_line(file, raw, spec.rule)

    def _shape(self, error: ValidationError, raw: Any, file: str, label: str, line: int, model=SegmentSpec) -> None:
        self.problems.pydantic(error, raw, file=file, line=line, path=label, model=model)

    def _rule_line(self, file: str, raw: Located, rule: str) -> int:
        """File line of the rule's first line: the key's line, or the next one for a block scalar."""
        key_line = raw.line_of("rule")
        first = rule.strip().splitlines()[0].strip() if rule.strip() else ""
        lines = self.lines.get(file, [])
        if 0 < key_line <= len(lines) and first and first[:20] in lines[key_line - 1]:
            return key_line
        return key_line + 1

    # -- meaning ----------------------------------------------------------------------------------

    def check(self) -> dict[str, Segment]:
        segments: dict[str, Segment] = {}
        for name, spec in self.specs.items():
            origin = self.origins[name]

            def report(where: str, pos: R.Pos | None, message: str, code: str, _o=origin, _n=name) -> None:
                line = _o.line
                label = f"segment {_n!r}, {where}"
                if where == "rule" and _n in self.rule_lines:
                    line = self.rule_lines[_n] + ((pos.line - 1) if pos else 0)
                    if pos is not None:
                        label += f" at {pos}"
                elif where in ("top.by", "split", "profile_tags", "subject") or where.startswith(("union", "intersect", "except")):
                    raw_key = where.split(".")[0].split("[")[0]
                    line = self._key_line(_o, raw_key)
                self.problems.add(_o.file, line, label, message, code=code)

            if spec.subject not in self.library.subjects:
                report("subject", None, f"unknown subject {spec.subject!r} (subjects: {', '.join(sorted(self.library.subjects))})"
                       f"{did_you_mean(spec.subject, self.library.subjects)}", "reference")
                continue
            checker = SegmentChecker(self.library, self.specs, self.statuses, spec, report)
            node = None
            if spec.rule is not None:
                try:
                    node = parse_rule(spec.rule)
                except RuleSyntaxError as err:
                    report("rule", err.pos, err.message, "syntax")
                    continue
                checker.node(node, "rule")
            key = {"union": "union", "intersect": "intersect", "except": "except"}.get(spec.base_kind)
            for i, other in enumerate(spec.members_of):
                checker.segment_ref(other, None, None, f"{key}[{i}]")
            if spec.top:
                checker.top_by(spec.top.by, "top.by")
            for i, tag in enumerate(spec.profile_tags):
                checker.profile_tag(tag, f"profile_tags[{i}]")
            deps = tuple(dict.fromkeys([*spec.members_of, *(r.name for r in (R.segment_refs(node) if node else []))]))
            tags = [t.name for t in (R.tag_names(node) if node else [])] + ([spec.top.by] if spec.top else [])
            segments[name] = Segment(spec, origin, node, deps, tuple(dict.fromkeys(tags)))
        self._check_cycles(segments)
        return segments

    def _key_line(self, origin: Origin, key: str) -> int:
        """Line of `key` inside the segment's mapping (found by text: the mapping's own lines)."""
        lines = self.lines.get(origin.file, [])
        for number in range(origin.line, min(len(lines), origin.line + 60) + 1):
            text = lines[number - 1].strip().lstrip("- ")
            if text.startswith(f"{key}:"):
                return number
        return origin.line

    def _check_cycles(self, segments: dict[str, Segment]) -> None:
        graph: DAG[str] = DAG()
        for seg in segments.values():
            graph.add(seg.name, [d for d in seg.deps if d in segments])
        reported: set[frozenset[str]] = set()
        while True:
            cycle = graph.find_cycle()
            if not cycle:
                return
            members = frozenset(cycle)
            if members not in reported:
                reported.add(members)
                first = segments[cycle[0]]
                self.problems.add(first.origin.file, first.origin.line, f"segment {cycle[0]!r}",
                                  "segments depend on each other in a cycle: " + " -> ".join(cycle)
                                  + " (a segment cannot include itself, directly or through others)", code="cycle")
            # Break the reported cycle and look for others.
            for name in cycle[:-1]:
                segments[name].deps = tuple(d for d in segments[name].deps if d not in members)
            graph = DAG()
            for seg in segments.values():
                graph.add(seg.name, [d for d in seg.deps if d in segments])

    def load(self) -> SegmentLibrary:
        self.read()
        segments = self.check()
        self.problems.raise_if_any("segment definitions", SegmentError)
        keys = {s: subject.key for s, subject in self.library.subjects.items()}
        types: dict[str, dict[str, str]] = {}
        for seg in segments.values():
            subject_tags = self.library.tags[seg.subject]
            for tag in (*seg.tags, *seg.spec.profile_tags):
                types.setdefault(seg.subject, {})[tag] = subject_tags[tag].type
        out = SegmentLibrary(self.root, segments, keys, types)
        out.hash_all()
        log.debug("%d segment(s) loaded from %s", len(segments), self.root)
        return out


def load_segments(root: Path | str, library: Library, statuses: tuple[str, ...] = ("online",)) -> SegmentLibrary:
    """Load and validate every segment under `root` (usually tagdefs/segments); raises SegmentError
    listing every problem found. `statuses`: tag statuses the snapshots hold."""
    return _Loader(Path(root), library, tuple(statuses)).load()
