"""Validation metrics of a model and the population stability index of its scores.

Computed in Spark over (score, label) of the validation rows: AUC, log-loss, calibration by
decile and the lift of the top decile for a classifier; RMSE, MAE, R² and the top decile's share
of the total for a regressor. Deciles are cut at the validation scores' quantiles; the same edges
bin the nightly scores for the PSI.
"""

from __future__ import annotations

import math

from pyspark.sql import DataFrame, Row

from taglake.core.expressions import quote_identifier as q

DECILES = 10
#: Shares below this count as this in the PSI (an empty bin would make it infinite).
PSI_FLOOR = 1e-4


def one(frame: DataFrame, *exprs: str) -> Row:
    """The one row of an aggregate over the whole frame."""
    row = frame.selectExpr(*exprs).first()
    assert row is not None   # an aggregate without GROUP BY has exactly one row
    return row


def decile_sql(score: str, edges: list[float]) -> str:
    """1 for the top 10% of scores (by the training edges) ... 10 for the bottom."""
    if not edges:
        return "CAST(NULL AS INT)"
    above = " + ".join(f"CASE WHEN {score} >= {e!r} THEN 1 ELSE 0 END" for e in edges)
    return f"CASE WHEN {score} IS NULL THEN NULL ELSE {len(edges) + 1} - ({above}) END"


def edges(frame: DataFrame, score: str) -> list[float]:
    """The 9 inner decile edges of `score` (exact percentiles), increasing; ties collapse."""
    fractions = ", ".join(str(i / DECILES) for i in range(1, DECILES))
    row = one(frame, f"percentile({q(score)}, array({fractions})) AS e")
    values = [float(v) for v in (row["e"] or [])]
    return sorted(dict.fromkeys(values))


def shares(frame: DataFrame, score: str, cuts: list[float]) -> list[float]:
    """Share of the non-null scores in each decile bin (index 0 = decile 1, the top)."""
    rows = frame.where(f"{q(score)} IS NOT NULL").selectExpr(f"{decile_sql(q(score), cuts)} AS d") \
        .groupBy("d").count().collect()
    total = sum(r["count"] for r in rows)
    counts = {r["d"]: r["count"] for r in rows}
    return [counts.get(i, 0) / total if total else 0.0 for i in range(1, len(cuts) + 2)]


def psi(expected: list[float], actual: list[float]) -> float | None:
    """Population stability index: sum over bins of (a - e) * ln(a / e)."""
    if not expected or len(expected) != len(actual) or not any(actual):
        return None
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, PSI_FLOOR), max(a, PSI_FLOOR)
        total += (a - e) * math.log(a / e)
    return round(total, 6)


def by_decile(frame: DataFrame, s: str, y: str, cuts: list[float], label_agg: str, label_name: str) -> list[dict]:
    """Per score decile (1 = top, at the training cuts): mean score, `label_agg` of the label, rows."""
    return [r.asDict() for r in frame.selectExpr(f"{decile_sql(s, cuts)} AS decile", f"{s} AS s", f"{y} AS y")
            .groupBy("decile").agg({"s": "avg", "y": label_agg, "*": "count"})
            .withColumnsRenamed({"avg(s)": "mean_score", f"{label_agg}(y)": label_name, "count(1)": "rows"})
            .orderBy("decile").collect()]


def classification(frame: DataFrame, score: str, label: str, cuts: list[float]) -> tuple[dict[str, float], list[dict]]:
    """Metrics and the calibration table of a classifier's validation scores."""
    from pyspark.ml.evaluation import BinaryClassificationEvaluator

    auc = BinaryClassificationEvaluator(rawPredictionCol=score, labelCol=label, metricName="areaUnderROC").evaluate(frame)
    s, y = q(score), q(label)
    p = f"least(greatest({s}, 1e-15), 1 - 1e-15)"
    overall = one(frame, f"avg(-({y} * ln({p}) + (1 - {y}) * ln(1 - {p}))) AS logloss", f"avg({y}) AS base_rate",
                  "count(1) AS n")
    table = by_decile(frame, s, y, cuts, "avg", "label_rate")
    base = overall["base_rate"] or 0.0
    top = next((r for r in table if r["decile"] == 1), None)
    lift = (top["label_rate"] / base) if top and base else 0.0
    n = overall["n"] or 1
    calibration_error = sum(abs(r["mean_score"] - r["label_rate"]) * r["rows"] for r in table) / n
    metrics = {"auc": round(auc, 6), "log_loss": round(overall["logloss"], 6), "base_rate": round(base, 6),
               "top_decile_lift": round(lift, 4), "calibration_error": round(calibration_error, 6),
               "validation_rows": float(overall["n"])}
    return metrics, table


def regression(frame: DataFrame, score: str, label: str, cuts: list[float]) -> tuple[dict[str, float], list[dict]]:
    s, y = q(score), q(label)
    mean = one(frame, f"avg({y}) AS m")["m"] or 0.0
    row = one(frame, f"sqrt(avg(pow({s} - {y}, 2))) AS rmse", f"avg(abs({s} - {y})) AS mae",
              f"1 - sum(pow({s} - {y}, 2)) / nullif(sum(pow({y} - {mean!r}, 2)), 0) AS r2", "count(1) AS n",
              f"sum({y}) AS total")
    table = by_decile(frame, s, y, cuts, "sum", "label_sum")
    total = row["total"] or 0.0
    top = next((r for r in table if r["decile"] == 1), None)
    share = (top["label_sum"] / total) if top and total else 0.0
    metrics = {"rmse": round(row["rmse"], 6), "mae": round(row["mae"], 6), "r2": round(row["r2"] or 0.0, 6),
               "top_decile_share": round(share, 6), "top_decile_lift": round(share * DECILES, 4),
               "validation_rows": float(row["n"])}
    return metrics, table


#: The metric that decides promotion, and whether higher is better.
PRIMARY = {"classification": ("auc", True), "regression": ("rmse", False)}
