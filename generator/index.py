"""The site index: which pages exist, at which paths, listing which articles.

Everything here is decided from the models alone, so the same input always gives the
same pages, slugs and order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from pathlib import PurePosixPath
from urllib.parse import quote

from slugify import slugify

from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.model import Article, Topic
from generator.sources.topics import topic_slug

RESERVED_PAGE_SLUGS = {"topics", "archive", "page", "static", "feed.xml", "404.html"}
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
        return f"topics/{self.topic.slug}/"


@dataclass(frozen=True)
class TopicListing:
    topic: Topic
    entries: tuple[Entry, ...]

    @property
    def path(self) -> str:
        return f"topics/{self.topic.slug}/"

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


@dataclass(frozen=True)
class Feed:
    path: str  # "feed.xml" or "topics/<slug>/feed.xml"
    id: str
    title: str
    page_path: str  # the HTML page the feed mirrors
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Page:
    path: str  # output file, e.g. "page/2/index.html"
    template: str
    context: dict = field(hash=False)
    lastmod: datetime | None = None  # newest content the page shows, for the sitemap; None: not listed

    @property
    def url_path(self) -> str:
        return self.path.removesuffix("index.html")


@dataclass(frozen=True)
class SiteIndex:
    entries: tuple[Entry, ...]  # listed articles, newest first
    pages: tuple[Entry, ...]  # standalone pages such as About
    topics: tuple[TopicListing, ...]
    months: tuple[Month, ...]  # newest first
    feeds: tuple[Feed, ...]


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
        entries=entries, pages=pages, topics=topics, months=_months(entries),
        feeds=_feeds(config, entries, topics),
    )


# What decides where an article is listed: its path, its place in every list, its groups. Edits
# that change none of these (an excerpt, a body, an image) leave the index's shape as it was.
PLACEMENT = ("key", "kind", "draft", "source", "date", "title", "slug", "topics")


def placed_alike(old: Article, new: Article) -> bool:
    return all(getattr(old, name) == getattr(new, name) for name in PLACEMENT)


def update_index(index: SiteIndex, edited: dict[int, Article]) -> SiteIndex:
    """`index` with articles swapped for edited versions placed alike (`edited` maps id(old) -> new).

    What build_index would return for the edited articles, without re-deriving 10,000 paths: every
    list keeps its order and every path stays; lists that hold no edited article are kept as they
    are, so their pages still compare equal by identity."""
    swap = {id(entry): Entry(edited[id(entry.article)], entry.path, entry.topics)
            for entry in index.entries + index.pages if id(entry.article) in edited}

    def swapped(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
        if not any(id(entry) in swap for entry in entries):
            return entries
        return tuple(swap.get(id(entry), entry) for entry in entries)

    def rebuilt(items):  # topic listings, months and feeds: each holds `entries`
        return tuple(item if (entries := swapped(item.entries)) is item.entries else replace(item, entries=entries)
                     for item in items)

    return SiteIndex(entries=swapped(index.entries), pages=swapped(index.pages), topics=rebuilt(index.topics),
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
    site = Feed("feed.xml", tag_uri(config, "feed"), config.title, "", entries[:size])
    return (site,) + tuple(
        Feed(listing.path + "feed.xml", tag_uri(config, f"topic/{listing.topic.slug}"),
             f"{listing.topic.name} · {config.title}", listing.path, listing.entries[:size])
        for listing in topics
    )


def paginate(entries: tuple[Entry, ...], size: int, base: str) -> list[dict]:
    """Pages of at most `size` entries: base/, base/page/2/, ... (an empty list still gets page 1)."""
    chunks = [entries[i : i + size] for i in range(0, len(entries), size)] or [()]
    paths = [base] + [f"{base}page/{n}/" for n in range(2, len(chunks) + 1)]
    return [
        {
            "entries": chunk, "number": n + 1, "count": len(chunks), "path": paths[n],
            "previous": paths[n - 1] if n > 0 else None, "next": paths[n + 1] if n + 1 < len(chunks) else None,
        }
        for n, chunk in enumerate(chunks)
    ]


def newest_update(entries) -> datetime | None:
    return max((e.article.updated for e in entries), default=None)


SITEMAP_LIMIT = 50_000  # URLs per sitemap file (sitemaps.org)


def site_files(config: SiteConfig, pages: list[Page]) -> list[tuple[str, str, dict]]:
    """The files around the pages, as (output path, template, context): sitemaps, robots.txt, CNAME."""
    listed = tuple((page.url_path, page.lastmod) for page in pages if page.lastmod is not None)
    chunks = [listed[i : i + SITEMAP_LIMIT] for i in range(0, len(listed), SITEMAP_LIMIT)] or [()]
    if len(chunks) == 1:
        files = [("sitemap.xml", "sitemap.xml", {"urls": chunks[0]})]
    else:
        names = [f"sitemap-{n}.xml" for n in range(1, len(chunks) + 1)]
        files = [(name, "sitemap.xml", {"urls": chunk}) for name, chunk in zip(names, chunks, strict=True)]
        newest = tuple((name, max(date for _, date in chunk)) for name, chunk in zip(names, chunks, strict=True))
        files.append(("sitemap.xml", "sitemap_index.xml", {"sitemaps": newest}))
    files.append(("robots.txt", "robots.txt", {}))
    if config.cname:
        files.append(("CNAME", "CNAME", {}))
    return files


class Reuse:
    """What was derived from an immutable object, handed back while the object is the very same one.

    The dev server re-derives every page on each save; for the ~10,000 whose entry, month or listing
    the edit left untouched (update_index keeps those objects), this returns last build's Page."""

    def __init__(self):
        self._last: dict[int, tuple[object, object]] = {}
        self._now: dict[int, tuple[object, object]] = {}

    def __call__(self, source, make):
        kept = self._last.get(id(source))
        value = kept[1] if kept is not None and kept[0] is source else make()
        self._now[id(source)] = (source, value)  # holding `source` keeps its id from being reused
        return value

    def next_build(self) -> None:
        self._last, self._now = self._now, {}


def _make(_source, make):
    return make()


def html_pages(config: SiteConfig, index: SiteIndex, reuse=_make) -> list[Page]:
    """Every HTML page of the site with the context its template needs."""
    newest = newest_update(index.entries)
    pages = list(reuse(index.entries, lambda: [
        Page(p["path"] + "index.html", "index.html", {"pagination": p, "feed_path": "feed.xml"},
             newest_update(p["entries"]) or newest)
        for p in paginate(index.entries, config.page_size, "")]))
    pages.append(Page("topics/index.html", "topics.html", {"topics": tuple(t.summary for t in index.topics)}, newest))
    for listing in index.topics:
        pages += reuse(listing, lambda listing=listing: [
            Page(p["path"] + "index.html", "topic.html",
                 {"listing": listing.summary, "pagination": p, "feed_path": listing.path + "feed.xml"},
                 newest_update(p["entries"]))
            for p in paginate(listing.entries, config.page_size, listing.path)])
    pages.append(Page("archive/index.html", "archive.html", {"months": tuple(m.summary for m in index.months)}, newest))
    pages += [reuse(m, lambda m=m: Page(m.path + "index.html", "month.html", {"month": m}, newest_update(m.entries)))
              for m in index.months]
    pages += [reuse(e, lambda e=e: Page(e.path + "index.html", "article.html", {"entry": e}, e.article.updated))
              for e in index.entries]
    pages += [reuse(e, lambda e=e: Page(e.path + "index.html", "page.html", {"entry": e}, e.article.updated))
              for e in index.pages]
    pages.append(Page("404.html", "404.html", {}))
    return pages
