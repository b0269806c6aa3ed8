"""stat: count / sum / avg / min / max / count_distinct over a window ending on the snapshot date."""

from taglake.compiler import sqlkit
from taglake.compiler.builders import builder
from taglake.compiler.contributions import ScanSql


@builder("stat")
def build(tag, library) -> ScanSql:
    spec = tag.spec
    condition = sqlkit.all_of(
        sqlkit.window_condition(spec.window),
        sqlkit.source_sql(tag.exprs["where"]) if "where" in tag.exprs else None,
    )
    value = sqlkit.source_sql(tag.exprs["value"]) if "value" in tag.exprs else None
    columns = frozenset(c for p in tag.exprs.values() for c in p.columns)
    return ScanSql(spec.source, sqlkit.aggregate(spec.agg, condition, value), columns)
