"""The shipped model tags on the tiny demo (the session's `tiny_nightly`, read-only): the nightly run
without a champion serves NULL model columns with the reason recorded, and training is
deterministic for a seed. Training uses a store of its own, so `tiny_nightly` keeps no champion."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from taglake.models import records, store
from taglake.models.train import train_models
from taglake.tagdefs import load_library

D = dt.date(2026, 11, 22)
REPURCHASE = "repurchase_30d_propensity"
MODEL_COLUMNS = ["repurchase_30d_propensity", "repurchase_30d_decile", "churn_90d_risk", "spend_90d_prediction"]


def test_nightly_without_champions_serves_null_model_columns(spark, tiny_nightly):
    settings = tiny_nightly
    latest = spark.table(settings.table("tags_member_latest"))
    assert set(MODEL_COLUMNS) <= set(latest.columns)
    filled = latest.selectExpr(*(f"count({c}) AS {c}" for c in MODEL_COLUMNS), "count(1) AS n").first()
    assert filled["n"] > 0 and all(filled[c] == 0 for c in MODEL_COLUMNS)
    usages = {u["model"]: u for u in records.usages(spark, settings, "member") if u["snapshot_date"] == D}
    assert set(usages) == {"member.repurchase_30d_propensity", "member.churn_90d_risk", "member.spend_90d_prediction"}
    for model, usage in usages.items():
        assert usage["status"] == "no_champion" and usage["version"] is None
        assert f"taglake train {model.split('.')[1]}" in usage["reason"]


@pytest.fixture(scope="module")
def trained(spark, tiny_nightly, tmp_path_factory):
    """The 30-day repurchase model trained twice at D from one recomputed feature frame."""
    home = tmp_path_factory.mktemp("mlflow")
    settings = tiny_nightly.with_overrides(models=tiny_nightly.models.model_copy(update={
        "tracking_uri": f"sqlite:///{home}/mlflow.db", "artifact_location": str(home / "artifacts")}))
    library = load_library(Path(settings.path(settings.tagdefs)), database=settings.database)
    first, second = train_models(spark, settings, library, [REPURCHASE, REPURCHASE], D)
    return settings, first, second


def test_demo_training_is_deterministic_for_a_seed(spark, trained):
    settings, first, second = trained
    assert first.origin == "recomputed" and first.feature_date == D - dt.timedelta(days=30)
    assert len(first.features) > 50 and not first.excluded      # behaviour tags: all rebuilt as of D - 30
    assert first.promoted and first.metrics["auc"] > 0.6
    assert second.metrics == first.metrics and second.features == first.features
    assert not second.promoted and "does not beat" in second.reason
    mlflow = store.mlflow_for(settings)
    models = [mlflow.spark.load_model(f"models:/member.{REPURCHASE}/{r.version}", dfs_tmpdir=store.dfs_tmpdir(settings))
              for r in (first, second)]
    weights = [m.stages[-1].coefficients.toArray().tolist() + [m.stages[-1].intercept] for m in models]
    assert weights[0] == weights[1]
    assert str(store.champion(settings, f"member.{REPURCHASE}").version) == first.version
