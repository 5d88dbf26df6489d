"""Publish-ready: sitemap, robots, metadata, JSON Feed, and the quality bars checked with real tools
(the Nu HTML Checker, axe-core in Chromium, feedparser)."""

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from pathlib import Path

import feedparser
import jsonfeed
import pytest

from browser import browser  # noqa: F401  (fixture)
from conftest import REPO, shared_dir
from generator.build import build
from generator.config import SiteConfig, load_config
from imagestore import picture, stock
from sitecheck import QuietHandler, serving
from test_build import SEED_IMAGE

NODE_MODULES = REPO / "node_modules"
ARTIFACTS = REPO / "test-artifacts"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ARTICLE = "2023/11/ethical-considerations-in-ai-driven-healthcare/"
PAGES = {"home": "", "topics": "topics/", "topic": "topics/ai-ethics/", "archive": "archive/", "month": "2023/11/",
         "article": ARTICLE, "about": "about/", "search": "search/", "404": "no/such/page/", "editions": "editions/",
         "edition": "editions/2023-W45/",
         "sources": "sources/",
         "source": "sources/news-medical/"}


@pytest.fixture(scope="module")
def www(tmp_path_factory):
    """The project's site built under www/digest/, as GitHub Pages serves it."""
    root = tmp_path_factory.mktemp("publish")
    site = root / "site"
    for folder in ("seeds", "content", "themes"):
        shutil.copytree(REPO / folder, site / folder)
    (site / "site.yml").write_text((REPO / "site.yml").read_text() + "cname: digest.example.org\n")
    stock(load_config(site / "site.yml"), SEED_IMAGE, picture(2000, 1333))
    build(load_config(site / "site.yml"), output=root / "www" / "digest", show_progress=False)
    return root / "www"


@pytest.fixture(scope="module")
def served(www):
    class Handler(QuietHandler):
        def send_error(self, code, message=None, explain=None):  # GitHub Pages answers a miss with 404.html
            if code == 404:
                body = (www / "digest" / "404.html").read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                super().send_error(code, message, explain)

    with serving(www, Handler) as origin:
        yield origin + "/digest/"


def html_pages(out: Path) -> list[Path]:
    """The site's web pages; an edition's email copy is mail, not a page (tests/test_editions.py)."""
    return sorted(p for p in out.rglob("*.html") if p.name != "email.html")


# ---- files a publisher and a crawler expect ------------------------------------------------------

def test_sitemap_lists_every_page_with_content_dates(www):
    out = www / "digest"
    tree = ElementTree.parse(out / "sitemap.xml")
    urls = {u.find(f"{SITEMAP}loc").text: u.find(f"{SITEMAP}lastmod").text for u in tree.getroot()}
    expected = {"https://example.github.io/digest/" + str(p.relative_to(out).parent).replace(".", "").strip("/")
                for p in html_pages(out) if p.name == "index.html" and p.parent.name != "search"}
    assert {u.rstrip("/") for u in urls} == {e.rstrip("/") for e in expected}
    assert urls["https://example.github.io/digest/" + ARTICLE] == "2023-11-06T14:06:00+00:00"
    assert not any("404" in u for u in urls)


def test_robots_points_at_the_sitemap_and_cname_is_written(www):
    robots = (www / "digest" / "robots.txt").read_text()
    assert "Sitemap: https://example.github.io/digest/sitemap.xml" in robots
    assert (www / "digest" / "CNAME").read_text() == "digest.example.org\n"
    assert (www / "digest" / ".nojekyll").exists() and (www / "digest" / "static" / "favicon.svg").exists()


def test_every_page_has_lang_canonical_and_social_metadata(www):
    out = www / "digest"
    for page in html_pages(out):
        html = page.read_text()
        assert html.startswith('<!doctype html>\n<html lang="en">'), page
        assert '<meta property="og:title"' in html and '<meta name="twitter:card"' in html, page
        if page.name == "index.html":
            folder = page.relative_to(out).parent.as_posix()
            own_url = "https://example.github.io/digest/" + ("" if folder == "." else folder + "/")
            assert f'<link rel="canonical" href="{own_url}">' in html, page


