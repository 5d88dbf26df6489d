"""Atom (with feedgen) and JSON Feed 1.1, made reproducible: same input, same bytes, same entry ids.

Both formats are written from the same FeedItems, so they can never disagree about an entry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Callable

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator

from generator import __version__
from generator.addresses import ATOM_FILE, EDITION_ENTRY_ID, JSON_FEED_FILE
from generator.config import SiteConfig
from generator.images.plan import share_url
from generator.index import Edition, Entry, Feed, tag_uri
from generator.urls import Urls

EMPTY_FEED_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)
LINK_ATTRIBUTES = ("rel", "type", "hreflang", "title", "length")


@dataclass(frozen=True, slots=True)
class Category:
    term: str  # the topic's slug
    label: str  # its name


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry as both formats publish it."""

    id: str  # permanent: a tag URI minted from the key of the story's earliest copy
    url: str  # its page on this site, absolute
    title: str
    content_html: str  # absolute links only
    published: datetime
    updated: datetime
    author: str
    summary: str  # "" when the content says it all
    outlet_url: str | None  # the story at its outlet
    image_url: str | None
    categories: tuple[Category, ...]


def feed_item(entry: Entry, config: SiteConfig, urls: Urls, entry_html: Callable[[Entry], str]) -> FeedItem:
    article = entry.article
    return FeedItem(
        id=tag_uri(config, entry.feed_key), url=urls.absolute(entry.path), title=article.title,
        content_html=entry_html(entry), published=article.date, updated=article.updated,
        # No separate summary: the content already holds its text, and a feed says everything once.
        author=article.outlet or config.feed_author, summary="",
        outlet_url=article.outlet_url, image_url=share_url(article.image, urls),
        categories=tuple(Category(topic.slug, topic.name) for topic in entry.topics),
    )


def edition_item(edition: Edition, config: SiteConfig, urls: Urls, content_html: str) -> FeedItem:
    """A completed week. Its id is minted from the week alone, so a story joining it late changes
    its `updated`, never its id; it is published when the week ends, in the site's time zone."""
    ended = datetime.combine(edition.sunday + timedelta(days=1), time(), config.tz)
    return FeedItem(
        id=tag_uri(config, EDITION_ENTRY_ID + edition.name), url=urls.absolute(edition.path),
        title=f"{edition.label}: top stories", content_html=content_html, published=ended,
        updated=max([ended, *(entry.article.updated for entry in edition.entries)]), author=config.feed_author,
        summary=f"The week's {len(edition.top)} top stories in {config.title}.", outlet_url=None,
        image_url=None, categories=(),
    )


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


def render_json_feed(feed: Feed, items: list[FeedItem], path: str, config: SiteConfig, urls: Urls) -> bytes:
    """JSON Feed 1.1 from the same entries as the Atom feed, with the same permanent ids."""
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": urls.absolute(feed.page_path),
        "feed_url": urls.absolute(path),
        "description": config.description or config.title,
        "language": config.language,
        "authors": [{"name": config.feed_author}],
        "items": [_json_item(item) for item in items],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def _json_item(item: FeedItem) -> dict:
    data = {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "content_html": item.content_html,
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
        "authors": [{"name": item.author}],
        "tags": [category.label for category in item.categories],
    }
    if item.summary:
        data["summary"] = item.summary
    if item.outlet_url:
        data["external_url"] = item.outlet_url
    if item.image_url:
        data["image"] = item.image_url
    return data


def render_atom_feed(feed: Feed, items: list[FeedItem], path: str, config: SiteConfig, urls: Urls) -> bytes:
    generator = FeedGenerator()
    generator.id(feed.id)
    generator.title(feed.title)
    generator.subtitle(config.description or config.title)
    generator.author({"name": config.feed_author})
    generator.link(href=urls.absolute(path), rel="self", type=ATOM.media_type)
    generator.link(href=urls.absolute(feed.page_path), rel="alternate", type="text/html")
    generator.language(config.language)
    generator.generator("digest", version=__version__)
    # feedgen would stamp the build time; the newest entry's date keeps an unchanged site's feed identical.
    generator.updated(max((item.updated for item in items), default=EMPTY_FEED_DATE))
    for item in items:  # already newest first; feedgen prepends unless told otherwise
        _add_entry(generator.add_entry(_Entry(), order="append"), item, urls)
    return generator.atom_str(pretty=True)


def _add_entry(entry, item: FeedItem, urls: Urls) -> None:
    entry.id(item.id)
    entry.title(item.title)
    entry.published(item.published)
    entry.updated(item.updated)
    entry.author({"name": item.author})
    entry.link(href=item.url, rel="alternate", type="text/html")
    if item.outlet_url:
        entry.link(href=item.outlet_url, rel="related", type="text/html")
    if item.summary:
        entry.summary(item.summary)
    entry.content(item.content_html, type="html")
    if item.categories:  # in one call: feedgen copies its list on each
        scheme = urls.absolute("topics/")
        entry.category([{"term": c.term, "label": c.label, "scheme": scheme} for c in item.categories])


@dataclass(frozen=True, slots=True)
class FeedFormat:
    """One way a feed is published: every listing with a feed offers each of FEED_FORMATS."""

    name: str
    file_name: str  # beside the page the feed mirrors
    media_type: str  # of the file, and of the page's <link rel="alternate">
    label: str  # how a page names it: "Subscribe (Atom feed)"
    render: Callable[[Feed, list[FeedItem], str, SiteConfig, Urls], bytes]  # (feed, items, its path, ...)

    def path(self, page_path: str) -> str:
        return page_path + self.file_name


ATOM = FeedFormat("atom", ATOM_FILE, "application/atom+xml", "Atom", render_atom_feed)
JSON_FEED = FeedFormat("json", JSON_FEED_FILE, "application/feed+json", "JSON Feed", render_json_feed)
FEED_FORMATS = (ATOM, JSON_FEED)  # the first is the one a page links in words and OPML lists
