"""attribute: the latest (or first) non-null value of an expression over a source's rows."""

from taglake.compiler import sqlkit
from taglake.compiler.builders import builder
from taglake.compiler.contributions import ScanSql


@builder("attribute")
def build(tag, library) -> ScanSql:
    spec = tag.spec
    value = sqlkit.source_sql(tag.exprs["value"])
    where = sqlkit.source_sql(tag.exprs["where"]) if "where" in tag.exprs else None
    timed = library.sources[spec.source].time is not None
    return ScanSql(spec.source, sqlkit.latest_value(value, where, spec.pick, timed), _columns(tag))


def _columns(tag) -> frozenset[str]:
    return frozenset(c for p in tag.exprs.values() for c in p.columns)
