"""Weekly editions as a reader, a subscriber and a newsletter editor meet them."""

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import html5lib
import pytest

from browser import browser  # noqa: F401  (fixture)
from conftest import minimal_site, write
from generator.build import build
from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.index import build_index, story_score
from generator.model import Article, Provider
from sitecheck import serving
from test_publish import axe_violations, vnu_errors

UTC = timezone.utc


def item(name: str, title: str, when: str, **fields) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return f"---\ntitle: {title}\npublishedDateTime: {when}\ntopics: [AI]\n{extra}---\nBody of {title}.\n"


def article(key, when, **fields) -> Article:
    return Article(key=key, file=f"seeds/{key}.md", kind="article", title=f"Story {key}", date=when,
                   updated=when, topics=("AI",), **fields)


def editions_of(articles, **settings):
    config = SiteConfig(root=Path("/nonexistent"), **settings)
    return build_index(config, articles, (), Diagnostics()).editions


def test_an_item_late_on_sunday_in_the_site_time_zone_belongs_to_that_week():
    sunday_night = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)  # 23:30 on Sunday 29 November in New York
    [edition] = editions_of([article("late", sunday_night)], timezone="America/New_York")
    assert (edition.year, edition.week, edition.path) == (2026, 48, "editions/2026-W48/")
    [utc_edition] = editions_of([article("late", sunday_night)])
    assert utc_edition.week == 49, "the same moment is Monday in UTC"


def test_stories_rank_by_heat_quality_outlets_and_an_editors_pick():
    monday = datetime(2026, 11, 23, 9, tzinfo=UTC)
    stories = [article("cold", monday, heat=10), article("hot", monday, heat=95),
               article("good", monday, quality=100), article("picked", monday, featured=True)]
    [edition] = editions_of(stories)
    assert [e.article.key for e in edition.entries] == ["picked", "hot", "good", "cold"]
    assert story_score(edition.entries[0]) == 100


def test_the_top_list_keeps_edition_size_and_leaves_out_what_is_under_minimum_heat():
    monday = datetime(2026, 11, 23, 9, tzinfo=UTC)
    stories = [article(f"s{n}", monday, heat=10 * n) for n in range(1, 8)] + [article("post", monday)]
    [edition] = editions_of(stories, edition_size=3, minimum_heat=40)
    assert [e.article.key for e in edition.top] == ["s7", "s6", "s5"]
    [edition] = editions_of(stories, edition_size=10, minimum_heat=40)
    assert [e.article.key for e in edition.top] == ["s7", "s6", "s5", "s4", "post"], "no heat: not under it"
    rest = [e.article.key for _, entries in edition.rest for e in entries]
    assert sorted(rest) == ["s1", "s2", "s3"]


@pytest.fixture
def weekly(tmp_path):
    config = minimal_site(tmp_path, url="https://example.org", base_path="/digest/")
    seeds = tmp_path / "seeds"
    write(seeds / "w1-a.md", item("w1-a", "Hospital adopts triage model", "2026-11-02T09:00:00Z", heat=80))
    write(seeds / "w1-b.md", item("w1-b", "Regulator opens consultation", "2026-11-03T09:00:00Z", heat=60,
                                  provider="{name: Health Wire}", webUrl="https://wire.example/consultation"))
    write(seeds / "w1-c.md", item("w1-c", "Regulator opens consultation on AI", "2026-11-04T09:00:00Z",
                                  provider="{name: Daily Post}", webUrl="https://www.wire.example/consultation/?utm_source=x"))
    write(seeds / "w2-a.md", item("w2-a", "Sepsis alert trial reports", "2026-11-10T09:00:00Z", heat=90))
    write(seeds / "w3-a.md", item("w3-a", "Week three opens", "2026-11-16T09:00:00Z", heat=10))
    return config


