"""One builder per tag kind, registered by kind name.

A builder turns a validated tag into a *contribution*: the SQL it adds to a step. The compiler
groups contributions into steps (one scan per source, one select per derived layer). Adding a tag
kind = a module in taglake/tagdefs/kinds/ (model + checks) + a module here + tests + docs; every
module of this package is imported (discovered), no list names them. A kind needing a new kind of
step (model scores from MLflow) returns its own contribution type, which places itself into its
own step, run by a runner it registers with `taglake.compute.runners.runner`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from taglake.compiler.contributions import Contribution

BUILDERS: dict[str, Callable[..., Contribution]] = {}


def builder(kind: str) -> Callable[[Callable[..., Contribution]], Callable[..., Contribution]]:
    def register(func: Callable[..., Contribution]) -> Callable[..., Contribution]:
        BUILDERS[kind] = func
        return func

    return register


_loaded = False


def load_builders() -> dict[str, Callable[..., Contribution]]:
    global _loaded
    if not _loaded:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        _loaded = True
    return BUILDERS
