"""bucket: fixed ranges, or population percentiles (thresholds computed per snapshot), as labels."""

from taglake.compiler import sqlkit
from taglake.compiler.builders import builder
from taglake.compiler.contributions import RowSql
from taglake.compiler.plan import Threshold


@builder("bucket")
def build(tag, library) -> RowSql:
    spec = tag.spec
    value = sqlkit.col(spec.input)
    scheme = spec.ranges if spec.ranges is not None else spec.percentiles
    thresholds: list[Threshold] = []
    branches = []
    labels = tuple(str(bucket.label) for bucket in scheme)
    for i, bucket in enumerate(scheme[:-1]):
        if spec.percentiles is not None:
            # Cut values come from the population's ranks each snapshot (compute/percentiles.py).
            placeholder = f"p_{tag.name}_{i}"
            where = sqlkit.tags_sql(tag.exprs["where"]) if "where" in tag.exprs else None
            thresholds.append(Threshold(placeholder, spec.input, float(bucket.below), where, tag.name, labels))
            bound = "{" + placeholder + "}"
        else:
            bound = repr(float(bucket.below))
        branches.append((f"{value} < {bound}", bucket.label))
    body = sqlkit.case_labels(branches, scheme[-1].label)
    sql = f"CASE WHEN {value} IS NULL THEN NULL ELSE {body} END"
    if "where" in tag.exprs:
        sql = f"CASE WHEN {sqlkit.tags_sql(tag.exprs['where'])} THEN {sql} END"
    return RowSql(sql, tuple(thresholds))
