"""Warnings and errors about input files, collected so a build can report them all at once."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    items: list[Diagnostic] = field(default_factory=list)

    def warn(self, path: str, message: str, line: int | None = None, column: int | None = None) -> None:
        self.items.append(Diagnostic(str(path), message, line, column))

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]
