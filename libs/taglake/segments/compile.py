"""Rules to Spark columns, and the evaluation plan: which segments are computed in which step.

A rule becomes a boolean Column built with the Column API (never SQL text). Membership columns are
never null: a rule that is unknown for a subject (it reads a null tag) does not select it, as SQL's
three-valued logic says (docs/segments.md, "Nulls"). Set operations are boolean algebra on the
membership columns of the segments they combine, splits a hash of (salt, key), so both are
row-local and join the same projection as the rules. Only top-N needs the whole segment at once:
a segment that builds on a top-N segment is computed one step later.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from taglake.segments import rules as R
from taglake.segments.library import Segment, SegmentLibrary
from taglake.segments.model import SPLIT_SCALE

MEMBER_PREFIX = "__in__"
GROUP_PREFIX = "__group__"
BASE_PREFIX = "__base__"


def member_col(name: str) -> str:
    return f"{MEMBER_PREFIX}{name}"


def group_col(name: str) -> str:
    return f"{GROUP_PREFIX}{name}"


def _literal(value: R.Literal, tag_type: str) -> Column:
    if tag_type == "date":
        return F.lit(str(value.value)).cast("date")
    if tag_type == "timestamp":
        # Parsed by Spark in the session time zone, like the tag values themselves.
        return F.lit(str(R.as_timestamp(value.value))).cast("timestamp")
    if tag_type == "double":
        return F.lit(float(value.value))
    return F.lit(value.value)


class RuleCompiler:
    """Rule nodes -> Columns over the tag frame. `member` and `group` give the Column of another
    segment's membership and split group (a column of an earlier step, or its expression when it
    is computed in the same projection)."""

    def __init__(self, types: dict[str, str], member: Callable[[str], Column], group: Callable[[str], Column]):
        self.types, self.member, self.group = types, member, group

    def column(self, node: R.Node) -> Column:
        if isinstance(node, (R.And, R.Or)):
            out = self.column(node.items[0])
            for item in node.items[1:]:
                out = (out & self.column(item)) if isinstance(node, R.And) else (out | self.column(item))
            return out
        if isinstance(node, R.Not):
            return ~self.column(node.item)
        if isinstance(node, R.SegmentRef):
            inside = self.member(node.name)
            return inside if node.group is None else inside & (self.group(node.name) == F.lit(node.group))
        if isinstance(node, R.BoolTag):
            return F.col(node.tag.name) == F.lit(True)
        if isinstance(node, R.IsNull):
            col = F.col(node.tag.name)
            return col.isNotNull() if node.negated else col.isNull()
        tag = node.left.name if isinstance(node, R.Compare) else node.tag.name
        col, kind = F.col(tag), self.types[tag]
        if isinstance(node, R.Compare):
            right = F.col(node.right.name) if isinstance(node.right, R.TagName) else _literal(node.right, kind)
            return {"=": col == right, "!=": col != right, "<": col < right, "<=": col <= right,
                    ">": col > right, ">=": col >= right}[node.op]
        if isinstance(node, R.InList):
            inside = col.isin(*[_literal(v, kind) for v in node.values])
            return ~inside if node.negated else inside
        if isinstance(node, R.Between):
            inside = col.between(_literal(node.low, kind), _literal(node.high, kind))
            return ~inside if node.negated else inside
        if isinstance(node, R.Contains):
            if node.mode == "any":
                return F.arrays_overlap(col, F.array(*[F.lit(v.value) for v in node.values]))
            out = F.array_contains(col, F.lit(node.values[0].value))
            for value in node.values[1:]:
                out = out & F.array_contains(col, F.lit(value.value))
            return out
        raise TypeError(type(node).__name__)  # pragma: no cover


def split_bucket(salt: str, key: str) -> Column:
    """0..9999 from xxhash64(salt, key): the same for a subject and segment on every run."""
    return F.pmod(F.xxhash64(F.lit(salt), F.col(key).cast("string")), F.lit(SPLIT_SCALE))


def split_group(segment: Segment, key: str) -> Column:
    bucket = split_bucket(segment.salt, key)
    out, upper = None, 0
    for group, basis_points in segment.spec.split.shares():
        upper += basis_points
        out = (F.when(bucket < upper, F.lit(group)) if out is None else out.when(bucket < upper, F.lit(group)))
    return out


@dataclass
class Step:
    """`ranked`: top-N segments, each ranked over its base column (computed in the previous step);
    then `local`: row-local segments, all in one projection."""

    ranked: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)


@dataclass
class Plan:
    subject: str
    key: str
    order: list[str]                  # every segment computed, dependencies first
    steps: list[Step]
    tags: list[str]                   # tag columns read (the union over the segments)
    later_tags: list[str]             # tags read by steps after the first (kept in the cached frame)

    @property
    def ranked_steps(self) -> int:
        return sum(1 for s in self.steps if s.ranked)


def plan(library: SegmentLibrary, names: list[str]) -> Plan:
    """Steps for `names` of one subject (with what they depend on): segments go to the earliest step
    whose columns they need; a top-N segment is ranked one step after its base is known."""
    order = library.order(names)
    subjects = {library.segments[n].subject for n in order}
    if len(subjects) != 1:
        raise ValueError(f"plan() takes the segments of one subject, got {sorted(subjects)}")
    subject = subjects.pop()
    level: dict[str, int] = {}
    for name in order:
        seg = library.segments[name]
        base = max((level[d] for d in seg.deps), default=0)
        level[name] = base + 1 if seg.spec.top else base
    steps = [Step() for _ in range(max(level.values(), default=0) + 1)]
    for name in order:
        seg = library.segments[name]
        (steps[level[name]].ranked if seg.spec.top else steps[level[name]].local).append(name)
    # Tags the steps after the first read: rules computed there, and top-N scores (a top-N base is
    # computed one step before its ranking, so a base ranked in step 1 needs no tag later).
    later: list[str] = []
    for index, step in enumerate(steps[1:], 1):
        for name in step.local + step.ranked:
            seg = library.segments[name]
            rule_tags = [t.name for t in R.tag_names(seg.node)] if seg.node is not None else []
            if name in step.local or index >= 2:
                later += rule_tags
            if seg.spec.top:
                later.append(seg.spec.top.by)
    return Plan(subject, library.keys[subject], order, steps, library.tags_read(names), list(dict.fromkeys(later)))


class Projector:
    """The membership columns of a plan over a tag frame.

    The first step is one projection over the tags; its result (narrowed to what later steps need)
    is cached, so the tag tables are read once. A top-N segment takes its N best members from the
    cached frame (Spark's top-K: no full sort, no shuffle of whole rows) and is joined back as a
    broadcast of at most N keys; segments built on it follow in the next projection.
    """

    def __init__(self, library: SegmentLibrary, plan_: Plan):
        self.library, self.plan = library, plan_
        self._members: dict[str, Column] = {}   # segments of the projection being built: expressions
        self._groups: dict[str, Column] = {}
        self.rules = RuleCompiler(library.tag_types.get(plan_.subject, {}), self._member, self._group)

    def _member(self, name: str) -> Column:
        return self._members.get(name, F.col(member_col(name)))

    def _group(self, name: str) -> Column:
        return self._groups.get(name, F.col(group_col(name)))

    def base(self, seg: Segment) -> Column:
        """The segment before top-N and split: its rule or set operation (never null)."""
        spec = seg.spec
        if seg.node is not None:
            cond = self.rules.column(seg.node)
        else:
            cols = [self._member(n) for n in spec.members_of]
            cond = cols[0]
            for col in cols[1:]:
                cond = {"union": cond | col, "intersect": cond & col, "except": cond & ~col}[spec.base_kind]
        return F.coalesce(cond, F.lit(False))

    def local(self, frame: DataFrame, names: list[str], bases: list[str]) -> DataFrame:
        """One projection adding the membership (and split group) of `names` and the base column
        of the top-N segments `bases`; a segment used by another in the same projection is inlined."""
        self._members, self._groups = {}, {}
        cols = []
        for name in names:
            seg = self.library.segments[name]
            self._members[name] = self.base(seg)
            cols.append(self._members[name].alias(member_col(name)))
            if seg.spec.split:
                self._groups[name] = split_group(seg, self.plan.key)
                cols.append(self._groups[name].alias(group_col(name)))
        cols += [self.base(self.library.segments[name]).alias(BASE_PREFIX + name) for name in bases]
        self._members, self._groups = {}, {}
        return frame.select("*", *cols) if cols else frame

    def ranked(self, frame: DataFrame, names: list[str]) -> DataFrame:
        """Membership of the top-N segments `names`: null scores never rank; ties go to the smaller key."""
        key = self.plan.key
        segs = [self.library.segments[n] for n in names]

        def eligible(seg: Segment) -> Column:
            return F.col(BASE_PREFIX + seg.name) & F.col(seg.spec.top.by).isNotNull()

        percents = [s for s in segs if s.spec.top.percent is not None]
        counts = {}
        if percents:   # N% of the eligible members: one count for all of them
            row = frame.agg(*[F.count(F.when(eligible(s), 1)).alias(s.name) for s in percents]).first()
            counts = {s.name: math.ceil(row[s.name] * s.spec.top.percent / 100) for s in percents}
        winners = None
        for seg in segs:
            top = seg.spec.top
            n = top.n if top.n is not None else counts[seg.name]
            score = F.col(top.by).desc() if top.order == "desc" else F.col(top.by).asc()
            best = (frame.where(eligible(seg)).orderBy(score, F.col(key).asc()).limit(n)
                    .select(F.col(key), F.lit(seg.name).alias("__segment")))
            winners = best if winners is None else winners.unionByName(best)
        flags = winners.groupBy(key).agg(F.collect_set("__segment").alias("__won"))
        joined = frame.join(F.broadcast(flags), key, "left")
        cols = []
        for seg in segs:
            cols.append(F.coalesce(F.array_contains(F.col("__won"), F.lit(seg.name)), F.lit(False)).alias(member_col(seg.name)))
            if seg.spec.split:
                cols.append(split_group(seg, key).alias(group_col(seg.name)))
        return joined.select(*[F.col(c) for c in frame.columns], *cols)

    def bases_due(self) -> dict[int, list[str]]:
        """Step index -> top-N segments of the next step whose base column it computes."""
        out: dict[int, list[str]] = {}
        for index, step in enumerate(self.plan.steps):
            for name in step.ranked:
                out.setdefault(index - 1, []).append(name)
        return out

    def narrow(self, frame: DataFrame) -> DataFrame:
        """What later steps need of the first step's frame: the key, membership, groups, bases and their tags."""
        keep = [self.plan.key, *self.plan.later_tags]
        keep += [c for c in frame.columns if c.startswith((MEMBER_PREFIX, GROUP_PREFIX, BASE_PREFIX))]
        return frame.select(*dict.fromkeys(keep))
