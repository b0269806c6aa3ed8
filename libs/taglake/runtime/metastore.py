"""Which Hive metastore a conf names, and the Spark settings that reach it.

`metastore:` in a conf is one of
- a folder (`warehouse/metastore_db`): embedded Derby, zero setup, ONE Spark application at a time;
- `postgresql://user[:password]@host:port/database`: a metastore database shared by every Spark
  application at once (the nightly job, the SQL endpoint, a user's notebook). Locally that is the
  PostgreSQL server `taglake metastore start` runs (taglake.serving.postgres); on a cluster, the
  platform's metastore database. The password, when not in the URL, comes from
  $TAGLAKE_METASTORE_PASSWORD;
- `thrift://host:9083[,thrift://...]`: a running Hive metastore service;
- null: whatever the cluster's hive-site.xml says.

Spark's built-in Hive client (2.3) talks to the database through DataNucleus, which creates the
metastore tables on first use (`datanucleus.schema.autoCreateAll`).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from taglake.errors import ConfigError, EnvironmentProblem
from taglake.settings import Settings

#: Debian's libpostgresql-jdbc-java; override with $TAGLAKE_POSTGRES_JDBC_JAR.
POSTGRES_JDBC_JAR = "/usr/share/java/postgresql.jar"
PASSWORD_ENV = "TAGLAKE_METASTORE_PASSWORD"


@dataclass(frozen=True)
class Metastore:
    kind: str                    # derby | postgresql | thrift | site
    location: str                # the Derby folder, or the URL as configured
    host: str = ""
    port: int = 0
    database: str = ""
    user: str = ""
    password: str = ""

    @property
    def shared(self) -> bool:
        """Several Spark applications may use it at the same time."""
        return self.kind != "derby"

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:postgresql://{self.host}:{self.port}/{self.database}"

    def __str__(self) -> str:
        if self.kind == "postgresql":
            return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"
        return self.location


def parse(settings: Settings) -> Metastore:
    value = settings.metastore
    if not value:
        return Metastore("site", "the cluster's hive-site.xml")
    if value.startswith("thrift://"):
        return Metastore("thrift", value)
    if "://" not in value:
        return Metastore("derby", settings.path(value))
    url = urlsplit(value)
    if url.scheme not in {"postgresql", "postgres"}:
        raise ConfigError(f"metastore {value!r}: expected a folder (Derby), postgresql://user@host:port/database "
                          "or thrift://host:port")
    if not url.hostname or not url.path.strip("/") or not url.username:
        raise ConfigError(f"metastore {value!r}: write it as postgresql://user[:password]@host:port/database")
    return Metastore(
        "postgresql", value, host=url.hostname, port=url.port or 5432, database=url.path.strip("/"),
        user=unquote(url.username), password=unquote(url.password) if url.password else os.environ.get(PASSWORD_ENV, ""),
    )


def jdbc_jar() -> str:
    return os.environ.get("TAGLAKE_POSTGRES_JDBC_JAR", POSTGRES_JDBC_JAR)


def spark_conf(settings: Settings) -> tuple[dict[str, str], list[str]]:
    """Spark settings and driver JVM options for the conf's metastore."""
    ms = parse(settings)
    if ms.kind == "derby":
        return ({"spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={ms.location};create=true"},
                # Keep derby.log next to the metastore instead of in whatever folder the user ran from.
                [f"-Dderby.system.home={Path(ms.location).parent}"])
    if ms.kind == "thrift":
        return {"spark.hadoop.hive.metastore.uris": ms.location}, []
    if ms.kind == "site":
        return {}, []
    return ({
        "spark.hadoop.javax.jdo.option.ConnectionURL": ms.jdbc_url,
        "spark.hadoop.javax.jdo.option.ConnectionDriverName": "org.postgresql.Driver",
        "spark.hadoop.javax.jdo.option.ConnectionUserName": ms.user,
        "spark.hadoop.javax.jdo.option.ConnectionPassword": ms.password,
        # DataNucleus creates the metastore tables in an empty database (Hive's schematool and its
        # SQL scripts are not in the pip wheel), lazily, as each kind of object is first stored.
        # Not its foreign keys: adding one to an existing table inside Hive's open transaction
        # (ALTER TABLE "TBL_PRIVS" ... REFERENCES "TBLS" while the new table's row holds "TBLS")
        # waits on that very transaction on PostgreSQL, and the first CREATE TABLE hangs forever.
        "spark.hadoop.datanucleus.schema.autoCreateAll": "false",
        "spark.hadoop.datanucleus.schema.autoCreateSchema": "true",
        "spark.hadoop.datanucleus.schema.autoCreateTables": "true",
        "spark.hadoop.datanucleus.schema.autoCreateColumns": "true",
        "spark.hadoop.datanucleus.schema.autoCreateConstraints": "false",
        "spark.hadoop.hive.metastore.schema.verification": "false",
        # Locally PySpark launches the JVM, so the driver class path still applies; under
        # spark-submit pass --driver-class-path (README, "On a cluster").
        "spark.driver.extraClassPath": jdbc_jar(),
    }, [])


def check_reachable(settings: Settings, timeout: float = 3.0) -> None:
    """Fail in one line, before a JVM starts, when a shared metastore database does not answer
    (Hive would otherwise retry for a minute and end in a long trace)."""
    ms = parse(settings)
    if ms.kind != "postgresql":
        return
    if not Path(jdbc_jar()).is_file():
        raise EnvironmentProblem(
            f"the metastore {ms} needs the PostgreSQL JDBC driver {jdbc_jar()}: "
            "apt-get install libpostgresql-jdbc-java (make metastore-install), or set TAGLAKE_POSTGRES_JDBC_JAR")
    try:
        with socket.create_connection((ms.host, ms.port), timeout=timeout):
            pass
    except OSError as exc:
        hint = (f"start it with `taglake metastore start --conf {settings.name}` (make metastore)"
                if ms.host in {"127.0.0.1", "localhost", "::1"} else "check that the metastore database is up")
        raise EnvironmentProblem(f"the metastore {ms} is not reachable ({exc.strerror or exc}); {hint}") from None


def explain(settings: Settings, exc: BaseException) -> EnvironmentProblem | None:
    """A readable problem for the usual metastore failures of a starting session, else None."""
    text = str(exc)
    ms = parse(settings)
    if "Another instance of Derby" in text or "XSDB6" in text:
        return EnvironmentProblem(
            f"the metastore {ms} is in use by another Spark application; the embedded Derby metastore allows "
            "one at a time (a shared PostgreSQL metastore does not: see `taglake metastore --help`)")
    if ms.kind == "postgresql" and ("password authentication failed" in text or "PSQLException" in text
                                    or "Connection refused" in text):
        first = next((line for line in text.splitlines() if "PSQLException" in line or "refused" in line), text.splitlines()[0])
        return EnvironmentProblem(f"the metastore {ms} refused the connection: {first.strip()[:300]}")
    return None


def reachable_port(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
