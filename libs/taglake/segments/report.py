"""Terminal tables (rich) for segment runs and portraits, and the text `make demo` ends with."""

from __future__ import annotations

import datetime as dt
import io
import logging

from rich.console import Console
from rich.table import Table

from taglake.segments import store
from taglake.segments.evaluate import SegmentResult
from taglake.segments.profile import Profile

log = logging.getLogger(__name__)

#: The segment whose portrait closes the demo, and the tags it is drawn on.
DEMO_PORTRAIT = "skincare_lovers_tier1"
DEMO_PORTRAIT_TAGS = ["age_band", "member_level", "value_level"]


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def results_table(results: list[SegmentResult], titles: dict[str, str], date: dt.date) -> Table:
    table = Table(title=f"segments on {date}", title_justify="left")
    for col, justify in (("segment", "left"), ("display name", "left"), ("size", "right"), ("entered", "right"),
                         ("exited", "right"), ("split groups", "left")):
        table.add_column(col, justify=justify)
    for r in results:
        groups = ", ".join(f"{g} {n:,}" for g, n in r.groups.items())
        table.add_row(r.name, titles.get(r.name, ""), f"{r.size:,}", _count(r.entered), _count(r.exited), groups)
    return table


def stats_table(rows: list, date: dt.date) -> Table:
    table = Table(title=f"segments on {date}", title_justify="left")
    for col, justify in (("segment", "left"), ("display name", "left"), ("business line", "left"), ("size", "right"),
                         ("entered", "right"), ("exited", "right"), ("split groups", "left")):
        table.add_column(col, justify=justify)
    for r in sorted(rows, key=lambda r: r["segment"]):
        groups = ", ".join(f"{g} {n:,}" for g, n in (r["split_groups"] or {}).items())
        table.add_row(r["segment"], r["display_name"], r["business_line"], f"{r['size']:,}", _count(r["entered"]),
                      _count(r["exited"]), groups)
    return table


def profile_table(result: Profile) -> Table:
    base = "全体" if result.base is None else result.base_label
    title = (f"{result.target.label} ({result.segment_size:,}) vs {base} ({result.base_size:,}) on {result.date} — "
             "TGI = segment share / base share × 100")
    table = Table(title=title, title_justify="left")
    for col, justify in (("tag", "left"), ("value", "left"), ("segment", "right"), ("share", "right"), ("base", "right"),
                         ("base share", "right"), ("TGI", "right")):
        table.add_column(col, justify=justify)
    previous = None
    for r in result.rows:
        tgi = "—" if r.tgi is None else f"{r.tgi:,.0f}"
        if r.tgi is not None and r.tgi >= 120:
            tgi = f"[bold green]{tgi}[/]"
        elif r.tgi is not None and r.tgi <= 80:
            tgi = f"[red]{tgi}[/]"
        label = f"{r.display_name} ({r.tag})" if r.tag != previous else ""
        previous = r.tag
        table.add_row(label, r.value, f"{r.segment_count:,}", f"{r.segment_share:.1%}", f"{r.base_count:,}",
                      f"{r.base_share:.1%}", tgi)
    return table


def render(*tables: Table, width: int = 120) -> str:
    """Tables as plain text (no colour codes), for logs and for callers that print themselves."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    for table in tables:
        console.print(table)
    return buffer.getvalue()


def demo_summary(spark, settings, date: dt.date, portrait: str = DEMO_PORTRAIT, tags: list[str] | None = None) -> str:
    """What `make demo` prints last: every segment's size on `date`, and one TGI portrait."""
    from taglake.segments.job import load
    from taglake.segments.profile import Target, profile

    rows = store.stats_rows(spark, settings, date=date)
    if not rows:
        return f"No segments were evaluated for {date} (run `taglake segments --date {date}`).\n"
    text = render(stats_table(rows, date))
    library, segments = load(settings)
    if portrait not in segments.segments:
        return text
    seg = segments.segments[portrait]
    result = profile(spark, settings, library, segments, Target(portrait), date, tags or seg.spec.profile_tags or DEMO_PORTRAIT_TAGS)
    text += "\n" + render(profile_table(result))
    text += (f"\nMore: taglake profile <segment> --vs <segment> --tags t1,t2 --date {date}   |   "
             f"taglake export <segment> --date {date} --columns ... --format csv --out exports/\n")
    return text
