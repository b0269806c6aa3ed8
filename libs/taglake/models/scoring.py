"""The model step of the nightly tags stage: score every subject with the model at its alias.

`mlflow.spark.load_model` gives the fitted PipelineModel; `transform` runs in the JVM on this
night's tag columns (no Python UDF). The outputs go to the model's own column groups like any tag.
Which version scored the snapshot, and how the scores were distributed (PSI against the previous
snapshot and the training set), are recorded in `model_scores` / `model_stats` (records.py).

A model with no version at the alias yet is not an error of the night: its tags are NULL, a
warning says how to train it, and the reason is recorded. A feature the model needs that the night
does not have, or a declared feature the model was trained without, is an error naming it.
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame

from taglake.compiler.builders.model import ModelStep
from taglake.compiler.plan import KEY
from taglake.core.expressions import quote_identifier as q
from taglake.errors import DataError
from taglake.models import metrics as M
from taglake.models import records, store
from taglake.models.pipeline import with_score
from taglake.snapshots import registry
from taglake.snapshots.read import read_tags

log = logging.getLogger(__name__)

SCORE = "__score"


def output_sql(output: str, threshold: float, cuts: list[float]) -> str:
    score = q(SCORE)
    if output in ("probability", "score"):
        return score
    if output == "class":
        return f"{score} >= {threshold!r}"
    return M.decile_sql(score, cuts)


def _version(run, step: ModelStep):
    """(model version or None, why): the version recorded for this date, else the alias."""
    settings = run.settings
    if not settings.models.rescore:
        kept = records.recorded_version(run.spark, settings, step.subject, run.date, step.model)
        if kept is not None:
            version = store.client(settings).get_model_version(step.model, kept)
            return version, f"version {kept} recorded for {run.date} kept (models.rescore: false)"
    try:
        champion = store.champion(settings, step.model)
    except Exception as exc:  # an unreachable tracking server must not stop the night
        return None, f"registry not reachable: {str(exc).splitlines()[0][:200]}"
    if champion is None:
        return None, (f"model {step.model} has no version at alias {settings.models.alias!r}; "
                      f"train one: taglake train {step.defining_tag} --date <date>")
    return champion, f"alias {settings.models.alias!r}"


def _inputs(run, state, names: list[str]) -> DataFrame:
    """__key + this night's values of `names`: from the core, or read back from family groups."""
    frame = state.core.select(KEY, *[n for n in names if n in state.core.columns])
    stored = [n for n in names if n not in state.core.columns and n in state.family_tags]
    if stored:
        frame = frame.join(run._stored_tags(state, stored), on=KEY, how="left")
    return frame


