"""Everything the site contains, in one table: `site_outputs` lists each kind of output, and each
function below says where its files go, which template makes them and what decides their bytes.

To add a page type: write a function returning Outputs, list it in `site_outputs`, add its template
to the theme, and a test. Paths come from the index (`path_of`); templates link with `url_for`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import format_datetime
from enum import Enum
from typing import Callable, Iterable

from generator.addresses import (ARCHIVE, CNAME_FILE, EDITIONS, EDITIONS_FEED_ID, EMAIL_HTML_FILE, EMAIL_TEXT_FILE,
                                 INDEX_FILE, NOJEKYLL_FILE, NOT_FOUND_FILE, OPML_FILE, OUTLETS, ROBOTS_FILE, SEARCH,
                                 SITEMAP_FILE, TOPICS, page_path)
from generator.config import SiteConfig
from generator.feeds import FEED_FORMATS, FeedFormat
from generator.images.plan import MANIFEST_PATH, published_manifest, shown_images
from generator.index import Entry, Feed, SiteIndex, newest_update, tag_uri
from generator.output import OutputError
from generator.records import pickled_by_fields
from generator.search import index_files

SITEMAP_LIMIT = 50_000  # URLs per sitemap file (sitemaps.org)


class Writer(Enum):
    """How an output's bytes are made (render.Renderer has one writer for each)."""

    TEMPLATE = "template"  # the template, given the context
    EMAIL = "email"  # the same, with its styles moved into the elements, as mail clients need
    FEED = "feed"  # context["feed"] in the output's `format`
    BYTES = "bytes"  # context["bytes"], as they are
    FILE = "file"  # context["image"], an ImageFile, copied from the image store


@dataclass(frozen=True, slots=True)
class Output:
    """One file of the site. Its `writer` makes its bytes from `template`, `context` and `format` alone."""

    path: str  # file in the output folder, e.g. "2021/01/some-title/index.html"
    template: str  # editing it (or anything it includes) re-renders this output
    context: dict = field(hash=False)  # everything the template is given: equal context, equal bytes
    lastmod: datetime | None = None  # newest content shown, for the sitemap
    writer: Writer = Writer.TEMPLATE
    format: FeedFormat | None = None  # a feed's format
    sitemap: bool = False  # a page search engines should list: in /sitemap.xml

    @property
    def url_path(self) -> str:
        return self.path.removesuffix(INDEX_FILE)

    @property
    def inputs(self) -> tuple:
        """What decides this output's bytes, besides the templates, settings and site navigation."""
        return (self.writer, self.template, self.context, self.format and self.format.name)


def page(folder: str, template: str, context: dict, lastmod: datetime | None, sitemap: bool = True) -> Output:
    """The page of a folder ("topics/ai/"), listed in the sitemap unless said otherwise."""
    return Output(folder + INDEX_FILE, template, context, lastmod, sitemap=sitemap)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed as a page offers it: in <link rel="alternate"> (base.html) and in words."""

    title: str
    label: str  # the format's: "Atom"
    media_type: str
    path: str


def feed_links(feed: Feed) -> tuple[FeedLink, ...]:
    """The feed in each format, the first format first."""
    return tuple(FeedLink(feed.title, format.label, format.media_type, format.path(feed.page_path))
                 for format in FEED_FORMATS)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Pagination:
    """One page of a paginated listing: base/, base/page/2/, ..."""

    entries: tuple[Entry, ...]
    number: int
    count: int
    path: str
    previous: str | None
    next: str | None


def site_outputs(config: SiteConfig, index: SiteIndex, reuse=None) -> list[Output]:
    """The whole site. `reuse` (see Reuse) hands back last build's outputs for unchanged index parts."""
    reuse = reuse or _make
    made = [
        *home_pages(config, index, reuse),  # /, /page/2/, ...
        topics_overview(index),  # /topics/
        *topic_pages(config, index, reuse),  # /topics/<slug>/ (+ /page/N/)
        outlets_overview(index),  # /sources/
        *outlet_pages(config, index, reuse),  # /sources/<slug>/ (+ /page/N/)
        archive(index),  # /archive/
        *month_pages(index, reuse),  # /YYYY/MM/
        *article_pages(index, reuse),  # /YYYY/MM/<slug>/
        *redirect_pages(index),  # /YYYY/MM/<slug>/ of a story's other copies
        *standalone_pages(index, reuse),  # /about/, ...
        editions_overview(config, index),  # /editions/
        *edition_pages(config, index, reuse),  # /editions/YYYY-Www/
        *search_pages(config, index),  # /search/, its index /search/index/ and /search/words.json
        not_found(),  # /404.html
        *edition_emails(config, index),  # /editions/YYYY-Www/email.html and email.txt
        *feeds(index),  # /feed.xml and /feed.json, and each topic's and outlet's
        *edition_feeds(config, index),  # /editions/feed.xml and feed.json: one entry per completed week
        *site_files(config),  # /robots.txt, /CNAME, /.nojekyll
        *image_files(config, index),  # /images/: the stored images the pages show, and index.json listing them
    ]
    # Made from the outputs above, whichever function made them:
    return [*made, *sitemaps(made), feeds_opml(index, made)]  # /sitemap.xml, /feeds.opml


