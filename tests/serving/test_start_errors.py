"""`taglake serve-sql` refuses to start in one readable line, before any JVM, when its port is taken,
its metastore is down or its jars are not cached (it never downloads at start)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import yaml

from taglake.settings import PROJECT_ROOT, load_settings
from tests.serving.conftest import TAGLAKE, child_env, free_port


def conf(tmp_path: Path, **overrides) -> Path:
    local = load_settings("local")
    data = {"extends": str(PROJECT_ROOT / "conf" / "local.yaml"), "name": "broken",
            "warehouse": str(tmp_path / "warehouse"), "metastore": str(tmp_path / "metastore_db"),
            "checkpoint_dir": str(tmp_path / "checkpoints"), "jars": {"ivy_cache": local.path(local.jars.ivy_cache)},
            **overrides}
    path = tmp_path / "conf" / "broken.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


def serve(path: Path, *args: str) -> tuple[int, str]:
    proc = subprocess.run([TAGLAKE, "serve-sql", "--conf", str(path), *args], capture_output=True, text=True, timeout=120,
                          env=child_env(), stdin=subprocess.DEVNULL)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    return proc.returncode, errors[0]


def test_port_in_use(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, line = serve(conf(tmp_path), "--port", str(port))
    assert code == 1 and f"cannot listen on 127.0.0.1:{port}" in line and "--port" in line


def test_metastore_down(tmp_path):
    down = f"postgresql://taglake:x@127.0.0.1:{free_port()}/metastore"
    code, line = serve(conf(tmp_path, metastore=down), "--port", str(free_port()))
    assert code == 1 and "is not reachable" in line and "taglake metastore start --conf broken" in line


def test_jars_not_cached(tmp_path):
    code, line = serve(conf(tmp_path, jars={"ivy_cache": str(tmp_path / "empty-cache")}), "--port", str(free_port()))
    assert code == 1 and "are not in the cache" in line and "make setup" in line
