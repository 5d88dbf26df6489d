"""The site index: which pages exist, at which paths, listing which articles.

Everything here is decided from the models alone, so the same input always gives the
same pages, slugs and order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import PurePosixPath
from urllib.parse import quote

from slugify import slugify

from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.model import Article, Topic, placement_fields
from generator.sources.topics import topic_slug

RESERVED_PAGE_SLUGS = {"topics", "archive", "page", "static", "feed.xml", "404.html", "search", "pagefind"}
NO_TOPIC = Topic(name="Other news", slug="", order=10**9)


@dataclass(frozen=True, slots=True)
class Entry:
    article: Article
    path: str  # folder path relative to the site root, e.g. "2021/01/some-title/"
    topics: tuple[Topic, ...]

    @property
    def month_path(self) -> str:
        return self.path.rsplit("/", 2)[0] + "/"

    @property
    def primary_topic(self) -> Topic:
        return self.topics[0] if self.topics else NO_TOPIC


@dataclass(frozen=True, slots=True)
class TopicCount:
    """What the topics overview shows, so editing a story re-renders it only when a count changes."""

    topic: Topic
    count: int

    @property
    def path(self) -> str:
        return topic_path(self.topic)


@dataclass(frozen=True)
class TopicListing:
    topic: Topic
    entries: tuple[Entry, ...]

    @property
    def path(self) -> str:
        return topic_path(self.topic)

    @property
    def summary(self) -> TopicCount:
        return TopicCount(self.topic, len(self.entries))


@dataclass(frozen=True, slots=True)
class MonthCount:
    """What the archive shows of a month."""

    year: int
    month: int
    count: int

    @property
    def path(self) -> str:
        return f"{self.year:04d}/{self.month:02d}/"

    @property
    def label(self) -> str:
        return datetime(self.year, self.month, 1).strftime("%B %Y")


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    entries: tuple[Entry, ...]

    @property
    def path(self) -> str:
        return self.summary.path

    @property
    def label(self) -> str:
        return self.summary.label

    @property
    def summary(self) -> MonthCount:
        return MonthCount(self.year, self.month, len(self.entries))

    @property
    def groups(self) -> tuple[tuple[Topic, tuple[Entry, ...]], ...]:
        """Entries grouped by their first topic, in topic display order."""
        grouped: dict[Topic, list[Entry]] = defaultdict(list)
        for entry in self.entries:
            grouped[entry.primary_topic].append(entry)
        return tuple((topic, tuple(grouped[topic])) for topic in sorted(grouped, key=lambda t: (t.order, t.name)))


@dataclass(frozen=True, slots=True)
class FeedLinks:
    """Where a listing's feed is published, in both formats."""

    atom: str
    json: str


def feed_links(page_path: str) -> FeedLinks:
    """The feeds of the listing at `page_path` ("" for the site, "topics/<slug>/" for a topic)."""
    return FeedLinks(page_path + "feed.xml", page_path + "feed.json")


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    page_path: str  # the HTML page the feed mirrors; the feed files sit beside it
    entries: tuple[Entry, ...]

    @property
    def links(self) -> FeedLinks:
        return feed_links(self.page_path)

    @property
    def path(self) -> str:
        return self.links.atom


@dataclass(frozen=True)
class SiteIndex:
    entries: tuple[Entry, ...]  # listed articles, newest first
    standalone: tuple[Entry, ...]  # standalone pages such as About: not listed, not in feeds
    topics: tuple[TopicListing, ...]
    months: tuple[Month, ...]  # newest first
    feeds: tuple[Feed, ...]  # the site's, then each topic's

    @cached_property
    def newest(self) -> datetime | None:
        """The newest change to any listed article: when the site-wide listings last changed."""
        return newest_update(self.entries)


def topic_path(topic: Topic) -> str:
    return f"topics/{topic.slug}/"


