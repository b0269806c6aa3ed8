"""OneID commands: resolve identities for one snapshot date."""

from __future__ import annotations

import datetime as dt

import click

from taglake.cli.app import AppContext, cli, common_options, pass_app
from taglake.cli.options import date_option


@cli.command()
@date_option("Snapshot date: source rows seen after this day are ignored; OneIDs carry over "
                   "from the latest earlier run.", required=True)
@click.option("--rebuild", is_flag=True,
              help="Rebuild the identity graph from the sources alone, applying today's blocklists and caps "
                   "to all history (use after changing tagdefs/identity.yaml). OneIDs are kept wherever "
                   "membership allows. Without it, the previous run's persons are carried as one more "
                   "source, so persons only grow or merge.")
@common_options
@pass_app
def oneid(app: AppContext, date: dt.date, rebuild: bool) -> None:
    """Resolve identities into stable OneIDs for one snapshot date (the nightly run's `oneid` stage).

    \b
    Reads the identity sources declared in tagdefs/identity.yaml, cleans and guards the
    identifiers, finds connected components and carries OneIDs over from the previous run.
    Writes (re-running a date replaces that date):
      oneid_mapping         id_type, id_value, oneid, first_seen, last_seen per snapshot_date
      oneid_mapping_latest  view: the newest snapshot
      oneid_changes         new / merged / split / retired OneIDs, old → new
      oneid_audit           invalid and blocklisted values, capped identifiers, oversize components
      oneid_runs            run statistics (counts, size distribution, rounds, unchanged share)
    """
    from taglake.identity.job import run_oneid

    stats = run_oneid(app.spark, app.settings, date, rebuild=rebuild)
    _print_stats(stats)


def _print_stats(stats: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"OneID {stats['snapshot_date']} ({stats['mode']}, previous: {stats['previous_snapshot'] or 'none'})",
                  title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    shown = [
        ("identifiers in", stats["identifiers_in"]), ("  dropped: invalid", stats["dropped_invalid"]),
        ("  dropped: blocklisted", stats["dropped_blocked"]), ("identifiers mapped", stats["identifiers_out"]),
        ("links", stats["links"]), ("capped identifiers", stats["capped_nodes"]),
        ("OneIDs (components)", stats["components"]), ("largest component", stats["largest_component"]),
        ("oversize components", stats["oversize_components"]),
        ("new / merged / split / retired", f"{stats['new_oneids']:,} / {stats['merged_oneids']:,} / "
                                           f"{stats['split_oneids']:,} / {stats['retired_oneids']:,}"),
        ("unchanged since previous run", "—" if stats["unchanged_share"] is None else f"{stats['unchanged_share']:.2%}"),
        ("component rounds", f"{stats['cc_rounds']} + driver ({stats['cc_driver_links']:,} links)"),
        ("seconds", stats["seconds"]),
    ]
    for name, value in shown:
        table.add_row(name, f"{value:,}" if isinstance(value, int) else str(value))
    Console().print(table)
