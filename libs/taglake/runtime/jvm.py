"""taglake's own JVM code, compiled once: the reader behind the wide serving tables (jvm/).

`tags_<subject>` and `tags_<subject>_latest` are catalog tables `USING taglake_wide`, a Spark data
source written in Java (jvm/src/io/taglake/wide, see docs/storage.md). It is compiled with the
JDK's javac against the jars of the installed pyspark into <cache>/taglake-wide-<hash>.jar, named
after a hash of its sources and of the Spark version, so a change of either builds a new jar and
sessions never load a stale one. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from taglake.errors import EnvironmentProblem
from taglake.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

SOURCES = PROJECT_ROOT / "jvm"
JAR_PREFIX = "taglake-wide-"
DATA_SOURCE = "taglake_wide"   # the short name registered in jvm/resources/META-INF/services


def _spark_jars() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "jars"


def _files() -> list[Path]:
    return sorted(p for p in SOURCES.rglob("*") if p.is_file())


def _fingerprint() -> str:
    import pyspark

    digest = hashlib.sha256(pyspark.__version__.encode())
    for path in _files():
        digest.update(str(path.relative_to(SOURCES)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _javac() -> str:
    home = os.environ.get("JAVA_HOME")
    candidate = Path(home) / "bin" / "javac" if home else None
    found = str(candidate) if candidate and candidate.is_file() else shutil.which("javac")
    if not found:
        raise EnvironmentProblem(
            "taglake compiles its JVM reader (jvm/) with javac, and no JDK was found: install one "
            "(e.g. `apt-get install openjdk-17-jdk-headless`) or point JAVA_HOME at it")
    return found


def wide_jar(cache: str | os.PathLike[str]) -> Path:
    """The compiled reader in `cache`, building it first when the sources or Spark changed."""
    cache = Path(cache)
    jar = cache / f"{JAR_PREFIX}{_fingerprint()}.jar"
    if jar.is_file():
        return jar
    cache.mkdir(parents=True, exist_ok=True)
    sources = [str(p) for p in SOURCES.rglob("*.java")]
    log.info("Compiling taglake's JVM reader (%d Java files) into %s", len(sources), jar)
    with tempfile.TemporaryDirectory(dir=cache) as work:
        classes = Path(work) / "classes"
        proc = subprocess.run([_javac(), "-nowarn", "-encoding", "UTF-8", "-d", str(classes),
                               "-cp", str(_spark_jars() / "*"), *sources],
                              capture_output=True, text=True, check=False, timeout=600)
        if proc.returncode != 0:
            raise EnvironmentProblem(f"javac could not compile {SOURCES}:\n{proc.stderr.strip()[-2000:]}")
        shutil.copytree(SOURCES / "resources", classes, dirs_exist_ok=True)
        staged = Path(work) / jar.name
        shutil.make_archive(str(staged.with_suffix("")), "zip", classes)
        staged.with_suffix(".zip").rename(staged)
        os.replace(staged, jar)   # atomic: a concurrent build or reader sees no half-written jar
    # Older jars stay: a running session loads classes from its jar lazily.
    return jar
