"""The dev server in a real browser: edits on disk show up by themselves, errors show and clear."""

import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser import browser  # noqa: F401  (fixture)
from conftest import write

ARTICLE = "2020/09/when-ai-in-healthcare-goes-wrong-who-is-responsible/"
SEED = "seeds/001_66d0eec8100579d4.txt"
CONNECTED = "() => window.LiveReload && window.LiveReload.connector && window.LiveReload.connector.protocol >= 7"


@pytest.fixture
def page(browser):  # noqa: F811
    context = browser.new_context()
    opened = context.new_page()
    yield opened
    context.close()


def open_live(page, url):
    page.goto(url)
    page.wait_for_function(CONNECTED, timeout=10_000)


def test_an_edited_title_appears_without_touching_the_browser(site, server, page):
    base = server.url
    open_live(page, base + ARTICLE)
    assert page.locator("h1").inner_text() == "When AI in healthcare goes wrong, who is responsible?"
    seed = site / SEED
    seed.write_text(seed.read_text().replace("who is responsible?\"", "who pays for the mistake?\"", 1))
    page.wait_for_selector("h1:has-text('who pays for the mistake?')", timeout=10_000)
    assert page.url == base + "2020/09/when-ai-in-healthcare-goes-wrong-who-pays-for-the-mistake/", \
        "the page followed its new slug instead of reloading into a 404"


def test_broken_yaml_shows_the_error_then_the_article_comes_back(site, server, page):
    base, lines = server.url, server.lines
    open_live(page, base + ARTICLE)
    seed = site / SEED
    good = seed.read_text()
    seed.write_text(good.replace("type: article", "type: [article"))
    page.wait_for_selector("pre.build-error", timeout=10_000)
    assert f"{SEED}:" in page.locator("pre.build-error").inner_text()
    page.wait_for_function(CONNECTED, timeout=10_000)
    seed.write_text(good)
    page.wait_for_selector("h1:has-text('who is responsible?')", timeout=10_000)
    assert sum(line.startswith(f"{SEED}:") and ": error: YAML" in line for line in lines) == 1


def test_a_new_seed_appears_on_the_home_page_and_its_url_dies_with_it(site, server, page):
    base = server.url
    open_live(page, base)
    new = write(site / "seeds" / "020_new.txt",
                "---\ntitle: A story that did not exist\npublishedDateTime: 2026-11-21T08:00:00Z\ntopics: [AI]\n---\n")
    page.wait_for_selector("text=A story that did not exist", timeout=10_000)
    article = base + "2026/11/a-story-that-did-not-exist/"
    assert page.request.get(article).status == 200
    new.unlink()
    page.wait_for_function(CONNECTED, timeout=10_000)
    page.wait_for_selector("text=A story that did not exist", state="detached", timeout=10_000)
    assert page.request.get(article).status == 404


def test_two_quick_saves_always_end_on_the_second_one(site, server, page):
    """A formatter on save writes twice within 100 ms: whatever the timing, the page ends on the last save,
    even when the second reload comes while the page is reconnecting after the first."""
    open_live(page, server.url + ARTICLE)
    seed = site / SEED
    original = seed.read_text()
    stale = []
    for trial, gap in enumerate((0.05, 0.06, 0.07, 0.08, 0.09, 0.1)):
        seed.write_text(original.replace("In all these cases", f"First save {trial}"))
        time.sleep(gap)
        seed.write_text(original.replace("In all these cases", f"Second save {trial}"))
        try:
            page.wait_for_function("text => document.body && document.body.innerText.includes(text)",
                                   arg=f"Second save {trial}", timeout=5_000)
        except PlaywrightTimeout:
            stale.append(gap)
        page.wait_for_function(CONNECTED, timeout=10_000)
    assert stale == [], f"the page kept an older save after gaps of {stale} s"
