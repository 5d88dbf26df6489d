"""Full-text search: the index a build writes into /search/index/, and the /search/ page that
queries it, used in Chromium as a reader would, against the site served under /digest/."""

import json
import re
import shutil
import time

import pytest

from browser import browser  # noqa: F401  (fixture)
from conftest import REPO, RunningServer, minimal_site, shared_dir, write
from generator.build import build
from generator.config import load_config
from sitecheck import serving, tree_bytes
from test_publish import axe_violations

# A story whose body alone holds BODY_WORD, a second one sharing SHARED_WORD under another topic, a
# draft, and a plain-text story whose text would be markup if a result were built from it unescaped.
STORY = "2024/03/hospital-pilots-bedside-monitoring/"
OTHER = "2024/04/clinic-trials-remote-monitoring/"
BODY_WORD, SHARED_WORD, DRAFT_WORD, HOSTILE_WORD = "zymurgical", "telemetry", "xylophonist", "quokkawise"
DOCUMENTS = {
    "seeds/search-story.md": f"""---
title: "Hospital pilots bedside monitoring"
excerpt: "A regional hospital tested a new monitoring system on two wards."
publishedDateTime: 2024-03-05T10:00:00Z
webUrl: "https://example.org/story"
provider:
  name: Test Gazette
  domain: example.org
topics:
  - Medical Imaging
---
Nurses said the {BODY_WORD} precision of the {SHARED_WORD} alarms surprised them.
""",
    "seeds/search-other.md": f"""---
title: "Clinic trials remote monitoring"
excerpt: "A clinic sent patients home with sensors."
publishedDateTime: 2024-04-02T10:00:00Z
provider:
  name: Other Times
  domain: example.net
topics:
  - Diagnostics
---
The {SHARED_WORD} reached the clinic every hour, as the Ärztekammer in 東京 asked.
""",
    "seeds/search-draft.md": f"""---
title: "Unpublished {DRAFT_WORD} story"
excerpt: "Not for readers yet: the {DRAFT_WORD} saw it first."
publishedDateTime: 2024-05-02T10:00:00Z
published: false
topics:
  - Diagnostics
---
The {DRAFT_WORD} played on.
""",
    "seeds/search-hostile.txt": f"""Markup in a story's text stays text
A reader wrote <img src=x onerror="window.pwned=1"> about the {HOSTILE_WORD} study.
""",
}


def add_documents(site):
    for name, text in DOCUMENTS.items():
        write(site / name, text)


def copy_site(root):
    site = root / "site"
    for folder in ("seeds", "content", "themes"):
        shutil.copytree(REPO / folder, site / folder)
    shutil.copy2(REPO / "site.yml", site / "site.yml")
    add_documents(site)
    return site


def bundle(out):
    return {path: data for path, data in tree_bytes(out).items() if path.startswith("search/")}


def indexed_pages(out) -> dict[str, dict]:
    """Each indexed story as the search page reads it: its address, headline, outlet, date, text and
    filter values."""
    index = out / "search" / "index"
    site = json.loads((index / "site.json").read_text())
    pages = {}
    for number, row in enumerate(site["docs"]):
        chunk = json.loads((index / "d" / f"{number // site['chunk']}.json").read_text())
        address, title, outlet, date, text = chunk[number % site["chunk"]]
        pages["/" + address] = {"title": title, "outlet": outlet, "date": date, "content": text, "filters": {
            "outlet": [site["outlets"][row[0]]] if row[0] >= 0 else [], "month": [site["months"][row[1]]],
            "topic": [site["topics"][n] for n in row[2:]]}}
    return pages


@pytest.fixture(scope="module")
def www(tmp_path_factory):
    """The site, with the documents above, built under www/digest/ as `make build` builds it."""
    root = tmp_path_factory.mktemp("search")
    build(load_config(copy_site(root) / "site.yml"), output=root / "www" / "digest", show_progress=False)
    return root / "www"


