"""JVM-side jars (Delta) from Maven Central, through Spark's own resolver, cached once.

Spark resolves `spark.jars.packages` with Ivy at every session start, which needs the network and
adds seconds. Instead `taglake setup` (and the first session on a fresh machine) runs the resolver
once in a throwaway JVM with `spark.jars.ivy` pointing at the project cache; later sessions load the
cached files with `spark.jars` and work offline.

Only jars from the requested packages' own groups are loaded (for Delta: io.delta_*). Their
transitive dependencies (Hadoop client, Parquet, Jackson, log4j) ship with Spark already, and older
copies next to Spark's would shadow them.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from taglake.errors import EnvironmentProblem

log = logging.getLogger(__name__)

MANIFEST = "taglake-jars.json"
ATTEMPTS = 3

_RESOLVER = """
import sys
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[1]").appName("taglake-resolve-jars")
         .config("spark.jars.packages", sys.argv[1]).config("spark.jars.ivy", sys.argv[2])
         .config("spark.ui.enabled", "false").getOrCreate())
spark.stop()
"""


def _groups(packages: list[str]) -> set[str]:
    return {coordinate.split(":")[0] for coordinate in packages}


def _read_manifest(cache: Path, packages: list[str]) -> list[str] | None:
    manifest = cache / MANIFEST
    if not manifest.is_file():
        return None
    try:
        data = json.loads(manifest.read_text())
    except ValueError:
        return None
    jars = data.get("jars", [])
    if data.get("packages") != packages or not jars or not all(Path(j).is_file() for j in jars):
        return None
    return jars


def cached_jars(packages: list[str], ivy_cache: str | os.PathLike[str]) -> list[str] | None:
    """The cached jar files for `packages`, or None when they are not all in the cache (no network)."""
    return _read_manifest(Path(ivy_cache), packages)


def resolve_jars(packages: list[str], ivy_cache: str | os.PathLike[str]) -> list[str]:
    """Local jar files for `packages`, resolving them from Maven Central the first time."""
    if not packages:
        return []
    cache = Path(ivy_cache)
    cached = _read_manifest(cache, packages)
    if cached:
        return cached

    cache.mkdir(parents=True, exist_ok=True)
    coordinates = ",".join(packages)
    log.info("Resolving %s from Maven Central into %s (once; later runs use the cache)", coordinates, cache)
    last_error = ""
    for attempt in range(1, ATTEMPTS + 1):
        proc = subprocess.run(
            [sys.executable, "-c", _RESOLVER, coordinates, str(cache)],
            capture_output=True, text=True, check=False, timeout=900,
        )
        if proc.returncode == 0:
            break
        last_error = next(
            (line.strip() for line in reversed(proc.stderr.splitlines()) if "unresolved" in line.lower() or "Exception" in line),
            proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit code {proc.returncode}",
        )
        log.warning("Jar resolution attempt %d/%d failed: %s", attempt, ATTEMPTS, last_error)
        time.sleep(2 * attempt)
    else:
        raise EnvironmentProblem(
            f"could not fetch {coordinates} from Maven Central into {cache} after {ATTEMPTS} attempts "
            f"({last_error}); check network access to repo1.maven.org, or run `make setup` where it is reachable"
        )

    prefixes = tuple(f"{group}_" for group in _groups(packages))
    jars = sorted(str(p) for p in (cache / "jars").glob("*.jar") if p.name.startswith(prefixes))
    if not jars:
        raise EnvironmentProblem(f"Spark resolved {coordinates} but no jar landed in {cache / 'jars'}")
    (cache / MANIFEST).write_text(json.dumps({"packages": packages, "jars": jars}, indent=2))
    return jars
