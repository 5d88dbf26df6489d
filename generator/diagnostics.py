"""Warnings and errors about input files, collected so a build can report them all at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.records import pickled_by_fields


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Diagnostic:
    path: str
    message: str
    line: int | None = None
    column: int | None = None
    severity: str = "warning"

    def __str__(self) -> str:
        """One line, always: a file name holding a newline or another unprintable character is quoted
        (Python string syntax), and such characters in a message are escaped."""
        where = self.path if self.path.isprintable() else repr(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.severity}: {_one_line(self.message)}"


def _one_line(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class SourceError(Exception):
    """A file that cannot be read as a document; it is skipped and reported."""

    def __init__(self, path: str, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.diagnostic = Diagnostic(path, message, line, column, severity="error")


@dataclass
class Diagnostics:
    """Everything a build has to say about its input, in the order it was found.

    An "info" reports a documented fallback (a plain-text document takes its date from git and its
    topics from keywords): it is printed but is no problem, so `items`, the summary's count and
    --strict leave it out."""

    reported: list[Diagnostic] = field(default_factory=list)

    def warn(self, path: str, message: str, line: int | None = None, column: int | None = None) -> None:
        self.reported.append(Diagnostic(str(path), message, line, column))

    def info(self, path: str, message: str) -> None:
        self.reported.append(Diagnostic(str(path), message, severity="info"))

    def add(self, diagnostic: Diagnostic) -> None:
        self.reported.append(diagnostic)

    @property
    def items(self) -> list[Diagnostic]:
        """The problems: warnings and errors."""
        return [d for d in self.reported if d.severity != "info"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.reported if d.severity == "warning"]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.reported if d.severity == "error"]
