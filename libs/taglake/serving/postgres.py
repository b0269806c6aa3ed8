"""A local PostgreSQL server for the shared Hive metastore, under the git-ignored warehouse folder.

`taglake metastore start --conf serve` initialises the server once (initdb into warehouse/pg/data),
starts it on the loopback port of the conf's `metastore:` URL, and creates the metastore database;
`taglake metastore stop` stops it. Debian's `postgresql` package provides the binaries
(/usr/lib/postgresql/<version>/bin, not on PATH).

PostgreSQL refuses to run as root. Run by root (CI, containers), every server command runs as the
`postgres` system user that the Debian package creates (`runuser -u postgres`), and the folder is
handed to that user; run by anyone else, the commands run as that user.

The server listens on TCP only (no Unix socket: its default folder /var/run/postgresql belongs to
the system's own cluster) and asks for the password of the URL (scram-sha-256).
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from taglake.errors import ConfigError, EnvironmentProblem
from taglake.runtime.metastore import Metastore, parse, reachable_port
from taglake.settings import Settings

log = logging.getLogger(__name__)

SERVICE_USER = "postgres"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
INSTALL_HINT = "apt-get install postgresql libpostgresql-jdbc-java (make metastore-install)"


def bin_dir() -> Path:
    """The newest installed PostgreSQL's binaries (Debian keeps them off PATH)."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if not versions:
        raise EnvironmentProblem(f"PostgreSQL is not installed (no pg_ctl on PATH or under /usr/lib/postgresql); {INSTALL_HINT}")
    return versions[-1].parent