def home_pages(config: SiteConfig, index: SiteIndex, reuse) -> list[Output]:
    """The first page leads with the current weekly edition's top stories; base.html offers the site's feeds."""
    return reuse(index.entries, lambda: [
        page(p.path, "index.html", {"pagination": p, "edition": index.leading_edition if p.number == 1 else None},
             newest_update(p.entries) or index.newest)
        for p in paginate(index.entries, config.page_size, "")])


def topics_overview(index: SiteIndex) -> Output:
    return page(TOPICS.path, "topics.html", {"topics": tuple(t.overview for t in index.topics)}, index.newest)


def topic_pages(config: SiteConfig, index: SiteIndex, reuse) -> list[Output]:
    return _listing_pages(config, index.topics, index.feeds, "topic.html", reuse)


def outlets_overview(index: SiteIndex) -> Output:
    return page(OUTLETS.path, "outlets.html", {"outlets": tuple(o.overview for o in index.outlets)}, index.newest)


def outlet_pages(config: SiteConfig, index: SiteIndex, reuse) -> list[Output]:
    return _listing_pages(config, index.outlets, index.feeds, "outlet.html", reuse)


def _listing_pages(config: SiteConfig, listings, feeds: tuple[Feed, ...], template: str, reuse) -> list[Output]:
    """Each listing's stories, paginated, offering its feeds on every page."""
    feed_of = {feed.page_path: feed for feed in feeds}
    pages = []
    for listing in listings:
        pages += reuse(listing, lambda listing=listing, links=feed_links(feed_of[listing.path]): [
            page(p.path, template, {"listing": listing.overview, "pagination": p, "feeds": links},
                 newest_update(p.entries))
            for p in paginate(listing.entries, config.page_size, listing.path)])
    return pages


def archive(index: SiteIndex) -> Output:
    return page(ARCHIVE.path, "archive.html", {"months": tuple(m.overview for m in index.months)}, index.newest)


def month_pages(index: SiteIndex, reuse) -> list[Output]:
    return [reuse(m, lambda m=m: page(m.path, "month.html", {"month": m}, newest_update(m.entries)))
            for m in index.months]


def article_pages(index: SiteIndex, reuse) -> list[Output]:
    return [reuse(e, lambda e=e: page(e.path, "article.html", {"entry": e}, e.article.updated))
            for e in index.entries]


def redirect_pages(index: SiteIndex) -> list[Output]:
    """Not listed anywhere, not in the sitemap: they only keep a copy's address working."""
    return [page(r.path, "redirect.html", {"redirect": r}, None, sitemap=False) for r in index.redirects]


def standalone_pages(index: SiteIndex, reuse) -> list[Output]:
    return [reuse(e, lambda e=e: page(e.path, "page.html", {"entry": e}, e.article.updated))
            for e in index.standalone]


def editions_feed(config: SiteConfig) -> Feed:
    """The weeks' feed: its entries are editions (edition_feeds), not stories."""
    return Feed(tag_uri(config, EDITIONS_FEED_ID), f"Weekly editions · {config.title}", EDITIONS.path, ())


