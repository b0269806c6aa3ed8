"""Serving commands: the shared metastore (`taglake metastore ...`), the SQL endpoint
(`taglake serve-sql`) and its BI databases and users (`taglake bi ...`)."""

from __future__ import annotations

from pathlib import Path

import click

from taglake.cli.app import AppContext, cli, common_options, pass_app


@cli.group()
@common_options
def metastore() -> None:
    """The shared Hive metastore: a local PostgreSQL server, and moving a catalog into it.

    \b
    taglake metastore start --conf serve          initialise (once) and start it on loopback
    taglake metastore migrate --from local --conf serve
                                                  register the Derby catalog's tables and views in it
    taglake metastore stop --conf serve
    """


dir_option = click.option("--dir", "root", metavar="DIR", help="Folder of the server's files (default: <warehouse>/pg).")


@metastore.command("start")
@dir_option
@common_options
@pass_app
def metastore_start(app: AppContext, root: str | None) -> None:
    """Start the local PostgreSQL metastore of the conf's `metastore:` URL (initialise it first if new)."""
    from taglake.serving.postgres import LocalPostgres

    server = LocalPostgres.for_settings(app.settings, root)
    server.start()
    click.echo(f"metastore ready: {server.metastore} (files in {server.root})")


@metastore.command("stop")
@dir_option
@common_options
@pass_app
def metastore_stop(app: AppContext, root: str | None) -> None:
    """Stop the local PostgreSQL metastore."""
    from taglake.serving.postgres import LocalPostgres

    server = LocalPostgres.for_settings(app.settings, root)
    click.echo("metastore stopped" if server.stop() else f"metastore was not running ({server.root})")


@metastore.command("status")
@dir_option
@common_options
@pass_app
def metastore_status(app: AppContext, root: str | None) -> None:
    """Say whether the local PostgreSQL metastore is initialised and running (exit 3 when not running)."""
    from taglake.serving.postgres import LocalPostgres

    server = LocalPostgres.for_settings(app.settings, root)
    state = "running" if server.running() else ("stopped" if server.initialised else "not initialised")
    click.echo(f"{server.metastore}: {state} ({server.root})")
    if state != "running":
        raise click.exceptions.Exit(3)


@metastore.command("migrate")
@click.option("--from", "source", default="local", show_default=True, metavar="ENV|PATH",
              help="Conf whose catalog to copy (its metastore must be free: stop what uses it), "
                   "or a catalog exported as .json.")
@click.option("--if-new", is_flag=True, help="Do nothing when this conf's metastore already has its database.")
@common_options
@pass_app
def metastore_migrate(app: AppContext, source: str, if_new: bool) -> None:
    """Register in this conf's metastore every database, Delta table (by location), serving table
    (tags_*, by its manifest folder) and view of the catalog of --from: one command instead of a
    rebuild; data files are not touched."""
    from taglake.runtime.metastore import parse
    from taglake.serving.migrate import migrate
    from taglake.serving.postgres import LOOPBACK, LocalPostgres
    from taglake.settings import load_settings

    settings = app.settings
    if if_new:
        if not source.endswith(".json"):
            origin = parse(load_settings(source))
            if origin.kind == "derby" and not Path(origin.location).exists():
                click.echo(f"nothing to bring over: conf {source!r} has no catalog yet ({origin.location})")
                return
        target = parse(settings)
        if target.kind == "postgresql" and target.host in LOOPBACK:
            present = LocalPostgres.for_settings(settings).catalog_has(settings.database)
        else:
            present = app.spark.catalog.databaseExists(settings.database)
        if present:
            click.echo(f"the metastore {target} already has the database {settings.database!r}; nothing to do")
            return
    report = migrate(app.spark, settings, source)
    click.echo(f"{report.registered} table(s) registered, {report.already} already there, {report.views} view(s) "
               f"created, {report.databases} database(s) created")
    if report.skipped:
        click.echo(f"skipped (neither Delta nor a serving table): {', '.join(report.skipped)}")


@cli.command("serve-sql")
@click.option("--host", metavar="ADDRESS", help="Address to listen on (default: serve.host, 127.0.0.1).")
@click.option("--port", type=int, metavar="PORT", help="Port (default: serve.port, 10000).")
@click.option("--no-publish", is_flag=True, help="Serve the BI databases as they are, without publishing them first.")
@common_options
@pass_app
def serve_sql(app: AppContext, host: str | None, port: int | None, no_publish: bool) -> None:
    """Serve the catalog over JDBC/ODBC (Spark's HiveServer2) until Ctrl-C or SIGTERM.

    Publishes the BI databases first (`taglake bi publish`). Connect with
    `.venv/bin/beeline -u 'jdbc:hive2://127.0.0.1:10000/bi;auth=noSasl'`, DBeaver or Superset (README, "BI").
    """
    from taglake.serving.endpoint import serve

    serve(app.settings, host, port, publish=not no_publish)


@cli.group()
@common_options
def bi() -> None:
    """The BI databases the SQL endpoint serves, and its users."""


@bi.command("publish")
@common_options
@pass_app
def bi_publish(app: AppContext) -> None:
    """(Re)create the BI databases: one with every tag, one per business line with the tags it may see."""
    from taglake.serving.publish import publish
    from taglake.tagdefs import load_library

    settings = app.settings
    library = load_library(settings.path(settings.tagdefs), database=settings.database)
    for result in publish(app.spark, settings, library):
        who = result.line or "every tag"
        shown = ", ".join(f"{name} ({width:,})" for name, width in result.objects.items())
        click.echo(f"  {result.database:<16} {who}: {shown}")


@bi.command("passwd")
@click.argument("user")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
@common_options
@pass_app
def bi_passwd(app: AppContext, user: str, password_stdin: bool) -> None:
    """Add USER to the endpoint's password file (serve.auth.password_file), or change their password."""
    import sys

    from taglake.serving.auth import password_file, set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt(f"password for {user}", hide_input=True, confirmation_prompt=True)
    file = password_file(app.settings)
    new = set_password(file, user, password)
    click.echo(f"{'added' if new else 'changed the password of'} {user} in {file}")
