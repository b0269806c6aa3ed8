"""composite: business states from several tags — the RFM cell, or ordered lifecycle stages."""

from taglake.compiler import sqlkit
from taglake.compiler.builders import builder
from taglake.compiler.contributions import RowSql

#: The classic eight RFM cells. Code = R F M, each 1 when recent / frequent / high-spending.
RFM_LABELS = {
    "111": "重要价值客户", "101": "重要发展客户", "011": "重要保持客户", "001": "重要挽留客户",
    "110": "一般价值客户", "100": "一般发展客户", "010": "一般保持客户", "000": "一般挽留客户",
}


@builder("composite")
def build(tag, library) -> RowSql:
    spec = tag.spec
    if spec.strategy == "stages":
        branches = [(sqlkit.tags_sql(tag.exprs[f"case:{i}"]), stage.then) for i, stage in enumerate(spec.stages)]
        return RowSql(sqlkit.case_labels(branches, spec.otherwise))
    r, f, m = (sqlkit.col(getattr(spec.rfm, k)) for k in ("recency", "frequency", "monetary"))
    t = spec.rfm.thresholds
    # Recency: an event in the last N days, as `window: N` (days since 0..N-1; docs/tagdefs.md).
    code = (f"concat(CASE WHEN {r} < {t.recency!r} THEN '1' ELSE '0' END, "
            f"CASE WHEN {f} >= {t.frequency!r} THEN '1' ELSE '0' END, "
            f"CASE WHEN {m} >= {t.monetary!r} THEN '1' ELSE '0' END)")
    labels = {**RFM_LABELS, **(spec.rfm.labels or {})}
    pairs = ", ".join(f"{sqlkit.literal(k)}, {sqlkit.literal(v)}" for k, v in sorted(labels.items()))
    # Only subjects without a recency (never bought) have no cell. A NULL frequency or monetary
    # (e.g. no spend in its window) is a comparison that is not true: low, like in every rule.
    return RowSql(f"CASE WHEN {r} IS NULL THEN NULL ELSE element_at(map({pairs}), {code}) END")
