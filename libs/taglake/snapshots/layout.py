"""Physical layout: a subject's tags live in column groups, each a Delta table partitioned by
snapshot date, with one row per subject and one plain column per tag (docs/storage.md explains
the measurements behind it). BI users see one view per subject that joins the groups.

Core groups hold one row per subject. A family group computed in long form is *sparse*: it holds
only the subjects with data in its slice of the grid (on the medium demo 4-23% of them), since
writing the others' empty cells was most of the run. Readers start from the base group (the
first, a core group) and fill absent rows with each tag's default (registry `tag_columns.fill`).

A tag keeps its group forever: new tags fill the last group of their family (or the core group
of hand-written tags) or open a new one, so adding tags never rewrites old snapshots.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

SNAPSHOT_COLUMN = "snapshot_date"


@dataclass(frozen=True)
class Placement:
    group: str
    position: int


def group_table(subject: str, group: str) -> str:
    return f"tags_{subject}__{group}"


def view_name(subject: str) -> str:
    return f"tags_{subject}"


def latest_view_name(subject: str) -> str:
    return f"tags_{subject}_latest"


def family_prefix(family: str | None) -> str:
    return f"f_{family}" if family else "core"


def assign(tags: list[tuple[str, str | None]], existing: dict[str, Placement], group_size: int) -> dict[str, Placement]:
    """Place every (tag, family) in a group. Existing placements never move; new tags go to the
    last group of their prefix with room, else to a new group (`core_001`, `f_brand_spend_003`)."""
    placed = dict(existing)
    fill: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for placement in existing.values():
        prefix = placement.group.rsplit("_", 1)[0]
        fill[prefix][placement.group] = max(fill[prefix][placement.group], placement.position + 1)
    for name, family in tags:
        if name in placed:
            continue
        prefix = family_prefix(family)
        groups = fill[prefix]
        last = max(groups, default=None)
        if last is None or groups[last] >= group_size:
            last = f"{prefix}_{len(groups) + 1:03d}"
            groups[last] = 0
        placed[name] = Placement(last, groups[last])
        groups[last] += 1
    return placed


def base_group(groups) -> str:
    """The group every reader starts from: the first by name, a dense core group when the subject
    has hand-written tags (`core_` sorts before `f_`)."""
    return min(groups)


def sparse_allowed(groups) -> bool:
    """Family groups may leave out subjects without data only when a dense core group is the base."""
    return base_group(groups).startswith(family_prefix(None) + "_")


def by_group(placements: dict[str, Placement]) -> dict[str, list[str]]:
    """Group name -> tags in column order."""
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for name, p in placements.items():
        out[p.group].append((p.position, name))
    return {g: [n for _pos, n in sorted(items)] for g, items in sorted(out.items())}