def score_step(run, state, step: ModelStep, keep: list[str]) -> DataFrame:
    settings, spark = run.settings, run.spark
    version, why = _version(run, step)
    tags = [o.name for o in step.outputs]
    if version is None:
        log.warning("%s: %s; tags %s are NULL tonight", step.model, why, ", ".join(tags))
        records.record_usage(spark, settings, records.Usage(step.subject, run.date, run.run_id, step.model, tags, "no_champion",
                                                            None, None, settings.models.alias, why, 0))
        nulls = [f"CAST(NULL AS {o.type.upper()}) AS {q(o.name)}" for o in step.outputs]
        return state.core.selectExpr(*map(q, keep), *nulls)
    number = str(version.version)   # the registry hands out ints or strings; records keep strings
    mlflow = store.mlflow_for(settings)
    info = mlflow.artifacts.load_dict(f"runs:/{version.run_id}/taglake.json")
    model_info = mlflow.models.get_model_info(f"models:/{step.model}/{number}")
    signature = [c.name for c in model_info.signature.inputs.inputs] if model_info.signature else info["features"]
    unknown = [f for f in signature if f not in state.types]
    if unknown:
        raise DataError(f"model {step.model} v{number} needs feature(s) {', '.join(unknown)}, which tonight's "
                        f"{step.subject} tags do not have; restore them or train a new version: taglake train {step.defining_tag}")
    untrained = [f for f in step.features if f not in signature and f not in info.get("excluded", {})]
    if untrained:
        raise DataError(f"feature(s) {', '.join(untrained)} of {step.subject}.{step.defining_tag} are missing from the "
                        f"signature of model {step.model} v{number} (trained before they were declared); "
                        f"train a new version: taglake train {step.defining_tag} --promote")
    model = mlflow.spark.load_model(f"models:/{step.model}/{number}", dfs_tmpdir=store.dfs_tmpdir(settings))
    frame = _inputs(run, state, list(dict.fromkeys([*signature, *step.inputs])))
    if step.population_sql:
        frame = frame.where(f"coalesce({step.population_sql}, false)")
    scored = with_score(model.transform(frame.select(KEY, *signature)), step.task, SCORE)
    cuts = info["score_edges"]
    outputs = [f"CAST({output_sql(*step.output_kinds[o.name], cuts)} AS {o.type.upper()}) AS {q(o.name)}" for o in step.outputs]
    # Scored once (a checkpoint): the group write, the statistics and the core all read it.
    result = scored.selectExpr(q(KEY), q(SCORE), *outputs).checkpoint(eager=True)
    count = result.count()
    records.record_usage(spark, settings, records.Usage(step.subject, run.date, run.run_id, step.model, tags, "scored",
                                                        number, version.run_id, settings.models.alias, why, count))
    _monitor(run, step, result, number, info, count, state)
    return state.core.select(*keep).join(result.drop(SCORE), on=KEY, how="left")


def _monitor(run, step: ModelStep, scored: DataFrame, version: str, info: dict, count: int, state) -> None:
    """Score distribution of this snapshot on the training deciles; PSI vs previous and training."""
    settings, spark = run.settings, run.spark
    cuts = info["score_edges"]
    shares = M.shares(scored, SCORE, cuts)
    mean = M.one(scored, f"avg({q(SCORE)}) AS m")["m"]
    psi_training = M.psi(info["training_shares"], shares)
    previous, psi_previous = records.previous_scored(spark, settings, step.subject, run.date, step.model), None
    if previous is not None:
        psi_previous = _previous_psi(run, step, previous, version, cuts, shares, state)
    alerts = [f"PSI vs {what} {value:.3f} > {settings.models.psi_alert}" for what, value in
              (("previous snapshot", psi_previous), ("training", psi_training)) if value is not None and value > settings.models.psi_alert]
    alert = "; ".join(alerts) or None
    if alert:
        log.warning("%s v%s on %s: score drift: %s", step.model, version, run.date, alert)
    records.append(spark, settings, records.STATS_TABLE, [(
        step.subject, run.date, run.run_id, step.model, version, int(state.population.count()), count, mean, shares,
        psi_previous, previous["snapshot_date"] if previous is not None else None, psi_training,
        dt.date.fromisoformat(info["feature_date"]), alert, dt.datetime.now())], records.STATS_SCHEMA)


def _previous_psi(run, step: ModelStep, previous, version: str, cuts: list[float], shares: list[float], state) -> float | None:
    """The previous snapshot's scores binned on tonight's edges: read back when the raw score is a
    stored tag, else its recorded shares when the same version scored it."""
    raw = [o.name for o in step.outputs if step.output_kinds[o.name][0] in ("probability", "score")]
    date = previous["snapshot_date"]
    if raw and raw[0] in registry.placements(run.spark, run.settings, step.subject):
        key = state.key
        frame = read_tags(run.spark, run.settings, step.subject, key, date, raw[:1]).frame
        return M.psi(M.shares(frame, raw[0], cuts), shares)
    if previous["version"] == version:
        stats = records.previous_stats(run.spark, run.settings, step.subject, run.date, step.model)
        return M.psi(list(stats["shares"]), shares) if stats is not None else None
    return None
