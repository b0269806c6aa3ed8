"""Validation problems, collected and reported together.

Every problem names the file, the line, the key path, the bad value and what is allowed, in the
style of `tagdefs/tags/member/rfm.yaml:42 tags[3].window: 'abc' is not a number of days (allowed: ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from taglake.errors import InputError


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    path: str
    message: str
    code: str = "invalid"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def show(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class ProblemLog:
    """Accumulates problems so one run reports all of them (not one per run)."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, file: str, line: int, path: str, message: str, code: str = "invalid") -> None:
        self.problems.append(Problem(file, line, path, message, code))

    def extend(self, other: ProblemLog) -> None:
        self.problems.extend(other.problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def raise_if_any(self, what: str = "tag definitions") -> None:
        if self.problems:
            raise TagDefError(what, sorted(set(self.problems)))


class TagDefError(InputError):
    """Invalid tag definitions: carries every problem found in one run."""

    def __init__(self, what: str, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} in {what}:\n{lines}")
