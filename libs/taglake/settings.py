"""Environment settings: conf/<env>.yaml, validated, with paths resolved from the project root.

Environments (local, cluster, ...) hold paths, Spark settings and retention; tag definitions never
do (they stay environment-free under tagdefs/).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from taglake.core.model import Strict
from taglake.core.problems import DefinitionError, ProblemLog
from taglake.core.yamlio import YamlProblem, load_file
from taglake.errors import ConfigError

#: The checkout this package was installed from (editable install): libs/taglake/ -> repo root.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ENV = "local"

class SettingsError(DefinitionError, ConfigError):
    """conf/<env>.yaml has invalid settings; carries every problem found."""

class SparkSettings(Strict):
    master: str | None = None
    app_name: str = "taglake"
    driver_memory: str | None = None
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)

class JarSettings(Strict):
    packages: list[str] = Field(default_factory=list)
    ivy_cache: str | None = None

class RetentionSettings(Strict):
    daily: int = Field(7, ge=1)
    month_ends: int = Field(12, ge=0)

class TagSettings(Strict):
    #: Tag columns per physical Delta table (column group). Measured: writing the same cells as
    #: groups of <= 500 columns costs 5-6x less than one 5,000-column table (docs/storage.md).
    group_size: int = Field(250, ge=10, le=5000)
    #: Per subject, the tag columns segments filter on most: Delta collects min/max statistics for
    #: them (instead of the first 32 columns) so filters can skip files. Booleans get no min/max.
    stats_columns: dict[str, list[str]] = Field(default_factory=dict)
    #: Lifecycle statuses the nightly run computes.
    statuses: list[str] = Field(default_factory=lambda: ["online"])
    #: Column groups written (and measured) concurrently: each is an independent Spark job and
    #: Delta commit, so small groups overlap their fixed costs instead of queueing.
    parallel_writes: int = Field(2, ge=1, le=64)
    #: Subjects per key bucket. Every column group of a snapshot is written in the same buckets,
    #: sorted by key (one file per bucket and group): a point lookup opens one bucket, a full scan
    #: runs one task per bucket (docs/storage.md).
    rows_per_bucket: int = Field(250_000, ge=100)


#: The Spark setting `timezone` drives; set through `timezone`, never directly (one place).
SESSION_TIMEZONE = "spark.sql.session.timeZone"


class ModelSettings(Strict):
    """MLflow tracking and registry (model tags, docs/models.md)."""

    #: Tracking and registry store. Default: a SQLite database under the warehouse, one per
    #: catalog database (sqlite:////<warehouse>/_mlflow/<database>/mlflow.db).
    tracking_uri: str | None = None
    #: Where run artifacts (the Spark ML models) go. Default: next to the default SQLite store.
    artifact_location: str | None = None
    #: The registry alias nightly scoring reads.
    alias: str = "champion"
    #: Population stability index above which a score distribution is recorded as an alert.
    psi_alert: float = Field(0.2, gt=0)
    #: Re-running a date that was scored already keeps the model version it recorded; true
    #: rescores it with the model at the alias.
    rescore: bool = False


# --- the SQL endpoint for BI tools (taglake serve-sql; docs in README "BI") ----------------------

class AuthSettings(Strict):
    #: nosasl: no authentication (loopback default; impyla auth_mechanism='NOSASL', beeline
    #: ;auth=noSasl); none: SASL PLAIN, any user name accepted; ldap: Hive's LDAP provider;
    #: password_file: taglake's provider checking `password_file` (taglake serve-sql passwd).
    mode: Literal["nosasl", "none", "ldap", "password_file"] = "nosasl"
    ldap_url: str | None = None          # e.g. ldaps://ldap.example.com:636
    ldap_base_dn: str | None = None      # e.g. ou=people,dc=example,dc=com
    password_file: str | None = None


class ServeSettings(Strict):
    host: str = "127.0.0.1"
    port: int = Field(10000, ge=1, le=65535)
    #: The BI database with every tag; each business line gets `<database>_<suffix>`.
    database: str = Field("bi", pattern=r"^[a-z_][a-z0-9_]*$")
    #: Business line (as written in tagdefs) -> ASCII suffix of its BI database (null: no database).
    business_lines: dict[str, str | None] = Field(default_factory=dict)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    #: Result rows made without Spark's per-statement Row encoder (io.taglake.serving.DirectRows):
    #: seconds less per statement on a wide tag row. false: Spark's own path.
    direct_rows: bool = True
    #: Extra HiveServer2 settings (hive.server2.*), passed as they are.
    hiveconf: dict[str, str | int | bool] = Field(default_factory=dict)


class Settings(Strict):
    name: str
    #: The time zone of every day boundary (windows, days since, the snapshot date) and of
    #: hour() / dayofweek() in tag expressions: an IANA name (Asia/Shanghai) or UTC.
    timezone: str
    warehouse: str
    #: A folder (embedded Derby, one Spark application at a time), a shared metastore database
    #: (postgresql://user[:password]@host:port/db), a metastore service (thrift://host:9083), or
    #: null for the cluster's hive-site.xml. See taglake.runtime.metastore.
    metastore: str | None = None
    checkpoint_dir: str
    database: str = Field("taglake", pattern=r"^[a-z_][a-z0-9_]*$")
    tagdefs: str = "tagdefs"
    spark: SparkSettings = Field(default_factory=SparkSettings)
    jars: JarSettings = Field(default_factory=JarSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    tags: TagSettings = Field(default_factory=TagSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    #: Folder that relative paths are resolved from; set by the loader, not in YAML.
    root: Path = Field(default=PROJECT_ROOT, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            import difflib

            close = difflib.get_close_matches(value, sorted(available_timezones()), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{value!r} is not a time zone{hint}; use an IANA name such as 'Asia/Shanghai' or 'UTC'") from None
        return value

    @model_validator(mode="after")
    def _one_timezone(self) -> Settings:
        if SESSION_TIMEZONE in self.spark.conf:
            raise ValueError(f"spark.conf sets {SESSION_TIMEZONE}; declare the time zone once, as `timezone:` "
                             f"(it sets {SESSION_TIMEZONE} and every day boundary of the tags)")
        return self

    def path(self, value: str) -> str:
        """A configured location as an absolute path or URI (s3a://..., hdfs://... stay as they are)."""
        if "://" in value or os.path.isabs(value):
            return value
        return str((self.root / value).resolve())

    def table(self, name: str) -> str:
        """Qualified catalog name of a taglake table, e.g. `taglake.oneid_mapping`."""
        return f"{self.database}.{name}"

    def with_overrides(self, **changes: Any) -> Settings:
        return self.model_copy(update=changes)

def conf_path(conf: str | os.PathLike[str] | None) -> Path:
    """Map `--conf` (an environment name such as `local`, or a YAML path) to a file."""
    conf = conf or os.environ.get("TAGLAKE_CONF") or DEFAULT_ENV
    candidate = Path(conf)
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        return candidate.resolve()
    return PROJECT_ROOT / "conf" / f"{conf}.yaml"


def _read_conf(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """One conf file as a mapping; `extends: ENV|PATH` starts from another conf and overrides it
    key by key (nested mappings merge, anything else is replaced)."""
    if path in seen:
        raise ConfigError(f"{path}: `extends` loops back to itself ({' -> '.join(p.name for p in (*seen, path))})")
    try:
        raw = load_file(path) or {}
    except YamlProblem as exc:
        raise ConfigError(str(exc)) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(raw).__name__}")
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    base_path = Path(parent) if Path(parent).suffix in {".yaml", ".yml"} else path.parent / f"{parent}.yaml"
    base_path = base_path if base_path.is_absolute() else (path.parent / base_path).resolve()
    if not base_path.is_file():
        raise ConfigError(f"{path}: extends {parent!r}, but {base_path} does not exist")
    return _merge(_read_conf(base_path, (*seen, path)), raw)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_settings(conf: str | os.PathLike[str] | None = None) -> Settings:
    path = conf_path(conf)
    if not path.is_file():
        known = sorted(p.stem for p in (PROJECT_ROOT / "conf").glob("*.yaml"))
        raise ConfigError(
            f"configuration {str(conf or path)!r} not found (looked for {path}); "
            f"pass --conf with a YAML path or one of: {', '.join(known) or 'none'}"
        )
    raw = _read_conf(path)
    try:
        # conf/ sits in the project root; relative paths in it are relative to that root.
        return Settings(**raw, root=path.parent.parent)
    except ValidationError as exc:
        problems = ProblemLog()
        problems.pydantic(exc, raw, file=str(path), line=1, model=Settings)
        problems.raise_if_any(str(path), SettingsError)
        raise  # pragma: no cover - a ValidationError always has errors
