"""A Spark standalone cluster of separate processes on this machine, and the nightly submitted to it
the way a cluster runs it (`make cluster-demo`, tests/cluster).

* master and workers are `spark-class` processes from the pip wheel (no Spark download);
* the executors' Python is a packed virtualenv shipped with `--archives` (Spark's documented way
  for Python dependencies): the project's runtime dependencies except the driver-only ones
  (pyspark itself comes from Spark's own python/lib on every executor; delta-spark's Python and
  mlflow are driver APIs), packed by venv-pack and cached by the dependency list;
* the taglake package goes with `--py-files` (dist/taglake.zip), the Delta jars and taglake's
  reader with `--jars` (no network at submit);
* `spark-submit` runs from a folder outside the repository, with a cluster-style conf whose
  warehouse is a path every process shares.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from taglake.errors import EnvironmentProblem
from taglake.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

#: Runtime dependencies the executors do not need (see the module docstring).
DRIVER_ONLY = {"pyspark", "delta-spark", "mlflow"}
ENV_ALIAS = "environment"     # --archives <tar.gz>#environment: executors unpack it under this name


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def executor_requirements() -> list[str]:
    """pyproject's runtime dependencies minus the driver-only ones."""
    deps = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return [d for d in deps if re.split(r"[<>=!~ \[]", d, maxsplit=1)[0] not in DRIVER_ONLY]


def pack_executor_env(cache: Path) -> Path:
    """A virtualenv with the executors' dependencies, packed for --archives; built once per list."""
    requirements = executor_requirements()
    key = hashlib.sha256(f"{sys.version_info[:2]} {requirements}".encode()).hexdigest()[:12]
    cache = cache.resolve()
    archive = cache / f"executor-env-{key}.tar.gz"
    if archive.exists():
        return archive
    cache.mkdir(parents=True, exist_ok=True)
    venv = cache / f"executor-env-{key}"
    shutil.rmtree(venv, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "venv-pack==0.2.0", *requirements], check=True)
    partial = cache / f"executor-env-{key}.partial.tar.gz"      # venv-pack infers the format from the suffix
    subprocess.run([str(venv / "bin" / "venv-pack"), "-p", str(venv), "-o", str(partial), "--force", "-q"], check=True)
    partial.rename(archive)
    shutil.rmtree(venv, ignore_errors=True)
    log.info("executor environment packed: %s (%.0f MB, %.0fs)", archive.name, archive.stat().st_size / 2**20,
             time.perf_counter() - started)
    return archive


def package_zip(dest: Path) -> Path:
    """libs/taglake as a zip for --py-files (what `make dist` builds)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((PROJECT_ROOT / "libs" / "taglake").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, path.relative_to(PROJECT_ROOT / "libs"))
    return dest


def submit_jars(settings: Settings) -> list[str]:
    """The Delta jars from the project's cache and taglake's reader jar: shipped with --jars."""
    from taglake.runtime.jars import resolve_jars
    from taglake.runtime.jvm import wide_jar

    cache = Path(settings.path(settings.jars.ivy_cache or ".cache/ivy"))
    return [*resolve_jars(settings.jars.packages, cache), str(wide_jar(cache.parent / "jvm"))]


@dataclass
class StandaloneCluster:
    """Master and workers as separate `spark-class` processes on 127.0.0.1."""

    root: Path
    workers: int = 2
    cores: int = 1
    memory: str = "3g"
    port: int = 7077
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOG_DIR": str(self.root / "logs"),
                "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_NO_DAEMONIZE": "1"}

    def _spawn(self, name: str, args: list[str], ready: str, timeout: float = 180) -> None:
        log_file = self.root / "logs" / f"{name}.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("w") as out:
            process = subprocess.Popen([str(spark_home() / "bin" / "spark-class"), *args], stdout=out,
                                       stderr=subprocess.STDOUT, env=self._env(), start_new_session=True)
        self.processes[name] = process
        deadline = time.monotonic() + timeout
        while ready not in log_file.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise EnvironmentProblem(f"Spark {name} did not start (see {log_file}):\n"
                                         + log_file.read_text(errors="replace")[-2000:])
            time.sleep(0.5)

    def start(self) -> StandaloneCluster:
        self._spawn("master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(self.port),
                               "--webui-port", "0"], "I have been elected leader")
        for i in range(1, self.workers + 1):
            self._spawn(f"worker-{i}", ["org.apache.spark.deploy.worker.Worker", self.url, "--host", "127.0.0.1",
                                        "--cores", str(self.cores), "--memory", self.memory, "--webui-port", "0",
                                        "--work-dir", str(self.root / f"work-{i}")], "Successfully registered with master")
        log.info("standalone cluster %s: master + %d workers (%d core, %s each)", self.url, self.workers, self.cores, self.memory)
        return self

    def kill(self, name: str) -> None:
        """SIGKILL one process (a lost worker: its executors die with it)."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def __enter__(self) -> StandaloneCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def submit_command(cluster: StandaloneCluster, job: str, args: list[str], env_archive: Path, package: Path,
                   jars: list[str], executor_memory: str = "2g") -> list[str]:
    """spark-submit of jobs/<job>.py to the cluster with the packed environment, package and jars."""
    return [str(spark_home() / "bin" / "spark-submit"), "--master", cluster.url, "--deploy-mode", "client",
            "--archives", f"{env_archive}#{ENV_ALIAS}",
            "--conf", f"spark.executorEnv.PYSPARK_PYTHON=./{ENV_ALIAS}/bin/python",
            "--conf", f"spark.pyspark.driver.python={sys.executable}",
            "--py-files", str(package), "--jars", ",".join(jars),
            "--executor-memory", executor_memory, "--executor-cores", "1", "--driver-memory", "3g",
            str(PROJECT_ROOT / "jobs" / f"{job}.py"), *args]


