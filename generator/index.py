"""The site index: which pages exist, at which paths, listing which articles.

Everything here is decided from the models alone, so the same input always gives the
same pages, slugs and order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from pathlib import PurePosixPath
from typing import Iterable
from urllib.parse import quote


from generator.addresses import (OUTLET_FEED_ID, RESERVED_PAGE_SLUGS, SITE_FEED_ID, TOPIC_FEED_ID,
                                 edition_name, edition_path, month_path, outlet_path, topic_path)
from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.model import Article, Related, Topic, outlet_key, placement_fields, url_host
from generator.published import NOTHING_PUBLISHED, Published
from generator.records import pickled_by_fields
from generator.stories import Story, cluster_stories
from generator.sources.outlets import OutletLogo
from generator.sources.topics import topic_slug
from generator.urls import slug

NO_TOPIC = Topic(name="Other news", slug="", order=10**9)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Coverage:
    """Another outlet's copy of a story, as the story's page lists it ("Also covered by")."""

    title: str
    outlet: str
    url: str | None
    date: datetime


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Entry:
    """One story as the site lists it: its lead document, shown at `path`."""

    article: Article
    path: str  # folder path relative to the site root, e.g. "2021/01/some-title/"
    topics: tuple[Topic, ...]
    key: str = ""  # the feed identity: the key of the story's earliest document ("" for a page)
    also: tuple[Coverage, ...] = ()  # the story's other copies, by date

    @property
    def feed_key(self) -> str:
        return self.key or self.article.key

    @property
    def month_path(self) -> str:
        return self.path.rsplit("/", 2)[0] + "/"

    @property
    def primary_topic(self) -> Topic:
        return self.topics[0] if self.topics else NO_TOPIC

    @property
    def outlets(self) -> tuple[str, ...]:
        """Every outlet that told the story, its lead's first, each once."""
        return tuple(dict.fromkeys(name for name in (self.article.outlet, *(c.outlet for c in self.also)) if name))

    @property
    def other_outlets(self) -> tuple[Coverage, ...]:
        """"Also covered by": each other outlet once, its headline kept only where it differs from the story's."""
        seen, titles, shown = {self.article.outlet}, {self.article.title.casefold()}, []
        for copy in self.also:
            if copy.outlet and copy.outlet in seen:
                continue
            seen.add(copy.outlet)
            if copy.outlet and copy.title.casefold() in titles:
                copy = replace(copy, title="")
            titles.add(copy.title.casefold())
            shown.append(copy)
        return tuple(shown)

    @property
    def related(self) -> tuple[Related, ...]:
        """"Related coverage" without the story itself or its copies, which are listed above it."""
        urls = {self.article.outlet_url, *(c.url for c in self.also)} - {None}
        titles = {self.article.title.casefold(), *(c.title.casefold() for c in self.also)}
        return tuple(item for item in self.article.related
                     if not (item.url and item.url in urls) and item.title.casefold() not in titles)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class TopicCount:
    """What the topics overview shows, so editing a story re-renders it only when a count changes."""

    topic: Topic
    count: int

    @property
    def path(self) -> str:
        return topic_path(self.topic.slug)


@dataclass(frozen=True)
class TopicListing:
    topic: Topic
    entries: tuple[Entry, ...]

    @property
    def path(self) -> str:
        return topic_path(self.topic.slug)

    @property
    def overview(self) -> TopicCount:
        return TopicCount(self.topic, len(self.entries))


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class MonthCount:
    """What the archive shows of a month."""

    year: int
    month: int
    count: int

    @property
    def path(self) -> str:
        return month_path(self.year, self.month)

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
        return self.overview.path

    @property
    def label(self) -> str:
        return self.overview.label

    @property
    def overview(self) -> MonthCount:
        return MonthCount(self.year, self.month, len(self.entries))

    @property
    def groups(self) -> tuple[tuple[Topic, tuple[Entry, ...]], ...]:
        """Entries grouped by their first topic, in topic display order."""
        return _grouped_by_topic(self.entries)


