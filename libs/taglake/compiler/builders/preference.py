"""preference: the value a subject prefers — most frequent / largest by a measure, top-N, or the
top value's share. Phase 1 measures per (subject, value); phase 2 picks, ties broken by value."""

from taglake.compiler import sqlkit
from taglake.compiler.builders import builder
from taglake.compiler.contributions import PreferenceSql
from taglake.compiler.plan import DIM


@builder("preference")
def build(tag, library) -> PreferenceSql:
    spec = tag.spec
    condition = sqlkit.all_of(
        sqlkit.window_condition(spec.window),
        sqlkit.source_sql(tag.exprs["where"]) if "where" in tag.exprs else None,
    )
    measure = sqlkit.source_sql(tag.exprs["measure"]) if "measure" in tag.exprs else None
    # Only values with a positive measure compete; ordering (-measure, value) makes ties deterministic.
    ranked = f"CASE WHEN {{m}} > 0 THEN named_struct('m', -{{m}}, 'd', {sqlkit.col(DIM)}) END"
    if spec.method == "top":
        pick = f"min({ranked}).d"
    elif spec.method == "top_n":
        pick = (f"CASE WHEN count_if({{m}} > 0) > 0 THEN "
                f"transform(slice(array_sort(collect_list({ranked})), 1, {int(spec.n)}), x -> x.d) END")
    else:
        pick = "max(CASE WHEN {m} > 0 THEN {m} END) / sum(CASE WHEN {m} > 0 THEN {m} END)"
    columns = frozenset(c for p in tag.exprs.values() for c in p.columns)
    return PreferenceSql(spec.source, sqlkit.source_sql(tag.exprs["dimension"]), condition, measure, pick, columns)
