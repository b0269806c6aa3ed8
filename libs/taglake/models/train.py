"""`taglake train MODEL --date D`: fit a model tag's pipeline without leakage, log it to MLflow,
register a version, and move the alias only when validation beats the current champion.

The training set (`dataset.training_set`) has the features as of D - horizon and the label from
the window ending on D. Train / validation split by a hash of the subject key and the tag's seed:
the same subjects land on the same side on every run and at any parallelism.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame

from taglake.compiler.builders.model import model_name
from taglake.compiler.plan import KEY
from taglake.core.expressions import quote_identifier as q
from taglake.errors import DataError, InputError
from taglake.models import metrics as M
from taglake.models import store
from taglake.models.dataset import LABEL, FeatureFrame, TrainingSet, feature_date, features_as_of, training_set
from taglake.models.pipeline import build_pipeline, with_score
from taglake.progress import step as progress
from taglake.settings import Settings
from taglake.tagdefs.kinds.model import model_inputs
from taglake.tagdefs.library import Library, Tag

log = logging.getLogger(__name__)

SCORE = "__score"
INFO_ARTIFACT = "taglake.json"
SIGNATURE_TYPES = {"int": "integer", "bigint": "long", "double": "double", "boolean": "boolean", "string": "string"}


@dataclass
class TrainResult:
    tag: str
    model: str
    version: str
    run_id: str
    task: str
    metrics: dict[str, float]
    champion_before: str | None
    champion_metric: float | None
    promoted: bool
    reason: str
    features: list[str]
    excluded: dict[str, str]
    origin: str
    feature_date: dt.date
    label_date: dt.date
    train_rows: int
    seconds: float
    notes: list[str] = field(default_factory=list)


def defining_tag(library: Library, name: str) -> Tag:
    tag = library.tag(name)
    if tag.kind != "model":
        raise InputError(f"{tag.subject}.{tag.name} is a {tag.kind} tag, not a model tag")
    if tag.spec.model is not None:
        raise InputError(f"{tag.subject}.{tag.name} reads model {tag.spec.model!r}; train that one: taglake train {tag.spec.model}")
    return tag


def model_tags(library: Library) -> list[Tag]:
    """Every tag that defines a model, in library order."""
    return [t for t in library.all_tags() if t.kind == "model" and t.spec.model is None]


def train_models(spark, settings: Settings, library: Library, names: list[str], date: dt.date, promote: bool = False,
                 only_missing: bool = False) -> list[TrainResult]:
    """Train several models; those sharing a subject and feature date share one feature frame
    (recomputed once when no snapshot of that date is kept)."""
    tags = [defining_tag(library, n) for n in names]
    if only_missing:
        tags = [t for t in tags if store.champion(settings, model_name(t.subject, t.name)) is None]
    groups: dict[tuple[str, dt.date], list[Tag]] = {}
    for tag in tags:
        groups.setdefault((tag.subject, feature_date(tag, date)), []).append(tag)
    results = []
    for (subject, at), members in groups.items():
        wanted = list(dict.fromkeys(n for t in members for n in model_inputs(t.spec, library.tags[subject])))
        features = features_as_of(spark, settings, library, subject, wanted, at)
        persisted = features.frame.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            shared = FeatureFrame(persisted, features.date, features.origin, features.excluded, features.notes)
            for tag in members:
                results.append(train(spark, settings, library, tag.name, date, promote, shared))
        finally:
            persisted.unpersist()
    return results


def train(spark, settings: Settings, library: Library, name: str, date: dt.date, promote: bool = False,
          features: FeatureFrame | None = None) -> TrainResult:
    started = time.perf_counter()
    tag = defining_tag(library, name)
    spec = tag.spec
    task = spec.task
    registered = model_name(tag.subject, tag.name)
    with progress(f"train {registered}: training set as of {date}") as current:
        data = training_set(spark, settings, library, tag, date, features)
        frame = data.frame.persist(StorageLevel.MEMORY_AND_DISK)
        validation = validation_sql(tag)
        train_df, valid_df = frame.where(f"NOT ({validation})"), frame.where(validation)
        # Gaps are judged on the rows the pipeline is fitted on: a feature with no value there
        # (a rare category on a small population) has no median to impute and nothing to learn.
        features_used, with_nulls, empty = _feature_gaps(train_df, data.features)
        if empty:
            data.excluded.update({f: "no value in the training rows" for f in empty})
        rows = frame.count()
        current.count(rows=rows, features=len(features_used))
    try:
        if rows == 0 or not features_used:
            raise DataError(f"model {registered}: the training set as of {data.feature_date} is empty" if rows == 0 else
                            f"model {registered}: no feature has a value in the training rows as of {data.feature_date}")
        types = {f: library.tags[tag.subject][f].type for f in features_used}
        with progress(f"train {registered}: fit {spec.estimator.type} on {len(features_used)} features") as current:
            fitted = build_pipeline(features_used, types, with_nulls, spec.estimator, task).fit(train_df)
            current.count(rows=rows)
        scored = with_score(fitted.transform(valid_df), task, SCORE).select(KEY, SCORE, LABEL) \
            .persist(StorageLevel.MEMORY_AND_DISK)
        cuts = M.edges(scored, SCORE)
        evaluate = M.classification if task == "classification" else M.regression
        metrics, calibration = evaluate(scored, SCORE, LABEL, cuts)
        training_shares = M.shares(scored, SCORE, cuts)
        scored.unpersist()
        metric, higher = M.PRIMARY[task]
        champion = store.champion(settings, registered)
        champion_metric = _champion_metric(settings, champion, valid_df, task, metric, cuts) if champion else None
        better = champion_metric is None or (metrics[metric] > champion_metric if higher else metrics[metric] < champion_metric)
        if champion is None:
            reason = "no champion yet"
        elif promote:
            reason = f"--promote (validation {metric} {metrics[metric]:.4f} vs champion v{champion.version} {champion_metric:.4f})"
        else:
            reason = (f"validation {metric} {metrics[metric]:.4f} {'beats' if better else 'does not beat'} "
                      f"champion v{champion.version} {champion_metric:.4f} on the same validation rows")
        info = {"tag": tag.name, "subject": tag.subject, "task": task, "features": features_used, "types": types,
                "excluded": data.excluded, "feature_date": str(data.feature_date), "label_date": str(data.label_date),
                "origin": data.origin, "score_edges": cuts, "training_shares": training_shares, "notes": data.notes,
                "definition_hash": library.definition_hash(tag), "calibration": calibration}
        version, run_id = _log(settings, library, tag, registered, fitted, data, info, metrics, rows, task)
        promoted = champion is None or promote or better
        if promoted:
            store.client(settings).set_registered_model_alias(registered, settings.models.alias, version)
        log.info("%s v%s: %s; %s", registered, version, ", ".join(f"{k}={v}" for k, v in metrics.items()),
                 f"alias {settings.models.alias!r} moved ({reason})" if promoted else f"alias kept ({reason})")
        return TrainResult(tag.name, registered, version, run_id, task, metrics, str(champion.version) if champion else None,
                           champion_metric, promoted, reason, features_used, data.excluded, data.origin, data.feature_date,
                           data.label_date, rows, round(time.perf_counter() - started, 1), data.notes)
    finally:
        frame.unpersist()


def validation_sql(tag: Tag) -> str:
    """Which rows of a training set are held out: a hash of the key and the tag's seed, so the
    same subjects land on the same side on every run and at any parallelism."""
    split = tag.spec.split
    return f"pmod(xxhash64(CAST({q(KEY)} AS STRING), {int(split.seed)}), 10000) < {int(split.validation * 10000)}"


def _feature_gaps(frame: DataFrame, features: list[str]) -> tuple[list[str], set[str], list[str]]:
    """(usable features, those with NULLs, those with no value at all) in one pass."""
    row = M.one(frame, "count(1) AS __n", *(f"count({q(f)}) AS {q('c_' + f)}" for f in features))
    n = row["__n"]
    empty = [f for f in features if row["c_" + f] == 0]
    usable = [f for f in features if f not in empty]
    return usable, {f for f in usable if row["c_" + f] < n}, empty


def _champion_metric(settings: Settings, champion, valid: DataFrame, task: str, metric: str, cuts: list[float]) -> float | None:
    """The champion's metric on *this* validation set when it can score it, else its logged one."""
    mlflow = store.mlflow_for(settings)
    try:
        model = mlflow.spark.load_model(f"models:/{champion.name}/{champion.version}", dfs_tmpdir=store.dfs_tmpdir(settings))
        scored = with_score(model.transform(valid), task, SCORE).select(SCORE, LABEL)
        evaluate = M.classification if task == "classification" else M.regression
        return evaluate(scored, SCORE, LABEL, cuts)[0][metric]
    except Exception as exc:   # features changed since: fall back to what it logged
        log.info("champion v%s cannot score this validation set (%s); comparing logged %s", champion.version,
                 str(exc).splitlines()[0][:200], metric)
        run = store.client(settings).get_run(champion.run_id)
        return run.data.metrics.get(metric)


