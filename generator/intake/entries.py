"""A fetched feed read as entries: RSS 0.9x/1.0/2.0 and Atom through feedparser (which copes with
broken feeds and sanitises their HTML), JSON Feed 1.0/1.1 here (feedparser does not read it). Every
value is untrusted: text comes out plain, links only as http(s) URLs."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import feedparser
import nh3

from generator.fetch import Reason, Refused
from generator.sources.fields import clean_text, safe_url

IMG_SRC = re.compile(r"""<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']""", re.I)
JSON_FEED = "https://jsonfeed.org/version/"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    guid: str  # the feed's id for it (else its link, else its title): how a later run knows it again
    title: str
    summary: str  # plain text
    link: str | None
    published: datetime | None
    image: str | None

    @property
    def digest(self) -> str:
        """Changes when what a reader sees of it changes: a retitled entry is written again."""
        return hashlib.sha256(f"{self.title}\0{self.summary}\0{self.image}".encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: tuple[FeedEntry, ...]


def parse_feed(body: bytes, content_type: str = "") -> ParsedFeed:
    if "json" in content_type.lower() or body.lstrip()[:1] == b"{":
        return _json_feed(body)
    parsed = feedparser.parse(body, response_headers={"content-type": content_type or "application/xml"})
    if not parsed.entries and not parsed.feed.get("title"):
        raise Refused(Reason.NOT_FEED, str(parsed.get("bozo_exception", "no feed in it"))[:120])
    entries = tuple(entry for entry in map(_xml_entry, parsed.entries) if entry is not None)
    return ParsedFeed(clean_text(parsed.feed.get("title", "")), safe_url(parsed.feed.get("link", "") or ""), entries)


def plain(html: str) -> str:
    """Text with no markup left: tags dropped (their text kept), entities decoded, whitespace folded."""
    return clean_text(nh3.clean(html or "", tags=set()))


def _xml_entry(entry) -> FeedEntry | None:
    title = plain(entry.get("title", ""))
    link = safe_url(entry.get("link", "") or "")
    summary_html = entry.get("summary", "") or ""
    content = entry.get("content") or []
    if not summary_html and content:
        summary_html = content[0].get("value", "")
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    images = [e.get("href", "") for e in entry.get("enclosures", []) if str(e.get("type", "")).startswith("image/")]
    images += [m.get("url", "") for m in entry.get("media_content", []) if m.get("medium") == "image"
               or str(m.get("type", "")).startswith("image/")]
    images += [m.get("url", "") for m in entry.get("media_thumbnail", [])]
    images += IMG_SRC.findall(summary_html + "".join(c.get("value", "") for c in content))
    return _entry(entry.get("id") or "", title, plain(summary_html), link,
                  datetime(*when[:6], tzinfo=timezone.utc) if when else None, images)


def _json_feed(body: bytes) -> ParsedFeed:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise Refused(Reason.NOT_FEED, f"not JSON ({error})"[:120]) from None
    if not (isinstance(document, dict) and str(document.get("version", "")).startswith(JSON_FEED)
            and isinstance(document.get("items"), list)):
        raise Refused(Reason.NOT_FEED, "not a JSON Feed")
    entries = []
    for item in document["items"]:
        if not isinstance(item, dict):
            continue
        text = {key: item[key] if isinstance(item.get(key), str) else "" for key in
                ("id", "url", "title", "summary", "content_text", "content_html", "date_published", "date_modified",
                 "image", "banner_image")}
        images = [text["image"], text["banner_image"]]
        images += [a.get("url", "") for a in item.get("attachments") or [] if isinstance(a, dict)
                   and str(a.get("mime_type", "")).startswith("image/") and isinstance(a.get("url"), str)]
        images += IMG_SRC.findall(text["content_html"])
        summary = text["summary"] or text["content_text"] or plain(text["content_html"])
        entry = _entry(str(item.get("id", "")) if item.get("id") is not None else "", plain(text["title"]),
                       plain(summary), safe_url(text["url"]), _iso(text["date_published"] or text["date_modified"]),
                       images)
        if entry is not None:
            entries.append(entry)
    title = document.get("title") if isinstance(document.get("title"), str) else ""
    home = document.get("home_page_url") if isinstance(document.get("home_page_url"), str) else ""
    return ParsedFeed(clean_text(title), safe_url(home), tuple(entries))


def _entry(guid: str, title: str, summary: str, link: str | None, published: datetime | None,
           images: list[str]) -> FeedEntry | None:
    if not title and not link:
        return None  # nothing to show or link to
    guid = clean_text(guid) or link or title
    image = next((url for url in map(safe_url, images) if url), None)
    return FeedEntry(guid, title or summary[:120] or link, summary, link, published, image)


def _iso(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
