"""The MLflow tracking and registry store taglake uses: URIs from the settings, telemetry off.

Default: a SQLite database and an artifact folder under the warehouse, one per catalog database
(absolute paths: a relative `sqlite:///mlflow.db` would be a different store in every working
directory). `conf/cluster.yaml` shows a tracking server instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from taglake.settings import Settings

#: Set before mlflow is imported: no usage reporting from a closed network (3.x otherwise tries).
OFFLINE_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1", "MLFLOW_ENABLE_ASYNC_LOGGING": "false"}
EXPERIMENT_PREFIX = "taglake"


def _home(settings: Settings) -> str:
    return f"{settings.path(settings.warehouse)}/_mlflow/{settings.database}"


def tracking_uri(settings: Settings) -> str:
    if settings.models.tracking_uri:
        return settings.models.tracking_uri
    home = _home(settings)
    if "://" not in home:
        Path(home).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home}/mlflow.db"


def artifact_location(settings: Settings) -> str | None:
    """Artifact root of taglake's experiments (None on a tracking server: the server decides)."""
    if settings.models.artifact_location:
        return settings.path(settings.models.artifact_location)
    if settings.models.tracking_uri:
        return None
    return f"{_home(settings)}/artifacts"


def dfs_tmpdir(settings: Settings) -> str:
    """Where Spark writes a model before MLflow copies it: shared storage on a cluster."""
    return f"{settings.path(settings.checkpoint_dir)}/mlflow_tmp"


def mlflow_for(settings: Settings):
    """The mlflow module pointed at this settings' store (tracking and registry)."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    import mlflow

    uri = tracking_uri(settings)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow


def client(settings: Settings):
    mlflow = mlflow_for(settings)
    return mlflow.MlflowClient(tracking_uri=tracking_uri(settings), registry_uri=tracking_uri(settings))


def experiment_id(settings: Settings, model: str) -> str:
    """One experiment per registered model, created with an absolute artifact location."""
    mlflow_client = client(settings)
    name = f"{EXPERIMENT_PREFIX}/{model}"
    found = mlflow_client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    return mlflow_client.create_experiment(name, artifact_location=artifact_location(settings))


def champion(settings: Settings, model: str):
    """The model version at the settings' alias, or None (no such model, or no alias yet)."""
    from mlflow.exceptions import MlflowException

    try:
        return client(settings).get_model_version_by_alias(model, settings.models.alias)
    except MlflowException:
        return None
