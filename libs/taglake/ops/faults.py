"""Test-only fault injection: `TAGLAKE_FAULT=<action>@<point>` makes the run, when it reaches the
named point, `fail` (an error), `kill` itself (SIGKILL, no cleanup, like an OOM-killed driver) or
`hold` (sleep up to 10 minutes, holding the date's lock, until a signal ends it).

Points, in run order: `stage:<name>` (a stage starts), `oneid:mapping` (the date's mapping is
written, the OneID run row that completes it is not), `group:<subject>:<group>` (a column group's
date is committed), `tags:registry` (every group written, the registry not), `publish:<subject>`
(registry written, the serving manifest not), `segments:<subject>` (members written, stats not).
Unset in production:
each checkpoint is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
import time

from taglake.errors import DataError

ENV = "TAGLAKE_FAULT"


def checkpoint(point: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    action, _, where = spec.partition("@")
    if where != point:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "fail":
        raise DataError(f"injected failure at {point} ({ENV}={spec})")
    if action == "hold":
        print(f"holding at {point} ({ENV}={spec})", flush=True)
        time.sleep(600)
