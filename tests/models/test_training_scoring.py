"""Model tags end to end on a small hand-made world (tests/models/world.py): no leakage, scores
equal to the logged model computed in plain Python, the version recorded per snapshot, monitoring.

One module-scoped world: snapshots of F = D - 30 and D, the leaky model and the buying model
trained at D. Tests that move the champion run last in the file and say so.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
import yaml

from taglake.cli import app as cli_app
from taglake.cli import main
from taglake.compute.engine import compute_tags
from taglake.errors import DataError
from taglake.models import records, store
from taglake.models.dataset import features_as_of
from taglake.models.train import train
from taglake.snapshots import registry
from taglake.snapshots.layout import group_table
from taglake.snapshots.read import read_tags
from taglake.tagdefs import load_library
from tests.models.oracle import logistic_probability
from tests.models.world import CUSTOMERS, D, F, library_root, write_sources

D1 = D + dt.timedelta(days=1)


@pytest.fixture(scope="module")
def world(spark, base_settings, tmp_path_factory):
    settings = base_settings.with_overrides(database="models_world")
    spark.sql("DROP DATABASE IF EXISTS models_world CASCADE")
    spark.sql("CREATE DATABASE models_world")
    write_sources(spark, settings)
    library = load_library(library_root(tmp_path_factory.mktemp("models")), database=settings.database)
    compute_tags(spark, settings, library, F)
    compute_tags(spark, settings, library, D)     # no champion yet: NULL scores, reason recorded
    leaky = train(spark, settings, library, "leaky_visit", D)
    buy = train(spark, settings, library, "buy_30d", D)
    yield settings, library, leaky, buy
    spark.sql("DROP DATABASE IF EXISTS models_world CASCADE")


def test_no_champion_scores_null_with_a_reason(spark, world):
    settings, _library, _leaky, _buy = world
    usages = [u for u in records.usages(spark, settings, "customer") if u["model"] == "customer.buy_30d"]
    assert [(u["snapshot_date"], u["status"], u["version"]) for u in usages] == [(F, "no_champion", None), (D, "no_champion", None)]
    usage = usages[1]
    assert "taglake train buy_30d" in usage["reason"]
    values = read_tags(spark, settings, "customer", "customer_id", D, ["buy_30d", "buy_30d_decile", "likely_buyer"]).frame
    assert values.where("buy_30d IS NOT NULL OR buy_30d_decile IS NOT NULL OR likely_buyer IS NOT NULL").count() == 0


def test_leakage_the_training_set_reads_the_past_only(spark, world):
    """The visit label is decided by an event between F and D: the feature as of D would give AUC 1,
    as of F (snapshot, or recomputed from the sources) it holds nothing, so AUC stays at chance."""
    settings, library, leaky, _buy = world
    leaky_frame = read_tags(spark, settings, "customer", "customer_id", D, ["visits_30d"]).frame
    from pyspark.ml.evaluation import BinaryClassificationEvaluator

    from tests.models.world import rows

    labels = {cid for _e, cid, kind, _a, _t in rows()[1] if kind == "visit"}
    joined = leaky_frame.selectExpr("CAST(visits_30d AS DOUBLE) AS s", "customer_id") \
        .join(spark.createDataFrame([(c, 1.0) for c in labels], "customer_id string, y double"), "customer_id", "left") \
        .fillna({"y": 0.0})
    future_auc = BinaryClassificationEvaluator(rawPredictionCol="s", labelCol="y").evaluate(joined)
    assert future_auc == 1.0                  # what a leaky training set would see
    assert leaky.origin == "snapshot" and leaky.feature_date == F
    assert leaky.metrics["auc"] == 0.5
    recomputed = features_as_of(spark, settings, library, "customer", ["visits_30d"], F, recompute=True)
    again = train(spark, settings, library, "leaky_visit", D, features=recomputed)
    assert again.origin == "recomputed" and again.metrics["auc"] == 0.5
    assert not again.promoted or again.reason.startswith("--promote") or "beats" in again.reason


def test_recomputed_features_leave_out_overwritten_sources(spark, world):
    settings, library, _leaky, buy = world
    assert "tier" in buy.features and buy.origin == "snapshot"
    recomputed = features_as_of(spark, settings, library, "customer", ["tier", "purchases_90d", "is_frequent"], F, recompute=True)
    assert set(recomputed.excluded) == {"tier"} and "overwritten" in recomputed.excluded["tier"]
    stored = read_tags(spark, settings, "customer", "customer_id", F, ["purchases_90d", "is_frequent"]).frame
    got = {r["__key"]: (r["purchases_90d"], r["is_frequent"]) for r in recomputed.frame.collect()}
    assert got == {r["customer_id"]: (r["purchases_90d"], r["is_frequent"]) for r in stored.collect()}


def test_scores_equal_the_logged_model_in_plain_python(spark, world):
    settings, library, _leaky, buy = world
    assert buy.promoted and buy.version == "1" and buy.metrics["auc"] > 0.7
    compute_tags(spark, settings, library, D)      # re-run D: the champion now exists
    outputs = ["buy_30d", "buy_30d_decile", "buy_30d_class", "likely_buyer"]
    frame = read_tags(spark, settings, "customer", "customer_id", D, buy.features + outputs).frame
    sample = [r.asDict() for r in frame.collect()]
    assert len(sample) == CUSTOMERS
    mlflow = store.mlflow_for(settings)
    model = mlflow.spark.load_model(f"models:/customer.buy_30d/{buy.version}", dfs_tmpdir=store.dfs_tmpdir(settings))
    info = mlflow.artifacts.load_dict(f"runs:/{buy.run_id}/taglake.json")
    edges = info["score_edges"]
    for row in sample:
        p = logistic_probability(model, row)
        assert math.isclose(row["buy_30d"], p, rel_tol=1e-9, abs_tol=1e-12), row
        assert row["buy_30d_class"] == (p >= 0.5) and row["likely_buyer"] == (p >= 0.5)
        assert row["buy_30d_decile"] == len(edges) + 1 - sum(1 for e in edges if p >= e)
    # What BI reads (the serving table of the newest snapshot) is the model's own column group.
    placed = registry.placements(spark, settings, "customer")
    (group,) = {placed[o].group for o in outputs[:3]}
    assert group.startswith("f_model_buy_30d") and placed["likely_buyer"].group != group
    stored = spark.table(settings.table(group_table("customer", group))).where(f"snapshot_date = DATE'{D}'")
    served = spark.table(settings.table("tags_customer_latest"))
    columns = ["customer_id", *outputs[:3]]
    assert sorted(map(tuple, served.select(*columns).collect())) == sorted(map(tuple, stored.select(*columns).collect()))
    assert sorted(map(tuple, served.select(*columns).collect())) == sorted((r["customer_id"], *(r[c] for c in outputs[:3])) for r in sample)
    (usage,) = [u for u in records.usages(spark, settings, "customer") if u["model"] == "customer.buy_30d" and u["snapshot_date"] == D]
    assert (usage["status"], usage["version"], usage["model_run_id"]) == ("scored", "1", buy.run_id)
    (stats,) = [s for s in records.stats(spark, settings, "customer") if s["model"] == "customer.buy_30d"]
    assert stats["training_date"] == F and math.isclose(sum(stats["shares"]), 1.0) and stats["psi_training"] >= 0


def test_a_feature_missing_from_the_signature_is_an_error(spark, world, tmp_path):
    settings, _library, _leaky, _buy = world
    changed = load_library(library_root(tmp_path, ["purchases_*", "spend_90d", "days_since_last_purchase", "tier", "is_frequent",
                                                   "visits_30d"]), database=settings.database)
    with pytest.raises(DataError, match=r"feature\(s\) visits_30d of customer.buy_30d are missing from the signature"):
        compute_tags(spark, settings, changed, D1)


def test_promotion_changes_the_version_of_the_next_snapshot_not_of_old_dates(spark, world, tmp_path, capsys, monkeypatch):
    """Runs after the scoring test: v1 scored D. A second training (`taglake train --promote`) scores
    D + 1; a re-run of D keeps v1 unless models.rescore asks for the champion; PSI is recorded
    against D; `taglake models --snapshots` lists it all."""
    settings, library, _leaky, _buy = world
    monkeypatch.setattr(cli_app, "_state", cli_app.AppContext())   # the CLI's lazily built context
    data = settings.model_dump(mode="json", exclude={"root"})
    data["tagdefs"] = str(library.root)
    conf = tmp_path / "world.yaml"
    conf.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert main(["train", "buy_30d", "--date", str(D), "--promote", "--conf", str(conf)]) == 0
    out = capsys.readouterr().out
    assert "customer.buy_30d v2 " in out and "alias 'champion' moved to v2: --promote" in out
    strict = settings.with_overrides(models=settings.models.model_copy(update={"psi_alert": 1e-9}))
    compute_tags(spark, strict, library, D1)
    compute_tags(spark, settings, library, D)
    by_date = {u["snapshot_date"]: u["version"] for u in records.usages(spark, settings, "customer") if u["model"] == "customer.buy_30d"}
    assert by_date == {F: None, D: "1", D1: "2"}
    stats = {s["snapshot_date"]: s for s in records.stats(spark, settings, "customer") if s["model"] == "customer.buy_30d"}
    assert stats[D1]["previous_date"] == D and stats[D1]["psi_previous"] is not None
    assert stats[D1]["alert"] and "PSI" in stats[D1]["alert"]
    rescore = settings.with_overrides(models=settings.models.model_copy(update={"rescore": True}))
    compute_tags(spark, rescore, library, D)
    by_date = {u["snapshot_date"]: u["version"] for u in records.usages(spark, settings, "customer") if u["model"] == "customer.buy_30d"}
    assert by_date == {F: None, D: "2", D1: "2"}
    assert main(["models", "--snapshots", "--conf", str(conf)]) == 0
    assert "champion" in capsys.readouterr().out
