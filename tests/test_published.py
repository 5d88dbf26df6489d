"""What the site has published stays put: built, published, and built again after new items arrive,
read back as a reader and a feed reader see it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator.build import build
from generator.config import load_config
from generator.published import RECORD_NAME, RecordError, read_record
from readers import feed_entries, feed_title, news, publish, story_page

REPO = Path(__file__).resolve().parent.parent
VICTIM_URL = "https://news.example/2026/06/hospital-ai-triage"
VICTIM_PATH = "2026/06/hospital-adopts-ai-triage-for-emergency-rooms"


@pytest.fixture
def config(tmp_path):
    root = tmp_path / "site"
    (root / "seeds").mkdir(parents=True)
    (root / "content").mkdir()
    (root / "site.yml").write_text("url: https://example.org\nbase_path: /digest/\nsources: [seeds, content]\n"
                                   "id_authority: example.org,2026\n")
    return load_config(root / "site.yml", environ={})


def victim(config):
    return news(config, "victim.md", "Hospital adopts AI triage for emergency rooms", "2026-06-10T09:00:00Z",
                VICTIM_URL, "Real News", excerpt="The real outlet's report.")


def only_entry(out: Path):
    [(entry_id, entry)] = feed_entries(out).items()
    return entry_id, entry


def test_a_later_copy_from_another_outlet_never_takes_over_the_page_or_the_entry(config):
    victim(config)
    out = publish(config)
    before = only_entry(out)
    news(config, "attacker.md", "Hospital adopts AI triage for emergency rooms!", "2026-06-11T09:00:00Z",
         "https://evil.example/landing", "Evil Outlet", ampWebUrl=VICTIM_URL + "/amp", quality=100)
    out = publish(config)
    assert only_entry(out) == before, "one entry, with the same id, headline and link"
    page = story_page(out, VICTIM_PATH)
    assert page.headline == "Hospital adopts AI triage for emergency rooms" and page.link == VICTIM_URL
    assert "Evil Outlet" in (out / VICTIM_PATH / "index.html").read_text(), "it is listed as another outlet's copy"


def test_a_copy_dated_earlier_takes_neither_the_id_nor_the_address(config):
    victim(config)
    out = publish(config)
    entry_id, _ = only_entry(out)
    news(config, "backdated.md", "Hospital adopts AI triage for emergency rooms", "2026-05-31T09:00:00Z",
         "https://www.news.example/2026/06/hospital-ai-triage/?utm_source=x", "Real News")
    out = publish(config)
    assert list(feed_entries(out)) == [entry_id], "the story is not announced again"
    assert story_page(out, VICTIM_PATH).link == VICTIM_URL
    assert not (out / "2026/05").exists() or story_page(out, "2026/05/" + VICTIM_PATH.rsplit("/", 1)[1]).redirect


def test_a_fresh_checkout_knows_what_was_published_from_the_record_alone(config, tmp_path):
    victim(config)
    entry_id, _ = only_entry(publish(config))
    recorded = (config.root / RECORD_NAME).read_bytes()
    assert VICTIM_PATH.encode() in recorded
    for leftover in ("out", ".cache"):
        subprocess.run(["rm", "-rf", str(config.root / leftover)], check=True)
    news(config, "backdated.md", "Hospital adopts AI triage for emergency rooms", "2026-05-01T09:00:00Z",
         VICTIM_URL + "?utm_medium=rss", "Real News")
    assert list(feed_entries(publish(config))) == [entry_id]


def test_rebuilding_what_is_published_leaves_the_record_byte_for_byte(config):
    victim(config)
    publish(config)
    recorded = (config.root / RECORD_NAME).read_bytes()
    (config.root / ".cache").exists() and subprocess.run(["rm", "-rf", str(config.root / ".cache")], check=True)
    publish(config)
    assert (config.root / RECORD_NAME).read_bytes() == recorded


def test_a_record_a_writer_reformatted_is_left_as_it_is_while_nothing_new_is_published(config):
    victim(config)
    publish(config)
    reformatted = (config.root / RECORD_NAME).read_text().replace("\n ", "\n    ")
    (config.root / RECORD_NAME).write_text(reformatted)
    publish(config)
    assert (config.root / RECORD_NAME).read_text() == reformatted
    news(config, "later.md", "A second hospital story", "2026-06-12T09:00:00Z", "https://news.example/second")
    publish(config)
    assert "https://news.example/second" not in (config.root / RECORD_NAME).read_text()  # ids and paths only
    assert "later.md" in (config.root / RECORD_NAME).read_text()


def test_a_drafts_build_never_records_what_it_shows(config):
    news(config, "draft.md", "Embargoed hospital AI study", "2026-06-10T09:00:00Z", draft=True)
    build(config, output=config.root / "preview", drafts=True, show_progress=False)
    assert not (config.root / RECORD_NAME).exists()


def test_two_stories_published_apart_are_never_merged_later(config):
    news(config, "a.md", "Hospital AI triage cuts waiting times", "2026-06-10T09:00:00Z",
         "https://a.example/1", "Outlet A")
    news(config, "b.md", "Hospital AI triage cuts waiting time", "2026-06-20T09:00:00Z",
         "https://b.example/2", "Outlet B")
    assert len(feed_entries(publish(config))) == 2
    news(config, "bridge.md", "Hospital AI triage cuts waiting times", "2026-06-15T09:00:00Z",
         "https://a.example/1?utm_source=x", "Outlet A", ampWebUrl="https://b.example/2/amp")
    assert len(feed_entries(publish(config))) == 2, "a copy naming both stories' URLs merges neither away"


def test_an_outlet_arriving_later_never_takes_a_published_outlets_slug(config):
    news(config, "first.md", "Hospital AI triage", "2026-06-10T09:00:00Z", "https://a.example/1", "Health News")
    out = publish(config)
    before = feed_title(out, "sources/health-news/feed.xml")
    news(config, "late.md", "Radiology AI approved", "2026-01-01T09:00:00Z", "https://b.example/2", "Health-News!")
    out = publish(config)
    assert feed_title(out, "sources/health-news/feed.xml") == before
    assert feed_title(out, "sources/health-news-2/feed.xml")[1] != before[1]


def test_a_scraped_item_cannot_take_an_editors_id_by_dating_itself_earlier(config):
    news(config, "welcome.md", "Welcome to the digest", "2026-06-10T09:00:00Z", folder="content", id="welcome")
    news(config, "impostor.md", "Buy our product", "2020-01-01T09:00:00Z", "https://spam.example/x", "Spam",
         id="welcome")
    entries = feed_entries(publish(config))
    assert entries["tag:example.org,2026:welcome"].title == "Welcome to the digest"


def test_a_broken_record_stops_the_build_with_a_message_and_no_traceback(config):
    victim(config)
    (config.root / RECORD_NAME).write_text('{"stories": {"x": {"path": "../../etc/"}}}')
    with pytest.raises(RecordError):
        read_record(config)
    result = subprocess.run([sys.executable, "-m", "generator", "build"], cwd=config.root, capture_output=True,
                            text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1 and RECORD_NAME in result.stderr and "Traceback" not in result.stderr
    assert not (config.root / "output").exists(), "nothing is written"


def test_a_retitled_storys_old_address_redirects_to_its_new_one_even_from_a_fresh_checkout(config):
    path = victim(config)
    entry_id, _ = only_entry(publish(config))
    path.write_text(path.read_text().replace("title: Hospital adopts AI triage for emergency rooms",
                                             "title: Hospital trials AI triage"))
    out = publish(config)
    moved = "2026/06/hospital-trials-ai-triage"
    assert story_page(out, moved).headline == "Hospital trials AI triage"
    assert story_page(out, VICTIM_PATH).redirect == f"/digest/{moved}/", "the old address is no 404"
    assert list(feed_entries(out)) == [entry_id]
    assert VICTIM_PATH not in (out / "sitemap.xml").read_text()
    for leftover in ("out", ".cache"):
        subprocess.run(["rm", "-rf", str(config.root / leftover)], check=True)
    path.write_text(path.read_text().replace("title: Hospital trials AI triage", "title: AI triage goes live"))
    out = publish(config)
    for old in (VICTIM_PATH, moved):
        assert story_page(out, old).redirect == "/digest/2026/06/ai-triage-goes-live/", old


def test_a_redated_story_keeps_its_page_and_leaves_no_empty_folder_where_it_would_be_now(config, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)  # folders are made ahead on a second core
    path = victim(config)
    publish(config)
    path.write_text(path.read_text().replace("2026-06-10T09:00:00Z", "2026-07-02T09:00:00Z"))
    for leftover in ("out", ".cache"):  # a fresh checkout: the site is built whole
        subprocess.run(["rm", "-rf", str(config.root / leftover)], check=True)
    out = publish(config)
    assert story_page(out, VICTIM_PATH).headline == "Hospital adopts AI triage for emergency rooms"
    assert not (out / "2026/07/hospital-adopts-ai-triage-for-emergency-rooms").exists()
    assert [folder for folder in out.rglob("*") if folder.is_dir() and not any(folder.iterdir())] == []
