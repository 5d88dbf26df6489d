"""Sources: /sources/ lists every outlet, /sources/<slug>/ its stories with their own feeds, and
/feeds.opml every feed the site publishes, read back as a reader and a feed reader would."""

import math
import re
import shutil
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime

import feedparser
import listparser
import pytest

from browser import browser  # noqa: F401  (fixture)
from conftest import REPO, minimal_site, shared_dir, write
from generator.build import build
from generator.config import load_config
from sitecheck import broken_links, serving
from test_publish import axe_violations, vnu_errors

ORIGIN = "https://example.org/digest/"
KARIUS = "2020/07/karius-named-to-forbes-ai-50-list-of-most-promising-artificial-intelligence/"  # WFMZ-TV and Business Insider
PR_NEWSWIRE = "2021/01/global-healthcare-artificial-intelligence-market-2020-2027-growing-incorporation/"  # PR Newswire twice
PAGE_SIZE = 3
LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#0b5d6b"/></svg>\n'


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The real news corpus, where stories arrive from many outlets and some from two."""
    root = tmp_path_factory.mktemp("sources")
    shutil.copytree(shared_dir("corpus") / "smartable-ai", root / "seeds")
    (root / "site.yml").write_text(f"url: https://example.org\nbase_path: /digest/\nsources: [seeds]\n"
                                   f"page_size: {PAGE_SIZE}\n")
    build(load_config(root / "site.yml", environ={}), output=root / "out", show_progress=False)
    return root / "out"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The project's site with one outlet logo the site ships, and logos it must refuse."""
    root = tmp_path_factory.mktemp("logos")
    site = root / "site"
    for folder in ("seeds", "content", "themes"):
        shutil.copytree(REPO / folder, site / folder)
    shutil.copy2(REPO / "site.yml", site / "site.yml")
    write(site / "static" / "logos" / "news-medical.svg", LOGO)
    write(site / "static" / "logos" / "notes.txt", "not an image\n")
    write(root / "elsewhere.png", "outside the site\n")
    write(site / "content" / "outlets.yml", "www.News-Medical.net: static/logos/news-medical.svg\n"
                                            "Quartz: https://qz.com/logo.png\n"
                                            "Harvard Medical School: ../elsewhere.png\n"
                                            "Nature: static/logos/missing.png\n"
                                            "Forbes: static/logos/notes.txt\n")
    report = build(load_config(site / "site.yml", environ={}), output=root / "www" / "digest", show_progress=False)
    return root / "www", report


def page(out, path: str) -> str:
    return (out / path / "index.html").read_text(encoding="utf-8")


def listing_pages(out, path: str) -> dict[str, str]:
    """Page path -> HTML of every page of a listing, following its "Older" links as a reader would."""
    pages, current = {}, path
    while current is not None:
        pages[current] = page(out, current)
        older = re.search(r'<a rel="next" href="/digest/([^"]+)">', pages[current])
        current = older.group(1) if older else None
    return pages


