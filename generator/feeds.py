"""Atom feeds with feedgen, made reproducible: same input, same bytes, same entry ids."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Callable

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator

from generator import __version__
from generator.config import SiteConfig
from generator.index import Entry, Feed, tag_uri
from generator.urls import Urls

EMPTY_FEED_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)
LINK_ATTRIBUTES = ("rel", "type", "hreflang", "title", "length")


class _Entry(FeedEntry):
    """feedgen 1.0.0 writes entry links with href only (lkiesow/python-feedgen#135), so a reader
    could take the source's URL for ours; put rel and type back on each link element."""

    def atom_entry(self, extensions=True):
        element = super().atom_entry(extensions)
        for link, written in zip(self.link() or [], element.findall("link"), strict=False):
            for attribute in LINK_ATTRIBUTES:
                if link.get(attribute) and written.get("href") == link["href"]:
                    written.set(attribute, str(link[attribute]))
        return element


def json_feed_path(feed: Feed) -> str:
    return feed.path.removesuffix(".xml") + ".json"


def render_json_feed(feed: Feed, config: SiteConfig, urls: Urls, entry_html: Callable[[Entry], str]) -> bytes:
    """JSON Feed 1.1 from the same entries as the Atom feed, with the same permanent ids."""
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": urls.absolute(feed.page_path),
        "feed_url": urls.absolute(json_feed_path(feed)),
        "description": config.description or config.title,
        "language": config.language,
        "authors": [{"name": config.feed_author}],
        "items": [_json_item(entry, config, urls, entry_html) for entry in feed.entries],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def _json_item(entry: Entry, config: SiteConfig, urls: Urls, entry_html) -> dict:
    article = entry.article
    item = {
        "id": tag_uri(config, article.key),
        "url": urls.absolute(entry.path),
        "title": article.title,
        "content_html": entry_html(entry),
        "date_published": article.date.isoformat(),
        "date_modified": article.updated.isoformat(),
        "authors": [{"name": article.provider.name if article.provider else config.feed_author}],
        "tags": [topic.name for topic in entry.topics],
    }
    if article.summary:
        item["summary"] = article.summary
    if article.source_url:
        item["external_url"] = article.source_url
    if article.image:
        item["image"] = article.image.url
    return item


def render_feed(feed: Feed, config: SiteConfig, urls: Urls, entry_html: Callable[[Entry], str]) -> bytes:
    generator = FeedGenerator()
    generator.id(feed.id)
    generator.title(feed.title)
    generator.subtitle(config.description or config.title)
    generator.author({"name": config.feed_author})
    generator.link(href=urls.absolute(feed.path), rel="self", type="application/atom+xml")
    generator.link(href=urls.absolute(feed.page_path), rel="alternate", type="text/html")
    generator.language(config.language)
    generator.generator("digest", version=__version__)
    # feedgen would stamp the build time; the newest entry's date keeps an unchanged site's feed identical.
    generator.updated(max((e.article.updated for e in feed.entries), default=EMPTY_FEED_DATE))
    for entry in feed.entries:  # already newest first; feedgen prepends unless told otherwise
        _add_entry(generator.add_entry(_Entry(), order="append"), entry, config, urls, entry_html)
    return generator.atom_str(pretty=True)


def _add_entry(item, entry: Entry, config: SiteConfig, urls: Urls, entry_html) -> None:
    article = entry.article
    item.id(tag_uri(config, article.key))
    item.title(article.title)
    item.published(article.date)
    item.updated(article.updated)
    item.author({"name": article.provider.name if article.provider else config.feed_author})
    item.link(href=urls.absolute(entry.path), rel="alternate", type="text/html")
    if article.source_url:
        item.link(href=article.source_url, rel="related", type="text/html")
    if article.summary:
        item.summary(article.summary)
    item.content(entry_html(entry), type="html")
    for topic in entry.topics:
        item.category(term=topic.slug, label=topic.name, scheme=urls.absolute("topics/"))
