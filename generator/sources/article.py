"""Turn one parsed document into an Article, whatever vocabulary it uses.

News items (Smartable format) and writers' posts share one mapping: `excerpt` or
`summary`, `publishedDateTime` or `date`, `published: false` or `draft: true`.
"""

from __future__ import annotations

import re
from datetime import datetime
from difflib import get_close_matches
from functools import partial
from pathlib import Path

from generator.addresses import is_feed_id
from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.model import Article, Image, Provider, Related
from generator.sources.document import Document
from generator.sources.fields import MAX_TITLE, FieldReader, clean_text
from generator.sources.filedates import fallback_date
from generator.sources.plaintext import parse_plain_text
from generator.sources.sanitize import markdown_to_html, sanitize_embed
from generator.sources.topics import match_topics
from generator.summaries import mark_cut
from generator.model import Topic

PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
TAG = re.compile(r"<[^>]+>")

MAX_RELATED = 10
MAX_TOPICS = 10  # the corpus has at most 5; each topic is a page and two feeds, so a thousand would be a flood
# Every top-level field build_article reads, and the Smartable fields it deliberately leaves alone:
# `category` (always "news") and `secured` (an opaque blob, never shown).
# Any other key is most likely a typo, so it is reported rather than silently dropped.
FIELDS_READ = frozenset({
    "id", "title", "excerpt", "summary", "publishedDateTime", "date", "updatedDateTime", "updated", "topics",
    "provider", "images", "related", "webUrl", "originalUrl", "link", "type", "quality", "heat", "published",
    "draft", "slug", "featuredContent", "ampWebUrl", "cdnAmpWebUrl", "cluster", "story", "featured",
})
FIELDS_IGNORED = frozenset({"category", "secured"})
OTHER_NAMES = {"tags": "topics", "categories": "topics", "description": "summary"}  # as other generators say
_BY_LOWER = {name.lower(): name for name in FIELDS_READ}


def build_article(doc: Document, file: Path | str, kind: str, config: SiteConfig,
                  taxonomy: tuple[Topic, ...], diagnostics: Diagnostics, undated=fallback_date) -> Article:
    """`undated` gives the date of a document that has none (the read cache records what it gave)."""
    fields = FieldReader(doc.meta or {}, doc.path, diagnostics, config.tz, config.max_field_chars)
    for key in doc.meta or ():
        if key not in FIELDS_READ and key not in FIELDS_IGNORED:
            diagnostics.warn(doc.path, _unknown(key))
    featured = (doc.meta or {}).get("featuredContent")
    title, blocks, body_html = _title_and_body(doc, fields)
    if not title:
        title = Path(file).stem
        diagnostics.warn(doc.path, f"no title; using the file name '{title}'")
    summary = mark_cut(fields.text("excerpt", "summary") or _first_paragraph(blocks, body_html))
    # Plain text has no place for a date or topics: taking them from git and keywords is how it is
    # read, so that is reported as information; front matter could have held them, so it warns.
    report = partial(diagnostics.info if doc.meta is None else diagnostics.warn, doc.path)
    date = fields.date("publishedDateTime", "date") or _undated(undated(Path(file)), report if kind != "page" else None)
    topics = fields.string_list("topics")
    if len(topics) > MAX_TOPICS:
        diagnostics.warn(doc.path, f"{len(topics)} topics; only the first {MAX_TOPICS} are kept")
        topics = topics[:MAX_TOPICS]
    if not topics and kind != "page":
        topics = _guess_topics(title, summary, blocks, body_html, taxonomy, report)
    return Article(
        key=_key(fields, doc.path), file=doc.path, kind=kind, title=title, date=date,
        updated=max(date, fields.date("updatedDateTime", "updated") or date),
        summary=summary, body_html=body_html, blocks=blocks, topics=topics,
        provider=_provider(fields, fields.meta.get("provider")),
        image=_image(fields, title), related=_related(fields),
        outlet_url=fields.url("webUrl", "originalUrl", "link"),
        media_type=fields.text("type") or "article",
        quality=fields.integer("quality"), heat=fields.integer("heat"), featured=fields.boolean("featured") is True,
        featured_html=sanitize_embed(featured, title) if isinstance(featured, str) else "",
        draft=fields.boolean("published") is False or fields.boolean("draft") is True,
        slug=fields.text("slug"),
        alternate_urls=_alternate_urls(fields),
        cluster=fields.boolean("cluster") is not False, story=fields.text("story"),
    )


