"""Command-line interface: `taglake <command> --help` explains each command."""

from taglake.cli.app import cli, main, register_commands, run

__all__ = ["cli", "main", "register_commands", "run"]
