"""Tag kinds, one module each: the kind's model (its YAML shape and defaults) and its checks.

A module here defines a `TagMeta` subclass with `kind: Literal["<name>"]`, decorated with
`@tag_kind`; it is discovered by importing every module of this package, so adding a kind never
edits a list. `position` orders the kinds in messages and docs.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Annotated, Any, Union, get_args

from pydantic import Field, TypeAdapter

from taglake.tagdefs.model import TagMeta

KINDS: dict[str, type[TagMeta]] = {}


def tag_kind(cls: type[TagMeta]) -> type[TagMeta]:
    """Register a kind's model under the value of its `kind` literal."""
    (name,) = get_args(cls.model_fields["kind"].annotation)
    if name in KINDS and KINDS[name] is not cls:
        raise TypeError(f"tag kind {name!r} is defined twice ({KINDS[name].__module__}, {cls.__module__})")
    KINDS[name] = cls
    return cls


@cache
def tag_kinds() -> dict[str, type[TagMeta]]:
    """Every kind's model by name, in `position` order (modules imported on first use)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return dict(sorted(KINDS.items(), key=lambda item: (getattr(item[1], "position", 1000), item[0])))


@cache
def tag_adapter() -> TypeAdapter[Any]:
    """Validates one tag mapping into its kind's model (discriminated by `kind`)."""
    models = tuple(tag_kinds().values())
    return TypeAdapter(Annotated[Union[models], Field(discriminator="kind")])  # type: ignore[valid-type, arg-type]
