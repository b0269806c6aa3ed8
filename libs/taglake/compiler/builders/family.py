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


def standalone_sql(tag) -> str:
    """The cell as an ordinary filtered aggregate over the source rows: what `explain` shows and
    what the naive baseline runs (every event evaluated against every cell)."""
    family = tag.spec
    condition = cell_condition(tag)
    if family.kind == "stat":
        metric = family.metrics[tag.cell.metric]
        value = sqlkit.source_sql(tag.exprs[f"metric:{tag.cell.metric}"]) if metric.value else None
        return sqlkit.aggregate(metric.agg, condition, value)
    return recency_sql(family.pick, condition, "days_since")


@builder("family")
def build(tag, library) -> FamilySql:
    # The engine computes the whole family in long form; the per-cell SQL is built on demand.
    cell = FamilyCell(tag.name, tag.cell.values, tag.cell.window, tag.cell.metric)
    return FamilySql(tag.spec.name, cell, tag.spec.source)