def _grouped_by_topic(entries) -> tuple[tuple[Topic, tuple[Entry, ...]], ...]:
    grouped: dict[Topic, list[Entry]] = defaultdict(list)
    for entry in entries:
        grouped[entry.primary_topic].append(entry)
    return tuple((topic, tuple(grouped[topic])) for topic in sorted(grouped, key=lambda t: (t.order, t.name)))


def _newest_key(entry: Entry):
    return (-entry.article.date.timestamp(), entry.article.key)


@dataclass(frozen=True)
class Feed:
    """A listing as feeds publish it, in every format of feeds.FEED_FORMATS, beside its page."""

    id: str
    title: str
    page_path: str  # the HTML page the feed mirrors; the feed files sit beside it
    entries: tuple[Entry, ...]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class EditionCount:
    """What the editions overview shows of one week."""

    year: int  # ISO year and week, in the site's time zone
    week: int
    count: int
    lead: str = ""  # the headline of its top story, so a reader can tell the weeks apart

    @property
    def path(self) -> str:
        return edition_path(self.year, self.week)

    @property
    def name(self) -> str:
        return edition_name(self.year, self.week)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def label(self) -> str:
        return f"Week {self.week}, {self.year}"


def story_score(entry: Entry) -> float:
    """How high a story ranks in its week: its heat (0-100), half its quality (0-100), 20 for each
    other outlet that covered it, and 100 when an editor marks a post `featured: true`."""
    article = entry.article
    return (article.heat or 0) + (article.quality or 0) / 2 + 20 * len(entry.also) + 100 * article.featured


@dataclass(frozen=True)
class Edition:
    """One ISO week's stories, best first: the first `size` that reach `minimum_heat` lead it."""

    year: int
    week: int
    entries: tuple[Entry, ...]  # by story_score, then newest, then key
    size: int
    minimum_heat: int | None

    @property
    def overview(self) -> EditionCount:
        leading = self.top or self.entries
        return EditionCount(self.year, self.week, len(self.entries), leading[0].article.title if leading else "")

    @property
    def path(self) -> str:
        return self.overview.path

    @property
    def name(self) -> str:
        return self.overview.name

    @property
    def label(self) -> str:
        return self.overview.label

    @property
    def monday(self) -> date:
        return self.overview.monday

    @property
    def sunday(self) -> date:
        return self.overview.sunday

    @property
    def top(self) -> tuple[Entry, ...]:
        floor = self.minimum_heat
        eligible = [e for e in self.entries if floor is None or e.article.heat is None or e.article.heat >= floor]
        return tuple(eligible[: self.size])

    @property
    def rest(self) -> tuple[tuple[Topic, tuple[Entry, ...]], ...]:
        """The week's other stories, grouped by their first topic in topic display order."""
        top = {id(entry) for entry in self.top}
        return _grouped_by_topic(sorted((e for e in self.entries if id(e) not in top), key=_newest_key))


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Redirect:
    """Where a copy of a story would have had its own page: it sends readers to the story's page."""

    path: str
    target: str  # the story's page


@dataclass(frozen=True)
class SiteIndex:
    entries: tuple[Entry, ...]  # listed stories, newest first, one per story
    standalone: tuple[Entry, ...]  # standalone pages such as About: not listed, not in feeds
    topics: tuple[TopicListing, ...]
    months: tuple[Month, ...]  # newest first
    feeds: tuple[Feed, ...]  # the site's, then each topic's, then each outlet's
    redirects: tuple[Redirect, ...] = ()  # other copies' pages, by path
    stories: tuple[Story, ...] = ()  # every story with more than one copy, for reports
    editions: tuple[Edition, ...] = ()  # newest week first; the first is the week still running

    @property
    def completed_editions(self) -> tuple[Edition, ...]:
        """Every week but the newest: a later story shows that its week is over."""
        return self.editions[1:]

    @property
    def leading_edition(self) -> Edition | None:
        """What the home page leads with: the newest week, or early in a week (fewer than three
        stories yet) the last complete one."""
        if len(self.editions) > 1 and len(self.editions[0].entries) < min(3, self.editions[0].size):
            return self.editions[1]
        return self.editions[0] if self.editions else None
    outlets: tuple[OutletListing, ...] = ()  # every outlet with the stories it covered, by name

    @cached_property
    def newest(self) -> datetime | None:
        """The newest change to any listed article: when the site-wide listings last changed."""
        return newest_update(self.entries)