def path_of(thing) -> str:
    """The site-relative path of anything that has a page: an entry, a topic, a listing, a month, a
    pagination step, a feed's links, or a path given as it is."""
    if isinstance(thing, str):
        return thing
    if isinstance(thing, Topic):
        return topic_path(thing)
    return thing.path


def newest_first(articles) -> list[Article]:
    """Newest date first, ties by key. Two stable sorts: far cheaper than a computed timestamp key."""
    return sorted(sorted(articles, key=lambda a: a.key), key=lambda a: a.date, reverse=True)


def build_index(config: SiteConfig, articles: list[Article], taxonomy: tuple[Topic, ...],
                diagnostics: Diagnostics, drafts: bool = False) -> SiteIndex:
    visible = newest_first(a for a in articles if drafts or not a.draft)
    topic_for = _topic_resolver(taxonomy, diagnostics)
    listed = [a for a in visible if a.kind == "article"]
    entries = _place_articles(config, listed, topic_for, diagnostics)
    pages = _place_pages([a for a in visible if a.kind == "page"], diagnostics)
    topics = _topic_listings(entries)
    return SiteIndex(
        entries=entries, standalone=pages, topics=topics, months=_months(entries),
        feeds=_feeds(config, entries, topics),
    )


# What decides where an article is listed (model.placement): edits that change none of these (an
# excerpt, a body, an image) leave the index's shape as it was.
PLACEMENT = placement_fields()


def placed_alike(old: Article, new: Article) -> bool:
    return all(getattr(old, name) == getattr(new, name) for name in PLACEMENT)


