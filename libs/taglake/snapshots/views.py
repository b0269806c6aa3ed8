"""BI views over the column groups, pinned to Delta versions so a switch is atomic.

`tags_<subject>` has one row per subject per retained snapshot date and one plain column per tag;
`tags_<subject>_latest` is the newest complete date. Both pin every group table with VERSION AS
OF: while a run writes new versions, readers keep seeing the previous snapshot, and replacing the
view definitions at the end switches everyone to the new one at once.

Groups other than the first are joined as `(SELECT key, date, first(col)... GROUP BY key, date)`:
with distinct keys on the right, Spark removes a left join whose columns a query does not use, so
`SELECT city FROM tags_member` reads one group, not all of them (measured; docs/storage.md).
"""

from __future__ import annotations

import datetime as dt

from taglake.settings import Settings
from taglake.snapshots.layout import SNAPSHOT_COLUMN, group_table, latest_view_name, view_name
from taglake.tagdefs.expressions import quote_identifier as q


def view_sql(key: str, tables: dict[str, list[str]], versions: dict[str, int]) -> str:
    """SQL joining column-group tables (qualified name -> columns) pinned at `versions`."""
    names = sorted(tables)
    cols = [f"g0.{q(key)}", f"g0.{q(SNAPSHOT_COLUMN)}"]
    joins = []
    for i, table in enumerate(names):
        alias = f"g{i}"
        cols += [f"{alias}.{q(c)}" for c in tables[table]]
        if i == 0:
            continue
        picked = ", ".join(f"first({q(c)}) AS {q(c)}" for c in tables[table])
        joins.append(
            f"LEFT JOIN (SELECT {q(key)}, {q(SNAPSHOT_COLUMN)}, {picked} FROM {table} VERSION AS OF {versions[table]} "
            f"GROUP BY {q(key)}, {q(SNAPSHOT_COLUMN)}) {alias} "
            f"ON g0.{q(key)} = {alias}.{q(key)} AND g0.{q(SNAPSHOT_COLUMN)} = {alias}.{q(SNAPSHOT_COLUMN)}")
    return f"SELECT {', '.join(cols)} FROM {names[0]} VERSION AS OF {versions[names[0]]} g0 " + " ".join(joins)


def publish(spark, settings: Settings, subject: str, key: str, groups: dict[str, list[str]],
            versions: dict[str, int], latest: dt.date | None, comment: str = "") -> None:
    """(Re)create the subject's views pinned to `versions` (group -> Delta version)."""
    tables = {settings.table(group_table(subject, g)): cols for g, cols in groups.items()}
    pinned = {settings.table(group_table(subject, g)): v for g, v in versions.items()}
    text = comment.replace("'", "")
    spark.sql(f"CREATE OR REPLACE VIEW {settings.table(view_name(subject))} COMMENT '{text}' AS {view_sql(key, tables, pinned)}")
    if latest is not None:
        spark.sql(
            f"CREATE OR REPLACE VIEW {settings.table(latest_view_name(subject))} COMMENT 'latest complete snapshot: {latest}' AS "
            f"SELECT * FROM {settings.table(view_name(subject))} WHERE {q(SNAPSHOT_COLUMN)} = DATE'{latest}'")
