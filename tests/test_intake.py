"""`digest fetch` against fixture feeds served on loopback, read back as the files it writes, the
requests it sends and the site a build makes of them. Nothing reaches outside this machine."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from generator.build import build
from generator.config import load_config
from generator.fetch import ALLOW_LOOPBACK, Limits
from generator.intake.command import run_fetch
from readers import feed_entries, news_site
from sitecheck import listening

NOW = datetime(2026, 6, 20, 12, tzinfo=timezone.utc)
FAST = Limits(connect_seconds=2, read_seconds=1, total_seconds=3)
RFC822 = "%a, %d %b %Y %H:%M:%S +0000"


def rss(items, title="Health Wire") -> bytes:
    body = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{guid}</guid>"
                   f"<description><![CDATA[{summary}]]></description><pubDate>{when.strftime(RFC822)}</pubDate>"
                   f"{extra}</item>" for guid, t, link, summary, when, extra in items)
    return (f'<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
            f"<title>{title}</title><link>https://wire.example/</link>{body}</channel></rss>").encode()


def atom(entries) -> bytes:
    body = "".join(f'<entry><id>{guid}</id><title>{t}</title><link href="{link}"/>'
                   f"<updated>{when.isoformat()}</updated><summary>{summary}</summary></entry>"
                   for guid, t, link, summary, when in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Radiology '
            f'Today</title><id>urn:radiology</id><updated>{NOW.isoformat()}</updated>{body}</feed>').encode()


def day(n: int) -> datetime:
    return NOW - timedelta(days=n)


def feeds() -> dict:
    """path -> (body, content type, ETag, Last-Modified), or an int status to answer."""
    return {
        "/rss.xml": (rss([
            ("rss-1", "Hospital deploys AI triage in emergency rooms", "https://wire.example/triage?utm_source=rss",
             "<p>Clinicians say the <b>AI</b> <script>alert(1)</script>system cut waits.</p>", day(1),
             '<media:content url="https://img.wire.example/triage.jpg" medium="image"/>'),
            ("rss-2", "New bakery opens downtown", "https://wire.example/bakery", "Fresh bread and cakes.", day(2), ""),
            ("rss-3", "FDA clears radiology algorithm", "https://shared.example/fda", "Regulators approved it.",
             day(3), ""),
        ]), "application/rss+xml", '"rss-v1"', ""),
        "/atom.xml": (atom([
            ("urn:a1", "AI reads mammograms as well as radiologists", "https://radiology.example/mammo",
             "A study of imaging.", day(1)),
            ("urn:a2", "FDA clears radiology algorithm", "https://shared.example/fda/", "The same story.", day(3)),
        ]), "application/atom+xml", "", format_datetime(day(1), usegmt=True)),
        "/feed.json": (json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Ethics Weekly",
                                   "home_page_url": "https://ethics.example/", "items": [
            {"id": "j1", "url": "https://ethics.example/bias", "title": "Bias in clinical AI models",
             "content_html": "<p>Fairness and <em>bias</em> in patient care.</p>",
             "date_published": day(2).isoformat(), "image": "https://ethics.example/bias.png"},
            {"id": "j2", "url": "https://ethics.example/future", "title": "Hospital AI from the future",
             "summary": "A patient story dated next year.", "date_published": (NOW + timedelta(days=400)).isoformat()},
        ]}).encode(), "application/feed+json", '"json-v1"', ""),
        "/backlog.xml": (rss([(f"b{n}", f"Hospital AI note number {n}", f"https://notes.example/{n}",
                               "Patients and clinicians.", day(n + 1), "") for n in range(60)], title="Notes"),
                         "application/rss+xml", '"b-v1"', ""),
        "/broken.xml": (b"<html><body>This is not a feed", "text/html", "", ""),
        "/error.xml": 500,
    }


class Outlets(http.server.BaseHTTPRequestHandler):
    served: dict = {}
    asked: list = []  # (path, conditional)

    def do_GET(self):
        conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
        self.asked.append((self.path, conditional))
        answer = self.served.get(self.path, 404)
        if isinstance(answer, str):  # moved for good
            self.send_response(301)
            self.send_header("Location", answer)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if isinstance(answer, int):
            self.send_response(answer)
            if answer in (429, 503):
                self.send_header("Retry-After", "7200")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body, kind, etag, modified = answer
        if (etag and self.headers.get("If-None-Match") == etag) or \
                (modified and self.headers.get("If-Modified-Since") == modified):
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        if modified:
            self.send_header("Last-Modified", modified)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def opml(origin: str, keep_all: str = "") -> str:
    outlines = "".join(f'<outline type="rss" text="{name}" xmlUrl="{origin}/{name}"'
                       f'{" category=" + chr(34) + "keep-all" + chr(34) if name == keep_all else ""}/>'
                       for name in ("rss.xml", "atom.xml", "feed.json", "backlog.xml", "broken.xml", "error.xml"))
    return f'<?xml version="1.0"?><opml version="2.0"><head><title>Subscriptions</title></head><body>{outlines}</body></opml>'


@pytest.fixture
def intake(tmp_path, monkeypatch):
    monkeypatch.setenv(ALLOW_LOOPBACK, "1")
    root = news_site(tmp_path / "site", "images: link\n").parent
    Outlets.served, Outlets.asked = feeds(), []
    with listening(Outlets) as origin:
        (root / "subscriptions.opml").write_text(opml(origin))
        config = load_config(root / "site.yml", environ={})
        yield config, origin


def fetch(config):
    return run_fetch(config, limits=FAST, now=NOW)


def written(config) -> dict[str, dict]:
    return {p.name: yaml.safe_load(p.read_text().split("---")[1]) for p in sorted((config.root / "seeds").glob("*.md"))}


def test_each_new_on_topic_story_becomes_one_seed_file(intake):
    config, origin = intake
    report = fetch(config)
    files = written(config)
    titles = sorted(meta["title"] for meta in files.values())
    assert "New bakery opens downtown" not in titles and report.off_topic == 1
    assert titles.count("FDA clears radiology algorithm") == 1 and report.duplicates == 1, "one story in two feeds"
    assert report.backlog == 50 and sum(t.startswith("Hospital AI note") for t in titles) == 10
    assert [url.rsplit("/", 1)[1] for url, _ in report.failures] == ["broken.xml", "error.xml"]
    triage = next(meta for meta in files.values() if meta["title"].startswith("Hospital deploys"))
    assert triage["excerpt"] == "Clinicians say the AI system cut waits.", "no markup survives"
    assert triage["webUrl"] == "https://wire.example/triage?utm_source=rss"
    assert triage["images"] == [{"url": "https://img.wire.example/triage.jpg"}]
    assert triage["provider"] == {"name": "Health Wire", "domain": "wire.example"}
    assert triage["publishedDateTime"] == "2026-06-19T12:00:00Z" and "AI in Healthcare" in triage["topics"]
    future = next(meta for meta in files.values() if meta["title"] == "Hospital AI from the future")
    assert future["publishedDateTime"] == "2026-06-20T12:00:00Z", "a date in the future is clamped to the fetch"
    assert any(name.startswith("2026-06-19-hospital-deploys-ai-triage") for name in files)
    bias = next(meta for meta in files.values() if meta["title"] == "Bias in clinical AI models")
    assert bias["images"] == [{"url": "https://ethics.example/bias.png"}] and "AI Ethics" in bias["topics"]


def test_every_file_written_passes_a_strict_build(intake):
    config, _ = intake
    fetch(config)
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--strict", "--quiet"], cwd=config.root,
                            capture_output=True, text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr


def test_a_second_run_asks_only_conditionally_and_writes_nothing(intake):
    config, _ = intake
    fetch(config)
    before = {p.name: p.read_bytes() for p in (config.root / "seeds").iterdir()}
    Outlets.asked.clear()
    report = fetch(config)
    validated = {"/rss.xml", "/atom.xml", "/feed.json", "/backlog.xml"}
    assert {path for path, conditional in Outlets.asked if path in validated and not conditional} == set()
    assert report.not_modified == 4 and report.new == () and report.updated == ()
    assert {p.name: p.read_bytes() for p in (config.root / "seeds").iterdir()} == before
    assert {path for path, _ in Outlets.asked} == validated, "failed feeds wait before they are asked again"


def test_a_retitled_entry_updates_its_own_file_and_keeps_its_feed_id(intake):
    config, _ = intake
    fetch(config)
    out = config.root / "out"
    build(config, output=out, show_progress=False)
    ids = {entry.title: entry_id for entry_id, entry in feed_entries(out).items()}
    old_id = ids["AI reads mammograms as well as radiologists"]
    served = Outlets.served["/atom.xml"]
    Outlets.served["/atom.xml"] = (served[0].replace(b"AI reads mammograms as well as radiologists",
                                                     b"AI reads mammograms better than radiologists")
                                   .replace(b"urn:a2", b"urn:a3").replace(b"https://shared.example/fda/",
                                                                           b"https://radiology.example/new-trial")
                                   .replace(b"The same story.", b"A new imaging trial in hospitals."),
                                   served[1], "", format_datetime(NOW, usegmt=True))
    report = fetch(config)
    assert [Path(p).name for p in report.updated] == [n for n in written(config) if "reads-mammograms" in n]
    assert len(report.new) == 1, "the feed's new entry arrives"
    build(config, output=out, show_progress=False)
    entries = feed_entries(out)
    assert entries[old_id].title == "AI reads mammograms better than radiologists"
    assert sum(e.title.startswith("AI reads mammograms") for e in entries.values()) == 1


def test_a_subscription_marked_keep_all_keeps_what_matches_no_topic(intake):
    config, origin = intake
    (config.root / "subscriptions.opml").write_text(opml(origin, keep_all="rss.xml"))
    fetch(config)
    assert "New bakery opens downtown" in [meta["title"] for meta in written(config).values()]


def test_a_moved_feed_is_asked_at_its_new_address_and_a_gone_one_never_again(intake):
    config, _ = intake
    Outlets.served["/moved.xml"], Outlets.served["/rss.xml"] = Outlets.served["/rss.xml"], "/moved.xml"
    fetch(config)
    Outlets.served["/atom.xml"] = 410
    Outlets.asked.clear()
    report = fetch(config)
    asked = [path for path, _ in Outlets.asked]
    assert "/moved.xml" in asked and "/rss.xml" not in asked, "the permanent redirect is remembered"
    assert report.new == () and report.duplicates == 0, "the moved feed's entries are known"
    Outlets.asked.clear()
    report = fetch(config)
    assert "/atom.xml" not in [path for path, _ in Outlets.asked] and report.waiting >= 1


def test_the_command_line_reports_and_fails_only_when_strict(intake):
    config, _ = intake
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", ALLOW_LOOPBACK: "1"}
    plain = subprocess.run([sys.executable, "-m", "generator", "fetch"], cwd=config.root, capture_output=True,
                           text=True, env=env, timeout=120)
    assert plain.returncode == 0 and "new stories" in plain.stdout and "broken.xml" in plain.stdout, plain.stderr
    strict = subprocess.run([sys.executable, "-m", "generator", "fetch", "--strict"], cwd=config.root,
                            capture_output=True, text=True, env=env, timeout=120)
    assert strict.returncode == 0, "the failed feeds wait, so this run failed nothing"


def test_without_subscriptions_there_is_nothing_to_fetch_and_no_failure(tmp_path):
    (tmp_path / "site.yml").write_text("sources: [seeds]\n")
    report = run_fetch(load_config(tmp_path / "site.yml", environ={}), limits=FAST, now=NOW)
    assert report.feeds == 0 and not report.failures and "nothing to fetch" in report.summary()


def test_the_shipped_subscriptions_are_read_as_feeds():
    from generator.intake.command import read_subscriptions
    found = read_subscriptions(REPO / "subscriptions.opml")
    assert len(found) >= 3 and all(s.url.startswith("https://") for s in found)
    assert [s.keep_all for s in found].count(True) >= 1


def test_a_busy_feed_is_not_asked_again_before_its_retry_after(intake):
    config, _ = intake
    Outlets.served["/rss.xml"] = 503
    report = fetch(config)
    assert any(url.endswith("/rss.xml") and "429 or 503" in why for url, why in report.failures)
    Outlets.asked.clear()
    run_fetch(config, limits=FAST, now=NOW + timedelta(hours=1))
    assert "/rss.xml" not in [path for path, _ in Outlets.asked], "Retry-After: 7200 is two hours"
    Outlets.served["/rss.xml"] = feeds()["/rss.xml"]
    later = run_fetch(config, limits=FAST, now=NOW + timedelta(hours=3))
    assert "/rss.xml" in [path for path, _ in Outlets.asked]
    assert [Path(p).name for p in later.new] == ["2026-06-19-hospital-deploys-ai-triage-in-emergency-rooms.md"]
