"""Model tags over medium-scale demo data (1M persons): training without leakage, and nightly scoring.

    .venv/bin/python -m benchmarks.models                     # medium: training, then the tags stage without / with models
    .venv/bin/python -m benchmarks.models --scale tiny        # the same steps on the tiny demo (minutes)
    .venv/bin/python -m benchmarks.models --skip nightly

* training — two models over the same 300 event-based member tags (the shipped behaviour tags, then
             category-spend family tags), with the shipped 30-day repurchase label (a paid, not
             refunded order in the 30 days after the snapshot date): gradient-boosted trees and a
             logistic regression, trained at D with `taglake train`'s code. No snapshot of D - 30 is
             kept, so the features are recomputed as of D - 30 once (reported apart) and shared.
             Each model: fit + validation + MLflow logging wall time, validation AUC and top-decile
             lift, next to the same validation rows ranked by a one-tag heuristic (the fewer days
             since the last order, the likelier) and by a random order (lift 1 by construction).
             The shipped models (repurchase LR, churn GBT, spend GBT regressor) are trained too:
             their figures are the demo models' at this scale.
* nightly  — the tags stage for every subject with the shipped library at D, twice in databases of
             their own over the same sources and OneID: without the model tags, and with the three
             shipped models (4 output tags) scored by their champions. Reported: both wall times,
             the difference, and the time spent inside the model steps (load, transform, write,
             monitoring) of the run with models.

Data (bench-warehouse/<scale>/) is generated once and reused; the MLflow store
(bench-warehouse/<scale>/mlflow/) is rebuilt on every run.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks.env import DATE, PeakMemory, bench_settings, ensure_data, ensure_oneid
from taglake.settings import PROJECT_ROOT

log = logging.getLogger("benchmarks")

GBT = "bench_repurchase_gbt"
LR = "bench_repurchase_lr"
SHIPPED = ["repurchase_30d_propensity", "churn_90d_risk", "spend_90d_prediction"]
HEURISTIC = "days_since_last_order"
BENCH_TAG = {"subject": "member", "owner": "bench@example.cn", "business_line": "基准", "category": ["基准"], "status": "online"}


def feature_list(count: int) -> list[str]:
    """`count` event-based member tags: the shipped repurchase model's features first, then the
    category-spend family's, in library order (none reads an overwritten source or a model)."""
    from taglake.models.dataset import overwritten_upstream
    from taglake.tagdefs import load_library
    from taglake.tagdefs.kinds.model import FEATURE_TYPES, feature_names
    from taglake.tagdefs.library import TagRef

    library = load_library(PROJECT_ROOT / "tagdefs")
    tags = library.tags["member"]
    chosen = feature_names(tags[SHIPPED[0]].spec, tags)
    for name, tag in tags.items():
        if len(chosen) >= count:
            break
        if (tag.family == "category_spend" and tag.type in FEATURE_TYPES and tag.status == "online"
                and overwritten_upstream(library, TagRef("member", name)) is None):
            chosen.append(name)
    return chosen[:count]


def libraries(tmp: Path, features: list[str], gbt_params: dict) -> dict[str, Path]:
    """train: shipped + the two benchmark models; scored: shipped; base: shipped without model tags."""
    roots = {}
    for name in ("train", "scored", "base"):
        root = roots[name] = tmp / name
        shutil.copytree(PROJECT_ROOT / "tagdefs", root, ignore=shutil.ignore_patterns("segments"))
    (roots["base"] / "tags" / "member" / "models.yaml").unlink()
    shipped = yaml.safe_load((PROJECT_ROOT / "tagdefs" / "tags" / "member" / "models.yaml").read_text(encoding="utf-8"))
    label = next(t for t in shipped["tags"] if t["name"] == SHIPPED[0])["label"]
    common = {"kind": "model", "features": features, "label": label, "display_name": "基准", "description": "基准模型"}
    bench = {"defaults": BENCH_TAG, "tags": [
        {"name": GBT, **common, "estimator": {"type": "gbt_classifier", "params": gbt_params}},
        {"name": LR, **common, "estimator": {"type": "logistic_regression", "params": {"regParam": 0.001, "maxIter": 200}}}]}
    (roots["train"] / "tags" / "member" / "bench_models.yaml").write_text(yaml.safe_dump(bench, allow_unicode=True), encoding="utf-8")
    return roots