def listing(out, path: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(story path, date) of every story (card or headline) on every page of a listing, and the pages visited."""
    pages = listing_pages(out, path)
    stories = [found for html in pages.values()
               for found in re.findall(r'<(?:h2|li)><a href="/digest/(\d{4}/[^"]+)">.*?<time datetime="([^"]+)"', html, re.S)]
    return stories, list(pages)


def overview(out) -> list[tuple[str, str, int]]:
    """(page path, name, story count) of each outlet /sources/ lists, in its order."""
    found = re.findall(r'<a href="/digest/(sources/[^"]+/)">([^<]+)</a>\s*<span class="count">(\d+) stor',
                       page(out, "sources/"))
    return [(path, name.replace("&amp;", "&"), int(count)) for path, name, count in found]


# ---- the pages ------------------------------------------------------------------------------------

def test_the_overview_lists_every_outlet_by_name_with_its_story_count(corpus):
    outlets = overview(corpus)
    names = [name for _, name, _ in outlets]
    assert len(outlets) > 30 and names == sorted(names, key=str.casefold)
    assert {path for path, _, _ in outlets} == {f"sources/{p.name}/" for p in (corpus / "sources").iterdir() if p.is_dir()}
    for path, name, count in outlets:
        stories, _ = listing(corpus, path)
        assert len(stories) == count and len({story for story, _ in stories}) == count, name
    home = "".join(listing_pages(corpus, "").values())
    providers = set(re.findall(r'<span class="provider">([^<]+)</span>', home)) | set(
        re.findall(r'<span class="meta">([^<]+) · <time', home))
    assert len(providers) > 30 and providers <= set(names), "the outlet of every listed story has a page"


def test_a_source_page_lists_its_stories_newest_first_in_pages(corpus):
    path, name, count = max(overview(corpus), key=lambda outlet: (outlet[2], outlet[0]))
    assert count > 2 * PAGE_SIZE, "the busiest outlet needs several pages"
    stories, pages = listing(corpus, path)
    assert len(pages) == math.ceil(count / PAGE_SIZE)
    assert pages[1] == path + "page/2/" and f"<h1>{name}, page 2</h1>" in page(corpus, pages[1])
    assert all(len(re.findall(r'<li><a href="/digest/\d{4}/', page(corpus, p))) == PAGE_SIZE for p in pages[:-1])
    dates = [datetime.fromisoformat(date) for _, date in stories]
    assert dates == sorted(dates, reverse=True)
    assert f'<a rel="prev" href="/digest/{path}">' in page(corpus, pages[1])


def test_a_story_told_by_two_outlets_is_listed_once_on_each_of_their_pages(corpus):
    for outlet in ("sources/business-insider/", "sources/wfmz-tv/"):
        stories, _ = listing(corpus, outlet)
        assert [story for story, _ in stories].count(KARIUS) == 1, outlet
    ids = [[entry.id for entry in feedparser.parse((corpus / outlet / "feed.xml").read_bytes()).entries
            if entry.link == ORIGIN + KARIUS] for outlet in ("sources/business-insider/", "sources/wfmz-tv/")]
    assert len(ids[0]) == 1 and ids[0] == ids[1], "both outlets' subscribers get the story once, with one id"
    stories, _ = listing(corpus, "sources/pr-newswire/")
    assert [story for story, _ in stories].count(PR_NEWSWIRE) == 1, "told twice by one outlet, listed once"


def test_an_item_without_a_provider_is_listed_under_its_host_and_a_post_under_none(tmp_path):
    config = minimal_site(tmp_path, base_path="/digest/")
    write(tmp_path / "seeds" / "a.md", "---\ntitle: Hosted only\ndate: 2021-01-02\ntopics: [AI]\n"
                                       "webUrl: https://www.example.net/a\n---\n")
    write(tmp_path / "content" / "posts" / "ours.md", "---\ntitle: Our own post\ndate: 2021-01-03\ntopics: [AI]\n---\nText.\n")
    write(tmp_path / "content" / "pages" / "sources.md", "---\ntitle: Our sources\n---\nA page.\n")
    report = build(config, output=tmp_path / "out", show_progress=False)
    assert overview(tmp_path / "out") == [("sources/example-net/", "www.example.net", 1)]
    assert "Our own post" not in page(tmp_path / "out", "sources/example-net/")
    assert any("sources-2" in d.message for d in report.diagnostics.warnings), "a page cannot take /sources/"
    assert "<h1>Our sources</h1>" in page(tmp_path / "out", "sources-2/")


def test_outlet_spellings_are_one_page_and_a_later_namesake_moves_nothing(tmp_path):
    config = minimal_site(tmp_path, url="https://example.org", base_path="/digest/")

    def item(name: str, provider: str, day: str) -> None:
        write(tmp_path / "seeds" / f"{name}.md", f"---\ntitle: Story {name}\ndate: 2021-01-{day}\ntopics: [AI]\n"
                                                 f"provider:\n  name: {provider}\n  domain: acme.example\n---\n")

    def feed_ids(out: str, outlet: str) -> tuple[str, list[str]]:
        feed = feedparser.parse((tmp_path / out / "sources" / outlet / "feed.xml").read_bytes())
        assert feed.bozo == 0
        return feed.feed.id, [entry.id for entry in feed.entries]

    item("a", "Acme-News", "02")
    build(config, output=tmp_path / "first", show_progress=False)
    build(config, output=tmp_path / "again", show_progress=False, use_cache=False)
    assert feed_ids("first", "acme-news") == feed_ids("again", "acme-news")
    item("b", "ACME-news", "03")  # the same outlet, spelt differently
    item("c", "Acme News", "04")  # another outlet whose name makes the same slug (and sorts first), arriving later
    build(config, output=tmp_path / "later", show_progress=False)
    first_id, first_entries = feed_ids("first", "acme-news")
    later_id, later_entries = feed_ids("later", "acme-news")
    assert later_id == first_id and set(first_entries) < set(later_entries) and len(later_entries) == 2
    assert feed_ids("later", "acme-news-2")[0] != first_id
    assert overview(tmp_path / "later") == [("sources/acme-news-2/", "Acme News", 1), ("sources/acme-news/", "Acme-News", 2)]


def test_an_index_updated_in_place_keeps_outlets_as_one_built_afresh():
    from dataclasses import replace

    from generator.config import SiteConfig
    from generator.diagnostics import Diagnostics
    from generator.index import build_index, update_index
    from generator.model import Article, Provider

    def story(key: str, outlet: str, day: int, url: str) -> Article:
        when = datetime(2021, 3, day, tzinfo=UTC)
        return Article(key=key, file=key, kind="article", title=f"Story from {key}", date=when, updated=when,
                       topics=("AI",), provider=Provider(outlet, outlet.lower() + ".example"), outlet_url=url)

    articles = [story("a", "Alpha", 1, "https://a.example/1"), story("b", "Beta", 2, "https://a.example/1/"),
                story("c", "Beta", 3, "https://b.example/2"), story("d", "Gamma", 4, "https://g.example/3")]
    config = SiteConfig(root=REPO)
    before = build_index(config, articles, (), Diagnostics())
    assert [(o.outlet.name, len(o.entries)) for o in before.outlets] == [("Alpha", 1), ("Beta", 2), ("Gamma", 1)]
    edited = replace(articles[2], summary="An edited excerpt")
    after = update_index(before, {id(articles[2]): edited})
    assert after == build_index(config, [*articles[:2], edited, articles[3]], (), Diagnostics())
    assert after.outlets[0] is before.outlets[0], "an outlet without the edited story keeps its listing"


# ---- logos: only files the site ships -------------------------------------------------------------

def test_logos_come_only_from_the_sites_own_static_folder(published):
    www, report = published
    out = www / "digest"
    assert (out / "static" / "logos" / "news-medical.svg").read_text() == LOGO
    logo = '<img class="outlet-logo" src="/digest/static/logos/news-medical.svg" alt=""'
    assert logo in page(out, "sources/") and logo in page(out, "sources/news-medical/")
    quartz = page(out, "sources/quartz/")
    assert "<img" not in quartz[quartz.index("<main"):] and "qz.com/logo" not in page(out, "sources/")
    refused = [d.message for d in report.diagnostics.warnings if d.path == "content/outlets.yml"]
    assert len(refused) == 4 and all(message.endswith("ignored") for message in refused), refused
    for name in ("Quartz", "Harvard Medical School", "Nature", "Forbes"):
        assert any(repr(name) in message for message in refused), name


@pytest.mark.parametrize("text", [
    b"- a list\n", b"Acme: [static/a.svg]\n", b"? [a, key]\n: static/a.svg\n", b"Acme: !!python/object:os.system x\n",
    b"Acme: &a static/a.svg\nOther: *a\n", b'Acme: "static/\\0.svg"\n', b"Acme: static/../../../etc/hosts.svg\n",
    b"Acme: static\n", b"~: static/a.svg\n", b"Acme: [unclosed\n", b"\xff\xfe not text\n",
])
def test_a_broken_logo_list_is_reported_and_never_stops_the_build(tmp_path, text):
    config = minimal_site(tmp_path)
    write(tmp_path / "seeds" / "a.md", "---\ntitle: A story\ndate: 2021-01-02\ntopics: [AI]\nprovider: Acme\n---\n")
    write(tmp_path / "static" / "a.svg", LOGO)
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "outlets.yml").write_bytes(text)
    report = build(config, output=tmp_path / "out", show_progress=False)
    assert [d.path for d in report.diagnostics.warnings] == ["content/outlets.yml"]
    assert "<img" not in page(tmp_path / "out", "sources/acme/")


def test_a_logo_listed_later_is_seen_by_a_cached_build_and_by_the_preview(tmp_path):
    from generator.session import PreviewSession

    config = minimal_site(tmp_path)
    write(tmp_path / "seeds" / "a.md", "---\ntitle: A story\ndate: 2021-01-02\ntopics: [AI]\nprovider: Acme\n---\n")
    write(tmp_path / "static" / "acme.svg", LOGO)
    session = PreviewSession(config)
    build(config, output=tmp_path / "out", show_progress=False)
    assert "<img" not in page(tmp_path / "out", "sources/acme/") and b"<img" not in session.rebuild().files["sources/acme/index.html"]
    write(tmp_path / "content" / "outlets.yml", "acme: static/acme.svg\n")
    report = build(config, output=tmp_path / "out", show_progress=False)
    assert not report.up_to_date and 'src="/static/acme.svg"' in page(tmp_path / "out", "sources/acme/")
    assert b'src="/static/acme.svg"' in session.rebuild().files["sources/acme/index.html"]


# ---- the list of every feed -----------------------------------------------------------------------

def test_the_opml_list_names_every_feed_the_site_publishes_and_each_one_parses(corpus):
    raw = (corpus / "feeds.opml").read_bytes()
    subscriptions = listparser.parse(raw)  # bytes: given a str that looks like a URL it would fetch it
    assert not subscriptions.bozo and subscriptions.version == "opml2"
    urls = [feed.url for feed in subscriptions.feeds]
    published = {ORIGIN + path.relative_to(corpus).as_posix() for path in corpus.rglob("feed.xml")}
    assert len(urls) == len(set(urls)) and set(urls) == published
    assert ORIGIN + "sources/wfmz-tv/feed.xml" in urls and ORIGIN + "topics/ai/feed.xml" in urls
    for feed in subscriptions.feeds:
        parsed = feedparser.parse((corpus / feed.url.removeprefix(ORIGIN)).read_bytes())
        assert parsed.bozo == 0 and parsed.feed.title == feed.title, feed.url
    for outline in ElementTree.fromstring(raw).iter("outline"):
        assert outline.get("type") == "rss" and outline.get("text") == outline.get("title")
        assert outline.get("htmlUrl").startswith(ORIGIN)
        assert (corpus / outline.get("htmlUrl").removeprefix(ORIGIN) / "index.html").is_file()
    newest = feedparser.parse((corpus / "feed.xml").read_bytes()).feed.updated
    assert subscriptions.meta.created_parsed == datetime.fromisoformat(newest), "dated by the content"


def test_the_pages_about_feeds_point_feed_readers_to_the_opml_list(corpus):
    """The home page and the topic and source overviews, where a reader looks for feeds to follow; not
    each story page, where it would cost a line per story and find no one."""
    outline = ('<link rel="outline" type="text/x-opml" title="AI in Healthcare Digest: every feed (OPML)" '
               'href="/digest/feeds.opml">')
    for path in ("", "topics/", "sources/"):
        assert outline in page(corpus, path), path
    assert outline not in page(corpus, KARIUS)
    assert '<a href="/digest/sources/">Sources</a>' in page(corpus, "")


def test_every_link_resolves(corpus, published):
    assert broken_links(corpus, "/digest/") == []
    assert broken_links(published[0] / "digest", "/digest/") == []


# ---- quality bars with real tools -----------------------------------------------------------------

SOURCE_PAGES = {"sources": "sources/", "source": "sources/news-medical/"}


def test_source_pages_pass_the_nu_html_checker(published, tmp_path):
    for name, path in SOURCE_PAGES.items():
        shutil.copy2(published[0] / "digest" / path / "index.html", tmp_path / f"{name}.html")
    assert vnu_errors(tmp_path) == []


@pytest.fixture(scope="module")
def served(published):
    with serving(published[0]) as origin:
        yield origin + "/digest/"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_source_pages_have_no_accessibility_violations(served, browser, scheme):  # noqa: F811
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.route(lambda url: not url.startswith(served), lambda route: route.fulfill(status=204, body=""))
    problems = {}
    try:
        for name, path in SOURCE_PAGES.items():
            page.goto(served + path)
            assert page.locator("h1").count() == 1
            found = axe_violations(page)
            if found:
                problems[name] = found
    finally:
        context.close()
    assert problems == {}


def test_the_old_name_of_the_logo_list_is_still_read_and_named_for_renaming(tmp_path):
    config = minimal_site(tmp_path)
    write(tmp_path / "seeds" / "a.md", "---\ntitle: A story\ndate: 2021-01-02\ntopics: [AI]\nprovider: Acme\n---\n")
    write(tmp_path / "static" / "acme.svg", LOGO)
    write(tmp_path / "content" / "sources.yml", "acme: static/acme.svg\n")
    report = build(config, output=tmp_path / "out", show_progress=False)
    assert 'src="/static/acme.svg"' in page(tmp_path / "out", "sources/acme/")
    assert [(d.path, "content/outlets.yml" in d.message) for d in report.diagnostics.warnings] == \
        [("content/sources.yml", True)]