@pytest.fixture(scope="module")
def served(www):
    with serving(www) as origin:
        yield origin + "/digest/"


@pytest.fixture
def page(browser, served):  # noqa: F811
    """A page that records every request and answers any request to another host with nothing."""
    context = browser.new_context()
    opened = context.new_page()
    opened.requested = []
    opened.on("request", lambda request: opened.requested.append(request.url))
    opened.route(lambda url: not url.startswith(served), lambda route: route.fulfill(status=204, body=""))
    yield opened
    context.close()


def search(page, served, query: str) -> list[str]:
    """Open the search page for `query` and return the result links once the count is shown."""
    page.goto(served + "search/?q=" + query)
    page.wait_for_function("() => document.getElementById('search-status').textContent !== ''")
    return page.eval_on_selector_all(".search-result h2 a", "links => links.map(a => a.getAttribute('href'))")


# ---- what is in the index ------------------------------------------------------------------------

def test_only_published_story_pages_are_indexed(www):
    out = www / "digest"
    pages = indexed_pages(out)
    stories = {"/" + p.parent.relative_to(out).as_posix() + "/" for p in out.glob("[0-9]*/[0-9]*/*/index.html")}
    assert set(pages) == stories
    assert not any(DRAFT_WORD in json.dumps(record) for record in pages.values())
    story = pages["/" + STORY]
    assert story["filters"] == {"topic": ["Medical Imaging"], "outlet": ["Test Gazette"], "month": ["2024-03"]}
    assert story["title"] == "Hospital pilots bedside monitoring" and story["date"] == "5 March 2024"
    # the story's own text, not its topics, source link, related coverage or footer
    assert BODY_WORD in story["content"] and "Read the full story" not in story["content"]
    assert "Filed in" not in story["content"] and "Medical Imaging" not in story["content"]


def test_search_false_publishes_no_search_page_index_or_box(tmp_path):
    site = copy_site(tmp_path)
    (site / "site.yml").write_text((site / "site.yml").read_text() + "search: false\n")
    build(load_config(site / "site.yml"), output=tmp_path / "out", show_progress=False)
    home = (tmp_path / "out" / "index.html").read_text()
    assert not (tmp_path / "out" / "search").exists() and 'type="search"' not in home
    assert (tmp_path / "out" / STORY / "index.html").is_file()


def test_a_drafts_build_indexes_drafts(tmp_path):
    build(load_config(copy_site(tmp_path) / "site.yml"), output=tmp_path / "out", drafts=True, show_progress=False)
    assert any(DRAFT_WORD in record["content"] for record in indexed_pages(tmp_path / "out").values())


def test_two_builds_give_the_same_index_bytes(tmp_path):
    """With forty outlets, topics and months, any order taken from a hash would differ between runs."""
    site = copy_site(tmp_path)
    for n in range(40):
        write(site / "seeds" / f"many-{n:02d}.md", f"---\ntitle: Story number {n}\npublishedDateTime: "
              f"20{10 + n // 12:02d}-{n % 12 + 1:02d}-03T10:00:00Z\nprovider:\n  name: Outlet {n}\n  domain: "
              f"example.org\ntopics:\n  - Topic {n}\n---\nBody of story {n}.\n")
    config = load_config(site / "site.yml")
    build(config, output=tmp_path / "a", show_progress=False, use_cache=False)
    build(config, output=tmp_path / "b", show_progress=False, use_cache=False)
    first = bundle(tmp_path / "a")
    assert len(indexed_pages(tmp_path / "a")) >= 40
    assert first == bundle(tmp_path / "b")


