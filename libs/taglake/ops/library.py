"""A copy of a tag library (tagdefs/) for a quick end-to-end run: every subject, source, tag kind,
family and segment stays, only the number of generated columns shrinks.

The shipped library generates ~11,000 member tags from families over discovered dimension values;
on the tiny demo most of a nightly's time goes to those columns' fixed costs (groups, statistics),
not to data. Cutting each discovered dimension to its first N values (tagdefs/families.lock.yaml)
keeps every family and code path with a few hundred tags instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from taglake.errors import InputError
from taglake.tagdefs.families import LOCK_FILE

IDENTITY_FILE = "identity.yaml"


def copy_library(source: Path, dest: Path, *, values_per_dimension: int | None = None,
                 oneid_driver_threshold: int | None = None) -> Path:
    """Copy `source` to `dest` (replacing it). `values_per_dimension` keeps the first N discovered
    values of every family dimension; `oneid_driver_threshold` overrides
    components.driver_threshold in identity.yaml (0: every contraction round runs on executors)."""
    if not (source / LOCK_FILE).is_file() and values_per_dimension is not None:
        raise InputError(f"{source} has no {LOCK_FILE} to cut values from")
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__"))
    if values_per_dimension is not None:
        lock = dest / LOCK_FILE
        raw = yaml.safe_load(lock.read_text(encoding="utf-8"))
        for dimensions in (raw.get("families") or {}).values():
            for entry in dimensions.values():
                entry["values"] = entry.get("values", [])[:values_per_dimension]
        lock.write_text(f"# {source / LOCK_FILE} cut to {values_per_dimension} value(s) per dimension.\n"
                        + yaml.safe_dump(raw, allow_unicode=True, sort_keys=True, width=120), encoding="utf-8")
    if oneid_driver_threshold is not None:
        identity = dest / IDENTITY_FILE
        raw = yaml.safe_load(identity.read_text(encoding="utf-8"))
        raw.setdefault("components", {})["driver_threshold"] = oneid_driver_threshold
        identity.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    return dest