def update_index(index: SiteIndex, edited: dict[int, Article]) -> SiteIndex:
    """`index` with articles swapped for edited versions placed alike (`edited` maps id(old) -> new).

    What build_index would return for the edited articles, without re-deriving 10,000 paths: every
    list keeps its order and every path stays; lists that hold no edited article are kept as they
    are, so their pages still compare equal by identity."""
    swap = {id(entry): Entry(edited[id(entry.article)], entry.path, entry.topics)
            for entry in index.entries + index.standalone if id(entry.article) in edited}

    def swapped(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
        if not any(id(entry) in swap for entry in entries):
            return entries
        return tuple(swap.get(id(entry), entry) for entry in entries)

    def rebuilt(items):  # topic listings, months and feeds: each holds `entries`
        return tuple(item if (entries := swapped(item.entries)) is item.entries else replace(item, entries=entries)
                     for item in items)

    return SiteIndex(entries=swapped(index.entries), standalone=swapped(index.standalone), topics=rebuilt(index.topics),
                     months=rebuilt(index.months), feeds=rebuilt(index.feeds))


def _topic_resolver(taxonomy: tuple[Topic, ...], diagnostics: Diagnostics):
    by_slug = {t.slug: t for t in taxonomy}
    by_name = {t.name: t for t in taxonomy}
    extra_order = max((t.order for t in taxonomy), default=0) + 1

    def resolve(name: str, source: str) -> Topic:
        if name in by_name:
            return by_name[name]
        slug = topic_slug(name)
        if slug in by_slug:
            diagnostics.warn(source, f"topic '{name}' shares the slug '{slug}' with '{by_slug[slug].name}'; merged")
            topic = by_slug[slug]
        else:
            topic = by_slug[slug] = _extra_topic(name, slug, extra_order)
        by_name[name] = topic
        return topic

    return resolve


@lru_cache(maxsize=4096)
def _extra_topic(name: str, slug: str, order: int) -> Topic:
    """The same object on every build, so unchanged pages compare equal by identity, cheaply."""
    return Topic(name=name, slug=slug, order=order)


def _place_articles(config, articles, topic_for, diagnostics) -> tuple[Entry, ...]:
    """Give each article a path /YYYY/MM/<slug>/; the earliest article keeps a contested slug."""
    taken: set[str] = set()
    paths: list[str] = []  # by position, not by key: articles sharing a key must not share a path
    for article in reversed(articles):  # oldest first: the earliest article keeps a contested slug
        base = _month_folder(article.date, config.tz)
        paths.append(base + _unique_slug(base, _slug(article), taken, article, diagnostics) + "/")
    paths.reverse()
    combinations: dict[tuple[str, ...], tuple[Topic, ...]] = {}  # thousands of articles share a few dozen

    def topics_of(article: Article) -> tuple[Topic, ...]:
        if article.topics not in combinations:
            combinations[article.topics] = tuple(dict.fromkeys(topic_for(n, article.source) for n in article.topics))
        return combinations[article.topics]

    return tuple(Entry(article, path, topics_of(article)) for article, path in zip(articles, paths, strict=True))


@lru_cache(maxsize=1 << 18)  # the dev server re-indexes on every save: a time-zone conversion is the dear part
def _month_folder(date: datetime, tz) -> str:
    local = date.astimezone(tz)
    return f"{local.year:04d}/{local.month:02d}/"


def _place_pages(pages, diagnostics) -> tuple[Entry, ...]:
    taken = set(RESERVED_PAGE_SLUGS)
    placed = []
    for page in sorted(pages, key=lambda a: a.key):
        slug = _unique_slug("", make_slug(page.slug or _name(page)) or "page", taken, page, diagnostics)
        placed.append(Entry(page, slug + "/", ()))
    return tuple(placed)


APOSTROPHES = [["'", ""], ["\u2019", ""]]


@lru_cache(maxsize=1 << 16)  # the dev server re-indexes on every save; titles rarely change
def make_slug(text: str) -> str:
    return slugify(text, max_length=80, word_boundary=True, replacements=APOSTROPHES)


def _slug(article: Article) -> str:
    return make_slug(article.slug or article.title) or make_slug(_name(article)) or "item"


def _name(article: Article) -> str:
    """What a slug falls back to: the document's `id`, else its file name without the extension."""
    return PurePosixPath(article.source).stem if article.key == article.source else article.key


def _unique_slug(base: str, slug: str, taken: set[str], article: Article, diagnostics: Diagnostics) -> str:
    candidate, number = slug, 1
    while base + candidate in taken:
        number += 1
        candidate = f"{slug}-{number}"
    if candidate != slug:
        diagnostics.warn(article.source, f"slug '{slug}' is already used in /{base}; this page is /{base}{candidate}/")
    taken.add(base + candidate)
    return candidate


def _topic_listings(entries: tuple[Entry, ...]) -> tuple[TopicListing, ...]:
    listed: dict[Topic, list[Entry]] = defaultdict(list)
    for entry in entries:
        for topic in entry.topics:
            listed[topic].append(entry)
    ordered = sorted(listed, key=lambda t: (t.order, t.name.lower()))
    return tuple(TopicListing(topic, tuple(listed[topic])) for topic in ordered)


def _months(entries: tuple[Entry, ...]) -> tuple[Month, ...]:
    grouped: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        grouped[entry.path[:8]].append(entry)  # "YYYY/MM/": _place_articles put it there in local time
    return tuple(Month(int(month[:4]), int(month[5:7]), tuple(grouped[month])) for month in sorted(grouped, reverse=True))


def tag_uri(config: SiteConfig, specific: str) -> str:
    """A permanent id (RFC 4151) that no URL, base path, title or slug change can alter."""
    return f"tag:{config.id_authority}:{quote(specific, safe='/-._~')}"


def _feeds(config: SiteConfig, entries, topics) -> tuple[Feed, ...]:
    size = config.feed_size
    site = Feed(tag_uri(config, "feed"), config.title, "", entries[:size])
    return (site,) + tuple(
        Feed(tag_uri(config, f"topic/{listing.topic.slug}"),
             f"{listing.topic.name} · {config.title}", listing.path, listing.entries[:size])
        for listing in topics
    )


def newest_update(entries) -> datetime | None:
    return max((e.article.updated for e in entries), default=None)
