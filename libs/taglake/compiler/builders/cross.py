"""cross: a tag of one subject from a related subject — through a key-holding tag (lookup), or as
an aggregate over the distinct related subjects reached through a source's rows."""

from taglake.compiler import sqlkit
from taglake.compiler.builders import builder
from taglake.compiler.contributions import LookupSql, RelatedAggregateSql

RELATED_PREFIX = "r__"   # related subjects' tag columns are prefixed so names never clash


@builder("cross")
def build(tag, library):
    spec = tag.spec
    relation = library.subjects[tag.subject].relations[spec.via]
    value = sqlkit.tags_sql(tag.exprs["value"], RELATED_PREFIX)
    related_inputs = frozenset(d.name for d in tag.deps if d.subject == relation.to)
    if relation.tag is not None:
        return LookupSql(spec.via, relation.to, relation.tag, value, related_inputs)
    if spec.aggregate == "share":
        sql = f"count_if({value}) / count(1)"
    elif spec.aggregate == "count":
        sql = f"count_if({value})"
    else:
        sql = f"{spec.aggregate}({value})"
    where = sqlkit.source_sql(tag.exprs["where"]) if "where" in tag.exprs else None
    columns = tag.exprs["where"].columns if "where" in tag.exprs else frozenset()
    return RelatedAggregateSql(spec.via, relation.to, relation.source, spec.window, where, sql, related_inputs, frozenset(columns))