def editions_overview(config: SiteConfig, index: SiteIndex) -> Output:
    return page(EDITIONS.path, "editions.html",
                {"editions": tuple(e.overview for e in index.editions), "feeds": feed_links(editions_feed(config))},
                index.newest)


def edition_pages(config: SiteConfig, index: SiteIndex, reuse) -> list[Output]:
    """Each week links the weeks before and after it; the newest says it is still running."""
    links = feed_links(editions_feed(config))
    weeks = index.editions

    def edition_page(n: int, email: bool) -> Output:
        newer = weeks[n - 1].overview if n > 0 else None
        older = weeks[n + 1].overview if n + 1 < len(weeks) else None
        return page(weeks[n].path, "edition.html", {"edition": weeks[n], "email": email, "feeds": links,
                                                    "newer": newer, "older": older, "running": n == 0},
                    newest_update(weeks[n].entries))

    # Only older weeks are reused as they are: whether a week links an email copy changes as weeks pass.
    # (Their neighbours stay as they were: an edit that adds or moves a week re-indexes, making new editions.)
    return [edition_page(n, True) if n < EMAILED_EDITIONS else reuse(e, lambda n=n: edition_page(n, False))
            for n, e in enumerate(weeks)]


EMAILED_EDITIONS = 2  # the week running and the last complete one: the weeks a newsletter goes out for


def edition_emails(config: SiteConfig, index: SiteIndex) -> list[Output]:
    """The newest editions ready for a newsletter tool: styles inlined, every link absolute; and as plain
    text. Older weeks keep their pages; a copy for mail nobody will send again is not published."""
    links = feed_links(editions_feed(config))
    return [output for e in index.editions[:EMAILED_EDITIONS] for output in (
        Output(e.path + EMAIL_HTML_FILE, "edition_email.html", {"edition": e, "feeds": links}, writer=Writer.EMAIL),
        Output(e.path + EMAIL_TEXT_FILE, "edition_email.txt", {"edition": e}))]


def edition_feeds(config: SiteConfig, index: SiteIndex) -> list[Output]:
    """The week still running is on the site but not in this feed: a subscriber gets one entry a week."""
    context = {"feed": editions_feed(config), "editions": index.completed_editions[: config.feed_size]}
    return [Output(format.path(EDITIONS.path), "edition_feed_entry.html", context, writer=Writer.FEED, format=format)
            for format in FEED_FORMATS]


def search_pages(config: SiteConfig, index: SiteIndex) -> list[Output]:
    """The search page, the same bytes whatever the site holds (it loads the index in the browser), and
    the index's files (search.py), none of them in the sitemap; nothing with `search: false`."""
    if not config.search:
        return []
    return [page(SEARCH.path, "search.html", {}, None, sitemap=False),
            *(Output(file.path, "", {"bytes": file.data}, writer=Writer.BYTES)
              for file in index_files(index.entries, config.tz))]


def not_found() -> Output:
    return Output(NOT_FOUND_FILE, "404.html", {})


def feeds(index: SiteIndex) -> list[Output]:
    """The site's, each topic's and each outlet's feed in every format, from the same entries with the same ids."""
    return [Output(format.path(feed.page_path), "feed_entry.html", {"feed": feed}, writer=Writer.FEED, format=format)
            for feed in index.feeds for format in FEED_FORMATS]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class FeedOutline:
    """A feed as the OPML list names it: a new story re-renders the list only when a feed comes or goes."""

    title: str
    path: str  # of its first format, site-relative like every path here
    page_path: str


def feeds_opml(index: SiteIndex, outputs: Iterable[Output]) -> Output:
    """Every feed among `outputs`, in the first format, as OPML 2.0 for a reader to subscribe to at once:
    a feed added by any function is listed. Dated by the newest story, never the build time, so an
    unchanged site writes the same bytes."""
    listed = tuple(FeedOutline(o.context["feed"].title, o.path, o.context["feed"].page_path)
                   for o in outputs if o.writer is Writer.FEED and o.format is FEED_FORMATS[0])
    created = format_datetime(index.newest) if index.newest else ""
    return Output(OPML_FILE, "feeds.opml", {"feeds": listed, "created": created})


