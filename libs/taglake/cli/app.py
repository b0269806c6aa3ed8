"""The `taglake` command group, its shared options and its single error handler."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import sys
from collections.abc import Callable
from functools import cached_property
from typing import Any

import click

from taglake.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, TaglakeError, Terminated
from taglake.progress import configure_logging
from taglake.settings import Settings, load_settings

log = logging.getLogger(__name__)


class AppContext:
    """What every command needs, built lazily: no JVM starts for `--help` or `validate`."""

    def __init__(self) -> None:
        self.conf: str | None = None
        self.debug = False
        self.verbose = False

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.conf)

    @cached_property
    def spark(self):
        from taglake.runtime import build_session

        return build_session(self.settings)


_state = AppContext()


def _remember_conf(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None and value is not False:
        setattr(_state, param.name, value)
    return value


def common_options(func: Callable) -> Callable:
    """--conf/--debug/--verbose on the group *and* on every command, so both
    `taglake --conf cluster nightly` and `spark-submit jobs/nightly.py --conf conf/cluster.yaml` work."""
    func = click.option("--conf", "conf", metavar="ENV|PATH", expose_value=False, callback=_remember_conf,
                        help="Environment name (conf/<ENV>.yaml) or a YAML path. Default: $TAGLAKE_CONF or 'local'.")(func)
    func = click.option("--debug", is_flag=True, expose_value=False, callback=_remember_conf,
                        help="Show full tracebacks instead of one-line errors.")(func)
    func = click.option("--verbose", "-v", is_flag=True, expose_value=False, callback=_remember_conf,
                        help="Log debug detail.")(func)
    return func


def pass_app(func: Callable) -> Callable:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        configure_logging(_state.verbose)
        return func(_state, *args, **kwargs)

    return wrapper


class DateType(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-22", param, ctx)


DATE = DateType()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@common_options
@click.version_option(package_name="taglake")
def cli() -> None:
    """taglake: tags for every customer, store, product and staff member, nightly, on Spark + Delta.

    \b
    Typical use:
      taglake demo-data --scale small      write realistic demo source tables
      taglake nightly --date 2026-11-22    OneID, tags and segments for one snapshot date
      taglake validate                     check the tag definitions under tagdefs/

    Every command takes --conf ENV|PATH (default: local, the embedded Spark + Delta runtime).
    """


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0]
    return first if len(first) <= 400 else first[:400] + "…"


def register_commands() -> None:
    """Import every module of taglake.cli: each area (runtime, tagdefs, oneid, tags, segments)
    registers its own commands on `cli`, so adding an area never edits a shared file."""
    import importlib
    import pkgutil

    import taglake.cli as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in {"app"}:
            importlib.import_module(f"taglake.cli.{module.name}")


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the CLI; a bad input becomes one readable line and a non-zero exit."""
    global _state
    register_commands()
    _state = AppContext()    # one invocation's options never leak into the next (tests call main() repeatedly)

    try:
        cli.main(args=argv, prog_name="taglake", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except TaglakeError as exc:
        if _state.debug:
            raise
        click.secho(f"error: {exc}", fg="red", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except Terminated as exc:
        click.echo(f"{exc}: the run is recorded failed", err=True)
        return EXIT_TERMINATED
    except Exception as exc:  # a bug or an unexpected Spark failure: still one line by default
        if _state.debug:
            raise
        kind = type(exc).__name__
        click.secho(f"error: {kind}: {_one_line(exc)} (run with --debug for the full trace)", fg="red", err=True)
        return 1
    return 0


def run(argv: list[str] | None = None) -> None:
    sys.exit(main(argv))