def _unknown(key: str | None) -> str:
    name = "null" if key is None else "''" if not key else key if len(key) <= 60 else key[:60] + "…"
    guess = OTHER_NAMES.get(name.lower()) or next(
        (_BY_LOWER[m] for m in get_close_matches(name.lower(), _BY_LOWER, n=1, cutoff=0.7)), None)
    return f"{name}: unknown key; " + (f"did you mean '{guess}'?" if guess else "ignored")


def _alternate_urls(fields: FieldReader) -> tuple[str, ...]:
    urls = (fields.url(name) for name in ("ampWebUrl", "cdnAmpWebUrl"))
    return tuple(dict.fromkeys(url for url in urls if url))


def _title_and_body(doc: Document, fields: FieldReader):
    if doc.meta is None:
        title, blocks = parse_plain_text(doc.body)
        if len(title) > MAX_TITLE:
            fields.warn("title", f"first line is {len(title):,} characters, cut to {MAX_TITLE}")
            title = title[:MAX_TITLE].rstrip() + "…"
        return title, blocks, ""
    body_html = markdown_to_html(doc.body, partial(fields.warn, "body")) if doc.body.strip() else ""
    return fields.text("title", limit=MAX_TITLE), (), body_html


def _first_paragraph(blocks, body_html: str) -> str:
    for block in blocks:
        if block.kind == "paragraph":
            return block.text
    match = PARAGRAPH.search(body_html)
    return clean_text(TAG.sub("", match.group(1))) if match else ""


def _undated(fallback: tuple[datetime, str], report) -> datetime:
    date, origin = fallback
    if report is not None:
        report(f"no date; using the {origin}, {date.isoformat()}")
    return date


def _guess_topics(title, summary, blocks, body_html, taxonomy, report) -> tuple[str, ...]:
    text = " ".join([title, summary, body_html, *(b.text for b in blocks), *(i for b in blocks for i in b.items)])
    topics = match_topics(text, taxonomy)
    report(f"no topics; assigned from keywords: {', '.join(topics) or 'none matched'}")
    return topics


def _provider(fields: FieldReader, value) -> Provider | None:
    """A mapping {name, domain}; a plain string is taken as the name."""
    if isinstance(value, str):
        value = {"name": value}
    if fields.mapping("provider", value) is None:
        return None
    name = fields.text("name", mapping=value)
    return Provider(name=name, domain=fields.text("domain", mapping=value)) if name else None


def _image(fields: FieldReader, title: str) -> Image | None:
    for entry in fields.mappings("images"):
        url = fields.url("url", mapping=entry)
        if url:
            alt = fields.text("alt", "title", mapping=entry) or title
            return Image(url, fields.integer("width", entry), fields.integer("height", entry), alt)
    return None


def _key(fields: FieldReader, path: str) -> str:
    """The story's permanent identity: its `id`, or else its path."""
    key = fields.text("id")
    if is_feed_id(key):  # a story holding one would share an id with a whole feed in a reader's eyes
        fields.warn("id", f"{key!r} is the id of one of the site's feeds; the file's path is used instead")
        key = ""
    return key or path


def _related(fields: FieldReader) -> tuple[Related, ...]:
    related = []
    for entry in fields.mappings("related")[:MAX_RELATED]:
        title = fields.text("title", mapping=entry)
        if title:
            related.append(Related(
                title=title, summary=fields.text("excerpt", "summary", mapping=entry),
                date=fields.date("publishedDateTime", "date", mapping=entry),
                provider=_provider(fields, entry.get("provider")),
                url=fields.url("webUrl", "originalUrl", mapping=entry),
            ))
    return tuple(related)
