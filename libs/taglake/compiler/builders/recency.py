"""recency: first / last event time in a window, as a time, a date or days since (tenure, recency)."""

from taglake.compiler import sqlkit
from taglake.compiler.builders import builder
from taglake.compiler.contributions import ScanSql
from taglake.compiler.plan import SNAPSHOT, TIME


def recency_sql(pick: str, condition: str | None, output: str) -> str:
    moment = f"{'max' if pick == 'last' else 'min'}({sqlkit.when(condition, sqlkit.col(TIME))})"
    if output == "time":
        return moment
    if output == "date":
        return f"to_date({moment})"
    # The snapshot date is a grouping key of every scan, so it can appear next to aggregates.
    return f"datediff({sqlkit.col(SNAPSHOT)}, to_date({moment}))"


@builder("recency")
def build(tag, library) -> ScanSql:
    spec = tag.spec
    condition = sqlkit.all_of(
        sqlkit.window_condition(spec.window),
        sqlkit.source_sql(tag.exprs["where"]) if "where" in tag.exprs else None,
    )
    columns = frozenset(c for p in tag.exprs.values() for c in p.columns)
    return ScanSql(spec.source, recency_sql(spec.pick, condition, spec.output), columns)
