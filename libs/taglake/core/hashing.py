"""Definition hashes: a short digest of a JSON payload, stable across runs and machines."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)


def stable_hash(payload: Any, length: int = 16, algorithm: str = "sha256") -> str:
    """Hex digest of the payload's canonical JSON (sorted keys), cut to `length` characters.
    (`algorithm` stays sha1 for the discovery fingerprints already written in lock files.)"""
    return hashlib.new(algorithm, canonical_json(payload).encode()).hexdigest()[:length]