def test_a_rebuild_rewrites_only_the_index_files_an_edit_changed(tmp_path):
    site = copy_site(tmp_path)
    config = load_config(site / "site.yml")
    out = tmp_path / "out"
    build(config, output=out, show_progress=False)
    index = out / "search" / "index"
    before = {p.relative_to(out): p.stat().st_ino for p in index.rglob("*") if p.is_file()}
    story = site / "seeds" / "search-story.md"
    story.write_text(story.read_text().replace(BODY_WORD, "quillwort"))
    build(config, output=out, show_progress=False)
    after = {p.relative_to(out): p.stat().st_ino for p in index.rglob("*") if p.is_file()}
    rewritten = {path for path, inode in after.items() if before.get(path) != inode}
    assert any("quillwort" in r["content"] for r in indexed_pages(out).values())
    assert 0 < len(rewritten) <= 4, sorted(map(str, rewritten))  # the story's chunk, two word files, words.json
    assert tree_bytes(out) == tree_bytes(build_clean(config, tmp_path / "clean")), "as a clean build makes it"

    (site / "themes" / "default" / "static" / "style.css").write_text("body { color: red; }\n")  # no page changes
    build(config, output=out, show_progress=False)
    assert {p.relative_to(out): p.stat().st_ino for p in index.rglob("*") if p.is_file()} == after


def build_clean(config, out):
    build(config, output=out, show_progress=False, use_cache=False)
    return out


def test_a_site_without_stories_builds_without_an_index(tmp_path):
    config = minimal_site(tmp_path)
    build(config, output=tmp_path / "out", show_progress=False)
    assert (tmp_path / "out" / "search" / "index.html").is_file() and not (tmp_path / "out" / "search" / "index").exists()


# ---- the search page in a browser ----------------------------------------------------------------

def test_a_word_only_in_a_story_body_finds_that_story(page, served):
    source = DOCUMENTS["seeds/search-story.md"]
    assert BODY_WORD not in source.split("---")[1]  # not in its title or summary
    assert search(page, served, BODY_WORD) == ["/digest/" + STORY]
    result = page.inner_text(".search-result")
    assert "Hospital pilots bedside monitoring" in result and "Test Gazette" in result and "5 March 2024" in result
    assert page.inner_text(".search-result mark").lower() == BODY_WORD
    assert [url for url in page.requested if not url.startswith(served)] == []


@pytest.mark.parametrize("query", ["Ärztekammer", "ärztekammer", "東京", "reaching"])
def test_words_in_any_script_and_forms_no_story_holds_find_their_stories(page, served, query):
    assert search(page, served, query) == ["/digest/" + OTHER], "'reaching': no story says it, one says 'reached'"


def test_a_word_still_being_typed_finds_the_words_it_starts(page, served):
    page.goto(served + "search/")
    page.wait_for_selector("#search:not(.pending)")
    page.fill("#search-words", BODY_WORD[:5])
    page.wait_for_selector(".search-result")
    assert page.eval_on_selector_all(".search-result h2 a", "as => as.map(a => a.getAttribute('href'))") == ["/digest/" + STORY]


def test_a_word_from_a_draft_finds_nothing(page, served):
    assert search(page, served, DRAFT_WORD) == []
    assert f"No story mentions “{DRAFT_WORD}”" in page.inner_text("#search-status"), "a draft is not in the index"


def test_a_topic_filter_narrows_the_results(page, served):
    assert sorted(search(page, served, SHARED_WORD)) == ["/digest/" + STORY, "/digest/" + OTHER]
    page.select_option("#search-topic", "Diagnostics")
    page.wait_for_function("() => document.querySelectorAll('.search-result').length === 1")
    assert page.eval_on_selector(".search-result a", "a => a.getAttribute('href')") == "/digest/" + OTHER
    assert "topic=Diagnostics" in page.url


def test_results_can_be_ordered_by_date_and_filtered_without_words(page, served):
    page.goto(served + "search/?month=2024-04")
    page.wait_for_selector(".search-result")
    assert page.eval_on_selector_all(".search-result a", "l => l.map(a => a.getAttribute('href'))") == ["/digest/" + OTHER]
    assert search(page, served, SHARED_WORD + "&order=oldest") == ["/digest/" + STORY, "/digest/" + OTHER]
    assert search(page, served, SHARED_WORD + "&order=newest") == ["/digest/" + OTHER, "/digest/" + STORY]


