"""Atom feeds, read back with feedparser as a subscriber's reader would."""

import os
import re
from dataclasses import replace
from datetime import datetime, timezone

import feedparser
import pytest

from conftest import write
from generator.build import build
from generator.config import load_config


def build_feeds(config, tmp_path, name="out"):
    build(config, output=tmp_path / name, show_progress=False)
    return tmp_path / name


def parse(path):
    feed = feedparser.parse(path.read_bytes())
    assert feed.bozo == 0, getattr(feed, "bozo_exception", None)
    return feed


def test_site_feed_is_valid_atom_with_the_rfc4287_essentials(site_config, tmp_path):
    out = build_feeds(site_config, tmp_path)
    feed = parse(out / "feed.xml")
    assert feed.version == "atom10"
    assert feed.feed.id == "tag:digest.example.org,2026:feed"
    assert feed.feed.title == site_config.title and feed.feed.author
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": "https://example.github.io/digest/feed.xml", "alternate": "https://example.github.io/digest/"}
    dates = [e.updated_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True), "entries must be newest first"
    assert feed.feed.updated_parsed == max(dates), "feed updated is the newest entry, not the build time"


def test_entries_carry_permanent_ids_absolute_links_and_the_provider(site_config, tmp_path):
    raw = (build_feeds(site_config, tmp_path) / "feed.xml").read_bytes()
    feed = parse(tmp_path / "out" / "feed.xml")
    entry = next(e for e in feed.entries if e.title == "Ethical Considerations in AI-Driven Healthcare")
    assert entry.id == "tag:digest.example.org,2026:seeds/004_5cd5536e1fb50c68.txt"
    welcome = next(e for e in feed.entries if e.title == "Welcome to the AI in Healthcare Digest")
    assert welcome.id == "tag:digest.example.org,2026:welcome", "its explicit id keeps the id it was published with"
    assert entry.author == "News Medical"
    links = {link.rel: link.href for link in entry.links}
    assert links["alternate"] == "https://example.github.io/digest/2023/11/ethical-considerations-in-ai-driven-healthcare/"
    assert links["related"].startswith("https://www.news-medical.net/")
    assert entry.published_parsed[:5] == (2023, 11, 6, 14, 6)
    assert "There are a number of ethical concerns" in entry.content[0].value
    assert b"<summary" not in raw, "the content holds the summary's text; an entry says it once"
    for entry in feed.entries:
        html = entry.content[0].value
        assert 'href="/' not in html and 'src="/' not in html, "links inside content must be absolute"


def test_drafts_never_reach_a_feed(site_config, tmp_path):
    out = build_feeds(site_config, tmp_path)
    for path in out.rglob("feed.xml"):
        ids = {e.id for e in parse(path).entries}
        assert not {"tag:digest.example.org,2026:seeds/000_18b3b3e0ce09e073.txt",
                    "tag:digest.example.org,2026:seeds/002_06d28ed0651d8717.txt"} & ids


def test_each_topic_has_a_feed_listing_only_its_stories(site_config, tmp_path):
    out = build_feeds(site_config, tmp_path)
    feed = parse(out / "topics" / "ai-ethics" / "feed.xml")
    assert feed.feed.id == "tag:digest.example.org,2026:topic/ai-ethics"
    assert {e.title for e in feed.entries} >= {"When AI in healthcare goes wrong, who is responsible?"}
    assert all(any(t.term == "ai-ethics" for t in e.tags) for e in feed.entries)


def test_ids_survive_a_new_url_base_path_title_and_slug(site, tmp_path):
    before = {e.title: e.id for e in parse(build_feeds(load_config(site / "site.yml"), tmp_path, "a") / "feed.xml").entries}
    seed = site / "seeds" / "001_66d0eec8100579d4.txt"
    seed.write_text(seed.read_text().replace('title: "When AI in healthcare goes wrong, who is responsible?"',
                                             'title: "Retitled story"\nslug: another-slug'))
    moved = replace(load_config(site / "site.yml"), url="https://news.example.com", base_path="/", title="Renamed digest")
    after_feed = parse(build_feeds(moved, tmp_path, "b") / "feed.xml")
    after = {e.title: e.id for e in after_feed.entries}
    assert "https://news.example.com/2020/09/another-slug/" in {e.link for e in after_feed.entries}
    assert before.pop("When AI in healthcare goes wrong, who is responsible?") == after.pop("Retitled story")
    assert before == after


