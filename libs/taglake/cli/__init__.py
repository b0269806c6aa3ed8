"""Command-line interface: `taglake <command> --help` explains each command."""

from taglake.cli.app import cli, main, run

__all__ = ["cli", "main", "run"]
