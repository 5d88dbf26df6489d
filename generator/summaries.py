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


def mark_cut(summary: str) -> str:
    """A summary the source stopped mid-sentence ends in an ellipsis; a complete one is left alone."""
    marked = SOURCE_MARK.sub("", summary)  # the source's own "..." becomes one ellipsis
    if not summary or (marked == summary and SENTENCE_END.search(summary)):
        return summary
    return CUT_TAIL.sub("", marked).rstrip() + ELLIPSIS


def shorten(text: str, limit: int) -> str:
    """At most about `limit` characters, cut between words and marked; text that fits is left whole."""
    if len(text) <= limit:
        return text
    head = text[:limit + 1]
    cut = head.rsplit(None, 1)[0] if " " in head else head[:limit]
    return cut if SENTENCE_END.search(cut) else mark_cut(cut)


def human_date(moment: datetime, zone: tzinfo) -> str:
    """A date as every list, page and search result shows it: "3 May 2024", in the site's time zone."""
    moment = moment.astimezone(zone)
    return f"{moment.day} {moment.strftime('%B %Y')}"