def feed_ids(path: Path) -> dict[str, str]:
    feed = feedparser.parse(path.read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    return {entry.id: entry.updated for entry in feed.entries}


def test_the_editions_feed_has_one_entry_per_completed_week_with_ids_that_never_move(weekly, tmp_path):
    build(weekly, output=tmp_path / "one", show_progress=False)
    first = feed_ids(tmp_path / "one" / "editions" / "feed.xml")
    assert sorted(first) == ["tag:digest.invalid,2026:edition/2026-W45", "tag:digest.invalid,2026:edition/2026-W46"]
    assert "W47" not in "".join(first), "the week still running is on the site, not in the feed"
    assert (tmp_path / "one" / "editions" / "2026-W47" / "index.html").exists()

    write(weekly.root / "seeds" / "w1-late.md", item("late", "A late story for week one", "2026-11-05T09:00:00Z",
                                                      updatedDateTime="2026-11-20T09:00:00Z"))
    build(weekly, output=tmp_path / "two", show_progress=False)
    second = feed_ids(tmp_path / "two" / "editions" / "feed.xml")
    assert second.keys() == first.keys()
    week45 = "tag:digest.invalid,2026:edition/2026-W45"
    assert second[week45] != first[week45], "a late story changes the week's updated, never its id"


def test_an_edition_ranks_its_stories_and_lists_the_rest_by_topic(weekly, tmp_path):
    build(weekly, output=tmp_path / "out", show_progress=False)
    page = (tmp_path / "out" / "editions" / "2026-W45" / "index.html").read_text()
    ranked = re.findall(r'<li class="edition-story">.*?<a href="([^"]+)">', page, re.S)
    assert ranked[0].endswith("/regulator-opens-consultation/"), "two outlets: 60 heat + 20 beats 80 heat"
    assert "Health Wire</span> and 1 more outlet · " in page, "the lead outlet, and how many more told it"
    home = (tmp_path / "out" / "index.html").read_text()
    assert home.index("Top stories: Week 46, 2026") < home.index("Latest stories"), \
        "early in a week (one story so far) the home page leads with the last complete week"


def test_editions_can_be_browsed_by_lead_headline_and_from_week_to_week(weekly, tmp_path):
    build(weekly, output=tmp_path / "out", show_progress=False)
    overview = html5lib.parse((tmp_path / "out" / "editions" / "index.html").read_bytes(), namespaceHTMLElements=False)
    weeks = {li.find("a").text: li.find(".//span[@class='edition-lead']").text
             for li in overview.iter("li") if li.find(".//span[@class='edition-lead']") is not None}
    assert weeks == {"Week 47, 2026": "Week three opens", "Week 46, 2026": "Sepsis alert trial reports",
                     "Week 45, 2026": "Regulator opens consultation"}, "each week says what led it"

    def links(week):
        page = html5lib.parse((tmp_path / "out" / "editions" / week / "index.html").read_bytes(),
                              namespaceHTMLElements=False)
        head = {link.get("rel"): link.get("href") for link in page.iter("link") if link.get("rel") in ("prev", "next")}
        body = {a.get("rel"): a.get("href") for a in page.iter("a") if a.get("rel") in ("prev", "next")}
        assert head == body
        return body, "still running" in "".join(page.find(".//main").itertext())

    assert links("2026-W47") == ({"next": "/digest/editions/2026-W46/"}, True), "the newest week says it is running"
    assert links("2026-W46") == ({"prev": "/digest/editions/2026-W47/", "next": "/digest/editions/2026-W45/"}, False)
    assert links("2026-W45") == ({"prev": "/digest/editions/2026-W46/"}, False)


def test_an_editions_headings_never_skip_a_level(weekly, tmp_path):
    build(weekly, output=tmp_path / "out", show_progress=False)
    for page in (tmp_path / "out" / "editions").glob("*/index.html"):
        levels = [int(tag[1]) for tag in re.findall(r"<(h[1-6])\b", page.read_text())]
        assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:])), (page, levels)


def test_the_email_copy_is_self_contained_with_absolute_links(weekly, tmp_path):
    build(weekly, output=tmp_path / "out", show_progress=False)
    editions = tmp_path / "out" / "editions"
    assert not (editions / "2026-W45" / "email.html").exists(), "only the two newest weeks are ready to send"
    assert "Email version" not in (editions / "2026-W45" / "index.html").read_text()
    assert "Email version" in (editions / "2026-W46" / "index.html").read_text()
    email = (editions / "2026-W46" / "email.html").read_text()
    html5lib.HTMLParser(strict=False).parse(email)
    assert not re.search(r"<style|<script|rel=\"stylesheet\"", email, re.I)
    for url in re.findall(r'(?:href|src)="([^"]+)"', email):
        assert url.startswith(("https://example.org/digest/", "https://wire.example")), url
    assert "max-width: 600px" in email and 'style="' in email
    text = (editions / "2026-W46" / "email.txt").read_text()
    assert "1. Sepsis alert trial reports" in text and "https://example.org/digest/editions/2026-W46/" in text
    assert "<" not in text


@pytest.fixture
def served(weekly, tmp_path):
    out = tmp_path / "www"
    build(weekly, output=out / "digest", show_progress=False)
    with serving(out) as origin:
        yield origin + "/digest/", out


def test_the_email_reads_on_a_phone(served, browser):  # noqa: F811
    url, _ = served
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(url + "editions/2026-W46/email.html")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"scrolls sideways by {overflow}px at 375px"
    assert page.locator("a", has_text="Sepsis alert trial reports").count() == 1
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_edition_pages_and_a_story_page_pass_axe(served, browser, scheme):  # noqa: F811
    url, out = served
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    problems = {}
    for path in ("editions/", "editions/2026-W45/", "2026/11/regulator-opens-consultation/", ""):
        page.goto(url + path)
        if found := axe_violations(page):
            problems[path] = found
    context.close()
    assert problems == {}
    assert "Also covered by" in (out / "digest" / "2026/11/regulator-opens-consultation/index.html").read_text()


def test_edition_pages_and_emails_pass_the_nu_checker(served):
    _, out = served
    assert vnu_errors(out / "digest") == []
