"""Click options shared by several commands, declared once."""

from __future__ import annotations

import datetime as dt

import click

from taglake.cli.app import DATE

#: The demo data's last day: the default snapshot date of every command that computes one.
DEFAULT_DATE = dt.date(2026, 11, 22)

tagdefs_option = click.option("--tagdefs", metavar="DIR", help="Tag definitions folder (default: `tagdefs` from the conf).")


def date_option(help: str | None = None, *, required: bool = False, default: bool = True, name: str = "--date"):
    """`--date YYYY-MM-DD` as a `datetime.date`: required, optional without a default, or
    defaulting to the demo's last day."""
    if required:
        extra: dict = {"required": True}
    elif default:
        extra = {"default": str(DEFAULT_DATE), "show_default": True}
    else:
        extra = {}
    param = "date" if name == "--date" else name.lstrip("-").replace("-", "_")
    return click.option(name, param, type=DATE, help=help, **extra)
