"""Plain-text documents: a title line, then one paragraph per line.

Short unpunctuated lines become sub-headings, `- ` lines become bullet lists, and a
short line right after a quotation is the quote's attribution, not a heading.
"""

from __future__ import annotations

from generator.model import Block
from generator.sources.fields import clean_text

HEADING_MAX_CHARS = 90
HEADING_MAX_WORDS = 14
QUOTES = ('"', "\u201c", "\u2018", "'")


def parse_plain_text(text: str) -> tuple[str, tuple[Block, ...]]:
    """Return (title, blocks); the title is the first non-empty line and is not repeated."""
    lines = [clean_text(line) for line in text.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return "", ()
    return lines[0], tuple(_blocks(lines[1:]))


def _blocks(lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else None
        if line.startswith("- "):
            _append_bullet(blocks, line[2:].strip())
        elif _is_attribution(line, blocks):
            blocks.append(Block("attribution", line))
        elif _is_heading(line, following):
            blocks.append(Block("heading", line))
        else:
            blocks.append(Block("paragraph", line))
    return blocks


def _append_bullet(blocks: list[Block], item: str) -> None:
    if blocks and blocks[-1].kind == "list":
        blocks[-1] = Block("list", items=blocks[-1].items + (item,))
    else:
        blocks.append(Block("list", items=(item,)))


def _is_short(line: str) -> bool:
    return len(line) <= HEADING_MAX_CHARS and len(line.split()) <= HEADING_MAX_WORDS


def _is_attribution(line: str, blocks: list[Block]) -> bool:
    previous = blocks[-1] if blocks else None
    quoted = previous is not None and previous.kind == "paragraph" and previous.text.startswith(QUOTES)
    return quoted and _is_short(line) and not line.endswith((".", "?", "!"))


def _is_heading(line: str, following: str | None) -> bool:
    return following is not None and _is_short(line) and not line.endswith((".", ",", ";", ":", '"', "\u201d"))
