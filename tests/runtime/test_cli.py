"""The CLI: help everywhere, one readable line for bad input, --debug for the trace, thin jobs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from taglake.cli import cli, main, register_commands

register_commands()

ROOT = Path(__file__).parents[2]
TAGLAKE = Path(sys.executable).parent / "taglake"


def test_help_lists_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("demo-data", "nightly", "validate", "explain", "graph", "tags", "oneid", "setup", "demo"):
        assert command in out


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage:" in out and "--conf" in out


def test_unknown_conf_is_one_readable_line(capsys):
    assert main(["--conf", "nope", "validate", "--offline"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: configuration 'nope' not found") and "\n" not in err
    assert "local" in err    # says what exists


def test_bad_conf_yaml_names_file_and_line(tmp_path, capsys):
    conf = tmp_path / "conf" / "broken.yaml"
    conf.parent.mkdir()
    conf.write_text("name: x\nwarehouse: w\ncheckpoint_dir: c\nspark: [unclosed\n")
    assert main(["validate", "--offline", "--conf", str(conf)]) == 1
    err = capsys.readouterr().err
    assert "broken.yaml:" in err and "not valid YAML" in err


def test_unknown_conf_key_is_rejected(tmp_path, capsys):
    conf = tmp_path / "conf" / "typo.yaml"
    conf.parent.mkdir()
    conf.write_text("name: x\nwarehouse: w\ncheckpoint_dir: c\nretention: {dayly: 3}\n")
    assert main(["validate", "--offline", "--conf", str(conf)]) == 1
    assert "retention.dayly: unknown key 'dayly'" in capsys.readouterr().err


def test_bad_date_is_a_usage_error(capsys):
    assert main(["tags", "--date", "2026-13-40"]) == 2
    assert "is not a date; use YYYY-MM-DD" in capsys.readouterr().err


def test_debug_shows_the_trace():
    with pytest.raises(Exception) as err:
        main(["--debug", "--conf", "nope", "validate", "--offline"])
    assert "not found" in str(err.value)


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(TAGLAKE), *args], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)


def test_missing_java_is_one_sentence():
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(TAGLAKE.parent)          # the venv only: no java on it
    proc = _run(["sql", "SELECT 1"], env)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: Spark needs Java 17 or newer, but no `java` on PATH and JAVA_HOME is not set")


def test_wrong_java_version_is_one_sentence(tmp_path):
    home = tmp_path / "jdk11"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text('#!/bin/sh\necho \'openjdk version "11.0.21" 2023-10-17\' >&2\n')
    java.chmod(0o755)
    env = {**os.environ, "JAVA_HOME": str(home)}
    proc = _run(["sql", "SELECT 1"], env)
    assert proc.returncode == 1
    assert f"error: Spark needs Java 17 or newer, but {java} is Java 11" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("job", sorted(p.name for p in (ROOT / "jobs").glob("*.py") if not p.name.startswith("_")))
def test_jobs_are_thin_entry_points(job):
    proc = subprocess.run([sys.executable, str(ROOT / "jobs" / job), "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout


def test_explain_shows_the_time_zone_of_day_boundaries(capsys):
    assert main(["explain", "member.orders_30d"]) == 0
    out = capsys.readouterr().out
    assert "time zone" in out and "Asia/Shanghai" in out