def path_of(thing) -> str:
    """The site-relative path of anything that has a page: an entry, a topic, a listing, a month, a
    pagination step, a feed's links, or a path given as it is."""
    if isinstance(thing, str):
        return thing
    if isinstance(thing, Topic):
        return topic_path(thing.slug)
    return thing.path


def newest_first(articles) -> list[Article]:
    """Newest date first, ties by key. Two stable sorts: far cheaper than a computed timestamp key."""
    return sorted(sorted(articles, key=lambda a: a.key), key=lambda a: a.date, reverse=True)


def build_index(config: SiteConfig, articles: list[Article], taxonomy: tuple[Topic, ...],
                diagnostics: Diagnostics, drafts: bool = False, logos: tuple[OutletLogo, ...] = (),
                published: Published = NOTHING_PUBLISHED,
                places: tuple[list[str], list[str]] | None = None) -> SiteIndex:
    """`published`, the site's record (published.py), wins over anything computed here: a story it
    lists keeps its id, address and lead, and an outlet its slug. `places`: what
    `article_places(config, articles)` gave, when the caller needed them first."""
    visible = newest_first(a for a in articles if drafts or not a.draft)
    topic_for = _topic_resolver(taxonomy, diagnostics)
    listed = [a for a in visible if a.kind == "article"]
    found = cluster_stories(listed, config.tz, published.precedent(listed), config.editorial)
    held = {id(story.first): path for story in found
            if (path := published.path_of.get(story.key)) and _keeps_address(path, story)}
    folded = frozenset(id(m) for story in found for m in story.members if m is not story.first)
    made = dict(zip(map(id, articles), zip(*places), strict=True)) if places is not None else {}
    placed = _place_articles(config, listed, topic_for, diagnostics, published.addresses, held, folded, made)
    entries, redirects, stories = _one_entry_per_story(placed, found, diagnostics)
    redirects = _moved_stories(entries, redirects, published)
    pages = _place_pages([a for a in visible if a.kind == "page"], diagnostics)
    topics = _topic_listings(entries)
    outlets = _outlet_listings(entries, stories, logos, published)
    return SiteIndex(
        entries=entries, standalone=pages, topics=topics, months=_months(entries),
        feeds=_feeds(config, entries, topics) + _outlet_feeds(config, outlets), redirects=redirects, stories=stories,
        outlets=outlets, editions=_editions(config, entries),
    )


def _moved_stories(entries: tuple[Entry, ...], redirects: tuple[Redirect, ...],
                   published: Published) -> tuple[Redirect, ...]:
    """Every address a published story ever had (the record keeps them) redirects to where it is now, so
    a subscriber's old link or a search engine's never meets a 404."""
    live = {entry.path for entry in entries} | {r.path for r in redirects}
    moved = {old: entry.path for entry in entries if (story := published.story(entry.feed_key))
             for old in (story.path, *story.was) if old not in live}
    if not moved:
        return redirects
    return tuple(sorted((*redirects, *(Redirect(old, new) for old, new in moved.items())), key=lambda r: r.path))


