"""Coerce untrusted front-matter values to the type each field needs, warning about what is dropped."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from generator.diagnostics import Diagnostics

# Characters XML 1.0 forbids (a feed breaks on them), C1 controls and Unicode noncharacters (HTML
# parsers reject them); tab and newline are kept.
NONCHARACTERS = "".join(f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}" for plane in range(0, 0x110000, 0x10000))
CONTROL_CHARS = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef{NONCHARACTERS}]")
# Invisible characters that change what text says or how it is read: bidi overrides, embeddings and
# isolates (an override left open reverses what follows, "evil\u202etxt.exe"), direction marks, zero-width
# spaces and joiners of words, the byte order mark. Zero-width (non-)joiners stay: Persian and emoji
# need them, though never alone (see `clean_text`).
INVISIBLE = re.compile("[\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
JOINERS = frozenset("\u200c\u200d")
# An absolute http(s) URL with a host, without brackets (an IPv6 host: urlsplit checks those), spaces or
# characters that would end an attribute; for ASCII text without controls, urlsplit gives just that.
PLAIN_HTTP_URL = re.compile(r'https?://[^/?#\[\]\s<>"]+(?:[/?#][^\[\]\s<>"]*)?', re.IGNORECASE)
MAX_TITLE = 300  # longer is no headline: it would swamp every listing and <title>
TRUTHY = {"true", "yes", "on", "1"}
FALSY = {"false", "no", "off", "0"}


def clean_text(value: str) -> str:
    """Plain text from a scraped field: entities decoded, controls removed, whitespace folded."""
    if "&" in value:
        value = html.unescape(value)
    if value.isprintable():  # a cheap test first: nearly all text has no control or invisible character
        # and then its only whitespace is the space: text without a doubled, leading or trailing one is
        # already folded (and cannot be joiners alone)
        if "  " not in value and "\\n" not in value and value[:1] != " " and value[-1:] != " ":
            return value
    else:
        value = INVISIBLE.sub("", CONTROL_CHARS.sub("", value))
    value = " ".join(value.replace("\\n", " ").split())
    return "" if JOINERS.issuperset(value) else value


def safe_url(value: str) -> str | None:
    """Only absolute http(s) URLs become links."""
    value = html.unescape(value)
    if not value.isprintable():  # as in clean_text: a cheap test first
        value = CONTROL_CHARS.sub("", value)
    value = value.strip()
    if value.isascii() and value.isprintable() and PLAIN_HTTP_URL.fullmatch(value):
        return value  # what urlsplit and the checks below accept, told in one step (most URLs are such)
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in value for c in ' <>"\n'):
        return None
    return value


def parse_date(value: str, tz: ZoneInfo) -> datetime | None:
    """An aware datetime; dates and naive times are read in the site time zone."""
    value = value.strip()
    if not value or value.isdigit():
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            from dateutil import parser as dateparser  # for dates not in ISO 8601 alone: rare, and slow to import

            parsed = dateparser.parse(value, default=datetime(2000, 1, 1))
        except (ValueError, OverflowError):
            return None
    if isinstance(parsed, date) and not isinstance(parsed, datetime):
        parsed = datetime.combine(parsed, time())
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


class FieldReader:
    """Reads fields of one document's front matter; every rejected value is a warning naming the field."""

    def __init__(self, meta: dict, path: str, diagnostics: Diagnostics, tz: ZoneInfo, max_chars: int = 20_000):
        self.meta, self.path, self.diagnostics, self.tz, self.max_chars = meta, path, diagnostics, tz, max_chars

    def warn(self, field: str, problem: str) -> None:
        self.diagnostics.warn(self.path, f"field '{field}': {problem}")

    def text(self, *names: str, mapping: dict | None = None, limit: int | None = None) -> str:
        name, value = self._from(mapping, names)
        limit = min(limit or self.max_chars, self.max_chars)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.warn(name, f"expected text, got a {_kind(value)}; ignored")
            return ""
        cleaned = clean_text(value)
        if len(cleaned) > limit:
            self.warn(name, f"{len(cleaned):,} characters, cut to {limit:,}")
            cleaned = cleaned[:limit].rstrip() + "…"
        return cleaned

    def url(self, *names: str, mapping: dict | None = None) -> str | None:
        name, value = self._from(mapping, names)
        text = value if isinstance(value, str) else None
        if value is None:
            return None
        url = safe_url(text) if text is not None else None
        if url is None:
            self.warn(name, f"not an http(s) URL: {str(value)[:80]!r}; no link made")
        return url

    def integer(self, name: str, mapping: dict | None = None) -> int | None:
        name, value = self._from(mapping, (name,))
        if value is None:
            return None
        try:
            return int(str(value).strip())
        except ValueError:
            self.warn(name, f"expected a whole number, got {str(value)[:40]!r}; ignored")
            return None

    def boolean(self, name: str) -> bool | None:
        value = self.meta.get(name)
        if value is None:
            return None
        lowered = str(value).strip().lower()
        if isinstance(value, str) and lowered in TRUTHY | FALSY:
            return lowered in TRUTHY
        self.warn(name, f"expected true or false, got {str(value)[:40]!r}; ignored")
        return None

    def date(self, *names: str, mapping: dict | None = None) -> datetime | None:
        name, value = self._from(mapping, names)
        if value is None:
            return None
        parsed = parse_date(value, self.tz) if isinstance(value, str) else None
        if parsed is None:
            self.warn(name, f"not a date: {str(value)[:40]!r}; ignored")
        return parsed

    def string_list(self, name: str) -> tuple[str, ...]:
        value = self.meta.get(name)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.warn(name, f"expected a list of names, got a {_kind(value)}; ignored")
            return ()
        names = [clean_text(v) for v in value if isinstance(v, str) and clean_text(v)]
        if len(names) != len(value):
            self.warn(name, "entries that are not names were dropped")
        return tuple(dict.fromkeys(names))

    def mapping(self, name: str, value=None) -> dict | None:
        value = self.meta.get(name) if value is None else value
        if value is None or isinstance(value, dict):
            return value
        self.warn(name, f"expected a mapping, got a {_kind(value)}; ignored")
        return None

    def mappings(self, name: str) -> list[dict]:
        value = self.meta.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.warn(name, f"expected a list, got a {_kind(value)}; ignored")
            return []
        kept = [v for v in value if isinstance(v, dict)]
        if len(kept) != len(value):
            self.warn(name, "entries that are not mappings were dropped")
        return kept

    def _from(self, mapping: dict | None, names: tuple[str, ...]):
        """The first of `names` set in `mapping` (default: the front matter), as (name, value)."""
        source = self.meta if mapping is None else mapping
        for name in names:
            if source.get(name) is not None:
                return name, source[name]
        return names[0], None


def _kind(value) -> str:
    return {dict: "mapping", list: "list", str: "text"}.get(type(value), type(value).__name__)
