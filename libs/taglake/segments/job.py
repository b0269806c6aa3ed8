"""The nightly stage and the loading shared by every segment command."""

from __future__ import annotations

import logging
from pathlib import Path

from taglake.segments.library import SegmentLibrary
from taglake.segments.loader import load_segments, segments_root
from taglake.settings import Settings
from taglake.tagdefs import Library, load_library

log = logging.getLogger(__name__)


def load(settings: Settings, tagdefs: str | Path | None = None, segments: str | Path | None = None,
         library: Library | None = None) -> tuple[Library, SegmentLibrary]:
    """The tag library (loaded unless given) and the validated segments (tagdefs/segments unless
    `segments` is given)."""
    root = Path(tagdefs) if tagdefs else Path(settings.path(settings.tagdefs))
    library = library or load_library(root, database=settings.database)
    folder = Path(segments) if segments else segments_root(root)
    return library, load_segments(folder, library, tuple(settings.tags.statuses))


def run_stage(run) -> dict[str, int]:
    """Nightly: evaluate every active segment on the snapshot the tags stage just wrote."""
    from taglake.segments.evaluate import evaluate

    _library, segments = load(run.settings, library=run.library)
    if not segments.active():
        log.info("no active segments under %s", segments.root)
        return {"segments": 0}
    results = evaluate(run.spark, run.settings, segments, run.date, run_id=run.run_id)
    return {"segments": len(results), "members": sum(r.size for r in results)}
