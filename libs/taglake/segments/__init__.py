"""Segments (分群): audiences defined by rules over tags, evaluated on snapshots.

tagdefs/segments/*.yaml -> `load_segments` (shape, rule grammar, meaning against the tag library,
cycles) -> `evaluate` (one read of the referenced tag columns per subject, every segment in as few
projections as top-N dependencies allow) -> `segment_members` / `segment_stats`; `profile` (TGI
portraits) and `export` (channel files with masking and a manifest) read the recorded membership.
docs/segments.md is the user's guide to the rule language.
"""

from taglake.segments.library import Segment, SegmentLibrary
from taglake.segments.loader import SegmentError, load_segments, segments_root

__all__ = ["Segment", "SegmentError", "SegmentLibrary", "load_segments", "segments_root"]
