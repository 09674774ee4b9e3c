"""Errors about the user's files: ``SiteError(path, line, message)`` and a collector.

Every problem in content or config becomes a SiteError, printed as
``content/x.md:3: message``. Code that can find several problems collects them
all and raises ``SiteErrors`` once, so a user sees every problem in one run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# No message is longer than this: a value quoted from a hostile entry (a 300 MB list) must not become
# a 300 MB message. Anything longer is cut with an ellipsis.
MESSAGE_MAX = 1000


@dataclass(order=True, unsafe_hash=True)
class SiteError(Exception):
    # Not frozen: raising an exception sets __traceback__ on it (contextmanager does so explicitly).
    """One problem in a user's file. ``line`` is 1-based, or None when unknown."""

    path: str
    line: int | None
    message: str
    severity: str = "error"  # "error" or "warning"

    def __post_init__(self) -> None:
        if len(self.message) > MESSAGE_MAX:
            self.message = self.message[:MESSAGE_MAX - 1] + "\u2026"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class SiteErrors(Exception):
    """Several SiteErrors at once (at least one of them an error)."""

    def __init__(self, errors: list[SiteError]):
        self.errors = sorted(errors, key=_sort_key)
        super().__init__("\n".join(str(e) for e in self.errors))


def _sort_key(e: SiteError):
    return (e.path, e.line or 0, e.message)


class Collector:
    """Gathers problems so that all of them can be reported together."""

    def __init__(self) -> None:
        self.items: list[SiteError] = []

    def error(self, path: str | Path, line: int | None, message: str) -> None:
        self.items.append(SiteError(str(path), line, message))

    def warning(self, path: str | Path, line: int | None, message: str) -> None:
        self.items.append(SiteError(str(path), line, message, "warning"))

    def extend(self, items) -> None:
        self.items.extend(items)

    @property
    def errors(self) -> list[SiteError]:
        return [e for e in self.items if e.is_error]

    @property
    def warnings(self) -> list[SiteError]:
        return [e for e in self.items if not e.is_error]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise SiteErrors(self.items)
