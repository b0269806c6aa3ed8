"""Which function runs each type of plan step. Built-in steps register in `engine.py`; a kind that
brings its own step type registers its runner next to its builder, so the engine needs no edit.

A *scan* runner gets the source rows already read and keyed, `fn(run, state, rows, step)`, and
returns a frame of `__key` + its tag columns to join into the subject's core (or None when it
writes its own column groups). A *derive* runner, `fn(run, state, step, states, keep)`, returns
the subject's new core: the `keep` columns plus the step's tags.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Runner = Callable[..., Any]
SCAN: dict[type, Runner] = {}
DERIVE: dict[type, Runner] = {}


def runner(step_type: type, *, scan: bool) -> Callable[[Runner], Runner]:
    def register(fn: Runner) -> Runner:
        (SCAN if scan else DERIVE)[step_type] = fn
        return fn

    return register


def runner_for(step: Any, *, scan: bool) -> Runner:
    table = SCAN if scan else DERIVE
    fn = table.get(type(step))
    if fn is None:
        known = ", ".join(t.__name__ for t in table) or "none"
        raise TypeError(f"no {'scan' if scan else 'derive'} runner for {type(step).__name__} (registered: {known})")
    return fn
