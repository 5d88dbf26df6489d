"""The dev server in a real browser: edits on disk show up by themselves, errors show and clear."""

import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser import browser  # noqa: F401  (fixture)
from conftest import write
from test_publish import axe_violations

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


def panel(page):
    return page.get_by_role("complementary", name="Preview")


def test_broken_yaml_leaves_its_article_out_names_it_then_the_article_comes_back(site, server, page):
    base, lines = server.url, server.lines
    open_live(page, base + ARTICLE)
    seed = site / SEED
    good = seed.read_text()
    seed.write_text(good.replace("type: article", "type: [article"))
    panel(page).wait_for(timeout=10_000)
    assert f"{SEED}:" in panel(page).inner_text()
    assert page.request.get(base + ARTICLE).status == 404, "left out, as `make build` leaves it out"
    page.wait_for_function(CONNECTED, timeout=10_000)
    seed.write_text(good)
    page.wait_for_selector("h1:has-text('who is responsible?')", timeout=10_000)
    assert panel(page).count() == 0
    assert sum(line.startswith(f"{SEED}:") and ": error: " in line for line in lines) == 1


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


def test_a_corrupt_document_is_named_in_a_panel_while_every_other_page_is_served(site, server, page):
    base = server.url
    open_live(page, base)
    write(site / "seeds" / "corrupt.txt", "---\ntitle: [oops\n---\n")
    panel(page).wait_for(timeout=10_000)
    assert panel(page).get_by_role("heading").inner_text() == "Preview: 1 error"
    assert "seeds/corrupt.txt:3:1" in panel(page).get_by_role("listitem").inner_text()
    for path in ("", ARTICLE, "topics/", "archive/", "about/"):
        assert page.request.get(base + path).status == 200, path


def test_the_panel_can_be_dismissed_and_comes_back_for_something_new(site, server, page):
    open_live(page, server.url + ARTICLE)
    write(site / "seeds" / "corrupt.txt", "---\ntitle: [oops\n---\n")
    panel(page).wait_for(timeout=10_000)
    page.get_by_role("button", name="Dismiss").click()
    assert panel(page).is_hidden()
    page.wait_for_function(CONNECTED, timeout=10_000)
    page.reload()
    page.wait_for_function(CONNECTED, timeout=10_000)
    assert panel(page).is_hidden(), "dismissed until the list changes, not only until the next reload"
    write(site / "content" / "posts" / "undated.md", "---\ntitle: Undated\ndate: not-a-date\n---\nBody.\n")
    panel(page).wait_for(timeout=10_000)
    assert "content/posts/undated.md" in panel(page).inner_text()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_panel_has_no_accessibility_violations(site, server, browser, scheme):  # noqa: F811
    write(site / "seeds" / "corrupt.txt", "---\ntitle: [oops\n---\n")
    write(site / "content" / "posts" / "undated.md", "---\ntitle: Undated\ndate: not-a-date\n---\nBody.\n")
    context = browser.new_context(color_scheme=scheme)
    try:
        page = context.new_page()
        page.route(lambda url: not url.startswith(f"http://127.0.0.1:{server.port}/"),
                   lambda route: route.fulfill(status=204, body=""))
        page.goto(server.url + ARTICLE)
        page.wait_for_function(CONNECTED, timeout=10_000)
        panel(page).get_by_text("content/posts/undated.md").first.wait_for(timeout=10_000)
        assert axe_violations(page) == []
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent").startswith("Preview: 1 error"), \
            "the first stop for the keyboard opens or closes the list"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Problems found by the last build"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Dismiss"
    finally:
        context.close()


def test_warnings_alone_take_one_line_until_asked_for(site, server, page):
    for n in range(30):  # copies folded into one story, undated posts: what a big digest reports
        write(site / "content" / "posts" / f"undated-{n}.md", f"---\ntitle: Undated {n}\ndate: not-a-date\n---\nBody.\n")
    open_live(page, server.url + ARTICLE)
    panel(page).wait_for(timeout=10_000)
    heading = panel(page).get_by_role("heading")
    assert re.fullmatch(r"Preview: \d+ warnings", heading.inner_text())
    assert panel(page).bounding_box()["height"] < 80, "the page stays in view"
    problem = panel(page).get_by_text("content/posts/undated-0.md").first
    assert not problem.is_visible()
    heading.click()
    assert problem.is_visible()