def test_article_page_carries_open_graph_and_news_article_json_ld(www):
    html = (www / "digest" / ARTICLE / "index.html").read_text()
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:image" content="https://example.github.io/digest/images/' in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "NewsArticle" and data["headline"] == "Ethical Considerations in AI-Driven Healthcare"
    assert data["datePublished"] == "2023-11-06T14:06:00+00:00" and data["dateModified"]
    assert data["isBasedOn"].startswith("https://www.news-medical.net/") and data["provider"]["name"] == "News Medical"
    assert data["publisher"]["name"] == "AI in Healthcare Digest" and data["image"]


def test_json_ld_cannot_be_broken_out_of(tmp_path):
    from conftest import minimal_site, write
    config = minimal_site(tmp_path)
    write(tmp_path / "seeds" / "x.md", '---\ntitle: "</script><script>alert(1)</script> & <!--"\n'
                                       "date: 2021-01-01\ntopics: [AI]\n---\n")
    build(config, output=tmp_path / "out", show_progress=False)
    [page] = (tmp_path / "out").glob("2021/01/*/index.html")
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.read_text(), re.S).group(1)
    assert "<" not in script and json.loads(script)["headline"].startswith("</script>")


def test_json_feeds_mirror_the_atom_feeds_with_the_same_ids(www):
    """feedparser 6 has no JSON Feed support, so a JSON Feed client library reads them."""
    out = www / "digest"
    for atom in out.rglob("feed.xml"):
        json_feed = atom.with_suffix(".json")
        parsed = jsonfeed.Feed.parse_string(json_feed.read_text())  # raises on a missing required field
        assert [item.id for item in parsed.items] == [e.id for e in feedparser.parse(atom.read_bytes()).entries]
        raw = json.loads(json_feed.read_text())
        assert raw["version"] == "https://jsonfeed.org/version/1.1"
        assert raw["feed_url"] == "https://example.github.io/digest/" + str(json_feed.relative_to(out))
        for item in raw["items"]:
            assert item["content_html"] and item["url"].startswith("https://example.github.io/digest/")
            assert datetime.fromisoformat(item["date_published"]).tzinfo is not None
    assert 'type="application/feed+json"' in (out / "index.html").read_text()


def test_every_atom_feed_has_the_rfc4287_essentials(www):
    for path in (www / "digest").rglob("feed.xml"):
        feed = feedparser.parse(path.read_bytes())
        assert feed.bozo == 0
        assert feed.feed.id and feed.feed.title and feed.feed.updated and feed.feed.author, path
        assert {link.rel for link in feed.feed.links} == {"self", "alternate"}, path
        assert next(link.href for link in feed.feed.links if link.rel == "self").endswith(
            str(path.relative_to(www / "digest")))
        for entry in feed.entries:
            assert entry.id.startswith("tag:") and entry.title and entry.updated and entry.author


def test_environment_sets_the_base_path_for_a_fork(tmp_path):
    config = load_config(REPO / "site.yml", environ={"DIGEST_BASE_PATH": "/fork-name/", "DIGEST_URL": "https://me.github.io"})
    assert (config.base_path, config.url) == ("/fork-name/", "https://me.github.io")


# ---- quality bars with real tools ----------------------------------------------------------------

def node_tool(*parts: str) -> Path:
    path = NODE_MODULES.joinpath(*parts)
    if not path.exists():
        message = f"{path} is missing: `make test` installs it with npm"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def vnu_errors(folder: Path) -> list[dict]:
    jar = node_tool("vnu-jar", "build", "dist", "vnu.jar")
    result = subprocess.run(["java", "-jar", str(jar), "--errors-only", "--skip-non-html", "--format", "json", str(folder)],
                            capture_output=True, text=True, timeout=600)
    return json.loads(result.stderr or result.stdout)["messages"]