def sitemaps(outputs: Iterable[Output]) -> list[Output]:
    listed = tuple((o.url_path, o.lastmod) for o in outputs if o.sitemap)
    chunks = [listed[i : i + SITEMAP_LIMIT] for i in range(0, len(listed), SITEMAP_LIMIT)] or [()]
    if len(chunks) == 1:
        return [Output(SITEMAP_FILE, "sitemap.xml", {"urls": chunks[0]})]
    names = [f"sitemap-{n}.xml" for n in range(1, len(chunks) + 1)]
    files = [Output(name, "sitemap.xml", {"urls": chunk}) for name, chunk in zip(names, chunks, strict=True)]
    newest = tuple((name, max((date for _, date in chunk if date), default=None))
                   for name, chunk in zip(names, chunks, strict=True))
    return files + [Output(SITEMAP_FILE, "sitemap_index.xml", {"sitemaps": newest})]


def site_files(config: SiteConfig) -> list[Output]:
    files = [Output(ROBOTS_FILE, "robots.txt", {})]
    if config.cname:  # for a site deployed from a branch; Pages deployed by Actions ignores it
        files.append(Output(CNAME_FILE, "CNAME", {}))
    # GitHub Pages would otherwise drop every path starting with "_".
    files.append(Output(NOJEKYLL_FILE, "", {"bytes": b""}, writer=Writer.BYTES))
    return files


def image_files(config: SiteConfig, index: SiteIndex) -> list[Output]:
    """Only the files some page, feed or email shows: what the byte budget left out of every page is not
    published, nor the email's thumbnail of a story no email or edition feed ranks."""
    mailed = {file.path for edition in (*index.editions[:EMAILED_EDITIONS], *index.completed_editions[:config.feed_size])
              for entry in edition.top if entry.article.image for file in entry.article.image.files}
    shown = [replace(image, files=tuple(f for f in image.files if f.role != "mail" or f.path in mailed))
             for image in shown_images(entry.article for entry in (*index.entries, *index.standalone))]
    files = {file.path: file for image in shown for file in image.files}
    return [*(Output(path, "", {"image": files[path]}, writer=Writer.FILE) for path in sorted(files)),
            *([Output(MANIFEST_PATH, "", {"bytes": published_manifest(shown)}, writer=Writer.BYTES)] if shown else [])]


def paginate(entries: tuple[Entry, ...], size: int, base: str) -> list[Pagination]:
    """Pages of at most `size` entries: base/, base/page/2/, ... (an empty list still gets page 1)."""
    chunks = [entries[i : i + size] for i in range(0, len(entries), size)] or [()]
    paths = [page_path(base, n) for n in range(1, len(chunks) + 1)]
    return [Pagination(chunk, n + 1, len(chunks), paths[n], paths[n - 1] if n > 0 else None,
                       paths[n + 1] if n + 1 < len(chunks) else None)
            for n, chunk in enumerate(chunks)]


def refuse_clashes(outputs: Iterable[Output]) -> None:
    """The index gives every page its own path; this guards that promise against any future change."""
    seen: set[str] = set()
    for output in outputs:
        if output.path in seen:
            raise OutputError(f"two pages would both be written to {output.path}")
        seen.add(output.path)


@dataclass(frozen=True, slots=True)
class _Kept:
    source: object  # held so its id() is not reused while the entry lives
    value: object


class Reuse:
    """What was derived from an immutable object, handed back while the object is the very same one.

    The dev server re-derives every output on each save; for the ~10,000 whose entry, month or
    listing the edit left untouched (update_index keeps those objects), this returns last build's."""

    def __init__(self):
        self._last: dict[int, _Kept] = {}
        self._now: dict[int, _Kept] = {}

    def __call__(self, source, make: Callable):
        kept = self._last.get(id(source))
        value = kept.value if kept is not None and kept.source is source else make()
        self._now[id(source)] = _Kept(source, value)
        return value

    def next_build(self) -> None:
        self._last, self._now = self._now, {}


def _make(_source, make: Callable):
    return make()