def test_result_links_resolve_to_the_stories_they_name(page, served):
    links = search(page, served, "AI")
    assert len(links) >= 3
    titles = page.eval_on_selector_all(".search-result h2 a", "links => links.map(a => a.textContent)")
    for link, title in zip(links, titles, strict=True):
        response = page.goto(served.removesuffix("/digest/") + link)
        assert response.status == 200 and page.inner_text("h1").startswith(title), link


def test_an_excerpt_never_becomes_markup(page, served):
    assert len(search(page, served, HOSTILE_WORD)) == 1
    assert '<img src=x onerror="window.pwned=1">' in page.inner_text(".search-result")
    assert page.evaluate("() => window.pwned") is None and page.query_selector(".search-result img") is None


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_search_page_with_results_has_no_accessibility_violations(browser, served, scheme):  # noqa: F811
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        assert len(search(page, served, SHARED_WORD)) == 2
        assert axe_violations(page) == []
    finally:
        context.close()


def tab_to(page, selector: str, presses: int = 40) -> None:
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_alone_reaches_the_box_and_opens_a_result(page, served):
    page.goto(served + "archive/")
    tab_to(page, "header input[type=search]")
    page.keyboard.type(BODY_WORD)
    page.keyboard.press("Enter")
    page.wait_for_selector(".search-result")
    assert page.url.startswith(served + "search/?q=")
    assert page.evaluate("() => document.activeElement.id") == "search-words", "focus is not left on <body>"
    assert page.input_value("header input[type=search]") == BODY_WORD, "the header's box says what was searched"
    tab_to(page, ".search-result a")
    page.keyboard.press("Enter")
    page.wait_for_url(served + STORY)
    assert page.inner_text("h1").startswith("Hospital pilots bedside monitoring")


LAYOUT_SHIFT = """() => new Promise(done => {
    let total = 0;
    new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value; })
        .observe({type: "layout-shift", buffered: true});
    setTimeout(() => done(total), 500);
})"""


