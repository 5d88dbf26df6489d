"""The address scheme as a visitor and a subscriber meet it: no page can take a section's address, every
listing with a feed offers it in every format, and the plain-text email shows names as written."""

import html5lib
import pytest

from conftest import minimal_site, write
from generator.addresses import NAVIGATION, SECTIONS
from generator.build import build

NS = {"h": "http://www.w3.org/1999/xhtml"}


def parsed(path):
    return html5lib.parse(path.read_bytes(), namespaceHTMLElements=True)


def alternates(path) -> set[tuple[str, str]]:
    return {(link.get("type"), link.get("href")) for link in parsed(path).iterfind(".//h:link[@rel='alternate']", NS)}


@pytest.fixture
def small_site(tmp_path):
    config = minimal_site(tmp_path, base_path="/digest/", url="https://example.org")
    write(tmp_path / "seeds" / "a.md", "---\ntitle: Sepsis alert trial reports\npublishedDateTime: 2026-11-10T09:00:00Z\n"
                                       "topics: [AI]\nprovider: {name: AT&T Health, domain: att.example}\n"
                                       "webUrl: https://att.example/a\n---\nBody.\n")
    write(tmp_path / "seeds" / "b.md", "---\ntitle: Imaging study\npublishedDateTime: 2026-11-17T09:00:00Z\n"
                                       "topics: [AI]\nwebUrl: https://wire.example/b\n---\nBody.\n")
    return config


@pytest.mark.parametrize("section", [s for s in SECTIONS if s.path], ids=lambda s: s.name)
@pytest.mark.parametrize("how", ["slug", "file name"])
def test_a_page_named_like_any_section_moves_aside_and_the_section_keeps_its_address(small_site, tmp_path,
                                                                                     section, how):
    name = section.path.strip("/")
    file, field = ("clash.md", f"slug: {name}") if how == "slug" else (f"{name}.md", "")
    write(tmp_path / "content" / "pages" / file, f"---\ntitle: {name.capitalize()}\n{field}\n---\nA page of ours.\n")
    report = build(small_site, output=tmp_path / "out", show_progress=False)
    assert any(f"/{name}-2/" in d.message for d in report.diagnostics.warnings), report.diagnostics.warnings
    assert "A page of ours." in (tmp_path / "out" / f"{name}-2" / "index.html").read_text()
    section_page = tmp_path / "out" / section.path / "index.html"
    assert not section_page.exists() or "A page of ours." not in section_page.read_text()


def test_every_listing_with_a_feed_offers_it_in_every_format(small_site, tmp_path):
    build(small_site, output=tmp_path / "out", show_progress=False)
    out = tmp_path / "out"
    site = {("application/atom+xml", "/digest/feed.xml"), ("application/feed+json", "/digest/feed.json")}
    listings = {"topics/ai/": out / "topics" / "ai", "sources/at-t-health/": out / "sources" / "at-t-health",
                "editions/": out / "editions", **{f"editions/{week}/": out / "editions" / week
                                                  for week in ("2026-W46", "2026-W47")}}
    for path, folder in listings.items():
        feed_folder = "editions/" if path.startswith("editions/") else path
        offered = alternates(folder / "index.html")
        expected = {("application/atom+xml", f"/digest/{feed_folder}feed.xml"),
                    ("application/feed+json", f"/digest/{feed_folder}feed.json")}
        assert offered == site | expected, path
        for _, href in expected:
            assert (out / href.removeprefix("/digest/")).is_file(), href
    assert alternates(out / "index.html") == site


def test_the_navigation_links_each_section_it_names(small_site, tmp_path):
    build(small_site, output=tmp_path / "out", show_progress=False)
    nav = parsed(tmp_path / "out" / "index.html").find(".//h:nav[@aria-label='Main']", NS)
    links = [(a.text, a.get("href")) for a in nav.iterfind("h:a", NS)]
    assert links[:len(NAVIGATION)] == [(s.nav, "/digest/" + s.path) for s in NAVIGATION]
    for _, href in links:
        assert (tmp_path / "out" / href.removeprefix("/digest/")).exists(), href


def test_the_plain_text_email_shows_names_as_written(small_site, tmp_path):
    build(small_site, output=tmp_path / "out", show_progress=False)
    text = (tmp_path / "out" / "editions" / "2026-W46" / "email.txt").read_text()
    assert "AT&T Health" in text and "&amp;" not in text
    assert "AT&amp;T Health" in (tmp_path / "out" / "editions" / "2026-W46" / "index.html").read_text(), \
        "the HTML page still escapes it"


def current_sections(path) -> list[str]:
    nav = parsed(path).find(".//h:nav[@aria-label='Main']", NS)
    return [a.text for a in nav.iterfind("h:a", NS) if a.get("aria-current") == "page"]


def test_the_navigation_marks_the_section_a_page_is_in_and_only_that_one(small_site, tmp_path):
    build(small_site, output=tmp_path / "out", show_progress=False)
    out = tmp_path / "out"
    assert current_sections(out / "index.html") == ["Latest"]
    assert current_sections(out / "topics" / "index.html") == ["Topics"]
    assert current_sections(out / "topics" / "ai" / "index.html") == ["Topics"]
    assert current_sections(out / "sources" / "at-t-health" / "index.html") == ["Sources"]
    assert current_sections(out / "editions" / "2026-W46" / "index.html") == ["Editions"]
    story = next(p for p in out.rglob("index.html") if "Sepsis alert trial reports</h1>" in p.read_text())
    assert current_sections(story) == []


def test_a_page_added_during_the_preview_shows_in_the_header_of_every_page(small_site):
    from generator.session import PreviewSession
    session = PreviewSession(small_site, workers=1)
    assert b">About</a>" not in session.rebuild().files["index.html"]
    about = small_site.root / "content" / "pages" / "about.md"
    write(about, "---\ntitle: About\n---\nWho we are.\n")
    files = session.rebuild({about}).files
    pages = [path for path in files if path.endswith(".html") and b'aria-label="Main"' in files[path]]
    assert len(pages) > 5
    assert all(b'>About</a>' in files[path] for path in pages), [p for p in pages if b'>About</a>' not in files[p]]
