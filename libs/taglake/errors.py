"""One exception hierarchy for problems a user can fix.

The CLI prints a `TaglakeError` as one readable line (no trace unless --debug); anything else is a
bug and is reported as such.
"""

from __future__ import annotations


class TaglakeError(Exception):
    """A problem the user can act on: bad input, bad configuration, a missing prerequisite."""


class ConfigError(TaglakeError):
    """conf/<env>.yaml is missing or invalid."""


class EnvironmentProblem(TaglakeError):
    """The machine lacks something Spark needs (Java, the Delta jars, a free metastore)."""


class InputError(TaglakeError):
    """A command-line argument or an input file is invalid."""


class DataError(TaglakeError):
    """Source or output data is missing or does not have the expected shape."""
