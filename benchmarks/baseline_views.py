"""The serving layout taglake had until the wide reader (the baseline of benchmarks/reads.py):
BI views over the column groups, pinned to Delta versions so a switch is atomic.

Kept only to measure the current layout against it in the same run; nothing in libs/ uses it.

`tags_<subject>` has one row per subject per retained snapshot date and one plain column per tag;
`tags_<subject>_latest` is the newest complete date. Every group table is pinned with VERSION AS
OF: while a run writes new versions, readers keep seeing the previous snapshot, and replacing the
subject's view at the end switches everyone to the new one at once.

The first group is the view's base (a core group: every subject); every other group is joined
through a *piece view* `tags_<subject>__<group>__v<version>` = `SELECT key, date, first(col)...
GROUP BY key, date` of that group at that version. A sparse family group's piece starts from the
base's keys (LEFT JOIN) so subjects without data read the tags' defaults (0 for counts). With distinct keys on the right, Spark removes a left join whose
columns a query does not use, so `SELECT city FROM tags_member` reads one group, not all of them.
Piece views are named after the version they pin, so new pieces are created beside the old ones
and one CREATE OR REPLACE of the subject's view is the switch; pieces no longer referenced are
dropped afterwards.

Why pieces at all: the embedded metastore (Derby) stores a view's text in a LONG VARCHAR of
32,700 characters, which a view naming 1,000 columns already exceeds. Every view taglake writes
stays under VIEW_TEXT_BUDGET characters: a group whose column list would not fit is split into
several pieces, and the subject's view only names the pieces.
"""

from __future__ import annotations

import datetime as dt

from taglake.core.expressions import quote_identifier as q
from taglake.errors import DataError
from taglake.settings import Settings
from taglake.snapshots.layout import SNAPSHOT_COLUMN, group_table, latest_view_name, view_name

VIEW_TEXT_BUDGET = 30_000


def piece_sql(key: str, table: str, version: int, columns: list[str], fill: dict[str, str] | None = None,
              base: tuple[str, int] | None = None) -> str:
    fill = fill or {}
    keys = f"{q(key)}, {q(SNAPSHOT_COLUMN)}"
    if base is None or not any(c in fill for c in columns):
        picked = "".join(f", first({q(c)}) AS {q(c)}" for c in columns)
        return f"SELECT {keys}{picked} FROM {table} VERSION AS OF {version} GROUP BY {keys}"
    # A sparse group lacks the rows of subjects without data: the base group's keys are joined in
    # so those subjects read the tags' defaults (0 for counts) rather than NULL.
    picked = "".join(f", coalesce(first({q(c)}), {fill[c]}) AS {q(c)}" if c in fill else f", first({q(c)}) AS {q(c)}"
                     for c in columns)
    return (f"SELECT {keys}{picked} FROM {base[0]} VERSION AS OF {base[1]} b "
            f"LEFT JOIN {table} VERSION AS OF {version} g USING ({keys}) GROUP BY {keys}")


def pieces(key: str, table: str, version: int, columns: list[str], fill: dict[str, str] | None = None,
           base: tuple[str, int] | None = None) -> list[str]:
    """The piece views' SQL for one group: as few as fit the text budget, columns in order."""
    out: list[str] = []
    chunk: list[str] = []
    for col in columns:
        if chunk and len(piece_sql(key, table, version, [*chunk, col], fill, base)) > VIEW_TEXT_BUDGET:
            out.append(piece_sql(key, table, version, chunk, fill, base))
            chunk = []
        chunk.append(col)
    if chunk:
        out.append(piece_sql(key, table, version, chunk, fill, base))
    return out


def view_sql(key: str, base: tuple[str, int], joined: list[str]) -> str:
    """The subject's view: the base group table pinned at its version, left-joined with pieces."""
    table, version = base
    using = f"USING ({q(key)}, {q(SNAPSHOT_COLUMN)})"
    joins = "".join(f" LEFT JOIN {name} g{i} {using}" for i, name in enumerate(joined, start=1))
    return f"SELECT * FROM {table} VERSION AS OF {version} g0{joins}"


def publish(spark, settings: Settings, subject: str, key: str, groups: dict[str, list[str]],
            versions: dict[str, int], latest: dt.date | None, comment: str = "", fill: dict[str, str] | None = None,
            prefix: str = "legacy_") -> tuple[str, str]:
    """(Re)create the subject's views pinned to `versions` (group -> Delta version); `fill`: tag ->
    SQL literal read by subjects absent from a sparse group (registry.fills)."""
    names = sorted(groups)
    base = (settings.table(group_table(subject, names[0])), versions[names[0]])
    joined: list[str] = []
    for group in names[1:]:
        table, version = group_table(subject, group), versions[group]
        sqls = pieces(key, settings.table(table), version, groups[group], fill, base)
        for i, sql in enumerate(sqls, start=1):
            piece = settings.table(f"{table}__v{version}" + (f"_{i}" if len(sqls) > 1 else ""))
            spark.sql(f"CREATE OR REPLACE VIEW {piece} AS {sql}")
            joined.append(piece)
    text = view_sql(key, base, joined)
    if len(text) > VIEW_TEXT_BUDGET:
        raise DataError(f"{subject} has {len(names)} column groups: its view would not fit the metastore's "
                        f"{VIEW_TEXT_BUDGET:,}-character limit; raise tags.group_size in the conf")
    comment = comment.replace("'", "")
    every, newest = settings.table(prefix + view_name(subject)), settings.table(prefix + latest_view_name(subject))
    spark.sql(f"CREATE OR REPLACE VIEW {every} COMMENT '{comment}' AS {text}")
    if latest is not None:
        spark.sql(f"CREATE OR REPLACE VIEW {newest} COMMENT 'latest complete snapshot: {latest}' AS "
                  f"SELECT * FROM {every} WHERE {q(SNAPSHOT_COLUMN)} = DATE'{latest}'")
    return every, newest
