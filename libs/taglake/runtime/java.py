"""Find a Java that Spark 4 can run on, and say so in one sentence when there is none."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from taglake.errors import EnvironmentProblem

#: Spark 4.x runs on Java 17 and 21 (and newer LTS releases as they are certified).
MIN_JAVA = 17
INSTALL_HINT = "install OpenJDK 17 or 21 (e.g. `apt-get install openjdk-17-jre-headless`) or point JAVA_HOME at one"


def find_java() -> Path | None:
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return candidate if candidate.is_file() else None
    found = shutil.which("java")
    return Path(found) if found else None


def java_major_version(java: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError:
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    # Java 8 and older report themselves as 1.x.
    return int(match.group(2)) if major == 1 and match.group(2) else major


def check_java() -> int:
    """Return the Java major version, or raise EnvironmentProblem with one readable sentence."""
    java = find_java()
    if java is None:
        where = f"JAVA_HOME={os.environ['JAVA_HOME']} has no bin/java" if os.environ.get("JAVA_HOME") else "no `java` on PATH and JAVA_HOME is not set"
        raise EnvironmentProblem(f"Spark needs Java {MIN_JAVA} or newer, but {where}; {INSTALL_HINT}.")
    major = java_major_version(java)
    if major is None:
        raise EnvironmentProblem(f"Spark needs Java {MIN_JAVA} or newer, but {java} did not report a version; {INSTALL_HINT}.")
    if major < MIN_JAVA:
        raise EnvironmentProblem(f"Spark needs Java {MIN_JAVA} or newer, but {java} is Java {major}; {INSTALL_HINT}.")
    return major