def test_every_page_passes_the_nu_html_checker(www):
    assert vnu_errors(www / "digest") == []


def test_the_whole_corpus_passes_the_nu_html_checker(tmp_path):
    config = SiteConfig(root=shared_dir("corpus"), sources=("powerapps", "smartable-ai"), base_path="/digest/")
    build(config, output=tmp_path / "out", show_progress=False)
    errors = vnu_errors(tmp_path / "out")
    assert errors == [], errors[:5]


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[tuple[str, list]]:
    """axe-core (WCAG 2.1 A and AA) on the page as it is now: each violation with up to three of its nodes."""
    page.add_script_tag(path=str(node_tool("axe-core", "axe.min.js")))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_key_pages_have_no_accessibility_violations(served, browser, scheme):  # noqa: F811
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.route(lambda url: not url.startswith(served), lambda route: route.fulfill(status=204, body=""))
    problems = {}
    try:
        for name, path in PAGES.items():
            page.goto(served + path)
            found = axe_violations(page)
            if found:
                problems[name] = found
    finally:
        context.close()
    assert problems == {}


@pytest.mark.parametrize("width", [375, 1280])
def test_layout_fits_the_screen_and_screenshots_are_kept(served, browser, width):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.route(lambda url: not url.startswith(served), lambda route: route.fulfill(status=204, body=""))
    try:
        for name in ("home", "article"):
            page.goto(served + PAGES[name])
            overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            unsized = page.eval_on_selector_all("img", "imgs => imgs.filter(i => !i.getAttribute('width') || !i.getAttribute('height')).length")
            assert unsized == 0, "images must reserve their space"
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    finally:
        context.close()


def test_dark_mode_and_visible_keyboard_focus(served, browser):  # noqa: F811
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(served)
        colours[scheme] = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        focus = page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                              "return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; }")
        assert focus[0] == "A" and focus[1] != "none" and focus[2] != "0px", focus
        context.close()
    assert colours["light"] != colours["dark"]


def test_pages_are_light_and_load_nothing_from_other_hosts(www, served, browser):  # noqa: F811
    out = www / "digest"
    css = (out / "static" / "style.css").stat().st_size
    heavy = {str(p.relative_to(out)): p.stat().st_size + css for p in html_pages(out) if p.stat().st_size + css > 60_000}
    assert heavy == {}
    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.route(lambda url: not url.startswith(served), lambda route: route.fulfill(status=204, body=""))
    try:
        for path in PAGES.values():
            requested.clear()
            page.goto(served + path)
            images = set(page.eval_on_selector_all("img", "imgs => imgs.map(i => new URL(i.src).host)"))
            foreign = {r.split("/")[2] for r in requested if not r.startswith(served)} - images
            assert foreign == set(), (path, foreign)
    finally:
        context.close()


def test_a_large_site_gets_a_sitemap_index(site, tmp_path, monkeypatch):
    import generator.routes
    monkeypatch.setattr(generator.routes, "SITEMAP_LIMIT", 5)
    build(load_config(site / "site.yml"), output=tmp_path / "out", show_progress=False)
    index = ElementTree.parse(tmp_path / "out" / "sitemap.xml").getroot()
    assert index.tag == f"{SITEMAP}sitemapindex"
    parts = [s.find(f"{SITEMAP}loc").text.rsplit("/", 1)[1] for s in index]
    assert parts == [f"sitemap-{n}.xml" for n in range(1, len(parts) + 1)] and len(parts) >= 3
    urls = [u for part in parts for u in ElementTree.parse(tmp_path / "out" / part).getroot()]
    assert len(urls) == len([p for p in (tmp_path / "out").rglob("index.html") if p.parent.name != "search"])