def test_control_characters_in_scraped_text_do_not_break_the_feed(tmp_path):
    from conftest import minimal_site
    config = minimal_site(tmp_path)
    write(tmp_path / "seeds" / "x.md", '---\ntitle: "Bad\\vtitle\\u0001 here"\nexcerpt: "a\\x1fb"\n'
                                        "publishedDateTime: 2021-01-01T00:00:00Z\ntopics: [AI]\n---\n")
    feed = parse(build_feeds(config, tmp_path) / "feed.xml")
    assert feed.entries[0].title == "Badtitle here"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "//evil.example/x", "vbscript:x"])
def test_only_http_links_reach_the_feed(tmp_path, url):
    from conftest import minimal_site
    config = minimal_site(tmp_path)
    write(tmp_path / "seeds" / "x.md", f"---\ntitle: T\nwebUrl: \"{url}\"\npublishedDateTime: 2021-01-01T00:00:00Z\n---\n")
    out = build_feeds(config, tmp_path)
    assert url not in (out / "feed.xml").read_text()
    assert {link.rel for link in parse(out / "feed.xml").entries[0].links} == {"alternate"}


# RFC 4151: tag:<authority>,<date>:<specific>, the specific part being pchar / "/" / "?" (RFC 3986).
TAG_URI = re.compile(r"tag:[a-z0-9.-]+,\d{4}(-\d\d){0,2}:([A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})+")


def entries_by_id(out):
    feed = parse(out / "feed.xml")
    return {e.id: (e.title, re.sub(r"<[^>]+>", "", e.content[0].value).strip(), e.link) for e in feed.entries}


def test_no_feed_id_moves_when_other_documents_arrive(site, tmp_path):
    story = write(site / "seeds" / "story.txt", "The same story\nTold first as plain text.\n")
    os.utime(story, (datetime(2026, 11, 5, tzinfo=timezone.utc).timestamp(),) * 2)
    before = entries_by_id(build_feeds(load_config(site / "site.yml"), tmp_path, "a"))

    def post(path, title, day, summary):
        write(site / path, f"---\ntitle: {title}\ndate: 2026-11-{day}T09:00:00Z\ntopics: [AI]\nsummary: {summary}\n---\n")

    post("seeds/welcome.md", "Welcome to the seeds folder", 22, "Another welcome.")
    post("seeds/story.md", "The same story", "06", "Told again in Markdown.")
    post("seeds/story.markdown", "The same story", "07", "Told a third time.")
    post("seeds/Café #1 (draft?).md", "An awkward file name", "08", "Spaces, accents and signs.")
    after = entries_by_id(build_feeds(load_config(site / "site.yml"), tmp_path, "b"))

    assert {id: after[id][:2] for id in before} == {id: entry[:2] for id, entry in before.items()}
    new = {after[id][1] for id in after.keys() - before.keys()}
    # Two later copies of "The same story" join it: announced once, under the first copy's id.
    assert new == {"Another welcome.", "Spaces, accents and signs."}
    assert all(TAG_URI.fullmatch(id) for id in after), sorted(after)
    stories = [link.rsplit("/", 2)[1] for title, _, link in after.values() if title == "The same story"]
    assert stories == ["the-same-story"]
    month = tmp_path / "b" / "2026" / "11"
    for copy in ("the-same-story-2", "the-same-story-3"):
        assert 'http-equiv="refresh"' in (month / copy / "index.html").read_text(), "each copy's address still works"


@pytest.mark.parametrize("taken", ["feed", "topic/ai", "source/quartz", "edition/2026-W45", "editions"])
def test_a_story_cannot_take_the_id_of_a_feed(site, tmp_path, taken):
    """A reader that saw one id on a feed and on an entry could take one for the other."""
    write(site / "seeds" / "squatter.md", f"---\nid: {taken}\ntitle: Squatter\ndate: 2026-11-20T09:00:00Z\n"
                                          "topics: [AI]\n---\nBody.\n")
    report = build(load_config(site / "site.yml"), output=tmp_path / "out", show_progress=False)
    assert any("squatter.md" in str(d) and "'id'" in str(d) for d in report.diagnostics.warnings)
    feeds = [parse(path) for path in (tmp_path / "out").rglob("feed.xml")]
    feed_ids = {feed.feed.id for feed in feeds}
    entry_ids = {entry.id for feed in feeds for entry in feed.entries}
    squatters = [entry for feed in feeds for entry in feed.entries if entry.title == "Squatter"]
    assert squatters and all(entry.id.endswith(":seeds/squatter.md") for entry in squatters), "minted from its path"
    assert not feed_ids & entry_ids
