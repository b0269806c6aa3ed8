"""Family cells (stat and recency grids). The engine computes a family in long form; each cell's
standalone SQL (an ordinary filtered aggregate) serves `explain` and the naive baseline."""

from taglake.compiler import sqlkit
from taglake.compiler.builders import builder
from taglake.compiler.builders.recency import recency_sql
from taglake.compiler.contributions import FamilySql
from taglake.compiler.plan import FamilyCell


def cell_condition(tag) -> str | None:
    family = tag.spec
    dims = [
        f"({sqlkit.source_sql(tag.exprs[f'dim:{dim}'])}) = {sqlkit.literal(value)}" for dim, value in tag.cell.dims
    ]
    where = sqlkit.source_sql(tag.exprs["where"]) if "where" in tag.exprs else None
    window = sqlkit.window_condition(tag.cell.window) if family.kind == "stat" else None
    return sqlkit.all_of(window, *dims, where)


@builder("family")
def build(tag, library) -> FamilySql:
    family = tag.spec
    condition = cell_condition(tag)
    if family.kind == "stat":
        metric = family.metrics[tag.cell.metric]
        value = sqlkit.source_sql(tag.exprs[f"metric:{tag.cell.metric}"]) if metric.value else None
        sql = sqlkit.aggregate(metric.agg, condition, value)
    else:
        sql = recency_sql(family.pick, condition, "days_since")
    cell = FamilyCell(tag.name, tuple(v for _d, v in tag.cell.dims), tag.cell.window, tag.cell.metric)
    columns = frozenset(c for p in tag.exprs.values() for c in p.columns)
    return FamilySql(family.name, cell, sql, family.source, columns)