@pytest.mark.parametrize("width", [375, 1280])
def test_the_search_page_does_not_shift_as_the_form_replaces_its_note(browser, served, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(served + f"search/?q={SHARED_WORD}")
        page.wait_for_selector(".search-result")
        assert page.evaluate(LAYOUT_SHIFT) <= 0.1
        assert page.locator("#search").is_visible() and not page.locator("#search-note").is_visible()
    finally:
        context.close()


def test_without_javascript_the_box_leads_to_links_to_topics_and_the_archive(browser, served):  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(served)
        page.fill("header input[type=search]", BODY_WORD)
        page.press("header input[type=search]", "Enter")
        page.wait_for_url(served + f"search/?q={BODY_WORD}")
        note = page.locator("#search-note")
        assert note.is_visible() and "JavaScript" in note.inner_text()
        links = note.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert links == ["/digest/topics/", "/digest/archive/"]
        assert not page.locator("#search").is_visible()
    finally:
        context.close()


# ---- the dev server ------------------------------------------------------------------------------

def test_the_preview_finds_drafts_and_an_edit_after_the_rebuild(site, browser):  # noqa: F811
    add_documents(site)
    server = RunningServer(site)
    context = browser.new_context()
    try:
        page = context.new_page()
        assert search(page, server.url, DRAFT_WORD) == ["/digest/2024/05/unpublished-xylophonist-story/"]
        page.close()  # else the rebuild's reload would interrupt the next search
        rebuilds = sum("files written" in line for line in server.lines)
        story = site / "seeds" / "search-story.md"
        story.write_text(story.read_text().replace(BODY_WORD, "quillwort"))
        deadline = time.monotonic() + 30
        while sum("files written" in line for line in server.lines) == rebuilds:
            assert time.monotonic() < deadline, "".join(server.lines)
            time.sleep(0.05)
        page = context.new_page()
        assert search(page, server.url, "quillwort") == ["/digest/" + STORY]
        assert search(page, server.url, BODY_WORD) == []
    finally:
        context.close()
        server.stop()


def test_a_page_named_search_cannot_take_the_search_pages_place(site, tmp_path):
    write(site / "content" / "pages" / "search.md", "---\ntitle: Search tips\n---\nUse fewer words.\n")
    report = build(load_config(site / "site.yml"), output=tmp_path / "out", show_progress=False)
    assert 'id="search-note"' in (tmp_path / "out" / "search" / "index.html").read_text()
    assert "Use fewer words." in (tmp_path / "out" / "search-2" / "index.html").read_text()
    assert any("search-2" in str(d) for d in report.diagnostics.warnings)


# ---- what a reader finds in the corpus -----------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_served(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus-search")
    shutil.copytree(shared_dir("corpus") / "smartable-ai", root / "seeds")
    (root / "site.yml").write_text("url: https://example.org\nbase_path: /digest/\nsources: [seeds]\n")
    build(load_config(root / "site.yml", environ={}), output=root / "www" / "digest", show_progress=False)
    with serving(root / "www") as origin:
        yield origin + "/digest/", root / "www" / "digest"


def shown(page, served, query: str) -> tuple[str, list[dict]]:
    """What the search page says for `query`, and each result as a reader sees it."""
    search(page, served, query)
    results = page.eval_on_selector_all(".search-result", """items => items.map(item => ({
        href: item.querySelector("h2 a").getAttribute("href"), title: item.querySelector("h2").textContent,
        snippet: item.querySelector("p:last-child").textContent,
        marked: [...item.querySelectorAll("mark")].map(m => m.textContent)}))""")
    return page.inner_text("#search-status"), results


def page_text(out, href: str) -> str:
    html_text = (out / href.removeprefix("/digest/") / "index.html").read_text()
    story = html_text[html_text.index("<article"):html_text.index("</article>")]
    return re.sub(r"<[^>]+>", " ", story).casefold()


@pytest.mark.parametrize("query, word", [("approval", "approval"), ("FDA approval", "approval"),
                                         ("Mayo", "mayo"), ("Mayo Clinic", "mayo")])
def test_a_word_no_story_holds_is_named_and_nothing_else_is_shown(browser, corpus_served, query, word):  # noqa: F811
    served, _ = corpus_served
    page = browser.new_page()
    try:
        said, results = shown(page, served, query)
        assert said.startswith(f"No story mentions “{word}”.") and results == []
    finally:
        page.close()


def test_a_misspelling_offers_the_word_the_digest_has_and_the_link_finds_it(browser, corpus_served):  # noqa: F811
    served, out = corpus_served
    page = browser.new_page()
    try:
        said, _ = shown(page, served, "radiolgy")
        assert "Did you mean radiology?" in said
        page.get_by_role("link", name="radiology").click()
        page.wait_for_function("() => document.querySelectorAll('.search-result').length > 0")
        assert all("radiolog" in page_text(out, href) for href in
                   page.eval_on_selector_all(".search-result h2 a", "as => as.map(a => a.getAttribute('href'))"))
    finally:
        page.close()


@pytest.mark.parametrize("query", ["FDA", "imaging", "cancer detection", "clinical trials"])
def test_every_result_holds_every_word_and_its_snippet_is_not_the_headline(browser, corpus_served, query):  # noqa: F811
    served, out = corpus_served
    page = browser.new_page()
    try:
        said, results = shown(page, served, query)
        assert results, said
        stems = [word.casefold()[:4] for word in query.split()]
        for result in results:
            assert all(stem in page_text(out, result["href"]) for stem in stems), (query, result["href"])
            assert not result["snippet"].startswith(result["title"][:40]), "the snippet is the story's text"
        assert any(result["marked"] for result in results), "the words found are marked"
        in_title = [all(stem in result["title"].casefold() for stem in stems) for result in results]
        assert in_title == sorted(in_title, reverse=True), "headline matches come first"
    finally:
        page.close()
