"""`taglake train`: fit model tags without leakage and register them; `taglake models`: the
registry (versions, aliases, metrics) and what scored each snapshot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from taglake.cli.app import AppContext, cli, common_options, pass_app
from taglake.cli.options import date_option, tagdefs_option


def _library(app: AppContext, tagdefs: str | None):
    from taglake.tagdefs import load_library

    return load_library(Path(tagdefs) if tagdefs else Path(app.settings.path(app.settings.tagdefs)), database=app.settings.database)


@cli.command()
@click.argument("models", nargs=-1, metavar="[MODEL]...")
@date_option("Training date D: features as of D - horizon, labels from the horizon ending on D.")
@click.option("--all", "all_models", is_flag=True, help="Every model tag of the library.")
@click.option("--missing", is_flag=True, help="Only models without a version at the alias (champion) yet.")
@click.option("--promote", is_flag=True, help="Move the alias to the new version even if it does not beat the champion.")
@tagdefs_option
@common_options
@pass_app
def train(app: AppContext, models: tuple[str, ...], date: dt.date, all_models: bool, missing: bool, promote: bool,
          tagdefs: str | None) -> None:
    """Train MODEL (a model tag defining a model) as of DATE and register a new MLflow version.

    \b
    No leakage: the features are the tags as of D - horizon (the retained snapshot of that date,
    or recomputed from the sources when there is none: tags over sources whose rows are
    overwritten in place, such as CRM profiles, are then left out and listed); the label comes
    from the source events in (D - horizon, D]. A deterministic split by subject key holds out the
    validation rows. Params, feature list, AUC / log-loss / calibration / top-decile lift (RMSE for
    a regression), the training snapshot date and the tagdefs hash go to MLflow with the model's
    signature. The alias (champion) moves only when the new version beats the champion on the same
    validation rows, or with --promote.
    """
    from taglake.errors import InputError
    from taglake.models.train import model_tags, train_models

    library = _library(app, tagdefs)
    names = [t.name for t in model_tags(library)] if all_models or missing and not models else list(models)
    if not names:
        raise InputError("name a model tag (taglake models lists them) or pass --all")
    results = train_models(app.spark, app.settings, library, names, date, promote, only_missing=missing)
    if not results:
        click.echo("every model has a champion already (--missing)")
    for r in results:
        metric = ", ".join(f"{k} {v:.4f}" for k, v in r.metrics.items() if k != "validation_rows")
        click.echo(f"{r.model} v{r.version} (run {r.run_id}): {r.train_rows:,} rows, {len(r.features)} features as of "
                   f"{r.feature_date} ({r.origin}), label to {r.label_date}; {metric}; {r.seconds:.0f}s")
        click.echo(f"  alias {app.settings.models.alias!r} {'moved to v' + r.version if r.promoted else 'kept'}: {r.reason}")
        if r.excluded:
            shown = ", ".join(sorted(r.excluded)[:12]) + (f" (+{len(r.excluded) - 12} more)" if len(r.excluded) > 12 else "")
            click.echo(f"  left out ({len(r.excluded)}): {shown} — {next(iter(r.excluded.values()))}")
        for note in r.notes:
            click.echo(f"  note: {note}")


@cli.command()
@click.argument("model", required=False)
@click.option("--snapshots", "show_snapshots", is_flag=True, help="Also list which version scored each snapshot, with PSI.")
@tagdefs_option
@common_options
@pass_app
def models(app: AppContext, model: str | None, show_snapshots: bool, tagdefs: str | None) -> None:
    """List the model tags: registered versions, the alias, validation metrics; with --snapshots
    the version, run and score drift (PSI vs the previous snapshot and the training set) of
    every retained snapshot."""
    from rich.console import Console
    from rich.table import Table

    from taglake.compiler.builders.model import model_name
    from taglake.models import records, store
    from taglake.models.train import model_tags

    library = _library(app, tagdefs)
    tags = [t for t in model_tags(library) if model in (None, t.name, model_name(t.subject, t.name))]
    client = store.client(app.settings)
    from mlflow.exceptions import MlflowException

    table = Table(title=f"models (alias {app.settings.models.alias!r}; store {store.tracking_uri(app.settings)})", title_justify="left")
    for col in ("model", "estimator", "version", "alias", "trained as of", "features", "auc / rmse", "lift@10%", "created"):
        table.add_column(col)
    for tag in tags:
        name = model_name(tag.subject, tag.name)
        try:
            versions = sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version))
        except MlflowException:
            versions = []
        if not versions:
            table.add_row(name, tag.spec.estimator.type, "-", "-", "-", "-", "-", "-", "not trained")
        for v in versions:
            run = client.get_run(v.run_id)
            m, p = run.data.metrics, run.data.params
            main = m.get("auc", m.get("rmse"))
            table.add_row(name, tag.spec.estimator.type, str(v.version), ", ".join(v.aliases), p.get("training_snapshot_date", ""),
                          p.get("n_features", ""), f"{main:.4f}" if main is not None else "", f"{m.get('top_decile_lift', 0):.2f}",
                          dt.datetime.fromtimestamp(v.creation_timestamp / 1000).strftime("%Y-%m-%d %H:%M"))
    Console().print(table)
    if show_snapshots:
        stats = {(r["subject"], r["snapshot_date"], r["model"]): r for r in records.stats(app.spark, app.settings)}
        snap = Table(title="model scores per snapshot", title_justify="left")
        for col in ("date", "model", "status", "version", "rows", "mean", "PSI prev", "PSI train", "alert / reason"):
            snap.add_column(col)
        for r in records.usages(app.spark, app.settings):
            if model not in (None, r["model"], r["model"].split(".", 1)[-1]):
                continue
            s = stats.get((r["subject"], r["snapshot_date"], r["model"]))

            def fmt(value):
                return f"{value:.3f}" if value is not None else "-"

            snap.add_row(str(r["snapshot_date"]), r["model"], r["status"], r["version"] or "-", f"{r['scored_rows']:,}",
                         fmt(s["mean"] if s else None), fmt(s["psi_previous"] if s else None),
                         fmt(s["psi_training"] if s else None), (s["alert"] if s and s["alert"] else "") or
                         ("" if r["status"] == "scored" else r["reason"]))
        Console().print(snap)