def cluster_conf(work: Path, tagdefs: Path) -> Path:
    """conf/cluster.yaml with what differs on this machine: a shared local warehouse and metastore,
    the given tag library, no tracking server, and no jar resolution (spark-submit --jars ships them)."""
    import yaml

    conf = work / "conf" / "cluster-demo.yaml"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(yaml.safe_dump({
        "extends": str(PROJECT_ROOT / "conf" / "cluster.yaml"),
        "name": "cluster-demo",
        "warehouse": str(work / "warehouse"),
        "metastore": str(work / "metastore_db"),
        "checkpoint_dir": str(work / "checkpoints"),
        "tagdefs": str(tagdefs),
        "spark": {"conf": {"spark.sql.shuffle.partitions": 4}},
        "jars": {"packages": [], "ivy_cache": None},
        "models": {"tracking_uri": None},
    }, allow_unicode=True), encoding="utf-8")
    return conf


def run_demo(work: Path, date: str, scale: str = "tiny", seed: int = 7, tagdefs: Path | None = None,
             kill_worker_after: float | None = None) -> dict[str, float]:
    """Demo sources and the nightly for `date`, each a spark-submit to a fresh standalone cluster
    from `work` (outside the repository). Returns the wall seconds of each submission."""
    from taglake.settings import load_settings

    work.mkdir(parents=True, exist_ok=True)
    library = tagdefs or PROJECT_ROOT / "tagdefs"
    conf = cluster_conf(work, library)
    local = load_settings("local")
    env_archive, package = pack_executor_env(Path(local.path(".cache/cluster"))), package_zip(work / "dist" / "taglake.zip")
    jars = submit_jars(local)
    seconds: dict[str, float] = {}
    with StandaloneCluster(work / "cluster") as cluster:
        for job, args in (("demo_data", ["--scale", scale, "--seed", str(seed), "--end-date", date]),
                          ("nightly", ["--date", date])):
            command = submit_command(cluster, job, [*args, "--conf", str(conf)], env_archive, package, jars)
            started = time.perf_counter()
            log.info("spark-submit jobs/%s.py %s (from %s)", job, " ".join(args), work)
            with (work / f"{job}.log").open("w") as out:
                process = subprocess.Popen(command, cwd=work, stdout=out, stderr=subprocess.STDOUT,
                                           env={**os.environ, "SPARK_HOME": str(spark_home())})
                if job == "nightly" and kill_worker_after is not None:
                    time.sleep(kill_worker_after)
                    if process.poll() is None:
                        log.info("killing worker-2 (SIGKILL) %.0fs into the nightly", kill_worker_after)
                        cluster.kill("worker-2")
                code = process.wait()
            seconds[job] = time.perf_counter() - started
            if code != 0:
                raise EnvironmentProblem(f"spark-submit jobs/{job}.py exited with {code}; its log: {work / f'{job}.log'}\n"
                                         + (work / f"{job}.log").read_text(errors="replace")[-3000:])
            log.info("jobs/%s.py done in %.0fs", job, seconds[job])
    return seconds


def main(argv: list[str] | None = None) -> int:
    """`make cluster-demo`: the tiny demo's nightly on a standalone cluster of separate processes."""
    import argparse
    import tempfile

    from taglake.progress import configure_logging

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "taglake-cluster-demo",
                        help="where the shared warehouse, logs and the submissions' working folder go")
    parser.add_argument("--date", default="2026-11-22")
    parser.add_argument("--scale", default="tiny", choices=["tiny", "small"])
    parser.add_argument("--kill-worker-after", type=float, default=None, metavar="S",
                        help="SIGKILL worker 2 this many seconds into the nightly (Spark must finish the run)")
    args = parser.parse_args(argv)
    configure_logging()
    if args.work.exists():
        shutil.rmtree(args.work)
    seconds = run_demo(args.work, args.date, args.scale, kill_worker_after=args.kill_worker_after)
    print(f"cluster run done: demo data {seconds['demo_data']:.0f}s, nightly {seconds['nightly']:.0f}s; "
          f"warehouse {args.work / 'warehouse'}, logs {args.work}/*.log")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
