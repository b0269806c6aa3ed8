"""Stages for the ledger tests: each appends (date, stage) to MARKS when it runs (in-process), so a
test sees which stages a run, a resume or a backfill really executed."""

from __future__ import annotations

MARKS: list[tuple[str, str]] = []


def mark(stage: str):
    def run_stage(run) -> dict[str, int]:
        MARKS.append((str(run.date), stage))
        return {"marked": 1}
    return run_stage


extract, load, publish = mark("extract"), mark("load"), mark("publish")