def _log(settings: Settings, library: Library, tag: Tag, registered: str, fitted, data: TrainingSet, info: dict,
         metrics: dict[str, float], rows: int, task: str) -> tuple[str, str]:
    import pyspark
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    mlflow = store.mlflow_for(settings)
    spec = tag.spec
    signature = ModelSignature(
        inputs=Schema([ColSpec(SIGNATURE_TYPES[info["types"][f]], f) for f in info["features"]]),
        outputs=Schema([ColSpec("double", "score")]))
    params = {"estimator": spec.estimator.type, "task": task, "horizon_days": spec.label.window.end,
              "label": f"{spec.label.aggregate} over {spec.label.source} days {spec.label.window.start}..{spec.label.window.end}"
                       f" after the snapshot{' where ' + spec.label.where if spec.label.where else ''}",
              "feature_snapshot_date": str(data.feature_date), "label_end_date": str(data.label_date),
              "training_snapshot_date": str(data.feature_date), "features_from": data.origin,
              "n_features": len(info["features"]), "n_excluded": len(data.excluded), "train_rows": rows,
              "validation_share": spec.split.validation, "split_seed": spec.split.seed,
              **{f"param.{k}": v for k, v in spec.estimator.params.items()}}
    experiment = store.experiment_id(settings, registered)
    with mlflow.start_run(experiment_id=experiment, run_name=f"{tag.name} {data.label_date}") as run:
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        mlflow.set_tags({"taglake.tag": f"{tag.subject}.{tag.name}", "taglake.definition_hash": info["definition_hash"],
                         "taglake.tagdefs_hash": library.library_hash(tag.subject, tuple({t.status for t in library.all_tags()})),
                         "taglake.training_snapshot_date": str(data.feature_date)})
        mlflow.log_dict(info, INFO_ARTIFACT)
        mlflow.log_text("\n".join(info["features"]) + "\n", "features.txt")
        model_info = mlflow.spark.log_model(
            fitted, "model", registered_model_name=registered, signature=signature,
            dfs_tmpdir=store.dfs_tmpdir(settings),
            # Explicit requirements: inferring them would load the model in a subprocess.
            pip_requirements=[f"pyspark=={pyspark.__version__}", f"mlflow=={mlflow.__version__}"])
        version = str(model_info.registered_model_version)
        return version, run.info.run_id