def _keeps_address(path: str, story: Story) -> bool:
    """A published story stays at its address whatever its copies' dates say, as long as its first copy
    keeps the slug the address was made from (an editor's new title or `slug:` moves it, as always)."""
    if story.first.key != story.key:  # the copy it was published from is gone: nothing to move it
        return True
    slug, published = _slug(story.first), path.rstrip("/").rsplit("/", 1)[-1]
    return published == slug or (published.startswith(slug + "-") and published[len(slug) + 1:].isdigit())


def _one_entry_per_story(placed: tuple[Entry, ...], found: tuple[Story, ...], diagnostics: Diagnostics):
    """Every copy of a story keeps the path it would have alone, so no address ever breaks. The story
    is listed once, where its first copy is, showing its lead copy at its first copy's address (its
    published one, which a copy arriving later never moves, just as it never moves the feed id); the
    other copies' addresses redirect there."""
    by_article = {id(entry.article): entry for entry in placed}
    listed, redirects, stories = {}, [], []
    for story in found:
        first, lead = by_article[id(story.first)], by_article[id(story.lead)]
        path = first.path
        if len(story.members) == 1 and story.key == first.article.key:
            continue
        listed[id(story.first)] = replace(lead, path=path, key=story.key, also=tuple(
            Coverage(other.title, other.outlet, other.outlet_url, other.date) for other in story.others))
        for member in story.members:
            if member is not story.first:
                listed[id(member)] = None
            if by_article[id(member)].path != path:
                redirects.append(Redirect(by_article[id(member)].path, path))
        if len(story.members) > 1:
            stories.append(story)
            diagnostics.info(story.lead.file, f"one story with {len(story.members)} copies ({story.reason}); "
                                                f"also {', '.join(other.file for other in story.others)}")
    if not listed:
        return placed, (), ()
    entries = (listed.get(id(entry.article), entry) for entry in placed)
    return (tuple(entry for entry in entries if entry is not None), tuple(sorted(redirects, key=lambda r: r.path)),
            tuple(stories))


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
    swap = {id(entry): replace(entry, article=edited[id(entry.article)])
            for entry in index.entries + index.standalone if id(entry.article) in edited}

    def swapped(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
        if not any(id(entry) in swap for entry in entries):
            return entries
        return tuple(swap.get(id(entry), entry) for entry in entries)

    def rebuilt(items):  # topic listings, months and feeds: each holds `entries`
        return tuple(item if (entries := swapped(item.entries)) is item.entries else replace(item, entries=entries)
                     for item in items)

    return replace(index, entries=swapped(index.entries), standalone=swapped(index.standalone),
                   topics=rebuilt(index.topics), months=rebuilt(index.months), feeds=rebuilt(index.feeds),
                   editions=rebuilt(index.editions), outlets=rebuilt(index.outlets))


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


def _place_articles(config, articles, topic_for, diagnostics, reserved: Iterable[str] = (),
                    held: dict[int, str] | None = None, folded: frozenset[int] = frozenset(),
                    made: dict[int, tuple[str, str]] | None = None) -> tuple[Entry, ...]:
    """Give each article a path /YYYY/MM/<slug>/. A published address (`reserved`) is taken by no
    article but the one that `held` gives it to (id(article) -> path: its story's first copy); among
    the rest, the earliest article keeps a contested slug. A copy `folded` into another's story is never
    listed (its address only redirects), so its slug moving aside is worth no warning. `made`: month
    folders and slugs already made (id(article) -> both)."""
    taken, held, made = {path.rstrip("/") for path in reserved}, held or {}, made or {}  # as _unique_slug keeps them
    paths: list[str] = []  # by position, not by key: articles sharing a key must not share a path
    for article in reversed(articles):  # oldest first: the earliest article keeps a contested slug
        base, slug = made.get(id(article)) or (_month_folder(article.date, config.tz), _slug(article))
        if id(article) in held:
            paths.append(held[id(article)])
            if paths[-1] != f"{base}{slug}/" and f"{base}{slug}" in taken:
                diagnostics.warn(article.file, f"slug '{slug}' is already used in /{base}; this page is /{paths[-1]}")
        else:
            told = Diagnostics() if id(article) in folded else diagnostics
            paths.append(base + _unique_slug(base, slug, taken, article, told) + "/")
    paths.reverse()
    combinations: dict[tuple[str, ...], tuple[Topic, ...]] = {}  # thousands of articles share a few dozen

    def topics_of(article: Article) -> tuple[Topic, ...]:
        if article.topics not in combinations:
            combinations[article.topics] = tuple(dict.fromkeys(topic_for(n, article.file) for n in article.topics))
        return combinations[article.topics]

    return tuple(Entry(article, path, topics_of(article)) for article, path in zip(articles, paths, strict=True))


def article_places(config: SiteConfig, articles: list[Article]) -> tuple[list[str], list[str]]:
    """Each article's month folder and slug, in the order given: its page's folder is both joined
    (YYYY/MM/<slug>/) unless another article or a published address holds that slug."""
    return [_month_folder(a.date, config.tz) for a in articles], [_slug(a) for a in articles]


@lru_cache(maxsize=1 << 18)  # the dev server re-indexes on every save: a time-zone conversion is the dear part
def _month_folder(date: datetime, tz) -> str:
    local = date.astimezone(tz)
    return month_path(local.year, local.month)


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
    return slug(text, 80, APOSTROPHES)


def _slug(article: Article) -> str:
    return make_slug(article.slug or article.title) or make_slug(_name(article)) or "item"


def _name(article: Article) -> str:
    """What a slug falls back to: the document's `id`, else its file name without the extension."""
    return PurePosixPath(article.file).stem if article.key == article.file else article.key


def _unique_slug(base: str, slug: str, taken: set[str], article: Article, diagnostics: Diagnostics) -> str:
    candidate, number = slug, 1
    while base + candidate in taken:
        number += 1
        candidate = f"{slug}-{number}"
    if candidate != slug:
        diagnostics.warn(article.file, f"slug '{slug}' is already used in /{base}; this page is /{base}{candidate}/")
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


def _editions(config: SiteConfig, entries: tuple[Entry, ...]) -> tuple[Edition, ...]:
    weeks: dict[tuple[int, int], list[Entry]] = defaultdict(list)
    for entry in entries:
        weeks[_iso_week(entry.article.date, config.tz)].append(entry)
    return tuple(
        Edition(year, week, tuple(sorted(weeks[year, week], key=lambda e: (-story_score(e), *_newest_key(e)))),
                config.edition_size, config.minimum_heat)
        for year, week in sorted(weeks, reverse=True))


@lru_cache(maxsize=1 << 18)
def _iso_week(moment: datetime, tz) -> tuple[int, int]:
    year, week, _ = moment.astimezone(tz).isocalendar()
    return year, week


def tag_uri(config: SiteConfig, specific: str) -> str:
    """A permanent id (RFC 4151) that no URL, base path, title or slug change can alter."""
    return f"tag:{config.id_authority}:{quote(specific, safe='/-._~')}"


def _feeds(config: SiteConfig, entries, topics) -> tuple[Feed, ...]:
    site = Feed(tag_uri(config, SITE_FEED_ID), config.title, "", entries[:config.feed_size])
    return (site,) + tuple(
        Feed(tag_uri(config, TOPIC_FEED_ID + listing.topic.slug),
             f"{listing.topic.name} · {config.title}", listing.path, listing.entries[:config.topic_feed_size])
        for listing in topics
    )


def newest_update(entries) -> datetime | None:
    return max((e.article.updated for e in entries), default=None)


# ---- outlets: /sources/ and /sources/<slug>/ ---------------------------------------------------------


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Outlet:
    """A publisher whose stories the site lists: the provider an item names, else its URL's host."""

    name: str
    slug: str
    logo: str = ""  # an image the site ships (content/outlets.yml), site-relative; "" for none

    @property
    def path(self) -> str:
        return outlet_path(self.slug)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class OutletCount:
    """What the outlets overview shows, so editing a story re-renders it only when a count changes."""

    outlet: Outlet
    count: int

    @property
    def path(self) -> str:
        return self.outlet.path


@dataclass(frozen=True)
class OutletListing:
    outlet: Outlet
    entries: tuple[Entry, ...]  # newest first, each story once

    @property
    def path(self) -> str:
        return self.outlet.path

    @property
    def overview(self) -> OutletCount:
        return OutletCount(self.outlet, len(self.entries))


def _links_to(article: Article, domain: str) -> bool:
    """The story's own link leads to `domain`: an item may name any provider domain, but not link elsewhere
    than where it links."""
    host = outlet_key(url_host(article.outlet_url)) if article.outlet_url else ""
    return host == domain or host.endswith("." + domain)


def _outlet_listings(entries: tuple[Entry, ...], stories: tuple[Story, ...], logos: tuple[OutletLogo, ...],
                     published: Published = NOTHING_PUBLISHED) -> tuple[OutletListing, ...]:
    """A story is listed on the page of every outlet that told it (its lead's and each other copy's),
    once per outlet. A document with neither a provider nor a source URL (a post) has no outlet."""
    copies = {story.key: story.members for story in stories}
    listed: dict[str, list[Entry]] = defaultdict(list)
    spellings: dict[str, Counter] = defaultdict(Counter)
    domains: dict[str, set[str]] = defaultdict(set)
    linked: dict[str, set[str]] = defaultdict(set)
    since: dict[str, datetime] = {}  # each outlet's earliest copy of its own
    for entry in entries:
        for article in copies.get(entry.key) or (entry.article,):
            name = article.outlet
            if not name:
                continue
            key = outlet_key(name)
            spellings[key][name] += 1
            domain = outlet_key(article.provider.domain if article.provider else name)
            if domain:
                domains[key].add(domain)
            if domain and _links_to(article, domain):  # a logo by domain only for the domain it links to
                linked[key].add(domain)
            since[key] = min(since.get(key, article.date), article.date)
            if not listed[key] or listed[key][-1] is not entry:
                listed[key].append(entry)
    logo_of = {outlet_key(logo.outlet): logo.path for logo in logos}
    taken: set[str] = set(published.outlets)
    outlets = {}
    # A published outlet keeps its slug. Among the others the outlet whose own first copy is earliest
    # keeps a contested slug, as articles do: one arriving later takes "-2" and moves no address or
    # feed id that readers already have.
    for key in sorted(listed, key=lambda k: (since[k], k)):
        name = max(reversed(spellings[key]), key=spellings[key].__getitem__)  # the commonest; tied: the oldest
        candidate = published.slug_of.get(key)
        if candidate is None:
            slug = make_slug(key) or make_slug(min(domains[key], default="")) or "outlet"  # not from the shown spelling
            candidate, number = slug, 1
            while candidate in taken:
                number += 1
                candidate = f"{slug}-{number}"
            taken.add(candidate)
        logo = logo_of.get(key) or next((logo_of[d] for d in sorted(linked[key]) if d in logo_of), "")
        outlets[key] = Outlet(name, candidate, logo)
    ordered = sorted(outlets, key=lambda k: (outlets[k].name.casefold(), outlets[k].name, outlets[k].slug))
    return tuple(OutletListing(outlets[key], tuple(listed[key])) for key in ordered)


def _outlet_feeds(config: SiteConfig, outlets: tuple[OutletListing, ...]) -> tuple[Feed, ...]:
    return tuple(Feed(tag_uri(config, OUTLET_FEED_ID + listing.outlet.slug), f"{listing.outlet.name} · {config.title}",
                      listing.path, listing.entries[:config.topic_feed_size]) for listing in outlets)
