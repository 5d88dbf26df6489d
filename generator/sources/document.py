"""Split a file into optional YAML front matter and an optional body; the content decides, not the extension."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator.diagnostics import SourceError
from generator.sources.fields import CONTROL_CHARS
from generator.yamlload import SafeLoader, load_strings, simple_mapping

MAX_NESTING = 64
FENCE = "---"
# The first line after the opening one that is `---` or `...` with nothing after it but whitespace.
CLOSING_FENCE = re.compile(r"\n(?:---|\.\.\.)[^\S\n]*(?:\n|\Z)")


@dataclass(frozen=True)
class Document:
    path: str
    meta: dict | None  # None when the file has no front matter
    body: str


def read_bytes(path: str, file: Path | str, limit: int) -> bytes:
    """The file's bytes, refusing one over the size limit before reading it (or while it grows)."""
    descriptor = os.open(file, os.O_RDONLY)
    try:
        size = os.fstat(descriptor).st_size
        parts, total = [], 0
        while size <= limit:
            part = os.read(descriptor, max(size, 1 << 16) + 1)
            if not part:
                return b"".join(parts)
            parts.append(part)
            total += len(part)
            size = max(size, total)
        raise SourceError(path, f"file is {size:,} bytes, over the {limit:,}-byte limit (max_file_bytes)")
    finally:
        os.close(descriptor)


def decode(path: str, data: bytes) -> tuple[str, bool]:
    """Return the text and whether undecodable bytes had to be replaced."""
    if b"\x00" in data:
        raise SourceError(path, "binary file (contains NUL bytes)")
    try:
        text, lossy = data.decode("utf-8"), False
    except UnicodeDecodeError:
        text, lossy = data.decode("utf-8", errors="replace"), True
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if lossy or _may_hold_control_chars(data):
        text = CONTROL_CHARS.sub("", text)
    return text, lossy


# Every character CONTROL_CHARS removes is a C0 byte or DEL, or in UTF-8 holds one of these sequences
# (C1 controls, U+FDD0-FDEF, and every plane's U+xFFFE/U+xFFFF). A byte-level test finds the rare
# document that needs the sweep far faster than the sweep itself; a false alarm only costs the sweep.
_C0_BYTES = bytes(b for b in range(0x20) if b not in b"\t\n\r") + b"\x7f"
_SUSPECT_SEQUENCES = (b"\xc2", b"\xef\xb7", b"\xbf\xbe", b"\xbf\xbf")


def _may_hold_control_chars(data: bytes) -> bool:
    if len(data.translate(None, _C0_BYTES)) != len(data):
        return True
    return not data.isascii() and any(sequence in data for sequence in _SUSPECT_SEQUENCES)


def parse_document(path: str, text: str) -> Document:
    first = text.find("\n")
    if (text if first < 0 else text[:first]).rstrip() != FENCE:
        return Document(path, None, text)
    closing = CLOSING_FENCE.search(text, first) if first >= 0 else None
    if closing is None:
        raise SourceError(path, "front matter opened with '---' on line 1 is never closed", 1, 1)
    meta = _load_front_matter(path, text[first + 1:closing.start()])
    return Document(path, meta, text[closing.end():])


def _load_front_matter(path: str, source: str) -> dict:
    try:
        meta = simple_mapping(source, MAX_NESTING)  # the usual front matter: read without libyaml
        if meta is None:
            _check_nesting(path, source)
            meta = load_strings(source, simple=False)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(filter(None, [exc.context, exc.problem])) or str(exc)
        # The parser counts from 0 inside the block; the block starts on the file's line 2.
        line, column = (mark.line + 2, mark.column + 1) if mark else (None, None)
        raise SourceError(path, f"YAML: {message}", line, column) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise SourceError(path, f"YAML: {exc}") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise SourceError(path, f"front matter must be a mapping of fields, got a {type(meta).__name__}", 2, 1)
    return meta


def _check_nesting(path: str, source: str) -> None:
    """libyaml composes nested nodes recursively in C: 100,000 nested brackets crash the process
    outright. Depth is bounded by the number of brackets and by indentation, so only front matter
    where either is large is walked event by event (the walk itself does not recurse)."""
    brackets = source.count("[") + source.count("{")
    deep_indent = "\n" + " " * MAX_NESTING in "\n" + source
    if brackets <= MAX_NESTING and not deep_indent and "- - " not in source and "? ? " not in source:
        return
    depth = 0
    for event in yaml.parse(source, Loader=SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_NESTING:
                mark = event.start_mark
                raise SourceError(path, f"front matter nests deeper than {MAX_NESTING} levels",
                                  mark.line + 2, mark.column + 1)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
