"""One exception hierarchy for problems a user can fix.

The CLI prints a `TaglakeError` as one readable line (no trace unless --debug); anything else is a
bug and is reported as such.
"""

from __future__ import annotations

#: Exit codes of `taglake` (and of every jobs/*.py), for schedulers: see docs/operations.md.
EXIT_OK = 0
EXIT_FAILED = 1        # a stage failed, or the input/configuration is wrong: look at the message
EXIT_LOCKED = 75       # another run holds the date (EX_TEMPFAIL): retry later, do not page
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_TERMINATED = 143  # SIGTERM (a scheduler's timeout or kill): the run was recorded failed


class TaglakeError(Exception):
    """A problem the user can act on: bad input, bad configuration, a missing prerequisite."""

    exit_code = EXIT_FAILED


class ConfigError(TaglakeError):
    """conf/<env>.yaml is missing or invalid."""


class EnvironmentProblem(TaglakeError):
    """The machine lacks something Spark needs (Java, the Delta jars, a free metastore)."""


class InputError(TaglakeError):
    """A command-line argument or an input file is invalid."""


class DataError(TaglakeError):
    """Source or output data is missing or does not have the expected shape."""


class RunLocked(TaglakeError):
    """Another run of the same date is in progress (the run ledger's lock)."""

    exit_code = EXIT_LOCKED


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so the run unwinds, records itself and exits 143.
    A BaseException (like KeyboardInterrupt) so that no `except Exception` in a stage swallows it."""
