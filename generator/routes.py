"""Everything the site contains, in one table: `site_outputs` lists each kind of output, and each
function below says where its files go, which template makes them and what decides their bytes.

To add a page type: write a function returning Outputs, list it in `site_outputs`, add its template
to the theme, and a test. Paths come from the index (`path_of`); templates link with `url_for`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Callable, Iterable

from generator.config import SiteConfig
from generator.index import Edition, Entry, Feed, FeedLinks, SiteIndex, feed_links, feed_outlines, newest_update, tag_uri
from generator.output import OutputError

SITEMAP_LIMIT = 50_000  # URLs per sitemap file (sitemaps.org)


@dataclass(frozen=True, slots=True)
class Output:
    """One file of the site. `writer` makes its bytes from `template` and `context` alone."""

    path: str  # file in the output folder, e.g. "2021/01/some-title/index.html"
    template: str  # editing it (or anything it includes) re-renders this output
    context: dict = field(hash=False)  # everything the template is given: equal context, equal bytes
    lastmod: datetime | None = None  # newest content shown, for the sitemap; None: not in the sitemap
    writer: str = "template"  # "template", "atom", "json_feed" or "bytes": see render.Renderer.render

    @property
    def url_path(self) -> str:
        return self.path.removesuffix("index.html")

    @property
    def inputs(self) -> tuple:
        """What decides this output's bytes, besides the templates, settings and site navigation."""
        return (self.writer, self.template, self.context)


@dataclass(frozen=True, slots=True)
class StaticFile:
    source: Path
    path: str  # in the output folder: "static/style.css"


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
    pages = [
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
        editions_overview(index),  # /editions/
        *edition_pages(index, reuse),  # /editions/YYYY-Www/
        search_page(),  # /search/ (its index, /pagefind/, is written by search.py)
        not_found(),  # /404.html
    ]
    made = [
        *pages,
        *edition_emails(index),  # /editions/YYYY-Www/email.html and email.txt
        *feeds(index),  # /feed.xml and /feed.json, and each topic's
        *edition_feeds(config, index),  # /editions/feed.xml and feed.json: one entry per completed week
        *sitemaps(pages),  # /sitemap.xml (an index of sitemap-N.xml past 50,000 URLs)
        *site_files(config),  # /robots.txt, /CNAME, /.nojekyll
    ]
    return [*made, feeds_opml(index, made)]  # /feeds.opml: every feed made above, whichever function made it


def static_files(config: SiteConfig) -> list[StaticFile]:
    """The theme's static/ folder copied to /static/; the site's own `static/` wins over the theme's."""
    found: dict[str, Path] = {}
    for folder in (config.theme_dir / "static", config.root / "static"):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file() and not path.name.startswith("."):
                found["static/" + path.relative_to(folder).as_posix()] = path
    return [StaticFile(source, target) for target, source in sorted(found.items())]


def home_pages(config: SiteConfig, index: SiteIndex, reuse) -> list[Output]:
    """The first page leads with the current weekly edition's top stories."""
    return reuse(index.entries, lambda: [
        Output(p.path + "index.html", "index.html",
               {"pagination": p, "feed": feed_links(""), "edition": index.leading_edition if p.number == 1 else None},
               newest_update(p.entries) or index.newest)
        for p in paginate(index.entries, config.page_size, "")])


def topics_overview(index: SiteIndex) -> Output:
    return Output("topics/index.html", "topics.html", {"topics": tuple(t.summary for t in index.topics)}, index.newest)


def topic_pages(config: SiteConfig, index: SiteIndex, reuse) -> list[Output]:
    return _listing_pages(config, index.topics, "topic.html", reuse)


def outlets_overview(index: SiteIndex) -> Output:
    return Output("sources/index.html", "outlets.html", {"outlets": tuple(o.summary for o in index.outlets)},
                  index.newest)


def outlet_pages(config: SiteConfig, index: SiteIndex, reuse) -> list[Output]:
    return _listing_pages(config, index.outlets, "outlet.html", reuse)


def _listing_pages(config: SiteConfig, listings, template: str, reuse) -> list[Output]:
    """Each listing's stories, paginated, with its feeds beside its first page."""
    pages = []
    for listing in listings:
        pages += reuse(listing, lambda listing=listing, links=feed_links(listing.path): [
            Output(p.path + "index.html", template, {"listing": listing.summary, "pagination": p, "feed": links},
                   newest_update(p.entries))
            for p in paginate(listing.entries, config.page_size, listing.path)])
    return pages


def archive(index: SiteIndex) -> Output:
    return Output("archive/index.html", "archive.html", {"months": tuple(m.summary for m in index.months)}, index.newest)


def month_pages(index: SiteIndex, reuse) -> list[Output]:
    return [reuse(m, lambda m=m: Output(m.path + "index.html", "month.html", {"month": m}, newest_update(m.entries)))
            for m in index.months]


def article_pages(index: SiteIndex, reuse) -> list[Output]:
    return [reuse(e, lambda e=e: Output(e.path + "index.html", "article.html", {"entry": e}, e.article.updated))
            for e in index.entries]


def redirect_pages(index: SiteIndex) -> list[Output]:
    """Not listed anywhere, not in the sitemap: they only keep a copy's address working."""
    return [Output(r.path + "index.html", "redirect.html", {"redirect": r}) for r in index.redirects]


