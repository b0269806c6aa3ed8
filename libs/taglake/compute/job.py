"""The nightly `tags` stage: every subject, cross-subject dependencies in order."""

from __future__ import annotations

from pathlib import Path

from taglake.compute.engine import compute_tags
from taglake.tagdefs import load_library


def run_stage(run) -> dict[str, int]:
    settings = run.settings
    library = load_library(Path(settings.path(settings.tagdefs)), database=settings.database)
    results = compute_tags(run.spark, settings, library, run.date)
    counts: dict[str, int] = {}
    for r in results:
        counts[f"{r.subject}_tags"] = r.tags
        counts[f"{r.subject}_rows"] = r.rows
    counts["rows_scanned"] = sum(r.rows_scanned for r in results)
    # Each warning is logged where it arises; the count shows in the nightly run's stage table.
    counts["empty_labels"] = sum(len(r.warnings) for r in results)
    return counts