@dataclass(frozen=True)
class LocalPostgres:
    root: Path
    metastore: Metastore

    @classmethod
    def for_settings(cls, settings: Settings, root: str | os.PathLike[str] | None = None) -> LocalPostgres:
        ms = parse(settings)
        if ms.kind != "postgresql":
            raise ConfigError(f"conf {settings.name!r} does not use a PostgreSQL metastore (metastore: {settings.metastore}); "
                              "use --conf serve, or a conf whose metastore is postgresql://user:password@127.0.0.1:PORT/db")
        if ms.host not in LOOPBACK:
            raise ConfigError(f"the metastore {ms} is on {ms.host}: taglake runs a local server on the loopback address only; "
                              "start that one where it lives")
        if root is None:
            warehouse = settings.path(settings.warehouse)
            if "://" in warehouse:
                raise ConfigError(f"conf {settings.name!r} keeps its warehouse at {warehouse}; pass --dir for the local server's files")
            root = Path(warehouse) / "pg"
        return cls(Path(root).resolve(), ms)

    # --- where things are ------------------------------------------------------------------------

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        return self.root / "postgres.log"

    @property
    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").is_file()

    # --- running commands as the right user ------------------------------------------------------

    @staticmethod
    def _as_root() -> bool:
        return os.geteuid() == 0

    def _run(self, args: list[str], env: dict[str, str] | None = None, check: bool = True,
             timeout: float = 120) -> subprocess.CompletedProcess:
        command = [str(bin_dir() / args[0]), *args[1:]]
        if self._as_root():
            # runuser keeps only the variables named in --whitelist-environment; PGPASSWORD must pass.
            names = ",".join(sorted(env or {}))
            command = ["runuser", "-u", SERVICE_USER, *([f"--whitelist-environment={names}"] if names else []), "--", *command]
        proc = subprocess.run(command, cwd=self.root, env={**os.environ, **(env or {})}, capture_output=True,
                              text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            detail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
            raise EnvironmentProblem(f"{args[0]} failed for the metastore server in {self.root}: "
                                     f"{detail[-1] if detail else f'exit code {proc.returncode}'}")
        return proc

    def _hand_over(self, path: Path) -> None:
        """Root runs the server as `postgres`: that user must own the folder and reach it."""
        if not self._as_root():
            return
        try:
            account = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            raise EnvironmentProblem(f"running as root needs the `{SERVICE_USER}` system user to run PostgreSQL "
                                     f"(PostgreSQL refuses root); {INSTALL_HINT}") from None
        for folder in (path, *[p for p in path.rglob("*")]):
            os.chown(folder, account.pw_uid, account.pw_gid)
        blocked = [str(p) for p in reversed(path.parents) if not os.stat(p).st_mode & 0o001]
        if blocked:
            raise EnvironmentProblem(f"the `{SERVICE_USER}` user cannot reach {path}: {blocked[0]} is closed to other users "
                                     "(chmod o+x it, or pass --dir with a folder elsewhere)")

    # --- lifecycle -------------------------------------------------------------------------------

    def init(self) -> bool:
        """initdb once; returns whether it ran."""
        if self.initialised:
            return False
        self.root.mkdir(parents=True, exist_ok=True)
        self._hand_over(self.root)
        secret = self.root / ".initdb-password"
        secret.write_text(self.metastore.password + "\n")
        os.chmod(secret, 0o600)
        self._hand_over(self.root)
        try:
            log.info("Initialising a PostgreSQL server for the metastore in %s", self.data)
            self._run(["initdb", "-D", str(self.data), "-U", self.metastore.user, f"--pwfile={secret}",
                       "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale"], timeout=300)
        finally:
            secret.unlink(missing_ok=True)
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# taglake: loopback TCP only; the port comes from the metastore URL at start\n"
                       "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n")
        return True

    def running(self) -> bool:
        if not self.initialised:
            return False
        return self._run(["pg_ctl", "-D", str(self.data), "status"], check=False).returncode == 0

    def start(self) -> None:
        """Initialise if needed, start on the URL's port, create the metastore database."""
        if not self.metastore.password:
            raise ConfigError(f"the metastore {self.metastore} has no password: put it in the URL "
                              "(postgresql://user:password@...) or in $TAGLAKE_METASTORE_PASSWORD")
        self.init()
        if not self.running():
            if reachable_port(self.metastore.host, self.metastore.port):
                raise EnvironmentProblem(f"port {self.metastore.port} on {self.metastore.host} is in use by another program; "
                                         "put a free port in the conf's metastore URL")
            self._hand_over(self.root)
            log.info("Starting PostgreSQL on %s:%d (log: %s)", self.metastore.host, self.metastore.port, self.logfile)
            proc = self._run(["pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60",
                              "-o", f"-p {self.metastore.port}", "start"], check=False)
            if proc.returncode != 0:
                tail = self.logfile.read_text(errors="replace").strip().splitlines()[-1:] if self.logfile.exists() else []
                raise EnvironmentProblem(f"PostgreSQL did not start in {self.data}: {(tail or [proc.stderr.strip()])[0]}")
        self._ensure_database()

    def stop(self) -> bool:
        """Stop the server; returns whether it was running."""
        if not self.running():
            return False
        self._run(["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop"])
        return True

    def _psql(self, sql: str, database: str = "postgres") -> str:
        ms = self.metastore
        proc = self._run(["psql", "-h", ms.host, "-p", str(ms.port), "-U", ms.user, "-d", database, "-X", "-A", "-t",
                          "-v", "ON_ERROR_STOP=1", "-c", sql], env={"PGPASSWORD": ms.password, "PGCONNECT_TIMEOUT": "10"})
        return proc.stdout.strip()

    def _ensure_database(self) -> None:
        name = self.metastore.database
        for attempt in range(20):   # pg_ctl -w returns once the server accepts connections; be lenient anyway
            try:
                exists = self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
                break
            except EnvironmentProblem:
                if attempt == 19:
                    raise
                time.sleep(0.5)
        if exists != "1":
            log.info("Creating the metastore database %r", name)
            self._psql(f'CREATE DATABASE "{name}" ENCODING \'UTF8\'')

    def query(self, sql: str) -> str:
        """Run SQL against the metastore database (inspection, tests)."""
        return self._psql(sql, self.metastore.database)

    def catalog_has(self, database: str) -> bool:
        """Whether the metastore (tables as DataNucleus names them) holds `database`; no JVM needed."""
        if self.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'DBS'") != "1":
            return False
        return self.query(f"SELECT count(*) FROM \"DBS\" WHERE \"NAME\" = '{database.replace(chr(39), '')}'") != "0"
