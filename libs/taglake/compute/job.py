"""The nightly `tags` stage: every subject, cross-subject dependencies in order."""

from __future__ import annotations

from taglake.compute.engine import compute_tags


def run_stage(run) -> dict[str, int]:
    results = compute_tags(run.spark, run.settings, run.library, run.date, run_id=run.run_id)
    counts: dict[str, int] = {}
    for r in results:
        counts[f"{r.subject}_tags"] = r.tags
        counts[f"{r.subject}_rows"] = r.rows
    counts["rows_scanned"] = sum(r.rows_scanned for r in results)
    # Each warning is logged where it arises; the count shows in the nightly run's stage table.
    counts["empty_labels"] = sum(len(r.warnings) for r in results)
    return counts