def store_settings(settings, home: Path):
    models = settings.models.model_copy(update={"tracking_uri": f"sqlite:///{home}/mlflow.db",
                                                "artifact_location": str(home / "artifacts")})
    return settings.with_overrides(models=models)


def baselines(spark, settings, library, features) -> dict[str, dict[str, float]]:
    """AUC and top-decile lift of the heuristic and of a random order on the models' validation rows."""
    from taglake.models import metrics as M
    from taglake.models.dataset import LABEL, training_set
    from taglake.models.train import validation_sql

    tag = library.tag(LR)
    data = training_set(spark, settings, library, tag, DATE, features)
    valid = data.frame.where(validation_sql(tag))
    out = {}
    # NULL (never ordered) ranks last; ties (same day) share a decile edge.
    for name, expr in ((f"heuristic: fewest {HEURISTIC}", f"-coalesce(CAST({HEURISTIC} AS DOUBLE), 1e9)"),
                       ("random order", "(xxhash64(CAST(__key AS STRING), 7) % 1000000) / 1e6")):
        scored = valid.selectExpr(f"{expr} AS s", f"{LABEL}").persist()
        metrics, _table = M.classification(scored, "s", LABEL, M.edges(scored, "s"))
        scored.unpersist()
        out[name] = metrics
    return out


def train_all(spark, settings, roots: dict[str, Path]) -> tuple[list[dict], dict]:
    from pyspark import StorageLevel

    from taglake.models.dataset import FeatureFrame, feature_date, features_as_of
    from taglake.models.train import train, train_models
    from taglake.tagdefs import load_library
    from taglake.tagdefs.kinds.model import model_inputs

    library = load_library(roots["train"], database=settings.database)
    tags = library.tags["member"]
    at = feature_date(tags[LR], DATE)
    wanted = list(dict.fromkeys(n for m in (GBT, LR, SHIPPED[0]) for n in model_inputs(tags[m].spec, tags)))
    rows: list[dict] = []
    with PeakMemory(spark) as memory:
        started = time.perf_counter()
        features = features_as_of(spark, settings, library, "member", wanted, at)
        frame = features.frame.persist(StorageLevel.MEMORY_AND_DISK)
        count = frame.count()
        recompute = time.perf_counter() - started
    rows.append({"step": f"recompute {len(wanted)} feature tags as of {at}", "seconds": recompute, "rows": count,
                 "peak_mb": memory.megabytes})
    shared = FeatureFrame(frame, features.date, features.origin, features.excluded, features.notes)
    results = []
    try:
        for name in (GBT, LR, SHIPPED[0]):
            with PeakMemory(spark) as memory:
                result = train(spark, settings, library, name, DATE, promote=True, features=shared)
            results.append((result, memory.megabytes))
        reference = baselines(spark, settings, library, shared)
    finally:
        frame.unpersist()
    with PeakMemory(spark) as memory:
        started = time.perf_counter()
        others = train_models(spark, settings, library, SHIPPED[1:], DATE, promote=True)
        total = time.perf_counter() - started
    rows.append({"step": f"recompute features as of {feature_date(tags[SHIPPED[1]], DATE)} (churn, spend)",
                 "seconds": total - sum(r.seconds for r in others), "rows": None, "peak_mb": memory.megabytes})
    results += [(r, memory.megabytes) for r in others]
    for result, peak in results:
        rows.append({"step": f"train {result.tag} ({library.tag(result.tag).spec.estimator.type}, {len(result.features)} features)",
                     "seconds": result.seconds, "rows": result.train_rows, "peak_mb": peak, "metrics": result.metrics})
    return rows, reference


def timed_run():
    """TagRun that also adds up the wall time of its model steps."""
    from taglake.compute.engine import TagRun

    class TimedRun(TagRun):
        model_seconds = 0.0

        def _derive(self, state, todo, states):
            others = [s for s in todo if s.kind != "model"]
            if others:
                super()._derive(state, others, states)
            for step in (s for s in todo if s.kind == "model"):   # steps of one depth never read each other
                started = time.perf_counter()
                super()._derive(state, [step], states)
                self.model_seconds += time.perf_counter() - started

    return TimedRun


