"""Every estimator a model tag may name fits on tag columns of every feature type and scores in the
JVM (a few dozen rows: the shape of the pipeline, not its quality)."""

from __future__ import annotations

import pytest

from taglake.models.pipeline import LABEL, build_pipeline, with_score
from taglake.tagdefs.kinds.model import ESTIMATORS, Estimator

TYPES = {"orders": "bigint", "spend": "double", "member": "boolean", "tier": "string"}
SMALL = {"gbt_classifier": {"maxIter": 3, "maxDepth": 2}, "gbt_regressor": {"maxIter": 3, "maxDepth": 2}}


@pytest.fixture(scope="module")
def frame(spark):
    rows = [(f"k{i}", i % 7, None if i % 5 == 0 else float(i % 11) * 10, i % 3 == 0, ("gold", "silver", None)[i % 3],
             float(i % 7 > 3)) for i in range(60)]
    return spark.createDataFrame(rows, f"__key string, orders bigint, spend double, member boolean, tier string, {LABEL} double")


@pytest.mark.parametrize("estimator", sorted(ESTIMATORS))
def test_every_estimator_fits_and_scores(frame, estimator):
    task = ESTIMATORS[estimator][0]
    spec = Estimator(type=estimator, params=SMALL.get(estimator, {}))
    fitted = build_pipeline(list(TYPES), TYPES, {"spend"}, spec, task).fit(frame)
    scores = [r["s"] for r in with_score(fitted.transform(frame), task, "s").select("s").collect()]
    assert len(scores) == 60 and all(s is not None for s in scores)
    if task == "classification":
        assert all(0.0 <= s <= 1.0 for s in scores) and len(set(scores)) > 1
    fitted_again = build_pipeline(list(TYPES), TYPES, {"spend"}, spec, task).fit(frame)
    again = [r["s"] for r in with_score(fitted_again.transform(frame), task, "s").select("s").collect()]
    assert again == scores          # seeded: a retraining on the same rows gives the same model
