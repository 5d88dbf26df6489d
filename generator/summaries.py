"""How a summary reads wherever it appears: cut text is marked with one ellipsis, a word (or a number)
is never left in half, and a complete sentence never gets an ellipsis. And how a date reads."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

ELLIPSIS = "…"
SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*$")
# What a cut leaves dangling: a number split at its separator ("more than 1," of "1,000"), or a separator.
SOURCE_MARK = re.compile(r"\s*(?:\.{3,}|…)$")
CUT_TAIL = re.compile(r"(?:\s+[^\s]*\d[,.]|[\s,;:–—-]+)$")


# The last character of any text each pattern can match: text ending otherwise is passed over without
# a search, which tries the pattern at every character (a third of the summaries' time). A pattern's
# `$` also matches before a final newline, so text ending in one is always searched.
SOURCE_MARK_ENDS = (".", "…", "\n")
SENTENCE_END_ENDS = tuple(".!?…。！？\"'”’)]\n")
SENTENCE_CLOSERS = "\"'”’)]\n"  # what may follow a sentence's end before SENTENCE_END's `$`
CUT_TAIL_ENDS = (",", ".", ";", ":", "–", "—", "-")


def mark_cut(summary: str) -> str:
    """A summary the source stopped mid-sentence ends in an ellipsis; a complete one is left alone."""
    if not summary:
        return summary
    marked = _without_source_mark(summary)  # the source's own "..." becomes one ellipsis
    if marked == summary and _ends_sentence(summary):
        return summary
    while marked.endswith(CUT_TAIL_ENDS) or marked[-1:].isspace():  # "over ...," loses ",", then "..."
        cut = _without_source_mark(CUT_TAIL.sub("", marked))
        if cut == marked:
            break
        marked = cut
    return marked.rstrip() + ELLIPSIS


# Each search below starts where a match can: a summary is hundreds of characters, a match a few at its end.
def _without_source_mark(text: str) -> str:
    """`text` without the "...", "…" or "… …" it ends in."""
    while text.endswith(SOURCE_MARK_ENDS):
        found = SOURCE_MARK.search(text, _start_of_marks(text))
        if found is None:
            break
        text = text[:found.start()] + text[found.end():]
    return text


def _ends_sentence(text: str) -> bool:
    return (text.endswith(SENTENCE_END_ENDS)
            and SENTENCE_END.search(text, max(len(text.rstrip(SENTENCE_CLOSERS)) - 1, 0)) is not None)


def _start_of_marks(text: str) -> int:
    """Where the spaces, dots and ellipses ending `text` start (a SOURCE_MARK lies within them)."""
    while len(stripped := text.rstrip().rstrip(".…")) != len(text):
        text = stripped
    return len(text)


def shorten(text: str, limit: int) -> str:
    """At most about `limit` characters, cut between words and marked; text that fits is left whole."""
    if len(text) <= limit:
        return text
    head = text[:limit + 1]
    cut = (head.rsplit(None, 1) or [""])[0] if " " in head else head[:limit]
    return cut if _ends_sentence(cut) else mark_cut(cut)


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # strftime's %B in the C locale, which a build never leaves, without its cost


def human_date(moment: datetime, zone: tzinfo) -> str:
    """A date as every list, page and search result shows it: "3 May 2024", in the site's time zone."""
    moment = moment.astimezone(zone)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def month_label(moment: datetime, zone: tzinfo) -> str:
    """A month as archives name it: "May 2024", in the site's time zone."""
    moment = moment.astimezone(zone)
    return f"{MONTHS[moment.month - 1]} {moment.year}"
