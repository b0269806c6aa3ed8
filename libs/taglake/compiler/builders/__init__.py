"""One builder per tag kind, registered by kind name.

A builder turns a validated tag into a *contribution*: the SQL it adds to a step. The compiler
groups contributions into steps (one scan per source, one select per derived layer). Adding a tag
kind = a model class in tagdefs/model.py + a module here + tests + docs; nothing else changes.
Model tags (scores from an MLflow model) plug in the same way: a builder returning a new
contribution type and the engine step that evaluates it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from taglake.compiler.contributions import Contribution

BUILDERS: dict[str, Callable[..., Contribution]] = {}

_MODULES = ("attribute", "stat", "recency", "preference", "bucket", "rule", "composite", "cross", "family")


def builder(kind: str) -> Callable[[Callable[..., Contribution]], Callable[..., Contribution]]:
    def register(func: Callable[..., Contribution]) -> Callable[..., Contribution]:
        BUILDERS[kind] = func
        return func

    return register


_loaded = False


def load_builders() -> dict[str, Callable[..., Contribution]]:
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(f"taglake.compiler.builders.{module}")
        _loaded = True
    return BUILDERS