def nightly(spark, settings, root: Path, database: str) -> dict:
    from benchmarks.tags import variant_settings
    from taglake.tagdefs import load_library

    variant = variant_settings(spark, settings, database)
    library = load_library(root, database=variant.database)
    run = timed_run()(spark, variant, library, DATE)
    with PeakMemory(spark) as memory:
        started = time.perf_counter()
        results = run.run()
        seconds = time.perf_counter() - started
    member = next(r for r in results if r.subject == "member")
    return {"database": database, "seconds": seconds, "model_seconds": run.model_seconds, "tags": sum(r.tags for r in results),
            "members": member.rows, "peak_mb": memory.megabytes, "settings": variant}


def served(spark, settings) -> dict:
    """The model columns as BI reads them: the member serving table of the newest snapshot."""
    columns = ["repurchase_30d_propensity", "repurchase_30d_decile", "churn_90d_risk", "spend_90d_prediction"]
    row = spark.table(settings.table("tags_member_latest")).selectExpr(
        "count(1) AS n", *(f"count({c}) AS {c}" for c in columns), "avg(repurchase_30d_propensity) AS mean_p").first()
    return row.asDict()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="medium", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--features", type=int, default=300)
    parser.add_argument("--gbt", default="maxDepth=5,maxIter=40,stepSize=0.1",
                        help="GBT parameters of the benchmark model, name=value,...")
    parser.add_argument("--skip", nargs="*", default=[], choices=["training", "nightly"])
    parser.add_argument("--driver-memory", default="12g")
    args = parser.parse_args(argv)

    from taglake.progress import configure_logging
    from taglake.runtime import build_session

    configure_logging()
    logging.getLogger("benchmarks").setLevel(logging.INFO)
    settings = bench_settings(args.scale, driver_memory=args.driver_memory)
    home = Path(settings.path(settings.warehouse)).parent / "mlflow"
    if "training" not in args.skip:
        shutil.rmtree(home, ignore_errors=True)
    settings = store_settings(settings, home)
    spark = build_session(settings)
    ensure_data(spark, settings, args.scale)
    ensure_oneid(spark, settings)
    gbt_params = {k: yaml.safe_load(v) for k, v in (p.split("=", 1) for p in args.gbt.split(",") if p)}
    features = feature_list(args.features)

    with tempfile.TemporaryDirectory() as tmp:
        roots = libraries(Path(tmp), features, gbt_params)
        training, reference = train_all(spark, settings, roots) if "training" not in args.skip else ([], {})
        runs = [] if "nightly" in args.skip else [nightly(spark, settings, roots["base"], "bench_models_base"),
                                                   nightly(spark, settings, roots["scored"], "bench_models_scored")]

    print(f"\nmodel tags over {args.scale} demo data (trained at {DATE}); 2 cores")
    if training:
        print(f"\n{'training step':<74} {'wall s':>7} {'rows':>10} {'AUC':>7} {'lift@10%':>9} {'peak MB':>8}")
        for r in training:
            m = r.get("metrics", {})
            auc = f"{m['auc']:.4f}" if "auc" in m else (f"r2 {m['r2']:.3f}" if "r2" in m else "")
            rows = f"{r['rows']:,}" if r["rows"] is not None else ""
            print(f"{r['step']:<74} {r['seconds']:>7.0f} {rows:>10} {auc:>7} {m.get('top_decile_lift', ''):>9} {r['peak_mb']:>8,.0f}")
        for name, m in reference.items():
            print(f"{name + ' (same validation rows)':<74} {'':>7} {int(m['validation_rows']):>10,} {m['auc']:>7.4f} "
                  f"{m['top_decile_lift']:>9} {'':>8}")
    if runs:
        base, scored = runs
        print(f"\n{'tags stage at ' + str(DATE):<34} {'tags':>7} {'members':>10} {'wall s':>7} {'model steps s':>14} {'peak MB':>8}")
        for r in runs:
            print(f"{r['database']:<34} {r['tags']:>7,} {r['members']:>10,} {r['seconds']:>7.0f} {r['model_seconds']:>14.0f} "
                  f"{r['peak_mb']:>8,.0f}")
        added = scored["seconds"] - base["seconds"]
        print(f"scoring 3 models adds {added:.0f} s ({added / base['seconds']:+.1%}) to the tags stage; "
              f"the model steps took {scored['model_seconds']:.0f} s ({scored['model_seconds'] / base['seconds']:.1%}); target < 10%")
        print(f"served (tags_member_latest of {scored['database']}): {served(spark, scored['settings'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