def standalone_pages(index: SiteIndex, reuse) -> list[Output]:
    return [reuse(e, lambda e=e: Output(e.path + "index.html", "page.html", {"entry": e}, e.article.updated))
            for e in index.standalone]


def editions_overview(index: SiteIndex) -> Output:
    return Output("editions/index.html", "editions.html",
                  {"editions": tuple(e.summary for e in index.editions), "feed": feed_links("editions/")}, index.newest)


def edition_pages(index: SiteIndex, reuse) -> list[Output]:
    def page(edition: Edition, email: bool) -> Output:
        return Output(edition.path + "index.html", "edition.html", {"edition": edition, "email": email},
                      newest_update(edition.entries))

    # Only older weeks are reused as they are: whether a week links an email copy changes as weeks pass.
    return [page(e, True) if n < EMAILED_EDITIONS else reuse(e, lambda e=e: page(e, False))
            for n, e in enumerate(index.editions)]


EMAILED_EDITIONS = 2  # the week running and the last complete one: the weeks a newsletter goes out for


def edition_emails(index: SiteIndex) -> list[Output]:
    """The newest editions ready for a newsletter tool: styles inlined, every link absolute; and as plain
    text. Older weeks keep their pages; a copy for mail nobody will send again is not published."""
    return [output for e in index.editions[:EMAILED_EDITIONS] for output in (
        Output(e.path + "email.html", "edition_email.html", {"edition": e}, writer="email"),
        Output(e.path + "email.txt", "edition_email.txt", {"edition": e}))]


def edition_feeds(config: SiteConfig, index: SiteIndex) -> list[Output]:
    """The week still running is on the site but not in this feed: a subscriber gets one entry a week."""
    feed = Feed(tag_uri(config, "editions"), f"Weekly editions · {config.title}", "editions/", ())
    context = {"feed": feed, "editions": index.completed_editions[: config.feed_size]}
    return [Output(feed.links.atom, "edition_feed_entry.html", context, writer="editions_atom"),
            Output(feed.links.json, "edition_feed_entry.html", context, writer="editions_json")]


def search_page() -> Output:
    """The same bytes whatever the site holds: the page loads the index and its filters in the browser.
    Not in the sitemap: it has no content of its own, and what it finds is listed there already."""
    return Output("search/index.html", "search.html", {})


def not_found() -> Output:
    return Output("404.html", "404.html", {})


def feeds(index: SiteIndex) -> list[Output]:
    """Atom and JSON Feed for the site and each topic, from the same entries with the same ids."""
    made = []
    for feed in index.feeds:
        made.append(Output(feed.links.atom, "feed_entry.html", {"feed": feed}, writer="atom"))
        made.append(Output(feed.links.json, "feed_entry.html", {"feed": feed}, writer="json_feed"))
    return made


def feeds_opml(index: SiteIndex, outputs: Iterable[Output]) -> Output:
    """Every Atom feed among `outputs` (an output showing a `feed` at its Atom path), as OPML 2.0 for a
    reader to subscribe to at once: a feed added by any function is listed. Dated by the newest story,
    never the build time, so an unchanged site writes the same bytes."""
    listed = [o.context["feed"] for o in outputs
              if isinstance(o.context.get("feed"), Feed) and o.path == o.context["feed"].links.atom]
    created = format_datetime(index.newest) if index.newest else ""
    return Output("feeds.opml", "feeds.opml", {"feeds": feed_outlines(listed), "created": created})


def sitemaps(pages: Iterable[Output]) -> list[Output]:
    listed = tuple((page.url_path, page.lastmod) for page in pages if page.lastmod is not None)
    chunks = [listed[i : i + SITEMAP_LIMIT] for i in range(0, len(listed), SITEMAP_LIMIT)] or [()]
    if len(chunks) == 1:
        return [Output("sitemap.xml", "sitemap.xml", {"urls": chunks[0]})]
    names = [f"sitemap-{n}.xml" for n in range(1, len(chunks) + 1)]
    files = [Output(name, "sitemap.xml", {"urls": chunk}) for name, chunk in zip(names, chunks, strict=True)]
    newest = tuple((name, max(date for _, date in chunk)) for name, chunk in zip(names, chunks, strict=True))
    return files + [Output("sitemap.xml", "sitemap_index.xml", {"sitemaps": newest})]


def site_files(config: SiteConfig) -> list[Output]:
    files = [Output("robots.txt", "robots.txt", {})]
    if config.cname:  # for a site deployed from a branch; Pages deployed by Actions ignores it
        files.append(Output("CNAME", "CNAME", {}))
    # GitHub Pages would otherwise drop every path starting with "_".
    files.append(Output(".nojekyll", "", {"bytes": b""}, writer="bytes"))
    return files


def paginate(entries: tuple[Entry, ...], size: int, base: str) -> list[Pagination]:
    """Pages of at most `size` entries: base/, base/page/2/, ... (an empty list still gets page 1)."""
    chunks = [entries[i : i + size] for i in range(0, len(entries), size)] or [()]
    paths = [base] + [f"{base}page/{n}/" for n in range(2, len(chunks) + 1)]
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
